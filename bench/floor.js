#!/usr/bin/env node
// The floor of `plan` (issue 17): one Node process that loads the modules a plan needs and does
// nothing else. Plain JavaScript, no code cache: what loading them costs a fresh process.
//
//   node bench/floor.js                 load and exit
//   node bench/floor.js --code-cache    the same through the project's V8 code cache
//                                       (policies/lib/compileCache.ts, role "bench-floor")
"use strict";

/** The packages the issue names: the SDK, the four providers (azure-native's compute and network), Vault, random, the policy SDK. */
const FLOOR_MODULES = [
  "@pulumi/pulumi",
  "@pulumi/gcp",
  "@pulumi/aws",
  "@pulumi/azure-native/compute",
  "@pulumi/azure-native/network",
  "@pulumi/vault",
  "@pulumi/random",
  "@pulumi/policy",
];
module.exports = { FLOOR_MODULES };

if (require.main === module) {
  if (process.argv.includes("--code-cache")) require("../dist/policies/lib/compileCache").installCompileCache("bench-floor");
  for (const m of FLOOR_MODULES) require(m);
}

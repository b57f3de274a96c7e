#!/usr/bin/env node
// `npm run infra -- ...`: rebuilds dist/ when a source changed, then runs the compiled CLI.
"use strict";
try {
  require("../scripts/build").ensureBuilt();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
// The CLI's modules load from V8's code cache when it has them (policies/lib/compileCache.ts).
require("../dist/policies/lib/compileCache").installCompileCache("cli");
require("../dist/src/cli/main").runCli(process.argv.slice(2));

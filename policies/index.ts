/**
 * Entry point of the zipnet posture policy pack (`pulumi preview --policy-pack policies`).
 * It only constructs the PolicyPack: the policies live in pack.ts and src/ (a second
 * PolicyPack in one process exits it).
 */
// First: the modules below load from V8's code cache when it has them (lib/compileCache.ts).
import { finishCompileCache, installCompileCache } from "./lib/compileCache";
installCompileCache("pack");

import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES, PACK_NAME } from "./pack";

new PolicyPack(PACK_NAME, {
  description: "The zipnet security posture checklist (36 items) as CrossGuard policies.",
  enforcementLevel: "advisory",
  policies: ALL_POLICIES,
});
// Loaded: save now (the engine ends a pack with a signal, which skips the exit event), release the cache.
finishCompileCache();

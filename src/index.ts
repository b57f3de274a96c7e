/**
 * Entry point for `pulumi up` / `pulumi preview`: one zipnet instance per stack, from the
 * structured config key `zipnet-infra:instance` (see src/program.ts).
 */
// First: the modules below load from V8's code cache when it has them (policies/lib/compileCache.ts).
import { finishCompileCache, installCompileCache } from "../policies/lib/compileCache";
installCompileCache("program");

import { withoutPromiseStacks } from "./promiseStacks";
import { main } from "./program";

// For the life of the program's process: errors keep their messages, not their frames.
withoutPromiseStacks();

const outputs = main();
// Every module the instance needs is loaded (the SDKs' per cloud too): the cache's bytes go.
finishCompileCache();

export = outputs;

/**
 * A program run in this process against the engine model: the SDK is pointed at the model's
 * monitor handlers instead of a gRPC address. Used by tests and the benchmark; `plan` runs the
 * program as the CLI does (programProcess.ts). Both meet the same model, so the same rules.
 *
 * The SDK's runtime settings (`setMockOptions`, `waitForRPCs`, `disconnectSync`, the store's
 * feature flags) are internal: this module is the only place that reaches them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as state from "@pulumi/pulumi/runtime/state";
import { EngineModel, type EngineOptions } from "./model";
import { SUPPORTED_FEATURES, engineHandlers } from "./monitor";
import { withoutPromiseStacks } from "../../promiseStacks";

interface SettingsInternals {
  setMockOptions(monitor: unknown, project: string, stack: string, preview: boolean): void;
  waitForRPCs(): Promise<void>;
  disconnectSync(): void;
}
const internals = settings as unknown as SettingsInternals;

export interface InProcessRun<T> {
  model: EngineModel;
  /** The program's return value (stack outputs), resolved where known. */
  outputs: T;
}

/** Points the SDK of this process at `model` (the monitor the program's registrations reach). */
export function installEngine(model: EngineModel): void {
  internals.setMockOptions(engineHandlers(model).monitor, model.project, model.stack, model.preview);
  // What the SDK learns from SupportsFeature when a stack starts (settings.awaitFeatureSupport),
  // set now for programs called outside a stack (tests).
  const store = (state as unknown as { getStore(): Record<string, unknown> }).getStore();
  // The SDK's store flag for feature `x` is `supportsX`.
  for (const feature of SUPPORTED_FEATURES) store[`supports${feature[0].toUpperCase()}${feature.slice(1)}`] = true;
}

/** Waits until every registration the program started has reached the engine. */
export function waitForRegistrations(): Promise<void> {
  return internals.waitForRPCs();
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` inside a root stack against a fresh engine model. Runs are serialised: the SDK
 * keeps process-global state.
 */
export function runInProcess<T>(program: () => T, opts: EngineOptions): Promise<InProcessRun<T>> {
  const run = queue.then(() => runOnce(program, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function runOnce<T>(program: () => T, opts: EngineOptions): Promise<InProcessRun<T>> {
  const model = new EngineModel(opts);
  installEngine(model);
  // A refused registration rejects every output that depends on it, somewhere in the program's
  // promise chains: in a program's own process that ends the program (cmd/run exits non-zero).
  // Here the run records them as the program's errors instead of leaving them unhandled.
  const rejected = (reason: unknown) => model.log({ severity: "error", message: reason instanceof Error ? reason.message : String(reason), urn: "" });
  process.on("unhandledRejection", rejected);
  let outputs: T | undefined;
  // As the program's entry does (src/index.ts), for the run only.
  const restoreStacks = withoutPromiseStacks();
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      outputs = program();
      return outputs as any;
    });
    await waitForRegistrations();
  } catch (err) {
    // A refused registration rejects the program's outputs; the model holds the refusal.
    if (model.failures.length === 0) throw err;
  } finally {
    restoreStacks();
    // Close the callback server resource hooks started, so nothing outlives the run.
    internals.disconnectSync();
    // Rejections of this run surface within a few turns of the event loop.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", rejected);
  }
  const unexplained = model.failures.length === 0 ? model.errors() : [];
  if (unexplained.length) throw new Error(`the program failed: ${unexplained[0]}`);
  return { model, outputs: outputs as T };
}

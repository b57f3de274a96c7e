/** The plan in this process (tests, the benchmark): the same engine model as `planStack`, without a child process. */
import * as pulumi from "@pulumi/pulumi";
import type { InstanceConfig } from "../config/schema";
import { PROJECT_NAME } from "../config/stackFile";
import { program } from "../program";
import { runInProcess } from "./engine/inProcess";
import { planOf, type Plan } from "./plan";

export interface InProcessPlanOptions {
  /** false: an update (random values known), as `pulumi up` runs; default a preview. */
  preview?: boolean;
  /** A federated operator's X25519 private key (PEM), as the secret `zipnet-infra:sealingKey` would give it. */
  sealingKey?: string;
  /** Where a federated stack's manifest and sealed copy are (default: stacks/). */
  stacksDir?: string;
}

export async function planInstance(config: InstanceConfig, stack: string, opts: InProcessPlanOptions = {}): Promise<Plan> {
  const run = await runInProcess(
    () => program(config, { ...(opts.sealingKey ? { sealingKey: pulumi.secret(opts.sealingKey) } : {}), ...(opts.stacksDir ? { stacksDir: opts.stacksDir } : {}) }),
    { project: PROJECT_NAME, stack, preview: opts.preview ?? true },
  );
  return planOf(run.model, stack, config);
}

/** The plan in this process (tests, the benchmark): the same engine model as `planStack`, without a child process. */
import type { InstanceConfig } from "../config/schema";
import { PROJECT_NAME } from "../config/stackFile";
import { program } from "../program";
import { runInProcess } from "./engine/inProcess";
import { planOf, type Plan } from "./plan";

export async function planInstance(config: InstanceConfig, stack: string, opts: { preview?: boolean } = {}): Promise<Plan> {
  const run = await runInProcess(() => program(config), { project: PROJECT_NAME, stack, preview: opts.preview ?? true });
  return planOf(run.model, stack, config);
}

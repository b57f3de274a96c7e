/**
 * The shape of an instance of size n, in its own process (not timed):
 *
 *   node -r tsx/cjs bench/worker.ts prep <n> <dir> <scenario>
 *
 * plans one scenario (base, rotation, decommission: bench/instances.ts) in process and writes
 * its registrations to <dir>/n<N>.<scenario>.resources.json, from which bench/run.ts computes the
 * dependency depth and the change counts. Prints one line `BENCH_RESULT <json>` on stdout.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";

function emit(result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

export function resourcesFile(dir: string, n: number, scenario = "base"): string {
  return path.join(dir, `n${n}.${scenario}.resources.json`);
}

async function prep(n: number, dir: string, scenario: string): Promise<void> {
  const { planInstance } = require("../src/offline/planInProcess") as typeof import("../src/offline/planInProcess");
  const { scenarios, stackName, toConfig } = require("./instances") as typeof import("./instances");
  const s = scenarios(n).find((x) => x.name === scenario);
  if (!s) throw new Error(`unknown scenario ${scenario}`);
  const { config, validation, bypassed } = toConfig(s.raw);
  const plan = await planInstance(config, stackName(n));
  writeFileSync(resourcesFile(dir, n, scenario), JSON.stringify(plan.resources));
  emit({ task: "prep", n, scenario, validation, bypassedRegionIssues: bypassed, resources: plan.resources.length });
}

async function main(): Promise<void> {
  const [task, nText, dir, scenario] = process.argv.slice(2);
  const n = Number(nText);
  if (task !== "prep" || !Number.isInteger(n) || !dir) throw new Error("usage: worker.ts prep <n> <dir> <scenario>");
  return prep(n, dir, scenario ?? "base");
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

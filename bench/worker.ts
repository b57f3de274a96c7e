/**
 * One measurement in a fresh process (so peak RSS belongs to that measurement alone):
 *
 *   node -r tsx/cjs bench/worker.ts prep  <n> <dir> <scenario>  plans base|rotation|decommission, writes
 *                                                             <dir>/n<N>.<scenario>.resources.json (+ base state)
 *   node -r tsx/cjs bench/worker.ts plan  <n> <dir> [runs]    times planInstance (the program)
 *   node -r tsx/cjs bench/worker.ts floor <n> <dir> [runs]    times the flat registration (floor.ts)
 *   node -r tsx/cjs bench/worker.ts floor-sdk <n> <dir> [runs] the same through the provider SDK classes
 *   node -r tsx/cjs bench/worker.ts audit <n> <dir> <pack>    times auditStates through the pack in <pack>
 *
 * Prints one line `BENCH_RESULT <json>` on stdout. Module loading is timed apart (loadMs):
 * plan and floor time only the run, after every module the run needs is loaded (the provider
 * SDKs load their resource classes lazily, so the classes of every type the plan registers are
 * touched first). The first timed run is the figure (a preview runs the program once, in a
 * fresh process); further runs in the same process are reported as warm runs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { RecordedResource } from "../src/offline/engine/model";
import type { StateFile } from "../src/offline/stateFile";

const loadStarted = performance.now();

function emit(result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

function mb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** Peak RSS of this process so far, MB (resourceUsage().maxRSS is in KB). */
function peakMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

function resourcesFile(dir: string, n: number, scenario = "base"): string {
  return path.join(dir, `n${n}.${scenario}.resources.json`);
}

function stateFile(dir: string, n: number): string {
  return path.join(dir, `n${n}.state.json`);
}

/**
 * Plans one scenario (base, rotation, decommission) and writes its registrations; the base also
 * writes its state (secrets unredacted, as `infra plan` hands it to the audit) for the audits.
 * Not timed: stack traces are switched off to make it quicker.
 */
async function prep(n: number, dir: string, scenario: string): Promise<void> {
  Error.stackTraceLimit = 0;
  const { planInstance } = (require("../src/offline/planInProcess") as typeof import("../src/offline/planInProcess"));
  const { unredactedPlanState } = (require("../src/offline/audit") as typeof import("../src/offline/audit"));
  const { scenarios, stackName, toConfig } = (require("./instances") as typeof import("./instances"));
  const s = scenarios(n).find((x) => x.name === scenario);
  if (!s) throw new Error(`unknown scenario ${scenario}`);
  const { config, validation, bypassed } = toConfig(s.raw);
  const plan = await planInstance(config, stackName(n));
  writeFileSync(resourcesFile(dir, n, scenario), JSON.stringify(plan.resources));
  if (scenario === "base") writeFileSync(stateFile(dir, n), JSON.stringify(unredactedPlanState(plan)));
  emit({ task: "prep", n, scenario, validation, bypassedRegionIssues: bypassed, resources: plan.resources.length });
}

async function timedRuns<T extends { resources: unknown[] }>(label: string, runs: number, run: () => Promise<T>, check?: (first: T) => Record<string, unknown>): Promise<Record<string, unknown>> {
  const rssBeforeMb = mb(process.memoryUsage().rss);
  const times: number[] = [];
  let firstPeakMb = 0;
  let registered = 0;
  let checked: Record<string, unknown> = {};
  // The first run's bounds on the clock CPU profiles use (microseconds), to cut its window out.
  const window = { startUs: 0, endUs: 0 };
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    if (i === 0) window.startUs = Number(process.hrtime.bigint() / 1000n);
    const out = await run();
    if (i === 0) window.endUs = Number(process.hrtime.bigint() / 1000n);
    times.push(performance.now() - t);
    registered = out.resources.length;
    if (i === 0) {
      firstPeakMb = peakMb();
      if (check) checked = check(out);
    }
  }
  return { task: label, ms: times[0], warmMs: times.slice(1), peakMb: firstPeakMb, rssBeforeMb, registered, window, ...checked };
}

async function plan(n: number, dir: string, runs: number): Promise<void> {
  const { planInstance } = (require("../src/offline/planInProcess") as typeof import("../src/offline/planInProcess"));
  const { preloadClasses } = (require("./floor") as typeof import("./floor"));
  const { benchConfig, stackName } = (require("./instances") as typeof import("./instances"));
  const recorded = JSON.parse(readFileSync(resourcesFile(dir, n), "utf8")) as RecordedResource[];
  preloadClasses(recorded.map((r) => r.type));
  const { config } = benchConfig(n);
  const loadMs = performance.now() - loadStarted;
  const result = await timedRuns("plan", runs, () => planInstance(config, stackName(n)));
  emit({ ...result, n, loadMs, startupMs: process.uptime() * 1000 - (performance.now() - loadStarted) });
}

async function floor(kind: "bare" | "sdk", n: number, dir: string, runs: number): Promise<void> {
  const { inputMismatches, preloadClasses, runFloor } = (require("./floor") as typeof import("./floor"));
  const { stackName } = (require("./instances") as typeof import("./instances"));
  const recorded = JSON.parse(readFileSync(resourcesFile(dir, n), "utf8")) as RecordedResource[];
  if (kind === "sdk") preloadClasses(recorded.map((r) => r.type));
  const loadMs = performance.now() - loadStarted;
  const result = await timedRuns(kind === "sdk" ? "floor-sdk" : "floor", runs, async () => ({ resources: (await runFloor(recorded, stackName(n), kind)).model.resources }), (out) => {
    const mismatches = inputMismatches(recorded, out.resources);
    return { inputMismatches: mismatches.length, inputMismatchSample: mismatches.slice(0, 5) };
  });
  emit({ ...result, n, loadMs, expected: recorded.length });
}

/** Peak RSS of another process (VmHWM), MB; undefined where /proc is not there. */
function processPeakMb(pid: number): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

async function audit(n: number, dir: string, packDir: string): Promise<void> {
  const { startPolicyPack } = (require("../src/offline/analyzer") as typeof import("../src/offline/analyzer"));
  const { auditStates } = (require("../src/offline/audit") as typeof import("../src/offline/audit"));
  const state = JSON.parse(readFileSync(stateFile(dir, n), "utf8")) as StateFile;
  const loadMs = performance.now() - loadStarted;
  const client = await startPolicyPack(packDir);
  try {
    const t = performance.now();
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const result = await auditStates([{ label: `n${n}`, state }], { client });
    const endUs = Number(process.hrtime.bigint() / 1000n);
    const ms = performance.now() - t;
    const mandatory = result.violations.filter((v) => v.level === "mandatory");
    emit({
      task: "audit",
      n,
      pack: packDir,
      packName: result.pack?.name,
      packStartMs: client.startupMs,
      packPid: client.pid,
      window: { startUs, endUs },
      ms,
      loadMs,
      resources: result.resources,
      policies: (await client.getAnalyzerInfo()).policies.length,
      violations: result.violations.length,
      mandatory: mandatory.length,
      mandatorySample: mandatory.slice(0, 5).map((v) => `${v.policy}: ${v.message.slice(0, 160)}`),
      packPeakMb: processPeakMb(client.pid),
      driverPeakMb: peakMb(),
    });
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const [task, nText, dir, extra] = process.argv.slice(2);
  const n = Number(nText);
  if (!Number.isInteger(n) || !dir) throw new Error("usage: worker.ts prep|plan|floor|audit <n> <dir> [runs|packDir]");
  switch (task) {
    case "prep":
      return prep(n, dir, extra ?? "base");
    case "plan":
      return plan(n, dir, Number(extra ?? 1));
    case "floor":
      return floor("bare", n, dir, Number(extra ?? 1));
    case "floor-sdk":
      return floor("sdk", n, dir, Number(extra ?? 1));
    case "audit":
      return audit(n, dir, extra);
    default:
      throw new Error(`unknown task ${task}`);
  }
}

if (require.main === module) main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

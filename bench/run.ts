/**
 * `npm run bench`: what `plan` costs as an operator runs it, against the floor of loading the
 * modules it needs, measured in one run on one machine (issue 17). What each figure means and
 * how it is measured: bench/README.md.
 *
 *   npm run bench                        the full run, writes bench/results.json and the tables in
 *                                        bench/README.md (about 10 min on 2 cores)
 *   npm run bench -- --quick             3 runs, N = 3 and 9, no test suite; writes nothing
 *   npm run bench -- --ns 9,65 --runs 3  chosen sizes and runs; --write writes, --no-tests skips npm test
 *   npm run bench -- --profile           CPU profiles of the three processes of one plan of
 *                                        acme.mainnet, with the program's load timeline (printed)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import type { RecordedResource } from "../src/offline/engine/model";
import { startPolicyPack } from "../src/offline/analyzer";
import { runProgramProcess } from "../src/offline/engine/programProcess";
import { mapLimit } from "../src/offline/concurrency";
import { changedResources, dependencyDepth, shortUrn } from "./graph";
import { DECOMMISSIONED, endToEndStack, replacementId } from "./instances";
import { summarizeProfile, type ProfileSummary } from "./profile";
import { ratio, round, spread, type Spread } from "./stats";
import { resourcesFile } from "./worker";

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "bin", "infra.js");
const FLOOR = path.join(__dirname, "floor.js");
const RUNNER_FLOOR = path.join(__dirname, "runner-floor");
const WORKER = path.join(__dirname, "worker.ts");
const PROCSTAT = path.join(__dirname, "procstat.js");
const SELF_PROFILE = path.join(__dirname, "selfProfile.ts");
const TIMELINE = path.join(__dirname, "timeline.js");
const TSX_CJS = require.resolve("tsx/cjs");
const REAL_PACK = path.join(ROOT, "policies");
const EMPTY_PACK = path.join(ROOT, "test", "fixtures", "empty-pack");
const RESULTS = path.join(__dirname, "results.json");
const README = path.join(__dirname, "README.md");
const TABLE_START = "<!-- bench:table:start -->";
const TABLE_END = "<!-- bench:table:end -->";
const SCENARIOS = ["base", "rotation", "decommission"] as const;
const MAINNET = "acme.mainnet";

/** What the issue asks (bench/README.md, Targets). */
const TARGET_PLAN_OVER_FLOOR = 1.6;
const TARGET_TEST_WALL_S = 90;
const TARGET_PEAK_MB = 776;

interface Options {
  ns: number[];
  runs: number;
  tests: boolean;
  measure: boolean;
  profile: boolean;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const has = (flag: string) => argv.includes(flag);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = has("--quick");
  const ns = value("--ns")?.split(",").map(Number) ?? (quick ? [3, 9] : [3, 9, 33, 65]);
  if (ns.some((n) => !Number.isInteger(n) || n < 3 || n % 2 === 0)) throw new Error("--ns: odd committee sizes >= 3");
  const runs = value("--runs") ? Number(value("--runs")) : quick ? 3 : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: a whole number >= 1");
  const custom = value("--ns") !== undefined || value("--runs") !== undefined || quick;
  const profileOnly = has("--profile") && !custom && !has("--write");
  return {
    ns,
    runs,
    tests: !quick && !has("--no-tests"),
    measure: !profileOnly,
    profile: has("--profile"),
    write: has("--write") || (!custom && !has("--profile") && !has("--no-write")),
  };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

interface ProcStat {
  role: "cli" | "program" | "pack" | "floor";
  pid: number;
  lifetimeMs: number;
  cpuMs: number;
  peakMb: number;
}

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  procs: ProcStat[];
}

let statCount = 0;

/** Spawns `node <args>` in the project, timed from spawn to exit, every Node process in it reporting its peak RSS and CPU. */
function timed(args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  const stat = path.join(dir, `procstat-${++statCount}.jsonl`);
  const childEnv = {
    ...process.env,
    ...env,
    ZIPNET_BENCH_PROCSTAT: stat,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, env.NODE_OPTIONS, `--require=${PROCSTAT}`].filter(Boolean).join(" "),
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("exit", (code) => {
      const ms = performance.now() - started;
      // stdio closes after exit: wait for it so the output is whole.
      child.once("close", () => {
        const procs = existsSync(stat)
          ? readFileSync(stat, "utf8")
              .trim()
              .split("\n")
              .filter(Boolean)
              .map((l) => JSON.parse(l) as ProcStat)
          : [];
        resolve({ ms, code, stdout, stderr, procs });
      });
    });
  });
}

/** The plan's resource count, from its summary line. */
function resourceCount(stdout: string): number {
  const m = /= (\d+) in the state/.exec(stdout);
  if (!m) throw new Error(`no resource count in the plan's output:\n${stdout.slice(0, 2000)}`);
  return Number(m[1]);
}

/** Peak RSS and CPU per role of one run: the sum over a role's processes (the CLI is one, so are the program and the pack). */
function byRole(procs: ProcStat[]): Record<string, { peakMb: number; cpuMs: number }> {
  const out: Record<string, { peakMb: number; cpuMs: number }> = {};
  for (const p of procs) {
    const r = (out[p.role] ??= { peakMb: 0, cpuMs: 0 });
    r.peakMb = Math.max(r.peakMb, p.peakMb);
    r.cpuMs += p.cpuMs;
  }
  return out;
}

interface PlanSample {
  ms: number;
  resources: number;
  roles: Record<string, { peakMb: number; cpuMs: number }>;
}

async function plan(args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Promise<PlanSample> {
  const r = await timed([BIN, "plan", ...args], dir, env);
  // 0: no finding; 1: findings (the synthetic devtest stacks have advisory ones only). 2 is an error.
  if (r.code !== 0 && r.code !== 1) throw new Error(`plan ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  return { ms: r.ms, resources: resourceCount(r.stdout), roles: byRole(r.procs) };
}

async function floor(dir: string, codeCache: boolean): Promise<{ ms: number; peakMb: number; cpuMs: number }> {
  const r = await timed([FLOOR, ...(codeCache ? ["--code-cache"] : [])], dir);
  if (r.code !== 0) throw new Error(`the floor exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  const p = r.procs.find((x) => x.role === "floor");
  return { ms: r.ms, peakMb: p?.peakMb ?? 0, cpuMs: p?.cpuMs ?? 0 };
}

/**
 * The runner's floor: cmd/run, as `pulumi preview` starts it (programProcess.ts, against the
 * offline engine), running bench/runner-floor, a program that loads the floor's modules and
 * registers nothing. Spawn to exit.
 */
async function runnerFloor(): Promise<number> {
  const run = await runProgramProcess({ root: RUNNER_FLOOR, stack: "floor", config: {}, preview: true });
  if (run.exitCode !== 0) throw new Error(`the runner's floor exited ${run.exitCode}:\n${run.output.slice(-3000)}`);
  return run.durationMs;
}

const median = (xs: number[], digits = 0) => spread(xs, digits).median;
const compact = (x: Spread) => ({ median: x.median, min: x.min, max: x.max, ...(x.iqr !== undefined ? { iqr: x.iqr } : {}), samples: x.samples });

function roleMedians(samples: PlanSample[]): Record<string, { peakMb: number; cpuMs: number }> {
  const roles = [...new Set(samples.flatMap((s) => Object.keys(s.roles)))];
  return Object.fromEntries(
    roles.map((role) => [role, { peakMb: median(samples.map((s) => s.roles[role]?.peakMb ?? 0)), cpuMs: median(samples.map((s) => s.roles[role]?.cpuMs ?? 0)) }]),
  );
}

/**
 * `plan --stack acme.mainnet` end to end against the floor, alternating: floor, plan, floor with
 * the code cache, plan with the code cache off (every module compiled, as a first run compiles them).
 */
async function mainnetVsFloor(runs: number, dir: string) {
  const s = { floor: [] as Awaited<ReturnType<typeof floor>>[], floorCached: [] as Awaited<ReturnType<typeof floor>>[], plan: [] as PlanSample[], planCold: [] as PlanSample[], runner: [] as number[] };
  // One plan first, not counted: the code cache as any run after the first finds it.
  await plan(["--stack", MAINNET], dir);
  for (let i = 0; i < runs; i++) {
    s.floor.push(await floor(dir, false));
    s.plan.push(await plan(["--stack", MAINNET], dir));
    s.floorCached.push(await floor(dir, true));
    s.planCold.push(await plan(["--stack", MAINNET], dir, { ZIPNET_COMPILE_CACHE: "off" }));
    s.runner.push(await runnerFloor());
    const last = <T>(xs: T[]) => xs[xs.length - 1];
    log(
      `[${MAINNET} run ${i + 1}/${runs}] floor ${round(last(s.floor).ms)} ms, plan ${round(last(s.plan).ms)} ms, ` +
        `floor (code cache) ${round(last(s.floorCached).ms)} ms, plan (code cache off) ${round(last(s.planCold).ms)} ms, runner's floor ${round(last(s.runner))} ms`,
    );
  }
  const planMs = spread(s.plan.map((x) => x.ms));
  const floorMs = spread(s.floor.map((x) => x.ms));
  const floorCachedMs = spread(s.floorCached.map((x) => x.ms));
  const planColdMs = spread(s.planCold.map((x) => x.ms));
  const runnerMs = spread(s.runner);
  return {
    stack: MAINNET,
    runs,
    resources: s.plan[0].resources,
    planMs: compact(planMs),
    floorMs: compact(floorMs),
    planOverFloor: ratio(planMs.median, floorMs.median),
    floorCachedMs: compact(floorCachedMs),
    planOverFloorCached: ratio(planMs.median, floorCachedMs.median),
    planColdMs: compact(planColdMs),
    planColdOverFloor: ratio(planColdMs.median, floorMs.median),
    runnerFloorMs: compact(runnerMs),
    runnerFloorOverFloor: ratio(runnerMs.median, floorMs.median),
    floorPeakMb: median(s.floor.map((x) => x.peakMb)),
    floorCpuMs: median(s.floor.map((x) => x.cpuMs)),
    roles: roleMedians(s.plan),
  };
}

/** `plan --config-file` of the synthetic stack of each size, end to end, alternating with the floor. */
async function sizes(ns: number[], runs: number, dir: string) {
  const stacks = path.join(dir, "stacks");
  const files = new Map<number, string>();
  mkdirSync(stacks, { recursive: true });
  for (const n of ns) {
    const { stack, config } = endToEndStack(n);
    const file = path.join(stacks, `Pulumi.${stack}.yaml`);
    writeFileSync(file, stringify(config));
    files.set(n, file);
  }
  const rows = [];
  for (const n of ns) {
    const samples: PlanSample[] = [];
    const floors: number[] = [];
    // Each size is timed after one uncounted plan of it (the code cache as a second run finds it).
    await plan(["--config-file", files.get(n)!], dir);
    for (let i = 0; i < runs; i++) {
      floors.push((await floor(dir, false)).ms);
      samples.push(await plan(["--config-file", files.get(n)!], dir));
      log(`[n=${n} run ${i + 1}/${runs}] floor ${round(floors[floors.length - 1])} ms, plan ${round(samples[samples.length - 1].ms)} ms (${samples[0].resources} resources)`);
    }
    const planMs = spread(samples.map((x) => x.ms));
    const floorMs = spread(floors);
    rows.push({ n, resources: samples[0].resources, planMs: compact(planMs), floorMs: compact(floorMs), planOverFloor: ratio(planMs.median, floorMs.median), roles: roleMedians(samples) });
  }
  return rows;
}

/**
 * The pack's cold start (spawn under cmd/run-policy-pack to the Analyzer port) against an empty
 * pack's (test/fixtures/empty-pack: JavaScript, no code cache), and the pack's with its code cache
 * off, alternating.
 */
async function packStarts(runs: number) {
  const starts = { real: [] as number[], empty: [] as number[], realCold: [] as number[] };
  const start = async (dir: string, cache: boolean) => {
    const saved = process.env.ZIPNET_COMPILE_CACHE;
    if (!cache) process.env.ZIPNET_COMPILE_CACHE = "off";
    try {
      const client = await startPolicyPack(dir);
      await client.close();
      return client.startupMs;
    } finally {
      if (saved === undefined) delete process.env.ZIPNET_COMPILE_CACHE;
      else process.env.ZIPNET_COMPILE_CACHE = saved;
    }
  };
  await start(REAL_PACK, true);
  for (let i = 0; i < runs; i++) {
    starts.real.push(await start(REAL_PACK, true));
    starts.empty.push(await start(EMPTY_PACK, true));
    starts.realCold.push(await start(REAL_PACK, false));
  }
  const real = spread(starts.real);
  const empty = spread(starts.empty);
  const realCold = spread(starts.realCold);
  return { runs, packColdStartMs: compact(real), emptyPackColdStartMs: compact(empty), packOverEmpty: ratio(real.median, empty.median), packNoCodeCacheMs: compact(realCold), packNoCodeCacheOverEmpty: ratio(realCold.median, empty.median) };
}

/** `npm test` (vitest run), once, from spawn to exit. */
async function testSuite() {
  log("running the test suite (npm test) ...");
  const started = performance.now();
  const r = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout }));
  });
  const wallS = round((performance.now() - started) / 1000, 1);
  const clean = r.stdout.replace(/\x1b\[[0-9;]*m/g, "");
  const tests = /Tests\s+(.+?)\s*\(\d+\)/.exec(clean)?.[1] ?? "unknown";
  const files = /Test Files\s+(.+?)\s*\(\d+\)/.exec(clean)?.[1] ?? "unknown";
  if (r.code !== 0) throw new Error(`npm test failed (exit ${r.code}): ${tests}`);
  return { wallS, tests, files };
}

/** Plans the three scenarios of size n in process (not timed) and computes the shape figures. */
async function shape(n: number, dir: string) {
  const runWorker = (scenario: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ["-r", TSX_CJS, WORKER, "prep", String(n), dir, scenario], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`shape of n=${n} ${scenario} failed:\n${err.slice(-2000)}`))));
    });
  await mapLimit([...SCENARIOS], 2, runWorker);
  const read = (s: string) => JSON.parse(readFileSync(resourcesFile(dir, n, s), "utf8")) as RecordedResource[];
  const base = read("base");
  const { depth, chain } = dependencyDepth(base);
  const rotation = changedResources(base, read("rotation"));
  const decommission = changedResources(base, read("decommission"), [DECOMMISSIONED, replacementId(n)]);
  const detail = (c: typeof rotation) => [...c.changed.map((u) => `~${shortUrn(u)}`), ...c.added.map((u) => `+${shortUrn(u)}`), ...c.removed.map((u) => `-${shortUrn(u)}`)];
  return { n, resources: base.length, depth, depthChain: chain.map(shortUrn), rotationChanged: rotation.count, rotationDetail: detail(rotation), decommissionChanged: decommission.count, decommissionDetail: detail(decommission) };
}

function machine(): Record<string, any> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAvgStart: os.loadavg().map((x) => round(x, 2)),
  };
}

interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

function targets(mainnet: Awaited<ReturnType<typeof mainnetVsFloor>>, rows: Awaited<ReturnType<typeof sizes>>, suite?: Awaited<ReturnType<typeof testSuite>>) {
  const out: Target[] = [];
  out.push({ name: `plan/floor, ${MAINNET} (median of ${mainnet.runs} alternating runs)`, target: `<= ${TARGET_PLAN_OVER_FLOOR}`, value: String(mainnet.planOverFloor), met: mainnet.planOverFloor <= TARGET_PLAN_OVER_FLOOR });
  const small = rows.find((r) => r.n === 9) ?? rows[0];
  const big = rows.find((r) => r.n === 65) ?? rows[rows.length - 1];
  const growth = small && big && big !== small ? { from: small.n, to: big.n, resources: ratio(big.resources, small.resources), planMs: ratio(big.planMs.median, small.planMs.median) } : undefined;
  if (growth) out.push({ name: `plan time growth N=${growth.from} -> ${growth.to}`, target: `<= ${growth.resources} (linear in resources)`, value: String(growth.planMs), met: growth.planMs <= growth.resources });
  if (big) {
    const peak = Math.max(...Object.values(big.roles).map((r) => r.peakMb));
    out.push({ name: `peak memory at N=${big.n} (the largest process)`, target: `<= ${TARGET_PEAK_MB} MB`, value: `${peak} MB`, met: peak <= TARGET_PEAK_MB });
  }
  if (suite) out.push({ name: "npm test wall time", target: `<= ${TARGET_TEST_WALL_S} s`, value: `${suite.wallS} s`, met: suite.wallS <= TARGET_TEST_WALL_S });
  return { growth, targets: out };
}

function tables(meta: Record<string, any>, mainnet: any, rows: any[], packs: any, suite: any, shapes: any[], tgts: Target[], growth: any): string {
  const range = (x: { min: number; max: number }) => `(${x.min}–${x.max})`;
  const role = (r: any, key: string) => (r ? `${r[key]}` : "–");
  const lines = [
    `Run of ${meta.date.slice(0, 10)} on ${meta.cpus} × ${meta.cpuModel}, ${meta.memGb} GB, Node ${meta.node}; load average ${meta.loadAvgStart.join(" / ")} at the start, ${meta.loadAvgEnd.join(" / ")} at the end; ${meta.wallS} s in all. Medians, (min–max).`,
    "",
    `**\`plan --stack ${MAINNET}\`** (${mainnet.resources} resources), ${mainnet.runs} runs alternating with the floor:`,
    "",
    "| | wall ms | / floor |",
    "|---|---|---|",
    `| floor: \`node bench/floor.js\` (loads the modules, no code cache) | ${mainnet.floorMs.median} ${range(mainnet.floorMs)} | 1 |`,
    `| plan | ${mainnet.planMs.median} ${range(mainnet.planMs)} | **${mainnet.planOverFloor}** |`,
    `| plan, code cache off (every module compiled) | ${mainnet.planColdMs.median} ${range(mainnet.planColdMs)} | ${mainnet.planColdOverFloor} |`,
    `| floor through the code cache | ${mainnet.floorCachedMs.median} ${range(mainnet.floorCachedMs)} | plan / this: ${mainnet.planOverFloorCached} |`,
    `| the runner's floor: cmd/run starting a program that loads the floor's modules and registers nothing | ${mainnet.runnerFloorMs.median} ${range(mainnet.runnerFloorMs)} | ${mainnet.runnerFloorOverFloor} |`,
    "",
    "| process | peak MB | CPU ms |",
    "|---|---|---|",
    ...["cli", "program", "pack"].map((k) => `| ${k} | ${role(mainnet.roles[k], "peakMb")} | ${role(mainnet.roles[k], "cpuMs")} |`),
    `| floor | ${mainnet.floorPeakMb} | ${mainnet.floorCpuMs} |`,
    "",
    `**\`plan --config-file\` of N committee servers** (devtest, bench/instances.ts), ${rows[0]?.planMs.samples.length ?? 0} runs each alternating with the floor:`,
    "",
    "| N | resources | plan ms | floor ms | plan/floor | CLI peak MB | program peak MB | pack peak MB | program CPU ms | pack CPU ms |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.n} | ${r.resources} | ${r.planMs.median} ${range(r.planMs)} | ${r.floorMs.median} | ${r.planOverFloor} | ${role(r.roles.cli, "peakMb")} | ${role(r.roles.program, "peakMb")} | ${role(r.roles.pack, "peakMb")} | ${role(r.roles.program, "cpuMs")} | ${role(r.roles.pack, "cpuMs")} |`,
    ),
    ...(growth ? ["", `Growth N=${growth.from} → ${growth.to}: resources × ${growth.resources}, plan time × ${growth.planMs}.`] : []),
    "",
    `**Pack cold start** (spawn under cmd/run-policy-pack to the Analyzer port), ${packs.runs} runs alternating: policies/ ${packs.packColdStartMs.median} ms ${range(packs.packColdStartMs)}, the empty pack ${packs.emptyPackColdStartMs.median} ms ${range(packs.emptyPackColdStartMs)} (× ${packs.packOverEmpty}); policies/ with its code cache off ${packs.packNoCodeCacheMs.median} ms ${range(packs.packNoCodeCacheMs)} (× ${packs.packNoCodeCacheOverEmpty}).`,
    "",
    suite ? `**\`npm test\`**: ${suite.wallS} s wall (${suite.files} files, ${suite.tests} tests).` : "**`npm test`**: not run (--quick / --no-tests).",
    "",
    "**Shape** (production, in process, bench/worker.ts):",
    "",
    "| N | resources | depth | rotation | decommission |",
    "|---|---|---|---|---|",
    ...shapes.map((s) => `| ${s.n} | ${s.resources} | ${s.depth} | ${s.rotationChanged} | ${s.decommissionChanged} |`),
    "",
    "| target | wanted | measured | met |",
    "|---|---|---|---|",
    ...tgts.map((t) => `| ${t.name} | ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
  ];
  return lines.join("\n");
}

function writeReadmeTable(text: string): void {
  const readme = readFileSync(README, "utf8");
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${TABLE_START} ... ${TABLE_END} markers`);
  writeFileSync(README, `${readme.slice(0, a + TABLE_START.length)}\n${text}\n${readme.slice(b)}`);
}

/**
 * One plan of acme.mainnet with every process profiled through the inspector (bench/selfProfile.ts)
 * and the program's load timeline (bench/timeline.js); summaries printed.
 */
async function profiles(dir: string): Promise<Record<string, unknown>> {
  const d = mkdtempSync(path.join(dir, "prof-"));
  const timeline = path.join(d, "timeline.jsonl");
  await plan(["--stack", MAINNET], dir);
  const r = await timed([BIN, "plan", "--stack", MAINNET], dir, {
    BENCH_PROFILE_DIR: d,
    ZIPNET_BENCH_TIMELINE: timeline,
    NODE_OPTIONS: `--require=${SELF_PROFILE} --require=${TIMELINE}`,
  });
  if (r.code !== 0) throw new Error(`profiled plan exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const out: Record<string, unknown> = { wallMs: round(r.ms) };
  for (const p of r.procs) {
    const file = readdirSync(d).find((f) => f === `CPU.${p.pid}.cpuprofile`);
    if (!file) continue;
    const s: ProfileSummary = summarizeProfile(path.join(d, file), { limit: 12 });
    out[p.role] = { lifetimeMs: p.lifetimeMs, cpuMs: p.cpuMs, sampledMs: s.totalMs, byPackage: s.byPackage, byFunction: s.byFunction };
  }
  out.timeline = existsSync(timeline)
    ? readFileSync(timeline, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
    : [];
  return out;
}

function printProfiles(p: Record<string, any>): void {
  log(`\n== profiled plan of ${MAINNET}: ${p.wallMs} ms wall (under the profiler)`);
  for (const role of ["cli", "program", "pack"]) {
    const s = p[role];
    if (!s) continue;
    log(`\n-- ${role}: lifetime ${s.lifetimeMs} ms, CPU ${s.cpuMs} ms, ${s.sampledMs} ms sampled`);
    for (const [title, rows] of [["package", s.byPackage], ["function", s.byFunction]] as const) {
      log(`  self time by ${title}:`);
      for (const r of rows.slice(0, 12)) log(`    ${String(r.ms).padStart(8)} ms ${String(r.share).padStart(5)} %  ${r.name}`);
    }
  }
  log("\n-- timeline (ms since each process started)");
  for (const t of p.timeline) log(`  ${t.role.padEnd(8)} ${String(t.at).padStart(6)}  ${t.mark}`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  for (const pack of [REAL_PACK, EMPTY_PACK]) if (!existsSync(path.join(pack, "package.json"))) throw new Error(`no policy pack in ${pack}`);
  require("../scripts/build").ensureBuilt();
  const started = Date.now();
  const meta = machine();
  const dir = mkdtempSync(path.join(os.tmpdir(), "zipnet-bench-"));
  try {
    if (opts.measure) {
      const mainnet = await mainnetVsFloor(opts.runs, dir);
      const rows = await sizes(opts.ns, Math.min(opts.runs, 3), dir);
      const packs = await packStarts(opts.runs);
      const shapes = [];
      for (const n of opts.ns) shapes.push(await shape(n, dir));
      const suite = opts.tests ? await testSuite() : undefined;
      meta.loadAvgEnd = os.loadavg().map((x) => round(x, 2));
      meta.wallS = round((Date.now() - started) / 1000);
      const { growth, targets: tgts } = targets(mainnet, rows, suite);
      const text = tables(meta, mainnet, rows, packs, suite, shapes, tgts, growth);
      process.stdout.write(`${text}\n`);
      if (opts.write) {
        const results = { machine: meta, mainnet, sizes: rows, packs, testSuite: suite ?? null, shapes, growth: growth ?? null, targets: tgts };
        writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
        writeReadmeTable(text);
        log(`wrote ${path.relative(ROOT, RESULTS)} and the tables in ${path.relative(ROOT, README)}`);
      }
    }
    if (opts.profile) printProfiles(await profiles(dir));
    log(`bench done in ${round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

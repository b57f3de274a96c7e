/**
 * `npm run bench`: plan and audit cost as instances grow, against the engine's floor (issue 7).
 * What each figure means and how it is measured: bench/README.md.
 *
 *   npm run bench                       the full run (N = 3, 9, 33, 65), writes bench/results.json
 *                                       and the table in bench/README.md
 *   npm run bench -- --quick            N = 3 and 9, 2 runs each, writes nothing
 *   npm run bench -- --ns 9,65 --runs 3 chosen sizes and runs (writes nothing unless --write)
 *   npm run bench -- --profile-only     CPU profiles of plan, floor, audit and empty pack at the
 *                                       largest N (summaries printed), no measurement
 *   npm run bench -- --profile          the measurement, then the profiles
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RecordedResource } from "../src/offline/engine/model";
import { changedResources, dependencyDepth, shortUrn } from "./graph";
import { summarizeProfile, type ProfileSummary } from "./profile";
import { ratio, round, spread, type Spread } from "./stats";
import { mapLimit } from "../src/offline/concurrency";

const ROOT = path.resolve(__dirname, "..");
const WORKER = path.join(__dirname, "worker.ts");
const TSX_CJS = require.resolve("tsx/cjs");
const REAL_PACK = path.join(ROOT, "policies");
const EMPTY_PACK = path.join(ROOT, "test", "fixtures", "empty-pack");
const RESULTS = path.join(__dirname, "results.json");
const README = path.join(__dirname, "README.md");
const TABLE_START = "<!-- bench:table:start -->";
const TABLE_END = "<!-- bench:table:end -->";
const SCENARIOS = ["base", "rotation", "decommission"] as const;
const DECOMMISSIONED = "c2";

interface Options {
  ns: number[];
  runs: (n: number) => number;
  sdkRuns: number;
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
  const fixed = value("--runs") ? Number(value("--runs")) : quick ? 2 : undefined;
  const custom = value("--ns") !== undefined || value("--runs") !== undefined || quick;
  return {
    ns,
    // 5 runs each; 3 at N >= 33, where one plan takes 5-15 s on the reference machine.
    runs: (n) => fixed ?? (n >= 33 ? 3 : 5),
    // floor-sdk is the decomposition of the plan/floor gap, not a target: 2 runs.
    sdkRuns: fixed ? Math.min(fixed, 2) : 2,
    measure: !has("--profile-only"),
    profile: has("--profile") || has("--profile-only"),
    write: has("--write") || (!custom && !has("--profile-only") && !has("--no-write")),
  };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

type WorkerResult = Record<string, any>;

/** Runs one worker process and returns its BENCH_RESULT. */
function runWorker(args: string[], opts: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), "-r", TSX_CJS, WORKER, ...args], {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
      if (code !== 0 || !line) {
        reject(new Error(`worker ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${stderr.trim().split("\n").slice(-20).join("\n")}`));
        return;
      }
      resolve({ ...JSON.parse(line.slice("BENCH_RESULT ".length)), pid: child.pid });
    });
  });
}

function readResources(dir: string, n: number, scenario: string): RecordedResource[] {
  return JSON.parse(readFileSync(path.join(dir, `n${n}.${scenario}.resources.json`), "utf8"));
}

/** Plans the three scenarios of size n (2 at a time: not timed) and computes the shape figures. */
async function prepare(n: number, dir: string): Promise<Record<string, unknown>> {
  const started = Date.now();
  const preps = await mapLimit([...SCENARIOS], 2, (s) => runWorker(["prep", String(n), dir, s]));
  const base = readResources(dir, n, "base");
  const { depth, chain } = dependencyDepth(base);
  const rotation = changedResources(base, readResources(dir, n, "rotation"));
  const decommission = changedResources(base, readResources(dir, n, "decommission"), [DECOMMISSIONED, `c${n + 1}`]);
  const baseByUrn = new Map(base.map((r) => [r.urn, r]));
  const custom = (urns: string[]) => urns.filter((u) => baseByUrn.get(u)?.custom !== false).length;
  const detail = (c: typeof rotation) => [...c.changed.map((u) => `~${shortUrn(u)}`), ...c.added.map((u) => `+${shortUrn(u)}`), ...c.removed.map((u) => `-${shortUrn(u)}`)];
  log(`[n=${n}] prepared ${base.length} resources in ${round((Date.now() - started) / 1000, 1)} s (${preps[0].validation})`);
  return {
    validation: preps[0].validation,
    bypassedRegionIssues: preps[0].bypassedRegionIssues,
    resources: base.length,
    customResources: base.filter((r) => r.custom).length,
    depth,
    depthChain: chain.map(shortUrn),
    rotationChanged: rotation.count,
    rotationDetail: detail(rotation),
    decommissionChanged: decommission.count,
    decommissionChangedCustom: custom(decommission.changed) + decommission.added.length + decommission.removed.length,
    decommissionOwn: decommission.own,
    decommissionDetail: detail(decommission),
  };
}

interface Samples {
  plan: WorkerResult[];
  floor: WorkerResult[];
  floorSdk: WorkerResult[];
  audit: WorkerResult[];
  empty: WorkerResult[];
}

async function measure(n: number, dir: string, opts: Options): Promise<Samples> {
  const s: Samples = { plan: [], floor: [], floorSdk: [], audit: [], empty: [] };
  const runs = opts.runs(n);
  // Interleaved, so background load spreads over every task alike.
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    s.plan.push(await runWorker(["plan", String(n), dir, "1"]));
    s.floor.push(await runWorker(["floor", String(n), dir, "1"]));
    if (i < opts.sdkRuns) s.floorSdk.push(await runWorker(["floor-sdk", String(n), dir, "1"]));
    s.audit.push(await runWorker(["audit", String(n), dir, REAL_PACK]));
    s.empty.push(await runWorker(["audit", String(n), dir, EMPTY_PACK]));
    const last = <T extends WorkerResult>(xs: T[]) => xs[xs.length - 1];
    log(
      `[n=${n} run ${i + 1}/${runs}] plan ${round(last(s.plan).ms)} ms, floor ${round(last(s.floor).ms)} ms` +
        (i < opts.sdkRuns ? `, floor-sdk ${round(last(s.floorSdk).ms)} ms` : "") +
        `, audit ${round(last(s.audit).ms)} ms, empty pack ${round(last(s.empty).ms)} ms` +
        ` (pack start ${last(s.audit).packStartMs} / ${last(s.empty).packStartMs} ms; ${round((Date.now() - started) / 1000, 1)} s)`,
    );
  }
  for (const r of s.floor) if (r.inputMismatches) throw new Error(`floor registered ${r.inputMismatches} resources unlike the plan: ${r.inputMismatchSample.join(", ")}`);
  return s;
}

function row(n: number, shape: Record<string, any>, s: Samples): Record<string, unknown> {
  const ms = (xs: WorkerResult[], key = "ms") => spread(xs.map((x) => x[key]));
  const mb = (xs: WorkerResult[], key: string) => spread(xs.map((x) => x[key]), 1);
  const plan = ms(s.plan);
  const floor = ms(s.floor);
  const floorSdk = s.floorSdk.length ? ms(s.floorSdk) : undefined;
  const audit = ms(s.audit);
  const empty = ms(s.empty);
  const cold = ms(s.audit, "packStartMs");
  const emptyCold = ms(s.empty, "packStartMs");
  const compact = (x: Spread) => ({ min: x.min, max: x.max, ...(x.iqr !== undefined ? { iqr: x.iqr } : {}), samples: x.samples });
  const a = s.audit[0];
  return {
    n,
    planMs: plan.median,
    floorMs: floor.median,
    planOverFloor: ratio(plan.median, floor.median),
    planPeakMb: mb(s.plan, "peakMb").median,
    auditMs: audit.median,
    emptyPackMs: empty.median,
    auditOverEmpty: ratio(audit.median, empty.median),
    packColdStartMs: cold.median,
    depth: shape.depth,
    rotationChanged: shape.rotationChanged,
    decommissionChanged: shape.decommissionChanged,
    // What the figures above are made of.
    resources: shape.resources,
    customResources: shape.customResources,
    validation: shape.validation,
    planMsSpread: compact(plan),
    floorMsSpread: compact(floor),
    planPeakMbSpread: compact(mb(s.plan, "peakMb")),
    floorPeakMb: mb(s.floor, "peakMb").median,
    planRssBeforeMb: mb(s.plan, "rssBeforeMb").median,
    planLoadMs: ms(s.plan, "loadMs").median,
    floorSdkMs: floorSdk?.median,
    floorSdkMsSpread: floorSdk && compact(floorSdk),
    floorSdkPeakMb: s.floorSdk.length ? mb(s.floorSdk, "peakMb").median : undefined,
    planOverFloorSdk: floorSdk ? ratio(plan.median, floorSdk.median) : undefined,
    auditMsSpread: compact(audit),
    emptyPackMsSpread: compact(empty),
    packColdStartMsSpread: compact(cold),
    emptyPackColdStartMs: emptyCold.median,
    emptyPackColdStartMsSpread: compact(emptyCold),
    packPeakMb: mb(s.audit, "packPeakMb").median,
    emptyPackPeakMb: mb(s.empty, "packPeakMb").median,
    auditPolicies: a.policies,
    auditViolations: a.violations,
    auditMandatory: a.mandatory,
    auditMandatorySample: a.mandatorySample,
    depthChain: shape.depthChain,
    rotationDetail: shape.rotationDetail,
    decommissionChangedCustom: shape.decommissionChangedCustom,
    decommissionOwn: shape.decommissionOwn,
    decommissionDetail: shape.decommissionDetail,
    bypassedRegionIssues: shape.bypassedRegionIssues,
  };
}

interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

function targets(rows: Record<string, any>[]): { growth: Record<string, unknown>; targets: Target[] } {
  const at = (n: number) => rows.find((r) => r.n === n);
  const big = at(65) ?? rows[rows.length - 1];
  const small = (at(9) !== big ? at(9) : undefined) ?? rows[0];
  const out: Target[] = [];
  out.push({ name: `plan/floor at N=${big.n}`, target: "<= 1.3", value: String(big.planOverFloor), met: big.planOverFloor <= 1.3 });
  out.push({ name: `audit/empty pack at N=${big.n}`, target: "<= 1.5", value: String(big.auditOverEmpty), met: big.auditOverEmpty <= 1.5 });
  const nGrowth = big.n / small.n;
  const growth: Record<string, unknown> = { from: small.n, to: big.n, nRatio: round(nGrowth, 2), resourcesRatio: ratio(big.resources, small.resources) };
  for (const key of ["planMs", "floorMs", "floorSdkMs", "auditMs", "emptyPackMs", "planPeakMb"]) {
    if (typeof big[key] === "number" && typeof small[key] === "number") growth[key] = ratio(big[key], small[key]);
  }
  for (const key of ["planMs", "auditMs"]) {
    const g = growth[key] as number;
    out.push({ name: `${key} growth N=${small.n} -> ${big.n}`, target: `<= ${round(nGrowth, 2)} (linear in N)`, value: `${g}`, met: g <= nGrowth });
  }
  const depths = [...new Set(rows.map((r) => r.depth))];
  out.push({ name: "dependency depth", target: "the same for every N", value: depths.join(", "), met: depths.length === 1 });
  const rotations = [...new Set(rows.map((r) => r.rotationChanged))];
  out.push({ name: "rotation changes", target: "2 for every N", value: rotations.join(", "), met: rotations.length === 1 && rotations[0] === 2 });
  const decommissions = [...new Set(rows.map((r) => r.decommissionChanged))];
  out.push({ name: "decommission changes beyond the node's own", target: "the same for every N", value: decommissions.join(", "), met: decommissions.length === 1 });
  return { growth, targets: out };
}

function machine(): Record<string, unknown> {
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

function table(rows: Record<string, any>[], tgts: Target[], growth: Record<string, any>, meta: Record<string, any>): string {
  const head = ["N", "resources", "plan ms", "floor ms", "plan/floor", "floor-sdk ms", "plan/floor-sdk", "plan peak MB", "audit ms", "empty pack ms", "audit/empty", "pack cold start ms", "depth", "rotation", "decommission"];
  const range = (x: Spread | { min: number; max: number } | undefined) => (x ? ` (${x.min}–${x.max})` : "");
  const lines = [
    `Run of ${meta.date.slice(0, 10)} on ${meta.cpus} × ${meta.cpuModel}, ${meta.memGb} GB, Node ${meta.node}; load average ${meta.loadAvgStart.join(" / ")} at the start, ${meta.loadAvgEnd.join(" / ")} at the end; ${meta.wallS} s in all. Medians, (min–max) over the runs.`,
    "",
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map(
      (r) =>
        `| ${[
          r.n,
          r.resources,
          `${r.planMs}${range(r.planMsSpread)}`,
          `${r.floorMs}${range(r.floorMsSpread)}`,
          r.planOverFloor,
          r.floorSdkMs !== undefined ? `${r.floorSdkMs}${range(r.floorSdkMsSpread)}` : "–",
          r.planOverFloorSdk ?? "–",
          r.planPeakMb,
          `${r.auditMs}${range(r.auditMsSpread)}`,
          `${r.emptyPackMs}${range(r.emptyPackMsSpread)}`,
          r.auditOverEmpty,
          `${r.packColdStartMs}${range(r.packColdStartMsSpread)}`,
          r.depth,
          r.rotationChanged,
          r.decommissionChanged,
        ].join(" | ")} |`,
    ),
    "",
    `Growth N=${growth.from} → ${growth.to} (N × ${growth.nRatio}, resources × ${growth.resourcesRatio}): plan × ${growth.planMs}, floor × ${growth.floorMs}` +
      (growth.floorSdkMs !== undefined ? `, floor-sdk × ${growth.floorSdkMs}` : "") +
      `, audit × ${growth.auditMs}, empty pack × ${growth.emptyPackMs}, plan peak memory × ${growth.planPeakMb}.`,
    "",
    "| target | wanted | measured | met |",
    "|---|---|---|---|",
    ...tgts.map((t) => `| ${t.name} | ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
  ];
  return lines.join("\n");
}

function writeReadmeTable(text: string): void {
  if (!existsSync(README)) return log("bench/README.md missing: table not written");
  const readme = readFileSync(README, "utf8");
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) return log(`bench/README.md has no ${TABLE_START} ... ${TABLE_END} markers: table not written`);
  writeFileSync(README, `${readme.slice(0, a + TABLE_START.length)}\n${text}\n${readme.slice(b)}`);
}

/** CPU profiles of one plan, floor, floor-sdk, audit and empty-pack audit at size n; self-time summaries. */
async function profiles(n: number, dir: string): Promise<Record<string, { totalMs: number; byPackage: ProfileSummary["byPackage"]; byFunction: ProfileSummary["byFunction"] }>> {
  const out: Record<string, any> = {};
  const window = (file: string, startUs: number, endUs: number) => {
    const start = (JSON.parse(readFileSync(file, "utf8")) as { startTime: number }).startTime;
    return summarizeProfile(file, { fromMs: (startUs - start) / 1000, toMs: (endUs - start) / 1000, limit: 15 });
  };
  const profileOf = (d: string, pid: number) => {
    const f = readdirSync(d).find((x) => x.includes(`.${pid}.`) && x.endsWith(".cpuprofile"));
    if (!f) throw new Error(`no CPU profile of process ${pid} in ${d}`);
    return path.join(d, f);
  };
  for (const task of ["plan", "floor", "floor-sdk"]) {
    const d = mkdtempSync(path.join(dir, `prof-${task}-`));
    const r = await runWorker([task, String(n), dir, "1"], { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${d}`] });
    const s = window(profileOf(d, r.pid), r.window.startUs, r.window.endUs);
    out[task] = { ms: round(r.ms), totalMs: s.totalMs, byPackage: s.byPackage, byFile: s.byFile, byFunction: s.byFunction };
    log(`[profile n=${n}] ${task}: ${round(r.ms)} ms under the profiler`);
  }
  for (const [task, pack] of [["audit (pack process)", REAL_PACK], ["empty pack (pack process)", EMPTY_PACK]] as const) {
    const d = mkdtempSync(path.join(dir, "prof-pack-"));
    // The pack is spawned by the audit: it inherits the environment, so it is profiled through the inspector.
    const env = { ...process.env, BENCH_PROFILE_DIR: d, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${path.join(__dirname, "selfProfile.ts")}`.trim() };
    const r = await runWorker(["audit", String(n), dir, pack], { env });
    const pack_ = window(profileOf(d, r.packPid), r.window.startUs, r.window.endUs);
    const driver = window(profileOf(d, r.pid), r.window.startUs, r.window.endUs);
    out[task] = { ms: round(r.ms), totalMs: pack_.totalMs, byPackage: pack_.byPackage, byFile: pack_.byFile, byFunction: pack_.byFunction };
    out[task.replace("pack process", "driver process")] = { totalMs: driver.totalMs, byPackage: driver.byPackage, byFunction: driver.byFunction };
    log(`[profile n=${n}] ${task}: ${round(r.ms)} ms under the profiler`);
  }
  return out;
}

function printProfiles(p: Record<string, any>): void {
  for (const [task, s] of Object.entries(p)) {
    log(`\n== ${task}: ${s.totalMs} ms of samples in the timed window`);
    for (const [title, rows] of [["package", s.byPackage], ["file", s.byFile], ["function", s.byFunction]] as const) {
      if (!rows) continue;
      log(`  self time by ${title}:`);
      for (const r of rows.slice(0, 12)) log(`    ${String(r.ms).padStart(8)} ms ${String(r.share).padStart(5)} %  ${r.name}`);
    }
  }
}

interface EndToEnd {
  stack: string;
  runs: number;
  wallMs: Spread;
  /** Peak RSS per process role (median over the runs), and their sum: an upper bound of the path's peak. */
  peakMb: { cli: number; program: number; pack: number; sum: number };
}

/**
 * `plan` as an operator runs it, end to end: `node bin/infra.js plan --stack S` (the program
 * under cmd/run against the offline engine, the pack under cmd/run-policy-pack), wall time from
 * spawn to exit, and each process's peak RSS (bench/procstat.js, preloaded into all three).
 */
async function endToEnd(stack: string, runs: number, dir: string): Promise<EndToEnd> {
  const walls: number[] = [];
  const peaks: Record<"cli" | "program" | "pack", number[]> = { cli: [], program: [], pack: [] };
  for (let i = 0; i < runs; i++) {
    const stat = path.join(dir, `procstat-${stack}-${i}.jsonl`);
    const env = { ...process.env, ZIPNET_BENCH_PROCSTAT: stat, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require=${path.join(__dirname, "procstat.js")}`.trim() };
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, "bin", "infra.js"), "plan", "--stack", stack], { cwd: ROOT, env, stdio: "ignore" });
      child.once("error", reject);
      child.once("exit", resolve);
    });
    walls.push(performance.now() - started);
    if (code !== 0) throw new Error(`plan --stack ${stack} exited ${code}`);
    for (const line of readFileSync(stat, "utf8").trim().split("\n")) {
      const p = JSON.parse(line) as { role: "cli" | "program" | "pack"; peakMb: number };
      peaks[p.role].push(p.peakMb);
    }
  }
  const median = (xs: number[]) => spread(xs).median;
  const peakMb = { cli: median(peaks.cli), program: median(peaks.program), pack: median(peaks.pack), sum: 0 };
  peakMb.sum = peakMb.cli + peakMb.program + peakMb.pack;
  return { stack, runs, wallMs: spread(walls), peakMb };
}

function endToEndTable(rows: EndToEnd[]): string {
  return [
    "`plan` end to end (`node bin/infra.js plan --stack S`: the program under cmd/run, the pack under cmd/run-policy-pack). Medians, (min–max).",
    "",
    "| stack | runs | wall ms | CLI peak MB | program peak MB | pack peak MB | sum of peaks MB |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.stack} | ${r.runs} | ${r.wallMs.median} (${r.wallMs.min}–${r.wallMs.max}) | ${r.peakMb.cli} | ${r.peakMb.program} | ${r.peakMb.pack} | ${r.peakMb.sum} |`),
  ].join("\n");
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  for (const pack of [REAL_PACK, EMPTY_PACK]) if (!existsSync(path.join(pack, "package.json"))) throw new Error(`no policy pack in ${pack}`);
  const started = Date.now();
  const meta = machine();
  const dir = mkdtempSync(path.join(os.tmpdir(), "zipnet-bench-"));
  try {
    const rows: Record<string, any>[] = [];
    if (opts.measure) {
      for (const n of opts.ns) {
        const shape = await prepare(n, dir);
        const samples = await measure(n, dir, opts);
        rows.push(row(n, shape, samples));
      }
      meta.loadAvgEnd = os.loadavg().map((x) => round(x, 2));
      meta.wallS = round((Date.now() - started) / 1000);
      const e2e: EndToEnd[] = [];
      for (const stack of ["acme.mainnet", "acme.preview"]) e2e.push(await endToEnd(stack, opts.runs(3), dir));
      const { growth, targets: tgts } = targets(rows);
      const text = `${endToEndTable(e2e)}\n\n${table(rows, tgts, growth, meta)}`;
      process.stdout.write(`${text}\n`);
      if (opts.write) {
        const results = {
          machine: meta,
          runs: {
            perN: Object.fromEntries(opts.ns.map((n) => [n, opts.runs(n)])),
            floorSdkPerN: opts.sdkRuns,
            note: "each run of each task is a fresh process; plan/floor time the program run only (modules loaded first); audits time auditStates after the pack printed its port",
          },
          packColdStartMs: spread(rows.flatMap((r) => r.packColdStartMsSpread.samples)).median,
          emptyPackColdStartMs: spread(rows.flatMap((r) => r.emptyPackColdStartMsSpread.samples)).median,
          endToEnd: e2e,
          results: rows,
          growth,
          targets: tgts,
        };
        writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
        writeReadmeTable(text);
        log(`wrote ${path.relative(ROOT, RESULTS)} and the table in ${path.relative(ROOT, README)}`);
      }
    }
    if (opts.profile) {
      const n = Math.max(...opts.ns);
      if (!opts.measure) await prepare(n, dir);
      printProfiles(await profiles(n, dir));
    }
    log(`bench done in ${round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

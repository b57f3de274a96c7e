/**
 * Summaries of a V8 CPU profile (`node --cpu-prof`): self time per function and per source
 * file / package, optionally restricted to a time window (the timed run).
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: SelfTime[];
  byFile: SelfTime[];
  byPackage: SelfTime[];
}

/** Where a frame's code lives: `@pulumi/pulumi/runtime/rpc.js`, `src/nodes/gcp.ts`, `(gc)`, `node:internal/...`. */
function fileOf(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) return u.slice(nm + "node_modules/".length);
  const root = u.indexOf("/work/main/");
  return root >= 0 ? u.slice(root + "/work/main/".length) : u;
}

function packageOf(file: string): string {
  if (file.startsWith("(")) return file;
  if (file.startsWith("node:")) return "node (internals)";
  if (file.startsWith("@")) return file.split("/").slice(0, 2).join("/");
  if (file.startsWith("src/") || file.startsWith("bench/") || file.startsWith("policies/")) return `${file.split("/").slice(0, 2).join("/")}`;
  return file.split("/")[0];
}

function top(map: Map<string, number>, total: number, limit: number): SelfTime[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / total) * 1000) / 10 }));
}

/**
 * Self time of every function, file and package in `file`, from `fromMs` to `toMs` after the
 * profile's start (whole profile by default).
 */
export function summarizeProfile(file: string, opts: { fromMs?: number; toMs?: number; limit?: number } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  const pkgs = new Map<string, number>();
  let t = 0;
  let total = 0;
  const from = (opts.fromMs ?? 0) * 1000;
  const to = (opts.toMs ?? Infinity) * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") {
      pkgs.set(functionName, (pkgs.get(functionName) ?? 0) + delta);
      total += delta;
      continue;
    }
    const where = fileOf(url, functionName);
    const name = `${functionName || "(anonymous)"} ${where}${url ? `:${lineNumber + 1}` : ""}`;
    fn.set(name, (fn.get(name) ?? 0) + delta);
    files.set(where, (files.get(where) ?? 0) + delta);
    pkgs.set(packageOf(where), (pkgs.get(packageOf(where)) ?? 0) + delta);
    total += delta;
  }
  const limit = opts.limit ?? 15;
  return { totalMs: Math.round(total / 1000), byFunction: top(fn, total, limit), byFile: top(files, total, limit), byPackage: top(pkgs, total, limit) };
}

if (require.main === module) {
  const [file, from, to] = process.argv.slice(2);
  const s = summarizeProfile(file, { fromMs: from ? Number(from) : undefined, toMs: to ? Number(to) : undefined, limit: 25 });
  console.log(`total ${s.totalMs} ms`);
  for (const [title, rows] of [["package", s.byPackage], ["file", s.byFile], ["function", s.byFunction]] as const) {
    console.log(`\nself time by ${title}:`);
    for (const r of rows) console.log(`  ${String(r.ms).padStart(8)} ms ${String(r.share).padStart(5)}%  ${r.name}`);
  }
}

/**
 * Robustness: seeded random damage to the example plans (values replaced by the unknown
 * sentinel, deleted, or replaced by a value of the wrong type, in resources and providers)
 * never makes a check fail (a TypeError inside a check is reported as a violation, "the check
 * could not judge it": here there must be none), and what a check cannot read it says it cannot
 * judge yet, at the advisory level only.
 */
import { describe, expect, it } from "vitest";
import { UNKNOWN, loadPlan, runPolicies, type Plan, type PlanResource } from "./harness";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Slot = { parent: any; key: string | number };

function slots(v: any, out: Slot[] = [], depth = 0): Slot[] {
  if (depth > 8 || v === null || typeof v !== "object") return out;
  for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) {
    out.push({ parent: v, key });
    slots(v[key], out, depth + 1);
  }
  return out;
}

const WRONG = [0, -1, "", "garbage", [], {}, true, null, [UNKNOWN], { x: UNKNOWN }, "1.2.3.4/99", 1e9];

function damage(plan: Plan, rand: () => number, edits: number): Set<PlanResource> {
  const touched = new Set<PlanResource>();
  for (let i = 0; i < edits; i++) {
    const r = plan[Math.floor(rand() * plan.length)];
    const all = slots(r.inputs);
    if (all.length === 0) continue;
    const { parent, key } = all[Math.floor(rand() * all.length)];
    const what = rand();
    if (what < 0.4) parent[key] = UNKNOWN;
    else if (what < 0.7) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else parent[key] = structuredClone(WRONG[Math.floor(rand() * WRONG.length)]);
    touched.add(r);
    // Resources that use a damaged provider are judged again too.
    if (r.type.startsWith("pulumi:providers:")) for (const x of plan) if (x.provider.startsWith(`${r.urn}::`)) touched.add(x);
  }
  return touched;
}

describe("robustness under unknown, missing and mistyped values", () => {
  for (const stack of ["acme.mainnet", "acme.preview"]) {
    it(`${stack}: 120 seeded cases of 4 edits each: no throw, no swallowed error`, async () => {
      const base = await loadPlan(stack);
      const rand = rng(stack === "acme.mainnet" ? 20261124 : 424242);
      const failures: string[] = [];
      for (let c = 0; c < 120; c++) {
        const plan = structuredClone(base);
        const touched = damage(plan, rand, 4);
        const res = await runPolicies(plan, { only: touched });
        for (const e of res.errors) failures.push(`case ${c}: ${e.policy}: ${(e.error as Error)?.message ?? String(e.error)}`);
        for (const d of res.diagnostics) {
          if (d.message.startsWith("can't run") && d.level !== "advisory") failures.push(`case ${c}: ${d.policy}: a cannot-judge at ${d.level}: ${d.message}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it("whole resources replaced by unknowns or emptied: no throw", async () => {
    const base = await loadPlan("acme.mainnet");
    for (const mode of ["unknown", "empty"] as const) {
      const plan = structuredClone(base);
      for (const r of plan) {
        for (const k of Object.keys(r.inputs)) {
          if (mode === "unknown") r.inputs[k] = UNKNOWN;
          else delete r.inputs[k];
        }
      }
      const res = await runPolicies(plan);
      expect(res.errors).toEqual([]);
      // nothing readable: the checks say so (advisory), they never pass it silently
      const unsure = res.diagnostics.filter((d) => d.message.startsWith("can't run"));
      if (mode === "unknown") expect(unsure.length).toBeGreaterThan(0);
      expect(unsure.filter((d) => d.level !== "advisory")).toEqual([]);
    }
  });
});

/**
 * `audit` of real stack exports (docs/engine.md): versions 3 and 4, encrypted secrets and
 * `--show-secrets` plaintext reach the same verdicts as the plan of the same stack, through the
 * pack as the CLI runs it; nothing is renamed or rewritten on the way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPolicyPack, type PolicyPackClient } from "../src/offline/analyzer";
import { AuditInputError, DEFAULT_PACK_DIR, asStateFile, auditPlan, auditStates, type AuditResult } from "../src/offline/audit";
import type { Plan } from "../src/offline/plan";
import { EXAMPLE_STACKS, examplePlan } from "./support/plans";
import { exportOf, type ExportKind } from "./support/exports";

let pack: PolicyPackClient;
const plans: Record<string, Plan> = {};
const verdicts: Record<string, AuditResult> = {};

beforeAll(async () => {
  pack = await startPolicyPack(DEFAULT_PACK_DIR);
  for (const stack of EXAMPLE_STACKS) {
    plans[stack] = await examplePlan(stack);
    verdicts[stack] = await auditPlan(plans[stack], { client: pack });
  }
}, 120_000);

afterAll(async () => {
  await pack?.close();
});

const summary = (r: AuditResult) => ({
  violations: r.violations.map((v) => `${v.level} ${v.policy} ${v.urn} ${v.message}`).sort(),
  statuses: r.checklist.map((c) => `${c.id}=${c.status}`),
});

const KINDS: ExportKind[] = ["v3", "v4", "encrypted", "show-secrets"];

describe("real stack exports give the plan's verdicts", () => {
  it.each(EXAMPLE_STACKS.flatMap((stack) => KINDS.map((kind) => [stack, kind] as const)))("%s as a %s export", async (stack, kind) => {
    const state = exportOf(plans[stack], kind);
    // the document the CLI writes, as this audit reads it
    const doc = JSON.parse(JSON.stringify(state));
    expect(doc.version).toBe(kind === "v3" ? 3 : 4);
    if (kind !== "v3") expect(doc.features).toEqual(["hooks"]);
    const result = await auditStates([{ label: `${stack}.${kind}.json`, state: asStateFile(doc, "export") }], { client: pack });
    expect(summary(result)).toEqual(summary(verdicts[stack]));
    // policy names and messages reach the output unaltered (no secret scrubbing of labels)
    expect(result.violations.map((v) => v.message).join("\n")).not.toContain("[secret]");
  });

  it("skips resources pending deletion and reports pending operations as not judged", async () => {
    const state = exportOf(plans["acme.mainnet"], "v4");
    const vm = state.deployment.resources.find((r) => r.urn.endsWith("::c1-vm"))!;
    // an old VM waiting to be deleted, with SSH open: not live, not judged
    const old = structuredClone(vm);
    Object.assign(old, { delete: true, id: "projects/acme-zipnet-c1/zones/us-east4-a/instances/c1-vm-old" });
    delete (old.inputs as Record<string, unknown>).confidentialInstanceConfig;
    state.deployment.resources.push(old);
    state.deployment.pending_operations = [{ resource: structuredClone(vm), type: "updating" }];
    const result = await auditStates([{ label: "interrupted.json", state }], { client: pack });
    expect(summary(result)).toEqual(summary(verdicts["acme.mainnet"]));
    expect(result.notes).toEqual([
      expect.stringMatching(/^interrupted\.json: 1 pending operation\(s\) of an interrupted update \(updating urn:pulumi:acme\.mainnet::zipnet-infra::.*::c1-vm\): not judged/),
      expect.stringMatching(/^interrupted\.json: 1 resource\(s\) pending deletion \(delete: true; urn:pulumi:acme\.mainnet::zipnet-infra::.*::c1-vm\): still in the cloud and not judged/),
    ]);
  });

  it("refuses versions and features it does not know, naming them", () => {
    const state = JSON.parse(JSON.stringify(exportOf(plans["acme.mainnet"], "v4")));
    expect(() => asStateFile({ ...state, version: 5 }, "x.json")).toThrow(new AuditInputError("x.json: version: expected a version 3 or 4 deployment, found version 5"));
    expect(() => asStateFile({ ...state, features: ["hooks", "teleport"] }, "x.json")).toThrow(/x\.json: features: expected features this audit knows .*, found \["teleport"\]/);
  });
});

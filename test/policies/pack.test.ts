import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { CHECKLIST, CHECKLIST_SECTIONS, checklistBySection } from "../../policies/contract/checklist";
import { ALL_POLICIES, POLICY_CATALOG, checklistIdOf } from "../../policies/pack";
import { loadPlan, mandatory, runPolicies, show } from "./harness";

describe("policy pack catalog", () => {
  it("covers every checklist id, by the mechanism column", () => {
    const byId = new Map<string, typeof POLICY_CATALOG[number][]>();
    for (const p of POLICY_CATALOG) byId.set(p.checklistId, [...(byId.get(p.checklistId) ?? []), p]);
    for (const item of CHECKLIST) {
      const ps = byId.get(item.id) ?? [];
      expect(ps.length, item.id).toBeGreaterThan(0);
      if (item.mechanism === "enforce") {
        // mandatory for production, at least advisory for devtest
        expect(ps.some((p) => p.enforcementLevel === "mandatory"), item.id).toBe(true);
      }
    }
    expect(new Set(POLICY_CATALOG.map((p) => p.checklistId)).size).toBe(36);
  });

  it("names policies <checklist id>[:aspect][:devtest], uniquely, with a description and level", () => {
    const names = new Set<string>();
    for (const p of ALL_POLICIES) {
      expect(names.has(p.name), p.name).toBe(false);
      names.add(p.name);
      expect(checklistIdOf(p.name)).toBe(p.checklistId);
      expect(p.name).toMatch(/^[a-z]+\.[a-z-]+(:[a-z-]+)*$/);
      expect(p.description.length).toBeGreaterThan(20);
      expect(["mandatory", "advisory"]).toContain(p.enforcementLevel);
      if (p.name.endsWith(":devtest")) {
        expect(p.enforcementLevel).toBe("advisory");
        expect(names.has(p.name.slice(0, -":devtest".length))).toBe(true);
      }
    }
  });

  it("gives every enforced item's production policy a devtest twin (at least advisory for devtest)", () => {
    // production-only by nature: the devtest posture itself, and the archive and signed registry (devtest instances need neither)
    const devtestOnlyOrProductionOnly = new Set(["devtest.not-production", "audit.broadcast-archive", "audit.peer-registry"]);
    for (const item of CHECKLIST.filter((c) => c.mechanism === "enforce" && !devtestOnlyOrProductionOnly.has(c.id))) {
      const names = POLICY_CATALOG.filter((p) => p.checklistId === item.id).map((p) => p.name);
      expect(names.some((n) => n.endsWith(":devtest")), `${item.id}: ${names.join(", ")}`).toBe(true);
    }
  });

  it("policies/README.md lists every policy (twins under their production policy) with its checklist id", () => {
    const doc = readFileSync(path.join(__dirname, "..", "..", "policies", "README.md"), "utf8");
    const rows = new Map([...doc.matchAll(/^\| `([^`]+)` \| `([^`]+)` /gm)].map((m) => [m[1], m[2]]));
    const expected = new Map(POLICY_CATALOG.filter((p) => !p.name.endsWith(":devtest")).map((p) => [p.name, p.checklistId]));
    expect(rows).toEqual(expected);
  });

  it("groups the 36 items in the checklist's sections, each once, in the checklist's order", () => {
    expect(checklistBySection().flatMap((s) => s.items.map((i) => i.id))).toEqual(CHECKLIST.map((c) => c.id));
    expect(checklistBySection().every((s) => s.items.length > 0)).toBe(true);
  });

  it("docs/checklist.md (what the README links; a clone has no ../shared) is the contract's, current", () => {
    const root = path.join(__dirname, "..", "..");
    const doc = readFileSync(path.join(root, "docs", "checklist.md"), "utf8");
    expect([...doc.matchAll(/^\| (\d+) \| `([^`]+)` \|/gm)].map((m) => m[2])).toEqual(CHECKLIST.map((c) => c.id));
    expect([...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual(CHECKLIST_SECTIONS.map((s) => s.title));
    const check = spawnSync(process.execPath, [path.join(root, "scripts", "checklist-doc.js"), "--check"], { encoding: "utf8" });
    expect([check.status, check.stderr]).toEqual([0, ""]);
  });

  it("has a pure catalog matching the policies", () => {
    expect(POLICY_CATALOG.map((p) => p.name)).toEqual(ALL_POLICIES.map((p) => p.name));
    for (const p of POLICY_CATALOG) expect(["resource", "stack"]).toContain(p.kind);
  });
});

describe("unmutated example stacks", () => {
  it("acme.mainnet (production) has no mandatory violation and only the same-cloud advice", async () => {
    const res = await runPolicies(await loadPlan("acme.mainnet"));
    expect(res.errors).toEqual([]);
    expect(show(mandatory(res))).toBe("");
    // All three on GCP, the one cloud whose TDX guests produce mosaik tickets: no cloud advice.
    expect(res.diagnostics.map((d) => d.policy)).toEqual([]);
  });

  it("acme.preview (devtest) has no mandatory violation; its advisories are missing devtest attestations and acknowledgements", async () => {
    const res = await runPolicies(await loadPlan("acme.preview"));
    expect(res.errors).toEqual([]);
    expect(show(mandatory(res))).toBe("");
    for (const d of res.diagnostics) expect(d.policy).toMatch(/:devtest$/);
    expect(new Set(res.diagnostics.map((d) => d.checklistId))).toEqual(
      new Set([
        // (the client items do not apply: acme.preview runs clients without TDX, no client MR_TDs)
        "identity.universe", "secret.rotation", "secret.access-audited", "ops.break-glass", "ops.ticket-revocation",
        "risk.iroh-metadata", "risk.cross-instance-correlation", "risk.message-length", "risk.participant-disclosure",
      ]),
    );
  });

  it("messages name the resource, the property path, what was expected and what was found", async () => {
    const res = await runPolicies(await loadPlan("acme.preview"));
    for (const d of res.diagnostics) expect(d.message).toMatch(/^[^:]+: .+: expected .+, found .+/);
  });
});

describe("policy factories", () => {
  it("fail closed: a check that throws is a violation naming the policy's subject and the error, at the policy's level", async () => {
    const { resourcePolicies, stackPolicies, CHECK_FAILED } = await import("../../policies/src/core/policy");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { unknownCheckingProxy, UnknownValueError } = require("@pulumi/policy/proxy");
    const [prod, dev] = resourcePolicies({
      checklistId: "ops.oncall", aspect: "test", description: "test policy", levels: "split",
      check(r) {
        (r.props as any).missing.deeper = 1; // TypeError
      },
    });
    expect(prod.enforcementLevel).toBe("mandatory");
    const reports: string[] = [];
    const args: any = { type: "x:y:Z", urn: "urn:pulumi:s::p::x:y:Z::n", name: "n", props: unknownCheckingProxy({ a: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }), opts: { protect: false }, getConfig: () => ({}) };
    (prod.validateResource as any)(args, (m: string) => reports.push(m));
    (dev.validateResource as any)(args, (m: string) => reports.push(m));
    // only the production twin ran (no posture label = production), and it reported the failure
    expect(reports).toEqual([expect.stringMatching(new RegExp(`^n: ${CHECK_FAILED}: Cannot set propert`))]);

    // A value unknown during preview is not a failure: the check says it cannot judge it yet,
    // by the framework's UnknownValueError (reported by the framework as an advisory).
    const [unsure] = resourcePolicies({
      checklistId: "ops.oncall", aspect: "unsure", description: "test policy", levels: "advisory",
      check(_r, ctx) {
        ctx.unknown("labels.zipnet-oncall");
      },
    });
    expect(() => (unsure.validateResource as any)(args, () => undefined)).toThrow(UnknownValueError);

    const [stack] = stackPolicies({
      checklistId: "ops.oncall", aspect: "test", description: "test policy", levels: "advisory",
      check(m, ctx) {
        ctx.each([{ urn: "urn:pulumi:s::p::x:y:Z::a", name: "a" }, { urn: "urn:pulumi:s::p::x:y:Z::b", name: "b" }], (item) => {
          if (item.name === "a") throw new RangeError("evaluator crashed");
          ctx.fail(undefined, "x", "y", "z", { urn: item.urn });
        });
        void m;
      },
    });
    const stackReports: Array<[string, string | undefined]> = [];
    (stack.validateStack as any)({ resources: [], getConfig: () => ({}) }, (msg: string, urn?: string) => stackReports.push([msg, urn]));
    // the crashing item is a violation naming it; the other item is still judged
    expect(stackReports).toEqual([
      [`a: ${CHECK_FAILED}: evaluator crashed`, "urn:pulumi:s::p::x:y:Z::a"],
      [expect.stringMatching(/: x: expected y, found "z"$/), "urn:pulumi:s::p::x:y:Z::b"],
    ]);
  });

  it("reads props through the framework's proxy without tripping over unknowns", async () => {
    const { plain, UNKNOWN } = await import("../../policies/src/core/values");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { unknownCheckingProxy } = require("@pulumi/policy/proxy");
    const p = unknownCheckingProxy({ a: { b: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", c: [1, "3eeb2bf0-c639-47a8-9e75-3b44932eb421"] } });
    expect(plain(p)).toEqual({ a: { b: UNKNOWN, c: [1, UNKNOWN] } });
  });
});

describe("stack policies as the CLI runs them (component outputs, no posture record)", () => {
  for (const stack of ["acme.mainnet", "acme.preview"]) {
    it(`${stack}: no mandatory violation when the record is not visible; a broken firewall is still caught`, async () => {
      const { byName, addResource } = await import("./harness");
      const plan = await loadPlan(stack);
      const inst = plan.find((r) => r.type === "zipnet:index:ZipnetInstance")!;
      inst.inputs = { instanceName: inst.inputs.name, nodes: {} };
      const res = await runPolicies(plan, { resources: false });
      expect(res.errors).toEqual([]);
      expect(show(mandatory(res))).toBe("");
      if (stack === "acme.preview") {
        // the devtest posture still comes from the labels: advisories, never mandatory
        const sg = byName(plan, "p3-sg");
        addResource(plan, sg, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "p3-ssh", { securityGroupId: "p3-sg", ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });
        const broken = await runPolicies(plan, { resources: false });
        expect(mandatory(broken)).toEqual([]);
        expect(broken.diagnostics.filter((d) => d.policy === "committee.ingress:devtest")).toHaveLength(1);
      } else {
        const fw = byName(plan, "c1-fw-iroh");
        addResource(plan, fw, fw.type, "c1-fw-ssh", { network: fw.inputs.network, direction: "INGRESS", allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"] });
        const broken = await runPolicies(plan, { resources: false });
        expect(mandatory(broken).map((d) => d.policy)).toEqual(["committee.ingress"]);
      }
    });
  }
});

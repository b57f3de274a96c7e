import { describe, expect, it } from "vitest";
import { CHECKLIST } from "../../policies/contract/checklist";
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
    expect(res.diagnostics.map((d) => d.policy)).toEqual(["committee.fault-domains:advice"]); // c1 and c3 both on GCP
  });

  it("acme.preview (devtest) has no mandatory violation; its advisories are missing devtest attestations", async () => {
    const res = await runPolicies(await loadPlan("acme.preview"));
    expect(res.errors).toEqual([]);
    expect(show(mandatory(res))).toBe("");
    for (const d of res.diagnostics) expect(d.policy).toMatch(/:devtest$/);
    expect(new Set(res.diagnostics.map((d) => d.checklistId))).toEqual(
      new Set(["identity.universe", "secret.rotation", "secret.access-audited", "client.reproducible", "client.quote-expiry-monitored", "client.rebuild-cadence", "ops.break-glass", "ops.ticket-revocation"]),
    );
  });

  it("messages name the resource, the property path, what was expected and what was found", async () => {
    const res = await runPolicies(await loadPlan("acme.preview"));
    for (const d of res.diagnostics) expect(d.message).toMatch(/^[^:]+: .+: expected .+, found .+/);
  });
});

describe("policy factories", () => {
  it("never throw: a check's error (even the framework's UnknownValueError) is swallowed and reported to the hook", async () => {
    const { resourcePolicies, stackPolicies, setErrorHook } = await import("../../policies/src/core/policy");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { unknownCheckingProxy } = require("@pulumi/policy/proxy");
    const seen: string[] = [];
    setErrorHook((policy, e) => seen.push(`${policy}: ${(e as Error).message}`));
    try {
      const [prod, dev] = resourcePolicies({
        checklistId: "ops.oncall", aspect: "test", description: "test policy", levels: "split",
        check(r) {
          (r.props as any).missing.deeper = 1; // TypeError
        },
      });
      const reports: string[] = [];
      const args: any = { type: "x:y:Z", urn: "urn:pulumi:s::p::x:y:Z::n", name: "n", props: unknownCheckingProxy({ a: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }), opts: { protect: false }, getConfig: () => ({}) };
      expect(() => (prod.validateResource as any)(args, (m: string) => reports.push(m))).not.toThrow();
      expect(() => (dev.validateResource as any)(args, (m: string) => reports.push(m))).not.toThrow();
      expect(reports).toEqual([]);
      expect(seen).toHaveLength(1); // only the production twin ran (no posture label = production)
      const [stack] = stackPolicies({
        checklistId: "ops.oncall", aspect: "test", description: "test policy", levels: "advisory",
        check() {
          // reading through the framework's proxy throws its UnknownValueError: skipped silently
          void (unknownCheckingProxy({ a: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }) as any).a;
        },
      });
      expect(() => (stack.validateStack as any)({ resources: [], getConfig: () => ({}) }, () => undefined)).not.toThrow();
      expect(seen).toHaveLength(1);
    } finally {
      setErrorHook();
    }
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

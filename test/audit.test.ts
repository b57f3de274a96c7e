/**
 * The offline audit: the example plans judged through the Analyzer protocol (the test pack for
 * the mechanics, the real pack under policies/ once it exists), the cross-instance checks, the
 * state-only retainOnDelete check, the checklist statuses, the JSON shape and the CLI's exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main";
import { readStackConfig, stackFilePath } from "../src/config/stackFile";
import { parseInstanceConfig } from "../src/config/validate";
import { CHECKLIST } from "../policies/contract/checklist";
import { SECRET_SIG, SECRET_SIG_KEY as SIG_KEY, UNKNOWN_VALUE as UNKNOWN_SENTINEL } from "../policies/contract/wire";
import { AnalyzerCallError, startPolicyPack, toWireValue, type PolicyPackClient } from "../src/offline/analyzer";
import { DEPLOY_RULES } from "../src/deployChecks";
import { DEFAULT_PACK_DIR, auditPlan, auditStates, mandatoryCount, toAnalyzerResource, type AuditResult } from "../src/offline/audit";
import { CHECK_FAILED } from "../policies/src/core/policy";
import { stateFacts as instanceFacts } from "../src/offline/stateFacts";
import { crossInstanceFindings, type InstanceFacts } from "../policies/src/core/crossInstance";

/** Each pair judged once, against the later instance (as the audit hands them to the pack). */
function crossInstanceViolations(facts: InstanceFacts[]) {
  return facts.flatMap((self, i) => crossInstanceFindings(facts.slice(0, i), self)).map((f) => ({
    policy: `${f.aspect === "cross-instance" ? "identity.instance-unique" : "scope.per-instance"}:${f.aspect}`,
    checklist: f.aspect === "cross-instance" ? "identity.instance-unique" : "scope.per-instance",
    level: f.posture === "production" ? "mandatory" : "advisory",
    message: `${f.subject}: ${f.path}: expected ${f.expected}, found ${f.found}`,
  }));
}
import type { Plan } from "../src/offline/plan";
import { planInstance } from "../src/offline/planInProcess";
import type { StateFile, StateResource } from "../src/offline/stateFile";

const FIXTURES = path.join(__dirname, "fixtures");
const TEST_PACK = path.join(FIXTURES, "test-pack");
const EMPTY_PACK = path.join(FIXTURES, "empty-pack");
const STATUSES = ["pass", "fail", "missing", "unjudged", "attested", "acknowledged", "not-applicable"];

let mainnet: Plan;
let preview: Plan;
let pack: PolicyPackClient;
/** The real pack (policies/), where the cross-instance and retain-on-delete rules live. */
let real: PolicyPackClient;
let tmp: string;

async function planStack(stack: string): Promise<Plan> {
  return planInstance(parseInstanceConfig(readStackConfig(stackFilePath(stack))), stack);
}

function clone(state: StateFile): StateFile {
  return structuredClone(state);
}

function find(state: StateFile, pred: (r: StateResource) => boolean): StateResource {
  const r = state.deployment.resources.find(pred);
  if (!r) throw new Error("no such resource");
  return r;
}

const record = (state: StateFile) => find(state, (r) => r.type === "zipnet:index:ZipnetInstance").inputs as Record<string, any>;
/** The posture record as Analyze sees it (inputs) and as AnalyzeStack sees it (outputs.postureRecord). */
const records = (state: StateFile): Array<Record<string, any>> => {
  const r = find(state, (x) => x.type === "zipnet:index:ZipnetInstance");
  return [r.inputs as Record<string, any>, (r.outputs as Record<string, any>).postureRecord];
};

function status(result: AuditResult, id: string): string {
  return result.checklist.find((c) => c.id === id)!.status;
}

function writeState(name: string, state: StateFile): string {
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify(state));
  return file;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "zipnet-audit-test-"));
  [pack, real, mainnet, preview] = await Promise.all([startPolicyPack(TEST_PACK), startPolicyPack(DEFAULT_PACK_DIR), planStack("acme.mainnet"), planStack("acme.preview")]);
});

afterAll(async () => {
  await pack?.close();
  await real?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("auditStates over the example plans", () => {
  it("returns the documented shape: instances, resources, violations, all 36 checklist items in order", async () => {
    const result = await auditStates(
      [
        { label: "mainnet.json", state: mainnet.state },
        { label: "preview.json", state: preview.state },
      ],
      { client: pack },
    );
    expect(result.instances).toEqual(["acme.mainnet", "acme.preview"]);
    // As `pulumi policy analyze`: every live resource, the stack and providers included.
    const analyzed = [mainnet, preview].reduce((n, p) => n + p.state.deployment.resources.length, 0);
    expect(result.resources).toBe(analyzed);
    expect(result.checklist.map((c) => c.id)).toEqual(CHECKLIST.map((c) => c.id));
    for (const c of result.checklist) {
      expect(STATUSES).toContain(c.status);
      expect(c.evidence.length).toBeGreaterThan(0);
      for (const e of c.evidence) expect(typeof e).toBe("string");
    }
    for (const v of result.violations) expect(Object.keys(v).sort()).toEqual(["checklist", "level", "message", "policy", "urn"]);
    // components are analyzed too: the test pack reports every posture record it sees
    const seen = result.violations.filter((v) => v.policy === "risk.iroh-metadata:seen");
    expect(seen.map((v) => v.message)).toEqual(["acme.mainnet: posture: found production", "acme.preview: posture: found devtest"]);
    expect(seen.map((v) => [v.checklist, v.level, v.urn.split("::").slice(-2).join("::")])).toEqual([
      // the engine leaves the root stack's type out of its children's URNs
      ["risk.iroh-metadata", "advisory", "zipnet:index:ZipnetInstance::acme.mainnet"],
      ["risk.iroh-metadata", "advisory", "zipnet:index:ZipnetInstance::acme.preview"],
    ]);
    // no cross-instance problem between the two examples
    expect(result.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("derives statuses from the posture record: attested, acknowledged, not-applicable", async () => {
    const prod = await auditStates([{ label: "mainnet", state: mainnet.state }], { client: pack });
    for (const id of ["identity.universe", "client.reproducible", "client.rebuild-cadence", "ops.break-glass", "ops.ticket-revocation"]) expect(status(prod, id)).toBe("attested");
    for (const id of ["risk.iroh-metadata", "risk.cross-instance-correlation", "risk.message-length", "risk.participant-disclosure"]) expect(status(prod, id)).toBe("acknowledged");
    expect(status(prod, "devtest.host-trusted")).toBe("not-applicable");
    expect(prod.checklist.find((c) => c.id === "ops.break-glass")!.evidence.join("\n")).toMatch(/acme\.mainnet: attested ".*" by J\. Rivera \(acme security\) on 2026-10-01 \(https:/);

    const dev = await auditStates([{ label: "preview", state: preview.state }], { client: pack });
    expect(status(dev, "devtest.host-trusted")).toBe("acknowledged");
    for (const id of ["client.mrtd-allowlist", "client.reproducible", "client.quote-expiry-monitored", "client.rebuild-cadence", "identity.mrtd-published"]) {
      expect(status(dev, id)).toBe("not-applicable");
    }
    // a risk the devtest record does not acknowledge is missing: nothing confirmed it
    expect(status(dev, "risk.iroh-metadata")).toBe("missing");
    expect(dev.checklist.find((c) => c.id === "risk.iroh-metadata")!.evidence).toContain("advisory: risk.iroh-metadata:seen: acme.preview: posture: found devtest");
  });

  it("maps mandatory diagnostics to their checklist id and fails it", async () => {
    const state = clone(preview.state);
    const fw = find(state, (r) => r.type === "aws:ec2/securityGroup:SecurityGroup");
    fw.inputs = { ...fw.inputs, port: 9464 };
    const result = await auditStates([{ label: "preview", state }], { client: pack });
    const v = result.violations.filter((x) => x.level === "mandatory");
    expect(v).toEqual([{ policy: "network.metrics-private:test", checklist: "network.metrics-private", level: "mandatory", urn: fw.urn, message: expect.stringMatching(/: port: expected at most 1024, found 9464/) }]);
    expect(status(result, "network.metrics-private")).toBe("fail");
    // the provider reference in the state reaches the pack as the provider's type and inputs
    expect(v[0].message).toContain("provider=pulumi:providers:aws:us-east-2");
  });

  it("a policy that throws is a mandatory violation naming the policy, not a crash", async () => {
    const state = clone(preview.state);
    const r = find(state, (x) => x.type === "aws:kms/key:Key");
    r.inputs = { ...r.inputs, explode: true };
    const result = await auditStates([{ label: "preview", state }], { client: pack });
    const v = result.violations.find((x) => x.policy === "test.explodes")!;
    expect(v).toMatchObject({ checklist: "test.explodes", level: "mandatory", urn: r.urn });
    expect(v.message).toMatch(/^Analyze failed, the policy threw: .*boom/);
  });

  it("reads real stack exports: outputs when inputs are missing, internal keys, ciphertext secrets", async () => {
    const state = clone(mainnet.state);
    for (const r of state.deployment.resources) {
      if (r.type === "zipnet:index:ZipnetInstance") {
        r.outputs = r.inputs;
        delete r.inputs;
      } else if (r.inputs) r.inputs = { __defaults: [], ...r.inputs };
    }
    const secret = find(state, (r) => r.type === "vault:kv/secretV2:SecretV2" && (r.inputs as any).name === "committee");
    (secret.inputs as any).dataJson = { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:real-export-ciphertext" };
    const result = await auditStates([{ label: "export.json", state }], { client: pack });
    expect(result.instances).toEqual(["acme.mainnet"]);
    expect(status(result, "ops.break-glass")).toBe("attested");
    // A ciphertext nothing here can decrypt is an unknown value: the policy says it cannot judge it.
    expect(result.violations.find((v) => v.policy === "secret.committee-in-manager:echo")!.message).toMatch(/dataJson can't be known during preview/);
    const wire = toAnalyzerResource(secret, new Map(state.deployment.resources.map((r) => [r.urn, r])));
    expect(toWireValue(wire.properties)).not.toHaveProperty("__defaults");
    expect(wire.options).toMatchObject({ protect: false, parent: secret.parent });
    expect(wire.provider).toMatchObject({ type: "pulumi:providers:vault", name: "secrets-vault", properties: { address: "https://vault.acme.example:8200" } });
  });

  it("auditPlan gives the pack the real secret values and never lets them out", async () => {
    const committee = mainnet.resources.find((r) => r.type === "vault:kv/secretV2:SecretV2" && r.inputs.name === "committee")!;
    const value = (committee.inputs.dataJson as Record<string, unknown>).value as string;
    expect(typeof value).toBe("string");
    expect(value).not.toBe(UNKNOWN_SENTINEL);
    const result = await auditPlan(mainnet, { client: pack });
    const echo = result.violations.find((v) => v.policy === "secret.committee-in-manager:echo")!;
    expect(echo.message).toContain("[secret]");
    expect(echo.message).not.toContain("[redacted]");
    const secrets = JSON.parse(value) as Record<string, string>;
    const text = JSON.stringify(result);
    expect(text).not.toContain(value);
    for (const s of Object.values(secrets)) expect(text).not.toContain(s);
  });
});

describe("retainOnDelete on a node's disk, key or VM (the state says it, the pack judges it)", () => {
  it("is a mandatory committee.disk-wipe violation", async () => {
    const state = clone(mainnet.state);
    const key = find(state, (r) => r.type === "gcp:kms/cryptoKey:CryptoKey");
    key.retainOnDelete = true;
    const vm = find(state, (r) => r.type === "aws:ec2/instance:Instance");
    vm.retainOnDelete = true;
    find(state, (r) => r.type === "vault:index/mount:Mount").retainOnDelete = true; // not a node's secret holder
    const result = await auditStates([{ label: "mainnet", state }], { client: real });
    const wipe = result.violations.filter((v) => v.checklist === "committee.disk-wipe");
    expect(wipe.map((v) => [v.policy, v.level, v.urn])).toEqual([
      ["committee.disk-wipe:retain-on-delete", "mandatory", key.urn],
      ["committee.disk-wipe:retain-on-delete", "mandatory", vm.urn],
    ]);
    expect(wipe[0].message).toBe("c1-disk-key (node c1): retainOnDelete: expected unset (a node's CryptoKey must die with the node), found true");
    expect(status(result, "committee.disk-wipe")).toBe("fail");
  });
});

describe("cross-instance checks", () => {
  it("the same instance twice: duplicate name, shared fault domains, shared mount", async () => {
    const result = await auditStates(
      [
        { label: "a.json", state: mainnet.state },
        { label: "b.json", state: mainnet.state },
      ],
      { client: real },
    );
    const cross = result.violations.filter((v) => v.level === "mandatory");
    expect(cross.filter((v) => v.policy === "identity.instance-unique:cross-instance")).toHaveLength(1);
    expect(cross.filter((v) => v.policy === "scope.per-instance:fault-domain")).toHaveLength(4);
    expect(cross.filter((v) => v.policy === "scope.per-instance:vault-mount")).toHaveLength(1);
    expect(status(result, "identity.instance-unique")).toBe("fail");
    expect(status(result, "scope.per-instance")).toBe("fail");
    expect(cross[0].message).toMatch(/^acme\.mainnet: name: expected an instance name unused .* found "acme\.mainnet", also used by acme\.mainnet \(a\.json\)$/);
  });

  it("two instances sharing an account-and-region fault domain", async () => {
    const other = clone(preview.state);
    for (const rec of records(other)) rec.nodes[0] = { ...rec.nodes[0], account: "acme-zipnet-c1", region: "us-east4" }; // mainnet's c1 (gcp)
    const result = await auditStates(
      [
        { label: "mainnet", state: mainnet.state },
        { label: "other", state: other },
      ],
      { client: real },
    );
    // (the within-stack policy also sees the record's account disagree with the node's provider)
    const v = result.violations.filter((x) => x.policy.startsWith("scope.per-instance:fault-domain"));
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ policy: "scope.per-instance:fault-domain", level: "mandatory" });
    expect(v[0].message).toBe(
      "acme.preview node p1: nodes[p1].account/region: expected a fault domain no other instance uses, found gcp account acme-zipnet-c1 region us-east4, also used by acme.mainnet (mainnet) node c1",
    );
  });

  it("two instances sharing a Vault mount (from the record or from the Mount resource) or a namespace", () => {
    const a = instanceFacts("a", mainnet.state.deployment.resources);
    const mount: string = record(mainnet.state).vault.mount;
    const viaRecord = clone(preview.state);
    record(viaRecord).vault.mount = `/${mount}/`;
    expect(crossInstanceViolations([a, instanceFacts("b", viaRecord.deployment.resources)]).map((v) => v.policy)).toEqual(["scope.per-instance:vault-mount"]);

    const viaResource = clone(preview.state);
    (find(viaResource, (r) => r.type === "vault:index/mount:Mount").inputs as any).path = mount;
    expect(crossInstanceViolations([a, instanceFacts("b", viaResource.deployment.resources)]).map((v) => v.policy)).toEqual(["scope.per-instance:vault-mount"]);

    // the same mount name on another Vault is another store
    const otherVault = clone(viaRecord);
    record(otherVault).vault.address = "https://vault.other.example:8200";
    (find(otherVault, (r) => r.type === "pulumi:providers:vault").inputs as any).address = "https://vault.other.example:8200";
    expect(crossInstanceViolations([a, instanceFacts("b", otherVault.deployment.resources)])).toEqual([]);

    // a shared non-root namespace is a shared store; the root namespace is not
    const nsA = clone(mainnet.state);
    record(nsA).vault.namespace = "acme";
    const nsB = clone(preview.state);
    record(nsB).vault.namespace = "acme/";
    const ns = crossInstanceViolations([instanceFacts("a", nsA.deployment.resources), instanceFacts("b", nsB.deployment.resources)]);
    expect(ns.map((v) => [v.policy, v.level])).toEqual([["scope.per-instance:vault-namespace", "mandatory"]]);
    expect(ns[0].message).toMatch(/vault\.namespace: expected a Vault namespace of its own .* found namespace "acme\/" on https:\/\/vault\.acme\.example:8200/);
  });

  it("same name in another universe is fine; between devtest instances the level is advisory", () => {
    const a = clone(preview.state);
    const b = clone(preview.state);
    record(b).universe = "acme-private";
    const facts = [instanceFacts("a", a.deployment.resources), instanceFacts("b", b.deployment.resources)];
    const v = crossInstanceViolations(facts);
    expect(v.some((x) => x.checklist === "identity.instance-unique")).toBe(false);
    expect(v.length).toBeGreaterThan(0); // still the same accounts and mount
    expect(v.every((x) => x.level === "advisory")).toBe(true);
  });

  it("without the facts from outside the stack (as under `pulumi preview` with no policy config), the pack says it cannot judge", async () => {
    await real.configure({});
    const resources = mainnet.state.deployment.resources;
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const res = await real.analyzeStack(resources.map((r) => toAnalyzerResource(r, byUrn, "outputs")));
    const cannot = res.diagnostics.filter((d) => /:(cross-instance|fault-domain|vault-mount|vault-namespace|retain-on-delete)$/.test(d.policyName));
    expect(cannot.map((d) => [d.policyName, d.enforcementLevel]).sort()).toEqual([
      ["committee.disk-wipe:retain-on-delete", "advisory"],
      ["identity.instance-unique:cross-instance", "advisory"],
      ["scope.per-instance:fault-domain", "advisory"],
      ["scope.per-instance:vault-mount", "advisory"],
      ["scope.per-instance:vault-namespace", "advisory"],
    ]);
    for (const d of cannot) expect(d.message).toMatch(/can't run policy .* during preview.*(otherInstances|retainedOnDelete)/s);
  });

  it("malformed facts in the policy config are a violation naming the policy, never a pass", async () => {
    await real.configure({ "scope.per-instance:fault-domain": { otherInstances: [{ name: 7 }] } });
    const resources = mainnet.state.deployment.resources;
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const res = await real.analyzeStack(resources.map((r) => toAnalyzerResource(r, byUrn, "outputs")));
    const d = res.diagnostics.find((x) => x.policyName === "scope.per-instance:fault-domain")!;
    expect(d.enforcementLevel).toBe("mandatory");
    expect(d.message).toMatch(/the check could not judge it: policy config otherInstances\[0\]: expected \{name, universe, posture, domains, stores\}/);
    await real.configure({});
  });

  it("finds fault domains from the resources when a state has no posture record", () => {
    const state = clone(mainnet.state);
    state.deployment.resources = state.deployment.resources.filter((r) => r.type !== "zipnet:index:ZipnetInstance");
    const facts = instanceFacts("bare", state.deployment.resources);
    expect(facts.name).toBe("acme_mainnet"); // from the labels
    expect(facts.posture).toBe("production");
    expect(facts.domains.map((d) => `${d.node} ${d.cloud} ${d.account} ${d.region}`).sort()).toEqual([
      "agg aws 123456789012 us-east-2",
      "c1 gcp acme-zipnet-c1 us-east4",
      "c2 gcp acme-zipnet-c2 europe-west4",
      "c3 gcp acme-zipnet-c3 asia-southeast1",
    ]);
    expect(facts.stores).toEqual([{ address: "https://vault.acme.example:8200", namespace: "", mount: record(mainnet.state).vault.mount }]);
  });
});

/** Runs the CLI in-process, capturing what it prints. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s: any) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s: any) => ((err += String(s)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("CLI exit codes", () => {

  it("2 on usage errors and unreadable input, with a one-line message and no stack trace", async () => {
    const notJson = path.join(tmp, "not.json");
    writeFileSync(notJson, "{ nope");
    const wrongShape = path.join(tmp, "shape.json");
    writeFileSync(wrongShape, JSON.stringify({ version: 3, checkpoint: {} }));
    const cases: [string[], RegExp][] = [
      [["audit"], /audit needs at least one --state FILE/],
      [["audit", "--state", path.join(tmp, "missing.json")], /missing\.json: expected a state file .*found no such file/],
      [["audit", "--state", notJson], /not\.json: expected JSON, found text that is not/],
      [["audit", "--state", wrongShape], /expected a `pulumi stack export` or `plan --json` file with deployment\.resources/],
      [["audit", "--state", writeState("ok.json", preview.state), "--policy-pack", path.join(tmp, "no-pack")], /--policy-pack .*no-pack: expected a policy pack folder/],
      [["audit", "--bogus"], /unknown option/],
      [["plan", "--stack", "acme.preview", "--no-audit", "--audit-json", "x.json"], /--audit-json and --report need the audit/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it("0 without mandatory violations, writing exactly the documented JSON", async () => {
    const out = path.join(tmp, "audit.json");
    const r = await run(["audit", "--state", writeState("mainnet.json", mainnet.state), "--state", writeState("preview.json", preview.state), "--json", out, "--policy-pack", EMPTY_PACK, "--verbose"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("judged 197 resources of 2 instances (acme.mainnet, acme.preview)");
    // The empty pack has no checks: an enforced item it cannot judge is never a pass.
    expect(r.out).toMatch(/checklist: .*\n\s+identity\.instance-name\s+unjudged\s+no check for this item in the policy pack/);
    const json = JSON.parse(readFileSync(out, "utf8"));
    expect(Object.keys(json)).toEqual(["instances", "resources", "violations", "checklist", "deployChecks"]);
    expect(json.checklist).toHaveLength(36);
    expect(json.deployChecks).toEqual({ rules: DEPLOY_RULES.length, findings: [] });
  });

  it("1 with mandatory violations", async () => {
    const state = clone(mainnet.state);
    (find(state, (x) => x.type === "gcp:kms/cryptoKey:CryptoKey").inputs as Record<string, unknown>).port = 2000; // test pack: at most 1024
    const r = await run(["audit", "--state", writeState("port.json", state), "--policy-pack", TEST_PACK]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/network\.metrics-private\n\s+MANDATORY network\.metrics-private:test/);
    expect(r.out).toContain("FAILED: 1 mandatory violation(s)");
  });

  it("plan audits the plan it built and writes the audit JSON; --json stays the redacted plan", async () => {
    const planJson = path.join(tmp, "plan.json");
    const auditOut = path.join(tmp, "plan-audit.json");
    const r = await run(["plan", "--stack", "acme.preview", "--json", planJson, "--audit-json", auditOut, "--policy-pack", TEST_PACK]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("judged 80 resources of 1 instance (acme.preview)");
    const audit = JSON.parse(readFileSync(auditOut, "utf8"));
    expect(audit.instances).toEqual(["acme.preview"]);
    const plan = readFileSync(planJson, "utf8");
    expect(plan).toContain('"ciphertext": "[redacted]"');
    // no secret envelope in the file carries its value (inputs or outputs)
    const envelopes: Record<string, unknown>[] = [];
    JSON.parse(plan, (_k, v) => (v && typeof v === "object" && (v as any)[SIG_KEY] === SECRET_SIG ? (envelopes.push(v), v) : v));
    expect(envelopes.length).toBeGreaterThan(0);
    for (const e of envelopes) expect(Object.keys(e).sort()).toEqual([SIG_KEY, "ciphertext"].sort());
    // the echoing test policy saw the real secret value; neither stdout nor the file holds it
    expect(audit.violations.find((v: any) => v.policy === "secret.committee-in-manager:echo").message).toContain("[secret]");
  });
});

describe("the real pack (policies/)", () => {
  it("the audit's status of every item follows the pack's findings alone (pack and audit agree)", async () => {
    const stripped = clone(mainnet.state);
    for (const rec of records(stripped)) {
      rec.attestations = {};
      rec.acknowledgedRisks = [];
    }
    for (const [label, state] of [["mainnet", mainnet.state], ["preview", preview.state], ["stripped", stripped]] as const) {
      const result = await auditStates([{ label, state }], { client: real });
      for (const entry of result.checklist) {
        const mine = result.violations.filter((v) => v.checklist === entry.id);
        // What says "not met": a mandatory finding, or a devtest twin's (what production would refuse). Advice alone is not.
        const findings = mine.filter((v) => !v.message.startsWith("can't run policy") && (v.level === "mandatory" || v.policy.endsWith(":devtest")));
        const why = `${label} ${entry.id}: ${entry.status}; ${mine.map((v) => v.policy).join(", ")}`;
        if (entry.status === "fail" || entry.status === "missing") expect(findings.length, why).toBeGreaterThan(0);
        else if (entry.status === "unjudged") {
          expect(findings, why).toEqual([]);
          expect(mine.some((v) => v.message.startsWith("can't run policy")), why).toBe(true);
        }
        else expect(findings, why).toEqual([]);
        if (mine.some((v) => v.level === "mandatory")) expect(["fail", "missing"], why).toContain(entry.status);
      }
    }
  });

  it("reports no mandatory violation on the unmodified example plans (redacted and in memory)", async () => {
    const result = await auditStates(
      [
        { label: "mainnet", state: mainnet.state },
        { label: "preview", state: preview.state },
      ],
      { client: real },
    );
    expect(result.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    for (const plan of [mainnet, preview]) {
      const r = await auditPlan(plan, { client: real });
      expect(r.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    }
  });

  it("a mutated plan (TDX removed from a committee VM) fails committee.tdx through the protocol", async () => {
    const state = clone(mainnet.state);
    const vm = find(state, (r) => r.type === "gcp:compute/instance:Instance");
    // Inputs (Analyze) and outputs (AnalyzeStack) both, as a deployment of the edited program would hold them.
    delete (vm.inputs as Record<string, unknown>).confidentialInstanceConfig;
    delete (vm.outputs as Record<string, unknown>).confidentialInstanceConfig;
    const result = await auditStates([{ label: "mainnet", state }], { client: real });
    const tdx = result.violations.filter((v) => v.checklist === "committee.tdx" && v.level === "mandatory");
    expect(tdx.length).toBeGreaterThan(0);
    expect(tdx.some((v) => v.urn === vm.urn)).toBe(true);
    expect(status(result, "committee.tdx")).toBe("fail");
    // a production committee server without TDX is also the TDX-disabled posture in production
    expect(result.checklist.filter((c) => c.status === "fail").map((c) => c.id)).toEqual(["committee.tdx", "devtest.not-production"]);
  });

  it("retainOnDelete through the CLI with the real pack exits 1", async () => {
    const state = clone(mainnet.state);
    find(state, (x) => x.type === "aws:kms/key:Key").retainOnDelete = true;
    const file = writeState("real-retained.json", state);
    const errors: string[] = [];
    const o = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s: any) => (errors.push(String(s)), true));
    try {
      expect(await main(["audit", "--state", file])).toBe(1);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    // Progress lines ("... ") may appear on stderr during a long audit; nothing else may.
    expect(errors.filter((l) => !l.startsWith("... "))).toEqual([]);
  });

  it("robustness: hundreds of seeded unknown/deleted properties, no policy throws", async () => {
    await real.configure();
    // mulberry32: a small seeded PRNG, so a failure names a reproducible case
    let seed = 0x5eed2026;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    // every path to a value in a properties object
    const paths = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
      if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
      if (typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === undefined) {
        return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
      }
      return [];
    };
    const mutate = (props: Record<string, unknown>, at: (string | number)[], unknown: boolean) => {
      let parent: any = props;
      for (const k of at.slice(0, -1)) parent = parent[k];
      const last = at[at.length - 1];
      if (unknown) parent[last] = UNKNOWN_SENTINEL;
      else if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    };

    const plans = [mainnet, preview];
    const failures: string[] = [];
    const CASES = 400;
    for (let c = 0; c < CASES; c++) {
      const plan = pick(plans);
      const state = clone(plan.state);
      const candidates = state.deployment.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && r.inputs && Object.keys(r.inputs).length);
      const target = pick(candidates);
      const edits = 1 + Math.floor(rand() * 3);
      const done: string[] = [];
      for (let i = 0; i < edits; i++) {
        const all = paths(target.inputs);
        if (!all.length) break;
        const at = pick(all);
        const unknown = rand() < 0.5;
        mutate(target.inputs!, at, unknown);
        done.push(`${unknown ? "unknown" : "delete"} ${at.join(".")}`);
      }
      const label = `case ${c} (${plan.stack}): ${target.urn.split("::").pop()} ${done.join(", ")}`;
      const byUrn = new Map(state.deployment.resources.map((r) => [r.urn, r]));
      // Unknowns are said to be unknown (advisory "can't run ... during preview"), never a failed check.
      const check = (what: string, res: { diagnostics: { message: string; policyName: string; enforcementLevel: string }[] }) => {
        for (const d of res.diagnostics) {
          if (d.message.includes(CHECK_FAILED)) failures.push(`${label}: ${what}: ${d.policyName} failed: ${d.message}`);
          if (d.message.startsWith("can't run policy") && d.enforcementLevel !== "advisory") failures.push(`${label}: ${what}: ${d.policyName} cannot-judge at ${d.enforcementLevel}`);
        }
      };
      try {
        check("analyze", await real.analyze(toAnalyzerResource(target, byUrn)));
        if (c % 10 === 0) check("analyzeStack", await real.analyzeStack(state.deployment.resources.map((r) => toAnalyzerResource(r, byUrn))));
      } catch (err) {
        if (!(err instanceof AnalyzerCallError)) throw err;
        failures.push(`${label}: ${err.method} threw: ${err.details.split("\n").slice(0, 2).join(" | ")}`);
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });
});

describe("a check that throws, in the pack as the CLI runs it", () => {
  // Injected into the spawned pack before it loads (NODE_OPTIONS=--require): the firewall
  // evaluator of the compiled pack throws for every VM.
  let broken: PolicyPackClient;
  beforeAll(async () => {
    broken = await startPolicyPack(DEFAULT_PACK_DIR, { preload: [path.join(FIXTURES, "inject-throwing-check.js")] });
  });
  afterAll(async () => {
    await broken?.close();
  });

  it("is a violation naming the policy, the resource and the error, at the policy's level, through the Analyzer protocol and in audit", async () => {
    const result = await auditStates([{ label: "mainnet", state: mainnet.state }], { client: broken });
    const failed = result.violations.filter((v) => v.message.includes(CHECK_FAILED));
    expect(failed.length).toBeGreaterThan(0);
    const ingress = failed.find((v) => v.policy === "committee.ingress")!;
    expect(ingress).toMatchObject({ checklist: "committee.ingress", level: "mandatory", urn: expect.stringMatching(/::c1-vm$/) });
    expect(ingress.message).toBe(`c1-vm: ${CHECK_FAILED}: injected: the firewall evaluator crashed`);
    expect(status(result, "committee.ingress")).toBe("fail");
    // the CLI's verdict: the audit fails
    expect(mandatoryCount(result)).toBeGreaterThan(0);
  });
});

describe("a state with nothing to judge", () => {
  it("audit of a state without resources, or without a zipnet instance, exits 2 and says why", async () => {
    const empty = writeState("empty.json", { version: 3, deployment: { manifest: { time: "", magic: "", version: "" }, resources: [] } } as unknown as StateFile);
    const r = await run(["audit", "--state", empty, "--policy-pack", EMPTY_PACK]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("empty.json: expected a state holding a zipnet instance (a zipnet:index:ZipnetInstance resource, its posture record), found 0 resource(s)");
    const noInstance = clone(mainnet.state);
    noInstance.deployment.resources = noInstance.deployment.resources.filter((x) => x.type !== "zipnet:index:ZipnetInstance");
    const r2 = await run(["audit", "--state", writeState("no-instance.json", noInstance), "--policy-pack", EMPTY_PACK]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/no-instance\.json: expected a state holding a zipnet instance .*, found \d+ resource\(s\) and none/);
  });
});

/**
 * One stack per operator of a federated instance: the example's three operator stacks plan
 * separately, each touching only its own accounts and Vault, and audit together against the signed
 * manifest with no mandatory violation. Refused before anything registers, each naming what is
 * wrong: a server the manifest gives another operator, an older epoch, another chain, a tampered
 * manifest, another operator's sealed copy. The imported committee secret is a Pulumi secret found
 * in no other resource.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";
import { loadInstance } from "../../src/config/load";
import { UNKNOWN_VALUE } from "../../policies/contract/wire";
import type { InstanceConfig } from "../../src/config/schema";
import { PROJECT_ROOT, readStackConfig, stackFilePath } from "../../src/config/stackFile";
import { ConfigError, stackNameIssues } from "../../src/config/validate";
import { manifestFindings } from "../../src/federation/audit";
import { ceremonyFileName } from "../../src/federation/ceremony";
import { loadSealingPrivateKey, open, parseSealed, seal, sealedFileName } from "../../src/federation/seal";
import { startPolicyPack, type PolicyPackClient } from "../../src/offline/analyzer";
import { DEFAULT_PACK_DIR, auditStates, auditedInstance, unredactedPlanState } from "../../src/offline/audit";
import type { Plan } from "../../src/offline/plan";
import { planInstance } from "../../src/offline/planInProcess";
import { toStateFile, type StateFile } from "../../src/offline/stateFile";
import { addressOf, makeOperator, writeFederation } from "../support/federation";
import { isSecret, ofType, plainStrings } from "../support/plans";

const STACKS = path.join(PROJECT_ROOT, "stacks");
const OPERATORS = ["acme", "beta", "gamma"] as const;
const stackOf = (op: string) => `acme.federated_${op}`;
const rawOf = (op: string): any => structuredClone(readStackConfig(stackFilePath(stackOf(op))));
const load = (raw: unknown, dir = STACKS): InstanceConfig => loadInstance(raw, dir);
const refusal = (raw: unknown, dir = STACKS): string => {
  try {
    load(raw, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a config error");
};
/** A copy of stacks/ to edit. */
const stacksCopy = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), "fedstacks-"));
  for (const f of readdirSync(STACKS)) copyFileSync(path.join(STACKS, f), path.join(dir, f));
  return dir;
};

let pack: PolicyPackClient;
const plans: Record<string, Plan> = {};
const states: Record<string, StateFile> = {};

beforeAll(async () => {
  pack = await startPolicyPack(DEFAULT_PACK_DIR);
  for (const op of OPERATORS) {
    plans[op] = await planInstance(load(rawOf(op)), stackOf(op));
    states[op] = unredactedPlanState(plans[op]);
  }
}, 180_000);

afterAll(async () => {
  await pack?.close();
});

describe("the example federated instance, one stack per operator", () => {
  it("plans each operator's stack with only its own accounts and its own Vault", () => {
    const accounts: Record<string, string[]> = { acme: ["acme-zipnet-c1", "123456789012"], beta: ["beta-zipnet-c2"], gamma: ["gamma-zipnet-c3"] };
    for (const op of OPERATORS) {
      const providers = plans[op].resources.filter((r) => r.type.startsWith("pulumi:providers:"));
      // Provider config arrives as the engine sends it: lists as JSON text.
      const list = (v: unknown): string[] => (typeof v === "string" ? JSON.parse(v) : Array.isArray(v) ? v : []);
      const projects = providers.flatMap((p) => [(p.inputs as any).project, ...list((p.inputs as any).allowedAccountIds)]).filter(Boolean);
      expect(new Set(projects), op).toEqual(new Set(accounts[op]));
      const vaults = providers.filter((p) => p.type === "pulumi:providers:vault").map((p) => (p.inputs as any).address);
      expect(vaults, op).toEqual([`https://vault.${op}.example:8200`]);
    }
  });

  it("gives the committee secret only to operators running a committee server, and each operator only its own node secrets", () => {
    const secrets = (op: string) => ofType(plans[op].resources, "vault:kv/secretV2:SecretV2").map((r) => (r.inputs as any).name).sort();
    expect(secrets("acme")).toEqual(["committee", "nodes/agg", "nodes/c1"]);
    expect(secrets("beta")).toEqual(["committee", "nodes/c2"]);
    expect(secrets("gamma")).toEqual(["committee", "nodes/c3"]);
  });

  it("audits the three states together against the manifest with no mandatory violation", async () => {
    const inputs = OPERATORS.map((op) => ({ label: `${op}.json`, state: states[op] }));
    const { findings } = manifestFindings("manifest", readFileSync(path.join(STACKS, "acme.federated.manifest.json"), "utf8"), inputs.map((i) => auditedInstance(i.label, i.state)));
    expect(findings).toEqual([]);
    const result = await auditStates(inputs, { client: pack, findings });
    expect(result.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("finds a posture record whose manifest facts differ from the manifest, and the pack refuses one it cannot read", async () => {
    const edited = structuredClone(states.beta);
    const instance = edited.deployment.resources.find((r) => r.type === "zipnet:index:ZipnetInstance")!;
    for (const rec of [instance.inputs as any, (instance.outputs as any).postureRecord]) rec.federation.nodes[2].region = "asia-east1";
    const manifest = readFileSync(path.join(STACKS, "acme.federated.manifest.json"), "utf8");
    const judged = manifestFindings("m", manifest, ["acme", "gamma"].map((op) => auditedInstance(op, states[op])).concat(auditedInstance("beta", edited)));
    expect(judged.findings.map((f) => f.message)).toEqual([expect.stringMatching(/acme\.federated \(beta\): expected the manifest's nodes in its posture record, found others/)]);
    for (const rec of [instance.inputs as any, (instance.outputs as any).postureRecord]) delete rec.federation.nodes;
    const result = await auditStates([{ label: "beta", state: edited }], { client: pack });
    expect(result.violations.filter((v) => v.level === "mandatory").map((v) => v.message)).toContainEqual(expect.stringMatching(/federation: expected a federation record the pack can read, found federation\.nodes: expected the manifest's nodes/));
  });

  it("audit --manifest --report writes one report per operator's stack, named <instance>_<operator>", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fedreport-"));
    const args = OPERATORS.flatMap((op) => {
      const file = path.join(dir, `${op}.json`);
      writeFileSync(file, JSON.stringify(states[op]));
      return ["--state", file];
    });
    const code = await main(["audit", "--manifest", path.join(STACKS, "acme.federated.manifest.json"), ...args, "--report", path.join(dir, "reports")]);
    expect(code).toBe(0);
    expect(readdirSync(path.join(dir, "reports")).sort()).toEqual(["acme.federated_acme", "acme.federated_beta", "acme.federated_gamma"]);
  }, 120_000);

  it("finds an operator's state missing, and two states of one operator", async () => {
    const manifest = readFileSync(path.join(STACKS, "acme.federated.manifest.json"), "utf8");
    const two = manifestFindings("m", manifest, ["acme", "beta"].map((op) => auditedInstance(op, states[op])));
    expect(two.findings.map((f) => f.message)).toEqual([expect.stringMatching(/expected a state of every operator, found none of gamma/)]);
    const twice = await auditStates(["acme", "beta", "beta"].map((op, i) => ({ label: `${op}-${i}`, state: states[op] })), { client: pack });
    expect(twice.violations.map((v) => v.message)).toContainEqual(expect.stringMatching(/federation\.operator: expected one stack per operator of acme\.federated, found a second stack of operator beta/));
  });
});

describe("committee.fault-domains:federation, on one operator's state", () => {
  const named = (state: StateFile, name: string) => state.deployment.resources.find((r) => r.urn.endsWith(`::${name}`))!;
  const violations = async (state: StateFile) => (await auditStates([{ label: "beta", state }], { client: pack })).violations.filter((v) => v.policy === "committee.fault-domains:federation");

  it("catches a server the manifest gives to another operator", async () => {
    const state = structuredClone(states.beta);
    for (const side of ["inputs", "outputs"] as const) (named(state, "c2-vm")[side] as any).labels["zipnet-node"] = "c3";
    expect((await violations(state)).map((v) => `${v.level} ${v.message}`)).toContainEqual(expect.stringMatching(/^mandatory c2-vm: zipnet-node: expected a node the manifest gives to this stack's operator beta, found c3, which the manifest gives to gamma/));
  });

  it("catches another operator's node secret in this operator's Vault", async () => {
    const state = structuredClone(states.beta);
    const other = structuredClone(named(state, "secrets-c2-secret"));
    other.urn = other.urn.replace(/secrets-c2-secret$/, "secrets-c3-secret");
    for (const side of ["inputs", "outputs"] as const) (other[side] as any).name = "nodes/c3";
    state.deployment.resources.push(other);
    expect((await violations(state)).map((v) => `${v.level} ${v.message}`)).toContainEqual(expect.stringMatching(/^mandatory secrets-c3-secret: name: expected only secrets of beta's own nodes, found nodes\/c3, the secret of gamma's node c3/));
  });

  it("catches the committee secret in the Vault of an operator that runs no committee server", async () => {
    // The only-aggregator case the example operators do not have: beta's node made the aggregator in its record.
    const state = structuredClone(states.beta);
    const instance = state.deployment.resources.find((r) => r.type === "zipnet:index:ZipnetInstance")!;
    for (const rec of [instance.inputs as any, (instance.outputs as any).postureRecord]) {
      for (const n of rec.federation.nodes) if (n.operator === "beta") n.role = "aggregator";
    }
    expect((await violations(state)).map((v) => `${v.level} ${v.message}`)).toContainEqual(
      expect.stringMatching(/^mandatory secrets-committee: name: expected no committee secret \(beta runs no committee server; the secret is sealed to committee operators only\), found "committee"/),
    );
  });
});

describe("a federated stack is refused before anything registers", () => {
  it("when it deploys a server the manifest gives to another operator", () => {
    const raw = rawOf("beta");
    raw.committee.push({ id: "c3", cloud: "gcp", account: "gamma-zipnet-c3", region: "asia-southeast1", oncall: "pagerduty:x" });
    expect(refusal(raw)).toMatch(/committee\[1\]\.id: expected a node the manifest gives to beta \(c2\), found c3, which the manifest gives to gamma/);
  });

  it("when its server is not where the manifest puts it", () => {
    const raw = rawOf("gamma");
    raw.committee[0].region = "asia-northeast1";
    expect(refusal(raw)).toMatch(/committee\[0\]\.region: expected the manifest's region for c3: asia-southeast1, found "asia-northeast1"/);
  });

  it("when the manifest is older than the epoch it accepted (a rollback)", () => {
    const raw = rawOf("beta");
    raw.federation.acceptedEpoch = 2;
    expect(refusal(raw)).toMatch(/newest epoch is 1, older than epoch 2 this stack has already accepted/);
  });

  it("when the manifest is not the chain it pinned", () => {
    const raw = rawOf("beta");
    raw.federation.genesis = "0".repeat(64);
    expect(refusal(raw)).toMatch(/expected the pinned genesis 0{64}/);
  });

  it("when the manifest was edited after signing", () => {
    const dir = stacksCopy();
    const file = path.join(dir, "acme.federated.manifest.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"asia-southeast1"', '"asia-east1"'));
    expect(refusal(rawOf("beta"), dir)).toMatch(/the signature by acme .* does not match the manifest/);
  });

  it("when its sealed copy is another operator's", () => {
    const dir = stacksCopy();
    copyFileSync(path.join(dir, "acme.federated.epoch-1.beta.sealed.json"), path.join(dir, "acme.federated.epoch-1.gamma.sealed.json"));
    expect(refusal(rawOf("gamma"), dir)).toMatch(/sealed for acme\.federated epoch 1 to gamma's sealing key, found a copy for operator beta/);
  });

  it("when its stack is not named after its operator", () => {
    expect(stackNameIssues(load(rawOf("beta")), "acme.federated")).toEqual([expect.objectContaining({ path: "zipnet-infra:instance.federation.operator", found: "beta" })]);
    expect(stackNameIssues(load(rawOf("beta")), "acme.federated_beta")).toEqual([]);
  });
});

describe("the imported committee secret", () => {
  // A federation of our own, whose keys this test holds: beta's stack config, pointed at it.
  const ops = [makeOperator("acme", "Acme Corp"), makeOperator("beta", "Beta Infrastruktur GmbH"), makeOperator("gamma", "Gamma Networks KK")];
  const dir = mkdtempSync(path.join(tmpdir(), "fedkeys-"));
  const { manifest: m, hash } = writeFederation(dir, ops);
  const raw = rawOf("beta");
  raw.federation.genesis = hash;

  it("is written to the operator's Vault as a Pulumi secret, and appears in no other resource", async () => {
    const plan = await planInstance(load(raw, dir), stackOf("beta"), { preview: false, sealingKey: ops[1].sealing.privatePem, stacksDir: dir });
    const [committee] = ofType(plan.resources, "vault:kv/secretV2:SecretV2").filter((r) => (r.inputs as any).name === "committee");
    expect(isSecret(committee.inputs.dataJson)).toBe(true);
    const value = JSON.parse((committee.inputs.dataJson as any).value).value as string;
    const sealed = JSON.parse(readFileSync(path.join(dir, sealedFileName(m.instance, 1, "beta")), "utf8"));
    expect(value).toBe(open(sealed, loadSealingPrivateKey(ops[1].sealing.privatePem)).toString("base64"));
    // Not in plain in any resource's inputs or outputs (the stack's outputs included), nor in the state written from the plan.
    for (const r of plan.resources) for (const leaf of [...plainStrings(r.inputs), ...plainStrings(r.outputs)]) expect(leaf.value.includes(value), `${r.urn} ${leaf.path}`).toBe(false);
    const state = JSON.stringify(toStateFile(plan.resources, "test"));
    expect(state).not.toContain(value);
    expect(state).not.toContain(Buffer.from(value, "base64").toString("hex"));
  });

  it("cannot be deployed without the operator's sealing key (a preview leaves it unknown)", async () => {
    await expect(planInstance(load(raw, dir), stackOf("beta"), { preview: false, stacksDir: dir })).rejects.toThrow(/zipnet-infra:sealingKey: expected the operator's X25519 private key/);
    const preview = await planInstance(load(raw, dir), stackOf("beta"), { stacksDir: dir });
    const [committee] = ofType(preview.resources, "vault:kv/secretV2:SecretV2").filter((r) => (r.inputs as any).name === "committee");
    expect(committee.inputs.dataJson).toBe(UNKNOWN_VALUE);
  });

  it("is refused when someone seals another secret to the operator's public key (the signed record lists another copy)", () => {
    const other = mkdtempSync(path.join(tmpdir(), "fedswap-"));
    for (const f of readdirSync(dir)) copyFileSync(path.join(dir, f), path.join(other, f));
    const copy = path.join(other, sealedFileName(m.instance, 1, "beta"));
    writeFileSync(copy, JSON.stringify(seal(Buffer.alloc(32, 0x41), addressOf(parseSealed(readFileSync(copy, "utf8"))))));
    expect(refusal(raw, other)).toMatch(/the copy the signed ceremony record lists for beta, found another copy \(sealed by someone else, or altered\)/);
  });

  it("is refused when an operator has not signed the ceremony record", () => {
    const other = mkdtempSync(path.join(tmpdir(), "fedunsigned-"));
    for (const f of readdirSync(dir)) copyFileSync(path.join(dir, f), path.join(other, f));
    const file = path.join(other, ceremonyFileName(m.instance, 1));
    const record = JSON.parse(readFileSync(file, "utf8"));
    record.signatures = record.signatures.filter((x: { operator: string }) => x.operator !== "gamma");
    writeFileSync(file, JSON.stringify(record));
    expect(refusal(raw, other)).toMatch(/the ceremony record of epoch 1, signed by every operator, found no signature by gamma/);
  });

  it("does not open with another operator's key", async () => {
    await expect(planInstance(load(raw, dir), stackOf("beta"), { preview: false, sealingKey: ops[2].sealing.privatePem, stacksDir: dir })).rejects.toThrow(/not to this key/);
  });
});

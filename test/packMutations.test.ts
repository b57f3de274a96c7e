/**
 * Every enforced checklist item, through the real policy pack as the Pulumi CLI runs it (a
 * spawned process over the Analyzer gRPC protocol): the example plans pass, and one mutation per
 * item that breaks it is reported as a mandatory violation carrying that item's id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKLIST } from "../policies/contract/checklist";
import { instanceSchema } from "../src/config/schema";
import { startPolicyPack, type PolicyPackClient } from "../src/offline/analyzer";
import { DEFAULT_PACK_DIR, auditStates, unredactedPlanState, type AuditResult } from "../src/offline/audit";
import { planInstance } from "../src/offline/planInProcess";
import type { StateFile, StateResource } from "../src/offline/stateFile";
import { AZURE_MAINNET, examplePlan, rawExample } from "./support/plans";

let pack: PolicyPackClient;
const states: Record<string, StateFile> = {};

beforeAll(async () => {
  pack = await startPolicyPack(DEFAULT_PACK_DIR);
  for (const stack of ["acme.mainnet", "acme.preview", AZURE_MAINNET]) states[stack] = unredactedPlanState(await examplePlan(stack));
}, 120_000);

afterAll(async () => {
  await pack?.close();
});

const copy = (state: StateFile): StateFile => structuredClone(state);
const all = (state: StateFile) => state.deployment.resources;
const named = (state: StateFile, name: string): StateResource => {
  const r = all(state).find((x) => x.urn.endsWith(`::${name}`));
  if (!r) throw new Error(`no resource named ${name}`);
  return r;
};
/**
 * A state holds each resource twice: its inputs (what Analyze sees) and its outputs (what
 * AnalyzeStack sees, as `pulumi policy analyze` sends them). A mutation edits both sides, as a
 * real deployment of the edited program would: `props` and `record` read the side being edited.
 */
let side: "inputs" | "outputs" = "inputs";
const props = (state: StateFile, name: string): any => named(state, name)[side];
const record = (state: StateFile): any => {
  const r = all(state).find((x) => x.type === "zipnet:index:ZipnetInstance")!;
  return side === "inputs" ? r.inputs : (r.outputs as any).postureRecord;
};
/** Rewrites the boot contract (JSON user-data) of a GCP VM. */
const editBoot = (state: StateFile, vm: string, edit: (contract: any) => void) => {
  const metadata = props(state, vm).metadata;
  const contract = JSON.parse(metadata["user-data"]);
  edit(contract);
  metadata["user-data"] = JSON.stringify(contract);
};
const remove = (state: StateFile, pred: (r: StateResource) => boolean) => {
  state.deployment.resources = all(state).filter((r) => !pred(r));
};

/** Replaces a committee server's attested JWT role by a GCE role on its service account (as before issue 15). */
const bindToCloudIdentity = (state: StateFile, node: string) => {
  const r = named(state, `secrets-${node}-role-0`);
  if (side === "inputs") {
    r.type = "vault:gcp/authBackendRole:AuthBackendRole";
    r.urn = r.urn.replace("vault:jwt/authBackendRole:AuthBackendRole", r.type);
  }
  const p = r[side] as Record<string, any>;
  const keep = { tokenPolicies: p.tokenPolicies, tokenNoDefaultPolicy: true, tokenTtl: p.tokenTtl, tokenMaxTtl: p.tokenMaxTtl };
  for (const k of Object.keys(p)) delete p[k];
  Object.assign(p, { backend: "gcp", role: `zipnet.acme.mainnet.${node}`, type: "gce", boundServiceAccounts: [`zn-${node}@acme-zipnet-${node}.iam.gserviceaccount.com`], boundProjects: [`acme-zipnet-${node}`], ...keep });
};

/** A new resource of the instance (both sides), parented like the stack's Vault resources. */
const addResource = (state: StateFile, type: string, name: string, properties: Record<string, unknown>) => {
  if (side === "outputs") return;
  const template = named(state, "secrets-c1-policy");
  const r = structuredClone(template);
  r.urn = template.urn.replace(/vault:index\/policy:Policy::secrets-c1-policy$/, `${type}::${name}`);
  r.type = type;
  r.inputs = structuredClone(properties);
  r.outputs = structuredClone(properties);
  all(state).push(r);
};

async function audit(...list: StateFile[]): Promise<AuditResult> {
  return auditStates(
    list.map((state, i) => ({ label: `state-${i}`, state })),
    { client: pack },
  );
}

function mandatoryIds(result: AuditResult): string[] {
  return [...new Set(result.violations.filter((v) => v.level === "mandatory").map((v) => v.checklist))].sort();
}

interface Mutation {
  id: string;
  what: string;
  build: () => Promise<StateFile[]> | StateFile[];
  /** What the unmutated states already show: only violations beyond these count. */
  baseline?: () => StateFile[];
}

/** One mainnet mutation: copy, edit (inputs, then outputs), audit alone. */
const mainnet = (id: string, what: string, edit: (s: StateFile) => void): Mutation => ({
  id,
  what,
  build: () => {
    const s = copy(states["acme.mainnet"]);
    for (side of ["inputs", "outputs"] as const) edit(s);
    side = "inputs";
    return [s];
  },
});

/**
 * One mutation of mainnet with c2 on Azure (AZURE_MAINNET: the Azure rules in production). That
 * state already has a mandatory committee.tdx:reference violation (Azure cannot produce mosaik
 * tickets): only what the edit adds counts.
 */
const azure = (id: string, what: string, edit: (s: StateFile) => void): Mutation => ({
  id,
  what,
  build: () => {
    const s = copy(states[AZURE_MAINNET]);
    for (side of ["inputs", "outputs"] as const) edit(s);
    side = "inputs";
    return [s];
  },
  baseline: () => [copy(states[AZURE_MAINNET])],
});

const MUTATIONS: Mutation[] = [
  mainnet("identity.instance-name", "a committee VM labelled with a misspelt instance", (s) => (props(s, "c1-vm").labels["zipnet-instance"] = "acme_mainet")),
  mainnet("identity.instance-name", "the boot contract names another instance", (s) => editBoot(s, "c1-vm", (c) => (c.env.ZIPNET_INSTANCE = "acme.mainet"))),
  { id: "identity.instance-unique", what: "two states of one instance", build: () => [copy(states["acme.mainnet"]), copy(states["acme.mainnet"])] },
  mainnet("identity.mrtd-published", "no committee reference set in the record", (s) => (record(s).tdx.committee = [])),
  mainnet("identity.mrtd-published", "a committee MR_TD no longer enforced", (s) => (record(s).tdx.committee[0].registers.mrtd.enforce = false)),
  mainnet("secret.committee-in-manager", "the committee secret written into user-data", (s) =>
    editBoot(s, "c1-vm", (c) => (c.env.ZIPNET_COMMITTEE_SECRET = "q3J0c2VjcmV0LXZhbHVlLW9mLTMyLWJ5dGVzLWxvbmc="))),
  mainnet("secret.committee-unique", "the committee secret kept in a shared mount", (s) => (props(s, "secrets-committee").mount = "secret")),
  mainnet("secret.access-audited", "no audit device", (s) => remove(s, (r) => r.type === "vault:index/audit:Audit")),
  {
    id: "committee.fault-domains",
    what: "two committee servers in one account and region",
    build: async () => {
      const raw = rawExample("acme.mainnet");
      Object.assign(raw.committee[2], { account: "acme-zipnet-c1", region: "us-east4", zone: "us-east4-c" });
      // The config rules refuse this; a stack from any other source could still build it.
      const plan = await planInstance(instanceSchema.parse(raw), "acme.mainnet");
      return [unredactedPlanState(plan)];
    },
  },
  mainnet("committee.tdx", "TDX removed from a GCP committee VM", (s) => delete props(s, "c1-vm").confidentialInstanceConfig),
  azure("committee.tdx", "an Azure committee VM without ConfidentialVM", (s) => (props(s, "c2-vm").securityProfile.securityType = "TrustedLaunch")),
  mainnet("committee.tdx", "a GCP committee server resized to a machine type with no reference set", (s) => (props(s, "c1-vm").machineType = "c3-standard-22")),
  { id: "committee.tdx", what: "an Azure committee server in production (no mosaik TDX ticket there)", build: () => [copy(states[AZURE_MAINNET])], baseline: () => [copy(states["acme.mainnet"])] },
  mainnet("committee.tdx", "a committee server's Vault role bound back to its cloud identity", (s) => bindToCloudIdentity(s, "c1")),
  mainnet("committee.node-secret", "a node's policy reads another node's secret", (s) => {
    const p = props(s, "secrets-c1-policy");
    p.policy += `\npath "zipnet/acme.mainnet/data/nodes/c2" {\n  capabilities = ["read"]\n}\n`;
  }),
  mainnet("committee.node-secret", "a second attested role of a node (another reference set) carrying another node's policy", (s) => {
    const role = props(s, "secrets-c1-role-0");
    addResource(s, "vault:jwt/authBackendRole:AuthBackendRole", "secrets-c1-role-1", { ...structuredClone(role), roleName: "zipnet.acme.mainnet.c1_server-v1.5.0-c3-standard-4", tokenPolicies: ["zipnet.acme.mainnet.c2"] });
  }),
  mainnet("committee.ingress", "SSH opened to a committee VM", (s) => {
    if (side === "outputs") return; // one new resource, both sides at once
    const fw = structuredClone(named(s, "c1-fw-iroh"));
    fw.urn = fw.urn.replace(/c1-fw-iroh$/, "c1-fw-ssh");
    for (const p of [fw.inputs!, fw.outputs!]) Object.assign(p, { allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"] });
    all(s).push(fw);
  }),
  azure("committee.ingress", "the Azure NSG's explicit deny-all inbound removed", (s) => {
    const nsg = props(s, "c2-nsg");
    nsg.securityRules = nsg.securityRules.filter((r: any) => r.name !== "deny-all-inbound");
  }),
  mainnet("committee.disk-wipe", "a GCP boot disk kept after its VM", (s) => (props(s, "c1-vm").bootDisk.autoDelete = false)),
  azure("committee.disk-wipe", "an Azure OS disk detached on delete", (s) => (props(s, "c2-vm").storageProfile.osDisk.deleteOption = "Detach")),
  mainnet("committee.disk-wipe", "a committee disk without its per-node key", (s) => delete props(s, "c3-vm").bootDisk.kmsKeySelfLink),
  mainnet("committee.disk-wipe", "a node's key protected", (s) => (named(s, "c1-disk-key").protect = true)),
  mainnet("committee.disk-wipe", "a node's key retained on delete", (s) => (named(s, "c1-disk-key").retainOnDelete = true)),
  mainnet("aggregator.no-committee-secret", "the aggregator granted the committee path", (s) => {
    props(s, "secrets-agg-policy").policy += `\npath "zipnet/acme.mainnet/data/committee" {\n  capabilities = ["read"]\n}\n`;
  }),
  mainnet("aggregator.own-identity", "the aggregator reads a committee server's node secret", (s) => {
    props(s, "secrets-agg-policy").policy = `path "zipnet/acme.mainnet/data/nodes/c1" {\n  capabilities = ["read"]\n}\n`;
  }),
  mainnet("client.mrtd-allowlist", "no client reference set", (s) => (record(s).tdx.clients = [])),
  mainnet("devtest.min-participants", "a committee server waits for one participant", (s) => editBoot(s, "c1-vm", (c) => (c.env.ZIPNET_MIN_PARTICIPANTS = "1"))),
  mainnet("devtest.not-production", "a production committee server without TDX", (s) => delete props(s, "c3-vm").confidentialInstanceConfig),
  mainnet("network.egress-relays", "no UDP egress to relays", (s) => remove(s, (r) => /::c1-fw-udp-out(-v6)?$/.test(r.urn))),
  mainnet("network.ntp", "no time sources in the boot contract", (s) => editBoot(s, "c1-vm", (c) => (c.time.sources = []))),
  mainnet("network.metrics-private", "metrics opened to 0.0.0.0/0", (s) => (props(s, "c1-fw-metrics").sourceRanges = ["0.0.0.0/0"])),
  azure("network.metrics-private", "metrics opened to ::/0 on Azure", (s) => {
    const rule = props(s, "c2-nsg").securityRules.find((r: any) => r.name === "allow-metrics");
    delete rule.sourceAddressPrefixes;
    rule.sourceAddressPrefix = "::/0";
  }),
  mainnet("audit.broadcast-archive", "no archive bucket", (s) => remove(s, (r) => r.type.startsWith("aws:s3/"))),
  mainnet("audit.broadcast-archive", "an archive bucket without Object Lock", (s) => (props(s, "archive-bucket").objectLockEnabled = false)),
  mainnet("audit.peer-registry", "no registry key in the record", (s) => (record(s).registry = null)),
  mainnet("ops.oncall", "a VM without its on-call", (s) => delete props(s, "agg-vm").tags["zipnet-oncall"]),
  mainnet("ops.break-glass", "no break-glass record", (s) => delete record(s).attestations["ops.break-glass"]),
  {
    id: "scope.per-instance",
    what: "two instances sharing a Vault mount",
    build: () => {
      const preview = copy(states["acme.preview"]);
      for (side of ["inputs", "outputs"] as const) {
        for (const r of all(preview)) if (r.type.startsWith("vault:") && r[side] && "mount" in r[side]!) r[side]!.mount = "zipnet/acme.mainnet";
        props(preview, "secrets-kv").path = "zipnet/acme.mainnet";
        record(preview).vault.mount = "zipnet/acme.mainnet";
      }
      side = "inputs";
      return [copy(states["acme.mainnet"]), preview];
    },
  },
];

describe("the example plans through the pack", () => {
  it.each(["acme.mainnet", "acme.preview"])("%s has no mandatory violation", async (stack) => {
    expect(mandatoryIds(await audit(states[stack]))).toEqual([]);
  });

  it("both instances audited together have none either", async () => {
    expect(mandatoryIds(await audit(states["acme.mainnet"], states["acme.preview"]))).toEqual([]);
  });
});

describe("every enforced item is caught by id", () => {
  it("has a mutation for every item the checklist enforces", () => {
    const enforced = CHECKLIST.filter((c) => c.mechanism === "enforce" || /enforce/.test(c.how)).map((c) => c.id);
    expect(enforced.filter((id) => !MUTATIONS.some((m) => m.id === id))).toEqual([]);
  });

  it.each(MUTATIONS.map((m) => [m.id, m.what, m] as const))("%s: %s", async (id, _what, mutation) => {
    const result = await audit(...(await mutation.build()));
    const before = mutation.baseline ? new Set((await audit(...mutation.baseline())).violations.map((v) => `${v.policy} ${v.urn} ${v.message}`)) : new Set<string>();
    const hits = result.violations.filter((v) => v.level === "mandatory" && v.checklist === id && !before.has(`${v.policy} ${v.urn} ${v.message}`));
    expect(hits.length, JSON.stringify(result.violations.map((v) => `${v.level} ${v.policy}: ${v.message}`), null, 1)).toBeGreaterThan(0);
    // Message quality: the resource, a property path, what was expected and what was found.
    for (const v of hits) {
      expect(v.urn, v.message).toMatch(/^urn:pulumi:/);
      expect(v.message, v.policy).toMatch(/expected .+, found /);
    }
  });
});

describe("committee.tdx:vault-login: only an attested TDX token opens a committee secret", () => {
  const role = (s: StateFile) => props(s, "secrets-c1-role-0");
  const cases: Array<[string, (s: StateFile) => void, RegExp]> = [
    ["c1's role bound back to its cloud identity", (s) => bindToCloudIdentity(s, "c1"), /secrets-c1-role-0: type: expected an attestation-bound JWT role .* found vault:gcp\/authBackendRole/],
    ["c1's MR_TD claim loosened to any firmware", (s) => (role(s).boundClaims["/tdx/tdx_mrtd"] = `${role(s).boundClaims["/tdx/tdx_mrtd"]},${"00".repeat(48)}`), /boundClaims\["\/tdx\/tdx_mrtd"\]: expected only "759bdf.*found "759bdf/],
    ["c1's image register dropped", (s) => delete role(s).boundClaims["/tdx/tdx_rtmr1"], /boundClaims\["\/tdx\/tdx_rtmr1"\]: expected only .*found unbound/],
    ["c1's debug claim dropped", (s) => delete role(s).boundClaims["/tdx/dbgstat"], /boundClaims\["\/tdx\/dbgstat"\]: expected only "disabled" or .*found unbound/],
    ["c1's role accepting c2's tokens", (s) => (role(s).boundClaims["/tdx/attester_runtime_data/zipnet_node"] = "c1,c2"), /zipnet_node"\]: expected only "c1" .*found "c1,c2"/],
    [
      "a role reading only the committee secret, for two servers",
      (s) => {
        role(s).boundClaims["/tdx/attester_runtime_data/zipnet_node"] = "c1,c2";
        props(s, "secrets-c1-policy").policy = `path "zipnet/acme.mainnet/data/committee" {\n  capabilities = ["read"]\n}\n`;
      },
      /zipnet_node"\]: expected exactly one committee server of acme.mainnet .*found "c1,c2"/,
    ],
    ["c1's role matching by glob", (s) => (role(s).boundClaimsType = "glob"), /boundClaimsType: expected "string"/],
    ["c1's role left an oidc role", (s) => (role(s).roleType = "oidc"), /roleType: expected "jwt"/],
    ["c1's logins accepted from anywhere", (s) => (role(s).tokenBoundCidrs = ["0.0.0.0/0"]), /tokenBoundCidrs: expected the node's reserved address alone .*found \["0.0.0.0\/0"\]/],
    ["the mount trusting another issuer", (s) => (props(s, "secrets-attest").boundIssuer = "https://confidentialcomputing.googleapis.com"), /secrets-attest: boundIssuer: expected "https:\/\/portal.trustauthority.intel.com"/],
    ["the mount trusting a key of its own", (s) => (props(s, "secrets-attest").jwtValidationPubkeys = ["-----BEGIN PUBLIC KEY-----"]), /jwtValidationPubkeys: expected unset/],
    [
      "the aggregator's cloud role granted the committee secret",
      (s) => (props(s, "secrets-agg-policy").policy += `\npath "zipnet/acme.mainnet/data/committee" {\n  capabilities = ["read"]\n}\n`),
      /secrets-agg-role: type: expected an attestation-bound JWT role .*zipnet\/acme.mainnet\/data\/committee.*found vault:aws\/authBackendRole/,
    ],
    ["the posture record without the Vault CA fingerprint", (s) => (record(s).vault.caSha256 = ""), /secrets-c1-role-0: boundClaims: expected the posture record's vault.caSha256 .*found none in the posture record/],
    ["the mount fetching keys through a private CA", (s) => (props(s, "secrets-attest").jwksCaPem = "-----BEGIN CERTIFICATE-----"), /secrets-attest: jwksCaPem: expected unset/],
    ["c1's role carrying a policy defined outside the stack", (s) => (role(s).tokenPolicies = [...role(s).tokenPolicies.filter((p: string) => p !== "ops-admin"), "ops-admin"]), /secrets-c1-role-0: tokenPolicies: expected policies the stack defines .*found \["ops-admin"\]/],
    ["c1's role bound to an address other than its VM's", (s) => {
      props(s, "c1-vm").networkInterfaces[0].accessConfigs[0].natIp = "198.51.100.11";
      role(s).tokenBoundCidrs = ["198.51.100.99/32"];
    }, /tokenBoundCidrs: expected the node's reserved address alone \(198.51.100.11\/32\) for c1, found \["198.51.100.99\/32"\]/],
    ["c1's role accepting its address and another", (s) => (role(s).tokenBoundCidrs = [role(s).tokenBoundCidrs[0], "203.0.113.0/24"]), /tokenBoundCidrs: expected the node's reserved address alone .*found \["\(unknown\)","203.0.113.0\/24"\]/],
    ["an AppRole role given c1's policy", (s) => addResource(s, "vault:appRole/authBackendRole:AuthBackendRole", "ops-approle", { backend: "approle", roleName: "ops", tokenPolicies: ["zipnet.acme.mainnet.c1"] }), /ops-approle: type: expected an attestation-bound JWT role .*found vault:appRole\/authBackendRole/],
    ["a token minted with c1's policy", (s) => addResource(s, "vault:index/token:Token", "ops-token", { policies: ["zipnet.acme.mainnet.c1"], ttl: "1h" }), /ops-token: type: expected an attestation-bound JWT role .*found vault:index\/token:Token/],
    ["a raw Vault write under auth/", (s) => addResource(s, "vault:generic/endpoint:Endpoint", "ops-raw", { path: "auth/zipnet-attest/acme.mainnet/role/backdoor", dataJson: "{}" }), /ops-raw: path: expected no raw Vault write under auth\//],
  ];

  it("accepts c1's role bound to exactly its VM's address, once the state knows it", async () => {
    const s = copy(states["acme.mainnet"]);
    for (side of ["inputs", "outputs"] as const) {
      props(s, "c1-vm").networkInterfaces[0].accessConfigs[0].natIp = "198.51.100.11";
      role(s).tokenBoundCidrs = ["198.51.100.11/32"];
    }
    side = "inputs";
    expect((await audit(s)).violations.filter((v) => v.policy === "committee.tdx:vault-login")).toEqual([]);
  });

  it.each(cases)("%s", async (_what, edit, says) => {
    const s = copy(states["acme.mainnet"]);
    for (side of ["inputs", "outputs"] as const) edit(s);
    side = "inputs";
    const hits = (await audit(s)).violations.filter((v) => v.policy === "committee.tdx:vault-login");
    expect(hits.map((v) => `${v.level} ${v.message}`)).toContainEqual(expect.stringMatching(new RegExp(`^mandatory .*${says.source}`)));
  });

  it("judges nothing in devtest: acme.preview's committee logs in with cloud identities", async () => {
    const result = await audit(states["acme.preview"]);
    expect(result.violations.filter((v) => v.policy.startsWith("committee.tdx:vault-login"))).toEqual([]);
    expect(all(states["acme.preview"]).some((r) => r.type === "vault:gcp/authBackendRole:AuthBackendRole")).toBe(true);
  });
});

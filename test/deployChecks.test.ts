/**
 * Deploy checks: what the clouds, the providers and Vault refuse at `pulumi up`. The example plans
 * pass every rule; each rule is broken once, on a copy of an example plan, and caught by its id.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_RULES, runDeployChecks } from "../src/deployChecks";
import { runRules, type DeployRule } from "../src/deployChecks/rule";
import type { Plan } from "../src/offline/plan";
import { toStateResource, type StateResource } from "../src/offline/stateFile";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { vi } from "vitest";
import { main } from "../src/cli/main";
import { toStateFile } from "../src/offline/stateFile";
import { AZURE_MAINNET, examplePlan } from "./support/plans";

const plans: Record<string, Plan> = {};
beforeAll(async () => {
  // The breakages run on mainnet with c2 on Azure: the Azure rules need an Azure committee server.
  for (const stack of ["acme.mainnet", "acme.preview", AZURE_MAINNET]) plans[stack] = await examplePlan(stack);
});

/** A plan's resources as the checks read them (deleteBeforeReplace, known to the engine, included). */
function stateOf(stack: string): StateResource[] {
  return structuredClone(plans[stack].resources.map((r) => ({ ...toStateResource(r, "keep"), deleteBeforeReplace: r.deleteBeforeReplace })));
}

const named = (state: StateResource[], name: string): StateResource => {
  const r = state.find((x) => x.urn.endsWith(`::${name}`));
  if (!r) throw new Error(`no resource ${name}`);
  return r;
};
const inputs = (state: StateResource[], name: string): any => named(state, name).inputs;

/** A resource of another type, cloned into the state under a new name (its provider kept). */
function add(state: StateResource[], like: string, name: string, type: string, props: Record<string, unknown>): StateResource {
  const base = named(state, like);
  const parts = base.urn.split("::");
  const chain = parts[2].split("$");
  chain[chain.length - 1] = type;
  const urn = [...parts.slice(0, 2), chain.join("$"), name].join("::");
  const r: StateResource = { ...structuredClone(base), urn, type, inputs: props, outputs: props };
  state.push(r);
  return r;
}

interface Breakage {
  rule: string;
  stack?: string;
  what: string;
  edit: (s: StateResource[]) => void;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const nsgRule = (s: StateResource[], name: string) => inputs(s, "c2-nsg").securityRules.find((r: any) => r.name === name);

const BREAKAGES: Breakage[] = [
  // GCP
  { rule: "gcp.label-key", what: "an uppercase label key", edit: (s) => (inputs(s, "c1-vm").labels["Zipnet-Extra"] = "x") },
  { rule: "gcp.label-value", what: "a dotted label value", edit: (s) => (inputs(s, "c1-vm").labels["zipnet-instance"] = "acme.mainnet") },
  { rule: "gcp.label-count", what: "65 labels", edit: (s) => Object.assign(inputs(s, "c1-disk-key").labels, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "x"]))) },
  { rule: "gcp.resource-name", what: "a firewall named with an underscore", edit: (s) => (inputs(s, "c1-fw-iroh").name = "c1_fw") },
  { rule: "gcp.firewall-priority", what: "priority 70000", edit: (s) => (inputs(s, "c1-fw-iroh").priority = 70000) },
  { rule: "gcp.firewall-family", what: "IPv4 and IPv6 in one rule", edit: (s) => (inputs(s, "c1-fw-metrics").sourceRanges = ["10.20.0.0/16", "2001:db8::/48"]) },
  { rule: "gcp.firewall-ingress-source", what: "an ingress rule without sources", edit: (s) => delete inputs(s, "c1-fw-metrics").sourceRanges },
  { rule: "gcp.service-account-id", what: "a 31-character account id", edit: (s) => (inputs(s, "c1-sa").accountId = "zn-acme-mainnet-committee-node-1") },
  { rule: "gcp.service-account-unique", what: "two accounts of one project with one id", edit: (s) => add(s, "c1-sa", "c1-sa-twin", "gcp:serviceaccount/account:Account", { ...inputs(s, "c1-sa") }) },
  { rule: "gcp.kms-destroy-duration", what: "a duration in days", edit: (s) => (inputs(s, "c1-disk-key").destroyScheduledDuration = "1d") },
  { rule: "gcp.kms-name", what: "a key ring named with a dot", edit: (s) => (inputs(s, "c1-keyring").name = "c1.keyring") },
  { rule: "gcp.cmek-key-location", what: "the key ring in another region", edit: (s) => (inputs(s, "c1-keyring").location = "europe-west4") },
  { rule: "gcp.cmek-service-agent", what: "the VM not waiting for the key grant", edit: (s) => (named(s, "c1-vm").dependencies = []) },
  { rule: "gcp.tdx-maintenance", what: "a TDX VM that live-migrates", edit: (s) => (inputs(s, "c1-vm").scheduling.onHostMaintenance = "MIGRATE") },
  { rule: "gcp.tdx-machine-type", what: "a TDX VM on n2", edit: (s) => (inputs(s, "c1-vm").machineType = "n2-standard-4") },
  { rule: "gcp.tdx-zone", what: "a TDX VM in a zone without TDX", edit: (s) => (inputs(s, "c1-vm").zone = "us-east4-b") },
  { rule: "gcp.confidential-gvnic", what: "a confidential VM on VIRTIO_NET", edit: (s) => (inputs(s, "c1-vm").networkInterfaces[0].nicType = "VIRTIO_NET") },
  { rule: "gcp.bucket-name", what: "a bucket name with google in it", edit: (s) => add(s, "c1-disk-key", "gcs", "gcp:storage/bucket:Bucket", { name: "zipnet-google-archive", location: "US-EAST4" }) },
  { rule: "gcp.bucket-retention-versioning", what: "versioning beside a retention policy", edit: (s) => add(s, "c1-disk-key", "gcs", "gcp:storage/bucket:Bucket", { name: "zipnet-archive", retentionPolicy: { retentionPeriod: "86400" }, versioning: { enabled: true } }) },
  // Azure
  { rule: "azure.nsg-priority", what: "priority 50", edit: (s) => (nsgRule(s, "allow-iroh").priority = 50) },
  { rule: "azure.nsg-priority-unique", what: "two inbound rules at one priority", edit: (s) => (nsgRule(s, "allow-metrics").priority = nsgRule(s, "allow-iroh").priority) },
  { rule: "azure.nsg-rule-name", what: "two rules of one name", edit: (s) => (nsgRule(s, "allow-metrics").name = "allow-iroh") },
  {
    rule: "azure.nsg-family",
    what: "IPv4 and IPv6 scrapers in one rule",
    edit: (s) => (nsgRule(s, "allow-metrics").sourceAddressPrefixes = ["10.20.0.0/16", "2001:db8::/48"]),
  },
  { rule: "azure.gallery-image-version", what: "a pre-release image version", edit: (s) => (inputs(s, "c2-vm").storageProfile.imageReference.id = inputs(s, "c2-vm").storageProfile.imageReference.id.replace(/versions\/.*$/, "versions/1.5.0-rc1")) },
  { rule: "azure.vm-image-replace", what: "an image that would be updated in place", edit: (s) => delete named(s, "c2-vm").replaceOnChanges },
  { rule: "azure.vm-nic-delete-option", what: "Azure deleting a NIC Pulumi manages", edit: (s) => (inputs(s, "c2-vm").networkProfile.networkInterfaces[0].deleteOption = "Delete") },
  { rule: "azure.nic-address-delete-option", what: "Azure deleting an address Pulumi manages", edit: (s) => (inputs(s, "c2-nic").ipConfigurations[0].publicIPAddress.deleteOption = "Delete") },
  { rule: "azure.vm-replace-order", what: "a replacement that creates before it deletes", edit: (s) => (named(s, "c2-vm").deleteBeforeReplace = false) },
  { rule: "azure.nonpersisted-tpm", what: "NonPersistedTPM on a non-TDX size", edit: (s) => (inputs(s, "c2-vm").hardwareProfile.vmSize = "Standard_DC4as_v5") },
  { rule: "azure.confidential-accelerated-networking", what: "accelerated networking on a confidential VM's NIC", edit: (s) => (inputs(s, "c2-nic").enableAcceleratedNetworking = true) },
  { rule: "azure.resource-group-name", what: "a resource group name ending with a dot", edit: (s) => (inputs(s, "c2-rg").resourceGroupName = "zipnet.") },
  { rule: "azure.network-name", what: "an NSG name with a space", edit: (s) => (inputs(s, "c2-nsg").networkSecurityGroupName = "zipnet nsg") },
  { rule: "azure.vm-name", what: "a VM name ending with a dash", edit: (s) => (inputs(s, "c2-vm").vmName = "c2-vm-") },
  { rule: "azure.zone", what: "zone 4", edit: (s) => (inputs(s, "c2-vm").zones = ["4"]) },
  // AWS
  { rule: "aws.s3-bucket-name", what: "an uppercase bucket name", edit: (s) => (inputs(s, "archive-bucket").bucket = "Zipnet-Archive") },
  { rule: "aws.s3-object-lock-versioning", what: "Object Lock without versioning", edit: (s) => (inputs(s, "archive-versioning").versioningConfiguration.status = "Suspended") },
  { rule: "aws.sev-snp-family", stack: "acme.preview", what: "SEV-SNP on an m5", edit: (s) => (inputs(s, "p3-vm").instanceType = "m5.large") },
  { rule: "aws.imds-options", what: "hop limit 0", edit: (s) => (inputs(s, "agg-vm").metadataOptions.httpPutResponseHopLimit = 0) },
  { rule: "aws.iam-role-name", what: "a role name with a space", edit: (s) => (inputs(s, "archive-writer").name = "zn archiver") },
  { rule: "aws.kms-deletion-window", what: "a 3-day window", edit: (s) => (inputs(s, "agg-disk-key").deletionWindowInDays = 3) },
  { rule: "aws.security-group-text", what: "a quote in the description", edit: (s) => (inputs(s, "agg-sg").description = "zipnet's group") },
  { rule: "aws.cross-account-assume-role", what: "the aggregator without its identity policy for the writer role of another account", edit: (s) => {
    inputs(s, "archive-writer").assumeRolePolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/agg-role" }, Action: "sts:AssumeRole" }] });
    for (const side of ["inputs", "outputs"] as const) (named(s, "archive-writer")[side] as any).arn = "arn:aws:iam::999999999999:role/zn-archiver";
    (named(s, "agg-role").outputs as any).arn = "arn:aws:iam::123456789012:role/agg-role";
    s.splice(s.indexOf(named(s, "agg-archive-assume")), 1);
  } },
  { rule: "aws.ebs-volume-type", what: "volume type gp4", edit: (s) => (inputs(s, "agg-vm").rootBlockDevice.volumeType = "gp4") },
  // Vault
  { rule: "vault.kv-check-and-set", what: "a write with the top-level cas Vault ignores", edit: (s) => {
    delete inputs(s, "secrets-committee").options;
    inputs(s, "secrets-committee").cas = 0;
  } },
  { rule: "vault.audit-root-namespace", what: "an audit device under a namespaced provider", edit: (s) => (inputs(s, "secrets-vault").namespace = "acme") },
  { rule: "vault.mount-path", what: "a mount under sys/", edit: (s) => (inputs(s, "secrets-kv").path = "sys/zipnet") },
  { rule: "vault.token-ttl-order", what: "a token TTL above its maximum", edit: (s) => (inputs(s, "secrets-agg-role").tokenTtl = 7200) },
  { rule: "vault.token-ttl-order", what: "an attested role's token TTL above its maximum", edit: (s) => (inputs(s, "secrets-c1-role-0").tokenTtl = 7200) },
  { rule: "vault.jwt-role", what: "a JWT role left at the default oidc role type", edit: (s) => delete inputs(s, "secrets-c1-role-0").roleType },
  { rule: "vault.jwt-role", what: "a JWT role without a user claim", edit: (s) => delete inputs(s, "secrets-c1-role-0").userClaim },
  { rule: "vault.jwt-role", what: "a JWT role with no bound constraint", edit: (s) => {
    const r = inputs(s, "secrets-c1-role-0");
    delete r.boundClaims;
    delete r.tokenBoundCidrs;
  } },
  { rule: "vault.jwt-mount-keys", what: "a JWT mount with both a JWKS URL and discovery", edit: (s) => (inputs(s, "secrets-attest").oidcDiscoveryUrl = "https://portal.trustauthority.intel.com") },
  { rule: "vault.jwt-mount-keys", what: "a JWT mount with no keys", edit: (s) => delete inputs(s, "secrets-attest").jwksUrl },
  { rule: "vault.aws-unique-ids", what: "a wildcard principal with unique ids resolved", edit: (s) => (inputs(s, "secrets-agg-role").boundIamPrincipalArns = ["arn:aws:iam::123456789012:role/*"]) },
  { rule: "vault.azure-role-bound", stack: "acme.preview", what: "an Azure role with no bound constraint", edit: (s) => {
    delete inputs(s, "secrets-p2-role").boundServicePrincipalIds;
    delete inputs(s, "secrets-p2-role").boundSubscriptionIds;
  } },
  { rule: "vault.policy-name", what: "an uppercase policy name", edit: (s) => (inputs(s, "secrets-c1-policy").name = "Zipnet.acme.mainnet.c1") },
];

describe("deploy checks", () => {
  it("the catalogue has 40 or more rules, each with an id, the types it reads, a description and a source", () => {
    expect(DEPLOY_RULES.length).toBeGreaterThanOrEqual(40);
    for (const r of DEPLOY_RULES) {
      expect(r.id).toMatch(/^(gcp|azure|aws|vault)\.[a-z0-9-]+$/);
      expect(r.types.length, r.id).toBeGreaterThan(0);
      expect(r.description.length, r.id).toBeGreaterThan(20);
      expect(r.source, r.id).toMatch(/https:\/\/|\.go\b|#\d+|\/[\w.-]+\.(go|ts)/);
    }
  });

  it("docs/deploy-checks.md lists every rule with its source", () => {
    const doc = readFileSync(path.join(__dirname, "..", "docs", "deploy-checks.md"), "utf8");
    for (const r of DEPLOY_RULES) expect(doc, r.id).toContain(`\`${r.id}\``);
  });

  it.each(["acme.mainnet", "acme.preview", AZURE_MAINNET])("%s passes every rule", (stack) => {
    const result = runDeployChecks(stateOf(stack));
    expect(result.rules).toBe(DEPLOY_RULES.length);
    expect(result.findings).toEqual([]);
  });

  it("every rule is broken once below", () => {
    expect(DEPLOY_RULES.map((r) => r.id).filter((id) => !BREAKAGES.some((b) => b.rule === id))).toEqual([]);
  });

  it.each(BREAKAGES.map((b) => [b.rule, b.what, b] as const))("%s: %s", (rule, _what, b) => {
    const state = stateOf(b.stack ?? AZURE_MAINNET);
    b.edit(state);
    const findings = runDeployChecks(state).findings;
    const mine = findings.filter((f) => f.rule === rule);
    expect(mine.length, JSON.stringify(findings, null, 1)).toBeGreaterThan(0);
    for (const f of mine) {
      expect(f.urn).toMatch(/^urn:pulumi:/);
      expect(f.message).toMatch(/^[^:]+: .+: expected .+, found /);
    }
  });

  it("a rule that throws is a finding, not a pass", () => {
    const boom: DeployRule = { id: "test.boom", types: ["gcp:compute/instance:Instance"], description: "throws", source: "https://example.invalid", check: () => { throw new Error("kaput"); } };
    const result = runRules([boom], stateOf("acme.mainnet"));
    expect(result.findings.map((f) => f.message)).toEqual(["c1-vm: the rule could not judge it: kaput", "c2-vm: the rule could not judge it: kaput", "c3-vm: the rule could not judge it: kaput"]);
  });

  it("audit of a state with a finding exits 1 and names the rule, the resource and the property", async () => {
    const plan = plans[AZURE_MAINNET];
    const state = toStateFile(plan.resources, "test", "redact");
    const nsg = state.deployment.resources.find((r) => r.urn.endsWith("::c2-nsg"))!;
    (nsg.inputs as any).securityRules[0].priority = 50;
    const file = path.join(mkdtempSync(path.join(tmpdir(), "deploy-")), "state.json");
    writeFileSync(file, JSON.stringify(state));
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s: any) => (out.push(String(s)), true));
    let code: number;
    try {
      code = await main(["audit", "--state", file, "--policy-pack", path.join(__dirname, "fixtures", "empty-pack")]);
    } finally {
      // Files share their worker's process (isolate: false): stdout is given back whatever happens.
      vi.restoreAllMocks();
    }
    expect(code).toBe(1);
    const text = out.join("");
    expect(text).toContain(`deploy checks: ${DEPLOY_RULES.length} rules ran, 1 finding(s)`);
    expect(text).toMatch(/azure\.nsg-priority +urn:pulumi:acme\.mainnet::zipnet-infra::.*::c2-nsg\n +c2-nsg: securityRules\[0\]\.priority: expected an integer 100-4096, found 50/);
    expect(text).toContain("FAILED: 1 deploy-check finding(s)");
  });

  it("secret-wrapped values are read as their value", () => {
    const state = stateOf("acme.mainnet");
    inputs(state, "c1-fw-iroh").priority = { [SECRET_SIG_KEY]: "1b47061264138c4ac30d75fd1eb44270", value: 70000 };
    expect(runDeployChecks(state).findings.map((f) => f.rule)).toContain("gcp.firewall-priority");
  });
});

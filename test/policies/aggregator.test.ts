import { describe, expect, it } from "vitest";
import { addResource, byName, caught, editBootContract, loadPlan } from "./harness";

describe("aggregator.no-committee-secret", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan("acme.mainnet"), "aggregator.no-committee-secret")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "aggregator.no-committee-secret", "advisory")).toEqual([]);
  });

  it("catches the aggregator's Vault policy granting the committee path (ACL evaluation)", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "secrets-agg-policy").inputs.policy += '\npath "zipnet/acme.mainnet/data/+" {\n  capabilities = ["read"]\n}\n';
    expect((await caught(plan, "aggregator.no-committee-secret")).map((d) => d.message)).toEqual([
      "secrets-agg-policy: policy: expected no read on the committee secret zipnet/acme.mainnet/data/committee for aggregator agg, found read granted on zipnet/acme.mainnet/data/committee",
    ]);
  });

  it("catches the aggregator's role carrying a committee server's policy", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "secrets-agg-role").inputs.tokenPolicies.push("zipnet.acme.mainnet.c1");
    expect((await caught(plan, "aggregator.no-committee-secret")).map((d) => d.message)).toEqual([
      "secrets-c1-policy: policy: expected no read on the committee secret zipnet/acme.mainnet/data/committee for aggregator agg, found read granted on zipnet/acme.mainnet/data/committee",
    ]);
  });

  it("catches another auth role that can read the committee secret bound to the aggregator's identity", async () => {
    const plan = await loadPlan("acme.mainnet");
    const role = byName(plan, "secrets-agg-role");
    addResource(plan, role, role.type, "secrets-backdoor-role", { ...structuredClone(role.inputs), role: "backdoor", tokenPolicies: ["zipnet.acme.mainnet.c1"] });
    expect((await caught(plan, "aggregator.no-committee-secret")).map((d) => d.message)).toEqual([
      "secrets-backdoor-role: boundIamPrincipalArns: expected no role that can read zipnet/acme.mainnet/data/committee bound to aggregator agg-vm's identity, found role backdoor is bound to it",
    ]);
  });

  it("catches the committee secret named in the aggregator's user-data", async () => {
    const plan = await loadPlan("acme.mainnet");
    editBootContract(byName(plan, "agg-vm"), (c) => {
      c.env.ZIPNET_COMMITTEE_SECRET_FILE = "/run/zipnet/committee-secret";
      c.vault.secrets.push({ env: "ZIPNET_COMMITTEE_SECRET_FILE", path: "zipnet/acme.mainnet/data/committee", field: "value", file: "/run/zipnet/committee-secret" });
    });
    expect((await caught(plan, "aggregator.no-committee-secret")).map((d) => d.message)).toEqual([
      "agg-vm: userData: expected no mention of ZIPNET_COMMITTEE_SECRET on the aggregator, found a ZIPNET_COMMITTEE_SECRET variable",
      "agg-vm: userData: expected no read of the committee secret on the aggregator, found zipnet/acme.mainnet/data/committee",
    ]);
  });
});

describe("aggregator.hardened (advisory)", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan("acme.mainnet"), "aggregator.hardened", "advisory")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "aggregator.hardened", "advisory")).toEqual([]);
  });

  it("advises on IMDSv1 and on SSH ingress", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "agg-vm").inputs.metadataOptions.httpTokens = "optional";
    byName(plan, "agg-sg").inputs.ingress.push({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.51.100.0/24"] });
    const ds = await caught(plan, "aggregator.hardened", "advisory");
    expect(ds.map((d) => d.message)).toEqual([
      'agg-vm: metadataOptions.httpTokens: expected "required" (IMDSv2 only), found "optional"',
      "agg-sg: ingress[2]: expected no SSH (TCP 22) ingress to aggregator agg-vm, found allow TCP 22 from 198.51.100.0/24 at priority 0",
    ]);
    expect(await caught(plan, "aggregator.hardened", "mandatory")).toEqual([]);
  });
});

describe("aggregator.own-identity", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan("acme.mainnet"), "aggregator.own-identity")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "aggregator.own-identity", "advisory")).toEqual([]);
  });

  it("catches an aggregator labelled for another instance and reading a committee server's secret", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "agg-vm").inputs.tags["zipnet-instance"] = "acme_testnet";
    editBootContract(byName(plan, "agg-vm"), (c) => (c.vault.secrets[0].path = "zipnet/acme.mainnet/data/nodes/c1"));
    byName(plan, "secrets-agg-policy").inputs.policy = 'path "zipnet/acme.mainnet/data/nodes/c1" {\n  capabilities = ["read"]\n}\n';
    const ds = await caught(plan, "aggregator.own-identity");
    expect(ds.map((d) => d.message)).toEqual([
      'agg-vm: zipnet-instance: expected "acme_mainnet" (its instance), found "acme_testnet"',
      'agg-vm: userData vault.secrets[0].path: expected zipnet/acme.mainnet/data/nodes/agg, found "zipnet/acme.mainnet/data/nodes/c1"',
      'secrets-agg-role: tokenPolicies: expected read on the aggregator\'s own secret zipnet/acme.mainnet/data/nodes/agg, found ["zipnet.acme.mainnet.agg"]',
    ]);
  });

  it("catches an aggregator sharing a committee server's Vault role (devtest: advisory)", async () => {
    const plan = await loadPlan("acme.preview");
    editBootContract(byName(plan, "pagg-vm"), (c) => (c.vault.role = "zipnet.acme.preview.p3"));
    const ds = await caught(plan, "aggregator.own-identity", "advisory");
    expect(ds.map((d) => d.message)).toContain('pagg-vm: userData vault.role: expected an auth role of its own (also used by p3-vm), found "zipnet.acme.preview.p3"');
  });
});

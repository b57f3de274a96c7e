/**
 * Deployable for real: what the clouds, the providers and Vault would refuse in the example stacks
 * (docs/deploy-checks.md), each reproduced on the plan or the config and shown fixed.
 */
import { describe, expect, it } from "vitest";
import { CONFIG_KEY } from "../src/config/schema";
import { formatIssue, validateInstanceConfig } from "../src/config/validate";
import { serviceAccountId } from "../src/nodes/gcp";
import { planInstance } from "../src/offline/planInProcess";
import { exampleConfig, ofType, rawExample, AZURE_MAINNET } from "./support/plans";

function issues(raw: unknown): string[] {
  const r = validateInstanceConfig(raw);
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe("Azure", () => {
  it("an IPv6 scraper in metricsSources: one NSG rule per address family, and every deploy check passes", async () => {
    const config = exampleConfig(AZURE_MAINNET, (raw) => raw.network.metricsSources.push("2001:db8:1234::/48"));
    const plan = await planInstance(config, "acme.mainnet");
    const nsg = plan.resources.find((r) => r.urn.endsWith("::c2-nsg"))!;
    const metrics = (nsg.inputs as any).securityRules.filter((r: any) => r.name.startsWith("allow-metrics"));
    expect(metrics.map((r: any) => [r.name, r.sourceAddressPrefixes])).toEqual([
      ["allow-metrics", ["203.0.113.10/32", "10.20.0.0/16"]],
      ["allow-metrics-v6", ["2001:db8:1234::/48"]],
    ]);
    // GCP splits too
    expect(plan.resources.some((r) => r.urn.endsWith("::c1-fw-metrics-v6"))).toBe(true);
    expect(plan.deployChecks.findings).toEqual([]);
  });

  it("a new image replaces the VM, deleting the old one first; the NIC and address are detached, not deleted by Azure", async () => {
    const plan = await planInstance(exampleConfig(AZURE_MAINNET), "acme.mainnet");
    const vm = plan.resources.find((r) => r.urn.endsWith("::c2-vm"))!;
    expect(vm.replaceOnChanges).toEqual(["storageProfile.imageReference"]);
    expect(vm.deleteBeforeReplace).toBe(true);
    expect((vm.inputs as any).networkProfile.networkInterfaces[0].deleteOption).toBe("Detach");
  });

  it("a gallery image version must be Major.Minor.Patch (acme.preview had 1.5.0-rc1)", () => {
    const raw = rawExample("acme.preview");
    raw.images.azure = raw.images.azure.replace(/versions\/.*$/, "versions/1.5.0-rc1");
    expect(issues(raw)).toEqual([expect.stringMatching(/^zipnet-infra:instance\.images\.azure: expected a gallery image version named Major\.Minor\.Patch, digits only \(e\.g\. versions\/1\.5\.0; no -rc suffix\), found "\/subscriptions\//)]);
  });
});

describe("Vault", () => {
  it("a namespaced Vault: the managed audit device is refused with the key named; an existing one plans", async () => {
    const raw = rawExample("acme.mainnet");
    raw.vault.namespace = "acme";
    expect(issues(raw)).toEqual([
      `${CONFIG_KEY}.vault.auditDevice: expected existing with vault.existingAudit (audit devices live in the root namespace; a namespaced instance cannot create one), found "managed"`,
    ]);
    const plan = await planInstance(
      exampleConfig("acme.mainnet", (r) => Object.assign(r.vault, { namespace: "acme", auditDevice: "existing", existingAudit: { device: "file/", by: "ops", date: "2026-10-01" } })),
      "acme.mainnet",
    );
    expect(ofType(plan.resources, "vault:index/audit:Audit")).toEqual([]);
    expect(plan.deployChecks.findings).toEqual([]);
  });
});

describe("GCP", () => {
  it("service account ids cannot collide by truncation, and fit IAM's 6-30 characters", () => {
    const long = "acme.very-long-instance-name-for-testing";
    expect(serviceAccountId(long, "committee-node-a1")).not.toBe(serviceAccountId(long, "committee-node-a2"));
    expect(serviceAccountId("acme.mainnet", "c1")).not.toBe(serviceAccountId("acme.preview", "c1"));
    for (const id of [serviceAccountId(long, "abcdefghijklmnopqrst"), serviceAccountId("a.b", "c1")]) expect(id).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
  });

  it("an explicit zone of a TDX node must offer TDX", () => {
    const raw = rawExample("acme.mainnet");
    raw.committee[0].zone = "us-east4-b";
    expect(issues(raw)).toEqual([`${CONFIG_KEY}.committee[0].zone: expected a zone of us-east4 with C3 TDX capacity (us-east4-a, us-east4-c), found "us-east4-b"`]);
  });
});

describe("dates", () => {
  it("a date that is no calendar day is refused", () => {
    const raw = rawExample("acme.mainnet");
    raw.rotation.lastRehearsal = "2026-02-30";
    expect(issues(raw)).toEqual([`${CONFIG_KEY}.rotation.lastRehearsal: expected a real calendar date YYYY-MM-DD, found "2026-02-30"`]);
  });
});

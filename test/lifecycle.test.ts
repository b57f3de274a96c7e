/**
 * Disk wipe and decommissioning: per-node keys and deletion settings on every node, the wipe
 * hook's record, and plan diffs when a node leaves (production: replaced; devtest: removed).
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { instanceNodes } from "../src/config/validate";
import { WIPE_METHOD, wipeHookCallback, wipeRecord, writeWipeRecord, type WipeRecord } from "../src/lifecycle/wipe";
import { planInstance } from "../src/offline/planInProcess";
import { EXAMPLE_STACKS, diffPlans, exampleConfig, examplePlan, ofType, ownerOf } from "./support/plans";

describe.each(EXAMPLE_STACKS)("%s disk keys and deletion", (stack) => {
  it("encrypts every GCP and AWS node disk with the node's own, soon-destroyed key", async () => {
    const { resources, config } = await examplePlan(stack);
    for (const node of instanceNodes(config).filter((n) => n.cloud !== "azure")) {
      const mine = resources.filter((r) => ownerOf(r) === node.id);
      if (node.cloud === "gcp") {
        const [key] = ofType(mine, "gcp:kms/cryptoKey:CryptoKey");
        expect((key.inputs as any).destroyScheduledDuration).toBe("86400s");
        const [vm] = ofType(mine, "gcp:compute/instance:Instance");
        expect((vm.inputs as any).bootDisk.kmsKeySelfLink).toBe(key.id);
        // The compute service agent may use this key, and no other grant exists on it.
        const grants = ofType(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").filter((g) => (g.inputs as any).cryptoKeyId === key.id);
        expect(grants.map((g) => (g.inputs as any).role)).toEqual(["roles/cloudkms.cryptoKeyEncrypterDecrypter"]);
        expect(vm.dependencies).toContain(grants[0].urn);
      }
      if (node.cloud === "aws") {
        const [key] = ofType(mine, "aws:kms/key:Key");
        expect((key.inputs as any).deletionWindowInDays).toBe(7);
        const [vm] = ofType(mine, "aws:ec2/instance:Instance");
        expect((vm.inputs as any).rootBlockDevice.kmsKeyId).toMatch(/^arn:aws:kms:[a-z0-9-]+:\d{12}:/);
        expect(vm.dependencies).toContain(key.urn);
      }
    }
  });

  it("ties Azure disk key material to the VM (NonPersistedTPM) and deletes disk and NIC with it", async () => {
    const { resources } = await examplePlan(stack);
    for (const vm of ofType(resources, "azure-native:compute:VirtualMachine")) {
      const os = (vm.inputs as any).storageProfile.osDisk;
      expect([os.deleteOption, os.managedDisk.securityProfile.securityEncryptionType]).toEqual(["Delete", "NonPersistedTPM"]);
      expect((vm.inputs as any).storageProfile.dataDisks).toBeUndefined();
    }
  });

  it("has no snapshot schedules, backups or images of node disks", async () => {
    const { resources } = await examplePlan(stack);
    const backups = resources.filter((r) => /resourcePolicy|snapshot|dlm|backup|recoveryservices|compute\/image|machineImage/i.test(r.type));
    expect(backups.map((r) => r.type)).toEqual([]);
  });
});

describe("wipe hook", () => {
  it("records instance, node, time, the keys scheduled for destruction and the method", async () => {
    const { resources } = await examplePlan("acme.mainnet");
    const vm = ofType(resources, "gcp:compute/instance:Instance").find((r) => ownerOf(r) === "c1")!;
    const now = new Date("2026-11-24T12:00:00Z");
    const record = wipeRecord("afterDelete", { instance: "acme.mainnet", node: "c1", cloud: "gcp" }, { urn: vm.urn, oldInputs: vm.inputs }, now);
    expect(record).toEqual({
      event: "afterDelete",
      instance: "acme.mainnet",
      node: "c1",
      cloud: "gcp",
      urn: vm.urn,
      time: "2026-11-24T12:00:00.000Z",
      diskKeys: ["projects/acme-zipnet-c1/locations/us-east4/cryptoKeys/c1-disk-key"],
      keyDestruction: expect.stringContaining("a VM replacement keeps the key"),
      method: WIPE_METHOD,
      how: expect.stringContaining("destroyScheduledDuration"),
    });
  });

  it("files the record through the callback the VM's hook runs", async () => {
    const { resources } = await examplePlan("acme.mainnet");
    const vm = ofType(resources, "aws:ec2/instance:Instance")[0];
    const filed: WipeRecord[] = [];
    const callback = wipeHookCallback("beforeDelete", { instance: "acme.mainnet", node: "agg", cloud: "aws" }, (r) => {
      filed.push(r);
      return "memory";
    });
    await callback({ urn: vm.urn, id: vm.id, name: vm.name, type: vm.type, oldInputs: vm.inputs });
    expect(filed).toHaveLength(1);
    expect(filed[0].diskKeys).toEqual([(vm.inputs as any).rootBlockDevice.kmsKeyId]);
    expect(filed[0].event).toBe("beforeDelete");
  });

  it("writes one JSON record per event under the instance's folder", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wipe-"));
    const record = wipeRecord("afterDelete", { instance: "acme.preview", node: "p2", cloud: "azure" }, { urn: "urn:x", oldInputs: {} }, new Date(0));
    const file = writeWipeRecord(record, dir);
    expect(readdirSync(path.join(dir, "acme.preview"))).toEqual([path.basename(file)]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(record);
    expect(record.diskKeys).toEqual([]);
    expect(record.how).toContain("NonPersistedTPM");
  });
});

describe("decommissioning", () => {
  function nodeUrns(resources: { urn: string; parent: string; type: string }[], id: string): string[] {
    return resources
      .filter((r) => r.urn.endsWith(`::${id}`) || r.parent.endsWith(`::${id}`) || new RegExp(`::secrets-${id}-(secret|secret-value|policy|role|role-\\d+)$`).test(r.urn))
      .map((r) => r.urn)
      .sort();
  }

  it("replacing a production committee server removes exactly its resources and adds its successor's", async () => {
    const before = await planInstance(exampleConfig("acme.mainnet"), "acme.mainnet");
    const after = await planInstance(
      exampleConfig("acme.mainnet", (raw) => {
        raw.committee[2] = { id: "c4", cloud: "gcp", account: "acme-zipnet-c4", region: "us-central1", oncall: "pagerduty:acme-zipnet-c4" };
      }),
      "acme.mainnet",
    );
    const diff = diffPlans(before.resources, after.resources);
    const gone = nodeUrns(before.resources, "c3");
    const added = nodeUrns(after.resources, "c4");
    expect(diff.removed).toEqual(gone);
    expect(diff.added).toEqual(added);
    // The old node's VM, disk key, identity, firewall and Vault secret/policy/role all go.
    const goneTypes = new Set(before.resources.filter((r) => gone.includes(r.urn)).map((r) => r.type));
    for (const t of ["gcp:compute/instance:Instance", "gcp:kms/cryptoKey:CryptoKey", "gcp:serviceaccount/account:Account", "gcp:compute/firewall:Firewall", "vault:kv/secretV2:SecretV2", "vault:index/policy:Policy", "vault:jwt/authBackendRole:AuthBackendRole", "gcp:compute/address:Address"]) {
      expect(goneTypes.has(t), t).toBe(true);
    }
    // Nothing else changes but the instance's membership list (its posture record).
    expect(diff.changed).toEqual([expect.stringMatching(/ZipnetInstance::acme\.mainnet$/)]);
    const record = (p: typeof before) => p.resources.find((r) => r.type === "zipnet:index:ZipnetInstance")!.inputs as any;
    expect({ ...record(before), nodes: null }).toEqual({ ...record(after), nodes: null });
  });

  it("removing a devtest committee server removes exactly its resources", async () => {
    const before = await planInstance(exampleConfig("acme.preview"), "acme.preview");
    const after = await planInstance(exampleConfig("acme.preview", (raw) => (raw.committee = raw.committee.filter((n: any) => n.id !== "p3"))), "acme.preview");
    const diff = diffPlans(before.resources, after.resources);
    expect(diff.removed).toEqual(nodeUrns(before.resources, "p3"));
    expect(diff.removed.length).toBeGreaterThan(10);
    expect(diff.added).toEqual([]);
    expect(diff.changed).toEqual([expect.stringMatching(/ZipnetInstance::acme\.preview$/)]);
  });
});

import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { addResource, byName, caught, loadPlan, record, remove, AZURE_MAINNET } from "./harness";

describe("ops.oncall", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "ops.oncall")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "ops.oncall", "advisory")).toEqual([]);
  });

  it("catches a VM without its on-call label, an empty one, and a record node without on-call", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    delete byName(plan, "c1-vm").inputs.labels["zipnet-oncall"];
    byName(plan, "c2-vm").inputs.tags["zipnet-oncall"] = "___";
    record(plan).nodes[3].oncall = "";
    expect((await caught(plan, "ops.oncall")).map((d) => d.message)).toEqual([
      "acme.mainnet: nodes[3].oncall: expected the on-call rotation of node agg, found \"\"",
      "c1-vm: labels.zipnet-oncall: expected the node's on-call rotation (non-empty), found nothing",
      "c2-vm: tags.zipnet-oncall: expected the node's on-call rotation (non-empty), found \"___\"",
    ]);
  });
});

describe("audit.broadcast-archive", () => {
  it("passes the production plan with its archive; devtest needs none", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "audit.broadcast-archive")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "audit.broadcast-archive", "advisory")).toEqual([]);
  });

  it("catches a production instance without an archive-labelled resource", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    for (const r of plan) {
      const labels = r.inputs.labels ?? r.inputs.tags;
      if (labels && typeof labels === "object" && labels["zipnet-role"] === "archive") labels["zipnet-role"] = "other";
    }
    for (const r of plan) {
      const dt = r.inputs.defaultTags;
      if (typeof dt === "string" && dt.includes('"archive"')) r.inputs.defaultTags = dt.replace('"archive"', '"other"');
    }
    expect((await caught(plan, "audit.broadcast-archive")).map((d) => d.message)).toEqual([
      "acme.mainnet: resources: expected a bucket labelled zipnet-role=archive for instance acme.mainnet with S3 Object Lock retention or a GCS retention policy (the Broadcasts archive), found no archive bucket",
    ]);
  });
});

describe("audit.peer-registry", () => {
  it("requires the registry key in a production record", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    expect(await caught(plan, "audit.peer-registry")).toEqual([]);
    record(plan).registry.publicKey = "c2hvcnQ=";
    expect((await caught(plan, "audit.peer-registry")).map((d) => d.message)).toEqual([
      'acme.mainnet: registry.publicKey: expected an Ed25519 public key (SPKI PEM, or base64 of the 32 raw bytes), found "c2hvcnQ="',
    ]);
    // The SPKI PEM the operator guide's openssl commands make is accepted; an RSA one is not.
    record(plan).registry.publicKey = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" });
    expect(await caught(plan, "audit.peer-registry")).toEqual([]);
    record(plan).registry.publicKey = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" });
    expect(await caught(plan, "audit.peer-registry")).toHaveLength(1);
    delete record(plan).registry;
    expect(await caught(plan, "audit.peer-registry")).toHaveLength(1);
    expect(await caught(await loadPlan("acme.preview"), "audit.peer-registry", "advisory")).toEqual([]);
  });
});

describe("scope.per-instance", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "scope.per-instance")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "scope.per-instance", "advisory")).toEqual([]);
  });

  it("catches a second KV mount, a secret in it, and a node policy reaching outside the instance's mount", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const mount = byName(plan, "secrets-kv");
    addResource(plan, mount, mount.type, "secrets-kv-2", { ...structuredClone(mount.inputs), path: "zipnet/shared" });
    byName(plan, "secrets-c2-secret").inputs.mount = "zipnet/shared";
    byName(plan, "secrets-c3-policy").inputs.policy += '\npath "zipnet/acme.testnet/data/nodes/c3" {\n  capabilities = ["read"]\n}\n';
    expect((await caught(plan, "scope.per-instance")).map((d) => d.message)).toEqual([
      'secrets-c2-secret: mount: expected the instance\'s mount "zipnet/acme.mainnet", found "zipnet/shared"',
      'secrets-kv-2: path: expected one KV mount per instance ("zipnet/acme.mainnet"), found "zipnet/shared"',
      'secrets-c3-policy: policy: expected paths inside the instance\'s mount zipnet/acme.mainnet/ only, found "zipnet/acme.testnet/data/nodes/c3"',
    ]);
  });

  it("catches node resources on another node's provider, or in an account not the node's", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c3-disk-key").provider = byName(plan, "c1-disk-key").provider;
    expect((await caught(plan, "scope.per-instance")).map((d) => d.message)).toEqual(expect.arrayContaining([
      'c3-disk-key: provider: expected a provider of node c3\'s own (shared with node c1), found "c1-provider"',
      'c3-disk-key: provider account: expected node c3\'s own account acme-zipnet-c3, found "acme-zipnet-c1"',
    ]));
    const other = await loadPlan("acme.preview");
    byName(other, "p3-provider").inputs.allowedAccountIds = '["999999999999"]';
    expect((await caught(other, "scope.per-instance", "advisory")).length).toBeGreaterThan(0);
    remove(other, "p3-vm");
  });
});

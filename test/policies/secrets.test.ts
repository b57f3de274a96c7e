import { describe, expect, it } from "vitest";
import { addResource, byName, caught, editBootContract, loadPlan, ofType, record, remove, secret, deserialize, AZURE_MAINNET } from "./harness";

describe("secret.committee-in-manager", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "secret.committee-in-manager")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "secret.committee-in-manager", "advisory")).toEqual([]);
  });

  it("catches the committee secret written into user-data, without printing it", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    editBootContract(byName(plan, "c1-vm"), (c) => (c.env.ZIPNET_COMMITTEE_SECRET = "s3cr3t-committee-value"));
    const ds = await caught(plan, "secret.committee-in-manager");
    expect(ds.map((d) => d.message)).toEqual([
      "c1-vm: metadata.user-data.env.ZIPNET_COMMITTEE_SECRET: expected only the *_FILE form (a tmpfs path the image fills from Vault), found ZIPNET_COMMITTEE_SECRET with an inline value",
    ]);
    expect(ds[0].message).not.toContain("s3cr3t");
  });

  it("catches ZIPNET_SECRET in base64 user-data (Azure), in tags and in env-file text", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const c2 = byName(plan, "c2-vm");
    c2.inputs.userData = Buffer.from("#!/bin/sh\nexport ZIPNET_SECRET=abcdef0123\n").toString("base64");
    byName(plan, "agg-vm").inputs.tags.ZIPNET_SECRET = "abcdef";
    byName(plan, "c3-vm").inputs.metadata["startup-script"] = "ZIPNET_COMMITTEE_SECRET: hunter2hunter2";
    const ds = await caught(plan, "secret.committee-in-manager");
    expect(ds.map((d) => d.message.split(":").slice(0, 2).join(":")).sort()).toEqual(["agg-vm: tags.ZIPNET_SECRET", "c2-vm: userData", "c3-vm: metadata.startup-script"]);
  });

  it("catches a Vault secret value copied into another resource (stack)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const committee = byName(plan, "secrets-committee");
    const value = JSON.parse(deserialize(committee.inputs.dataJson)).value as string;
    expect(value.length).toBeGreaterThan(12);
    byName(plan, "c3-vm").inputs.metadata["startup-script"] = `echo ${value} > /run/x`;
    byName(plan, "c2-vm").inputs.tags.note = Buffer.from(value).toString("base64");
    const ds = await caught(plan, "secret.committee-in-manager");
    expect(ds.map((d) => d.policy)).toEqual(["secret.committee-in-manager:value", "secret.committee-in-manager:value"]);
    expect(ds.map((d) => d.message).sort()).toEqual([
      "c2-vm: tags.note: expected no secret value outside the secret manager, found the value of Vault secret zipnet/acme.mainnet/committee (secrets-committee)",
      "c3-vm: metadata.startup-script: expected no secret value outside the secret manager, found the value of Vault secret zipnet/acme.mainnet/committee (secrets-committee)",
    ]);
    for (const d of ds) expect(d.message).not.toContain(value);
  });

  it("reports devtest leaks as advisory", async () => {
    const plan = await loadPlan("acme.preview");
    editBootContract(byName(plan, "p1-vm"), (c) => (c.env.ZIPNET_SECRET = "abc"));
    expect(await caught(plan, "secret.committee-in-manager")).toEqual([]);
    expect((await caught(plan, "secret.committee-in-manager", "advisory")).map((d) => d.policy)).toEqual(["secret.committee-in-manager:devtest"]);
  });
});

describe("secret.committee-unique", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "secret.committee-unique")).toEqual([]);
  });

  it("catches a second committee secret and one outside the instance's mount", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const c = byName(plan, "secrets-committee");
    addResource(plan, c, c.type, "secrets-committee-2", { ...structuredClone(c.inputs), mount: "zipnet-shared" });
    const ds = await caught(plan, "secret.committee-unique");
    expect(ds.map((d) => d.message)).toEqual([
      'secrets-committee-2: name: expected exactly one committee secret per instance (already secrets-committee), found "committee" (2 committee secrets in the stack)',
      'secrets-committee-2: mount: expected the instance\'s own mount "zipnet/acme.mainnet", found "zipnet-shared"',
    ]);
  });

  it("catches an instance without its committee secret", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    remove(plan, "secrets-committee");
    expect(await caught(plan, "secret.committee-unique")).toHaveLength(1);
  });
});

describe("secret.access-audited", () => {
  it("passes the managed (mainnet) and existing (preview) audit devices", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "secret.access-audited")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "secret.access-audited", "advisory")).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ policy: "secret.access-audited:devtest" })]),
    );
  });

  it("catches a missing audit device and raw logging", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    remove(plan, "secrets-audit");
    const ds = await caught(plan, "secret.access-audited");
    expect(ds.map((d) => d.message)).toEqual([
      'acme.mainnet: vault.auditDevice: expected a vault:index/audit:Audit in the stack, or auditDevice existing with existingAudit {device, by, date}, found "managed"',
    ]);
    const raw = await loadPlan(AZURE_MAINNET);
    byName(raw, "secrets-audit").inputs.options.log_raw = "true";
    expect((await caught(raw, "secret.access-audited")).map((d) => d.message)).toEqual([
      'secrets-audit: options.log_raw: expected false (secret values hashed in the audit log), found "true"',
    ]);
  });

  it("catches an 'existing' audit device without its attestation (devtest: advisory)", async () => {
    const plan = await loadPlan("acme.preview");
    record(plan).vault.existingAudit = null;
    const ds = await caught(plan, "secret.access-audited", "advisory");
    expect(ds.map((d) => d.policy)).toContain("secret.access-audited:devtest");
  });

  it("requires the review-cadence attestation in production", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    delete record(plan).attestations["secret.access-audited"];
    expect((await caught(plan, "secret.access-audited")).map((d) => d.policy)).toEqual(["secret.access-audited:review"]);
  });
});

describe("secret.rotation", () => {
  it("passes a recent rehearsal and catches a stale or missing one", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    expect(await caught(plan, "secret.rotation")).toEqual([]);
    const later = await caught(plan, "secret.rotation", "mandatory", { now: new Date("2027-06-01T00:00:00Z") });
    expect(later.map((d) => d.message)).toEqual(['acme.mainnet: rotation.lastRehearsal: expected a rehearsal within the last 180 days, found "2026-10-14" (230 days ago)']);
    // "now" is also policy config
    expect(await caught(plan, "secret.rotation", "mandatory", { config: { "secret.rotation": { now: "2027-06-01" } } })).toHaveLength(1);
    delete record(plan).rotation.lastRehearsal;
    expect(await caught(plan, "secret.rotation")).toHaveLength(1);
  });
});

describe("secret values are read from the wire like the framework does", () => {
  it("treats a redacted secret (no value) as unknown, not as a value", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    for (const s of ofType(plan, "vault:kv/secretV2:SecretV2")) s.inputs.dataJson = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[redacted]" };
    expect(await caught(plan, "secret.committee-in-manager")).toEqual([]);
    expect(await caught(plan, "committee.node-secret")).toEqual([]);
    byName(plan, "secrets-c1-secret").inputs.dataJson = secret("[redacted]");
    byName(plan, "secrets-c2-secret").inputs.dataJson = secret("[redacted]");
    expect(await caught(plan, "committee.node-secret")).toEqual([]);
  });
});

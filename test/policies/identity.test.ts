import { describe, expect, it } from "vitest";
import { addResource, byName, caught, editBootContract, loadPlan, record, AZURE_MAINNET } from "./harness";

describe("identity.instance-name", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "identity.instance-name")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "identity.instance-name", "advisory")).toEqual([]);
  });

  it("catches a dropped zipnet-instance label (production: mandatory, devtest: advisory)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    delete byName(plan, "c2-vm").inputs.tags["zipnet-instance"];
    const ds = await caught(plan, "identity.instance-name");
    expect(ds.map((d) => d.message)).toContain("c2-vm: tags.zipnet-instance: expected the instance name label (the instance name with . -> _, e.g. acme_mainnet), found nothing");
    expect(ds[0].policy).toBe("identity.instance-name");

    const preview = await loadPlan("acme.preview");
    delete byName(preview, "p2-nsg").inputs.tags["zipnet-instance"];
    expect(await caught(preview, "identity.instance-name")).toEqual([]);
    const adv = await caught(preview, "identity.instance-name", "advisory");
    expect(adv.map((d) => d.policy)).toEqual(["identity.instance-name:devtest"]);
  });

  it("does not ask labels of types that take none (GCP firewalls) but counts provider default labels", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    // an AWS resource without its own tag still carries it through the provider's defaultTags
    delete byName(plan, "agg-vpc").inputs.tags["zipnet-instance"];
    expect(await caught(plan, "identity.instance-name")).toEqual([]);
  });

  it("catches a label value outside the grammar", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c1-vm").inputs.labels["zipnet-instance"] = "Acme Mainnet";
    const ds = await caught(plan, "identity.instance-name");
    expect(ds.some((d) => d.message.startsWith('c1-vm: labels.zipnet-instance: expected a label value like acme_mainnet'))).toBe(true);
  });

  it("catches a posture record name outside the grammar", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    record(plan).name = "acme";
    const ds = await caught(plan, "identity.instance-name");
    expect(ds.map((d) => d.message)).toContain('acme.mainnet: name: expected lowercase dot-separated labels with at least one dot, at most 63 characters (e.g. acme.mainnet), found "acme"');
  });

  it("catches a ZIPNET_INSTANCE typo in a boot contract", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    editBootContract(byName(plan, "c3-vm"), (c) => (c.env.ZIPNET_INSTANCE = "acme.mainet"));
    const ds = await caught(plan, "identity.instance-name");
    expect(ds.map((d) => d.policy)).toContain("identity.instance-name:stack");
    expect(ds.some((d) => d.message.includes('c3-vm: metadata.user-data env.ZIPNET_INSTANCE: expected') && d.message.includes('found "acme.mainet"'))).toBe(true);
  });

  it("catches a resource labelled for another instance", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c2-nsg").inputs.tags["zipnet-instance"] = "acme_testnet";
    const ds = await caught(plan, "identity.instance-name");
    expect(ds.map((d) => d.message)).toContain('c2-nsg: tags.zipnet-instance: expected "acme_mainnet" (the instance acme.mainnet), found "acme_testnet"');
  });
});

describe("identity.instance-unique", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "identity.instance-unique")).toEqual([]);
  });

  it("catches two instances in one stack", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const inst = plan.find((r) => r.type === "zipnet:index:ZipnetInstance")!;
    addResource(plan, inst, inst.type, "acme.other", { ...structuredClone(inst.inputs), name: "acme.other" }, { custom: false });
    const ds = await caught(plan, "identity.instance-unique");
    expect(ds.length).toBeGreaterThan(0);
    expect(ds[0].message).toMatch(/acme.other: name: expected one zipnet instance per stack/);
  });

  it("catches a second ZIPNET_INSTANCE among the nodes", async () => {
    const plan = await loadPlan("acme.preview");
    editBootContract(byName(plan, "p3-vm"), (c) => (c.env.ZIPNET_INSTANCE = "acme.staging"));
    expect(await caught(plan, "identity.instance-unique", "advisory")).toHaveLength(1);
  });
});

describe("identity.mrtd-published", () => {
  it("requires committee reference sets in production", async () => {
    const plan = await loadPlan("acme.mainnet");
    record(plan).tdx.committee = [];
    const ds = await caught(plan, "identity.mrtd-published");
    expect(ds.map((d) => d.message)).toEqual(["acme.mainnet: tdx.committee: expected at least one committee reference set (with an enforced 96-hex MR_TD) in production, found []"]);
  });

  it("requires the image registers enforced in production (gcp-tdx: rtmr1, rtmr2)", async () => {
    const plan = await loadPlan("acme.mainnet");
    record(plan).tdx.committee[0].registers.rtmr2.enforce = false;
    delete record(plan).tdx.committee[1].registers.rtmr1;
    expect((await caught(plan, "identity.mrtd-published")).map((d) => d.message)).toEqual([
      expect.stringMatching(/^acme\.mainnet: tdx\.committee\[0\]\.registers\.rtmr2: expected an enforced rtmr2 \(it binds the image on gcp-tdx\), found /),
      "acme.mainnet: tdx.committee[1].registers.rtmr1: expected an enforced rtmr1 (it binds the image on gcp-tdx), found nothing",
    ]);
  });

  it("rejects a malformed MR_TD; devtest may list none", async () => {
    const plan = await loadPlan("acme.mainnet");
    record(plan).tdx.committee[1].registers.mrtd.value = "abc";
    expect((await caught(plan, "identity.mrtd-published")).map((d) => d.message)).toEqual([
      'acme.mainnet: tdx.committee[1].registers.mrtd.value: expected 96 hex characters (a 48-byte MR_TD), found "abc"',
    ]);
    const preview = await loadPlan("acme.preview");
    expect(record(preview).tdx.committee).toEqual([]);
    expect(await caught(preview, "identity.mrtd-published", "advisory")).toEqual([]);
  });
});

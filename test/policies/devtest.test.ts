import { describe, expect, it } from "vitest";
import { byName, caught, editBootContract, loadPlan, record, AZURE_MAINNET } from "./harness";

describe("devtest.min-participants", () => {
  it("passes the unmutated plans (preview: 2 is fine in devtest)", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "devtest.min-participants")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "devtest.min-participants", "advisory")).toEqual([]);
  });

  it("catches ZIPNET_MIN_PARTICIPANTS unset, and below 3 in production", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    editBootContract(byName(plan, "c1-vm"), (c) => delete c.env.ZIPNET_MIN_PARTICIPANTS);
    editBootContract(byName(plan, "c2-vm"), (c) => (c.env.ZIPNET_MIN_PARTICIPANTS = "2"));
    record(plan).minParticipants = 1;
    expect((await caught(plan, "devtest.min-participants")).map((d) => d.message)).toEqual([
      "acme.mainnet: minParticipants: expected an integer of at least 3 in production, found 1",
      "c1-vm: metadata.user-data env.ZIPNET_MIN_PARTICIPANTS: expected ZIPNET_MIN_PARTICIPANTS set on the committee server (at least 3), found nothing",
      'c2-vm: userData env.ZIPNET_MIN_PARTICIPANTS: expected an integer of at least 3 in production, found "2"',
    ]);
  });

  it("reads an env-file style user-data too, and reports devtest as advisory", async () => {
    const plan = await loadPlan("acme.preview");
    byName(plan, "p3-vm").inputs.userData = "#!/bin/sh\nexport ZIPNET_INSTANCE=acme.preview\nexec zipnet-server\n";
    byName(plan, "p3-vm").inputs.tags["zipnet-role"] = "committee";
    const ds = await caught(plan, "devtest.min-participants", "advisory");
    expect(ds.map((d) => d.message)).toEqual(["p3-vm: userData: expected ZIPNET_MIN_PARTICIPANTS set on the committee server (at least 1), found nothing"]);
    expect(ds[0].policy).toBe("devtest.min-participants:devtest");
  });
});

describe("devtest.not-production", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "devtest.not-production")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "devtest.not-production", "advisory")).toEqual([]);
  });

  it("catches a TDX-less committee server in a production instance", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const vm = byName(plan, "c3-vm").inputs;
    delete vm.confidentialInstanceConfig;
    vm.machineType = "e2-standard-4";
    expect((await caught(plan, "devtest.not-production")).map((d) => d.message)).toEqual([
      "c3-vm: confidentialInstanceConfig.confidentialInstanceType: expected a TDX guest (production instance), found nothing (a TDX-less committee server is the devtest posture)",
    ]);
  });

  it("catches devtest-labelled resources and non-confidential nodes in a production instance", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c2-nsg").inputs.tags["zipnet-posture"] = "devtest";
    record(plan).nodes[0].confidential = false;
    expect((await caught(plan, "devtest.not-production")).map((d) => d.message)).toEqual([
      'c2-nsg: zipnet-posture: expected "production" (instance acme.mainnet is production), found "devtest"',
      "acme.mainnet: nodes[0].confidential: expected true (production committee servers are TDX guests), found false (node c1)",
    ]);
  });

  it("advises against a devtest instance named like production", async () => {
    const plan = await loadPlan("acme.preview");
    record(plan).name = "acme.mainnet";
    expect((await caught(plan, "devtest.not-production", "advisory")).map((d) => d.message)).toEqual([
      'acme.preview: posture: expected production for an instance named acme.mainnet, found "devtest"',
    ]);
  });
});

describe("client.mrtd-allowlist", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan("acme.mainnet"), "client.mrtd-allowlist")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "client.mrtd-allowlist", "advisory")).toEqual([]);
  });

  it("requires at least one client reference set in production, each with an enforced 96-hex MR_TD", async () => {
    const plan = await loadPlan("acme.mainnet");
    const sets = record(plan).tdx.clients;
    record(plan).tdx.clients = [];
    expect((await caught(plan, "client.mrtd-allowlist")).map((d) => d.message)).toEqual([
      "acme.mainnet: tdx.clients: expected at least one published client reference set (with an enforced 96-hex MR_TD) in production, found []",
    ]);
    record(plan).tdx.clients = sets;
    sets[0].registers.mrtd.value = "0x1234";
    expect((await caught(plan, "client.mrtd-allowlist")).map((d) => d.message)).toEqual([
      'acme.mainnet: tdx.clients[0].registers.mrtd.value: expected 96 hex characters (a 48-byte MR_TD), found "0x1234"',
    ]);
    sets[0].registers.mrtd = { value: "ab".repeat(48), enforce: false };
    expect((await caught(plan, "client.mrtd-allowlist")).map((d) => d.message)).toEqual([
      "acme.mainnet: tdx.clients[0].registers.mrtd.enforce: expected true (the validator requires the MR_TD in production), found false",
    ]);
  });
});

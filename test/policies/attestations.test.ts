import { describe, expect, it } from "vitest";
import { CHECKLIST } from "../../policies/contract/checklist";
import { caught, loadPlan, record } from "./harness";

const ATTESTED = CHECKLIST.filter((c) => c.mechanism === "attest").map((c) => c.id);

describe("attested items", () => {
  it("are the checklist's attest items, plus rehearsal, quote-expiry and review attestations", () => {
    expect(ATTESTED).toEqual(["identity.universe", "client.reproducible", "client.rebuild-cadence", "ops.break-glass", "ops.ticket-revocation"]);
  });

  it.each(ATTESTED)("%s: production requires the attestation", async (id) => {
    const plan = await loadPlan("acme.mainnet");
    expect(await caught(plan, id)).toEqual([]);
    delete record(plan).attestations[id];
    expect((await caught(plan, id)).map((d) => d.message)).toEqual([
      `acme.mainnet: attestations.${id}: expected an attestation {statement, by, date[, link]}, found nothing`,
    ]);
  });

  it("production requires a recent date and who attests it; now is injectable", async () => {
    const plan = await loadPlan("acme.mainnet");
    record(plan).attestations["client.reproducible"].by = "";
    expect((await caught(plan, "client.reproducible")).map((d) => d.message)).toEqual([
      'acme.mainnet: attestations.client.reproducible.by: expected who attests it, found ""',
    ]);
    const stale = await loadPlan("acme.mainnet");
    const ds = await caught(stale, "ops.break-glass", "mandatory", { now: new Date("2027-12-01T00:00:00Z") });
    expect(ds.map((d) => d.message)).toEqual(['acme.mainnet: attestations.ops.break-glass.date: expected a date within the last 365 days, found "2026-10-01" (426 days old)']);
    expect(await caught(stale, "ops.break-glass", "mandatory", { config: { "ops.break-glass": { maxAgeDays: 800 } }, now: new Date("2027-12-01T00:00:00Z") })).toEqual([]);
  });

  it("devtest: a missing attestation is advisory", async () => {
    const plan = await loadPlan("acme.preview");
    expect(await caught(plan, "ops.break-glass")).toEqual([]);
    expect((await caught(plan, "ops.break-glass", "advisory")).map((d) => d.policy)).toEqual(["ops.break-glass:devtest"]);
  });

  it("ops.ticket-revocation also needs every node's operator in production", async () => {
    const plan = await loadPlan("acme.mainnet");
    record(plan).nodes[1].operator = "";
    expect((await caught(plan, "ops.ticket-revocation")).map((d) => d.message)).toEqual([
      'acme.mainnet: nodes[1].operator: expected the operator of node c2 (who stops it to revoke its ticket), found ""',
    ]);
  });

  it("client.quote-expiry-monitored (provision + attest) is attested in production", async () => {
    const plan = await loadPlan("acme.mainnet");
    delete record(plan).attestations["client.quote-expiry-monitored"];
    expect(await caught(plan, "client.quote-expiry-monitored")).toHaveLength(1);
  });
});

describe("acknowledged risks", () => {
  const RISKS = ["risk.iroh-metadata", "risk.cross-instance-correlation", "risk.message-length", "risk.participant-disclosure"];

  it.each(RISKS)("%s must be acknowledged in production", async (id) => {
    const plan = await loadPlan("acme.mainnet");
    expect(await caught(plan, id)).toEqual([]);
    record(plan).acknowledgedRisks = record(plan).acknowledgedRisks.filter((r: string) => r !== id);
    expect((await caught(plan, id)).map((d) => d.message)).toEqual([
      expect.stringMatching(new RegExp(`^acme.mainnet: acknowledgedRisks: expected "${id.replace(".", "\\.")}" acknowledged, found \\[`)),
    ]);
    // devtest: not required, but an instance that does not acknowledge it is told so (advisory)
    expect((await caught(await loadPlan("acme.preview"), id, "advisory")).map((d) => d.policy)).toEqual([`${id}:devtest`]);
  });

  it("devtest.host-trusted is required in devtest and not applicable to production", async () => {
    const plan = await loadPlan("acme.preview");
    expect(await caught(plan, "devtest.host-trusted")).toEqual([]);
    record(plan).acknowledgedRisks = [];
    expect((await caught(plan, "devtest.host-trusted")).map((d) => d.message)).toEqual([
      'acme.preview: acknowledgedRisks: expected "devtest.host-trusted" acknowledged, found []',
    ]);
    const mainnet = await loadPlan("acme.mainnet");
    expect(record(mainnet).acknowledgedRisks).not.toContain("devtest.host-trusted");
    expect(await caught(mainnet, "devtest.host-trusted", "mandatory")).toEqual([]);
  });
});

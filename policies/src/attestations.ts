/**
 * Attested and acknowledged checklist items, judged from the posture record (the
 * ZipnetInstance component's inputs):
 *  - attest: production requires attestations[<id>] = {statement, by, date} with a date not
 *    older than 365 days (config maxAgeDays; `now` injectable); devtest: advisory twin.
 *  - acknowledge: production lists every risk.* id in acknowledgedRisks; devtest lists
 *    devtest.host-trusted (not applicable to production).
 */
import { notApplicableReason } from "../contract/applicability";
import { ageDays, parseDate, recordOfView } from "./core/checks";
import { NOW_CONFIG, raw, resourcePolicies, type Levels, type ResourceContext, type ZipnetResourcePolicy } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE } from "./core/resources";
import { arr, at, isObject, isUnknown, str } from "./core/values";

export const ATTESTATION_MAX_AGE_DAYS = 365;

export function checkAttestation(rec: Record<string, any>, id: string, ctx: ResourceContext): void {
  const atts = rec.attestations;
  if (isUnknown(atts)) return ctx.unknown("attestations");
  const a = at(atts, id);
  if (isUnknown(a)) return ctx.unknown(`attestations.${id}`);
  const path = `attestations.${id}`;
  if (!isObject(a)) {
    ctx.fail(path, "an attestation {statement, by, date[, link]}", a);
    return;
  }
  if (!isUnknown(a.statement) && !(str(a.statement) && a.statement.trim().length >= 3)) ctx.fail(`${path}.statement`, "what is attested, in one sentence", a.statement);
  if (!isUnknown(a.by) && !str(a.by)) ctx.fail(`${path}.by`, "who attests it", a.by);
  if (isUnknown(a.date)) return;
  const date = parseDate(a.date);
  if (!date) {
    ctx.fail(`${path}.date`, "the date it was last checked (YYYY-MM-DD)", a.date);
    return;
  }
  const maxAge = typeof ctx.config.maxAgeDays === "number" ? ctx.config.maxAgeDays : ATTESTATION_MAX_AGE_DAYS;
  const age = ageDays(date, ctx.now);
  if (age > maxAge) ctx.fail(`${path}.date`, `a date within the last ${maxAge} days`, a.date, `${age} days old`);
  else if (age < -1) ctx.fail(`${path}.date`, "a date that is not in the future", a.date);
}

const ATTEST_CONFIG = { properties: { ...NOW_CONFIG.properties, maxAgeDays: { type: "integer" as const, default: ATTESTATION_MAX_AGE_DAYS } } };

function attestation(id: string, description: string, opts: { aspect?: string; extra?: (rec: Record<string, any>, ctx: ResourceContext) => void } = {}): ZipnetResourcePolicy[] {
  return resourcePolicies({
    checklistId: id,
    ...(opts.aspect ? { aspect: opts.aspect } : {}),
    description: `Attested: ${description} The posture record holds attestations["${id}"] = {statement, by, date} dated within ${ATTESTATION_MAX_AGE_DAYS} days.`,
    levels: "split",
    types: [ZIPNET_INSTANCE_TYPE],
    configSchema: ATTEST_CONFIG,
    check(r, ctx) {
      const rec = recordOfView(r);
      if (!rec || notApplicableReason(id, rec)) return;
      checkAttestation(rec, id, ctx);
      opts.extra?.(rec, ctx);
    },
  });
}

export const [universe, universeDevtest] = attestation("identity.universe", "ZIPNET_UNIVERSE, if set, points at a universe the operator controls (default: the shared world).");
export const [accessReview, accessReviewDevtest] = attestation("secret.access-audited", "a quarterly review of the Vault audit log of secret reads is scheduled.", { aspect: "review" });
export const [reproducible, reproducibleDevtest] = attestation("client.reproducible", "the client image is built reproducibly; toolchain and feature flags are committed with the release.");
export const [quoteExpiry, quoteExpiryDevtest] = attestation("client.quote-expiry-monitored", "TDX quote (ticket) expiry is monitored and alerts reach the on-call.");
export const [rebuildCadence, rebuildCadenceDevtest] = attestation("client.rebuild-cadence", "the image rebuild cadence is documented.");
export const [breakGlass, breakGlassDevtest] = attestation("ops.break-glass", "a break-glass procedure for committee-secret rotation is documented for this instance.");
export const [ticketRevocation, ticketRevocationDevtest] = attestation("ops.ticket-revocation", "who can revoke a compromised bundle ticket is specified (v1: the node's operator, by stopping the node); every node names its operator.", {
  extra(rec, ctx) {
    (arr(rec.nodes) ?? []).forEach((n, i) => {
      if (isObject(n) && !isUnknown(n.operator) && !str(n.operator)) ctx.fail(`nodes[${i}].operator`, `the operator of node ${String(n.id)} (who stops it to revoke its ticket)`, n.operator ?? raw("none"));
    });
  },
});

function acknowledgement(id: string, levels: Levels, description: string): ZipnetResourcePolicy[] {
  return resourcePolicies({
    checklistId: id,
    description: `Acknowledged risk: ${description} The posture record lists "${id}" in acknowledgedRisks.`,
    levels,
    types: [ZIPNET_INSTANCE_TYPE],
    check(r, ctx) {
      const rec = recordOfView(r);
      if (!rec || notApplicableReason(id, rec)) return;
      const list = rec.acknowledgedRisks;
      if (isUnknown(list)) return ctx.unknown("acknowledgedRisks");
      const ids = arr(list) ?? [];
      if (ids.some(isUnknown)) return;
      if (!ids.includes(id)) ctx.fail("acknowledgedRisks", `"${id}" acknowledged`, list ?? []);
    },
  });
}

// Required in production; a devtest instance that does not acknowledge one is told so (advisory).
export const [irohMetadata, irohMetadataDevtest] = acknowledgement("risk.iroh-metadata", "split", "iroh leaks metadata (relay choice, coarse geography). Required in production.");
export const [crossInstanceCorrelation, crossInstanceCorrelationDevtest] = acknowledgement("risk.cross-instance-correlation", "split", "membership of an instance is visible from the shared universe's gossip. Required in production.");
export const [messageLength, messageLengthDevtest] = acknowledgement("risk.message-length", "split", "messages are not padded; pad at the application layer. Required in production.");
export const [participantDisclosure, participantDisclosureDevtest] = acknowledgement("risk.participant-disclosure", "split", "BroadcastRecord::participants reveals who was in a round. Required in production.");
export const [hostTrusted] = acknowledgement(
  "devtest.host-trusted",
  [{ posture: "devtest", level: "mandatory" }],
  "without TDX the client host is trusted with DH keys. Required in devtest; not applicable to production.",
);

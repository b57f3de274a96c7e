/**
 * The 36 checklist items (../shared/checklist.md), in the checklist's order, with stable ids.
 * Ids never change; titles may. Pure data: the policy pack, audit and report share it.
 */
export type Mechanism = "enforce" | "provision" | "attest" | "acknowledge";

export interface ChecklistItem {
  /** Stable id, e.g. `committee.tdx`. */
  id: string;
  /** The item, in short. */
  title: string;
  /** The recommended mechanism (the first one named in the checklist). */
  mechanism: Mechanism;
  /** The checklist's mechanism column, verbatim. */
  how: string;
}

export const CHECKLIST: readonly ChecklistItem[] = [
  { id: "identity.instance-name", mechanism: "enforce", title: "ZIPNET_INSTANCE is a namespaced string like `acme.mainnet`, set on every node and documented for publishers", how: "enforce (config grammar; every zipnet resource labelled with it)" },
  { id: "identity.instance-unique", mechanism: "enforce", title: "no two instances in the same universe use the same string", how: "enforce (across all stacks in the repo / all states given to audit)" },
  { id: "identity.universe", mechanism: "attest", title: "ZIPNET_UNIVERSE, if set, points at a universe the operator controls; default is the shared world", how: "attest" },
  { id: "identity.mrtd-published", mechanism: "provision", title: "the instance's MR_TD is published beside its name in a signed channel", how: "provision (signed publication record) + enforce (production has committee MR_TDs)" },
  { id: "secret.committee-in-manager", mechanism: "enforce", title: "ZIPNET_COMMITTEE_SECRET lives only in the secret manager: never in git, stack config, user-data, metadata, tags or env files", how: "enforce" },
  { id: "secret.committee-unique", mechanism: "enforce", title: "the committee secret is unique per instance", how: "enforce (per-instance secret store scope, per-instance random)" },
  { id: "secret.rotation", mechanism: "provision", title: "rotation is documented and rehearsed", how: "provision (rotation via stack update) + attest (last rehearsal date)" },
  { id: "secret.access-audited", mechanism: "enforce", title: "reads of the secret are audited; a quarterly access review is scheduled", how: "enforce (Vault audit device) + attest (review cadence)" },
  { id: "committee.fault-domains", mechanism: "enforce", title: "each committee server in its own fault domain: different cloud account, different region, different operator org if possible", how: "enforce (pairwise distinct account and region); advise on same cloud / same geography / same org" },
  { id: "committee.tdx", mechanism: "enforce", title: "in production every committee server is a TDX guest from the released image, and the committee's require_mrtd is set to its MR_TD", how: "enforce" },
  { id: "committee.node-secret", mechanism: "enforce", title: "ZIPNET_SECRET is unique per node, in the node's own secret scope, shared with no other node", how: "enforce" },
  { id: "committee.ingress", mechanism: "enforce", title: "committee servers accept inbound only on the iroh UDP port and the Prometheus metrics port", how: "enforce (every firewall that applies to the VM, cloud defaults included)" },
  { id: "committee.disk-wipe", mechanism: "enforce", title: "a decommissioned committee server's disks are wiped", how: "enforce + provision (disks die with the VM, per-node key is crypto-shredded, no snapshots, nothing retained)" },
  { id: "aggregator.no-committee-secret", mechanism: "enforce", title: "the aggregator cannot read ZIPNET_COMMITTEE_SECRET", how: "enforce (its secret-store policy and identity)" },
  { id: "aggregator.hardened", mechanism: "provision", title: "the aggregator host is hardened (read-only filesystem, dropped capabilities, no admin ingress)", how: "provision + advise" },
  { id: "aggregator.own-identity", mechanism: "enforce", title: "each aggregator has its own ZIPNET_INSTANCE and its own ZIPNET_SECRET", how: "enforce" },
  { id: "client.reproducible", mechanism: "attest", title: "the client image is built reproducibly; toolchain and feature flags are committed with the release", how: "attest" },
  { id: "client.mrtd-allowlist", mechanism: "enforce", title: "the committee's Tdx validator lists the published client MR_TD(s)", how: "enforce (production needs at least one, 96 hex chars)" },
  { id: "client.quote-expiry-monitored", mechanism: "provision", title: "TDX quote (ticket) expiry is monitored", how: "provision (alert rules) + attest" },
  { id: "client.rebuild-cadence", mechanism: "attest", title: "the image rebuild cadence is documented", how: "attest" },
  { id: "devtest.host-trusted", mechanism: "acknowledge", title: "without TDX the client host is trusted with DH keys (understood)", how: "acknowledge (devtest posture)" },
  { id: "devtest.min-participants", mechanism: "enforce", title: "clients wait for the registry to hold themselves and ZIPNET_MIN_PARTICIPANTS - 1 others", how: "enforce (ZIPNET_MIN_PARTICIPANTS set, and above a floor in production)" },
  { id: "devtest.not-production", mechanism: "enforce", title: "the TDX-disabled posture is never used for a production instance", how: "enforce" },
  { id: "network.egress-relays", mechanism: "enforce", title: "firewalls permit outbound UDP to iroh relays (and the operator's own relay is reachable)", how: "enforce" },
  { id: "network.ntp", mechanism: "provision", title: "NTP is configured on every node", how: "provision (time sync in the boot contract, egress for it) + enforce" },
  { id: "network.metrics-private", mechanism: "enforce", title: "Prometheus metrics endpoints are not publicly exposed", how: "enforce" },
  { id: "audit.broadcast-archive", mechanism: "provision", title: "a job archives the Broadcasts collection to durable storage, keyed by instance name", how: "provision + enforce (production)" },
  { id: "audit.peer-registry", mechanism: "enforce", title: "the PeerId to legal entity registry is version-controlled, signed and scoped per instance", how: "enforce (signature verified, every node listed)" },
  { id: "ops.oncall", mechanism: "enforce", title: "an on-call rotation is documented for each node, per instance", how: "enforce (every node carries it)" },
  { id: "ops.break-glass", mechanism: "attest", title: "a break-glass procedure for committee-secret rotation is documented, per instance", how: "attest" },
  { id: "ops.ticket-revocation", mechanism: "attest", title: "it is specified who can revoke a compromised bundle ticket (v1: the node's operator, by stopping the node)", how: "attest (report names each node's operator)" },
  { id: "risk.iroh-metadata", mechanism: "acknowledge", title: "iroh leaks metadata (relay choice, coarse geography)", how: "acknowledge" },
  { id: "risk.cross-instance-correlation", mechanism: "acknowledge", title: "membership of an instance is visible from the shared universe's gossip", how: "acknowledge" },
  { id: "risk.message-length", mechanism: "acknowledge", title: "messages are not padded; pad at the application layer", how: "acknowledge" },
  { id: "risk.participant-disclosure", mechanism: "acknowledge", title: "BroadcastRecord::participants reveals who was in a round", how: "acknowledge" },
  { id: "scope.per-instance", mechanism: "enforce", title: "the checklist holds per instance: two instances never share a fault domain or a secret store", how: "enforce (across stacks / states)" },
];

export type ChecklistId = string;

export const CHECKLIST_IDS: readonly string[] = CHECKLIST.map((item) => item.id);

export function checklistItem(id: string): ChecklistItem {
  const item = CHECKLIST.find((i) => i.id === id);
  if (!item) throw new Error(`unknown checklist id ${id}`);
  return item;
}

/** The checklist id of a policy (or diagnostic) name: `<id>[:aspect][:devtest]`. */
export function checklistIdOf(policyName: string): string {
  return policyName.split(":")[0];
}

/**
 * The checklist's sections (its headings, in its order), by id prefix. `scope.per-instance` is
 * the checklist's preamble ("work through this checklist per instance"): its own last section,
 * so that the items keep the checklist's order and numbers.
 */
export const CHECKLIST_SECTIONS: readonly { title: string; prefixes: readonly string[] }[] = [
  { title: "Instance identity and scope", prefixes: ["identity"] },
  { title: "Committee secret handling", prefixes: ["secret"] },
  { title: "Committee server node hygiene", prefixes: ["committee"] },
  { title: "Aggregator node hygiene", prefixes: ["aggregator"] },
  { title: "Client image hygiene (TDX-gated instances)", prefixes: ["client"] },
  { title: "Client image hygiene (TDX disabled, dev/test only)", prefixes: ["devtest"] },
  { title: "Network hygiene", prefixes: ["network"] },
  { title: "Archival / audit", prefixes: ["audit"] },
  { title: "Emergency contacts", prefixes: ["ops"] },
  { title: "Known-not-yet-protected footguns", prefixes: ["risk"] },
  { title: "Per instance", prefixes: ["scope"] },
];

/** The checklist's items grouped by section, each section in the checklist's order. */
export function checklistBySection(): { title: string; items: ChecklistItem[] }[] {
  return CHECKLIST_SECTIONS.map((s) => ({ title: s.title, items: CHECKLIST.filter((i) => s.prefixes.includes(i.id.split(".")[0])) }));
}

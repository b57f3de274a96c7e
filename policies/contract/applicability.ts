/**
 * When a checklist item does not apply to an instance, from its posture record: the pack does
 * not judge it there and the audit marks it not-applicable with this reason. One source for both.
 * Pure.
 */
const CLIENT_TDX_ITEMS = new Set(["client.mrtd-allowlist", "client.reproducible", "client.quote-expiry-monitored", "client.rebuild-cadence"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Why item `id` does not apply to the instance whose posture record is `record`, or undefined when it applies. */
export function notApplicableReason(id: string, record: Record<string, unknown> | undefined): string | undefined {
  const posture = record?.posture === "devtest" ? "devtest" : "production";
  const tdx = isObject(record?.tdx) ? record.tdx : {};
  if (id === "devtest.host-trusted" && posture === "production") return "production posture: clients run in TDX";
  if (posture === "devtest") {
    if (CLIENT_TDX_ITEMS.has(id) && list(tdx.clients).length === 0) return "devtest without client TDX (no client reference sets)";
    if (id === "identity.mrtd-published" && list(tdx.committee).length === 0) return "devtest without committee reference sets";
    if (id === "audit.broadcast-archive" && !isObject(record?.archive)) return "devtest without a Broadcasts archive (required in production only)";
    if (id === "audit.peer-registry" && !isObject(record?.registry)) return "devtest without a signed PeerId registry (required in production only)";
  }
  return undefined;
}

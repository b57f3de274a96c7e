/**
 * The labels/tags contract. Policies and audits find zipnet resources from any source by
 * these keys, so they never change.
 */
export const LABEL_INSTANCE = "zipnet-instance";
export const LABEL_ROLE = "zipnet-role";
export const LABEL_NODE = "zipnet-node";
export const LABEL_ONCALL = "zipnet-oncall";
/** Our addition: lets per-resource policies pick the posture's enforcement. */
export const LABEL_POSTURE = "zipnet-posture";

/** What a resource serves: a node's role, or an instance-wide function. */
export type ZipnetRole = "committee" | "aggregator" | "secrets" | "archive";

/** GCP label values allow only [a-z0-9_-]: the instance name with `.` replaced by `_`. */
export function instanceLabel(instanceName: string): string {
  return instanceName.replace(/\./g, "_");
}

/** GCP label values: lowercase [a-z0-9_-], at most 63 characters. */
export function gcpLabelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "_")
    .slice(0, 63);
}

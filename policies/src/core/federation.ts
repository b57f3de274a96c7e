/**
 * A federated instance as one operator's posture record describes it (src/instance/instance.ts
 * federationRecord): this operator, and every node of the instance from the manifest the program
 * verified. The pack cannot verify the manifest's signatures; it judges this stack against it.
 */
import { arr, isObject, str } from "./values";
export { normalName } from "../../contract/patterns";

interface FederatedNode {
  id: string;
  role: string;
  operator: string;
  organization: string;
  cloud: string;
  account: string;
  region: string;
}

export interface Federation {
  operator: string;
  manifest: string;
  nodes: FederatedNode[];
}

/**
 * The record's federation: undefined for a single-stack instance (`federation` null or absent), a
 * string saying what is wrong when the record has one the pack cannot read (never judged as none).
 */
export function federationOf(rec: unknown): Federation | string | undefined {
  const f = isObject(rec) ? rec.federation : undefined;
  if (f === undefined || f === null) return undefined;
  if (!isObject(f) || !str(f.operator) || !/^[0-9a-f]{64}$/.test(str(f.manifest) ?? "")) return "federation: expected {operator, epoch, manifest (SHA-256), nodes}";
  const list = arr(f.nodes);
  if (!list || list.length === 0 || !list.every((n) => isObject(n) && ["id", "role", "operator", "organization", "cloud", "account", "region"].every((k) => str(n[k])))) {
    return "federation.nodes: expected the manifest's nodes {id, role, operator, organization, cloud, account, region}";
  }
  const nodes = list.filter(isObject).map((n) => ({
    id: str(n.id)!,
    role: str(n.role)!,
    operator: str(n.operator)!,
    organization: str(n.organization)!,
    cloud: str(n.cloud)!,
    account: str(n.account)!,
    region: str(n.region)!,
  }));
  return { operator: str(f.operator)!, manifest: str(f.manifest)!, nodes };
}

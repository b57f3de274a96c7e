/**
 * A federated instance as one operator's posture record describes it (src/instance/instance.ts
 * federationRecord): this operator, and every node of the instance from the manifest the program
 * verified. The pack cannot verify the manifest's signatures; it judges this stack against it.
 */
import { arr, at, isObject, str } from "./values";

export interface FederatedNode {
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
  epoch: unknown;
  manifest: string;
  nodes: FederatedNode[];
}

/** The record's federation, or undefined for a single-stack instance (or a malformed entry: judged elsewhere). */
export function federationOf(rec: unknown): Federation | undefined {
  const f = isObject(rec) ? rec.federation : undefined;
  if (!isObject(f) || !str(f.operator) || !str(f.manifest)) return undefined;
  const nodes = (arr(f.nodes) ?? []).filter(isObject).map((n) => ({
    id: str(n.id) ?? "",
    role: str(n.role) ?? "",
    operator: str(n.operator) ?? "",
    organization: str(n.organization) ?? "",
    cloud: str(n.cloud) ?? "",
    account: str(n.account) ?? "",
    region: str(n.region) ?? "",
  }));
  return { operator: str(f.operator)!, epoch: at(f, "epoch"), manifest: str(f.manifest)!, nodes };
}

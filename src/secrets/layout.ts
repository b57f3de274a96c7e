/**
 * The instance's Vault layout: mount, secret paths, policy and role names. Pure functions of
 * the config, shared by the secret scopes, the boot contract and the tests.
 */
import type { InstanceConfig, InstanceNode } from "../config/schema";
import { COMMITTEE_KEY, auditDevicePath, committeeSecretPath, dataPath, defaultMount, nodeKey, nodeSecretPath, scopedName as scoped } from "../../policies/contract/vault";
import { attestedRoleName, type AttestedNode } from "../../policies/contract/attestation";
import { committeePlatform, setsFor, type ReferenceSet } from "../../policies/contract/measurements";
import { machineTypeOf } from "../config/validate";

export { COMMITTEE_KEY, dataPath, nodeKey };

/**
 * The instance's KV v2 mount: configured, or `zipnet/<instance name>`. The instance name is
 * kept verbatim so two instances can never derive the same mount.
 */
export function mountPath(config: Pick<InstanceConfig, "name" | "vault">): string {
  return config.vault.mount ?? defaultMount(config.name);
}

/**
 * Names in Vault's global namespaces (policies, auth roles): `zipnet.<instance>.<node>`. Node
 * ids have no dots, so the last label is the node and the rest the instance: no two
 * (instance, node) pairs share a name.
 */
export function scopedName(config: Pick<InstanceConfig, "name">, nodeId: string): string {
  return scoped(config.name, nodeId);
}

export function policyName(config: Pick<InstanceConfig, "name">, nodeId: string): string {
  return scopedName(config, nodeId);
}

export function roleName(config: Pick<InstanceConfig, "name">, nodeId: string): string {
  return scopedName(config, nodeId);
}

/** The instance's audit device path (managed audit devices). */
export function auditPath(config: Pick<InstanceConfig, "name">): string {
  return auditDevicePath(config.name);
}

/** The secret paths a node reads at boot, by the zipnet `*_FILE` variable they feed. */
export function nodeSecretPaths(config: Pick<InstanceConfig, "name" | "vault">, node: Pick<InstanceNode, "id" | "role">): Record<string, string> {
  const mount = mountPath(config);
  const paths: Record<string, string> = { ZIPNET_SECRET_FILE: nodeSecretPath(mount, node.id) };
  if (node.role === "committee") paths.ZIPNET_COMMITTEE_SECRET_FILE = committeeSecretPath(mount);
  return paths;
}

/**
 * A node's Vault policy: `read` on exactly its own secret, plus the committee secret for
 * committee servers. No globs, no list, no write.
 */
export function nodePolicyHcl(config: Pick<InstanceConfig, "name" | "vault">, node: Pick<InstanceNode, "id" | "role">): string {
  return Object.values(nodeSecretPaths(config, node))
    .map((path) => `path "${path}" {\n  capabilities = ["read"]\n}\n`)
    .join("\n");
}

/** The node's attested roles: one per reference set of its platform and machine type. */
export function attestedRoles(config: Pick<InstanceConfig, "name" | "tdx">, node: InstanceNode): Array<{ set: ReferenceSet; role: string }> {
  const platform = committeePlatform(node.cloud);
  const sets = platform ? setsFor(config.tdx.committee, platform, machineTypeOf(node, node.role)) : [];
  return sets.map((set) => ({ set, role: attestedRoleName(config.name, node.id, set.name) }));
}

/** The node as its attested token and roles name it. */
export function attestedNode(config: Pick<InstanceConfig, "name" | "vault">, node: Pick<InstanceNode, "id">): AttestedNode {
  return { instance: config.name, node: node.id, vaultAddress: config.vault.address, vaultCaSha256: config.vault.caSha256 ?? "" };
}

/**
 * The instance's Vault layout: mount, secret paths, policy and role names. Pure functions of
 * the config, shared by the secret scopes, the boot contract and the tests.
 */
import type { InstanceConfig, InstanceNode } from "../config/schema";

/** KV v2 key of ZIPNET_COMMITTEE_SECRET. */
export const COMMITTEE_KEY = "committee";

/** The instance's KV v2 mount: configured, or derived from the instance name (never shared). */
export function mountPath(config: Pick<InstanceConfig, "name" | "vault">): string {
  return config.vault.mount ?? `zipnet-${config.name.replace(/\./g, "-")}`;
}

/** KV v2 key of a node's ZIPNET_SECRET. */
export function nodeKey(nodeId: string): string {
  return `nodes/${nodeId}`;
}

/** API path a read of a KV v2 key goes to. */
export function dataPath(mount: string, key: string): string {
  return `${mount}/data/${key}`;
}

/** Prefix for per-instance names in Vault's global namespaces (policies, auth roles). */
function prefix(config: Pick<InstanceConfig, "name">): string {
  return `zipnet-${config.name.replace(/\./g, "-")}`;
}

export function policyName(config: Pick<InstanceConfig, "name">, nodeId: string): string {
  return `${prefix(config)}-${nodeId}`;
}

export function roleName(config: Pick<InstanceConfig, "name">, nodeId: string): string {
  return `${prefix(config)}-${nodeId}`;
}

/** The secret paths a node reads at boot, by the zipnet `*_FILE` variable they feed. */
export function nodeSecretPaths(config: Pick<InstanceConfig, "name" | "vault">, node: Pick<InstanceNode, "id" | "role">): Record<string, string> {
  const mount = mountPath(config);
  const paths: Record<string, string> = { ZIPNET_SECRET_FILE: dataPath(mount, nodeKey(node.id)) };
  if (node.role === "committee") paths.ZIPNET_COMMITTEE_SECRET_FILE = dataPath(mount, COMMITTEE_KEY);
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

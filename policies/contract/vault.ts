/**
 * The instance's Vault layout as names and paths: what the program creates (src/secrets) and
 * what the pack checks nodes can and cannot read. Pure.
 */

/** KV v2 key of ZIPNET_COMMITTEE_SECRET. */
export const COMMITTEE_KEY = "committee";

/** The instance's KV v2 mount when the config names none: the instance name kept verbatim. */
export function defaultMount(instanceName: string): string {
  return `zipnet/${instanceName}`;
}

/** KV v2 key of a node's ZIPNET_SECRET. */
export function nodeKey(nodeId: string): string {
  return `nodes/${nodeId}`;
}

/** API path a read of a KV v2 key goes to. */
export function dataPath(mount: string, key: string): string {
  return `${mount}/data/${key}`;
}

/** Where a node's ZIPNET_SECRET is read. */
export function nodeSecretPath(mount: string, nodeId: string): string {
  return dataPath(mount, nodeKey(nodeId));
}

/** Where ZIPNET_COMMITTEE_SECRET is read. */
export function committeeSecretPath(mount: string): string {
  return dataPath(mount, COMMITTEE_KEY);
}

/**
 * A node's policy and auth role name, in Vault's global namespaces: `zipnet.<instance>.<node>`.
 * Node ids have no dots, so the last label is the node and the rest the instance.
 */
export function scopedName(instanceName: string, nodeId: string): string {
  return `zipnet.${instanceName}.${nodeId}`;
}

/** The instance's managed audit device path. */
export function auditDevicePath(instanceName: string): string {
  return `zipnet.${instanceName}`;
}

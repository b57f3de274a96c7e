/**
 * Destroy-time wipe records. Every node VM carries a resource hook that runs before and after
 * its deletion (`pulumi destroy --run-program`, or `pulumi up` after the node left the config)
 * and files a record for the deploy record: which instance and node, when, which disk keys the
 * VM used, and the method (NIST SP 800-88 cryptographic erase: the disk's data is unreadable once
 * its key is destroyed). A VM is also deleted when it is replaced (a new image, a new size): then
 * its disk key stays, for the new VM. The record says so; the key's own deletion, when the node
 * leaves the config, is what destroys it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../config/schema";

export const WIPE_METHOD = "NIST SP 800-88 Rev. 1 cryptographic erase";

export interface WipeRecord {
  event: "beforeDelete" | "afterDelete";
  instance: string;
  node: string;
  cloud: Cloud;
  urn: string;
  time: string;
  /** The disk keys the VM used: destroying them makes its disks unreadable. */
  diskKeys: string[];
  /** When those keys are destroyed (not by this deletion alone). */
  keyDestruction: string;
  method: string;
  /** How each cloud erases, in one line. */
  how: string;
}

const HOW: Record<Cloud, string> = {
  gcp: "boot disk auto-deleted with the VM; its per-node Cloud KMS key's versions are destroyed after destroyScheduledDuration",
  aws: "root volume deleted on termination; its per-node KMS key is scheduled for deletion (7-day window, unusable at once)",
  azure: "OS disk and NIC deleted with the VM; the NonPersistedTPM vTPM, and every key the guest sealed to it, dies with the VM",
};

export const KEY_DESTRUCTION =
  "scheduled when the node's key resource is deleted (the node removed from the instance or the instance destroyed); a VM replacement keeps the key for the new VM";

/** The disk keys a VM's inputs name (GCP kmsKeySelfLink, AWS rootBlockDevice.kmsKeyId). */
export function diskKeys(cloud: Cloud, inputs: Record<string, any> | undefined): string[] {
  if (!inputs) return [];
  const key = cloud === "gcp" ? inputs.bootDisk?.kmsKeySelfLink : cloud === "aws" ? inputs.rootBlockDevice?.kmsKeyId : undefined;
  return typeof key === "string" && key ? [key] : [];
}

/** Builds the record for one hook invocation. Pure. */
export function wipeRecord(
  event: WipeRecord["event"],
  meta: { instance: string; node: string; cloud: Cloud },
  args: Pick<pulumi.ResourceHookArgs, "urn" | "oldInputs">,
  now: Date = new Date(),
): WipeRecord {
  return {
    event,
    instance: meta.instance,
    node: meta.node,
    cloud: meta.cloud,
    urn: args.urn,
    time: now.toISOString(),
    diskKeys: diskKeys(meta.cloud, args.oldInputs),
    keyDestruction: KEY_DESTRUCTION,
    method: WIPE_METHOD,
    how: HOW[meta.cloud],
  };
}

/** Where records go: $ZIPNET_DEPLOY_RECORD_DIR or ./deploy-record, one folder per instance. */
export function writeWipeRecord(record: WipeRecord, root = process.env.ZIPNET_DEPLOY_RECORD_DIR ?? "deploy-record"): string {
  const dir = path.join(root, record.instance);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `wipe-${record.node}-${record.event}-${record.time.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** The hook callback, as a plain function (tests call it directly). */
export function wipeHookCallback(event: WipeRecord["event"], meta: { instance: string; node: string; cloud: Cloud }, write = writeWipeRecord) {
  return async (args: pulumi.ResourceHookArgs): Promise<void> => {
    const record = wipeRecord(event, meta, args);
    const file = write(record);
    pulumi.log.info(`wipe record (${event}) for ${meta.instance}/${meta.node} filed at ${file}`);
  };
}

/** beforeDelete/afterDelete hooks for a node VM. */
export function wipeHooks(name: string, meta: { instance: string; node: string; cloud: Cloud }): pulumi.ResourceHookBinding {
  return {
    beforeDelete: [new pulumi.ResourceHook(`${name}-wipe-before-delete`, wipeHookCallback("beforeDelete", meta))],
    afterDelete: [new pulumi.ResourceHook(`${name}-wipe-after-delete`, wipeHookCallback("afterDelete", meta))],
  };
}

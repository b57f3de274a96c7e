/** Names of the Broadcasts archive's bucket and writer, known before deployment. Pure. */
import { createHash } from "node:crypto";
import type { InstanceConfig } from "../config/schema";

type ArchiveConfig = NonNullable<InstanceConfig["archive"]>;

/** Bucket names are global: a readable slug plus a hash of the exact instance name. */
export function archiveBucketName(instanceName: string): string {
  const hash = createHash("sha256").update(instanceName).digest("hex").slice(0, 8);
  return `zipnet-archive-${instanceName.replace(/\./g, "-").slice(0, 30)}-${hash}`;
}

/** Name of the write-only identity (AWS role name / GCP service account id). */
export function archiverIdentityName(instanceName: string): string {
  const hash = createHash("sha256").update(instanceName).digest("hex").slice(0, 8);
  return `zn-archiver-${hash}`;
}

/** The archiver's identity, known before deployment (it goes into the boot contract). */
export function archiverIdentity(instanceName: string, archive: ArchiveConfig): string {
  const id = archiverIdentityName(instanceName);
  return archive.cloud === "aws" ? `arn:aws:iam::${archive.account}:role/${id}` : `${id}@${archive.account}.iam.gserviceaccount.com`;
}

/** Where the archiver job writes: `<instance name>/` in the bucket. */
export function archivePrefix(instanceName: string): string {
  return `${instanceName}/`;
}

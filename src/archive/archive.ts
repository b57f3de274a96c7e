/**
 * BroadcastArchive: durable storage for the instance's Broadcasts collection, keyed by instance
 * name: S3 with versioning and Object Lock in COMPLIANCE mode (no one can shorten the retention of
 * an object once written; the bucket's default retention, for objects written later, can still be
 * lowered by whoever may put the bucket's Object Lock configuration), or a GCS bucket with a
 * retention policy, locked in production (then no one can shorten or remove it). A write-only identity
 * (PutObject / objectCreator, nothing else) is what the archiver job runs as; the job itself runs
 * on its runner (by default the aggregator) on the configured schedule, per the boot contract.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { awsSdk, gcpSdk } from "../sdk/load";
import type { InstanceConfig } from "../config/schema";
import { renderLabels, zipnetLabels } from "../instance/labels";
import { archiveBucketName, archiverIdentityName } from "./naming";

export interface BroadcastArchiveArgs {
  /** The validated instance config (with `archive` set). */
  instance: InstanceConfig;
  /** Principal that runs the job (AWS role ARN / GCP service account email). */
  runner: pulumi.Input<string>;
}

export class BroadcastArchive extends pulumi.ComponentResource {
  /** The bucket's name. */
  public readonly bucket: pulumi.Output<string>;
  /** The write-only identity the job runs as. */
  public readonly writer: pulumi.Output<string>;

  constructor(name: string, args: BroadcastArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    super("zipnet:archive:BroadcastArchive", name, { cloud: args.instance.archive?.cloud }, opts);
    const { instance } = args;
    const archive = instance.archive!;
    const bucketName = archiveBucketName(instance.name);
    const labels = renderLabels(archive.cloud, zipnetLabels(instance, "archive"));
    const prefix = `${instance.name}/`;

    if (archive.cloud === "aws") {
      const sdk = awsSdk();
      const provider = new sdk.Provider(`${name}-provider`, { region: archive.region as aws.Region, allowedAccountIds: [archive.account], defaultTags: { tags: labels } }, { parent: this });
      const o = { parent: this, provider };
      const bucket = new sdk.s3.Bucket(`${name}-bucket`, { bucket: bucketName, objectLockEnabled: true, forceDestroy: false, tags: labels }, o);
      new sdk.s3.BucketPublicAccessBlock(`${name}-public-access`, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, o);
      const versioning = new sdk.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, o);
      new sdk.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket: bucket.id, rule: { defaultRetention: { mode: "COMPLIANCE", days: archive.retentionDays } } },
        { ...o, dependsOn: [versioning] },
      );
      const writer = new sdk.iam.Role(
        `${name}-writer`,
        {
          name: archiverIdentityName(instance.name),
          description: `zipnet ${instance.name}: Broadcasts archiver, write-only`,
          assumeRolePolicy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: args.runner }, Action: "sts:AssumeRole" }],
          }),
          tags: labels,
        },
        o,
      );
      new sdk.iam.RolePolicy(
        `${name}-writer-put`,
        {
          role: writer.name,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["s3:PutObject"], Resource: pulumi.interpolate`${bucket.arn}/${prefix}*` }],
          }),
        },
        o,
      );
      this.bucket = bucket.bucket;
      this.writer = writer.arn;
    } else {
      const sdk = gcpSdk();
      const provider = new sdk.Provider(`${name}-provider`, { project: archive.account, region: archive.region, defaultLabels: labels }, { parent: this });
      const o = { parent: this, provider };
      const bucket = new sdk.storage.Bucket(
        `${name}-bucket`,
        {
          name: bucketName,
          location: archive.region.toUpperCase(),
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          // No Object Versioning: GCS refuses it beside a retention policy, which already keeps
          // every object for its period. Production locks the policy (irreversible): only then can
          // no one shorten or remove it (GCS Bucket Lock).
          retentionPolicy: { retentionPeriod: String(archive.retentionDays * 86400), isLocked: instance.posture === "production" },
          forceDestroy: false,
          labels,
        },
        o,
      );
      const writer = new sdk.serviceaccount.Account(
        `${name}-writer`,
        { accountId: archiverIdentityName(instance.name), displayName: `zipnet ${instance.name} Broadcasts archiver (write-only)` },
        o,
      );
      new sdk.storage.BucketIAMMember(`${name}-writer-create`, { bucket: bucket.name, role: "roles/storage.objectCreator", member: pulumi.interpolate`serviceAccount:${writer.email}` }, o);
      new sdk.serviceaccount.IAMMember(
        `${name}-runner-impersonates`,
        { serviceAccountId: writer.name, role: "roles/iam.serviceAccountTokenCreator", member: pulumi.interpolate`serviceAccount:${args.runner}` },
        o,
      );
      this.bucket = bucket.name;
      this.writer = writer.email;
    }
    this.registerOutputs({ bucket: this.bucket, writer: this.writer });
  }
}

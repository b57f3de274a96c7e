/**
 * audit.*: the Broadcasts archive (mandatory for production: a zipnet-role=archive resource)
 * and the PeerId registry (mandatory for production: the record names the registry key; the
 * signed registry file itself is verified by the program and the audit, the pack cannot read it).
 */
import { LABEL_ROLE } from "../contract/labels";
import { recordOfView } from "./core/checks";
import { federationOf } from "./core/federation";
import { raw, resourcePolicies, stackPolicies } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE, instanceFromLabel, type ResourceView } from "./core/resources";
import { at, containsUnknown, isObject, isUnknown, num, str } from "./core/values";
import { createPublicKey } from "node:crypto";

/** The two forms the program reads (src/deployRecord/ed25519.ts): SPKI PEM, or canonical base64 of the 32 raw bytes. */
function isEd25519PublicKey(text: string): boolean {
  const t = text.trim();
  if (t.startsWith("-----BEGIN PUBLIC KEY-----")) {
    try {
      return createPublicKey({ key: t, format: "pem" }).asymmetricKeyType === "ed25519";
    } catch {
      return false;
    }
  }
  return /^[A-Za-z0-9+/]+={0,2}$/.test(t) && Buffer.from(t, "base64").length === 32 && Buffer.from(t, "base64").toString("base64") === t;
}

const S3_BUCKETS = new Set(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);
const S3_LOCKS = new Set(["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"]);
const GCS_BUCKET = "gcp:storage/bucket:Bucket";

/**
 * Whether an archive bucket's retention cannot be shortened: S3 with Object Lock on and a default
 * retention (COMPLIANCE or GOVERNANCE, days or years), or GCS with a retention period.
 * undefined: cannot judge yet (unknown values).
 */
function retained(m: { resources: ResourceView[] }, bucket: ResourceView): boolean | undefined {
  if (bucket.type === GCS_BUCKET) {
    const period = at(bucket.props, "retentionPolicy", "retentionPeriod");
    if (isUnknown(period)) return undefined;
    return (num(period) ?? 0) > 0;
  }
  const lockEnabled = at(bucket.props, "objectLockEnabled");
  if (isUnknown(lockEnabled)) return undefined;
  if (lockEnabled !== true) return false;
  const name = str(at(bucket.props, "bucket"));
  const locks = m.resources.filter((r) => S3_LOCKS.has(r.type) && (!name || isUnknown(at(r.props, "bucket")) || at(r.props, "bucket") === name));
  const retentions = locks.map((l) => at(l.props, "rule", "defaultRetention"));
  if (retentions.some((r) => containsUnknown(r))) return undefined;
  return retentions.some((retention) => {
    const mode = str(at(retention, "mode"));
    return (mode === "COMPLIANCE" || mode === "GOVERNANCE") && ((num(at(retention, "days")) ?? 0) > 0 || (num(at(retention, "years")) ?? 0) > 0);
  });
}

export const [broadcastArchive] = stackPolicies({
  checklistId: "audit.broadcast-archive",
  description:
    "A production instance has its Broadcasts archive: a bucket labelled zipnet-role=archive for the instance whose retention cannot be shortened (S3 Object Lock with a default retention, or a GCS retention policy). Devtest instances need none.",
  levels: [{ posture: "production", level: "mandatory" }],
  check(m, ctx) {
    const vms = m.nodeVms();
    const instances = m.records.length
      ? m.records.map((x) => ({ name: x.name, subject: x.r, posture: x.posture }))
      : [...new Set(vms.map((v) => v.instance))].map((name) => {
          const vm = vms.find((v) => v.instance === name)!;
          return { name, subject: vm.r, posture: m.postureOf(vm.r) };
        });
    ctx.each(instances, (inst) => {
      if (inst.posture !== "production") return;
      // A federated stack: the archive is the aggregator's operator's; another operator's stack holds none.
      const fed = federationOf(m.records.find((x) => x.r === inst.subject)?.rec);
      if (typeof fed === "object" && fed.nodes.some((n) => n.role === "aggregator" && n.operator !== fed.operator)) return;
      const buckets = m.resources.filter(
        (r) =>
          (S3_BUCKETS.has(r.type) || r.type === GCS_BUCKET) &&
          r.labels[LABEL_ROLE] === "archive" &&
          (!inst.name || !r.zipnet.instance || instanceFromLabel(r.zipnet.instance) === inst.name),
      );
      const verdicts = buckets.map((b) => retained(m, b));
      if (verdicts.some((v) => v === true || v === undefined)) return;
      const expected = `a bucket labelled ${LABEL_ROLE}=archive for instance ${inst.name ?? "?"} with S3 Object Lock retention or a GCS retention policy (the Broadcasts archive)`;
      if (buckets.length === 0) ctx.fail(inst.subject, "resources", expected, raw("no archive bucket"), { posture: "production" });
      else for (const b of buckets) ctx.fail(b, "retention", expected, raw("a bucket whose objects can be deleted or overwritten"), { posture: "production" });
    });
  },
});

export const [peerRegistry] = resourcePolicies({
  checklistId: "audit.peer-registry",
  description:
    "A production posture record names the key of the instance's signed PeerId-to-legal-entity registry (registry.publicKey, an Ed25519 public key: SPKI PEM or base64 of 32 bytes), or, for a federated instance, the hash of the manifest every operator signed (which maps PeerIds to organizations). The pack cannot read either file: signatures and node coverage are verified by the program and the offline audit, not here.",
  levels: [{ posture: "production", level: "mandatory" }],
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    const reg = rec.registry;
    if (isUnknown(reg)) return;
    // A federated instance: the manifest every operator signs maps PeerIds to legal entities (the program verified it).
    const fed = federationOf(rec);
    if (reg === null && typeof fed === "string") return ctx.fail("federation", "a federation record naming the signed manifest", raw(fed));
    if (reg === null && fed) return;
    const key = at(reg, "publicKey");
    if (isUnknown(key)) return;
    if (!isObject(reg) || !str(key)) {
      ctx.fail("registry.publicKey", "the verification key of the instance's signed peer registry", key ?? reg);
      return;
    }
    if (!isEd25519PublicKey(key)) ctx.fail("registry.publicKey", "an Ed25519 public key (SPKI PEM, or base64 of the 32 raw bytes)", key);
  },
});

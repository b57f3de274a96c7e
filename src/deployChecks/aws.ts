/** Deploy checks for AWS (EC2, IAM, KMS, S3). */
import { AWS_SEV_SNP_FAMILIES } from "../config/defaults";
import { AWS_KEY, AWS_VM } from "../../policies/contract/types";
import { obj } from "../../policies/src/core/values";
import { at, isUnknown, type DeployRule } from "./rule";

const INSTANCE = AWS_VM;
const BUCKET = "aws:s3/bucket:Bucket";
const LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const KEY = AWS_KEY;
const SG = "aws:ec2/securityGroup:SecurityGroup";

const S3_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const s3BucketName: DeployRule = {
  id: "aws.s3-bucket-name",
  types: [BUCKET],
  description: "S3 bucket names: 3-63 of [a-z0-9.-], starting and ending with a letter or digit, no '..', not an IP address, no reserved prefix or suffix.",
  source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
  check(s, _ctx, report) {
    const n = s.props.bucket;
    if (typeof n !== "string") return;
    const bad =
      !S3_NAME.test(n) || n.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(n) || /^(xn--|sthree-|amzn-s3-demo-)/.test(n) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(n);
    if (bad) report("bucket", "3-63 characters of [a-z0-9.-], starting and ending with a letter or digit, no reserved prefix or suffix", n);
  },
};

export const s3ObjectLockVersioning: DeployRule = {
  id: "aws.s3-object-lock-versioning",
  types: [LOCK],
  description: "An Object Lock configuration needs its bucket's versioning Enabled first (and Object Lock on the bucket).",
  source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html (Object Lock works only in versioned buckets; enable versioning, then Object Lock)",
  check(s, ctx, report) {
    const bucket = s.props.bucket;
    if (typeof bucket !== "string") return;
    const versioning = ctx.ofType(VERSIONING).filter((v) => ctx.subject(v).props.bucket === bucket);
    const enabled = versioning.filter((v) => at(ctx.subject(v).props, "versioningConfiguration", "status") === "Enabled");
    if (enabled.length === 0) report("bucket", `a bucket whose versioning is Enabled (a BucketVersioning of ${bucket})`, bucket);
    else if (!enabled.some((v) => (s.r.dependencies ?? []).includes(v.urn))) report("dependsOn", `the versioning of ${bucket} (${ctx.subject(enabled[0]).name}), set before the lock`, s.r.dependencies ?? []);
    const b = ctx.ofType(BUCKET).find((x) => ctx.subject(x).props.bucket === bucket);
    if (b && ctx.subject(b).props.objectLockEnabled !== true && !isUnknown(ctx.subject(b).props.objectLockEnabled)) report("bucket", `a bucket with objectLockEnabled (${ctx.subject(b).name})`, ctx.subject(b).props.objectLockEnabled);
  },
};

export const sevSnpFamily: DeployRule = {
  id: "aws.sev-snp-family",
  types: [INSTANCE],
  description: "AMD SEV-SNP is offered on M6a, C6a and R6a instances only, and only at launch.",
  source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sev-snp.html (\"supported only on M6a, R6a and C6a\"; \"You can't enable AMD SEV-SNP after launch\")",
  check(s, _ctx, report) {
    if (at(s.props, "cpuOptions", "amdSevSnp") !== "enabled") return;
    const type = s.props.instanceType;
    if (typeof type === "string" && !AWS_SEV_SNP_FAMILIES.includes(type.split(".")[0])) report("instanceType", `an SEV-SNP family (${AWS_SEV_SNP_FAMILIES.join(", ")})`, type);
  },
};

export const imds: DeployRule = {
  id: "aws.imds-options",
  types: [INSTANCE],
  description: "metadataOptions.httpTokens is optional or required; httpPutResponseHopLimit is 1-64.",
  source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceMetadataOptionsRequest.html",
  check(s, _ctx, report) {
    const t = at(s.props, "metadataOptions", "httpTokens");
    if (t !== undefined && !isUnknown(t) && t !== "optional" && t !== "required") report("metadataOptions.httpTokens", '"optional" or "required"', t);
    const h = at(s.props, "metadataOptions", "httpPutResponseHopLimit");
    if (h !== undefined && !isUnknown(h) && !(Number.isInteger(h) && h >= 1 && h <= 64)) report("metadataOptions.httpPutResponseHopLimit", "an integer 1-64", h);
  },
};

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export const iamRoleName: DeployRule = {
  id: "aws.iam-role-name",
  types: [ROLE],
  description: "IAM role names are 1-64 of [\\w+=,.@-] (an auto-name is the logical name plus 8 characters); descriptions at most 1000 characters.",
  source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (RoleName pattern [\\w+=,.@-]+, 1-64; Description 0-1000)",
  check(s, _ctx, report) {
    const explicit = s.props.name;
    const name = typeof explicit === "string" ? explicit : `${s.name}-abcdefg`;
    if (!ROLE_NAME.test(name)) report("name", "1-64 characters of [\\w+=,.@-] (auto-names add 8)", typeof explicit === "string" ? explicit : s.name);
    const d = s.props.description;
    if (typeof d === "string" && (d.length > 1000 || !/^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/.test(d))) report("description", "at most 1000 printable Latin-1 characters", d);
  },
};

export const kmsDeletionWindow: DeployRule = {
  id: "aws.kms-deletion-window",
  types: [KEY],
  description: "A KMS key's deletion window is 7-30 days.",
  source: "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html (PendingWindowInDays 7-30)",
  check(s, _ctx, report) {
    const d = s.props.deletionWindowInDays;
    if (d !== undefined && !isUnknown(d) && !(Number.isInteger(d) && d >= 7 && d <= 30)) report("deletionWindowInDays", "an integer 7-30", d);
  },
};

const SG_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

export const securityGroupText: DeployRule = {
  id: "aws.security-group-text",
  types: [SG],
  description: "Security group and rule descriptions are at most 255 of a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$* (rule descriptions without &).",
  source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html (GroupDescription constraints); API_IpRange.html (Description)",
  check(s, _ctx, report) {
    const d = s.props.description;
    if (typeof d === "string" && !SG_TEXT.test(d)) report("description", "at most 255 characters of a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$*", d);
    for (const dir of ["ingress", "egress"]) {
      const rules = s.props[dir];
      if (!Array.isArray(rules)) continue;
      rules.forEach((r, i) => {
        const rd = at(r, "description");
        if (typeof rd === "string" && (!SG_TEXT.test(rd) || rd.includes("&"))) report(`${dir}[${i}].description`, "at most 255 characters of a-zA-Z0-9, space and ._-:/()#,@[]+=;{}!$*", rd);
      });
    }
  },
};

function accountOf(arn: unknown): string | undefined {
  return typeof arn === "string" ? arn.split(":")[4] : undefined;
}

export const crossAccountAssumeRole: DeployRule = {
  id: "aws.cross-account-assume-role",
  types: [ROLE],
  description: "A role trusted by a role of another account is assumable only if that role also has an identity policy allowing sts:AssumeRole on it.",
  source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html (cross-account requests need an allow in the trusting account's resource policy and in the calling account's identity policy)",
  check(s, ctx, report) {
    for (const st of statementsOf(s.props.assumeRolePolicy)) {
      const principals = [st?.Principal?.AWS].flat().filter((p): p is string => typeof p === "string");
      for (const principal of principals) {
        const callerRole = ctx.resolve(principal, [ROLE])[0];
        if (!callerRole) continue; // a principal outside the stack: its account's policies are not ours to see
        const myAccount = accountOf(ctx.subject(s.r).props.arn) ?? accountOf(at(ctx.providerConfig(s.r), "allowedAccountIds", 0));
        const callerAccount = accountOf(principal);
        if (!myAccount || !callerAccount || myAccount === callerAccount) continue;
        const allowed = ctx.ofType(ROLE_POLICY).some((p) => {
          const pp = ctx.subject(p).props;
          if (!ctx.resolve(pp.role, [ROLE]).includes(callerRole)) return false;
          return statementsOf(pp.policy).some((x: any) => x?.Effect === "Allow" && [x?.Action].flat().some((a: unknown) => a === "sts:AssumeRole" || a === "sts:*" || a === "*"));
        });
        if (!allowed) report("assumeRolePolicy", `an identity policy on ${ctx.subject(callerRole).name} (account ${callerAccount}) allowing sts:AssumeRole on this role (account ${myAccount})`, principal);
      }
    }
  },
};

/** An IAM policy document's statements (JSON text or object; one statement or a list). */
function statementsOf(doc: unknown): any[] {
  const statement = obj(doc)?.Statement;
  return Array.isArray(statement) ? statement : statement ? [statement] : [];
}

const VOLUME_TYPES = ["standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"];

export const volumeType: DeployRule = {
  id: "aws.ebs-volume-type",
  types: [INSTANCE],
  description: "EBS volume types are standard, gp2, gp3, io1, io2, sc1 or st1.",
  source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html (VolumeType)",
  check(s, _ctx, report) {
    const t = at(s.props, "rootBlockDevice", "volumeType");
    if (typeof t === "string" && !VOLUME_TYPES.includes(t)) report("rootBlockDevice.volumeType", VOLUME_TYPES.join(", "), t);
  },
};

/** Deploy checks for Google Cloud (Compute Engine, Cloud KMS, IAM, Cloud Storage). */
import { CONFIDENTIAL_SIZE, GCP_TDX_ZONES } from "../config/defaults";
import { GCP_KEY, GCP_VM } from "../../policies/contract/types";
import { at, decodedConfig, isUnknown, type DeployContext, type DeployRule, type Report, type Subject } from "./rule";

const TFG = "hashicorp/terraform-provider-google (bridged by @pulumi/gcp)";
const VM = GCP_VM;
const FIREWALL = "gcp:compute/firewall:Firewall";
const BUCKET = "gcp:storage/bucket:Bucket";
const KEY_RING = "gcp:kms/keyRing:KeyRing";
const CRYPTO_KEY = GCP_KEY;
const KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";
const SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account";
const NETWORK = "gcp:compute/network:Network";
const SUBNET = "gcp:compute/subnetwork:Subnetwork";
const GCP_PROVIDER = "pulumi:providers:gcp";
const LABELLED = [VM, CRYPTO_KEY, BUCKET, "gcp:compute/disk:Disk"];

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const LABELS_SOURCE = `https://cloud.google.com/resource-manager/docs/creating-managing-labels#requirements: keys 1-63 characters, lowercase letters, digits, _ and -, starting with a lowercase letter; values 0-63 of the same; at most 64 labels per resource`;

/** Every label map a resource sends: its own and a VM boot disk's, or a provider's defaults. */
function labelMaps(s: Subject, ctx: DeployContext): Array<[string, unknown]> {
  if (s.r.type === GCP_PROVIDER) return [["defaultLabels", decodedConfig(s.props).defaultLabels]];
  void ctx;
  return [["labels", s.props.labels], ["bootDisk.initializeParams.labels", at(s.props, "bootDisk", "initializeParams", "labels")]];
}

function labelRule(id: string, description: string, each: (path: string, labels: Record<string, unknown>, report: Report) => void): DeployRule {
  return {
    id,
    types: [...LABELLED, GCP_PROVIDER],
    description,
    source: LABELS_SOURCE,
    check(s, ctx, report) {
      for (const [path, labels] of labelMaps(s, ctx)) {
        if (labels && typeof labels === "object" && !isUnknown(labels)) each(path, labels as Record<string, unknown>, report);
      }
    },
  };
}

export const labelKey = labelRule("gcp.label-key", "GCP label keys are 1-63 lowercase letters, digits, _ or -, starting with a letter.", (path, labels, report) => {
  for (const k of Object.keys(labels)) if (!LABEL_KEY.test(k)) report(`${path}.${k}`, "a label key of 1-63 lowercase letters, digits, _ or -, starting with a letter", k);
});

export const labelValue = labelRule("gcp.label-value", "GCP label values are 0-63 lowercase letters, digits, _ or - (no dots, no uppercase).", (path, labels, report) => {
  for (const [k, v] of Object.entries(labels)) if (!isUnknown(v) && (typeof v !== "string" || !LABEL_VALUE.test(v))) report(`${path}.${k}`, "a label value of at most 63 lowercase letters, digits, _ or -", v);
});

export const labelCount = labelRule("gcp.label-count", "A GCP resource carries at most 64 labels.", (path, labels, report) => {
  const n = Object.keys(labels).length;
  if (n > 64) report(path, "at most 64 labels", `${n} labels`);
});

const GCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** Pulumi's autonaming appends `-` and 7 random characters to the logical name. */
const AUTONAME_SUFFIX = 8;

export const resourceName: DeployRule = {
  id: "gcp.resource-name",
  types: [FIREWALL, NETWORK, SUBNET, VM],
  description: "Compute Engine resource names are RFC 1035 labels of 1-63 characters; an auto-name is the logical name plus 8 characters.",
  source: `${TFG} google/verify/validation.go ValidateGCEName: ^(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$`,
  check(s, _ctx, report) {
    const explicit = s.props.name;
    if (typeof explicit === "string") {
      if (!GCE_NAME.test(explicit)) report("name", "1-63 characters of [a-z0-9-], starting with a letter, not ending with -", explicit);
      return;
    }
    const auto = `${s.name}-abcdefg`;
    if (!GCE_NAME.test(auto)) report("name (auto-named from the resource name)", `a resource name of at most ${63 - AUTONAME_SUFFIX} characters of [a-z0-9-], starting with a letter`, s.name);
  },
};

export const firewallPriority: DeployRule = {
  id: "gcp.firewall-priority",
  types: [FIREWALL],
  description: "Firewall rule priorities are integers 0-65535.",
  source: `${TFG} google/services/compute/resource_compute_firewall.go: priority ValidateFunc validation.IntBetween(0, 65535)`,
  check(s, _ctx, report) {
    const p = s.props.priority;
    if (p !== undefined && !isUnknown(p) && !(Number.isInteger(p) && p >= 0 && p <= 65535)) report("priority", "an integer 0-65535", p);
  },
};

function family(cidr: unknown): 4 | 6 | undefined {
  return typeof cidr === "string" ? (cidr.includes(":") ? 6 : 4) : undefined;
}

export const firewallFamily: DeployRule = {
  id: "gcp.firewall-family",
  types: [FIREWALL],
  description: "A firewall rule holds IPv4 or IPv6 ranges, not both.",
  source: "https://cloud.google.com/firewall/docs/using-firewalls: \"A firewall rule can contain either IPv4 or IPv6 ranges, but not both.\"",
  check(s, _ctx, report) {
    for (const key of ["sourceRanges", "destinationRanges"]) {
      const ranges = s.props[key];
      if (!Array.isArray(ranges)) continue;
      const families = new Set(ranges.map(family).filter((f) => f !== undefined));
      if (families.size > 1) report(key, "ranges of one address family (one rule for IPv4, another for IPv6)", ranges);
    }
  },
};

export const firewallIngressSource: DeployRule = {
  id: "gcp.firewall-ingress-source",
  types: [FIREWALL],
  description: "An ingress firewall rule names its sources: ranges, tags or service accounts.",
  source: `${TFG} google/services/compute/resource_compute_firewall.go CustomizeDiff: "one of source_tags, source_ranges, or source_service_accounts must be defined"`,
  check(s, _ctx, report) {
    const dir = String(s.props.direction ?? "INGRESS").toUpperCase();
    if (dir !== "INGRESS") return;
    const has = ["sourceRanges", "sourceTags", "sourceServiceAccounts"].some((k) => isUnknown(s.props[k]) || (Array.isArray(s.props[k]) && s.props[k].length > 0));
    if (!has) report("sourceRanges", "sourceRanges, sourceTags or sourceServiceAccounts on an INGRESS rule", undefined);
  },
};

const ACCOUNT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

export const serviceAccountId: DeployRule = {
  id: "gcp.service-account-id",
  types: [SERVICE_ACCOUNT],
  description: "Service account ids are 6-30 characters of [a-z0-9-], starting with a letter and not ending with -.",
  source: `${TFG} google/services/resourcemanager/resource_google_service_account.go: account_id ValidateRFC1035Name(6, 30)`,
  check(s, _ctx, report) {
    const id = s.props.accountId;
    if (typeof id === "string" && !ACCOUNT_ID.test(id)) report("accountId", "6-30 characters of [a-z0-9-], starting with a letter, not ending with -", id);
  },
};

export const serviceAccountUnique: DeployRule = {
  id: "gcp.service-account-unique",
  types: [SERVICE_ACCOUNT],
  description: "A service account id is unique in its project: a second account with the same id cannot be created.",
  source: "https://cloud.google.com/iam/docs/service-accounts-create: the service account ID must be unique within the project (409 ALREADY_EXISTS)",
  check(s, ctx, report) {
    const id = s.props.accountId;
    const project = s.props.project ?? ctx.providerConfig(s.r).project;
    if (typeof id !== "string") return;
    const first = ctx.ofType(SERVICE_ACCOUNT).find((o) => {
      const p = ctx.subject(o).props;
      return p.accountId === id && (p.project ?? ctx.providerConfig(o).project) === project;
    });
    if (first && first !== s.r) report("accountId", `an id no other service account of project ${String(project)} has (${ctx.subject(first).name} has it)`, id);
  },
};

const DURATION = /^\d+(\.\d{1,9})?s$/;

export const keyDestroyDuration: DeployRule = {
  id: "gcp.kms-destroy-duration",
  types: [CRYPTO_KEY],
  description: "destroyScheduledDuration is a protobuf Duration in seconds ('86400s'), set once (changing it replaces the key).",
  source: `${TFG} google/services/kms/resource_kms_crypto_key.go: destroy_scheduled_duration ForceNew; Cloud KMS API CryptoKey.destroyScheduledDuration (Duration, "Immutable")`,
  check(s, _ctx, report) {
    const d = s.props.destroyScheduledDuration;
    if (d !== undefined && !isUnknown(d) && !(typeof d === "string" && DURATION.test(d))) report("destroyScheduledDuration", "a duration in seconds such as 86400s", d);
  },
};

const KMS_NAME = /^[a-zA-Z0-9_-]{1,63}$/;

export const kmsName: DeployRule = {
  id: "gcp.kms-name",
  types: [KEY_RING, CRYPTO_KEY],
  description: "Key ring and crypto key ids match [a-zA-Z0-9_-]{1,63}; an auto-name is the logical name plus 8 characters.",
  source: "https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings/create: keyRingId must match [a-zA-Z0-9_-]{1,63} (cryptoKeyId likewise)",
  check(s, _ctx, report) {
    const name = typeof s.props.name === "string" ? s.props.name : `${s.name}-abcdefg`;
    if (!KMS_NAME.test(name)) report("name", "1-63 characters of [a-zA-Z0-9_-] (auto-names add 8)", typeof s.props.name === "string" ? s.props.name : s.name);
  },
};

function region(zone: string): string {
  return zone.replace(/-[a-z]$/, "");
}

/** The VM's zone: its own, else its provider's. */
function vmZone(s: Subject, ctx: DeployContext): unknown {
  return s.props.zone ?? ctx.providerConfig(s.r).zone;
}

export const cmekKeyLocation: DeployRule = {
  id: "gcp.cmek-key-location",
  types: [VM],
  description: "A zonal disk's customer-managed key lives in the disk's region (or global).",
  source: "https://cloud.google.com/compute/docs/disks/customer-managed-encryption: the Cloud KMS key must be in the same location as the disk (a regional key for zonal disks of that region, or global); gcloud compute disks update-kms-key --kms-location",
  check(s, ctx, report) {
    const ref = at(s.props, "bootDisk", "kmsKeySelfLink");
    const zone = vmZone(s, ctx);
    if (typeof ref !== "string" || typeof zone !== "string") return;
    const fromRef = ref.match(/locations\/([^/]+)\//)?.[1];
    const key = ctx.resolve(ref, [CRYPTO_KEY])[0];
    const ringRef = key ? ctx.subject(key).props.keyRing : undefined;
    const ring = ctx.resolve(ringRef, [KEY_RING])[0];
    const location = (ring ? ctx.subject(ring).props.location : undefined) ?? fromRef;
    if (typeof location === "string" && location !== "global" && location.toLowerCase() !== region(zone)) {
      report("bootDisk.kmsKeySelfLink", `a key in ${region(zone)} (the disk's region) or global`, `a key in ${location}`);
    }
  },
};

const SERVICE_AGENT = /^serviceAccount:service-[^@]+@compute-system\.iam\.gserviceaccount\.com$/;

export const cmekServiceAgent: DeployRule = {
  id: "gcp.cmek-service-agent",
  types: [VM],
  description: "Before a disk is encrypted with a customer key, the Compute Engine service agent holds roles/cloudkms.cryptoKeyEncrypterDecrypter on it (the VM depends on the grant).",
  source: "https://cloud.google.com/compute/docs/disks/customer-managed-encryption: grant the Compute Engine Service Agent (service-PROJECT_NUMBER@compute-system.iam.gserviceaccount.com) the Cloud KMS CryptoKey Encrypter/Decrypter role",
  check(s, ctx, report) {
    const ref = at(s.props, "bootDisk", "kmsKeySelfLink");
    if (typeof ref !== "string") return;
    const grants = ctx.ofType(KEY_MEMBER).filter((g) => {
      const p = ctx.subject(g).props;
      return p.role === "roles/cloudkms.cryptoKeyEncrypterDecrypter" && (isUnknown(p.member) || (typeof p.member === "string" && SERVICE_AGENT.test(p.member))) && (p.cryptoKeyId === ref || ctx.resolve(p.cryptoKeyId, [CRYPTO_KEY]).some((k) => ctx.resolve(ref, [CRYPTO_KEY]).includes(k)));
    });
    if (grants.length === 0) report("bootDisk.kmsKeySelfLink", "a CryptoKeyIAMMember granting the compute-system service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on this key", ref);
    else if (!grants.some((g) => (s.r.dependencies ?? []).includes(g.urn))) report("dependsOn", `the key grant ${ctx.subject(grants[0]).name} (created before the disk)`, s.r.dependencies ?? []);
  },
};

export const tdxMaintenance: DeployRule = {
  id: "gcp.tdx-maintenance",
  types: [VM],
  description: "A TDX VM cannot live-migrate: scheduling.onHostMaintenance is TERMINATE, or creation fails.",
  source: `${TFG} google/services/compute/resource_compute_instance.go confidential_instance_config: "on_host_maintenance has to be set to TERMINATE or this will fail to create" (only SEV on AMD Milan/Genoa may MIGRATE)`,
  check(s, _ctx, report) {
    if (at(s.props, "confidentialInstanceConfig", "confidentialInstanceType") !== "TDX") return;
    const ohm = at(s.props, "scheduling", "onHostMaintenance");
    if (!isUnknown(ohm) && String(ohm ?? "MIGRATE").toUpperCase() !== "TERMINATE") report("scheduling.onHostMaintenance", '"TERMINATE" (a TDX guest)', ohm);
  },
};

export const tdxMachineType: DeployRule = {
  id: "gcp.tdx-machine-type",
  types: [VM],
  description: "Intel TDX runs on the C3 machine series only.",
  source: "https://cloud.google.com/confidential-computing/confidential-vm/docs/supported-configurations#machine-type-cpu-zone: Intel TDX on C3 machine types",
  check(s, _ctx, report) {
    if (at(s.props, "confidentialInstanceConfig", "confidentialInstanceType") !== "TDX") return;
    const mt = s.props.machineType;
    if (typeof mt === "string" && !CONFIDENTIAL_SIZE.gcp.pattern.test(mt.split("/").pop() ?? mt)) report("machineType", "a c3-standard-* machine type (Intel TDX)", mt);
  },
};

export const tdxZone: DeployRule = {
  id: "gcp.tdx-zone",
  types: [VM],
  description: "A TDX VM runs in a zone that offers C3 with Intel TDX.",
  source: "https://cloud.google.com/confidential-computing/confidential-vm/docs/supported-configurations#machine-type-cpu-zone: the zones listed for Intel TDX (src/config/defaults.ts GCP_TDX_ZONES)",
  check(s, ctx, report) {
    if (at(s.props, "confidentialInstanceConfig", "confidentialInstanceType") !== "TDX") return;
    const zone = vmZone(s, ctx);
    if (typeof zone !== "string") return;
    const known = Object.values(GCP_TDX_ZONES).flat();
    if (!known.includes(zone)) report("zone", `a zone with C3 TDX capacity (${known.join(", ")})`, zone);
  },
};

export const confidentialNic: DeployRule = {
  id: "gcp.confidential-gvnic",
  types: [VM],
  description: "Confidential VM images use the gVNIC network interface (and NVMe disks).",
  source: "https://cloud.google.com/confidential-computing/confidential-vm/docs/create-custom-confidential-vm-images: gVNIC driver 1.01 or later; the NVMe interface must be available at boot",
  check(s, _ctx, report) {
    if (at(s.props, "confidentialInstanceConfig", "confidentialInstanceType") === undefined) return;
    const nics = s.props.networkInterfaces;
    if (!Array.isArray(nics)) return;
    nics.forEach((n, i) => {
      const t = at(n, "nicType");
      if (!isUnknown(t) && t !== "GVNIC") report(`networkInterfaces[${i}].nicType`, '"GVNIC" (a confidential VM)', t);
    });
  },
};

const BUCKET_NAME = /^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/;

export const bucketName: DeployRule = {
  id: "gcp.bucket-name",
  types: [BUCKET],
  description: "Bucket names: 3-63 of [a-z0-9_.-], starting and ending with a letter or digit, not an IP address, no goog prefix, no google.",
  source: "https://cloud.google.com/storage/docs/naming-buckets",
  check(s, _ctx, report) {
    const n = s.props.name;
    if (typeof n !== "string") return;
    if (!BUCKET_NAME.test(n) || /^\d+\.\d+\.\d+\.\d+$/.test(n) || n.startsWith("goog") || /g[o0]{2}gle/.test(n)) report("name", "3-63 characters of [a-z0-9_.-], starting and ending with a letter or digit, no goog prefix, no google", n);
  },
};

export const bucketRetentionVersioning: DeployRule = {
  id: "gcp.bucket-retention-versioning",
  types: [BUCKET],
  description: "A bucket with a retention policy cannot also have Object Versioning enabled.",
  source: "https://cloud.google.com/storage/docs/bucket-lock#overview (retention policies and Object Versioning are mutually exclusive); SonarSource RSPEC-6412",
  check(s, _ctx, report) {
    if (s.props.retentionPolicy !== undefined && at(s.props, "versioning", "enabled") === true) report("versioning.enabled", "false or unset (the bucket has a retention policy)", true);
  },
};

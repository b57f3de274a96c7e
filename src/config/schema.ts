/**
 * The instance config: one structured stack-config key, `zipnet-infra:instance`.
 *
 * Field names are a contract (other tools read them): add fields, never rename.
 * The schema checks shape and per-field grammar; `instanceRules` (rules.ts) checks what
 * depends on several fields at once (posture, clouds, uniqueness).
 */
import { z } from "zod";
import { isValidCidr } from "../../policies/contract/cidr";

export const CONFIG_KEY = "zipnet-infra:instance";

import { INSTANCE_NAME, INSTANCE_NAME_MAX, MRTD_HEX } from "../../policies/contract/patterns";
import { PLATFORMS, PLATFORM_REGISTERS } from "../../policies/contract/measurements";

export { INSTANCE_NAME, MRTD_HEX };
/** Node ids become parts of cloud resource names (GCP service accounts allow 30 chars in all). */
export const NODE_ID = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const CLOUDS = ["gcp", "azure", "aws"] as const;
export type Cloud = (typeof CLOUDS)[number];
export const POSTURES = ["production", "devtest"] as const;
export type Posture = (typeof POSTURES)[number];

/** One register of a reference set: its value (hex, any case; stored lowercase) and whether the validator enforces it. */
const registerValue = z.strictObject({
  value: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.string().regex(/^(?:[0-9a-f]{64}|[0-9a-f]{96})$/, "expected 64 or 96 hex characters (a 32-byte PCR or a 48-byte MR_TD/RTMR)")),
  enforce: z.boolean("expected true (the validator requires it) or false (published, warned on)"),
});

/** A reference set (policies/contract/measurements.ts): its registers must be the platform's, of its sizes. */
const referenceSet = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "expected a name of [a-z0-9._-], like server-v1.4.0"),
    platform: z.enum(PLATFORMS, `expected one of ${PLATFORMS.join(", ")}`),
    machineTypes: z.array(z.string().min(1)).default([]),
    registers: z.record(z.string(), registerValue),
  })
  .superRefine((set, ctx) => {
    const allowed = PLATFORM_REGISTERS[set.platform];
    for (const [name, reg] of Object.entries(set.registers)) {
      const size = allowed[name];
      // `input` is what the message shows as found: the register's name or value, not the whole set.
      if (size === undefined) ctx.addIssue({ code: "custom", path: ["registers", name], input: name, message: `expected a register of ${set.platform} (${Object.keys(allowed).slice(0, 6).join(", ")}...)` });
      else if (reg.value.length !== size * 2) ctx.addIssue({ code: "custom", path: ["registers", name, "value"], input: reg.value, message: `expected ${size * 2} hex characters (${size} bytes) for ${name} on ${set.platform}` });
    }
    if (!set.registers.mrtd) ctx.addIssue({ code: "custom", path: ["registers", "mrtd"], input: undefined, message: "expected the set's MR_TD" });
  });

/**
 * An unquoted date in a stack file reaches the program as Go prints a time (`2026-10-01 00:00:00
 * +0000 UTC`, see src/config/stackFile.ts): the day is what the operator wrote.
 */
const GO_MIDNIGHT_UTC = /^(\d{4}-\d{2}-\d{2}) 00:00:00 \+0000 UTC$/;

const isoDate = z
  .union([z.string(), z.date()])
  .transform((d) => (d instanceof Date ? d.toISOString().slice(0, 10) : d.replace(GO_MIDNIGHT_UTC, "$1")))
  .pipe(
    z
      .string()
      .regex(ISO_DATE, "expected a date YYYY-MM-DD")
      .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "expected a real calendar date YYYY-MM-DD"),
  );

const cidr = z.string().refine(isValidCidr, {
  message: "expected a CIDR with zero host bits, e.g. 10.20.0.0/16 or 2001:db8::/48",
});

const nodeSchema = z.strictObject({
  /** Node id, unique in the instance; names the node's resources and its Vault scope. */
  id: z.string().regex(NODE_ID, "expected 2-20 chars of [a-z0-9-], starting with a letter"),
  /** The cloud that hosts the node. */
  cloud: z.enum(CLOUDS, { message: `expected one of ${CLOUDS.join(", ")}` }),
  /** GCP project id, Azure subscription id or AWS account id: the node's own account. */
  account: z.string().min(1, "expected the node's cloud account"),
  /** The node's region (GCP region, Azure location, AWS region). */
  region: z.string().min(1, "expected a region"),
  /** Optional zone (GCP `us-central1-a`, AWS `us-east-2a`, Azure `1`). */
  zone: z.string().min(1).optional(),
  /** Machine size; defaults per cloud and role (see defaults.ts). */
  size: z.string().min(1).optional(),
  /** Who is paged for this node: a rotation name, address or URL. */
  oncall: z.string().trim().min(3, "expected the node's on-call rotation (name, address or URL)"),
  /** Legal entity / organisation operating the node (fault-domain advice, ticket revocation). */
  operator: z.string().min(1).optional(),
  /** Boot inside a confidential VM (TDX on GCP/Azure, SEV-SNP on AWS where possible). devtest may say false. */
  confidential: z.boolean().default(true),
  /** AWS only: role the provider assumes in the node's account. */
  assumeRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "expected an IAM role ARN")
    .optional(),
});

const attestation = z.strictObject({
  /** What is attested, in one sentence. */
  statement: z.string().min(3, "expected the attested statement"),
  /** Who attests it. */
  by: z.string().min(1, "expected who attests it"),
  /** When it was last true / checked. */
  date: isoDate,
  /** Where the evidence lives (runbook, calendar, release notes). */
  link: z.string().optional(),
});

export const instanceSchema = z.strictObject({
  /** ZIPNET_INSTANCE: lowercase dot-separated labels, e.g. `acme.mainnet`. */
  name: z
    .string()
    .max(INSTANCE_NAME_MAX, `expected at most ${INSTANCE_NAME_MAX} characters (it becomes a GCP label value)`)
    .regex(INSTANCE_NAME, "expected lowercase dot-separated labels with at least one dot, e.g. acme.mainnet"),
  /** `production` (TDX-gated) or `devtest` (TDX may be disabled). */
  posture: z.enum(POSTURES, { message: "expected production or devtest" }),
  /** ZIPNET_UNIVERSE; omit for the shared universe. */
  universe: z.string().min(1).optional(),
  /** ZIPNET_MIN_PARTICIPANTS for committee servers. */
  minParticipants: z.int("expected an integer").min(1, "expected at least 1"),
  /** Reference values (docs/measurements.md): what the committee servers and the admitted clients measure, per platform. */
  tdx: z
    .strictObject({
      /** The publication's epoch: raise it with every change of a reference set. */
      epoch: z.int("expected an integer").min(0, "expected a non-negative integer").default(0),
      /** Reference sets the committee servers boot with (one per platform and machine types; several for rolling upgrades). */
      committee: z.array(referenceSet).default([]),
      /** Reference sets of the published client image(s) the committee admits (require_mrtd, require_rtmrN). */
      clients: z.array(referenceSet).default([]),
    })
    .default({ epoch: 0, committee: [], clients: [] }),
  images: z
    .strictObject({
      /** GCP image self link or `projects/P/global/images/NAME` (TDX_CAPABLE, UEFI_COMPATIBLE, GVNIC). */
      gcp: z
        .string()
        .regex(/^(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][a-z0-9-]+\/global\/images\/(family\/)?[a-z][a-z0-9-]*$/, "expected projects/PROJECT/global/images/NAME")
        .optional(),
      /** Azure compute gallery image version id (specialized, ConfidentialVMSupported). */
      azure: z
        .string()
        .regex(/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/galleries\/[^/]+\/images\/[^/]+\/versions\/[^/]+$/i, "expected a gallery image version id /subscriptions/.../galleries/G/images/I/versions/V")
        // Gallery image versions are Major.Minor.Patch, digits only (Azure Compute Gallery naming).
        .regex(/\/versions\/\d{1,10}\.\d{1,10}\.\d{1,10}$/, "expected a gallery image version named Major.Minor.Patch, digits only (e.g. versions/1.5.0; no -rc suffix)")
        .optional(),
      /** AWS AMI id (UEFI boot). */
      aws: z.string().regex(/^ami-[0-9a-f]{8,17}$/, "expected an AMI id like ami-0123456789abcdef0").optional(),
    })
    .default({}),
  network: z.strictObject({
    /** The pinned iroh UDP port (iroh binds an ephemeral port unless pinned). */
    irohPort: z.int("expected an integer port").min(1024, "expected a port in 1024-65535").max(65535, "expected a port in 1024-65535"),
    /** TCP port of ZIPNET_METRICS (9100 collides with node-exporter). */
    metricsPort: z.int("expected an integer port").min(1024, "expected a port in 1024-65535").max(65535, "expected a port in 1024-65535"),
    /** CIDRs allowed to scrape metrics; never the whole internet. */
    metricsSources: z.array(cidr).min(1, "expected at least one scraper CIDR"),
    /** NTP/NTS servers for the boot contract (besides the cloud's own time service). */
    timeServers: z.array(z.string().regex(/^[a-z0-9.-]+$/i, "expected a host name")).default(["time.cloudflare.com"]),
  }),
  vault: z.strictObject({
    /** Vault (or OpenBao) API address, https. */
    address: z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, "expected a URL like https://vault.example.com:8200"),
    /** Vault Enterprise namespace owned by this instance (optional). */
    namespace: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "expected a namespace path").optional(),
    /** KV v2 mount path owned by this instance; default `zipnet/<instance name>`. */
    mount: z.string().regex(/^[a-z0-9][a-z0-9_.-]*(\/[a-z0-9][a-z0-9_.-]*)*$/, "expected a mount path like zipnet/acme.mainnet").optional(),
    /**
     * SHA-256 of the DER of the CA certificate Vault's TLS chains to (lowercase hex). Production
     * committee servers put it in their attested token, and their roles bind it: a login through
     * a host-substituted Vault or CA is refused (docs/attestation.md).
     */
    caSha256: z.string().regex(/^[0-9a-f]{64}$/, "expected the SHA-256 of Vault's CA certificate, 64 lowercase hex characters").optional(),
    /** Mount paths of the cloud auth backends in Vault. */
    authMounts: z
      .strictObject({ gcp: z.string().default("gcp"), azure: z.string().default("azure"), aws: z.string().default("aws") })
      .default({ gcp: "gcp", azure: "azure", aws: "aws" }),
    /** TTL of tokens issued to nodes, seconds (short: nodes read secrets once at boot). */
    tokenTtlSeconds: z.int().min(60, "expected at least 60").max(3600, "expected at most 3600 (short-lived tokens)").default(300),
    /** `managed`: this stack creates the instance's audit device; `existing`: the Vault already has one. */
    auditDevice: z.enum(["managed", "existing"], { message: "expected managed or existing" }).default("managed"),
    /** For `managed`: the audit device's file path on the Vault server. */
    auditFilePath: z.string().regex(/^\//, "expected an absolute path").optional(),
    /** For `existing`: attestation naming the audit device that records this instance's reads. */
    existingAudit: z
      .strictObject({ device: z.string().min(1, "expected the audit device path, e.g. file/"), by: z.string().min(1), date: isoDate })
      .optional(),
  }),
  /** The Broadcasts archive (required in production: checklist audit.broadcast-archive). */
  archive: z
    .strictObject({
      /** Cloud of the archive bucket. */
      cloud: z.enum(["aws", "gcp"], { message: "expected aws or gcp (S3 Object Lock or a GCS retention policy)" }),
      /** AWS account id or GCP project holding the bucket. */
      account: z.string().min(1, "expected the archive's cloud account"),
      /** Region of the bucket. */
      region: z.string().min(1, "expected a region"),
      /** Days every archived object is retained (S3 Object Lock COMPLIANCE / GCS retention policy). */
      retentionDays: z.int("expected an integer").min(1, "expected at least 1 day").max(36500, "expected at most 36500 days").default(365),
      /** Cron schedule (UTC, five fields) of the archiver job. */
      schedule: z
        .string()
        .regex(/^(\S+\s+){4}\S+$/, "expected a five-field cron schedule such as */15 * * * *")
        .default("*/15 * * * *"),
      /** Principal that runs the job (AWS role ARN / GCP service account email); default: the aggregator's VM identity. */
      runner: z.string().min(1).optional(),
    })
    .optional(),
  /** Verification key of the signed PeerId registry (`stacks/<instance>.registry.json`). */
  registry: z
    .strictObject({
      /** Ed25519 public key: SPKI PEM or base64 of the 32 raw bytes. */
      publicKey: z.string().min(32, "expected an Ed25519 public key (PEM or base64)"),
    })
    .optional(),
  /** The publication publishers verify (stacks/<name>.publication.json + .sig): the key its signature verifies with. */
  publication: z
    .strictObject({
      /** Ed25519 public key: SPKI PEM or base64 of the 32 raw bytes. */
      publicKey: z.string().min(32, "expected an Ed25519 public key (PEM or base64)"),
    })
    .optional(),
  /**
   * A federated instance (docs/federation.md): this stack is one operator's part of it, as the
   * signed manifest `<stacks dir>/<name>.manifest.json` says. The stack is named `<name>_<operator>`.
   */
  federation: z
    .strictObject({
      /** This stack's operator: its id in the manifest. */
      operator: z.string().regex(NODE_ID, "expected the operator's id in the manifest"),
      /** SHA-256 of the manifest's epoch 1, pinned when the operator joined. */
      genesis: z.string().regex(/^[0-9a-f]{64}$/, "expected the SHA-256 (64 lowercase hex) of the manifest's epoch 1"),
      /** The newest manifest epoch this operator has accepted: an older manifest is a rollback. */
      acceptedEpoch: z.int("expected an integer").min(1, "expected an epoch from 1"),
    })
    .optional(),
  /** Committee servers (in a federated instance: this operator's only). */
  committee: z.array(nodeSchema).min(1, "expected at least one committee server"),
  /** The aggregator (a federated stack has it only when the manifest gives it to its operator). */
  aggregator: nodeSchema.optional(),
  rotation: z
    .strictObject({
      /** Bump to rotate ZIPNET_COMMITTEE_SECRET (`pulumi up` writes a new KV version). */
      committeeEpoch: z.int().min(0, "expected a non-negative integer").default(0),
      /** Bump one node's epoch to rotate its ZIPNET_SECRET. */
      nodeEpochs: z.record(z.string(), z.int().min(0, "expected a non-negative integer")).default({}),
      /** Date of the last rotation rehearsal. */
      lastRehearsal: isoDate.optional(),
    })
    .default({ committeeEpoch: 0, nodeEpochs: {} }),
  /** Alerting parameters: must match the servers' ZIPNET_ROUND_PERIOD / ZIPNET_ROUND_DEADLINE. */
  monitoring: z
    .strictObject({
      /** ZIPNET_ROUND_PERIOD, seconds. */
      roundPeriodSeconds: z.number().positive("expected a positive number of seconds").default(10),
      /** ZIPNET_ROUND_DEADLINE, seconds. */
      roundDeadlineSeconds: z.number().positive("expected a positive number of seconds").default(5),
      /** Alert when a TDX ticket expires within this many hours. */
      ticketExpiryWarningHours: z.number().positive("expected a positive number of hours").default(72),
    })
    .default({ roundPeriodSeconds: 10, roundDeadlineSeconds: 5, ticketExpiryWarningHours: 72 }),
  /** Attested checklist items, keyed by checklist id. */
  attestations: z.record(z.string(), attestation).default({}),
  /** Acknowledged known risks, by checklist id. */
  acknowledgedRisks: z.array(z.string()).default([]),
});

export type InstanceConfig = z.output<typeof instanceSchema>;
export type InstanceConfigInput = z.input<typeof instanceSchema>;
export type NodeConfig = z.output<typeof nodeSchema>;
export type NodeRole = "committee" | "aggregator";
/** A node with its role in the instance. */
export type InstanceNode = NodeConfig & { role: NodeRole };

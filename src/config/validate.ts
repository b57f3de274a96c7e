/**
 * Validation of the instance config: the schema (shape, per-field grammar) and then the
 * rules that depend on several fields (posture, clouds, uniqueness). Pure functions: the
 * program calls them before it registers any resource, and tests call them directly.
 */
import { CHECKLIST } from "../../policies/contract/checklist";
import { IMAGE_REGISTERS, committeePlatform, setsFor, tdxGatedRefusal } from "../../policies/contract/measurements";
import { isPublicSource } from "../../policies/contract/cidr";
import {
  ACCOUNT_FORMAT,
  ANY_SIZE,
  AWS_SEV_SNP_FAMILIES,
  CONFIDENTIAL_SIZE,
  GCP_TDX_ZONES,
  REGION_FORMAT,
  defaultSize,
  defaultZone,
} from "./defaults";
import { CONFIG_KEY, NODE_ID, instanceSchema, type InstanceConfig, type InstanceNode, type NodeConfig, type NodeRole } from "./schema";
import { isValidInstanceName } from "../../policies/contract/patterns";

/** Production floor of ZIPNET_MIN_PARTICIPANTS: with fewer, a client is identifiable by elimination. */
export const PRODUCTION_MIN_PARTICIPANTS = 3;

/** One config problem: the key path, what was expected and what was found. */
export interface ConfigIssue {
  path: string;
  expected: string;
  found: unknown;
}

export type ValidationResult = { ok: true; config: InstanceConfig } | { ok: false; issues: ConfigIssue[] };

/** A user's config mistake: printed as a list of issues, never as a stack trace. */
export class ConfigError extends Error {
  constructor(public readonly issues: ConfigIssue[]) {
    super(formatIssues(issues));
    this.name = "ConfigError";
  }
}

/** Marks a `found` text as already formatted (not JSON-quoted). */
export const RAW = "\u0000";

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string" && value.startsWith(RAW)) return value.slice(1);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: expected ${issue.expected}, found ${describe(issue.found)}`;
}

export function formatIssues(issues: ConfigIssue[]): string {
  // Problems with the file itself (missing, not YAML, no config: section) are not the instance's.
  const what = issues.every((i) => i.path.startsWith(CONFIG_KEY)) ? CONFIG_KEY : "stack config";
  return [`invalid ${what} (${issues.length} problem${issues.length === 1 ? "" : "s"}):`, ...issues.map((i) => `  - ${formatIssue(i)}`)].join("\n");
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    CONFIG_KEY,
  );
}

/** All nodes of the instance with their roles, committee first. */
export function instanceNodes(config: Pick<InstanceConfig, "committee" | "aggregator">): InstanceNode[] {
  return [
    ...config.committee.map((n) => ({ ...n, role: "committee" as const })),
    ...(config.aggregator ? [{ ...config.aggregator, role: "aggregator" as const }] : []),
  ];
}

/** `zone` is `prefix` and one letter. Plain string work: config text never becomes a RegExp. */
function zoneOf(zone: string, prefix: string): boolean {
  return zone.length === prefix.length + 1 && zone.startsWith(prefix) && /^[a-z]$/.test(zone.slice(prefix.length));
}

function nodeRules(node: NodeConfig, path: string, isCommittee: boolean, issues: ConfigIssue[]): void {
  const add = (key: string, expected: string, found: unknown) => issues.push({ path: `${path}.${key}`, expected, found });
  const account = ACCOUNT_FORMAT[node.cloud];
  if (!account.pattern.test(node.account)) add("account", account.expected, node.account);
  const region = REGION_FORMAT[node.cloud];
  if (!region.pattern.test(node.region)) add("region", region.expected, node.region);
  if (node.zone !== undefined) {
    const ok =
      node.cloud === "gcp"
        ? zoneOf(node.zone, `${node.region}-`)
        : node.cloud === "aws"
          ? zoneOf(node.zone, node.region)
          : /^[1-3]$/.test(node.zone);
    const expected =
      node.cloud === "gcp" ? `a zone of ${node.region} such as ${node.region}-a` : node.cloud === "aws" ? `an availability zone of ${node.region} such as ${node.region}a` : "an Azure zone 1, 2 or 3";
    if (!ok) add("zone", expected, node.zone);
  }
  if (node.cloud === "gcp" && node.confidential && node.zone !== undefined && GCP_TDX_ZONES[node.region] && !GCP_TDX_ZONES[node.region].includes(node.zone)) {
    add("zone", `a zone of ${node.region} with C3 TDX capacity (${GCP_TDX_ZONES[node.region].join(", ")})`, node.zone);
  }
  if (node.cloud === "gcp" && node.confidential && !defaultZone(node) && region.pattern.test(node.region)) {
    add("zone", `a zone with C3 TDX capacity (no default for ${node.region}; known: ${Object.keys(GCP_TDX_ZONES).join(", ")})`, node.zone);
  }
  if (node.size !== undefined) {
    const size = node.confidential ? CONFIDENTIAL_SIZE[node.cloud] : ANY_SIZE[node.cloud];
    if (!size.pattern.test(node.size)) add("size", size.expected, node.size);
  }
  if (node.assumeRoleArn !== undefined && node.cloud !== "aws") add("assumeRoleArn", "no assumeRoleArn (AWS nodes only)", node.assumeRoleArn);
  if (node.assumeRoleArn !== undefined && node.cloud === "aws" && !node.assumeRoleArn.includes(`::${node.account}:`)) {
    add("assumeRoleArn", `a role in the node's own account ${node.account}`, node.assumeRoleArn);
  }
  if (isCommittee && node.cloud === "aws" && node.confidential) {
    const size = node.size ?? defaultSize("aws", true, "committee");
    if (!AWS_SEV_SNP_FAMILIES.includes(size.split(".")[0])) {
      add("size", `an SEV-SNP size family (${AWS_SEV_SNP_FAMILIES.join(", ")}) or confidential: false`, node.size);
    }
  }
}

/** The machine type (size) a node runs as: its own, or the cloud's default for its role. */
export function machineTypeOf(node: NodeConfig, role: NodeRole): string {
  return node.size ?? defaultSize(node.cloud, node.confidential, role);
}

/** Rules across fields; run on a config that passed the schema. */
export function instanceRules(config: InstanceConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (p: string) => `${CONFIG_KEY}.${p}`;
  const production = config.posture === "production";
  const nodes = instanceNodes(config);
  // A set's name is how the publication and the report refer to it.
  for (const list of ["committee", "clients"] as const) {
    const seen = new Map<string, number>();
    config.tdx[list].forEach((set, j) => {
      if (seen.has(set.name)) issues.push({ path: at(`tdx.${list}[${j}].name`), expected: `a set name unique in tdx.${list} (tdx.${list}[${seen.get(set.name)}] has it)`, found: set.name });
      else seen.set(set.name, j);
      set.machineTypes.forEach((type, k) => {
        const where = at(`tdx.${list}[${j}].machineTypes[${k}]`);
        if (set.machineTypes.indexOf(type) !== k) issues.push({ path: where, expected: "each machine type once", found: type });
        else if (set.platform === "gcp-tdx" && !CONFIDENTIAL_SIZE.gcp.pattern.test(type)) issues.push({ path: where, expected: CONFIDENTIAL_SIZE.gcp.expected, found: type });
        else if (set.platform === "azure-tdx" && !CONFIDENTIAL_SIZE.azure.pattern.test(type)) issues.push({ path: where, expected: CONFIDENTIAL_SIZE.azure.expected, found: type });
      });
    });
  }

  // Node ids name Vault scopes and resources: one id, one node.
  const seen = new Map<string, string>();
  config.committee.forEach((n, i) => {
    const p = `committee[${i}].id`;
    if (seen.has(n.id)) issues.push({ path: at(p), expected: `a node id unique in the instance (${seen.get(n.id)} has it)`, found: n.id });
    else seen.set(n.id, p);
  });
  if (config.aggregator && seen.has(config.aggregator.id)) {
    issues.push({ path: at("aggregator.id"), expected: `a node id unique in the instance (${seen.get(config.aggregator.id)} has it)`, found: config.aggregator.id });
  }
  // One aggregator per instance: a federated stack holds it only when its operator runs it.
  if (!config.aggregator && !config.federation) issues.push({ path: at("aggregator"), expected: "the instance's aggregator node", found: undefined });

  config.committee.forEach((n, i) => nodeRules(n, at(`committee[${i}]`), true, issues));
  if (config.aggregator) nodeRules(config.aggregator, at("aggregator"), false, issues);

  // Every cloud in use needs its server image.
  for (const cloud of new Set(nodes.map((n) => n.cloud))) {
    if (!config.images[cloud]) issues.push({ path: at(`images.${cloud}`), expected: `the ${cloud} server image (a node runs on ${cloud})`, found: undefined });
  }

  config.network.metricsSources.forEach((source, i) => {
    if (isPublicSource(source)) {
      issues.push({ path: at(`network.metricsSources[${i}]`), expected: "a private or narrow (/24, /48 or longer) scraper CIDR: metrics are never public", found: source });
    }
  });

  for (const key of Object.keys(config.rotation.nodeEpochs)) {
    if (!seen.has(key) && key !== config.aggregator?.id) {
      issues.push({ path: at(`rotation.nodeEpochs.${key}`), expected: `a node id of this instance (${nodes.map((n) => n.id).join(", ")})`, found: key });
    }
  }

  const attestable = CHECKLIST.filter((c) => c.mechanism === "attest" || c.how.includes("attest")).map((c) => c.id);
  for (const key of Object.keys(config.attestations)) {
    if (!attestable.includes(key)) issues.push({ path: at(`attestations.${key}`), expected: `an attestable checklist id (${attestable.join(", ")})`, found: key });
  }
  const risks = CHECKLIST.filter((c) => c.mechanism === "acknowledge").map((c) => c.id);
  config.acknowledgedRisks.forEach((id, i) => {
    if (!risks.includes(id)) issues.push({ path: at(`acknowledgedRisks[${i}]`), expected: `an acknowledgeable checklist id (${risks.join(", ")})`, found: id });
  });

  if (config.vault.namespace && config.vault.auditDevice === "managed") {
    // sys/audit is a root-namespace path: a provider bound to a namespace cannot create it.
    issues.push({ path: at("vault.auditDevice"), expected: "existing with vault.existingAudit (audit devices live in the root namespace; a namespaced instance cannot create one)", found: "managed" });
  }
  if (config.vault.auditDevice === "existing" && !config.vault.existingAudit) {
    issues.push({ path: at("vault.existingAudit"), expected: "an attestation { device, by, date } naming the existing audit device", found: undefined });
  }

  if (config.archive) {
    const { archive } = config;
    if (!ACCOUNT_FORMAT[archive.cloud].pattern.test(archive.account)) issues.push({ path: at("archive.account"), expected: ACCOUNT_FORMAT[archive.cloud].expected, found: archive.account });
    if (!REGION_FORMAT[archive.cloud].pattern.test(archive.region)) issues.push({ path: at("archive.region"), expected: REGION_FORMAT[archive.cloud].expected, found: archive.region });
    const runnerFormat = archive.cloud === "aws" ? /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/ : /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]+\.iam\.gserviceaccount\.com$/;
    if (archive.runner !== undefined && !runnerFormat.test(archive.runner)) {
      issues.push({ path: at("archive.runner"), expected: archive.cloud === "aws" ? "an IAM role ARN" : "a GCP service account email", found: archive.runner });
    }
    if (!config.aggregator) {
      issues.push({ path: at("archive"), expected: "no archive in a stack without the aggregator (the aggregator's operator runs the archive)", found: `${RAW}an archive` });
    } else if (archive.runner === undefined && config.aggregator.cloud !== archive.cloud) {
      issues.push({ path: at("archive.runner"), expected: `the ${archive.cloud} principal that runs the archiver job (the aggregator runs on ${config.aggregator.cloud})`, found: undefined });
    }
  }

  if (production) {
    if (!config.archive && config.aggregator) {
      issues.push({ path: at("archive"), expected: "the Broadcasts archive { cloud, account, region } (production; checklist audit.broadcast-archive)", found: undefined });
    }
    // A federated instance's PeerIds and legal entities are in the manifest every operator signs.
    if (!config.registry && !config.federation) {
      issues.push({ path: at("registry.publicKey"), expected: "the PeerId registry's Ed25519 public key (production; checklist audit.peer-registry)", found: undefined });
    }
    const n = config.committee.length;
    // A federated stack holds one operator's servers: the manifest's rules judge the whole committee.
    if (!config.federation && (n < 3 || n % 2 === 0)) {
      issues.push({ path: at("committee"), expected: "at least 3 committee servers, an odd number (production)", found: `${n} servers` });
    }
    config.committee.forEach((node, i) => {
      const platform = committeePlatform(node.cloud);
      if (!platform) {
        issues.push({ path: at(`committee[${i}].cloud`), expected: "gcp: AWS has no Intel TDX guests (production committee)", found: node.cloud });
      } else if (tdxGatedRefusal(platform)) {
        issues.push({ path: at(`committee[${i}].cloud`), expected: `gcp for committee server ${node.id}: ${tdxGatedRefusal(platform)}`, found: node.cloud });
      } else if (node.confidential) {
        // The node's platform and machine type must have a reference set: what the publication pins for it.
        const machineType = machineTypeOf(node, "committee");
        if (!setsFor(config.tdx.committee, platform, machineType).length) {
          issues.push({ path: at(`committee[${i}]`), expected: `a tdx.committee reference set for ${platform} and machine type ${machineType} (node ${node.id})`, found: `${RAW}none (sets: ${config.tdx.committee.map((s) => `${s.name} ${s.platform} [${s.machineTypes.join(", ") || "any"}]`).join("; ") || "none"})` });
        }
      }
      if (!node.confidential) {
        issues.push({ path: at(`committee[${i}].confidential`), expected: "true: production committee servers are TDX guests", found: node.confidential });
      }
    });
    if (config.tdx.clients.length === 0) issues.push({ path: at("tdx.clients"), expected: "at least one reference set of the published client image (production)", found: [] });
    // Without the registers that measure the image, a set pins only firmware (docs/measurements.md).
    for (const [list, sets] of [["committee", config.tdx.committee], ["clients", config.tdx.clients]] as const) {
      sets.forEach((set, j) => {
        // RTMR0 differs per GCP machine type: a set for "any" type would pin one type's RTMR0 on all.
        if (set.platform === "gcp-tdx" && set.machineTypes.length === 0) {
          issues.push({ path: at(`tdx.${list}[${j}].machineTypes`), expected: "the C3 machine types the set holds for (gcp-tdx: RTMR0 differs per machine type)", found: [] });
        }
        // A set of a platform that cannot produce mosaik tickets is recorded, never enforced (docs/measurements.md).
        if (tdxGatedRefusal(set.platform)) return;
        for (const reg of ["mrtd", ...IMAGE_REGISTERS[set.platform]]) {
          if (!set.registers[reg]?.enforce) {
            issues.push({ path: at(`tdx.${list}[${j}].registers.${reg}`), expected: `an enforced ${reg} (production: it binds ${reg === "mrtd" ? "the firmware" : "the image"} on ${set.platform})`, found: set.registers[reg] ? set.registers[reg] : undefined });
          }
        }
      });
    }
    if (config.minParticipants < PRODUCTION_MIN_PARTICIPANTS) {
      issues.push({ path: at("minParticipants"), expected: `at least ${PRODUCTION_MIN_PARTICIPANTS} in production`, found: config.minParticipants });
    }
    if (!config.vault.address.startsWith("https://")) issues.push({ path: at("vault.address"), expected: "an https:// address (production)", found: config.vault.address });
    if (!config.vault.caSha256) {
      issues.push({ path: at("vault.caSha256"), expected: "the SHA-256 of Vault's CA certificate (production: committee servers' attested logins bind it)", found: undefined });
    }
    // Any-trust needs diverse fault domains: pairwise distinct accounts and regions.
    for (let i = 0; i < config.committee.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = config.committee[j];
        const b = config.committee[i];
        if (a.account === b.account) {
          issues.push({ path: at(`committee[${i}].account`), expected: `an account distinct from committee[${j}] (${a.id}): one fault domain per server`, found: b.account });
        }
        if (a.region === b.region) {
          issues.push({ path: at(`committee[${i}].region`), expected: `a region distinct from committee[${j}] (${a.id}): one fault domain per server`, found: b.region });
        }
      }
    }
  }
  return issues;
}

/** A federated operator's stack name: `<instance>_<operator>` (instance names and operator ids have no `_`). */
export function federatedStackName(instance: string, operator: string): string {
  return `${instance}_${operator}`;
}

/** Whether `stack` is a stack name: an instance name, or `<instance>_<operator>` (federatedStackName). */
export function isStackName(stack: string): boolean {
  const [instance, operator, ...rest] = stack.split("_");
  return rest.length === 0 && isValidInstanceName(instance) && (operator === undefined || NODE_ID.test(operator));
}

/**
 * One stack per instance, named after it: a stack whose config names another instance would
 * build one instance under another's URNs, state and reports. Checked by the program (`pulumi
 * up`) and by the offline plan before anything runs.
 */
export function stackNameIssues(config: Pick<InstanceConfig, "name" | "federation">, stack: string): ConfigIssue[] {
  if (config.federation) {
    const want = federatedStackName(config.name, config.federation.operator);
    return want === stack ? [] : [{ path: `${CONFIG_KEY}.federation.operator`, expected: `the operator the stack "${stack}" is named after (one stack per operator: Pulumi.${want}.yaml)`, found: config.federation.operator }];
  }
  return config.name === stack ? [] : [{ path: `${CONFIG_KEY}.name`, expected: `the stack's name "${stack}" (one stack per instance, named after it: Pulumi.${config.name}.yaml)`, found: config.name }];
}

/** Validates raw stack config (the value of `zipnet-infra:instance`). */
export function validateInstanceConfig(raw: unknown): ValidationResult {
  if (raw === undefined || raw === null) {
    return { ok: false, issues: [{ path: CONFIG_KEY, expected: "the instance config object (see README: config reference)", found: raw ?? undefined }] };
  }
  const parsed = instanceSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => {
        const found = "input" in issue ? issue.input : undefined;
        const expected =
          issue.code === "unrecognized_keys"
            ? `only known keys (unknown: ${issue.keys.join(", ")})`
            : issue.code === "invalid_type" && found === undefined
              ? `a value (${issue.expected} is required)`
              : issue.code === "invalid_type" && /^Invalid input: expected \S+, received \S+$/.test(issue.message)
                ? // zod's own "expected X, received Y": the found part already says what was received.
                  `${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`
              : issue.code === "too_small" && issue.origin === "string" && issue.message.startsWith("Too small")
                ? `a string of at least ${String(issue.minimum)} character(s)`
                : issue.code === "too_big" && issue.origin === "string" && issue.message.startsWith("Too big")
                  ? `a string of at most ${String(issue.maximum)} character(s)`
                  : issue.message.replace(/^Invalid input: /, "").replace(/^expected /, "");
        return { path: keyPath(issue.path), expected, found: issue.code === "unrecognized_keys" ? issue.keys : found };
      }),
    };
  }
  const issues = instanceRules(parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: parsed.data };
}

/** Validates or throws ConfigError. */
export function parseInstanceConfig(raw: unknown): InstanceConfig {
  const result = validateInstanceConfig(raw);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

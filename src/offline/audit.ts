/**
 * The offline audit: the policy pack judges one or more states (`pulumi stack export` files or
 * `plan --json` files) through the Analyzer protocol, exactly as `pulumi preview --policy-pack`
 * would. The pack does all the judging; the audit supplies what no single stack carries, as the
 * pack's policy config (policies/src/crossInstance.ts): the facts of the other instances audited
 * with a state, and the URNs a state marks `retainOnDelete` (the Analyzer protocol does not carry
 * it). The audit then renders: checklist statuses from the pack's findings and the records.
 * The result maps every diagnostic to its checklist id (policy name up to the first `:`), and
 * gives every one of the 36 checklist items a status and its evidence.
 */
import * as path from "node:path";
import { CHECKLIST, type ChecklistItem } from "../../policies/contract/checklist";
import { INSTANCE_TYPE, SECRET_SIG, SECRET_SIG_KEY as SIG_KEY } from "../../policies/contract/wire";
import { NODE_SECRET_HOLDERS } from "../../policies/contract/types";
import { PROJECT_ROOT } from "../config/stackFile";
import {
  AnalyzerCallError,
  startPolicyPack,
  type AnalyzerInfo,
  type AnalyzerResource,
  type AnalyzeResult,
  type Diagnostic,
  type EffectivePolicyConfig,
  type PolicyPackClient,
  type PolicyPackConfig,
} from "./analyzer";
import { propsOf, providerOf, stackOfUrn, stateFacts, type InstanceFacts } from "./stateFacts";
import { OTHER_INSTANCES_KEY, RETAINED_KEY } from "../../policies/src/core/crossInstance";
import { postureRecordOf } from "../../policies/contract/record";
import type { Plan } from "./plan";
import { KNOWN_FEATURES, toStateFile, type StateFile, type StateResource } from "./stateFile";
import { mapLimit } from "./concurrency";
import { formatDeployChecks, runDeployChecks, type DeployCheckResult } from "../deployChecks";

export type Level = "mandatory" | "advisory";

/** A diagnostic of the pack, mapped to its checklist item. */
export interface AuditViolation {
  policy: string;
  checklist: string;
  level: Level;
  urn: string;
  message: string;
}

/** An audited instance: its facts, and its posture record when the state has one. */
type AuditedInstance = InstanceFacts & { record?: Record<string, unknown> };

/**
 * An item's status, from evidence: `pass` only when a check ran and found it right; `missing` for
 * an attested or acknowledged item without its statement; `unjudged` when a check could not read
 * what it needed (a value unknown during preview, an encrypted secret); `not-applicable` with its
 * reason.
 */
export type ChecklistStatus = "pass" | "fail" | "missing" | "unjudged" | "attested" | "acknowledged" | "not-applicable";

export interface ChecklistEntry {
  id: string;
  status: ChecklistStatus;
  evidence: string[];
}

export interface AuditResult {
  instances: string[];
  resources: number;
  violations: AuditViolation[];
  checklist: ChecklistEntry[];
  /** What the audit could not judge in the inputs (pending operations of an interrupted update). */
  notes: string[];
  /** What the clouds, providers and Vault would refuse, over every state's inputs (src/deployChecks). */
  deployChecks: DeployCheckResult;
  /** Not part of the JSON contract (see auditJson): the pack that judged, and how long it took. */
  pack?: { name: string; version: string; startupMs: number; durationMs: number };
}

export interface AuditInput {
  label: string;
  state: StateFile;
}

export interface AuditOptions {
  /** The policy pack directory (default: the repository's policies/). */
  packDir?: string;
  /** A pack already started (not closed by the audit): lets callers audit many times with one process. */
  client?: PolicyPackClient;
  /** Policy config overrides, as `--policy-pack-config` would give them. */
  config?: PolicyPackConfig;
}

export const DEFAULT_PACK_DIR = path.join(PROJECT_ROOT, "policies");

/** The state file is not something the audit can read. */
export class AuditInputError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the shape of a `pulumi stack export` (version 3 or 4) / `plan --json` document. */
export function asStateFile(doc: unknown, label: string): StateFile {
  if (!isObject(doc)) throw new AuditInputError(`${label}: expected a JSON object (a \`pulumi stack export\` or \`plan --json\` file), found ${Array.isArray(doc) ? "an array" : typeof doc}`);
  const deployment = doc.deployment;
  if (!isObject(deployment) || !Array.isArray(deployment.resources)) {
    throw new AuditInputError(`${label}: expected a \`pulumi stack export\` or \`plan --json\` file with deployment.resources, found ${Object.keys(doc).slice(0, 5).join(", ") || "an empty object"}`);
  }
  if (doc.version !== undefined && doc.version !== 3 && doc.version !== 4) {
    throw new AuditInputError(`${label}: version: expected a version 3 or 4 deployment, found version ${JSON.stringify(doc.version)}`);
  }
  if (doc.features !== undefined) {
    const unknown = Array.isArray(doc.features) ? doc.features.filter((f) => typeof f !== "string" || !KNOWN_FEATURES.includes(f)) : [doc.features];
    if (unknown.length) throw new AuditInputError(`${label}: features: expected features this audit knows (${KNOWN_FEATURES.join(", ")}), found ${JSON.stringify(unknown)}`);
  }
  const pending = deployment.pending_operations;
  if (pending !== undefined && !Array.isArray(pending)) {
    throw new AuditInputError(`${label}: deployment.pending_operations: expected a list, found ${typeof pending}`);
  }
  deployment.resources.forEach((r, i) => {
    if (!isObject(r) || typeof r.urn !== "string" || typeof r.type !== "string") {
      throw new AuditInputError(`${label}: deployment.resources[${i}]: expected a resource with urn and type, found ${JSON.stringify(r)?.slice(0, 80)}`);
    }
  });
  return doc as unknown as StateFile;
}

/** Resources of a state the engine would still know (an export also lists pending deletions). */
function liveResources(state: StateFile): StateResource[] {
  return state.deployment.resources.filter((r) => !(r as { delete?: boolean }).delete);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Properties of a state resource: its inputs (Analyze) or its outputs (AnalyzeStack), as `pulumi policy analyze` sends them. */
function propertiesOf(r: StateResource, which: "inputs" | "outputs"): Record<string, unknown> {
  const own = r[which];
  return isObject(own) ? own : {};
}

/**
 * One state resource as the engine describes it to an analyzer: inputs for Analyze, outputs for
 * AnalyzeStack (pkg/resource/deploy/analyze_snapshot.go); the provider's inputs either way.
 */
export function toAnalyzerResource(r: StateResource, byUrn: Map<string, StateResource>, which: "inputs" | "outputs" = "inputs"): AnalyzerResource {
  const extra = r as StateResource & Record<string, unknown>;
  const provider = providerOf(r.provider, byUrn);
  const timeouts = isObject(extra.customTimeouts) ? extra.customTimeouts : undefined;
  const propertyDependencies: Record<string, string[]> = {};
  if (isObject(extra.propertyDependencies)) {
    for (const [k, v] of Object.entries(extra.propertyDependencies)) propertyDependencies[k] = strings(v);
  }
  return {
    urn: r.urn,
    type: r.type,
    properties: propertiesOf(r, which),
    options: {
      protect: Boolean(r.protect),
      ignoreChanges: strings(extra.ignoreChanges),
      ...(typeof extra.deleteBeforeReplace === "boolean" ? { deleteBeforeReplace: extra.deleteBeforeReplace } : {}),
      additionalSecretOutputs: strings(extra.additionalSecretOutputs),
      aliases: strings(extra.aliases),
      customTimeouts: {
        create: typeof timeouts?.create === "number" ? timeouts.create : 0,
        update: typeof timeouts?.update === "number" ? timeouts.update : 0,
        delete: typeof timeouts?.delete === "number" ? timeouts.delete : 0,
      },
      ...(r.parent ? { parent: r.parent } : {}),
    },
    ...(provider
      ? {
          provider: {
            type: provider.type,
            name: provider.urn.slice(provider.urn.lastIndexOf("::") + 2),
            urn: provider.urn,
            properties: propertiesOf(provider, "inputs"),
          },
        }
      : {}),
    ...(r.parent ? { parent: r.parent } : {}),
    dependencies: strings(r.dependencies),
    propertyDependencies,
  };
}

/** Packages whose secret values are secrets by source: the secret store and the random generator. */
const SECRET_SOURCES = new Set(["vault", "random"]);
/** Shorter strings are not secret values of ours (32-byte secrets are 44 base64 characters). */
const MIN_SECRET_LENGTH = 16;

/**
 * Every string a secret holds (and the strings inside JSON-encoded secret text), walked with an
 * explicit stack: no nesting depth a state can hold makes it recurse.
 */
function secretStrings(root: unknown, out: Set<string>): void {
  const stack: Array<{ value: unknown; inSecret: boolean }> = [{ value: root, inSecret: false }];
  while (stack.length) {
    const { value, inSecret } = stack.pop()!;
    if (typeof value === "string") {
      if (!inSecret || value.length < MIN_SECRET_LENGTH) continue;
      out.add(value);
      const t = value.trim();
      if (t.startsWith("{") || t.startsWith("[") || t.startsWith('"')) {
        try {
          stack.push({ value: JSON.parse(t), inSecret: true });
        } catch {
          /* not JSON */
        }
      }
    } else if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, inSecret });
    } else if (isObject(value)) {
      if (value[SIG_KEY] === SECRET_SIG) {
        stack.push({ value: value.value, inSecret: true }, { value: value.plaintext, inSecret: true });
      } else for (const v of Object.values(value)) stack.push({ value: v, inSecret });
    }
  }
}

/**
 * Replaces secret values in what the audit prints. Only values from secret sources count (the
 * secret store's and the random generator's resources): a provider that marks labels secret
 * must not turn policy names and messages into `[secret]`.
 */
function scrubber(states: AuditInput[]): (text: string) => string {
  const found = new Set<string>();
  for (const { state } of states) {
    for (const r of state.deployment.resources) {
      const pkg = r.type.startsWith("pulumi:providers:") ? "" : r.type.split(":")[0];
      if (SECRET_SOURCES.has(pkg)) secretStrings([r.inputs, r.outputs], found);
    }
  }
  const secrets = [...found].sort((a, b) => b.length - a.length);
  if (!secrets.length) return (text) => text;
  return (text) => secrets.reduce((t, s) => (t.includes(s) ? t.split(s).join("[secret]") : t), text);
}

function checklistOf(policyName: string): string {
  return policyName.split(":")[0];
}

/** A diagnostic's message without the policy description the SDK prepends to string reports. */
function messageOf(d: Diagnostic): string {
  const prefix = `${d.description}\n`;
  const message = d.description && d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message;
  return message.trim() || d.description;
}

function toViolation(d: Diagnostic, fallbackUrn: string): AuditViolation {
  return {
    policy: d.policyName,
    checklist: checklistOf(d.policyName),
    level: d.enforcementLevel === "mandatory" || d.enforcementLevel === "remediate" ? "mandatory" : "advisory",
    urn: d.urn || fallbackUrn,
    message: messageOf(d),
  };
}

/** A policy that threw fails the preview in the CLI; the audit records it as a mandatory violation. */
function errorViolation(err: AnalyzerCallError, fallbackUrn: string): AuditViolation {
  const m = err.details.match(/policy '([^']+)' from policy pack/);
  const policy = m ? m[1] : "policy-pack:error";
  const lines = err.details.split("\n").filter((l) => l.trim() && !/^\s+at /.test(l));
  return {
    policy,
    checklist: checklistOf(policy),
    level: "mandatory",
    urn: err.urn || fallbackUrn,
    message: `${err.method} failed, the policy threw: ${lines.slice(0, 3).join(" | ").slice(0, 500)}`,
  };
}

/**
 * Analyzes one state as `pulumi policy analyze` does: Analyze on every live resource (the stack
 * and providers included) with its inputs, then AnalyzeStack once with every resource's outputs.
 */
async function analyzeState(client: PolicyPackClient, state: StateFile, fallbackUrn: string): Promise<{ violations: AuditViolation[]; analyzed: number }> {
  const resources = liveResources(state);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const perResource = resources.map((r) => toAnalyzerResource(r, byUrn, "inputs"));
  const stackWide = resources.map((r) => toAnalyzerResource(r, byUrn, "outputs"));
  const { stack, project } = stackOfUrn(resources[0]?.urn ?? "");
  try {
    await client.configureStack({ stack, project, dryRun: true });
  } catch (err) {
    // Packs built on an older @pulumi/policy do not implement ConfigureStack (UNIMPLEMENTED): the CLI goes on too.
    if (!(err instanceof AnalyzerCallError && err.code === 12)) throw err;
  }

  const violations: AuditViolation[] = [];
  const results = await mapLimit(perResource, 8, async (r): Promise<AnalyzeResult | AnalyzerCallError> => {
    try {
      return await client.analyze(r);
    } catch (err) {
      if (err instanceof AnalyzerCallError) return err;
      throw err;
    }
  });
  results.forEach((res, i) => {
    if (res instanceof AnalyzerCallError) violations.push(errorViolation(res, perResource[i].urn));
    else for (const d of res.diagnostics) violations.push(toViolation(d, perResource[i].urn));
  });
  try {
    const res = await client.analyzeStack(stackWide);
    for (const d of res.diagnostics) violations.push(toViolation(d, fallbackUrn));
  } catch (err) {
    if (!(err instanceof AnalyzerCallError)) throw err;
    violations.push(errorViolation(err, fallbackUrn));
  }
  return { violations, analyzed: perResource.length };
}

// --- checklist statuses -------------------------------------------------------------------

const CLIENT_TDX_ITEMS = new Set(["client.mrtd-allowlist", "client.reproducible", "client.quote-expiry-monitored", "client.rebuild-cadence"]);

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Why an item cannot apply to an instance, or undefined when it applies. */
function notApplicableReason(id: string, inst: AuditedInstance): string | undefined {
  const tdx = isObject(inst.record?.tdx) ? inst.record.tdx : {};
  if (id === "devtest.host-trusted" && inst.posture === "production") return "production posture: clients run in TDX";
  if (inst.posture === "devtest") {
    if (CLIENT_TDX_ITEMS.has(id) && list(tdx.clientMrtds).length === 0) return "devtest without client TDX (no client MR_TDs)";
    if (id === "identity.mrtd-published" && list(tdx.committeeMrtds).length === 0) return "devtest without committee MR_TDs";
    if (id === "audit.broadcast-archive" && !isObject(inst.record?.archive)) return "devtest without a Broadcasts archive (required in production only)";
    if (id === "audit.peer-registry" && !isObject(inst.record?.registry)) return "devtest without a signed PeerId registry (required in production only)";
  }
  return undefined;
}

function attestationOf(id: string, inst: AuditedInstance): string | undefined {
  const attestations = isObject(inst.record?.attestations) ? inst.record.attestations : {};
  const a = attestations[id];
  if (!isObject(a)) return undefined;
  const link = typeof a.link === "string" && a.link ? ` (${a.link})` : "";
  return `${inst.name}: attested ${JSON.stringify(String(a.statement ?? ""))} by ${String(a.by ?? "?")} on ${String(a.date ?? "?")}${link}`;
}

function acknowledges(id: string, inst: AuditedInstance): boolean {
  return strings(inst.record?.acknowledgedRisks).includes(id);
}

/** What the posture record itself says about an item, beyond attestations (short, per instance). */
function recordEvidence(id: string, inst: AuditedInstance): string | undefined {
  const rec = inst.record;
  if (!rec) return undefined;
  const nodes = list(rec.nodes).filter(isObject);
  const perNode = (field: string) => nodes.map((n) => `${String(n.id)} ${typeof n[field] === "string" && n[field] ? String(n[field]) : "(none)"}`).join("; ");
  switch (id) {
    case "secret.rotation": {
      const rotation = isObject(rec.rotation) ? rec.rotation : {};
      const epoch = rotation.committeeEpoch !== undefined ? `committee epoch ${String(rotation.committeeEpoch)}, ` : "";
      return `${inst.name}: ${epoch}last rotation rehearsal ${typeof rotation.lastRehearsal === "string" && rotation.lastRehearsal ? rotation.lastRehearsal : "(none)"}`;
    }
    case "secret.access-audited": {
      const vault = isObject(rec.vault) ? rec.vault : {};
      const existing = isObject(vault.existingAudit) ? vault.existingAudit : undefined;
      return `${inst.name}: Vault audit device ${String(vault.auditDevice ?? "?")}${existing ? ` (${String(existing.device)}, attested by ${String(existing.by)} on ${String(existing.date)})` : ""}`;
    }
    case "ops.ticket-revocation":
      return nodes.length ? `${inst.name}: node operators (who revoke by stopping their node): ${perNode("operator")}` : undefined;
    case "ops.oncall":
      return nodes.length ? `${inst.name}: on-call: ${perNode("oncall")}` : undefined;
    default:
      return undefined;
  }
}

const MAX_VIOLATION_EVIDENCE = 12;

function checklistEntries(
  instances: AuditedInstance[],
  violations: AuditViolation[],
  info: AnalyzerInfo,
  effective: EffectivePolicyConfig,
  analyzed: number,
  retainChecked: number,
): ChecklistEntry[] {
  return CHECKLIST.map((item: ChecklistItem): ChecklistEntry => {
    const evidence: string[] = [];
    const mine = violations.filter((v) => v.checklist === item.id);
    const mandatory = mine.filter((v) => v.level === "mandatory");
    const policies = info.policies.filter((p) => checklistOf(p.name) === item.id && effective[p.name]?.enforcementLevel !== "disabled");
    evidence.push(
      policies.length
        ? `policies (${info.name}@${info.version}, ${analyzed} resources): ${policies.map((p) => `${p.name} [${p.kind}, ${effective[p.name]?.enforcementLevel ?? p.enforcementLevel}]`).join(", ")}`
        : `no policy for this item in ${info.name}@${info.version}`,
    );
    if (item.id === "identity.instance-unique") evidence.push(`audit: gave the pack the facts of the ${instances.length - 1} other instance(s) audited with it (policy config ${OTHER_INSTANCES_KEY})`);
    if (item.id === "scope.per-instance") {
      const domains = instances.reduce((n, i) => n + i.domains.length, 0);
      const stores = instances.reduce((n, i) => n + i.stores.length, 0);
      evidence.push(`audit: gave the pack ${domains} node fault domain(s) and ${stores} Vault secret store(s) of ${instances.length} instance(s) (policy config ${OTHER_INSTANCES_KEY})`);
    }
    if (item.id === "committee.disk-wipe") evidence.push(`audit: gave the pack the retainOnDelete marks of ${retainChecked} node VM/disk/key resource(s) in the state (policy config ${RETAINED_KEY})`);

    const applicable: AuditedInstance[] = [];
    for (const inst of instances) {
      const reason = notApplicableReason(item.id, inst);
      if (reason) evidence.push(`${inst.name}: not applicable (${reason})`);
      else applicable.push(inst);
    }
    let covered = applicable.length > 0;
    for (const inst of applicable) {
      const attested = attestationOf(item.id, inst);
      if (attested) evidence.push(attested);
      const said = recordEvidence(item.id, inst);
      if (said) evidence.push(said);
      if (item.mechanism === "acknowledge" || acknowledges(item.id, inst)) {
        if (acknowledges(item.id, inst)) evidence.push(`${inst.name}: acknowledged (acknowledgedRisks)`);
        else evidence.push(`${inst.name}: not acknowledged`);
      }
      if (item.mechanism === "attest" && !attested) evidence.push(`${inst.name}: no attestation`);
      if (item.mechanism === "attest" && !attested) covered = false;
      if (item.mechanism === "acknowledge" && !acknowledges(item.id, inst)) covered = false;
    }
    for (const v of mine.slice(0, MAX_VIOLATION_EVIDENCE)) evidence.push(`${v.level}: ${v.policy}: ${v.message}`);
    if (mine.length > MAX_VIOLATION_EVIDENCE) evidence.push(`... and ${mine.length - MAX_VIOLATION_EVIDENCE} more violation(s)`);

    // A check that could not read what it needed said so ("can't run ... during preview").
    const unjudged = mine.some((v) => v.message.startsWith("can't run policy"));
    // A devtest twin's finding is what production would refuse: the item is not met, advisory or not.
    const deviations = mine.filter((v) => v.policy.endsWith(":devtest") && !v.message.startsWith("can't run policy"));
    const attestPart = item.how.includes("attest") || item.mechanism === "attest" || item.mechanism === "acknowledge";
    let status: ChecklistStatus;
    if (!applicable.length) status = "not-applicable";
    else if ((item.mechanism === "attest" || item.mechanism === "acknowledge") && !covered) status = "missing";
    else if (mandatory.length) status = "fail";
    else if (deviations.length) status = attestPart ? "missing" : "fail";
    else if (unjudged) status = "unjudged";
    else if (item.mechanism === "attest") status = "attested";
    else if (item.mechanism === "acknowledge") status = "acknowledged";
    else status = "pass";
    return { id: item.id, status, evidence };
  });
}

const LEVEL_ORDER = { mandatory: 0, advisory: 1 } as const;

function sortViolations(violations: AuditViolation[]): AuditViolation[] {
  const order = new Map(CHECKLIST.map((c, i) => [c.id, i]));
  return violations
    .map((v, i) => ({ v, i }))
    .sort(
      (a, b) =>
        (order.get(a.v.checklist) ?? 999) - (order.get(b.v.checklist) ?? 999) ||
        LEVEL_ORDER[a.v.level] - LEVEL_ORDER[b.v.level] ||
        a.i - b.i,
    )
    .map(({ v }) => v);
}

/**
 * The policy config for one state: the caller's, plus the facts no stack carries, for every
 * policy that takes them (by its config schema): the other instances' facts and the URNs the
 * state marks retainOnDelete.
 */
export function withStateFacts(info: AnalyzerInfo, base: PolicyPackConfig, others: InstanceFacts[], retained: string[]): PolicyPackConfig {
  const out: PolicyPackConfig = { ...base };
  for (const p of info.policies) {
    const schema = p.configSchema?.properties ?? {};
    const extra: Record<string, unknown> = {};
    if (OTHER_INSTANCES_KEY in schema) extra[OTHER_INSTANCES_KEY] = others;
    if (RETAINED_KEY in schema) extra[RETAINED_KEY] = retained;
    if (!Object.keys(extra).length) continue;
    const own = out[p.name];
    out[p.name] = { ...(typeof own === "string" ? { enforcementLevel: own } : (own ?? {})), ...extra };
  }
  return out;
}

/**
 * Audits the given states with the policy pack (spawned once for all of them, unless a client
 * is given) and the cross-instance and state-only checks.
 */
export async function auditStates(inputs: AuditInput[], opts: AuditOptions = {}): Promise<AuditResult> {
  if (!inputs.length) throw new AuditInputError("nothing to audit: no state given");
  const started = Date.now();
  const checked = inputs.map(({ label, state }) => ({ label, state: asStateFile(state, label) }));
  const scrub = scrubber(checked);
  const client = opts.client ?? (await startPolicyPack(opts.packDir ?? DEFAULT_PACK_DIR));
  try {
    const info = await client.getAnalyzerInfo();
    const violations: AuditViolation[] = [];
    const notes: string[] = [];
    const deployChecks: DeployCheckResult = { rules: 0, findings: [] };
    const facts: AuditedInstance[] = [];
    for (const { label, state } of checked) {
      const resources = liveResources(state);
      if (!resources.some((r) => r.type === INSTANCE_TYPE)) {
        throw new AuditInputError(
          `${label}: expected a state holding a zipnet instance (a ${INSTANCE_TYPE} resource, its posture record), found ${resources.length} resource(s) and none: nothing here can be judged`,
        );
      }
      const instance = resources.find((r) => r.type === INSTANCE_TYPE)!;
      const record = postureRecordOf(propsOf(instance));
      facts.push({ ...stateFacts(label, resources), ...(record ? { record } : {}) });
    }
    let analyzed = 0;
    let retainChecked = 0;
    let effective = await client.configure(opts.config ?? {});
    for (const [i, { label, state }] of checked.entries()) {
      const pending = state.deployment.pending_operations ?? [];
      if (pending.length) {
        notes.push(`${label}: ${pending.length} pending operation(s) of an interrupted update (${pending.map((p) => `${p.type} ${p.resource?.urn ?? "?"}`).join(", ")}): not judged; run \`pulumi refresh\` and export again`);
      }
      // Pending deletion: still in the cloud until the update that replaced them finishes.
      const doomed = state.deployment.resources.filter((r) => (r as { delete?: boolean }).delete);
      if (doomed.length) {
        notes.push(`${label}: ${doomed.length} resource(s) pending deletion (delete: true; ${doomed.map((r) => r.urn).join(", ")}): still in the cloud and not judged; finish the update (\`pulumi up\`) and export again`);
      }
      const resources = liveResources(state);
      const ruled = runDeployChecks(resources);
      deployChecks.rules = ruled.rules;
      deployChecks.findings.push(...ruled.findings);
      // What the pack cannot see in one stack: the instances audited before this one (each pair
      // judged once), and what the state marks retainOnDelete.
      const others = facts.slice(0, i).map(({ record: _record, ...f }) => f);
      const retained = resources.filter((r) => r.retainOnDelete).map((r) => r.urn);
      effective = await client.configure(withStateFacts(info, opts.config ?? {}, others, retained));
      const res = await analyzeState(client, state, facts[i].urn);
      analyzed += res.analyzed;
      violations.push(...res.violations);
      retainChecked += resources.filter((r) => NODE_SECRET_HOLDERS.has(r.type)).length;
    }
    const clean = sortViolations(violations).map((v) => ({ ...v, message: scrub(v.message) }));
    return {
      instances: facts.map((f) => f.name),
      resources: analyzed,
      violations: clean,
      notes: notes.map(scrub),
      deployChecks: { rules: deployChecks.rules, findings: deployChecks.findings.map((f) => ({ ...f, message: scrub(f.message) })) },
      checklist: checklistEntries(facts, clean, info, effective, analyzed, retainChecked).map((e) => ({ ...e, evidence: e.evidence.map(scrub) })),
      pack: { name: info.name, version: info.version, startupMs: client.startupMs, durationMs: Date.now() - started },
    };
  } finally {
    if (!opts.client) await client.close();
  }
}

/**
 * The plan's state with the secret values the program produced (not the redacted ones
 * `plan --json` writes), so the pack can compare actual secret values. Never write it out.
 */
export function unredactedPlanState(plan: Plan): StateFile {
  return toStateFile(plan.resources, plan.state.deployment.manifest.version, "keep");
}

/** Audits a plan in memory (secrets unredacted for the pack; nothing unredacted leaves). */
export function auditPlan(plan: Plan, opts: AuditOptions = {}): Promise<AuditResult> {
  return auditStates([{ label: plan.stack, state: unredactedPlanState(plan) }], opts);
}

/** The JSON the CLI writes: exactly the documented fields. */
export function auditJson(result: AuditResult): Pick<AuditResult, "instances" | "resources" | "violations" | "checklist" | "deployChecks"> {
  return { instances: result.instances, resources: result.resources, violations: result.violations, checklist: result.checklist, deployChecks: result.deployChecks };
}

export function mandatoryCount(result: AuditResult): number {
  return result.violations.filter((v) => v.level === "mandatory").length;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

/** The evidence line that best explains an entry's status. */
function noteFor(entry: ChecklistEntry): string {
  const find = (re: RegExp) => entry.evidence.find((e) => re.test(e));
  const byStatus: Record<ChecklistStatus, RegExp> = {
    fail: /^mandatory: /,
    attested: /: attested /,
    acknowledged: /: acknowledged /,
    "not-applicable": /: not applicable /,
    missing: /: (no attestation|not acknowledged)$|^advisory: .*:devtest: /,
    unjudged: /can't run policy/,
    pass: /^(advisory: |audit: )/,
  };
  return find(byStatus[entry.status]) ?? entry.evidence[0] ?? "";
}

/** A readable report: violations grouped by checklist id, then the checklist. */
export function formatAudit(result: AuditResult): string {
  const lines: string[] = [];
  const mandatory = mandatoryCount(result);
  const advisory = result.violations.length - mandatory;
  const pack = result.pack ? `, policy pack ${result.pack.name}@${result.pack.version}` : "";
  lines.push(`audit: ${result.instances.length} instance(s) (${result.instances.join(", ")}), ${result.resources} resources${pack}`);
  lines.push("");
  if (!result.violations.length) lines.push("violations: none");
  else {
    lines.push(`violations: ${mandatory} mandatory, ${advisory} advisory`);
    const groups = new Map<string, AuditViolation[]>();
    for (const v of result.violations) groups.set(v.checklist, [...(groups.get(v.checklist) ?? []), v]);
    for (const [id, vs] of groups) {
      lines.push(`  ${id}`);
      for (const v of vs) {
        lines.push(`    ${v.level === "mandatory" ? "MANDATORY" : "advisory "} ${v.policy}  ${v.urn}`);
        lines.push(indent(v.message, "        "));
      }
    }
  }
  for (const note of result.notes ?? []) lines.push(`\nnot judged: ${note}`);
  if (result.deployChecks) lines.push("", formatDeployChecks(result.deployChecks));
  lines.push("");
  lines.push("checklist:");
  const width = Math.max(...result.checklist.map((c) => c.id.length));
  for (const c of result.checklist) {
    const note = noteFor(c);
    const short = note.length > 110 ? `${note.slice(0, 107)}...` : note;
    lines.push(`  ${c.id.padEnd(width)}  ${c.status.padEnd(14)}  ${short}`);
  }
  const counts = new Map<string, number>();
  for (const c of result.checklist) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  lines.push("");
  lines.push(`  ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}`);
  const refused = result.deployChecks?.findings.length ?? 0;
  const unjudged = result.notes?.length ?? 0;
  lines.push(
    mandatory || refused || unjudged
      ? `\nFAILED: ${[mandatory ? `${mandatory} mandatory violation(s)` : "", refused ? `${refused} deploy-check finding(s)` : "", unjudged ? `${unjudged} part(s) of the state not judged` : ""].filter(Boolean).join(", ")}`
      : "\npassed: no mandatory violations, no deploy-check findings",
  );
  return lines.join("\n");
}

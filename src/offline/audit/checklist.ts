/** Checklist statuses from evidence: the pack's findings, the posture records, the policies that ran. */
import { CHECKLIST, checklistIdOf, type ChecklistItem } from "../../../policies/contract/checklist";
import { notApplicableReason as notApplicableFor } from "../../../policies/contract/applicability";
import { OTHER_INSTANCES_KEY, RETAINED_KEY } from "../../../policies/src/core/crossInstance";
import type { AnalyzerInfo, EffectivePolicyConfig } from "../analyzer";
import { isObject, strings } from "./input";
import { type AuditedInstance, type AuditViolation, type ChecklistEntry, type ChecklistStatus } from "./types";

// --- checklist statuses -------------------------------------------------------------------

/** Why an item cannot apply to an instance (the pack's own rule), or undefined when it applies. */
function notApplicableReason(id: string, inst: AuditedInstance): string | undefined {
  return notApplicableFor(id, inst.record ?? { posture: inst.posture });
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An item's attestation in the posture record, its fields as text; undefined when there is none. */
function attestationFields(id: string, inst: AuditedInstance): { statement: string; by: string; date: string; link: string } | undefined {
  const a = isObject(inst.record?.attestations) ? inst.record.attestations[id] : undefined;
  if (!isObject(a)) return undefined;
  return { statement: String(a.statement ?? ""), by: String(a.by ?? "?"), date: String(a.date ?? "?"), link: typeof a.link === "string" ? a.link : "" };
}

/** The attestation as evidence: `<instance>: attested "…" by … on …`. */
function attestationOf(id: string, inst: AuditedInstance): string | undefined {
  const a = attestationFields(id, inst);
  return a && `${inst.name}: attested ${JSON.stringify(a.statement)} by ${a.by} on ${a.date}${a.link ? ` (${a.link})` : ""}`;
}

function acknowledges(id: string, inst: AuditedInstance): boolean {
  return strings(inst.record?.acknowledgedRisks).includes(id);
}

/** What the posture record itself says about an item, beyond attestations (short; the caller names the instance). */
function recordEvidence(id: string, inst: AuditedInstance): string | undefined {
  const rec = inst.record;
  if (!rec) return undefined;
  const nodes = list(rec.nodes).filter(isObject);
  // Nodes that share a value are named together: "#oncall (c1, c2); #other (c3)".
  const perNode = (field: string) => {
    const byValue = new Map<string, string[]>();
    for (const n of nodes) {
      const value = typeof n[field] === "string" && n[field] ? String(n[field]) : "(none)";
      byValue.set(value, [...(byValue.get(value) ?? []), String(n.id)]);
    }
    return [...byValue].map(([value, ids]) => `${value} (${ids.join(", ")})`).join("; ");
  };
  switch (id) {
    case "secret.rotation": {
      const rotation = isObject(rec.rotation) ? rec.rotation : {};
      const epoch = rotation.committeeEpoch !== undefined ? `committee epoch ${String(rotation.committeeEpoch)}, ` : "";
      return `${epoch}last rotation rehearsal ${typeof rotation.lastRehearsal === "string" && rotation.lastRehearsal ? rotation.lastRehearsal : "(none)"}`;
    }
    case "secret.access-audited": {
      const vault = isObject(rec.vault) ? rec.vault : {};
      const existing = isObject(vault.existingAudit) ? vault.existingAudit : undefined;
      return `Vault audit device ${String(vault.auditDevice ?? "?")}${existing ? ` (${String(existing.device)}, attested by ${String(existing.by)} on ${String(existing.date)})` : ""}`;
    }
    case "ops.ticket-revocation":
      return nodes.length ? `node operators (who revoke by stopping their node): ${perNode("operator")}` : undefined;
    case "ops.oncall":
      return nodes.length ? `on-call: ${perNode("oncall")}` : undefined;
    default:
      return undefined;
  }
}

const MAX_VIOLATION_EVIDENCE = 12;

export function checklistEntries(
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
    const policies = info.policies.filter((p) => checklistIdOf(p.name) === item.id && effective[p.name]?.enforcementLevel !== "disabled");
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
      if (said) evidence.push(`${inst.name}: ${said}`);
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
    // A pack without a check for an enforced item cannot say it holds: never a pass.
    else if (!policies.length && (item.mechanism === "enforce" || item.mechanism === "provision")) status = "unjudged";
    else if (item.mechanism === "attest") status = "attested";
    else if (item.mechanism === "acknowledge") status = "acknowledged";
    else status = "pass";
    const summary = summaryOf(status, {
      item,
      instances,
      applicable,
      mandatory,
      advisory: mine.filter((v) => v.level === "advisory"),
      deviations,
      unjudged: mine.filter((v) => v.message.startsWith("can't run policy")),
      checks: policies.length,
      analyzed,
      retainChecked,
    });
    return { id: item.id, status, summary, evidence };
  });
}

interface SummaryFacts {
  item: ChecklistItem;
  instances: AuditedInstance[];
  applicable: AuditedInstance[];
  mandatory: AuditViolation[];
  advisory: AuditViolation[];
  deviations: AuditViolation[];
  unjudged: AuditViolation[];
  checks: number;
  analyzed: number;
  retainChecked: number;
}

function findings(n: number, kind: string): string {
  return `${n} ${kind} finding${n === 1 ? "" : "s"}`;
}

/** Per instance when there are several (each prefixed with its name), unique lines joined. */
function perInstance(f: SummaryFacts, of: (inst: AuditedInstance) => string | undefined, from = f.applicable): string {
  const lines = from.map((inst) => [inst, of(inst)] as const).filter((x): x is readonly [AuditedInstance, string] => x[1] !== undefined);
  if (f.instances.length === 1) return [...new Set(lines.map(([, l]) => l))].join("; ");
  return lines.map(([inst, l]) => `${inst.name}: ${l}`).join("; ");
}

/** An attestation as one line: `"statement" (by, date[, link])`. */
function statementOf(id: string, inst: AuditedInstance): string | undefined {
  const a = attestationFields(id, inst);
  return a && `"${a.statement}" (${a.by}, ${a.date}${a.link ? `, ${a.link}` : ""})`;
}

/** The one line that says why an item has its status; the evidence list holds the details. */
function summaryOf(status: ChecklistStatus, f: SummaryFacts): string {
  const { item } = f;
  switch (status) {
    case "not-applicable":
      return perInstance(f, (inst) => notApplicableReason(item.id, inst), f.instances);
    case "fail":
      return findings(f.mandatory.length, "mandatory") + (f.advisory.length ? `, ${findings(f.advisory.length, "advisory")}` : "");
    case "missing":
      if (item.mechanism === "attest") return perInstance(f, (inst) => (attestationOf(item.id, inst) ? undefined : "no attestation in the posture record (attestations)"));
      if (item.mechanism === "acknowledge") return perInstance(f, (inst) => (acknowledges(item.id, inst) ? undefined : "not acknowledged in the posture record (acknowledgedRisks)"));
      return `${findings(f.deviations.length, "devtest")} that production would refuse`;
    case "unjudged":
      if (!f.checks) return "no check for this item in the policy pack";
      return `${f.unjudged.length} check${f.unjudged.length === 1 ? "" : "s"} could not read what they need (a value unknown in preview, or encrypted)`;
    case "attested":
      return perInstance(f, (inst) => statementOf(item.id, inst));
    case "acknowledged":
      return "acknowledged in the posture record (acknowledgedRisks)";
    case "pass": {
      const advice = f.advisory.length ? `; ${findings(f.advisory.length, "advisory")}` : "";
      // An item checked by policies may also carry the operator's statement (a review cadence, the alerts): show it.
      const stated = perInstance(f, (inst) => statementOf(item.id, inst));
      const said = perInstance(f, (inst) => recordEvidence(item.id, inst));
      if (item.id === "identity.instance-unique" || item.id === "scope.per-instance") return `checked against ${f.instances.length - 1} other instance(s) given to the audit${advice}`;
      if (item.id === "committee.disk-wipe") return `nothing retained on delete (${f.retainChecked} node VM, disk and key resources)${advice}`;
      if (said || stated) return `${[said, stated].filter(Boolean).join("; ")}${advice}`;
      return `${f.checks} check${f.checks === 1 ? "" : "s"} found nothing wrong in ${f.analyzed} resources${advice}`;
    }
  }
}

const LEVEL_ORDER = { mandatory: 0, advisory: 1 } as const;

export function sortViolations(violations: AuditViolation[]): AuditViolation[] {
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

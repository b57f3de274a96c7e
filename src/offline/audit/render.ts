/** The audit as the CLI prints it and writes it (`--json`). */
import { formatDeployChecks } from "../../deployChecks";
import type { AuditResult, AuditViolation, ChecklistEntry, ChecklistStatus } from "./types";
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

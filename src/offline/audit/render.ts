/** The audit as the CLI prints it and writes it (`--json`). */
import { formatDeployChecks } from "../../deployChecks";
import { PLAIN, type Style } from "./style";
import type { AuditResult, AuditViolation, ChecklistEntry, ChecklistStatus } from "./types";

/** The JSON the CLI writes: exactly the documented fields. */
export function auditJson(result: AuditResult): Pick<AuditResult, "instances" | "resources" | "violations" | "checklist" | "deployChecks"> {
  return { instances: result.instances, resources: result.resources, violations: result.violations, checklist: result.checklist, deployChecks: result.deployChecks };
}

export function mandatoryCount(result: AuditResult): number {
  return result.violations.filter((v) => v.level === "mandatory").length;
}

/** Statuses that need the operator: nothing confirmed them. */
const ATTENTION: ReadonlySet<ChecklistStatus> = new Set(["fail", "missing", "unjudged"]);

export interface FormatOptions {
  /** Every checklist item and full URNs; otherwise the items that need attention and resource names. */
  verbose?: boolean;
  style?: Style;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

/** `name (type)` from a URN: what an operator recognises; the full URN under --verbose. */
export function resourceLabel(urn: string): string {
  const parts = urn.split("::");
  const name = parts[parts.length - 1] ?? urn;
  const type = (parts[parts.length - 2] ?? "").split("$").pop() ?? "";
  return type ? `${name} (${type})` : urn;
}

function statusText(status: ChecklistStatus, style: Style): string {
  const padded = status.padEnd(14);
  if (ATTENTION.has(status)) return style.bad(padded);
  return status === "pass" ? style.good(padded) : padded;
}

function checklistLines(entries: ChecklistEntry[], opts: FormatOptions, style: Style): string[] {
  const counts = new Map<string, number>();
  for (const c of entries) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const shown = opts.verbose ? entries : entries.filter((c) => ATTENTION.has(c.status));
  const width = Math.max(0, ...shown.map((c) => c.id.length));
  const hint = opts.verbose ? "" : " (--verbose lists every item)";
  return [`checklist: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}${hint}`, ...shown.map((c) => `  ${c.id.padEnd(width)}  ${statusText(c.status, style)}  ${c.summary}`)];
}

function violationLines(violations: AuditViolation[], opts: FormatOptions, style: Style): string[] {
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  if (!violations.length) return ["violations: none"];
  const lines = [`violations: ${mandatory} mandatory, ${violations.length - mandatory} advisory`];
  const groups = new Map<string, AuditViolation[]>();
  for (const v of violations) groups.set(v.checklist, [...(groups.get(v.checklist) ?? []), v]);
  for (const [id, vs] of groups) {
    lines.push(`  ${id}`);
    for (const v of vs) {
      const level = v.level === "mandatory" ? style.bad("MANDATORY") : style.warn("advisory ");
      lines.push(`    ${level} ${v.policy}  ${opts.verbose ? v.urn : resourceLabel(v.urn)}`);
      lines.push(indent(v.message, "        "));
    }
  }
  return lines;
}

/** The verdict line: what failed, or that it passed. */
export function verdict(result: AuditResult, style: Style = PLAIN): string {
  const mandatory = mandatoryCount(result);
  const refused = result.deployChecks?.findings.length ?? 0;
  const unjudged = result.notes?.length ?? 0;
  if (!mandatory && !refused && !unjudged) return style.good("passed: no mandatory violations, no deploy-check findings");
  const why = [mandatory ? `${mandatory} mandatory violation(s)` : "", refused ? `${refused} deploy-check finding(s)` : "", unjudged ? `${unjudged} part(s) of the state not judged` : ""];
  return style.bad(`FAILED: ${why.filter(Boolean).join(", ")}`);
}

/** A readable report: what judged what, violations grouped by checklist id, deploy checks, the checklist, the verdict. */
export function formatAudit(result: AuditResult, opts: FormatOptions = {}): string {
  const style = opts.style ?? PLAIN;
  const pack = result.pack ? `policy pack ${result.pack.name}@${result.pack.version}` : "the policy pack";
  const n = result.instances.length;
  const lines = [`audit: ${pack} judged ${result.resources} resources of ${n} instance${n === 1 ? "" : "s"} (${result.instances.join(", ")})`, ""];
  lines.push(...violationLines(result.violations, opts, style));
  for (const note of result.notes ?? []) lines.push("", style.bad(`not judged: ${note}`));
  if (result.deployChecks) lines.push("", formatDeployChecks(result.deployChecks));
  lines.push("", ...checklistLines(result.checklist, opts, style));
  lines.push("", verdict(result, style));
  return lines.join("\n");
}

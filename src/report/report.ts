/**
 * The posture report: a document to print, initial and sign, filed with the deploy record. The 36
 * checklist items grouped by the checklist's sections, one table row each (status, a one-line
 * evidence summary, initials, date); each finding once, numbered, in its own list that the rows
 * refer to; a sign-off block. The HTML prints on A4 with the instance name and "page N of M" on
 * every page (CSS page-margin boxes); the Markdown carries the same content. Pure: callers write
 * files.
 */
import { checklistBySection } from "../../policies/contract/checklist";
import type { MeasurementRow } from "../../policies/contract/measurements";
import type { ChecklistStatus } from "../offline/audit";
import { resourceLabel } from "../offline/audit/render";

export interface ReportViolation {
  policy: string;
  checklist: string;
  level: string;
  urn: string;
  message: string;
}

export interface ReportInput {
  /** ZIPNET_INSTANCE. */
  instance: string;
  posture: string;
  /** Where the facts came from: a stack name or a state file. */
  source: string;
  generatedAt: Date;
  /** What judged: the policy pack, how many resources, the deploy checks. */
  judgedBy: string;
  /** The audit's verdict line. */
  verdict: string;
  /** Each item's status and its one-line summary (attestations and acknowledgements included). */
  checklist: { id: string; status: ChecklistStatus; summary: string }[];
  violations: ReportViolation[];
  /** Per committee server: what its TDX evidence binds and what it does not (docs/measurements.md). */
  measurements: MeasurementRow[];
}

export const STATUS_LABEL: Record<ChecklistStatus, string> = {
  pass: "PASS",
  fail: "FAIL",
  // Nothing confirmed these: an operator must not initial them as green.
  missing: "MISSING",
  unjudged: "NOT JUDGED",
  attested: "ATTESTED",
  acknowledged: "ACKNOWLEDGED",
  "not-applicable": "N/A",
};

/** Findings listed; past this the report counts the rest (the audit's JSON has them all). */
export const MAX_LISTED_FINDINGS = 12;
/** A finding's message in the report, at most (the audit's JSON has it whole): the document stays within 4 pages. */
const MAX_MESSAGE = 200;

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

interface Row {
  n: number;
  id: string;
  title: string;
  status: ChecklistStatus;
  evidence: string;
}

interface Finding {
  ref: string;
  violation: ReportViolation;
}

interface Document {
  sections: { title: string; rows: Row[] }[];
  findings: Finding[];
  unlisted: number;
  counts: string;
}

/** " on name (type)" for a finding, unless its message already starts with the resource's name. */
function onResource(v: ReportViolation): string {
  const name = v.urn.split("::").pop() ?? "";
  return name && v.message.startsWith(`${name}: `) ? "" : ` on ${resourceLabel(v.urn)}`;
}

function documentOf(input: ReportInput): Document {
  const findings: Finding[] = input.violations.map((violation, i) => ({ ref: `F${i + 1}`, violation }));
  const listed = findings.slice(0, MAX_LISTED_FINDINGS);
  let n = 0;
  const byStatus = new Map<ChecklistStatus, number>();
  const sections = checklistBySection().map((section) => ({
    title: section.title,
    rows: section.items.map((item): Row => {
      const entry = input.checklist.find((c) => c.id === item.id);
      // An item the audit did not report on was not judged: never shown as passing.
      const status = entry?.status ?? "unjudged";
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      // Only listed findings are cited by number; the rest are counted (the audit's JSON has them).
      const mine = findings.filter((f) => f.violation.checklist === item.id);
      const cited = mine.filter((f) => listed.includes(f)).map((f) => f.ref);
      const shown = cited.length > 6 ? [...cited.slice(0, 6), `+${cited.length - 6}`] : cited;
      const unlistedHere = mine.length - cited.length;
      const refs = [...shown, ...(unlistedHere ? [`${unlistedHere} not listed`] : [])];
      return { n: ++n, id: item.id, title: item.title, status, evidence: `${entry?.summary ?? "not in the audit"}${refs.length ? ` (${refs.join(", ")})` : ""}` };
    }),
  }));
  const counts = (Object.keys(STATUS_LABEL) as ChecklistStatus[])
    .filter((s) => byStatus.has(s))
    .map((s) => `${byStatus.get(s)} ${STATUS_LABEL[s].toLowerCase()}`)
    .join(", ");
  return { sections, findings: listed, unlisted: findings.length - listed.length, counts };
}

const SIGNERS = ["Operator", "Security reviewer"];
const SIGN_OFF =
  "I have checked each item above against the deployment, initialled it, and confirm the statuses and statements are correct for this instance.";

// --- Markdown -------------------------------------------------------------------------------

function mdCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function renderMarkdown(input: ReportInput): string {
  const doc = documentOf(input);
  const out: string[] = [];
  out.push(`# Security posture: ${input.instance}`, "");
  out.push(`Posture ${input.posture} · source ${input.source} · generated ${input.generatedAt.toISOString()}`, "");
  out.push(`Judged by ${input.judgedBy}. Items: ${doc.counts}. ${input.verdict}`, "");
  out.push("Print it, initial each item, sign it, file it with the deploy record.", "");
  for (const section of doc.sections) {
    out.push(`## ${section.title}`, "", "| # | item | status | evidence | initials | date |", "|---|---|---|---|---|---|");
    for (const r of section.rows) out.push(`| ${r.n} | \`${r.id}\` ${mdCell(r.title)} | ${STATUS_LABEL[r.status]} | ${mdCell(r.evidence)} |  |  |`);
    out.push("");
  }
  out.push("## Measurements: what the hardware binds", "", "| node | platform, machine type | reference sets | binds | does not bind |", "|---|---|---|---|---|");
  for (const m of input.measurements) out.push(`| ${m.node} | ${m.platform} ${m.machineType} | ${mdCell(m.sets.join(", ") || "none")} | ${mdCell(m.binds.join("; ") || "nothing")} | ${mdCell(m.unbound.join("; ") || "no image register left unenforced")} |`);
  out.push("");
  out.push("## Findings", "");
  if (!doc.findings.length) out.push("None.");
  for (const { ref, violation: v } of doc.findings) out.push(`- **${ref}** ${v.level} \`${v.policy}\`${mdCell(onResource(v))}: ${mdCell(clip(v.message))}`);
  if (doc.unlisted) out.push(`- and ${doc.unlisted} more (all of them in the audit's JSON: \`--audit-json\` / \`audit --json\`)`);
  out.push("", "## Sign-off", "", SIGN_OFF, "", "| role | name | signature | date |", "|---|---|---|---|");
  for (const who of SIGNERS) out.push(`| ${who} |  |  |  |`);
  out.push("");
  return out.join("\n");
}

// --- HTML -----------------------------------------------------------------------------------

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A CSS string literal: quotes, backslashes and control characters escaped (CSS Syntax 3, 4.3.5). */
function cssString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `)}"`;
}

export function renderHtml(input: ReportInput): string {
  const doc = documentOf(input);
  const sections = doc.sections
    .map(
      (section) => `<h2>${esc(section.title)}</h2>
<table>
<colgroup><col class="n"><col class="item"><col class="status"><col class="evidence"><col class="initials"><col class="date"></colgroup>
<thead><tr><th>#</th><th>item</th><th>status</th><th>evidence</th><th>initials</th><th>date</th></tr></thead>
<tbody>
${section.rows
  .map((r) => `<tr class="${r.status}"><td>${r.n}</td><td><code>${esc(r.id)}</code><div class="title">${esc(r.title)}</div></td><td class="status">${STATUS_LABEL[r.status]}</td><td>${esc(r.evidence)}</td><td></td><td></td></tr>`)
  .join("\n")}
</tbody>
</table>`,
    )
    .join("\n");
  const findings = doc.findings.length
    ? `<ul class="findings">${doc.findings.map(({ ref, violation: v }) => `<li><b>${ref}</b> ${esc(v.level)} <code>${esc(v.policy)}</code>${esc(onResource(v))}: ${esc(clip(v.message))}</li>`).join("\n")}${doc.unlisted ? `<li>and ${doc.unlisted} more (all of them in the audit's JSON: <code>--audit-json</code> / <code>audit --json</code>)</li>` : ""}</ul>`
    : "<p>None.</p>";
  const header = cssString(`Security posture: ${input.instance}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Security posture: ${esc(input.instance)}</title>
<style>
  @page {
    size: A4;
    margin: 16mm 12mm 14mm;
    @top-left { content: ${header}; font: 8pt sans-serif; }
    @top-right { content: ${cssString(`generated ${input.generatedAt.toISOString().slice(0, 10)}`)}; font: 8pt sans-serif; }
    @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; }
  }
  body { font: 8pt/1.25 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
  h1 { font-size: 14pt; margin: 0 0 0.2em; }
  h2 { font-size: 10pt; margin: 0.9em 0 0.25em; break-after: avoid; }
  p { margin: 0.25em 0; }
  code { font: 8pt "DejaVu Sans Mono", monospace; }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  th, td { border: 0.5pt solid #555; padding: 1.5pt 3pt; vertical-align: top; text-align: left; overflow-wrap: anywhere; }
  th { font-weight: bold; background: #eee; }
  tr { break-inside: avoid; }
  col.n { width: 3.5%; } col.item { width: 32%; } col.status { width: 12%; } col.evidence { width: 35.5%; } col.initials { width: 7.5%; } col.date { width: 9.5%; }
  .title { font-size: 7pt; color: #333; }
  td.status { font-weight: bold; white-space: nowrap; font-size: 7.5pt; }
  .fail td.status, .missing td.status, .unjudged td.status { background: #fdd; }
  .pass td.status { background: #dfd; }
  .findings { list-style: none; padding-left: 0; } .findings li { margin: 0.15em 0; break-inside: avoid; }
  .signoff { break-inside: avoid; } .signoff td { height: 2.2em; }
</style>
</head>
<body>
<h1>Security posture: ${esc(input.instance)}</h1>
<p>Posture <b>${esc(input.posture)}</b> · source ${esc(input.source)} · generated ${esc(input.generatedAt.toISOString())}</p>
<p>Judged by ${esc(input.judgedBy)}. Items: ${esc(doc.counts)}. <b>${esc(input.verdict)}</b></p>
<p>Print it, initial each item, sign it, file it with the deploy record.</p>
${sections}
<h2>Measurements: what the hardware binds</h2>
<table class="measurements"><thead><tr><th>node</th><th>platform, machine type</th><th>reference sets</th><th>binds</th><th>does not bind</th></tr></thead>
<tbody>${input.measurements.map((m) => `<tr><td>${esc(m.node)}</td><td>${esc(`${m.platform} ${m.machineType}`)}</td><td>${esc(m.sets.join(", ") || "none")}</td><td>${esc(m.binds.join("; ") || "nothing")}</td><td>${esc(m.unbound.join("; ") || "no image register left unenforced")}</td></tr>`).join("\n")}</tbody></table>
<h2>Findings</h2>
${findings}
<div class="signoff">
<h2>Sign-off</h2>
<p>${esc(SIGN_OFF)}</p>
<table><thead><tr><th>role</th><th>name</th><th>signature</th><th>date</th></tr></thead>
<tbody>${SIGNERS.map((who) => `<tr><td>${who}</td><td></td><td></td><td></td></tr>`).join("")}</tbody></table>
</div>
</body>
</html>
`;
}

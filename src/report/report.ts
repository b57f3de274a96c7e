/**
 * The posture report: all 36 checklist items in the checklist's order, each with its status,
 * evidence and an initials/date line, for the deploy record. Markdown, and a self-contained HTML
 * page that prints cleanly (no scripts, no external assets, print CSS). Pure: callers write files.
 */
import { CHECKLIST } from "../../policies/contract/checklist";
import type { ChecklistStatus } from "../offline/audit";

export type ItemStatus = ChecklistStatus;

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
  checklist: { id: string; status: ItemStatus; evidence: string[] }[];
  violations: ReportViolation[];
  /** Attested items from the instance's config: id -> statement, by, date, link. */
  attestations: Record<string, { statement: string; by: string; date: string; link?: string }>;
  acknowledgedRisks: string[];
}

const STATUS_LABEL: Record<ItemStatus, string> = {
  pass: "PASS",
  fail: "FAIL",
  // Nothing confirmed these: an operator must not initial them as green.
  missing: "MISSING",
  unjudged: "NOT JUDGED",
  attested: "ATTESTED",
  acknowledged: "ACKNOWLEDGED",
  "not-applicable": "N/A",
};

interface Row {
  n: number;
  id: string;
  title: string;
  how: string;
  status: ItemStatus;
  evidence: string[];
  violations: ReportViolation[];
  attestation?: ReportInput["attestations"][string];
}

function rows(input: ReportInput): Row[] {
  return CHECKLIST.map((item, i) => {
    const found = input.checklist.find((c) => c.id === item.id);
    return {
      n: i + 1,
      id: item.id,
      title: item.title,
      how: item.how,
      status: found?.status ?? "fail",
      evidence: found ? found.evidence : ["not evaluated"],
      violations: input.violations.filter((v) => v.checklist === item.id),
      attestation: input.attestations[item.id],
    };
  });
}

function counts(all: Row[]): string {
  const by = new Map<ItemStatus, number>();
  for (const r of all) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  return (Object.keys(STATUS_LABEL) as ItemStatus[]).map((s) => `${by.get(s) ?? 0} ${STATUS_LABEL[s].toLowerCase()}`).join(", ");
}

export function renderMarkdown(input: ReportInput): string {
  const all = rows(input);
  const out: string[] = [];
  out.push(`# Security posture: ${input.instance}`, "");
  out.push(`- posture: ${input.posture}`, `- source: ${input.source}`, `- generated: ${input.generatedAt.toISOString()}`, `- items: ${counts(all)}`, "");
  out.push("Print it, initial it, file it with the deploy record.", "");
  for (const r of all) {
    out.push(`## ${r.n}. \`${r.id}\` — ${STATUS_LABEL[r.status]}`, "", r.title, "", `Mechanism: ${r.how}`, "");
    if (r.attestation) out.push(`Attested: "${r.attestation.statement}" — ${r.attestation.by}, ${r.attestation.date}${r.attestation.link ? ` (${r.attestation.link})` : ""}`, "");
    for (const e of r.evidence) out.push(`- ${e}`);
    for (const v of r.violations) out.push(`- **${v.level}** ${v.policy}: ${v.message}`);
    out.push("", "Initials: ________  Date: ____________", "");
  }
  if (input.acknowledgedRisks.length) {
    out.push("## Acknowledged risks", "", ...input.acknowledgedRisks.map((id) => `- \`${id}\`: ${CHECKLIST.find((c) => c.id === id)?.title ?? ""}`), "");
  }
  return out.join("\n");
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function renderHtml(input: ReportInput): string {
  const all = rows(input);
  const items = all
    .map(
      (r) => `<section class="item ${r.status}">
  <h2><span class="n">${r.n}.</span> <code>${esc(r.id)}</code> <span class="status">${STATUS_LABEL[r.status]}</span></h2>
  <p class="title">${esc(r.title)}</p>
  <p class="how">Mechanism: ${esc(r.how)}</p>
  ${r.attestation ? `<p class="attestation">Attested: &ldquo;${esc(r.attestation.statement)}&rdquo; &mdash; ${esc(r.attestation.by)}, ${esc(r.attestation.date)}${r.attestation.link ? ` (${esc(r.attestation.link)})` : ""}</p>` : ""}
  <ul>${r.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}${r.violations.map((v) => `<li class="violation"><b>${esc(v.level)}</b> ${esc(v.policy)}: ${esc(v.message)}</li>`).join("")}</ul>
  <p class="sign">Initials: <span class="line"></span> Date: <span class="line"></span></p>
</section>`,
    )
    .join("\n");
  const risks = input.acknowledgedRisks.length
    ? `<section class="risks"><h2>Acknowledged risks</h2><ul>${input.acknowledgedRisks.map((id) => `<li><code>${esc(id)}</code>: ${esc(CHECKLIST.find((c) => c.id === id)?.title ?? "")}</li>`).join("")}</ul></section>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Security posture: ${esc(input.instance)}</title>
<style>
  body { font: 11pt/1.4 Georgia, "Times New Roman", serif; margin: 2em; color: #111; }
  h1 { font-size: 18pt; margin-bottom: 0.2em; }
  h2 { font-size: 12pt; margin: 0 0 0.3em; }
  code { font: 10pt "DejaVu Sans Mono", monospace; }
  .meta { margin: 0 0 1.5em; padding: 0; list-style: none; }
  .item { box-sizing: border-box; border: 1px solid #999; padding: 0.6em 0.8em; margin: 0 0 0.8em; break-inside: avoid; page-break-inside: avoid; }
  .status { float: right; font: bold 10pt sans-serif; padding: 0.1em 0.5em; border: 1px solid #333; }
  .fail .status, .missing .status, .unjudged .status { background: #fdd; } .pass .status { background: #dfd; }
  .attested .status, .acknowledged .status { background: #eef; }
  .how, .attestation { font-size: 9.5pt; color: #333; margin: 0.2em 0; }
  .violation { color: #900; }
  .sign { margin-top: 0.6em; } .line { display: inline-block; width: 9em; border-bottom: 1px solid #000; margin-right: 2em; }
  @page { size: A4; margin: 15mm; }
  @media print { body { margin: 0; } .item { border-color: #000; } }
</style>
</head>
<body>
<h1>Security posture: ${esc(input.instance)}</h1>
<ul class="meta">
  <li>Posture: ${esc(input.posture)}</li>
  <li>Source: ${esc(input.source)}</li>
  <li>Generated: ${esc(input.generatedAt.toISOString())}</li>
  <li>Items: ${esc(counts(all))}</li>
</ul>
<p>Print it, initial it, file it with the deploy record.</p>
${items}
${risks}
</body>
</html>
`;
}

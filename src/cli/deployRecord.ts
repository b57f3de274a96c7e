/**
 * `--report DIR`: the deploy record files of one instance. From `plan`: the posture report, the
 * publication (signed when a key is given) and the alert rules. From `audit`: the posture report.
 */
import { existsSync, readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import * as path from "node:path";
import type { InstanceConfig } from "../config/schema";
import { machineTypeOf } from "../config/validate";
import { measurementRows, type MeasurementRow, type ReferenceSet } from "../../policies/contract/measurements";
import { alertRules } from "../deployRecord/alerts";
import { loadPrivateKey, sign, KeyFormatError } from "../deployRecord/ed25519";
import { measurementChanges, publicationOf, publicationShapeProblem, renderPublication, type Publication } from "../deployRecord/publication";
import { verdict, type AuditResult } from "../offline/audit";
import { renderHtml, renderMarkdown, type ReportInput } from "../report/report";
import type { PendingWrites } from "./outputs";

/** The posture-record facts the report prints beside the audit (ZipnetInstance inputs, from a plan or a state). */
export interface RecordFacts {
  name: string;
  posture: string;
  /** Per committee server: what the hardware binds (from the config or the state's posture record). */
  measurements: MeasurementRow[];
}

export function reportInput(audit: AuditResult, facts: RecordFacts, source: string, now = new Date()): ReportInput {
  const pack = audit.pack ? `policy pack ${audit.pack.name}@${audit.pack.version}` : "the policy pack";
  const checks = audit.deployChecks;
  return {
    instance: facts.name,
    posture: facts.posture,
    source,
    generatedAt: now,
    judgedBy: `${pack} over ${audit.resources} resources, and ${checks.rules} deploy-check rules (${checks.findings.length} finding(s))`,
    verdict: verdict(audit),
    checklist: audit.checklist,
    violations: audit.violations,
    measurements: facts.measurements,
  };
}

/** The measurement rows of a validated config. */
export function configMeasurements(config: InstanceConfig): MeasurementRow[] {
  return measurementRows(config.tdx.committee, config.committee.map((n) => ({ id: n.id, cloud: n.cloud, confidential: n.confidential, machineType: machineTypeOf(n, "committee") })));
}

/** The measurement rows a state's posture record allows (malformed parts left out: the pack judges them). */
export function recordMeasurements(record: Record<string, unknown>): MeasurementRow[] {
  const tdx = (record.tdx ?? {}) as Record<string, unknown>;
  const sets = (Array.isArray(tdx.committee) ? tdx.committee : []).filter(
    (s): s is ReferenceSet => !!s && typeof s === "object" && typeof (s as ReferenceSet).platform === "string" && Array.isArray((s as ReferenceSet).machineTypes) && !!(s as ReferenceSet).registers,
  );
  const nodes = (Array.isArray(record.nodes) ? record.nodes : []).filter((n) => n && typeof n === "object" && (n as Record<string, unknown>).role === "committee") as Record<string, unknown>[];
  return measurementRows(sets, nodes.map((n) => ({ id: String(n.id), cloud: String(n.cloud), confidential: n.confidential === true, machineType: typeof n.machineType === "string" ? n.machineType : "unknown" })));
}

/** Adds posture-report.md and posture-report.html under `dir` to the pending writes. */
export function addReport(pending: PendingWrites, dir: string, input: ReportInput): void {
  pending.add(path.join(dir, "posture-report.md"), renderMarkdown(input));
  pending.add(path.join(dir, "posture-report.html"), renderHtml(input));
}

/** A user's key-file mistake, reported like a config error. */
export class KeyFileError extends Error {}

/** Reads the publication key: checked before anything runs or is written. */
export function loadPublicationKey(file: string): KeyObject {
  try {
    return loadPrivateKey(readFileSync(file, "utf8"));
  } catch (err) {
    const why = err instanceof KeyFormatError ? err.message : ((err as NodeJS.ErrnoException).code ?? "unreadable");
    throw new KeyFileError(`--publication-key ${file}: expected an Ed25519 private key (PKCS8 PEM or base64 seed), found ${why}`);
  }
}

/** The plan's deploy record: report, publication (+ signature), alert rules. */
export function addPlanRecord(pending: PendingWrites, dir: string, config: InstanceConfig, audit: AuditResult, source: string, key?: KeyObject): void {
  addReport(pending, dir, reportInput(audit, { name: config.name, posture: config.posture, measurements: configMeasurements(config) }, source));
  const publication = renderPublication(publicationOf(config));
  const pubFile = pending.add(path.join(dir, "publication.json"), publication);
  if (key) pending.add(`${pubFile}.sig`, `${sign(publication, key)}\n`);
  pending.add(
    path.join(dir, "alerts.rules.yml"),
    alertRules({
      instance: config.name,
      committeeSize: config.committee.length,
      roundPeriodSeconds: config.monitoring.roundPeriodSeconds,
      roundDeadlineSeconds: config.monitoring.roundDeadlineSeconds,
      ticketExpiryWarningHours: config.monitoring.ticketExpiryWarningHours,
    }),
  );
}

/** The publication publishers hold, committed beside the stack file: `<instance>.publication.json` (+ `.sig`). */
export function publishedPath(stacksDir: string, instance: string): string {
  return path.join(stacksDir, `${instance}.publication.json`);
}

/**
 * What the plan says about the publication: whether the committed one still holds, or what moved
 * (a node's machine type or platform, a reference set, an image) so that it must be re-signed,
 * with a higher epoch.
 */
export function publicationNotice(config: InstanceConfig, stacksDir: string): string[] {
  const file = publishedPath(stacksDir, config.name);
  const next = publicationOf(config);
  if (!existsSync(file)) return [`publication: none committed at ${file}: render it with --report, sign it, commit it beside the stack`];
  let before: Publication;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    const problem = publicationShapeProblem(parsed);
    if (problem) return [`publication: ${file}: ${problem}: render it again with --report, sign it, commit it`];
    before = parsed as Publication;
  } catch {
    return [`publication: ${file}: not JSON: render it again with --report, sign it, commit it`];
  }
  const changes = measurementChanges(before, next);
  if (!changes.length && renderPublication(before) === renderPublication(next)) return [`publication: ${file} holds (epoch ${next.epoch})`];
  const epoch = next.epoch > before.epoch ? `epoch ${before.epoch} -> ${next.epoch}` : `raise tdx.epoch above ${before.epoch}`;
  return [`publication: MUST BE RE-SIGNED (${epoch}): what publishers verify moved:`, ...changes.map((c) => `  ${c}`)];
}

/**
 * `--report DIR`: the deploy record files of one instance. From `plan`: the posture report, the
 * publication (signed when a key is given) and the alert rules. From `audit`: the posture report.
 */
import { existsSync, readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import * as path from "node:path";
import { manifestPath } from "../federation/stack";
import type { InstanceConfig } from "../config/schema";
import { measurementRows, recordReferenceSets, type MeasurementRow } from "../../policies/contract/measurements";
import { alertRules } from "../deployRecord/alerts";
import { loadPrivateKey, sign, KeyFormatError } from "../deployRecord/ed25519";
import { configMeasurements, measurementChanges, publicationOf, publicationShapeProblem, renderPublication, verifyPublication, type Publication } from "../deployRecord/publication";
import { verdict, type AuditResult, type AuditViolation } from "../offline/audit";
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

/** The measurement rows a state's posture record allows (malformed parts left out: the pack judges them). */
export function recordMeasurements(record: Record<string, unknown>): MeasurementRow[] {
  const sets = recordReferenceSets(record, "committee");
  const nodes = (Array.isArray(record.nodes) ? record.nodes : []).filter((n) => n && typeof n === "object" && (n as Record<string, unknown>).role === "committee") as Record<string, unknown>[];
  return measurementRows(sets, nodes.map((n) => ({ id: String(n.id), cloud: String(n.cloud), confidential: n.confidential === true, machineType: typeof n.machineType === "string" ? n.machineType : "unknown" })));
}

/** The files `audit --report` writes per instance folder. */
export const REPORT_FILES = ["posture-report.md", "posture-report.html"] as const;
const PUBLICATION_FILE = "publication.json";
const ALERTS_FILE = "alerts.rules.yml";
/** The files `plan --report` writes (the signature only with a key). */
export const PLAN_RECORD_FILES = [...REPORT_FILES, PUBLICATION_FILE, `${PUBLICATION_FILE}.sig`, ALERTS_FILE] as const;

/** Adds posture-report.md and posture-report.html under `dir` to the pending writes. */
export function addReport(pending: PendingWrites, dir: string, input: ReportInput): void {
  pending.add(path.join(dir, REPORT_FILES[0]), renderMarkdown(input));
  pending.add(path.join(dir, REPORT_FILES[1]), renderHtml(input));
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
  const pubFile = pending.add(path.join(dir, PUBLICATION_FILE), publication);
  if (key) pending.add(`${pubFile}.sig`, `${sign(publication, key)}\n`);
  pending.add(
    path.join(dir, ALERTS_FILE),
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
  return path.join(stacksDir, `${instance}.${PUBLICATION_FILE}`);
}

export interface PublicationStatus {
  lines: string[];
  /** What stops a production plan: the committed publication is missing, unsigned, stale or not signed by the configured key. */
  blocker?: string;
}

/**
 * What the plan says about the publication committed beside the stack: whether it still is what
 * the config gives and verifies with `publication.publicKey`, or what moved (a node's machine type
 * or platform, a reference set, an image) so that it must be re-signed, with a higher epoch. In
 * production anything short of "holds and verifies" blocks the plan: publishers verify that file.
 */
export function publicationNotice(config: InstanceConfig, stacksDir: string): PublicationStatus {
  // A federated instance publishes its reference values and committee in the manifest every operator
  // signs (loading the config verified it): no stack publishes the instance alone.
  if (config.federation) {
    const rel = path.relative(process.cwd(), manifestPath(stacksDir, config.name)) || manifestPath(stacksDir, config.name);
    return { lines: [`publication: the signed manifest ${rel} publishes the reference values and the committee (federated: operator ${config.federation.operator})`] };
  }
  const file = publishedPath(stacksDir, config.name);
  const rel = path.relative(process.cwd(), file) || file;
  const next = publicationOf(config);
  const production = config.posture === "production";
  const block = (lines: string[], why: string): PublicationStatus => (production ? { lines, blocker: why } : { lines });
  if (!existsSync(file)) return block([`publication: none committed at ${rel}: render it with --report, sign it (--publication-key), commit both beside the stack`], "no committed publication");
  let before: Publication;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    const problem = publicationShapeProblem(parsed);
    if (problem) return block([`publication: ${rel}: ${problem}: render it again with --report, sign it, commit it`], "the committed publication is not one this version reads");
    before = parsed as Publication;
  } catch {
    return block([`publication: ${rel}: not JSON: render it again with --report, sign it, commit it`], "the committed publication is not JSON");
  }
  const changes = measurementChanges(before, next);
  if (changes.length) {
    const epoch = next.epoch > before.epoch ? `epoch ${before.epoch} -> ${next.epoch}` : `raise tdx.epoch above ${before.epoch}`;
    return block([`publication: MUST BE RE-SIGNED (${epoch}): what publishers verify moved:`, ...changes.map((c) => `  ${c}`)], "the committed publication must be re-signed");
  }
  const sig = `${file}.sig`;
  if (!config.publication) return block([`publication: ${rel} matches the config; no publication.publicKey in the config to verify its signature with`], "no publication.publicKey to verify the committed publication with");
  if (!existsSync(sig)) return block([`publication: ${rel} matches the config but has no signature (${path.basename(sig)})`], "the committed publication is unsigned");
  const verdict = verifyPublication(readFileSync(file), readFileSync(sig, "utf8").trim(), config.publication.publicKey);
  if (!verdict.ok) return block([`publication: ${rel}: ${verdict.reason}`], "the committed publication does not verify with publication.publicKey");
  return { lines: [`publication: ${rel} matches the config and is signed by publication.publicKey (epoch ${next.epoch})`] };
}

/**
 * The publication's blocker as a finding of `identity.mrtd-published` on the instance, judged with
 * the pack's (checklist status, verdict, report, exit code): none when the publication holds.
 */
export function publicationFindings(status: PublicationStatus, config: InstanceConfig, instanceUrn: string): AuditViolation[] {
  if (!status.blocker) return [];
  return [
    {
      policy: "identity.mrtd-published:publication",
      checklist: "identity.mrtd-published",
      level: "mandatory",
      urn: instanceUrn,
      message: `${config.name}: ${publishedPath("stacks", config.name)}: expected the committed publication to match the config and verify with publication.publicKey (production), found: ${status.blocker}`,
    },
  ];
}

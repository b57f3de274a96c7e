/**
 * `--report DIR`: the deploy record files of one instance. From `plan`: the posture report, the
 * publication (signed when a key is given) and the alert rules. From `audit`: the posture report.
 */
import { readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import * as path from "node:path";
import type { InstanceConfig } from "../config/schema";
import { alertRules } from "../deployRecord/alerts";
import { loadPrivateKey, sign, KeyFormatError } from "../deployRecord/ed25519";
import { publicationOf, renderPublication } from "../deployRecord/publication";
import { verdict, type AuditResult } from "../offline/audit";
import { renderHtml, renderMarkdown, type ReportInput } from "../report/report";
import type { PendingWrites } from "./outputs";

/** The posture-record facts the report prints beside the audit (ZipnetInstance inputs, from a plan or a state). */
export interface RecordFacts {
  name: string;
  posture: string;
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
  };
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
  addReport(pending, dir, reportInput(audit, config, source));
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

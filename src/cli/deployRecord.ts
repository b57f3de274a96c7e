/**
 * `--report DIR`: the deploy record files of one instance. From `plan`: the posture report, the
 * publication (signed when a key is given) and the alert rules. From `audit`: the posture report.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { InstanceConfig } from "../config/schema";
import { alertRules } from "../deployRecord/alerts";
import { loadPrivateKey, sign, KeyFormatError } from "../deployRecord/ed25519";
import { publicationOf, renderPublication } from "../deployRecord/publication";
import type { AuditResult } from "../offline/audit";
import { renderHtml, renderMarkdown, type ReportInput } from "../report/report";

/** The posture-record facts the report prints (ZipnetInstance inputs, from a plan or a state). */
export interface RecordFacts {
  name: string;
  posture: string;
  attestations?: ReportInput["attestations"];
  acknowledgedRisks?: string[];
}

export function reportInput(audit: AuditResult, facts: RecordFacts, source: string, now = new Date()): ReportInput {
  return {
    instance: facts.name,
    posture: facts.posture,
    source,
    generatedAt: now,
    checklist: audit.checklist,
    violations: audit.violations,
    attestations: facts.attestations ?? {},
    acknowledgedRisks: facts.acknowledgedRisks ?? [],
  };
}

/** Writes posture-report.md and posture-report.html; returns their paths. */
export function writeReport(dir: string, input: ReportInput): string[] {
  mkdirSync(dir, { recursive: true });
  const md = path.join(dir, "posture-report.md");
  const html = path.join(dir, "posture-report.html");
  writeFileSync(md, renderMarkdown(input));
  writeFileSync(html, renderHtml(input));
  return [md, html];
}

/** A user's key-file mistake, reported like a config error. */
export class KeyFileError extends Error {}

/** The plan's deploy record: report, publication (+ signature), alert rules. */
export function writePlanRecord(dir: string, config: InstanceConfig, audit: AuditResult, source: string, publicationKeyFile?: string): string[] {
  const files = writeReport(dir, reportInput(audit, config, source));
  const publication = renderPublication(publicationOf(config));
  const pubFile = path.join(dir, "publication.json");
  writeFileSync(pubFile, publication);
  files.push(pubFile);
  if (publicationKeyFile) {
    let key;
    try {
      key = loadPrivateKey(readFileSync(publicationKeyFile, "utf8"));
    } catch (err) {
      const why = err instanceof KeyFormatError ? err.message : (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new KeyFileError(`--publication-key ${publicationKeyFile}: expected an Ed25519 private key (PKCS8 PEM or base64 seed), found ${why}`);
    }
    writeFileSync(`${pubFile}.sig`, `${sign(publication, key)}\n`);
    files.push(`${pubFile}.sig`);
  }
  const rules = path.join(dir, "alerts.rules.yml");
  writeFileSync(
    rules,
    alertRules({
      instance: config.name,
      committeeSize: config.committee.length,
      roundPeriodSeconds: config.monitoring.roundPeriodSeconds,
      roundDeadlineSeconds: config.monitoring.roundDeadlineSeconds,
      ticketExpiryWarningHours: config.monitoring.ticketExpiryWarningHours,
    }),
  );
  files.push(rules);
  return files;
}

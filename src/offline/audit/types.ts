/** The audit's result and inputs, as the CLI and its JSON contract see them. */
import type { PolicyPackClient, PolicyPackConfig } from "../analyzer";
import type { DeployCheckResult } from "../../deployChecks";
import type { InstanceFacts } from "../stateFacts";
import type { StateFile } from "../stateFile";
export type Level = "mandatory" | "advisory";

/** A diagnostic of the pack, mapped to its checklist item. */
export interface AuditViolation {
  policy: string;
  checklist: string;
  level: Level;
  urn: string;
  message: string;
}

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
  /** One line that explains the status (findings are counted, not repeated: they are listed apart). */
  summary: string;
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
  /** Findings of checks outside the pack (the publication committed beside a stack), judged with the pack's. */
  findings?: AuditViolation[];
  /** Told what the audit is doing, as it goes (the CLI shows it on stderr during long audits). */
  onProgress?: (message: string) => void;
}

/** The state file is not something the audit can read. */
export class AuditInputError extends Error {}

/** An audited instance: its facts, and its posture record when the state has one. */
export type AuditedInstance = InstanceFacts & { record?: Record<string, unknown> };

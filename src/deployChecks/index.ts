/**
 * The deploy-check catalogue: every rule the area modules export, in a stable order, and the run
 * over a plan or an audited state. A finding fails `plan` (exit 1) and `audit`.
 */
import * as aws from "./aws";
import * as azure from "./azure";
import * as gcp from "./gcp";
import * as vault from "./vault";
import { runRules, type DeployCheckResult, type DeployRule } from "./rule";
import type { StateResource } from "../offline/stateFile";

export type { DeployCheckResult, DeployFinding, DeployRule } from "./rule";

function isRule(value: unknown): value is DeployRule {
  const r = value as Partial<DeployRule> | null;
  return typeof r === "object" && r !== null && typeof r.id === "string" && typeof r.check === "function" && Array.isArray(r.types);
}

/** Every rule, derived from the modules' exports (a new rule cannot be left out), by id. */
export const DEPLOY_RULES: readonly DeployRule[] = [gcp, azure, aws, vault].flatMap((m) => Object.values(m).filter(isRule)).sort((a, b) => a.id.localeCompare(b.id));

{
  const ids = new Set<string>();
  for (const r of DEPLOY_RULES) {
    if (ids.has(r.id)) throw new Error(`deploy checks: duplicate rule id ${r.id}`);
    if (!r.source.trim()) throw new Error(`deploy checks: rule ${r.id} names no source`);
    ids.add(r.id);
  }
}

/** Runs the catalogue over a state's resources (inputs, as the engine sends them to providers). */
export function runDeployChecks(resources: StateResource[]): DeployCheckResult {
  return runRules(DEPLOY_RULES, resources);
}

export function formatDeployChecks(result: DeployCheckResult): string {
  const lines = [`deploy checks: ${result.rules} rules ran, ${result.findings.length === 0 ? "no findings" : `${result.findings.length} finding(s)`}`];
  for (const f of result.findings) lines.push(`  ${f.rule}  ${f.urn}`, `      ${f.message}`);
  return lines.join("\n");
}

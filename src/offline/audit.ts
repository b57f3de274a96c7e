/**
 * The offline audit: the policy pack judges one or more states (`pulumi stack export` files or
 * `plan --json` files) through the Analyzer protocol, exactly as `pulumi preview --policy-pack`
 * would. The pack does all the judging; the audit supplies what no single stack carries, as the
 * pack's policy config (policies/src/crossInstance.ts): the facts of the other instances audited
 * with a state, and the URNs a state marks `retainOnDelete` (the Analyzer protocol does not carry
 * it). The audit then renders: checklist statuses from the pack's findings and the records.
 * The result maps every diagnostic to its checklist id (policy name up to the first `:`), and
 * gives every one of the 36 checklist items a status and its evidence.
 */
import * as path from "node:path";
import { INSTANCE_TYPE } from "../../policies/contract/wire";
import { NODE_SECRET_HOLDERS } from "../../policies/contract/types";
import { postureRecordOf } from "../../policies/contract/record";
import { PROJECT_ROOT } from "../config/stackFile";
import { runDeployChecks, type DeployCheckResult } from "../deployChecks";
import { startPolicyPack } from "./analyzer";
import { analyzeState, withStateFacts } from "./audit/analyze";
import { checklistEntries, sortViolations } from "./audit/checklist";
import { asStateFile, liveResources } from "./audit/input";
import { scrubber } from "./audit/scrub";
import { AuditInputError, type AuditedInstance, type AuditInput, type AuditOptions, type AuditResult, type AuditViolation } from "./audit/types";
import type { Plan } from "./plan";
import { propsOf, stateFacts } from "./stateFacts";
import { toStateFile, type StateFile } from "./stateFile";

export * from "./audit/types";
export { asStateFile } from "./audit/input";
export { toAnalyzerResource, withStateFacts } from "./audit/analyze";
export { auditJson, formatAudit, mandatoryCount, verdict } from "./audit/render";

export const DEFAULT_PACK_DIR = path.join(PROJECT_ROOT, "policies");

/** The instance a state holds, with its posture record; an input error when it holds none. */
export function auditedInstance(label: string, state: StateFile): AuditedInstance {
  const resources = liveResources(state);
  const instance = resources.find((r) => r.type === INSTANCE_TYPE);
  if (!instance) {
    throw new AuditInputError(
      `${label}: expected a state holding a zipnet instance (a ${INSTANCE_TYPE} resource, its posture record), found ${resources.length} resource(s) and none: nothing here can be judged`,
    );
  }
  const record = postureRecordOf(propsOf(instance));
  return { ...stateFacts(label, resources), ...(record ? { record } : {}) };
}

/**
 * Audits the given states with the policy pack (spawned once for all of them, unless a client
 * is given), giving it per state the facts the stack does not carry, and the deploy checks.
 */
export async function auditStates(inputs: AuditInput[], opts: AuditOptions = {}): Promise<AuditResult> {
  if (!inputs.length) throw new AuditInputError("nothing to audit: no state given");
  const started = Date.now();
  const checked = inputs.map(({ label, state }) => ({ label, state: asStateFile(state, label) }));
  const scrub = scrubber(checked);
  // Every input checked before the pack starts: a state that cannot be judged costs nothing.
  const facts = checked.map(({ label, state }) => auditedInstance(label, state));
  const say = opts.onProgress ?? (() => undefined);
  if (!opts.client) say("starting the policy pack");
  const client = opts.client ?? (await startPolicyPack(opts.packDir ?? DEFAULT_PACK_DIR));
  try {
    const info = await client.getAnalyzerInfo();
    const violations: AuditViolation[] = [];
    const notes: string[] = [];
    const deployChecks: DeployCheckResult = { rules: 0, findings: [] };
    let analyzed = 0;
    let retainChecked = 0;
    let effective = await client.configure(opts.config ?? {});
    for (const [i, { label, state }] of checked.entries()) {
      const pending = state.deployment.pending_operations ?? [];
      if (pending.length) {
        notes.push(`${label}: ${pending.length} pending operation(s) of an interrupted update (${pending.map((p) => `${p.type} ${p.resource?.urn ?? "?"}`).join(", ")}): not judged; run \`pulumi refresh\` and export again`);
      }
      // Pending deletion: still in the cloud until the update that replaced them finishes.
      const doomed = state.deployment.resources.filter((r) => (r as { delete?: boolean }).delete);
      if (doomed.length) {
        notes.push(`${label}: ${doomed.length} resource(s) pending deletion (delete: true; ${doomed.map((r) => r.urn).join(", ")}): still in the cloud and not judged; finish the update (\`pulumi up\`) and export again`);
      }
      const resources = liveResources(state);
      say(`${label}: deploy checks over ${resources.length} resources`);
      const ruled = runDeployChecks(resources);
      deployChecks.rules = ruled.rules;
      deployChecks.findings.push(...ruled.findings);
      // What the pack cannot see in one stack: the instances audited before this one (each pair
      // judged once), and what the state marks retainOnDelete.
      const others = facts.slice(0, i).map(({ record: _record, ...f }) => f);
      const retained = resources.filter((r) => r.retainOnDelete).map((r) => r.urn);
      effective = await client.configure(withStateFacts(info.policies, opts.config ?? {}, others, retained));
      const res = await analyzeState(client, state, facts[i].urn, (done, total) =>
        say(done < total ? `${label}: the pack judged ${done} of ${total} resources` : `${label}: the pack's stack-wide policies over ${total} resources`),
      );
      analyzed += res.analyzed;
      violations.push(...res.violations);
      retainChecked += resources.filter((r) => NODE_SECRET_HOLDERS.has(r.type)).length;
    }
    violations.push(...(opts.findings ?? []));
    const clean = sortViolations(violations).map((v) => ({ ...v, message: scrub(v.message) }));
    return {
      instances: facts.map((f) => f.name),
      resources: analyzed,
      violations: clean,
      notes: notes.map(scrub),
      deployChecks: { rules: deployChecks.rules, findings: deployChecks.findings.map((f) => ({ ...f, message: scrub(f.message) })) },
      checklist: checklistEntries(facts, clean, info, effective, analyzed, retainChecked).map((e) => ({ ...e, evidence: e.evidence.map(scrub) })),
      pack: { name: info.name, version: info.version, startupMs: client.startupMs, durationMs: Date.now() - started },
    };
  } finally {
    if (!opts.client) await client.close();
  }
}

/**
 * The plan's state with the secret values the program produced (not the redacted ones
 * `plan --json` writes), so the pack can compare actual secret values. Never write it out.
 */
export function unredactedPlanState(plan: Plan): StateFile {
  return toStateFile(plan.resources, plan.state.deployment.manifest.version, "keep");
}

/** Audits a plan in memory (secrets unredacted for the pack; nothing unredacted leaves). */
export function auditPlan(plan: Plan, opts: AuditOptions = {}): Promise<AuditResult> {
  return auditStates([{ label: plan.stack, state: unredactedPlanState(plan) }], opts);
}


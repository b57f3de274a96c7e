/**
 * A state through the Analyzer protocol as `pulumi policy analyze` sends it (Analyze per resource
 * with inputs, AnalyzeStack with outputs), the pack's diagnostics as violations, and the policy
 * config carrying the facts no stack holds.
 */
import { checklistIdOf } from "../../../policies/contract/checklist";
import { AnalyzerCallError, type AnalyzerResource, type AnalyzeResult, type Diagnostic, type PolicyPackClient, type PolicyPackConfig } from "../analyzer";
import { providerOf, stackOfUrn, type InstanceFacts } from "../stateFacts";
import { OTHER_INSTANCES_KEY, RETAINED_KEY } from "../../../policies/src/core/crossInstance";
import type { StateFile, StateResource } from "../stateFile";
import { mapLimit } from "../concurrency";
import { isObject, liveResources, strings } from "./input";
import { type AuditViolation } from "./types";


/** Properties of a state resource: its inputs (Analyze) or its outputs (AnalyzeStack), as `pulumi policy analyze` sends them. */
function propertiesOf(r: StateResource, which: "inputs" | "outputs"): Record<string, unknown> {
  const own = r[which];
  return isObject(own) ? own : {};
}

/**
 * One state resource as the engine describes it to an analyzer: inputs for Analyze, outputs for
 * AnalyzeStack (pkg/resource/deploy/analyze_snapshot.go); the provider's inputs either way.
 */
export function toAnalyzerResource(r: StateResource, byUrn: Map<string, StateResource>, which: "inputs" | "outputs" = "inputs"): AnalyzerResource {
  const extra = r as StateResource & Record<string, unknown>;
  const provider = providerOf(r.provider, byUrn);
  const timeouts = isObject(extra.customTimeouts) ? extra.customTimeouts : undefined;
  const propertyDependencies: Record<string, string[]> = {};
  if (isObject(extra.propertyDependencies)) {
    for (const [k, v] of Object.entries(extra.propertyDependencies)) propertyDependencies[k] = strings(v);
  }
  return {
    urn: r.urn,
    type: r.type,
    properties: propertiesOf(r, which),
    options: {
      protect: Boolean(r.protect),
      ignoreChanges: strings(extra.ignoreChanges),
      ...(typeof extra.deleteBeforeReplace === "boolean" ? { deleteBeforeReplace: extra.deleteBeforeReplace } : {}),
      additionalSecretOutputs: strings(extra.additionalSecretOutputs),
      aliases: strings(extra.aliases),
      customTimeouts: {
        create: typeof timeouts?.create === "number" ? timeouts.create : 0,
        update: typeof timeouts?.update === "number" ? timeouts.update : 0,
        delete: typeof timeouts?.delete === "number" ? timeouts.delete : 0,
      },
      ...(r.parent ? { parent: r.parent } : {}),
    },
    ...(provider
      ? {
          provider: {
            type: provider.type,
            name: provider.urn.slice(provider.urn.lastIndexOf("::") + 2),
            urn: provider.urn,
            properties: propertiesOf(provider, "inputs"),
          },
        }
      : {}),
    ...(r.parent ? { parent: r.parent } : {}),
    dependencies: strings(r.dependencies),
    propertyDependencies,
  };
}


/** A diagnostic's message without the policy description the SDK prepends to string reports. */
function messageOf(d: Diagnostic): string {
  const prefix = `${d.description}\n`;
  const message = d.description && d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message;
  return message.trim() || d.description;
}

function toViolation(d: Diagnostic, fallbackUrn: string): AuditViolation {
  return {
    policy: d.policyName,
    checklist: checklistIdOf(d.policyName),
    level: d.enforcementLevel === "mandatory" || d.enforcementLevel === "remediate" ? "mandatory" : "advisory",
    urn: d.urn || fallbackUrn,
    message: messageOf(d),
  };
}

/** A policy that threw fails the preview in the CLI; the audit records it as a mandatory violation. */
function errorViolation(err: AnalyzerCallError, fallbackUrn: string): AuditViolation {
  const m = err.details.match(/policy '([^']+)' from policy pack/);
  const policy = m ? m[1] : "policy-pack:error";
  const lines = err.details.split("\n").filter((l) => l.trim() && !/^\s+at /.test(l));
  return {
    policy,
    checklist: checklistIdOf(policy),
    level: "mandatory",
    urn: err.urn || fallbackUrn,
    message: `${err.method} failed, the policy threw: ${lines.slice(0, 3).join(" | ").slice(0, 500)}`,
  };
}

/**
 * Analyzes one state as `pulumi policy analyze` does: Analyze on every live resource (the stack
 * and providers included) with its inputs, then AnalyzeStack once with every resource's outputs.
 */
export async function analyzeState(
  client: PolicyPackClient,
  state: StateFile,
  fallbackUrn: string,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<{ violations: AuditViolation[]; analyzed: number }> {
  const resources = liveResources(state);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const perResource = resources.map((r) => toAnalyzerResource(r, byUrn, "inputs"));
  const stackWide = resources.map((r) => toAnalyzerResource(r, byUrn, "outputs"));
  const { stack, project } = stackOfUrn(resources[0]?.urn ?? "");
  try {
    await client.configureStack({ stack, project, dryRun: true });
  } catch (err) {
    // Packs built on an older @pulumi/policy do not implement ConfigureStack (UNIMPLEMENTED): the CLI goes on too.
    if (!(err instanceof AnalyzerCallError && err.code === 12)) throw err;
  }

  const violations: AuditViolation[] = [];
  let done = 0;
  const results = await mapLimit(perResource, 8, async (r): Promise<AnalyzeResult | AnalyzerCallError> => {
    try {
      return await client.analyze(r);
    } catch (err) {
      if (err instanceof AnalyzerCallError) return err;
      throw err;
    } finally {
      onProgress(++done, perResource.length);
    }
  });
  results.forEach((res, i) => {
    if (res instanceof AnalyzerCallError) violations.push(errorViolation(res, perResource[i].urn));
    else for (const d of res.diagnostics) violations.push(toViolation(d, perResource[i].urn));
  });
  try {
    const res = await client.analyzeStack(stackWide);
    for (const d of res.diagnostics) violations.push(toViolation(d, fallbackUrn));
  } catch (err) {
    if (!(err instanceof AnalyzerCallError)) throw err;
    violations.push(errorViolation(err, fallbackUrn));
  }
  return { violations, analyzed: perResource.length };
}

/**
 * The policy config for one state: the caller's, plus the facts no stack carries, for every
 * policy that takes them (by its config schema): the other instances' facts and the URNs the
 * state marks retainOnDelete.
 */
export function withStateFacts(policies: ReadonlyArray<{ name: string; configSchema?: { properties?: object } }>, base: PolicyPackConfig, others: InstanceFacts[], retained: string[]): PolicyPackConfig {
  const out: PolicyPackConfig = { ...base };
  for (const p of policies) {
    const schema = p.configSchema?.properties ?? {};
    const extra: Record<string, unknown> = {};
    if (OTHER_INSTANCES_KEY in schema) extra[OTHER_INSTANCES_KEY] = others;
    if (RETAINED_KEY in schema) extra[RETAINED_KEY] = retained;
    if (!Object.keys(extra).length) continue;
    const own = out[p.name];
    out[p.name] = { ...(typeof own === "string" ? { enforcementLevel: own } : (own ?? {})), ...extra };
  }
  return out;
}

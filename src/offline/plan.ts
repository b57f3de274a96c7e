/**
 * The offline plan: validate the config, run the program against the offline engine in preview
 * mode, and describe what it would build. `planStack` runs it as `pulumi preview` does (a spawned
 * `cmd/run` program, config from the stack file as the CLI builds it); `planInstance`
 * (./planInProcess) runs it in this process (tests, the benchmark). Both meet the same engine
 * model. This module loads no Pulumi SDK: the CLI reports a config error before any SDK loads.
 */
import type { InstanceConfig } from "../config/schema";
import { LABEL_NODE } from "../../policies/contract/labels";
import { firewallRules } from "../instance/firewall";
import { attestedRoles, nodeSecretPaths, roleName } from "../secrets/layout";
import { ATTESTATION_SERVICE, attestedAuthMount, isAttestedLogin } from "../../policies/contract/attestation";
import { instanceNodes } from "../config/validate";
import { PROJECT_ROOT, STACKS_DIR_ENV, type CliConfig } from "../config/stackFile";
import type { EngineModel, RecordedResource } from "./engine/model";
import { toStateFile, toStateResource, type StateFile } from "./stateFile";
import { runDeployChecks, type DeployCheckResult } from "../deployChecks";

export interface Plan {
  stack: string;
  config: InstanceConfig;
  resources: RecordedResource[];
  state: StateFile;
  /** What the clouds, providers and Vault would refuse at `pulumi up` (src/deployChecks). */
  deployChecks: DeployCheckResult;
}

/** The program's run did not complete: the engine refused a registration, or the program failed. */
export class PlanError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = "PlanError";
  }
}

export function planOf(model: EngineModel, stack: string, config: InstanceConfig): Plan {
  if (model.failures.length) {
    throw new PlanError(`the engine refused ${model.failures.length} registration(s):\n${model.failures.map((f) => `  - ${f}`).join("\n")}`, model.failures);
  }
  // The engine alone knows deleteBeforeReplace (exports do not hold it): the checks see it here.
  const deployChecks = runDeployChecks(model.resources.map((r) => ({ ...toStateResource(r, "keep"), deleteBeforeReplace: r.deleteBeforeReplace })));
  return { stack, config, resources: model.resources, state: toStateFile(model.resources, "zipnet-infra offline plan"), deployChecks };
}

/** The plan as `pulumi preview` runs the program: a `cmd/run` child against the offline engine's gRPC server. */
export async function planStack(config: InstanceConfig, stack: string, cli: CliConfig, opts: { stacksDir?: string; preview?: boolean } = {}): Promise<Plan> {
  // The engine's gRPC server loads only when a plan runs (a config error answers without it).
  const { runProgramProcess } = await import("./engine/programProcess");
  const run = await runProgramProcess({
    root: PROJECT_ROOT,
    stack,
    config: cli.config,
    secretKeys: cli.secretKeys,
    preview: opts.preview ?? true,
    ...(opts.stacksDir ? { env: { [STACKS_DIR_ENV]: opts.stacksDir } } : {}),
  });
  const errors = run.model.errors();
  if (run.exitCode !== 0 && run.model.failures.length === 0) {
    const why = errors.length ? errors.join("\n") : run.output.trim().split("\n").slice(-15).join("\n");
    throw new PlanError(`the program exited with code ${run.exitCode}:\n${why}`, errors.length ? errors : [why]);
  }
  return planOf(run.model, stack, config);
}

function ports(from: number, to: number): string {
  return from === to ? `${from}` : `${from}-${to}`;
}

/**
 * What the plan builds, for people: nodes per cloud and region, what the firewalls admit, the
 * Vault roles, and resource counts (by type under `verbose`). The deploy checks and the audit
 * follow it in the CLI's output.
 */
export function summarize(plan: Plan, opts: { verbose?: boolean } = {}): string {
  const { config, resources } = plan;
  const lines: string[] = [];
  lines.push(`instance ${config.name} (${config.posture}), stack ${plan.stack}`);
  lines.push("");
  lines.push("nodes:");
  for (const node of instanceNodes(config)) {
    const count = resources.filter((r) => r.urn.endsWith(`::${node.id}`) || r.parent.endsWith(`::${node.id}`)).length;
    lines.push(`  ${node.id.padEnd(8)} ${node.role.padEnd(10)} ${node.cloud.padEnd(5)} ${node.account} / ${node.region}${node.zone ? ` / ${node.zone}` : ""}  (${count} resources)`);
  }
  lines.push("");
  lines.push("firewall (the same on every node):");
  for (const rule of firewallRules(config)) {
    const arrow = rule.direction === "ingress" ? "in " : "out";
    lines.push(`  ${arrow} ${rule.protocol} ${ports(rule.fromPort, rule.toPort).padEnd(8)} ${rule.direction === "ingress" ? "from" : "to  "} ${rule.cidrs.join(", ")}`);
  }
  lines.push("  all other traffic denied, both directions (explicit deny-all rules; Azure defaults overridden)");
  lines.push("");
  lines.push(`vault: ${config.vault.address}${config.vault.namespace ? ` namespace ${config.vault.namespace}` : ""}, audit device ${config.vault.auditDevice}`);
  for (const node of instanceNodes(config)) {
    const reads = `reads ${Object.values(nodeSecretPaths(config, node)).join(", ")}`;
    if (isAttestedLogin(config.posture, node.role)) {
      const attested = attestedRoles(config, node);
      const roles = attested.length ? attested.map((r) => r.role).join(", ") : "none (no reference set for its platform and machine type)";
      lines.push(`  ${node.id.padEnd(8)} attested login (${ATTESTATION_SERVICE.name} TDX token) as ${roles} (${attestedAuthMount(config.name)}) ${reads}`);
    } else {
      lines.push(`  ${node.id.padEnd(8)} role ${roleName(config, node.id)} (${config.vault.authMounts[node.cloud]}) ${reads}`);
    }
  }
  lines.push("");
  const custom = resources.filter((r) => r.custom);
  const labelled = custom.filter((r) => JSON.stringify(r.inputs).includes(LABEL_NODE)).length;
  // The state (and so the audit) holds components too: say how the two counts relate.
  lines.push(
    `resources: ${custom.length} cloud resources and providers (${labelled} carry the zipnet labels) + ${resources.length - custom.length} components = ${resources.length} in the state${opts.verbose ? "" : " (--verbose lists them by type)"}`,
  );
  if (opts.verbose) {
    const byType = new Map<string, number>();
    for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    for (const [type, n] of [...byType].sort()) lines.push(`  ${String(n).padStart(3)} ${type}`);
  }
  return lines.join("\n");
}

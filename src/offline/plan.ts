/**
 * The offline plan: validate the config, run the program under the mock engine in preview
 * mode, and describe what it would build.
 */
import type { InstanceConfig } from "../config/schema";
import { LABEL_NODE } from "../contract/labels";
import { firewallRules } from "../instance/firewall";
import { nodeSecretPaths, roleName } from "../secrets/layout";
import { instanceNodes } from "../config/validate";
import { program } from "../program";
import { runOffline, type RecordedResource } from "./engine";
import { toStateFile, type StateFile } from "./stateFile";

export interface Plan {
  stack: string;
  config: InstanceConfig;
  resources: RecordedResource[];
  state: StateFile;
}

export async function planInstance(config: InstanceConfig, stack: string, opts: { preview?: boolean } = {}): Promise<Plan> {
  const run = await runOffline(() => program(config), { stack, preview: opts.preview ?? true });
  return { stack, config, resources: run.resources, state: toStateFile(run.resources, "zipnet-infra offline plan") };
}

function ports(from: number, to: number): string {
  return from === to ? `${from}` : `${from}-${to}`;
}

/** A readable summary: nodes per cloud and region, what the firewalls admit, Vault scopes, counts. */
export function summarize(plan: Plan): string {
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
  lines.push("firewall (every node):");
  for (const rule of firewallRules(config)) {
    const arrow = rule.direction === "ingress" ? "in " : "out";
    lines.push(`  ${arrow} ${rule.protocol} ${ports(rule.fromPort, rule.toPort).padEnd(8)} ${rule.direction === "ingress" ? "from" : "to  "} ${rule.cidrs.join(", ")}`);
  }
  lines.push("  all other traffic denied, both directions (explicit deny-all rules; Azure defaults overridden)");
  lines.push("");
  lines.push(`vault: ${config.vault.address}${config.vault.namespace ? ` namespace ${config.vault.namespace}` : ""}, audit device ${config.vault.auditDevice}`);
  for (const node of instanceNodes(config)) {
    lines.push(`  ${node.id.padEnd(8)} role ${roleName(config, node.id)} (${config.vault.authMounts[node.cloud]}) reads ${Object.values(nodeSecretPaths(config, node)).join(", ")}`);
  }
  lines.push("");
  const custom = resources.filter((r) => r.custom);
  const byType = new Map<string, number>();
  for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  lines.push(`resources: ${custom.length} (+ ${resources.length - custom.length} components)`);
  for (const [type, n] of [...byType].sort()) lines.push(`  ${String(n).padStart(3)} ${type}`);
  const labelled = custom.filter((r) => JSON.stringify(r.inputs).includes(LABEL_NODE)).length;
  lines.push(`  ${labelled} carry the zipnet labels`);
  return lines.join("\n");
}

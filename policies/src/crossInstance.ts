/**
 * Across instances (identity.instance-unique, scope.per-instance) and what the engine does not
 * send to packs (committee.disk-wipe: retainOnDelete). The facts these policies need from outside
 * the stack arrive as policy config; without them the policy says it cannot judge (advisory
 * "can't run"), it never passes:
 *  - `otherInstances`: the facts of every other instance (core/crossInstance.ts `InstanceFacts`);
 *    an empty list says there is none. The offline audit gives the other states' facts.
 *  - `retainedOnDelete`: the URNs the state marks `retainOnDelete`. The Analyzer protocol's
 *    AnalyzerResourceOptions has no such field (pulumi/pulumi proto/pulumi/analyzer.proto:
 *    protect, ignoreChanges, deleteBeforeReplace, additionalSecretOutputs, aliases,
 *    customTimeouts, parent), so only a state can tell; the offline plan and audit give it.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { LABEL_NODE } from "../contract/labels";
import { NODE_SECRET_HOLDERS } from "../contract/types";
import {
  OTHER_INSTANCES_KEY,
  RETAINED_KEY,
  crossInstanceFindings,
  instanceFacts,
  otherInstancesOf,
  type CrossAspect,
  type FactResource,
} from "./core/crossInstance";
import type { StackModel } from "./core/model";
import { raw, stackPolicies, type StackContext } from "./core/policy";
import type { ResourceView } from "./core/resources";

const OTHER_INSTANCES_CONFIG: PolicyConfigSchema = {
  properties: { [OTHER_INSTANCES_KEY]: { type: "array", description: "The facts of every other instance (name, universe, posture, fault domains, Vault stores); [] when there is none." } },
};

const NODE_COMPONENT_PREFIX = "zipnet:node:";

/** The stack's instance as facts, read by the same reader the audit uses for the other states. */
function selfFacts(m: StackModel) {
  const resources: FactResource[] = m.resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    ...(typeof r.props.id === "string" ? { id: r.props.id } : {}),
    props: r.props,
    labels: r.labels,
    ...(r.provider?.props ? { provider: r.provider.props } : {}),
  }));
  return instanceFacts(m.stackName(), resources, m.stackName());
}

function crossInstancePolicies(checklistId: string, aspect: CrossAspect, description: string) {
  return stackPolicies({
    checklistId,
    aspect,
    description,
    levels: "split",
    configSchema: OTHER_INSTANCES_CONFIG,
    check(m: StackModel, ctx: StackContext) {
      if (!m.records.length) return;
      const instance = m.records[0].r;
      const others = otherInstancesOf(ctx.config);
      if (!others) return ctx.unknown(instance, `${OTHER_INSTANCES_KEY} (policy config: the other instances' facts)`);
      const self = selfFacts(m);
      for (const f of crossInstanceFindings(others, self)) {
        if (f.aspect !== aspect) continue;
        ctx.fail({ ...instance, name: f.subject } as ResourceView, f.path, f.expected, raw(f.found), { posture: f.posture });
      }
    },
  });
}

export const [instanceUniqueAcross, instanceUniqueAcrossDevtest] = crossInstancePolicies(
  "identity.instance-unique",
  "cross-instance",
  "Across instances: no other instance in the same universe has this instance's name (the other instances' facts are policy config `otherInstances`).",
);

export const [faultDomainOwn, faultDomainOwnDevtest] = crossInstancePolicies(
  "scope.per-instance",
  "fault-domain",
  "Across instances: no node shares a fault domain (cloud, account, region) with a node of another instance.",
);

export const [vaultMountOwn, vaultMountOwnDevtest] = crossInstancePolicies(
  "scope.per-instance",
  "vault-mount",
  "Across instances: the instance's Vault mount is its own (no other instance uses that mount in the same namespace of the same Vault).",
);

export const [vaultNamespaceOwn, vaultNamespaceOwnDevtest] = crossInstancePolicies(
  "scope.per-instance",
  "vault-namespace",
  "Across instances: a non-root Vault namespace is the instance's own (no other instance uses it on the same Vault).",
);

/** The node a resource belongs to: its zipnet-node label, else its zipnet:node:* component ancestor. */
function nodeOf(m: StackModel, r: ResourceView): string | undefined {
  if (r.labels[LABEL_NODE]) return r.labels[LABEL_NODE];
  let p = r.parent ? m.byUrn.get(r.parent) : undefined;
  for (let depth = 0; p && depth < 64; depth++, p = p.parent ? m.byUrn.get(p.parent) : undefined) {
    if (p.type.startsWith(NODE_COMPONENT_PREFIX)) return p.urn.slice(p.urn.lastIndexOf("::") + 2);
  }
  return undefined;
}

export const [retainOnDelete] = stackPolicies({
  checklistId: "committee.disk-wipe",
  aspect: "retain-on-delete",
  description:
    "No node's VM, disk, snapshot or disk key is kept alive by retainOnDelete: a destroyed node leaves nothing. The engine does not send retainOnDelete to policy packs; the URNs marked so come as policy config `retainedOnDelete` (the offline plan and audit read them from the state).",
  levels: [{ posture: "any", level: "mandatory" }],
  configSchema: { properties: { [RETAINED_KEY]: { type: "array", items: { type: "string" }, description: "URNs of the resources the state marks retainOnDelete." } } },
  check(m, ctx) {
    const holders = m.resources.filter((r) => NODE_SECRET_HOLDERS.has(r.type)).map((r) => ({ r, node: nodeOf(m, r) })).filter((x) => x.node);
    if (!holders.length) return;
    const given = ctx.config[RETAINED_KEY];
    if (given === undefined) return ctx.unknown(undefined, `${RETAINED_KEY} (policy config: the engine does not send retainOnDelete to policy packs)`);
    if (!Array.isArray(given)) throw new Error(`policy config ${RETAINED_KEY}: expected a list of URNs, found ${typeof given}`);
    const retained = new Set(given);
    ctx.each(holders, ({ r, node }) => {
      if (retained.has(r.urn)) ctx.fail({ ...r, name: `${r.name} (node ${node})` }, "retainOnDelete", `unset (a node's ${r.type.split(":").pop()} must die with the node)`, true);
    });
  },
});

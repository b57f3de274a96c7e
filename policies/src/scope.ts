/**
 * scope.per-instance within one stack (across instances: ./crossInstance.ts): the
 * instance's secrets live in one Vault mount of its own, node policies reach no other mount,
 * and every node's resources use a provider (account) of that node only.
 */
import { LABEL_NODE } from "../contract/labels";
import { parsePolicyHcl } from "../lib/vaultAcl";
import { providerAccount } from "./core/model";
import { stackPolicies } from "./core/policy";
import { packageOfType } from "./core/resources";
import { nodeAccess } from "./core/vault";
import { at, str } from "./core/values";

export const [perInstance, perInstanceDevtest] = stackPolicies({
  checklistId: "scope.per-instance",
  description:
    "Within the stack, the instance is its own scope: its Vault KV secrets and kv mounts are the instance's one mount, node policies reach no path outside it, each node's resources use a provider no other node uses, in the node's own account.",
  levels: "split",
  check(m, ctx) {
    const mount = m.mount();
    if (mount) {
      ctx.each(m.ofType("vault:kv/secretV2:SecretV2"), (s) => {
        const sm = s.props.mount;
        if (typeof sm === "string" && sm.replace(/\/+$/, "") !== mount) ctx.fail(s, "mount", `the instance's mount "${mount}"`, sm);
      });
      ctx.each(m.ofType("vault:index/mount:Mount"), (mt) => {
        const path = mt.props.path;
        const type = mt.props.type;
        if (typeof path === "string" && (type === "kv" || type === "kv-v2") && path.replace(/\/+$/, "") !== mount) {
          ctx.fail(mt, "path", `one KV mount per instance ("${mount}")`, path);
        }
      });
      ctx.each(m.nodeVms(), (vm) => {
        const access = nodeAccess(m, vm);
        if (!access) return;
        for (const { res } of access.policies) {
          const hcl = res.props.policy;
          if (typeof hcl !== "string") continue;
          let rules: Array<{ path: string }> = [];
          try {
            rules = parsePolicyHcl(String(res.props.name ?? res.name), hcl).rules;
          } catch {
            continue;
          }
          for (const rule of rules) {
            if (!rule.path.startsWith(`${mount}/`)) ctx.fail(res, "policy", `paths inside the instance's mount ${mount}/ only`, rule.path, { posture: m.postureOf(vm.r) });
          }
        }
      });
    }
    // Providers: one per node, in the node's account.
    const byProvider = new Map<string, string>();
    ctx.each(m.resources, (r) => {
      const node = r.labels[LABEL_NODE];
      const provider = r.provider?.urn;
      if (!node || !provider || packageOfType(r.type) === "vault") return;
      const other = byProvider.get(provider);
      if (other && other !== node) ctx.fail(r, "provider", `a provider of node ${node}'s own (shared with node ${other})`, r.provider?.name ?? provider);
      else byProvider.set(provider, node);
      const want = str(at(m.recordNode(node), "account"));
      const have = providerAccount(r);
      if (want && have && want.toLowerCase() !== have.toLowerCase()) ctx.fail(r, "provider account", `node ${node}'s own account ${want}`, have);
    });
  },
});

/**
 * A node's Vault access as the stack declares it: the auth role its boot contract logs in
 * with, that role's token policies, and those policies parsed with the ACL evaluator.
 */
import { can, parsePolicyHcl, type VaultPolicy } from "../../lib/vaultAcl";
import { scopedName } from "../../contract/vault";
import { isRoleOf } from "../../contract/attestation";
import type { StackModel, Vm } from "./model";
import type { ResourceView } from "./resources";
import { at, isUnknown, str, strings } from "./values";

export interface NodeAccess {
  roleName: string;
  roles: ResourceView[];
  /** Token policy names (besides Vault's `default`). */
  policyNames: string[];
  /** Parsed policies, with the resource each came from. */
  policies: Array<{ res: ResourceView; policy: VaultPolicy }>;
  /** Token policies the stack does not define (cannot be judged). */
  missing: string[];
  /** Policies whose HCL does not parse, or is unknown. */
  problems: Array<{ res: ResourceView; error: string }>;
  unknown: boolean;
}

/** A node's auth role / policy name when its boot contract does not say (the program's naming). */
export function conventionalName(instance: string | undefined, node: string | undefined): string | undefined {
  return instance && node ? scopedName(instance, node) : undefined;
}

export function vmRoleName(vm: Vm): string | undefined {
  return str(at(vm.boot.contract, "vault", "role")) ?? conventionalName(vm.instance, vm.node);
}

/**
 * The node's access, through every role it can log in with: the one its boot contract names, and
 * every role under its scoped name (an attested node has one per reference set, and its boot
 * contract names the first). Undefined when the stack holds no auth role for it.
 */
export function nodeAccess(m: StackModel, vm: Vm): NodeAccess | undefined {
  const roleName = vmRoleName(vm);
  if (!roleName) return undefined;
  const scoped = conventionalName(vm.instance, vm.node) ?? roleName;
  const isNodes = (n: unknown) => typeof n === "string" && (n === roleName || isRoleOf(n, scoped));
  const roles = m.authRoles().filter((r) => [r.props.role, r.props.roleName].some(isNodes));
  if (roles.length === 0) return undefined;
  return accessOfRoles(m, roles, roleName);
}

/** What a token issued by `roles` can do: their token policies, parsed. */
export function accessOfRoles(m: StackModel, roles: ResourceView[], roleName: string): NodeAccess {
  let unknown = false;
  const names = new Set<string>();
  for (const r of roles) {
    for (const key of ["tokenPolicies", "policies"]) {
      const v = r.props[key];
      if (isUnknown(v) || (Array.isArray(v) && v.some(isUnknown))) unknown = true;
      for (const n of strings(v)) if (n !== "default") names.add(n);
    }
  }
  const policies: NodeAccess["policies"] = [];
  const problems: NodeAccess["problems"] = [];
  const missing: string[] = [];
  for (const name of names) {
    const res = m.vaultPolicies().filter((p) => p.props.name === name);
    if (res.length === 0) {
      missing.push(name);
      continue;
    }
    for (const p of res) {
      const hcl = p.props.policy;
      if (typeof hcl !== "string") {
        unknown = true;
        continue;
      }
      try {
        policies.push({ res: p, policy: parsePolicyHcl(name, hcl) });
      } catch (e) {
        problems.push({ res: p, error: (e as Error).message });
      }
    }
  }
  return { roleName, roles, policyNames: [...names], policies, missing, problems, unknown };
}

/** Whether the policies grant `capability` on `path`. */
export function grants(access: NodeAccess, path: string, capability: "read" | "list" | "update" = "read"): boolean {
  return can(access.policies.map((p) => p.policy), path, capability);
}

/** The policy resources that, each alone, grant `capability` on `path`. */
export function grantingPolicies(access: NodeAccess, path: string, capability: "read" | "list" | "update" = "read"): ResourceView[] {
  return access.policies.filter((p) => can([p.policy], path, capability)).map((p) => p.res);
}

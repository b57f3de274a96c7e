/**
 * The deploying token's policy in docs/vault.md against every Vault API call the provider makes
 * for the plan (terraform-provider-vault: the child token, mounts, KV config and data, policies,
 * auth roles, the audit device), judged with the project's evaluator of Vault's ACL rules.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { can, parsePolicyHcl, type Capability } from "../policies/lib/vaultAcl";
import { VAULT_JWT_MOUNT } from "../policies/contract/types";
import { examplePlan, ofType } from "./support/plans";

function docPolicy() {
  const doc = readFileSync(path.join(__dirname, "..", "docs", "vault.md"), "utf8");
  const hcl = doc.match(/```hcl\n([\s\S]*?)```/)![1];
  return parsePolicyHcl("zipnet-deployer", hcl);
}

describe("the deployer policy in docs/vault.md", () => {
  it("grants every call the provider makes for acme.mainnet, and nothing under another instance", async () => {
    const { resources } = await examplePlan("acme.mainnet");
    const calls: Array<[string, Capability[]]> = [["auth/token/create", ["update"]]];
    for (const m of ofType(resources, "vault:index/mount:Mount")) calls.push([`sys/mounts/${(m.inputs as any).path}`, ["create", "read", "update", "delete"]]);
    for (const c of ofType(resources, "vault:kv/secretBackendV2:SecretBackendV2")) calls.push([`${(c.inputs as any).mount}/config`, ["create", "read", "update"]]);
    for (const s of ofType(resources, "vault:kv/secretV2:SecretV2")) {
      const { mount, name } = s.inputs as any;
      calls.push([`${mount}/data/${name}`, ["create", "read", "update"]], [`${mount}/metadata/${name}`, ["read", "delete"]]);
    }
    for (const p of ofType(resources, "vault:index/policy:Policy")) calls.push([`sys/policies/acl/${(p.inputs as any).name}`, ["create", "read", "update", "delete"]]);
    for (const r of resources.filter((x) => /^vault:[a-z]+\/authBackendRole:AuthBackendRole$/.test(x.type))) {
      const { backend, role, roleName } = r.inputs as any;
      calls.push([`auth/${backend}/role/${role ?? roleName}`, ["create", "read", "update", "delete"]]);
    }
    // vault_jwt_auth_backend (terraform-provider-vault resource_jwt_auth_backend.go): enable and read the
    // mount (sys/auth/<path>, sudo), write and read its config, read its tune (sys/mounts/auth/<path>/tune).
    const jwtMounts = ofType(resources, VAULT_JWT_MOUNT);
    expect(jwtMounts).toHaveLength(1);
    for (const j of jwtMounts) {
      const p = (j.inputs as any).path;
      calls.push([`sys/auth/${p}`, ["create", "read", "update", "delete", "sudo"]], [`auth/${p}/config`, ["create", "read", "update"]], [`sys/mounts/auth/${p}/tune`, ["read"]]);
    }
    for (const a of ofType(resources, "vault:index/audit:Audit")) calls.push([`sys/audit/${(a.inputs as any).path}`, ["create", "update", "delete", "sudo"]], ["sys/audit", ["read", "sudo"]]);
    expect(calls.length).toBeGreaterThan(15);
    const policy = docPolicy();
    const missing = calls.flatMap(([p, caps]) => caps.filter((c) => !can([policy], p, c)).map((c) => `${c} ${p}`));
    expect(missing).toEqual([]);
    // scoped to the instance: another instance's mount, policies and roles stay out of reach
    for (const p of ["sys/mounts/zipnet/acme.preview", "zipnet/acme.preview/data/committee", "sys/policies/acl/zipnet.acme.preview.p1", "auth/gcp/role/zipnet.acme.preview.p1", "sys/auth/zipnet-attest/acme.preview", "auth/zipnet-attest/acme.mainnet/role/zipnet.acme.preview.p1_x"]) {
      expect(can([policy], p, "update"), p).toBe(false);
    }
  });
});

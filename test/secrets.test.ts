/**
 * The instance's Vault scope: the access matrix its policies grant (checked with the Vault ACL
 * evaluator), auth roles bound to node identities, secrets never in plain, no sharing between
 * instances, and rotation as a stack update that changes exactly two resources.
 */
import { describe, expect, it } from "vitest";
import { parsePolicyHcl, can, type Capability, type VaultPolicy } from "../policies/lib/vaultAcl";
import { instanceNodes } from "../src/config/validate";
import type { RecordedResource } from "../src/offline/engine/model";
import { planInstance } from "../src/offline/planInProcess";
import { COMMITTEE_KEY, mountPath, nodeKey, roleName } from "../src/secrets/layout";
import { ATTESTATION_SERVICE, CLAIMS, attestedAuthMount, isRoleOf } from "../policies/contract/attestation";
import { VAULT_JWT_MOUNT, VAULT_JWT_ROLE } from "../policies/contract/types";
import { EXAMPLE_STACKS, diffPlans, examplePlan, exampleConfig, isSecret, ofType, ownerOf, plainStrings } from "./support/plans";

const OPERATIONS: Capability[] = ["read", "create", "update", "delete", "list"];
const CLOUD_ROLE_TYPES = ["vault:gcp/authBackendRole:AuthBackendRole", "vault:azure/authBackendRole:AuthBackendRole", "vault:aws/authBackendRole:AuthBackendRole"];
const JWT_ROLE_TYPE = VAULT_JWT_ROLE;
const ROLE_TYPES = [...CLOUD_ROLE_TYPES, JWT_ROLE_TYPE];

/** The role's name (cloud roles: `role`; JWT roles: `roleName`) and the node it belongs to. */
const roleNameOf = (r: RecordedResource): string => (r.inputs as any).role ?? (r.inputs as any).roleName;

function vaultPolicies(resources: RecordedResource[]): Map<string, VaultPolicy> {
  return new Map(
    ofType(resources, "vault:index/policy:Policy").map((r) => {
      const { name, policy } = r.inputs as { name: string; policy: string };
      return [name, parsePolicyHcl(name, policy)];
    }),
  );
}

/** Every API path of the instance's secrets a principal could touch, by operation style. */
function secretPaths(mount: string, keys: string[]): string[] {
  return keys.flatMap((k) => [`${mount}/data/${k}`, `${mount}/metadata/${k}`, `${mount}/delete/${k}`, `${mount}/undelete/${k}`, `${mount}/destroy/${k}`]).concat([`${mount}/metadata/`, `${mount}/metadata/nodes/`, `${mount}/config`]);
}

describe.each(EXAMPLE_STACKS)("%s vault scope", (stack) => {
  it("grants exactly: each node reads its own secret, committee servers also the committee secret, nobody writes or lists", async () => {
    const { resources, config } = await examplePlan(stack);
    const policies = vaultPolicies(resources);
    const mount = mountPath(config);
    const nodes = instanceNodes(config);
    const paths = secretPaths(mount, [COMMITTEE_KEY, ...nodes.map((n) => nodeKey(n.id))]);
    const roles = ROLE_TYPES.flatMap((t) => ofType(resources, t));
    // Every node has a role: one per reference set for an attested committee server (one set each here).
    expect(nodes.every((n) => roles.some((r) => isRoleOf(roleNameOf(r), roleName(config, n.id))))).toBe(true);
    expect(roles).toHaveLength(nodes.length);

    let cells = 0;
    for (const role of roles) {
      const inputs = role.inputs as { tokenPolicies: string[]; tokenNoDefaultPolicy: boolean };
      const node = nodes.find((n) => isRoleOf(roleNameOf(role), roleName(config, n.id)))!;
      expect(inputs.tokenNoDefaultPolicy).toBe(true);
      const held = inputs.tokenPolicies.map((name) => policies.get(name)!);
      expect(held.every(Boolean)).toBe(true);
      for (const path of paths) {
        for (const op of OPERATIONS) {
          const expected =
            op === "read" && (path === `${mount}/data/${nodeKey(node.id)}` || (node.role === "committee" && path === `${mount}/data/${COMMITTEE_KEY}`));
          expect(can(held, path, op), `${node.id} ${op} ${path}`).toBe(expected);
          cells++;
        }
      }
    }
    expect(cells).toBe(roles.length * paths.length * OPERATIONS.length);
  });

  it("in production opens no committee secret through a cloud identity: only attested JWT roles read them", async () => {
    const { resources, config } = await examplePlan(stack);
    const policies = vaultPolicies(resources);
    const mount = mountPath(config);
    const committeePaths = [`${mount}/data/${COMMITTEE_KEY}`, ...config.committee.map((n) => `${mount}/data/${nodeKey(n.id)}`)];
    const readers = ROLE_TYPES.flatMap((t) => ofType(resources, t)).filter((r) => committeePaths.some((p) => can((r.inputs as any).tokenPolicies.map((n: string) => policies.get(n)!), p, "read")));
    expect(readers.length).toBeGreaterThanOrEqual(config.committee.length);
    const cloud = readers.filter((r) => r.type !== JWT_ROLE_TYPE).map(roleNameOf);
    if (config.posture === "production") {
      expect(cloud).toEqual([]);
      const [mountResource] = ofType(resources, VAULT_JWT_MOUNT);
      expect(mountResource.inputs).toMatchObject({ path: attestedAuthMount(config.name), boundIssuer: ATTESTATION_SERVICE.issuer, jwksUrl: ATTESTATION_SERVICE.jwksUrl });
      for (const r of readers) expect((r.inputs as any).backend).toBe(attestedAuthMount(config.name));
    } else {
      // devtest: committee servers keep their cloud-identity roles, and no attested mount exists
      expect(cloud.sort()).toEqual(config.committee.map((n) => roleName(config, n.id)).sort());
      expect(ofType(resources, VAULT_JWT_MOUNT)).toEqual([]);
    }
  });

  it("never lets the aggregator read the committee secret", async () => {
    const { resources, config } = await examplePlan(stack);
    const policies = vaultPolicies(resources);
    const aggregatorRole = ROLE_TYPES.flatMap((t) => ofType(resources, t)).find((r) => roleNameOf(r) === roleName(config, config.aggregator!.id))!;
    const held = (aggregatorRole.inputs as any).tokenPolicies.map((n: string) => policies.get(n)!);
    expect(can(held, `${mountPath(config)}/data/${COMMITTEE_KEY}`, "read")).toBe(false);
    expect(JSON.stringify(held)).not.toContain(COMMITTEE_KEY);
  });

  it("binds each node's auth role to that node's own identity and account, with short-lived tokens", async () => {
    const { resources, config } = await examplePlan(stack);
    for (const node of instanceNodes(config)) {
      const role = ROLE_TYPES.flatMap((t) => ofType(resources, t)).find((r) => isRoleOf(roleNameOf(r), roleName(config, node.id)))!;
      const i = role.inputs as any;
      expect(i.tokenTtl).toBeLessThanOrEqual(3600);
      expect(i.tokenMaxTtl).toBe(i.tokenTtl);
      const mine = resources.filter((r) => ownerOf(r) === node.id);
      if (role.type === JWT_ROLE_TYPE) {
        // attested (test/attestation.test.ts judges its claims): bound to this node and its reserved address
        expect(config.posture).toBe("production");
        expect(i.boundClaims[CLAIMS.runtime("node")]).toBe(node.id);
        const [address] = ofType(mine, "gcp:compute/address:Address");
        expect(ofType(mine, "gcp:compute/address:Address")).toHaveLength(1);
        // The role's CIDR and the VM's public address are both that one reserved address.
        expect(role.propertyDependencies.tokenBoundCidrs).toEqual([address.urn]);
        expect(ofType(mine, "gcp:compute/instance:Instance")[0].propertyDependencies.networkInterfaces).toContain(address.urn);
        continue;
      }
      if (node.cloud === "gcp") {
        const vm = ofType(mine, "gcp:compute/instance:Instance")[0].inputs as any;
        expect(i.type).toBe("gce");
        expect(i.boundServiceAccounts).toEqual([vm.serviceAccount.email]);
        expect(i.boundProjects).toEqual([node.account]);
      }
      if (node.cloud === "azure") {
        expect(i.boundSubscriptionIds).toEqual([node.account]);
        expect(i.boundServicePrincipalIds).toHaveLength(1);
        expect(i.boundServicePrincipalIds[0]).toMatch(/^[0-9a-f-]{36}$/);
      }
      if (node.cloud === "aws") {
        expect(i.authType).toBe("iam");
        expect(i.boundIamPrincipalArns).toEqual([expect.stringMatching(new RegExp(`^arn:aws:iam::${node.account}:role/`))]);
      }
    }
  });

  it("names each node's role and secret paths in its boot contract, and nothing secret", async () => {
    const { resources, config } = await examplePlan(stack);
    for (const node of instanceNodes(config)) {
      const vm = resources.find((r) => ownerOf(r) === node.id && /Instance$|VirtualMachine$/.test(r.type))!;
      const i = vm.inputs as any;
      const raw = i.metadata?.["user-data"] ?? (node.cloud === "azure" ? Buffer.from(i.userData, "base64").toString() : i.userData);
      const contract = JSON.parse(raw);
      // attested nodes log in as their first reference set's role (attestation.roles lists each set's)
      expect(contract.vault.role).toBe(contract.attestation ? contract.attestation.roles[0].role : `zipnet.${config.name}.${node.id}`);
      if (contract.attestation) expect(contract.vault.role).toBe(`zipnet.${config.name}.${node.id}_server-v1.4.0-c3-standard-4`);
      expect(contract.vault.secrets.map((s: any) => s.path).sort()).toEqual(
        (node.role === "committee" ? [`${mountPath(config)}/data/${COMMITTEE_KEY}`] : []).concat(`${mountPath(config)}/data/${nodeKey(node.id)}`).sort(),
      );
      expect(Object.keys(contract.env).filter((k) => /SECRET/.test(k)).every((k) => k.endsWith("_FILE"))).toBe(true);
    }
  });

  it("keeps every secret value a Pulumi secret, present only in the secret store's own resources", async () => {
    // An update (not a preview): the random values are known, so we can follow where they go.
    const { resources } = await planInstance(exampleConfig(stack), stack, { preview: false });
    const kv = ofType(resources, "vault:kv/secretV2:SecretV2");
    expect(kv.length).toBeGreaterThan(3);
    const values = kv.map((r) => {
      expect(isSecret(r.inputs.dataJson), r.urn).toBe(true);
      return JSON.parse((r.inputs.dataJson as any).value).value as string;
    });
    for (const v of values) expect(Buffer.from(v, "base64")).toHaveLength(32);
    expect(new Set(values).size).toBe(values.length);
    for (const r of resources) {
      for (const leaf of plainStrings(r.inputs)) {
        for (const v of values) expect(leaf.value.includes(v), `${r.urn} ${leaf.path}`).toBe(false);
      }
    }
  });

  it("configures the mount with check-and-set and several versions (the previous one stays readable)", async () => {
    const { resources, config } = await examplePlan(stack);
    const [mount] = ofType(resources, "vault:index/mount:Mount");
    expect(mount.inputs).toMatchObject({ path: mountPath(config), type: "kv", options: { version: "2" } });
    const [backend] = ofType(resources, "vault:kv/secretBackendV2:SecretBackendV2");
    expect((backend.inputs as any).casRequired).toBe(true);
    expect((backend.inputs as any).maxVersions).toBeGreaterThanOrEqual(2);
    for (const kv of ofType(resources, "vault:kv/secretV2:SecretV2")) expect((kv.inputs as any).deleteAllVersions).toBe(true);
  });
});

describe("instances never share a secret scope", () => {
  it("gives the two example instances distinct mounts, paths, policies and roles", async () => {
    const [a, b] = await Promise.all(EXAMPLE_STACKS.map((s) => examplePlan(s)));
    const names = (p: typeof a) =>
      new Set(
        p.resources
          .filter((r) => r.type.startsWith("vault:"))
          .flatMap((r) => [(r.inputs as any).path, (r.inputs as any).name, (r.inputs as any).role].filter((x) => typeof x === "string"))
          .map((x: string) => (x.startsWith("nodes/") || x === COMMITTEE_KEY ? `${(p.config.vault.mount ?? mountPath(p.config))}/${x}` : x)),
      );
    const shared = [...names(a)].filter((n) => names(b).has(n));
    expect(shared).toEqual([]);
  });

  it("derives different default mounts for names that differ only in dots and dashes", () => {
    const m = (name: string) => mountPath({ name, vault: {} as any });
    expect(m("acme.main-net")).not.toBe(m("acme-main.net"));
  });
});

describe("rotation as a stack update", () => {
  async function plans(stack: string, bump: (raw: any) => void) {
    const before = await planInstance(exampleConfig(stack), stack);
    const after = await planInstance(exampleConfig(stack, bump), stack);
    return diffPlans(before.resources, after.resources);
  }

  it("bumping the committee epoch changes only the committee secret's random value and its KV secret", async () => {
    const diff = await plans("acme.mainnet", (raw) => (raw.rotation.committeeEpoch += 1));
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed.map((u) => u.split("::").pop()).sort()).toEqual(["secrets-committee", "secrets-committee-value"]);
  });

  it("each KV write carries what Vault's check-and-set requires: options.cas, the version it replaces", async () => {
    // vault-plugin-secrets-kv path_data.go validateCheckAndSetOption reads options["cas"] only,
    // and the provider sends its `options` argument as the request's options.
    for (const epoch of [0, 1, 7]) {
      const plan = await planInstance(exampleConfig("acme.mainnet", (raw) => (raw.rotation.committeeEpoch = epoch)), "acme.mainnet");
      const committee = plan.resources.find((r) => r.urn.endsWith("::secrets-committee"))!;
      expect(committee.inputs.options).toEqual({ cas: String(epoch) });
      // the KV version before this write is the epoch (first write: version 0, the secret does not exist yet)
      expect(committee.inputs).not.toHaveProperty("cas");
    }
  });

  it("bumping one node's epoch changes only that node's random value and its KV secret", async () => {
    const diff = await plans("acme.preview", (raw) => (raw.rotation.nodeEpochs = { p2: 1 }));
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed.map((u) => u.split("::").pop()).sort()).toEqual(["secrets-p2-secret", "secrets-p2-secret-value"]);
  });
});

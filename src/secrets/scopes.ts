/**
 * The instance's Vault scope: its own KV v2 mount, the committee secret, one secret per node,
 * one policy and one cloud auth role per node, and the audit device. Everything goes through
 * an explicit `vault.Provider` built from the instance's `vault` config.
 *
 * Rotation is a stack update: each secret's random value is keyed on its epoch, so bumping
 * `rotation.committeeEpoch` (or `rotation.nodeEpochs.<id>`) replaces that random value and
 * writes one new KV version; nothing else changes. The mount requires check-and-set, and each
 * write's `options.cas` is the epoch: a secret's KV version is epoch + 1 (epochs start at 0, +1
 * per rotation), so a write racing a hand edit fails instead of overwriting it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type * as vault from "@pulumi/vault";
import { vaultSdk } from "../sdk/load";
import type { Cloud, InstanceConfig, InstanceNode } from "../config/schema";
import { ATTESTATION_SERVICE, attestedAuthMount, attestedBoundClaims, CLAIMS, encodeBoundClaims, isAttestedLogin, singleAddressCidr } from "../../policies/contract/attestation";
import { COMMITTEE_KEY, attestedNode, attestedRoles, auditPath, mountPath, nodeKey, nodePolicyHcl, policyName, roleName } from "./layout";

/** Versions kept per secret: the previous one stays readable for rollback. */
export const KV_MAX_VERSIONS = 5;
/** Bytes of entropy in each generated secret. */
export const SECRET_BYTES = 32;

/** A node as the secret scopes need it: its role and the identity its VM logs in with. */
export interface ScopedNode {
  /** The node (id, role, cloud, account, region, zone). */
  node: InstanceNode;
  /** GCP service account email, Azure principal id, or AWS role ARN. */
  identity: pulumi.Input<string>;
  /** Zone the VM runs in (GCP binds the role to it). */
  zone?: string;
  /** The VM's reserved public address: an attested login is accepted only from it. */
  address: pulumi.Input<string>;
}

export interface SecretScopesArgs {
  /** The validated instance config. */
  instance: InstanceConfig;
  /** Every node of the instance (of a federated stack: this operator's). */
  nodes: ScopedNode[];
  /**
   * A federated stack's committee secret, imported from its sealed copy (base64, a Pulumi secret).
   * A federated stack without committee servers holds no committee secret at all.
   */
  committeeSecret?: pulumi.Output<string>;
}

export class SecretScopes extends pulumi.ComponentResource {
  /** The instance's KV v2 mount path. */
  public readonly mount: pulumi.Output<string>;
  /** Vault role names per node id: its cloud-identity role, or one attested role per reference set. */
  public readonly roles: Record<string, string[]>;

  constructor(name: string, args: SecretScopesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("zipnet:secrets:SecretScopes", name, { mount: mountPath(args.instance) }, opts);
    const sdk = vaultSdk();
    const { instance } = args;

    const provider = new sdk.Provider(
      `${name}-vault`,
      { address: instance.vault.address, ...(instance.vault.namespace ? { namespace: instance.vault.namespace } : {}), skipTlsVerify: false },
      { parent: this },
    );
    const o = { parent: this, provider };

    const mount = new sdk.Mount(
      `${name}-kv`,
      { path: mountPath(instance), type: "kv", options: { version: "2" }, description: `zipnet ${instance.name}: committee and node secrets` },
      o,
    );
    const kvConfig = new sdk.kv.SecretBackendV2(`${name}-kv-config`, { mount: mount.path, maxVersions: KV_MAX_VERSIONS, casRequired: true }, o);

    const writeSecret = (resourceName: string, key: string, epoch: number, imported?: pulumi.Output<string>) => {
      // Its own package's (default) provider: the engine sends a resource's Check to the provider
      // it names, and the vault plugin refuses a random type (pulumi/pulumi#5989).
      const value = imported ? { base64: imported } : new random.RandomBytes(`${resourceName}-value`, { length: SECRET_BYTES, keepers: { epoch: String(epoch) } }, { parent: this });
      return new sdk.kv.SecretV2(
        resourceName,
        {
          mount: mount.path,
          name: key,
          // KV v2 reads check-and-set from the request's `options.cas` only; the provider sends its
          // `cas` argument top-level, where Vault ignores it, and sends `options` as written
          // (terraform-provider-vault vault/resource_kv_secret_v2.go; vault-plugin-secrets-kv
          // path_data.go validateCheckAndSetOption; terraform-provider-vault#1727, #2472).
          options: { cas: String(epoch) },
          deleteAllVersions: true,
          dataJson: pulumi.secret(pulumi.jsonStringify({ value: value.base64 })),
        },
        { ...o, dependsOn: [kvConfig] },
      );
    };
    if (!instance.federation) writeSecret(`${name}-committee`, COMMITTEE_KEY, instance.rotation.committeeEpoch);
    else if (args.committeeSecret) writeSecret(`${name}-committee`, COMMITTEE_KEY, instance.rotation.committeeEpoch, args.committeeSecret);
    else if (args.nodes.some((n) => n.node.role === "committee")) throw new Error("a federated stack with committee servers needs its imported committee secret");

    this.roles = {};
    let attestMount: vault.jwt.AuthBackend | undefined;
    for (const { node, identity, zone, address } of args.nodes) {
      writeSecret(`${name}-${node.id}-secret`, nodeKey(node.id), instance.rotation.nodeEpochs[node.id] ?? 0);
      const policy = new sdk.Policy(`${name}-${node.id}-policy`, { name: policyName(instance, node.id), policy: nodePolicyHcl(instance, node) }, o);
      if (isAttestedLogin(instance.posture, node.role)) {
        attestMount ??= attestedBackend(`${name}-attest`, instance, o);
        // The mount's path is known from the config; the role waits for the mount to exist.
        const roleOpts = { ...o, dependsOn: [attestMount] };
        this.roles[node.id] = createAttestedRoles(`${name}-${node.id}`, instance, node, { backend: attestedAuthMount(instance.name), address, policy: policy.name, ttl: instance.vault.tokenTtlSeconds }, roleOpts);
        continue;
      }
      const role = roleName(instance, node.id);
      this.roles[node.id] = [role];
      authRole(node.cloud, `${name}-${node.id}-role`, {
        backend: instance.vault.authMounts[node.cloud],
        role,
        identity,
        account: node.account,
        zone,
        policy: policy.name,
        ttl: instance.vault.tokenTtlSeconds,
      }, o);
    }

    if (instance.vault.auditDevice === "managed") {
      new sdk.Audit(
        `${name}-audit`,
        {
          type: "file",
          path: auditPath(instance),
          description: `zipnet ${instance.name}: every secret read is recorded`,
          options: { file_path: instance.vault.auditFilePath ?? `/var/log/vault/${auditPath(instance)}.audit.log`, log_raw: "false" },
        },
        o,
      );
    }

    this.mount = mount.path;
    this.registerOutputs({ mount: this.mount, roles: this.roles });
  }
}

/**
 * The instance's JWT auth mount for attested logins: tokens of the attestation service only,
 * checked against its published keys and issuer (Vault checks `iss` only with bound_issuer:
 * vault-plugin-auth-jwt path_config.go).
 */
function attestedBackend(name: string, instance: InstanceConfig, opts: pulumi.CustomResourceOptions): vault.jwt.AuthBackend {
  const sdk = vaultSdk();
  return new sdk.jwt.AuthBackend(
    name,
    {
      path: attestedAuthMount(instance.name),
      type: "jwt",
      description: `zipnet ${instance.name}: committee logins with an ${ATTESTATION_SERVICE.name} TDX token`,
      jwksUrl: ATTESTATION_SERVICE.jwksUrl,
      boundIssuer: ATTESTATION_SERVICE.issuer,
      jwtSupportedAlgs: [...ATTESTATION_SERVICE.algorithms],
    },
    opts,
  );
}

interface AttestedRoleSpec {
  backend: string;
  address: pulumi.Input<string>;
  policy: pulumi.Input<string>;
  ttl: number;
}

/**
 * One JWT role per reference set of the node's platform and machine type: a role binds one set's
 * registers together (Vault ORs the values listed under one claim, so two sets in one role would
 * accept one set's MR_TD with another's RTMRs).
 */
function createAttestedRoles(name: string, instance: InstanceConfig, node: InstanceNode, spec: AttestedRoleSpec, opts: pulumi.CustomResourceOptions): string[] {
  const sdk = vaultSdk();
  return attestedRoles(instance, node).map(({ set, role: roleName }, i) => {
    const bound = attestedBoundClaims({ ...attestedNode(instance, node), set });
    new sdk.jwt.AuthBackendRole(
      `${name}-role-${i}`,
      {
        backend: spec.backend,
        roleName,
        roleType: "jwt",
        userClaim: CLAIMS.runtime("node"),
        userClaimJsonPointer: true,
        boundClaims: encodeBoundClaims(bound),
        boundClaimsType: "string",
        // The node's reserved address: the one cloud-issued fact a login can be tied to besides the token.
        tokenBoundCidrs: [pulumi.interpolate`${spec.address}`.apply(singleAddressCidr)],
        tokenPolicies: [spec.policy],
        tokenNoDefaultPolicy: true,
        tokenTtl: spec.ttl,
        tokenMaxTtl: spec.ttl,
      },
      opts,
    );
    return roleName;
  });
}

interface AuthRoleSpec {
  backend: string;
  role: string;
  identity: pulumi.Input<string>;
  account: string;
  zone?: string;
  policy: pulumi.Input<string>;
  ttl: number;
}

/** Short-lived tokens carrying only the node's policy (no `default` policy). */
function tokenSettings(spec: AuthRoleSpec) {
  return { tokenPolicies: [spec.policy], tokenNoDefaultPolicy: true, tokenTtl: spec.ttl, tokenMaxTtl: spec.ttl };
}

/** The node's role on its cloud's auth backend, bound to its VM identity and account. */
function authRole(cloud: Cloud, name: string, spec: AuthRoleSpec, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const sdk = vaultSdk();
  switch (cloud) {
    case "gcp":
      return new sdk.gcp.AuthBackendRole(
        name,
        {
          backend: spec.backend,
          role: spec.role,
          type: "gce",
          boundServiceAccounts: [spec.identity],
          boundProjects: [spec.account],
          ...(spec.zone ? { boundZones: [spec.zone] } : {}),
          ...tokenSettings(spec),
        },
        opts,
      );
    case "azure":
      return new sdk.azure.AuthBackendRole(
        name,
        { backend: spec.backend, role: spec.role, boundServicePrincipalIds: [spec.identity], boundSubscriptionIds: [spec.account], ...tokenSettings(spec) },
        opts,
      );
    case "aws":
      return new sdk.aws.AuthBackendRole(
        name,
        {
          backend: spec.backend,
          role: spec.role,
          authType: "iam",
          // The role ARN names the account; bound_account_id applies to ec2 logins only.
          boundIamPrincipalArns: [spec.identity],
          resolveAwsUniqueIds: true,
          ...tokenSettings(spec),
        },
        opts,
      );
  }
}

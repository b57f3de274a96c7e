/** Deploy checks for Vault, through the Terraform Vault provider (bridged by @pulumi/vault). */
import { at, isUnknown, type DeployRule } from "./rule";
import { VAULT_JWT_MOUNT as JWT_MOUNT, VAULT_JWT_ROLE as JWT_ROLE } from "../../policies/contract/types";

const SECRET = "vault:kv/secretV2:SecretV2";
const KV_CONFIG = "vault:kv/secretBackendV2:SecretBackendV2";
const MOUNT = "vault:index/mount:Mount";
const AUDIT = "vault:index/audit:Audit";
const POLICY = "vault:index/policy:Policy";
const ROLES = ["vault:gcp/authBackendRole:AuthBackendRole", "vault:azure/authBackendRole:AuthBackendRole", "vault:aws/authBackendRole:AuthBackendRole", JWT_ROLE];
const JWT = "hashicorp/vault-plugin-auth-jwt @2e68bba";
const AWS_ROLE = "vault:aws/authBackendRole:AuthBackendRole";
const AZURE_ROLE = "vault:azure/authBackendRole:AuthBackendRole";
const TFV = "hashicorp/terraform-provider-vault (bridged by @pulumi/vault)";

export const kvCheckAndSet: DeployRule = {
  id: "vault.kv-check-and-set",
  types: [SECRET],
  description: "A KV v2 write to a mount that requires check-and-set carries options.cas: Vault reads check-and-set from the request's options only, and the provider sends its `cas` argument top-level.",
  source: `hashicorp/vault-plugin-secrets-kv path_data.go validateCheckAndSetOption ("check-and-set parameter required for this call"); ${TFV} vault/resource_kv_secret_v2.go (kvFields cas, options sent as written); terraform-provider-vault#1727, #2472`,
  check(s, ctx, report) {
    const mount = s.props.mount;
    const required = ctx.ofType(KV_CONFIG).some((c) => {
      const p = ctx.subject(c).props;
      return p.casRequired === true && (isUnknown(mount) || isUnknown(p.mount) || p.mount === mount);
    });
    if (!required) return;
    const cas = at(s.props, "options", "cas");
    if (isUnknown(cas)) return;
    if (cas === undefined || !/^\d+$/.test(String(cas))) report("options.cas", "the version this write replaces, as options.cas (the mount requires check-and-set)", s.props.options ?? (s.props.cas !== undefined ? `cas: ${s.props.cas} (top-level, ignored by Vault)` : undefined));
  },
};

export const auditRootNamespace: DeployRule = {
  id: "vault.audit-root-namespace",
  types: [AUDIT],
  description: "Audit devices (sys/audit) live in the root namespace: a provider bound to a namespace cannot create one.",
  source: "https://developer.hashicorp.com/vault/docs/enterprise/namespaces/configure (restricted API paths: sys/audit is root-only); terraform-provider-vault vault/resource_audit.go (Sys().EnableAuditWithOptions with the provider's namespace)",
  check(s, ctx, report) {
    const ns = ctx.providerConfig(s.r).namespace ?? s.props.namespace;
    if (typeof ns === "string" && ns !== "" && ns !== "root") report("namespace (provider)", "the root namespace (sys/audit is restricted to it)", ns);
  },
};

const RESERVED_MOUNTS = ["audit", "auth", "sys", "cubbyhole", "identity"];

export const mountPath: DeployRule = {
  id: "vault.mount-path",
  types: [MOUNT],
  description: "A mount path is not under a protected mount (audit/, auth/, sys/, cubbyhole/, identity/), and has no leading or trailing slash and no '..'.",
  source: "vault/mount.go protectedMounts and Core.mount (\"cannot mount %q\"); checked in openbao/openbao internal/vault/mount.go 58-65, 190-194 (commit df6ce2c)",
  check(s, _ctx, report) {
    const path = s.props.path;
    if (typeof path !== "string") return;
    const first = path.split("/")[0];
    if (RESERVED_MOUNTS.includes(first) || path.startsWith("/") || path.endsWith("/") || path.includes("..") || path === "") {
      report("path", "a mount path outside audit/, auth/, sys/, cubbyhole/ and identity/, without leading or trailing / or ..", path);
    }
  },
};

export const tokenTtlOrder: DeployRule = {
  id: "vault.token-ttl-order",
  types: ROLES,
  description: "An auth role's token_ttl is at most its token_max_ttl.",
  source: "sdk/helper/tokenutil/tokenutil.go ParseTokenFields: \"'token_ttl' cannot be greater than 'token_max_ttl'\" (openbao/openbao sdk/helper/tokenutil/tokenutil.go:250)",
  check(s, _ctx, report) {
    const ttl = s.props.tokenTtl;
    const max = s.props.tokenMaxTtl;
    if (typeof ttl === "number" && typeof max === "number" && max > 0 && ttl > max) report("tokenTtl", `at most tokenMaxTtl (${max})`, ttl);
  },
};

export const awsUniqueIds: DeployRule = {
  id: "vault.aws-unique-ids",
  types: [AWS_ROLE],
  description: "With resolve_aws_unique_ids, Vault resolves every bound ARN (iam:GetRole) when the role is written: each must name an existing role, not a wildcard.",
  source: "hashicorp/vault builtin/credential/aws/path_role.go (resolveArnToUniqueIDFunc for each bound_iam_principal_arn not ending in *); https://developer.hashicorp.com/vault/api-docs/auth/aws#resolve_aws_unique_ids",
  check(s, _ctx, report) {
    if (s.props.resolveAwsUniqueIds === false) return;
    const arns = s.props.boundIamPrincipalArns;
    if (!Array.isArray(arns)) return;
    arns.forEach((a, i) => {
      if (typeof a === "string" && (a.includes("*") || !/^arn:aws[a-z-]*:iam::\d{12}:(role|user|instance-profile)\//.test(a))) {
        report(`boundIamPrincipalArns[${i}]`, "the ARN of an existing IAM role (resolved to its unique id when the role is written)", a);
      }
    });
  },
};

export const azureRoleBound: DeployRule = {
  id: "vault.azure-role-bound",
  types: [AZURE_ROLE],
  description: "An Azure auth role has at least one bound constraint.",
  source: "hashicorp/vault-plugin-auth-azure path_role.go:355: \"must have at least one bound constraint when creating/updating a role\"",
  check(s, _ctx, report) {
    const bounds = ["boundServicePrincipalIds", "boundGroupIds", "boundLocations", "boundSubscriptionIds", "boundResourceGroups", "boundScaleSets"];
    if (!bounds.some((k) => isUnknown(s.props[k]) || (Array.isArray(s.props[k]) && s.props[k].length > 0))) report("bound*", "at least one bound constraint", undefined);
  },
};

const POLICY_NAME = /^[a-z0-9._-]+$/;

export const policyName: DeployRule = {
  id: "vault.policy-name",
  types: [POLICY],
  description: "Policy names are stored lowercased: a name with uppercase letters is not the name a role's token_policies carry.",
  source: "vault/logical_system.go handlePoliciesSet (Name: strings.ToLower(name)); openbao/openbao internal/vault/logical_system.go:2546, 2639",
  check(s, _ctx, report) {
    const name = s.props.name;
    if (typeof name === "string" && !POLICY_NAME.test(name)) report("name", "a lowercase policy name of [a-z0-9._-]", name);
  },
};

const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : typeof v === "string" ? v !== "" : v !== undefined && v !== null && !(typeof v === "object" && Object.keys(v as object).length === 0));

export const jwtRoleConstraints: DeployRule = {
  id: "vault.jwt-role",
  types: [JWT_ROLE],
  description:
    "A JWT auth role has a user_claim; an oidc role (the default role_type) has allowed_redirect_uris; any other role has at least one bound constraint (bound_audiences, bound_subject, bound_claims or token_bound_cidrs).",
  source: `${JWT} path_role.go l.524-526 ("a user claim must be defined on the role"), l.544-547 ("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified"), l.549-558 ("must have at least one bound constraint when creating/updating a role")`,
  check(s, _ctx, report) {
    const p = s.props;
    if (!isUnknown(p.userClaim) && !nonEmpty(p.userClaim)) report("userClaim", "a user claim (Vault refuses a role without one)", p.userClaim);
    if (isUnknown(p.roleType)) return;
    const type = p.roleType ?? "oidc";
    if (type === "oidc") {
      if (!isUnknown(p.allowedRedirectUris) && !nonEmpty(p.allowedRedirectUris)) report("roleType", '"jwt", or allowedRedirectUris for an oidc role (the default)', p.roleType);
      return;
    }
    const bounds = [p.boundAudiences, p.boundSubject, p.boundClaims, p.tokenBoundCidrs];
    if (!bounds.some((b) => isUnknown(b) || nonEmpty(b))) report("boundClaims", "at least one bound constraint (bound audiences, subject, claims or token CIDRs)", undefined);
  },
};

export const jwtMountKeys: DeployRule = {
  id: "vault.jwt-mount-keys",
  types: [JWT_MOUNT],
  description: "A JWT auth mount's config names exactly one source of keys: jwt_validation_pubkeys, jwks_url, jwks_pairs or oidc_discovery_url.",
  source: `${JWT} path_config.go l.262-281 ("exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set"); ${TFV} vault/resource_jwt_auth_backend.go (writes auth/<path>/config after enabling the mount)`,
  check(s, _ctx, report) {
    const p = s.props;
    const sources = ["jwtValidationPubkeys", "jwksUrl", "jwksPairs", "oidcDiscoveryUrl"];
    if (sources.some((k) => isUnknown(p[k]))) return;
    const set = sources.filter((k) => nonEmpty(p[k]));
    if (set.length !== 1) report(set.length ? set.join(", ") : "jwksUrl", "exactly one of jwtValidationPubkeys, jwksUrl, jwksPairs, oidcDiscoveryUrl", set.length ? `${set.length} set` : undefined);
  },
};

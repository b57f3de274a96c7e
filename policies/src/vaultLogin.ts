/**
 * committee.tdx:vault-login: in production a committee secret (ZIPNET_COMMITTEE_SECRET, or a
 * committee server's ZIPNET_SECRET) is readable only through a Vault JWT role bound to an attested
 * TDX token of that server: the attestation service's issuer and keys, TDX, debug off, the
 * registers of one of its reference sets, its instance, node, audience, Vault address and CA, and
 * its reserved address. A cloud identity (which the host and metadata service issue) never suffices,
 * nor does any other way Vault hands out policies (tokens, AppRole, identity groups...).
 * docs/attestation.md gives the sources of every claim.
 */
import { ATTESTATION_SERVICE, CLAIMS, attestedBoundClaims, decodeBoundClaims, isAttestedLogin, singleAddressCidr, unbindableRegisters } from "../contract/attestation";
import { committeePlatform, recordReferenceSets, setsFor, type ReferenceSet } from "../contract/measurements";
import { VAULT_JWT_MOUNT, VAULT_JWT_ROLE } from "../contract/types";
import { committeeSecretPath, nodeSecretPath } from "../contract/vault";
import { vmMachineType, type StackModel, type Vm } from "./core/model";
import { raw, stackPolicies, type StackContext } from "./core/policy";
import { packageOfType, type ResourceView } from "./core/resources";
import { accessOfRoles, grants } from "./core/vault";
import { at, containsUnknown, isUnknown, lastSegment, str } from "./core/values";

/** A role's bound claims as Vault receives them. */
function roleBoundClaims(role: ResourceView): Record<string, string[]> | undefined {
  return decodeBoundClaims(role.props.boundClaims, role.props.disableBoundClaimsParsing);
}

/** Each claim of `expected` that `have` leaves looser: unbound, or accepting a value the set does not hold. */
function looserClaims(have: Record<string, string[]>, expected: Record<string, string[]>): Array<{ claim: string; expected: string[]; found: string[] | undefined }> {
  return Object.entries(expected)
    .filter(([claim, values]) => {
      const got = have[claim];
      return !got || got.length === 0 || got.some((v) => !values.includes(v));
    })
    .map(([claim, values]) => ({ claim, expected: values, found: have[claim] }));
}

/**
 * Everything that can hand out Vault policies: auth roles of every method, tokens, identity groups
 * and entities, LDAP/Okta users and groups: any Vault resource carrying `tokenPolicies` or `policies`.
 */
function policyGrantors(m: StackModel): ResourceView[] {
  return m.resources.filter((r) => packageOfType(r.type) === "vault" && !r.type.startsWith("pulumi:providers:") && ("tokenPolicies" in r.props || "policies" in r.props));
}

/** Raw writes that could create a login or attach a policy out of the pack's sight. */
function opaqueVaultWrite(r: ResourceView): boolean {
  const path = str(r.props.path) ?? "";
  return r.type === "vault:generic/endpoint:Endpoint" && /^(auth|identity|sys\/policy|sys\/policies)\//.test(path.replace(/^\/+/, ""));
}

interface Target {
  vm: Vm;
  sets: ReferenceSet[];
  vaultAddress: string;
  vaultCa: string;
}

/** What a role for this committee server must bind; undefined (said) when it cannot be known yet. */
function targetOf(m: StackModel, ctx: StackContext, vm: Vm): Target | undefined {
  const rec = m.recordFor(vm);
  const platform = committeePlatform(vm.cloud);
  const type = vmMachineType(vm);
  if (!rec || isUnknown(at(rec, "tdx", "committee")) || isUnknown(at(rec, "vault"))) {
    ctx.unknown(vm.r, "the posture record's tdx.committee and vault (what its Vault role must bind)");
    return undefined;
  }
  if (isUnknown(type)) {
    ctx.unknown(vm.r, "machine type");
    return undefined;
  }
  const sets = platform ? setsFor(recordReferenceSets(rec, "committee"), platform, lastSegment(str(type) ?? "")) : [];
  return { vm, sets, vaultAddress: str(at(rec, "vault", "address")) ?? "", vaultCa: str(at(rec, "vault", "caSha256")) ?? "" };
}

/** The VM's public address as the state holds it (GCP natIp, Azure/AWS public IP), if known. */
function vmAddress(vm: Vm): unknown {
  if (vm.cloud === "gcp") return at(vm.r.props, "networkInterfaces", 0, "accessConfigs", 0, "natIp");
  return vm.cloud === "aws" ? vm.r.props.publicIp : undefined;
}

/** A grantor other than a JWT role reading a committee server's secret: refused, whatever the server's sets. */
function refusedLogin(m: StackModel, ctx: StackContext, role: ResourceView, vm: Vm, reads: string): boolean {
  if (role.type === VAULT_JWT_ROLE) return false;
  ctx.fail(role, "type", `an attestation-bound JWT role (${VAULT_JWT_ROLE}) for ${reads}: a production committee secret is never readable through a cloud identity or any other login`, raw(role.type), { posture: m.postureOf(vm.r) });
  return true;
}

function judgeRole(m: StackModel, ctx: StackContext, role: ResourceView, t: Target, reads: string): void {
  const posture = { posture: m.postureOf(t.vm.r) };
  const node = t.vm.node!;
  if (refusedLogin(m, ctx, role, t.vm, reads)) return;
  const roleType = role.props.roleType;
  if (isUnknown(roleType)) return ctx.unknown(role, "roleType");
  if (roleType !== "jwt") ctx.fail(role, "roleType", '"jwt" (Vault refuses JWT logins on oidc roles, the default)', roleType, posture);

  const backendPath = role.props.backend;
  if (isUnknown(backendPath)) return ctx.unknown(role, "backend");
  const backend = m.ofType(VAULT_JWT_MOUNT).find((b) => str(b.props.path)?.replace(/\/+$/, "") === str(backendPath)?.replace(/\/+$/, ""));
  if (!backend) {
    ctx.fail(role, "backend", `a JWT auth mount of the stack configured for ${ATTESTATION_SERVICE.name} (its keys cannot be judged otherwise)`, backendPath, posture);
  } else {
    for (const [key, want] of [["boundIssuer", ATTESTATION_SERVICE.issuer], ["jwksUrl", ATTESTATION_SERVICE.jwksUrl]] as const) {
      const have = backend.props[key];
      if (isUnknown(have)) ctx.unknown(backend, key);
      else if (have !== want) ctx.fail(backend, key, `${JSON.stringify(want)} (${ATTESTATION_SERVICE.name}: a token from any other issuer or key must be refused)`, have, posture);
    }
    // Any other key source, or a private CA for fetching the keys, lets someone else's keys in.
    for (const key of ["oidcDiscoveryUrl", "jwtValidationPubkeys", "jwksPairs", "jwksCaPem", "oidcDiscoveryCaPem"]) {
      const v = backend.props[key];
      if (v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0)) ctx.fail(backend, key, `unset (only ${ATTESTATION_SERVICE.name}'s published keys, fetched over public TLS)`, v, posture);
    }
  }

  const type = role.props.boundClaimsType;
  if (type !== undefined && type !== "string") ctx.fail(role, "boundClaimsType", '"string" (exact matches; glob lets * stand for any value)', type, posture);
  for (const [path, value] of [["vault.address", t.vaultAddress], ["vault.caSha256", t.vaultCa]] as const) {
    if (!value) ctx.fail(role, "boundClaims", `the posture record's ${path} (the Vault identity the committee image is built with)`, raw("none in the posture record"), posture);
  }
  if (containsUnknown(role.props.boundClaims)) return ctx.unknown(role, "boundClaims");
  const have = roleBoundClaims(role);
  if (!have) {
    ctx.fail(role, "boundClaims", "claims binding the node's attested token", role.props.boundClaims ?? raw("none"), posture);
  } else if (t.sets.length === 0) {
    ctx.fail(role, "boundClaims", `the registers of a tdx.committee reference set of ${node}'s platform and machine type`, raw("no such set in the posture record"), posture);
  } else {
    const misses = t.sets.map((set) => ({ set, loose: looserClaims(have, attestedBoundClaims({ instance: t.vm.instance ?? "", node, vaultAddress: t.vaultAddress, vaultCaSha256: t.vaultCa, set })) }));
    if (misses.every((x) => x.loose.length)) {
      // Name what the role leaves open against the set it comes closest to.
      const { set, loose } = misses.reduce((a, b) => (b.loose.length < a.loose.length ? b : a));
      for (const miss of loose) {
        ctx.fail(role, `boundClaims["${miss.claim}"]`, `only ${miss.expected.map((v) => JSON.stringify(v)).join(" or ")} (${node}, reference set ${set.name})`, miss.found ? miss.found.join(",") : raw("unbound"), posture);
      }
    }
    for (const set of t.sets) {
      const unbindable = unbindableRegisters(set);
      if (unbindable.length) ctx.fail(role, "boundClaims", `a reference set whose enforced registers an ${ATTESTATION_SERVICE.name} TDX token carries (${set.name} enforces ${unbindable.join(", ")})`, raw("registers no token can show"), posture);
    }
  }

  // The node's reserved address, /32 (or /128), and nothing else. Before the first deploy the
  // address is unknown: one unknown entry is the one address slot, compared once a state has it.
  const cidrs = role.props.tokenBoundCidrs;
  if (isUnknown(cidrs)) return ctx.unknown(role, "tokenBoundCidrs");
  const list = Array.isArray(cidrs) ? cidrs : [];
  const address = vmAddress(t.vm);
  const want = typeof address === "string" && address ? singleAddressCidr(address) : undefined;
  const loose = list.filter((c) => (isUnknown(c) ? list.length > 1 : typeof c !== "string" || !/\/(32|128)$/.test(c) || (want !== undefined && c !== want)));
  if (list.length === 0 || loose.length) ctx.fail(role, "tokenBoundCidrs", `the node's reserved address alone (${want ?? "/32 or /128"}) for ${node}`, list.length ? loose.map((c) => (isUnknown(c) ? "(unknown)" : c)) : raw("none"), posture);
}

export const [vaultLogin] = stackPolicies({
  checklistId: "committee.tdx",
  aspect: "vault-login",
  description:
    "In production, anything that can read the committee secret or a committee server's node secret is a Vault JWT role on a mount of the attestation service (its issuer and published keys), bound to that server's attested TDX token: TDX, debug off, the registers of one of its reference sets, its instance, node, audience, Vault address and CA fingerprint, and its reserved address. Never a cloud-identity role, a token, an AppRole or an identity group; a grant the pack cannot read is a violation.",
  levels: [{ posture: "production", level: "mandatory" }],
  check(m, ctx) {
    const committee = m.committeeVms().filter((vm) => vm.node && isAttestedLogin(m.postureOf(vm.r), vm.role ?? ""));
    if (committee.length === 0) return;
    // What each server's roles must bind; a server missing here was reported as not judgeable.
    const targets = new Map<Vm, Target>();
    for (const vm of committee) {
      const t = targetOf(m, ctx, vm);
      if (t) targets.set(vm, t);
    }
    const posture = { posture: m.postureOf(committee[0].r) };
    ctx.each(m.resources.filter(opaqueVaultWrite), (r) =>
      ctx.fail(r, "path", "no raw Vault write under auth/, identity/ or sys/policies (it could grant a committee secret out of the pack's sight)", r.props.path, posture));
    ctx.each(policyGrantors(m), (grantor) => {
      const access = accessOfRoles(m, [grantor], grantor.name);
      if (access.unknown) return ctx.unknown(grantor, "tokenPolicies (whether it reads a committee secret)");
      // A policy defined outside the stack, or one the pack cannot parse, may grant anything.
      if (access.missing.length) return ctx.fail(grantor, "tokenPolicies", "policies the stack defines (one defined elsewhere may grant a committee secret)", access.missing, posture);
      if (access.problems.length) return ctx.fail(grantor, "tokenPolicies", "policies the pack can read", raw(access.problems.map((p) => p.error).join("; ")), posture);
      const owners = committee.filter((vm) => {
        const mount = m.mount(vm.instance);
        return mount !== undefined && grants(access, nodeSecretPath(mount, vm.node!), "read");
      });
      for (const vm of owners) {
        const t = targets.get(vm);
        const reads = nodeSecretPath(m.mount(vm.instance)!, vm.node!);
        if (t) judgeRole(m, ctx, grantor, t, reads);
        else refusedLogin(m, ctx, grantor, vm, reads);
      }
      for (const instance of new Set(committee.map((vm) => vm.instance))) {
        const mount = m.mount(instance);
        if (mount === undefined || !grants(access, committeeSecretPath(mount), "read")) continue;
        if (owners.some((vm) => vm.instance === instance)) continue; // judged against its owner above
        const shared = committeeSecretPath(mount);
        // Only the committee secret: the grantor must be one committee server's role, the one its node claim names.
        const bound = grantor.type === VAULT_JWT_ROLE ? roleBoundClaims(grantor)?.[CLAIMS.runtime("node")] : undefined;
        const named = bound?.length === 1 ? committee.find((c) => c.instance === instance && c.node === bound[0]) : undefined;
        const subject = named ?? committee.find((c) => c.instance === instance)!;
        const t = targets.get(subject);
        if (grantor.type === VAULT_JWT_ROLE && !named) {
          ctx.fail(grantor, `boundClaims["${CLAIMS.runtime("node")}"]`, `exactly one committee server of ${instance} (a role reading ${shared})`, bound ? bound.join(",") : raw("unbound"), { posture: m.postureOf(subject.r) });
        } else if (t) {
          judgeRole(m, ctx, grantor, t, shared);
        } else {
          refusedLogin(m, ctx, grantor, subject, shared);
        }
      }
    });
  },
});

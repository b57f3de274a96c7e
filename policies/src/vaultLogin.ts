/**
 * committee.tdx:vault-login: in production a committee secret (ZIPNET_COMMITTEE_SECRET, or a
 * committee server's ZIPNET_SECRET) is readable only through a Vault JWT role bound to an attested
 * TDX token of that server: the attestation service's issuer and keys, TDX, debug off, the
 * registers of one of its reference sets, its instance, node, audience, Vault address and CA, and
 * its reserved address. A cloud identity (which the host and metadata service issue) never suffices.
 * docs/attestation.md gives the sources of every claim.
 */
import { ATTESTATION_SERVICE, CLAIMS, attestedBoundClaims } from "../contract/attestation";
import { committeePlatform, recordReferenceSets, setsFor, type ReferenceSet } from "../contract/measurements";
import { committeeSecretPath, nodeSecretPath } from "../contract/vault";
import type { StackModel, Vm } from "./core/model";
import { raw, stackPolicies, type StackContext } from "./core/policy";
import type { ResourceView } from "./core/resources";
import { accessOfRoles, grants } from "./core/vault";
import { at, isObject, isUnknown, lastSegment, str } from "./core/values";

const JWT_ROLE = "vault:jwt/authBackendRole:AuthBackendRole";
const JWT_BACKEND = "vault:jwt/authBackend:AuthBackend";

/** A role's bound claims as Vault receives them: the provider splits each value on commas unless told not to. */
export function roleBoundClaims(role: ResourceView): Record<string, string[]> | undefined {
  const claims = role.props.boundClaims;
  if (!isObject(claims)) return undefined;
  const split = role.props.disableBoundClaimsParsing !== true;
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (typeof v !== "string") return undefined;
    out[k] = split ? v.split(",").map((s) => s.trim()) : [v];
  }
  return out;
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
  const type = vm.cloud === "gcp" ? vm.r.props.machineType : vm.cloud === "azure" ? at(vm.r.props, "hardwareProfile", "vmSize") : vm.r.props.instanceType;
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

function judgeRole(m: StackModel, ctx: StackContext, role: ResourceView, t: Target, reads: string): void {
  const posture = { posture: m.postureOf(t.vm.r) };
  const node = t.vm.node!;
  if (role.type !== JWT_ROLE) {
    ctx.fail(role, "type", `an attestation-bound JWT role (${JWT_ROLE}) for ${reads}: a production committee secret is never readable through a cloud identity`, raw(role.type), posture);
    return;
  }
  const roleType = role.props.roleType;
  if (isUnknown(roleType)) return ctx.unknown(role, "roleType");
  if (roleType !== "jwt") ctx.fail(role, "roleType", '"jwt" (Vault refuses JWT logins on oidc roles, the default)', roleType, posture);

  const backendPath = role.props.backend;
  if (isUnknown(backendPath)) return ctx.unknown(role, "backend");
  const backend = m.ofType(JWT_BACKEND).find((b) => str(b.props.path)?.replace(/\/+$/, "") === str(backendPath)?.replace(/\/+$/, ""));
  if (!backend) {
    ctx.fail(role, "backend", `a JWT auth mount of the stack configured for ${ATTESTATION_SERVICE.name} (its keys cannot be judged otherwise)`, backendPath, posture);
  } else {
    for (const [key, want] of [["boundIssuer", ATTESTATION_SERVICE.issuer], ["jwksUrl", ATTESTATION_SERVICE.jwksUrl]] as const) {
      const have = backend.props[key];
      if (isUnknown(have)) ctx.unknown(backend, key);
      else if (have !== want) ctx.fail(backend, key, `${JSON.stringify(want)} (${ATTESTATION_SERVICE.name}: a token from any other issuer or key must be refused)`, have, posture);
    }
    for (const key of ["oidcDiscoveryUrl", "jwtValidationPubkeys", "jwksPairs"]) {
      const v = backend.props[key];
      if (v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0)) ctx.fail(backend, key, `unset (only ${ATTESTATION_SERVICE.name}'s published keys)`, v, posture);
    }
  }

  const type = role.props.boundClaimsType;
  if (type !== undefined && type !== "string") ctx.fail(role, "boundClaimsType", '"string" (exact matches; glob lets * stand for any value)', type, posture);
  if (isUnknown(role.props.boundClaims) || (isObject(role.props.boundClaims) && Object.values(role.props.boundClaims).some(isUnknown))) return ctx.unknown(role, "boundClaims");
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
  }

  const cidrs = role.props.tokenBoundCidrs;
  if (isUnknown(cidrs)) return;
  const list = Array.isArray(cidrs) ? cidrs : [];
  const loose = list.filter((c) => typeof c === "string" && !/\/(32|128)$/.test(c));
  if (list.length === 0 || loose.length) ctx.fail(role, "tokenBoundCidrs", `the node's reserved address alone (/32 or /128) for ${node}`, list.length ? loose : raw("none"), posture);
}

export const [vaultLogin] = stackPolicies({
  checklistId: "committee.tdx",
  aspect: "vault-login",
  description:
    "In production, a role that can read the committee secret or a committee server's node secret is a Vault JWT role on a mount of the attestation service (its issuer and published keys), bound to that server's attested TDX token: TDX, debug off, the registers of one of its reference sets, its instance, node, audience, Vault address and CA fingerprint, and its reserved address. Never a cloud-identity role.",
  levels: [{ posture: "production", level: "mandatory" }],
  check(m, ctx) {
    const targets = new Map<string, Target>();
    const committee = m.committeeVms().filter((vm) => vm.node && m.postureOf(vm.r) === "production");
    for (const vm of committee) {
      const t = targetOf(m, ctx, vm);
      if (t) targets.set(`${vm.instance}\u0000${vm.node}`, t);
    }
    ctx.each(m.authRoles(), (role) => {
      const name = str(role.props.roleName) ?? str(role.props.role) ?? role.name;
      const access = accessOfRoles(m, [role], name);
      if (access.unknown || access.missing.length) {
        // Whether it reads a committee secret cannot be told: a cloud role cannot be cleared.
        if (role.type !== JWT_ROLE && committee.length) ctx.unknown(role, "tokenPolicies (whether it reads a committee secret)");
        return;
      }
      // The committee servers whose own secret the role reads, and the instances whose committee secret it reads.
      const owners = committee.filter((vm) => {
        const mount = m.mount(vm.instance);
        return mount !== undefined && grants(access, nodeSecretPath(mount, vm.node!), "read");
      });
      const sharedOf = [...new Set(committee.map((vm) => vm.instance))].filter((instance) => {
        const mount = m.mount(instance);
        return mount !== undefined && grants(access, committeeSecretPath(mount), "read");
      });
      for (const vm of owners) {
        const t = targets.get(`${vm.instance}\u0000${vm.node}`);
        if (t) judgeRole(m, ctx, role, t, nodeSecretPath(m.mount(vm.instance)!, vm.node!));
      }
      for (const instance of sharedOf) {
        if (owners.some((vm) => vm.instance === instance)) continue; // judged against its owner above
        const shared = committeeSecretPath(m.mount(instance)!);
        // Only the committee secret: the role must be one committee server's, the one its node claim names.
        const bound = roleBoundClaims(role)?.[CLAIMS.runtime("node")];
        const named = bound?.length === 1 ? committee.find((c) => c.instance === instance && c.node === bound[0]) : undefined;
        const t = named ? targets.get(`${instance}\u0000${named.node}`) : undefined;
        if (t) judgeRole(m, ctx, role, t, shared);
        else if (named === undefined) {
          const subject = committee.find((c) => c.instance === instance)!;
          if (role.type !== JWT_ROLE) judgeRole(m, ctx, role, targets.get(`${instance}\u0000${subject.node}`) ?? { vm: subject, sets: [], vaultAddress: "", vaultCa: "" }, shared);
          else ctx.fail(role, `boundClaims["${CLAIMS.runtime("node")}"]`, `exactly one committee server of ${instance} (a role reading ${shared})`, bound ? bound.join(",") : raw("unbound"), { posture: m.postureOf(subject.r) });
        }
      }
    });
  },
});

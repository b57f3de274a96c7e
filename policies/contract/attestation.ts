/**
 * Attestation-bound Vault logins: the attestation service a production committee server proves
 * itself to, the claims of its token that a Vault JWT role binds, and the role each node gets per
 * reference set. One source for the program (the roles it creates, the boot contract), the pack
 * (what a committee server's role must bind) and the tests. docs/attestation.md cites every fact.
 * Pure.
 */
import type { ReferenceSet } from "./measurements";
import { scopedName } from "./vault";

/**
 * Intel Trust Authority (ITA): it appraises the TD quote itself, so the registers in its token are
 * the ones the TDX module measured (docs/attestation.md). Issuer: Google's Confidential Space token
 * reference ("Intel Trust Authority: https://portal.trustauthority.intel.com"); signing keys at
 * `<portal>/certs` (the token header's `jku`); algorithms: intel/trustauthority-client-for-go
 * go-connector/const.go (RS256, PS384); API: google/go-tpm-tools verifier/ita/client.go (US region).
 */
export const ATTESTATION_SERVICE = {
  name: "intel-trust-authority",
  issuer: "https://portal.trustauthority.intel.com",
  jwksUrl: "https://portal.trustauthority.intel.com/certs",
  apiUrl: "https://api.trustauthority.intel.com",
  algorithms: ["PS384", "RS256"],
} as const;

/** Fields the guest puts in the attestation's runtime data (ITA checks their hash against REPORTDATA). */
export const RUNTIME_DATA_FIELDS = {
  instance: "zipnet_instance",
  node: "zipnet_node",
  audience: "zipnet_audience",
  vaultAddress: "vault_address",
  vaultCa: "vault_ca_sha256",
} as const;

/** JSON pointers into an ITA v2 token (TDX claims nested under `tdx`). */
const TDX = "/tdx";
const RUNTIME = `${TDX}/attester_runtime_data`;
export const CLAIMS = {
  teeType: `${TDX}/attester_type`,
  debug: `${TDX}/dbgstat`,
  runtime: (field: keyof typeof RUNTIME_DATA_FIELDS) => `${RUNTIME}/${RUNTIME_DATA_FIELDS[field]}`,
  /** A TD register (mrtd, rtmr0..3) as the token carries it: `tdx_<name>`, lowercase hex. */
  register: (register: string) => `${TDX}/tdx_${register}`,
} as const;

/** Registers an ITA TDX token carries (the quote body's MR_TD and RTMRs); vTPM PCRs are not among them. */
const TOKEN_REGISTERS: readonly string[] = ["mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"];

/** `attester_type` of a TDX quote. */
const TEE_TYPE = "TDX";
/** Every EAT debug status that means debug is off (RFC 9711, EAT: the dbgstat claim); `enabled` is not among them. */
const DEBUG_DISABLED = ["disabled", "disabled-since-boot", "disabled-permanently", "disabled-fully-and-permanently"] as const;

/** Whether a node logs in with an attested token (production committee servers) or its cloud identity. */
export function isAttestedLogin(posture: string, role: string): boolean {
  return posture === "production" && role === "committee";
}

/** The instance's JWT auth mount for attested logins. */
export function attestedAuthMount(instanceName: string): string {
  return `zipnet-attest/${instanceName}`;
}

/** The audience a node's token names: unique to the instance and node. */
function attestedAudience(instanceName: string, nodeId: string): string {
  return `zipnet-vault/${instanceName}/${nodeId}`;
}

/**
 * A node's role for one reference set: `zipnet.<instance>.<node>_<set>`. Instance names and node
 * ids have no `_`, so the first `_` ends the node's scoped name (Vault role names allow [\w.-]).
 */
export function attestedRoleName(instanceName: string, nodeId: string, setName: string): string {
  return `${scopedName(instanceName, nodeId)}_${setName}`;
}

/** Whether a role name is the node's (its scoped name, or one of its attested per-set roles). */
export function isRoleOf(roleName: string, nodeScopedName: string): boolean {
  return roleName === nodeScopedName || roleName.startsWith(`${nodeScopedName}_`);
}

export interface AttestedNode {
  instance: string;
  node: string;
  /** The Vault address and CA fingerprint the committee image is built with (config vault.address, vault.caSha256). */
  vaultAddress: string;
  vaultCaSha256: string;
}

interface AttestedBinding extends AttestedNode {
  set: ReferenceSet;
}

/** The runtime data a node's guest attests (boot contract `attestation.runtimeData`), field -> value. */
export function attestedRuntimeData(n: AttestedNode): Record<string, string> {
  return {
    [RUNTIME_DATA_FIELDS.instance]: n.instance,
    [RUNTIME_DATA_FIELDS.node]: n.node,
    [RUNTIME_DATA_FIELDS.audience]: attestedAudience(n.instance, n.node),
    [RUNTIME_DATA_FIELDS.vaultAddress]: n.vaultAddress,
    [RUNTIME_DATA_FIELDS.vaultCa]: n.vaultCaSha256.toLowerCase(),
  };
}

/**
 * A role's bound claims as the Vault provider sends them: each claim's values joined by commas,
 * which the provider splits again (terraform-provider-vault resource_jwt_auth_backend_role.go)
 * unless `disableBoundClaimsParsing`. No bound value holds a comma.
 */
export function encodeBoundClaims(claims: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).map(([claim, values]) => [claim, values.join(",")]));
}

/** What Vault receives from a role's `boundClaims` (see encodeBoundClaims); undefined when they are not a map of strings. */
export function decodeBoundClaims(boundClaims: unknown, disableParsing: unknown): Record<string, string[]> | undefined {
  if (typeof boundClaims !== "object" || boundClaims === null || Array.isArray(boundClaims)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(boundClaims)) {
    if (typeof v !== "string") return undefined;
    out[k] = disableParsing !== true ? v.split(",").map((x) => x.trim()) : [v];
  }
  return out;
}

/** The CIDR admitting one address alone (/32, /128 for IPv6): an attested role's token_bound_cidrs. */
export function singleAddressCidr(address: string): string {
  return `${address}/${address.includes(":") ? 128 : 32}`;
}

/**
 * What a node's role requires of a token: claim (JSON pointer) -> accepted values (any one).
 * Registers are the set's enforced ones the token carries, lowercase.
 */
export function attestedBoundClaims(b: AttestedBinding): Record<string, string[]> {
  const claims: Record<string, string[]> = { [CLAIMS.teeType]: [TEE_TYPE], [CLAIMS.debug]: [...DEBUG_DISABLED] };
  const runtime = attestedRuntimeData(b);
  for (const field of Object.keys(RUNTIME_DATA_FIELDS) as Array<keyof typeof RUNTIME_DATA_FIELDS>) claims[CLAIMS.runtime(field)] = [runtime[RUNTIME_DATA_FIELDS[field]]];
  for (const [register, { value, enforce }] of Object.entries(b.set.registers).sort(([a], [c]) => a.localeCompare(c))) {
    if (enforce && TOKEN_REGISTERS.includes(register)) claims[CLAIMS.register(register)] = [value.toLowerCase()];
  }
  return claims;
}

/** The set's enforced registers no ITA TDX token carries (a role cannot bind them). */
export function unbindableRegisters(set: ReferenceSet): string[] {
  return Object.entries(set.registers)
    .filter(([r, v]) => v.enforce && !TOKEN_REGISTERS.includes(r))
    .map(([r]) => r)
    .sort();
}

/**
 * Attested Vault logins, offline: tokens shaped like Intel Trust Authority's TDX tokens (and, for
 * contrast, Google Cloud Attestation's) are minted with jose from a local key set standing in for
 * the service's published keys, and judged by a model of Vault's JWT login (test/support/vaultJwt)
 * against the mount and roles the acme.mainnet plan creates. Each committee server's role accepts
 * its own attested token and refuses each other case by name.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet } from "jose";
import { ATTESTATION_SERVICE, RUNTIME_DATA_FIELDS, attestedAuthMount, decodeBoundClaims, singleAddressCidr } from "../policies/contract/attestation";
import { VAULT_JWT_MOUNT, VAULT_JWT_ROLE } from "../policies/contract/types";
import { UNKNOWN_VALUE } from "../policies/contract/wire";
import type { BootContract } from "../src/instance/bootContract";
import type { RecordedResource } from "../src/offline/engine/model";
import { examplePlan, ofType } from "./support/plans";
import { jwtLogin, type JwtMountConfig, type JwtRole } from "./support/vaultJwt";

const NOW = 1_795_000_000; // 2026-11-18, seconds
/** The reserved addresses the deployment would assign (a plan holds them as unknown). */
const ADDRESS: Record<string, string> = { c1: "198.51.100.11", c2: "198.51.100.12", c3: "198.51.100.13" };

let signer: { key: CryptoKey; kid: string };
let stranger: { key: CryptoKey; kid: string };
let mount: JwtMountConfig;
let backend: RecordedResource;
const roles = new Map<string, { resource: RecordedResource; role: JwtRole }>();
const contracts = new Map<string, BootContract>();
const registers = new Map<string, Record<string, string>>();

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("PS384", { extractable: true });
  return { key: privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: "PS384", use: "sig" } };
}

/** A role as Vault stores it after the provider sent the plan's inputs. */
function storedRole(r: RecordedResource, node: string): JwtRole {
  const i = r.inputs as Record<string, any>;
  expect(i.tokenBoundCidrs).toEqual([UNKNOWN_VALUE]); // computed from the reserved address at deploy
  return {
    role_type: i.roleType,
    user_claim: i.userClaim,
    user_claim_json_pointer: i.userClaimJsonPointer,
    bound_audiences: i.boundAudiences,
    bound_claims: decodeBoundClaims(i.boundClaims, i.disableBoundClaimsParsing),
    bound_claims_type: i.boundClaimsType,
    clock_skew_leeway: i.clockSkewLeeway,
    token_bound_cidrs: [singleAddressCidr(ADDRESS[node])],
  };
}

interface TokenShape {
  /** The guest's node: its boot contract's runtime data and its set's registers. */
  node: string;
  edit?: (claims: any) => void;
  iss?: string;
  exp?: number;
  by?: { key: CryptoKey; kid: string };
}

/** An ITA v2 TDX token (claims under `tdx`, docs/attestation.md) for a guest booted as `node`. */
async function itaToken({ node, edit, iss = ATTESTATION_SERVICE.issuer, exp = NOW + 300, by = signer }: TokenShape): Promise<string> {
  const regs = registers.get(node)!;
  const claims: any = {
    ver: "2.0.0",
    eat_profile: "https://portal.trustauthority.intel.com/eat_profile.html",
    jti: `token-${node}-${Math.random()}`,
    tdx: {
      attester_type: "TDX",
      attester_tcb_status: "UpToDate",
      dbgstat: "disabled",
      tdx_is_debuggable: false,
      tdx_mrtd: regs.mrtd,
      tdx_rtmr0: regs.rtmr0,
      tdx_rtmr1: regs.rtmr1,
      tdx_rtmr2: regs.rtmr2,
      tdx_rtmr3: "0".repeat(96),
      tdx_report_data: "ab".repeat(64),
      attester_runtime_data: { ...contracts.get(node)!.attestation!.runtimeData },
    },
  };
  edit?.(claims);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "PS384", kid: by.kid, typ: "JWT", jku: ATTESTATION_SERVICE.jwksUrl })
    .setIssuer(iss)
    .setIssuedAt(exp - 300)
    .setNotBefore(exp - 300)
    .setExpirationTime(exp)
    .sign(by.key);
}

async function login(node: string, token: string, opts: { from?: string; now?: number } = {}) {
  return jwtLogin(mount, roles.get(node)!.role, { jwt: token, from: opts.from ?? ADDRESS[node], now: opts.now ?? NOW });
}

beforeAll(async () => {
  const ita = await keyPair("ita-1");
  const other = await keyPair("other-1");
  signer = ita;
  stranger = other;
  const { resources, config } = await examplePlan("acme.mainnet");
  [backend] = ofType(resources, VAULT_JWT_MOUNT);
  const b = backend.inputs as Record<string, any>;
  // The service's published keys: here the local key set stands in for what jwks_url serves.
  mount = { boundIssuer: b.boundIssuer, jwks: { keys: [ita.jwk] } as JSONWebKeySet, supportedAlgs: b.jwtSupportedAlgs };
  for (const vm of ofType(resources, "gcp:compute/instance:Instance")) {
    const contract = JSON.parse((vm.inputs as any).metadata["user-data"]) as BootContract;
    if (contract.role !== "committee") continue;
    contracts.set(contract.node, contract);
    const set = config.tdx.committee.find((s) => s.name === contract.attestation!.roles[0].set)!;
    registers.set(contract.node, Object.fromEntries(Object.entries(set.registers).map(([k, v]) => [k, v.value])));
    const r = ofType(resources, VAULT_JWT_ROLE).find((x) => (x.inputs as any).roleName === contract.attestation!.roles[0].role)!;
    roles.set(contract.node, { resource: r, role: storedRole(r, contract.node) });
  }
}, 120_000);

describe("the attested login mount and roles of acme.mainnet", () => {
  it("trusts only the attestation service: its issuer, its published keys, its algorithms", () => {
    const b = backend.inputs as Record<string, any>;
    expect(b).toMatchObject({
      path: attestedAuthMount("acme.mainnet"),
      type: "jwt",
      boundIssuer: ATTESTATION_SERVICE.issuer,
      jwksUrl: ATTESTATION_SERVICE.jwksUrl,
      jwtSupportedAlgs: [...ATTESTATION_SERVICE.algorithms],
    });
    // No other source of keys, and no private CA to reach the published ones.
    for (const other of ["oidcDiscoveryUrl", "jwtValidationPubkeys", "jwksPairs", "jwksCaPem", "oidcDiscoveryCaPem"]) expect(b[other], other).toBeUndefined();
    expect([...roles.keys()].sort()).toEqual(["c1", "c2", "c3"]);
  });

  it("tells each guest, in its boot contract, the role, service and runtime data its token must carry", () => {
    for (const [node, contract] of contracts) {
      expect(contract.vault.authMount).toBe(attestedAuthMount("acme.mainnet"));
      expect(contract.attestation).toMatchObject({ service: ATTESTATION_SERVICE.name, api: ATTESTATION_SERVICE.apiUrl });
      expect(contract.attestation!.runtimeData).toMatchObject({ [RUNTIME_DATA_FIELDS.node]: node, [RUNTIME_DATA_FIELDS.vaultAddress]: contract.vault.address });
      expect(contract.attestation!.roles.map((r) => r.role)).toEqual([(roles.get(node)!.resource.inputs as any).roleName]);
    }
  });

  it.each(["c1", "c2", "c3"])("%s's role accepts %s's own attested token, from its own address", async (node) => {
    expect(await login(node, await itaToken({ node }))).toEqual({ ok: true, alias: node });
  });

  it("accepts a token up to Vault's 60 s clock skew past its expiry, and not after", async () => {
    const token = await itaToken({ node: "c1", exp: NOW });
    expect(await login("c1", token, { now: NOW + 60 })).toMatchObject({ ok: true });
    expect(await login("c1", token, { now: NOW + 61 })).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
  });
});

describe("c1's role refuses", () => {
  const refusals: Array<[string, () => Promise<string>, RegExp, { from?: string }?]> = [
    ["another node's attested token", () => itaToken({ node: "c2" }), /^claim "\/tdx\/attester_runtime_data\/zipnet_audience" does not match/],
    ["a debug-enabled guest", () => itaToken({ node: "c1", edit: (c) => Object.assign(c.tdx, { dbgstat: "enabled", tdx_is_debuggable: true }) }), /\/tdx\/dbgstat/],
    ["a non-TDX guest (an SGX enclave's token)", () => itaToken({ node: "c1", edit: (c) => { c.sgx = { ...c.tdx, attester_type: "SGX" }; delete c.tdx; } }), /\/tdx\/.* is missing/],
    ["a TDX guest that says it is not TDX", () => itaToken({ node: "c1", edit: (c) => (c.tdx.attester_type = "SEVSNP") }), /\/tdx\/attester_type/],
    ["a wrong measurement (another image: RTMR1)", () => itaToken({ node: "c1", edit: (c) => (c.tdx.tdx_rtmr1 = "11".repeat(48)) }), /\/tdx\/tdx_rtmr1/],
    ["a wrong measurement (other firmware: MR_TD)", () => itaToken({ node: "c1", edit: (c) => (c.tdx.tdx_mrtd = "22".repeat(48)) }), /\/tdx\/tdx_mrtd/],
    ["a measurement in upper case (Vault compares exact strings)", () => itaToken({ node: "c1", edit: (c) => (c.tdx.tdx_mrtd = c.tdx.tdx_mrtd.toUpperCase()) }), /\/tdx\/tdx_mrtd/],
    ["an expired token", () => itaToken({ node: "c1", exp: NOW - 3600 }), /expired/],
    ["a wrong issuer, signed with the service's key", () => itaToken({ node: "c1", iss: "https://confidentialcomputing.googleapis.com" }), /issuer/],
    ["a token signed with a key the service never published", () => itaToken({ node: "c1", by: stranger }), /signature/],
    ["a token made for a Vault the host substituted", () => itaToken({ node: "c1", edit: (c) => (c.tdx.attester_runtime_data.vault_address = "https://vault.attacker.example:8200") }), /vault_address/],
    ["a token made while trusting a CA the host substituted", () => itaToken({ node: "c1", edit: (c) => (c.tdx.attester_runtime_data.vault_ca_sha256 = "00".repeat(32)) }), /vault_ca_sha256/],
    ["its own token presented from another address", () => itaToken({ node: "c1" }), /permission denied/, { from: "203.0.113.66" }],
    [
      "a Google Cloud Attestation token of the same VM (no registers in it)",
      async () =>
        new SignJWT({ hwmodel: "GCP_INTEL_TDX", swname: "GCE", dbgstat: "disabled-since-boot", secboot: true, submods: { gce: { project_id: "acme-zipnet-c1", instance_name: "c1-vm" } } })
          .setProtectedHeader({ alg: "PS384", kid: signer.kid })
          .setIssuer(ATTESTATION_SERVICE.issuer)
          .setIssuedAt(NOW)
          .setExpirationTime(NOW + 300)
          .sign(signer.key),
      /\/tdx\/.* is missing/,
    ],
  ];

  it.each(refusals)("%s", async (_what, token, reason, opts) => {
    const result = await login("c1", await token(), opts);
    expect(result.ok).toBe(false);
    expect((result as { reason: string }).reason).toMatch(reason);
  });
});

describe("the Vault JWT login model itself", () => {
  const base: JwtRole = { role_type: "jwt", user_claim: "sub", bound_claims: { "/tdx/dbgstat": ["disabled"] } };
  const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: "PS384", kid: signer.kid }).setIssuer(ATTESTATION_SERVICE.issuer).setExpirationTime(NOW + 60).setSubject("s").sign(signer.key);

  it("refuses a JWT login on an oidc role (the default role_type)", async () => {
    expect(await jwtLogin(mount, { ...base, role_type: "oidc" }, { jwt: await sign({ tdx: { dbgstat: "disabled" } }), from: "10.0.0.1", now: NOW })).toMatchObject({ ok: false, reason: /oidc role_type/ });
  });

  it("never matches a boolean claim against a string bound value", async () => {
    const role = { ...base, bound_claims: { "/tdx/tdx_is_debuggable": ["false"] } };
    expect(await jwtLogin(mount, role, { jwt: await sign({ tdx: { tdx_is_debuggable: false } }), from: "10.0.0.1", now: NOW })).toMatchObject({ ok: false, reason: /does not match/ });
  });

  it("lets a glob role accept any value: why the pack requires exact matches", async () => {
    const role: JwtRole = { ...base, bound_claims: { "/tdx/tdx_mrtd": ["*"] }, bound_claims_type: "glob" };
    expect(await jwtLogin(mount, role, { jwt: await sign({ tdx: { tdx_mrtd: "anything" } }), from: "10.0.0.1", now: NOW })).toMatchObject({ ok: true });
  });

  it("refuses a token with an audience when the role binds none, and accepts a bound one", async () => {
    const jwt = await sign({ aud: "vault", tdx: { dbgstat: "disabled" } });
    expect(await jwtLogin(mount, base, { jwt, from: "10.0.0.1", now: NOW })).toMatchObject({ ok: false, reason: /no audiences bound/ });
    expect(await jwtLogin(mount, { ...base, bound_audiences: ["vault"] }, { jwt, from: "10.0.0.1", now: NOW })).toMatchObject({ ok: true });
  });

  it("gives a token without exp the later of iat/nbf plus 150 s (cap's default expiration leeway), then the 60 s skew", async () => {
    const jwt = await new SignJWT({ tdx: { dbgstat: "disabled" } }).setProtectedHeader({ alg: "PS384", kid: signer.kid }).setIssuer(ATTESTATION_SERVICE.issuer).setSubject("s").setIssuedAt(NOW).sign(signer.key);
    expect(await jwtLogin(mount, base, { jwt, from: "10.0.0.1", now: NOW + 210 })).toMatchObject({ ok: true });
    expect(await jwtLogin(mount, base, { jwt, from: "10.0.0.1", now: NOW + 211 })).toMatchObject({ ok: false, reason: /expired/ });
  });

  it("treats an empty audience as none", async () => {
    expect(await jwtLogin(mount, base, { jwt: await sign({ aud: "", tdx: { dbgstat: "disabled" } }), from: "10.0.0.1", now: NOW })).toMatchObject({ ok: true });
  });

  it("matches a list claim when any element matches", async () => {
    const role = { ...base, bound_claims: { groups: ["b"] } };
    expect(await jwtLogin(mount, role, { jwt: await sign({ groups: ["a", "b"] }), from: "10.0.0.1", now: NOW })).toMatchObject({ ok: true });
    expect(await jwtLogin(mount, role, { jwt: await sign({ groups: ["a"] }), from: "10.0.0.1", now: NOW })).toMatchObject({ ok: false });
  });
});

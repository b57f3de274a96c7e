/**
 * A model of Vault's JWT login (vault-plugin-auth-jwt at 2e68bba, with hashicorp/cap v0.13.0 for
 * the time checks), to show what a role accepts and refuses without a Vault server. Each rule
 * names the source line it follows; a refusal is the reason Vault would give, in its words
 * where it has them.
 */
import { BlockList, isIP } from "node:net";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from "jose";

/** The mount's config (path_config.go). */
export interface JwtMountConfig {
  /** bound_issuer: the only place the token's `iss` is checked (path_login.go l.149, cap jwt.go l.222). */
  boundIssuer?: string;
  /** The keys `jwks_url` serves. */
  jwks: JSONWebKeySet;
  /** jwt_supported_algs. */
  supportedAlgs: string[];
}

/** A role as Vault stores it (path_role.go), bound_claims values already lists. */
export interface JwtRole {
  role_type: string;
  user_claim: string;
  user_claim_json_pointer?: boolean;
  bound_audiences?: string[];
  bound_subject?: string;
  bound_claims?: Record<string, string[]>;
  bound_claims_type?: "string" | "glob";
  /** Seconds; 0 means the default of 60 (path_role.go l.97-114, cap jwt.DefaultLeeway), below 0 means none. */
  clock_skew_leeway?: number;
  /** Seconds added to the later of iat/nbf when a token has no exp; 0 means cap's default of 150. */
  expiration_leeway?: number;
  /** Seconds subtracted from exp when a token has neither nbf nor iat; 0 means 150. */
  not_before_leeway?: number;
  token_bound_cidrs?: string[];
}

export interface LoginRequest {
  jwt: string;
  /** The client's address as Vault sees it. */
  from: string;
  /** Unix seconds. */
  now: number;
}

export type LoginResult = { ok: true; alias: string } | { ok: false; reason: string };

const refuse = (reason: string): LoginResult => ({ ok: false, reason });

/** RFC 6901 pointer lookup, as mitchellh/pointerstructure does for keys starting with `/` (claims.go l.41-53). */
function pointer(obj: unknown, ptr: string): unknown {
  let cur = obj;
  for (const raw of ptr.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object" || !(key in (cur as object))) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function claim(claims: Record<string, unknown>, key: string, asPointer: boolean): unknown {
  return asPointer ? pointer(claims, key) : claims[key];
}

/** ryanuber/go-glob: `*` matches any run of characters, nothing else is special. */
function glob(pattern: string, value: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === value;
  if (!value.startsWith(parts[0]) || !value.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  for (const part of parts.slice(1, -1)) {
    const i = value.indexOf(part, at);
    if (i < 0) return false;
    at = i + part.length;
  }
  return at <= value.length - parts[parts.length - 1].length;
}

/**
 * validateBoundClaims (claims.go l.114-169): every key must match; under one key any listed value
 * passes; a list claim matches when any element does (normalizeList l.174-187). Values compare
 * without type conversion (l.161): a string never equals a boolean or a number.
 */
function boundClaimsProblem(claims: Record<string, unknown>, bound: Record<string, string[]>, type: "string" | "glob"): string | undefined {
  for (const [key, expected] of Object.entries(bound)) {
    const actual = claim(claims, key, key.startsWith("/"));
    if (actual === undefined) return `claim "${key}" is missing`;
    const values = Array.isArray(actual) ? actual : [actual];
    const match = values.some((v) => typeof v === "string" && expected.some((e) => (type === "glob" ? glob(e, v) : e === v)));
    if (!match) return `claim "${key}" does not match any associated bound claim values`;
  }
  return undefined;
}

/** Whether `ip` is in `cidr` (IPv4 or IPv6), as Vault's cidrutil.RemoteAddrIsOk decides. */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const family = isIP(base) === 6 ? "ipv6" : "ipv4";
  if (isIP(base) === 0 || isIP(ip) !== isIP(base)) return false;
  const list = new BlockList();
  list.addSubnet(base, bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits), family);
  return list.check(ip, family);
}

/** A JWT login on `role` at a mount configured with `mount`. */
export async function jwtLogin(mount: JwtMountConfig, role: JwtRole, req: LoginRequest): Promise<LoginResult> {
  // path_login.go l.110-112: a JWT login on an oidc role is refused (an empty role_type is oidc: path_role.go l.401-404).
  if (role.role_type === "oidc" || role.role_type === "") return refuse(`role with oidc role_type is not allowed`);
  // path_login.go l.121-128: with token_bound_cidrs, a login from elsewhere is permission denied.
  if (role.token_bound_cidrs?.length && !role.token_bound_cidrs.some((c) => inCidr(req.from, c))) return refuse("permission denied (source address outside token_bound_cidrs)");

  let header: { alg?: string };
  try {
    header = decodeProtectedHeader(req.jwt);
  } catch {
    return refuse("error validating token: malformed");
  }
  // path_login.go l.139-145: no configured algorithms means Vault's default set.
  const algs = mount.supportedAlgs.length ? mount.supportedAlgs : ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"];
  if (!header.alg || !algs.includes(header.alg)) return refuse(`error validating token: unsupported signing algorithm ${header.alg}`);
  let claims: Record<string, unknown>;
  try {
    const { payload } = await compactVerify(req.jwt, createLocalJWKSet(mount.jwks), { algorithms: algs });
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return refuse("error validating token: failed to verify signature");
  }

  // cap jwt.go l.222-226: issuer (only when bound_issuer is set) and subject.
  if (mount.boundIssuer && claims.iss !== mount.boundIssuer) return refuse("error validating claims: invalid issuer (iss) claim");
  if (role.bound_subject && claims.sub !== role.bound_subject) return refuse("error validating claims: invalid subject (sub) claim");
  // cap jwt.go l.245-306: a token needs one of iat/nbf/exp; a missing exp is the later of iat/nbf plus
  // the expiration leeway, a missing nbf is iat (or exp minus the not-before leeway); then exp, nbf and
  // iat are checked against now with the clock skew leeway (0: 60 s, below 0: none).
  const seconds = (v: unknown) => (typeof v === "number" ? Math.trunc(v) : 0);
  const leewayOf = (v: number | undefined, dflt: number) => (v === undefined || v === 0 ? dflt : v < 0 ? 0 : v);
  const iat = seconds(claims.iat);
  let exp = seconds(claims.exp);
  let nbf = seconds(claims.nbf);
  if (!iat && !exp && !nbf) return refuse("error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token");
  if (!exp) exp = Math.max(iat, nbf) + leewayOf(role.expiration_leeway, 150);
  if (!nbf) nbf = iat || exp - leewayOf(role.not_before_leeway, 150);
  const skew = leewayOf(role.clock_skew_leeway, 60);
  if (req.now + skew < nbf) return refuse("error validating token: invalid not before (nbf) claim: token not yet valid");
  if (req.now - skew > exp) return refuse("error validating token: invalid expiration time (exp) claim: token is expired");
  if (iat && req.now + skew < iat) return refuse("error validating token: invalid issued at (iat) claim: token issued in the future");

  // cap jwt.go: with bound audiences, one must be in aud; path_login.go l.164-180: without any, a
  // non-empty aud is refused (an empty string or list is not an audience).
  const aud = (claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter((a) => a !== "");
  if (role.bound_audiences?.length) {
    if (!aud.some((a) => role.bound_audiences!.includes(a as string))) return refuse("error validating token: invalid audience (aud) claim");
  } else if (aud.length) {
    return refuse("audience claim found in JWT but no audiences bound to the role");
  }

  const problem = role.bound_claims ? boundClaimsProblem(claims, role.bound_claims, role.bound_claims_type ?? "string") : undefined;
  if (problem) return refuse(problem);

  // path_login.go l.239-250: the alias comes from user_claim and must be a string.
  const user = claim(claims, role.user_claim, role.user_claim_json_pointer === true);
  if (user === undefined) return refuse(`claim "${role.user_claim}" not found in token`);
  if (typeof user !== "string") return refuse(`claim "${role.user_claim}" could not be converted to string`);
  return { ok: true, alias: user };
}

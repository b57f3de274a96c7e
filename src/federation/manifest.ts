/**
 * The instance manifest of a federated instance (docs/federation.md): which organizations run
 * which servers, with their keys, as a chain of epochs. Each epoch's body is canonical JSON
 * (RFC 8785) naming the previous epoch's hash; it is signed by every operator it lists (n of n)
 * and, from epoch 2 on, also by every operator of the previous epoch with the key that epoch gave
 * it, so nobody who edits the file can swap a key or a member in. Pure: node:crypto only.
 *
 * File (`stacks/<instance>.manifest.json`): `{ schema, epochs: [{ manifest, signatures }] }`,
 * oldest first; a signature is `{ operator, key, signature }` over the canonical body.
 */
import { createHash } from "node:crypto";
import { CLOUDS, NODE_ID, type Cloud } from "../config/schema";
import { PEER_ID_FORMAT } from "../deployRecord/registry";
import { referenceSetProblem } from "../deployRecord/publication";
import { ED25519_KEY_BYTES, canonicalJson, decodeBase64Strict, sign, verify } from "../deployRecord/ed25519";
import { isValidInstanceName, normalName } from "../../policies/contract/patterns";
import type { ReferenceSet } from "../../policies/contract/measurements";
import type { KeyObject } from "node:crypto";

const MANIFEST_SCHEMA = "zipnet-manifest/v1";
/** X25519 public keys are 32 bytes, like Ed25519's. */
const SEALING_KEY_BYTES = 32;

export interface ManifestOperator {
  /** Short id used by nodes and signatures, e.g. `acme`. */
  id: string;
  /** The legal entity. */
  organization: string;
  /** Ed25519 public key (base64 of 32 bytes) that signs manifests for it. */
  signingKey: string;
  /** X25519 public key (base64 of 32 bytes) the committee secret is sealed to. */
  sealingKey: string;
}

export interface ManifestNode {
  id: string;
  role: "committee" | "aggregator";
  operator: string;
  cloud: Cloud;
  account: string;
  region: string;
  /** iroh NodeId. */
  peerId: string;
  /** Where the node's secret scope lives: the operator's own Vault and mount. */
  secretScope: { vault: string; mount: string };
}

export interface Manifest {
  instance: string;
  universe: string;
  posture: "production" | "devtest";
  epoch: number;
  /** SHA-256 (hex) of the previous epoch's canonical body; null for epoch 1. */
  previous: string | null;
  ports: { iroh: number; metrics: number };
  referenceValues: { committee: ReferenceSet[]; clients: ReferenceSet[] };
  operators: ManifestOperator[];
  nodes: ManifestNode[];
}

/** The operators that hold the committee secret, those running a committee server: who gets a sealed copy, who signs for one, who may run the ceremony. */
export function committeeOperators<O extends { id: string }>(m: { operators: O[]; nodes: Array<{ role: string; operator: string }> }): O[] {
  return m.operators.filter((o) => m.nodes.some((n) => n.role === "committee" && n.operator === o.id));
}

export interface ManifestSignature {
  operator: string;
  /** The signing key used (base64 of 32 bytes). */
  key: string;
  signature: string;
}

export interface ManifestEpoch {
  manifest: Manifest;
  signatures: ManifestSignature[];
}

export interface ManifestChain {
  schema: typeof MANIFEST_SCHEMA;
  epochs: ManifestEpoch[];
}

export type ManifestResult = { ok: true; chain: ManifestChain; newest: Manifest } | { ok: false; reason: string; input?: boolean };

/** The bytes every signature of an epoch covers. */
function manifestBody(m: Manifest): string {
  return canonicalJson(m);
}

/** SHA-256 (hex) of an epoch's canonical body: what the next epoch names as `previous`. */
export function manifestHash(m: Manifest): string {
  return createHash("sha256").update(manifestBody(m)).digest("hex");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";

function base64Key(v: unknown, bytes: number): boolean {
  return isString(v) && decodeBase64Strict(v)?.length === bytes;
}

function keysProblem(v: Record<string, unknown>, where: string, keys: readonly string[]): string | undefined {
  const extra = Object.keys(v).filter((k) => !keys.includes(k));
  if (extra.length) return `${where}: unexpected key ${JSON.stringify(extra[0])} (expected only ${keys.join(", ")})`;
  const missing = keys.filter((k) => !(k in v));
  return missing.length ? `${where}: missing ${missing.join(", ")}` : undefined;
}

const BODY_KEYS = ["instance", "universe", "posture", "epoch", "previous", "ports", "referenceValues", "operators", "nodes"] as const;

/** Why `value` is not a manifest body, or undefined. Paths name the field. */
export function manifestShapeProblem(value: unknown, where = "manifest"): string | undefined {
  if (!isObject(value)) return `${where}: expected an object`;
  const k = keysProblem(value, where, BODY_KEYS);
  if (k) return k;
  const v = value;
  if (!isString(v.instance) || !isValidInstanceName(v.instance)) return `${where}.instance: expected an instance name like acme.mainnet, found ${JSON.stringify(v.instance)}`;
  if (!isString(v.universe)) return `${where}.universe: expected a string ("" for the shared universe)`;
  if (v.posture !== "production" && v.posture !== "devtest") return `${where}.posture: expected production or devtest, found ${JSON.stringify(v.posture)}`;
  if (!Number.isInteger(v.epoch) || (v.epoch as number) < 1) return `${where}.epoch: expected an integer from 1, found ${JSON.stringify(v.epoch)}`;
  if (v.previous !== null && !(isString(v.previous) && /^[0-9a-f]{64}$/.test(v.previous))) return `${where}.previous: expected null or a SHA-256 hex digest, found ${JSON.stringify(v.previous)}`;
  if (!isObject(v.ports) || keysProblem(v.ports, `${where}.ports`, ["iroh", "metrics"]) || ![v.ports.iroh, v.ports.metrics].every((p) => Number.isInteger(p) && (p as number) >= 1024 && (p as number) <= 65535)) {
    return `${where}.ports: expected {iroh, metrics}, ports in 1024-65535`;
  }
  if (!isObject(v.referenceValues) || !Array.isArray(v.referenceValues.committee) || !Array.isArray(v.referenceValues.clients)) return `${where}.referenceValues: expected {committee: [...], clients: [...]}`;
  for (const list of ["committee", "clients"] as const) {
    const sets = v.referenceValues[list] as unknown[];
    for (let i = 0; i < sets.length; i++) {
      const p = referenceSetProblem(sets[i]);
      if (p) return `${where}.referenceValues.${list}[${i}]: ${p}`;
    }
  }
  if (!Array.isArray(v.operators) || v.operators.length === 0) return `${where}.operators: expected at least one operator`;
  for (let i = 0; i < v.operators.length; i++) {
    const o = v.operators[i];
    const at = `${where}.operators[${i}]`;
    if (!isObject(o)) return `${at}: expected an object`;
    const ok = keysProblem(o, at, ["id", "organization", "signingKey", "sealingKey"]);
    if (ok) return ok;
    if (!isString(o.id) || !NODE_ID.test(o.id)) return `${at}.id: expected 2-20 chars of [a-z0-9-], found ${JSON.stringify(o.id)}`;
    if (!isString(o.organization) || o.organization.trim() === "") return `${at}.organization: expected the operator's legal entity`;
    if (!base64Key(o.signingKey, ED25519_KEY_BYTES)) return `${at}.signingKey: expected base64 of a 32-byte Ed25519 public key`;
    if (!base64Key(o.sealingKey, SEALING_KEY_BYTES)) return `${at}.sealingKey: expected base64 of a 32-byte X25519 public key`;
  }
  if (!Array.isArray(v.nodes) || v.nodes.length === 0) return `${where}.nodes: expected at least one node`;
  for (let i = 0; i < v.nodes.length; i++) {
    const n = v.nodes[i];
    const at = `${where}.nodes[${i}]`;
    if (!isObject(n)) return `${at}: expected an object`;
    const nk = keysProblem(n, at, ["id", "role", "operator", "cloud", "account", "region", "peerId", "secretScope"]);
    if (nk) return nk;
    if (!isString(n.id) || !NODE_ID.test(n.id)) return `${at}.id: expected 2-20 chars of [a-z0-9-], found ${JSON.stringify(n.id)}`;
    if (n.role !== "committee" && n.role !== "aggregator") return `${at}.role: expected committee or aggregator, found ${JSON.stringify(n.role)}`;
    if (!CLOUDS.includes(n.cloud as Cloud)) return `${at}.cloud: expected gcp, azure or aws, found ${JSON.stringify(n.cloud)}`;
    for (const f of ["operator", "account", "region"] as const) if (!isString(n[f]) || (n[f] as string).trim() === "") return `${at}.${f}: expected a non-empty string`;
    if (!isString(n.peerId) || !PEER_ID_FORMAT.test(n.peerId)) return `${at}.peerId: expected an iroh NodeId (64 hex or 52 base32 characters), found ${JSON.stringify(n.peerId)}`;
    if (!isObject(n.secretScope) || keysProblem(n.secretScope, `${at}.secretScope`, ["vault", "mount"]) || !isString(n.secretScope.vault) || !/^https:\/\//.test(n.secretScope.vault) || !isString(n.secretScope.mount) || n.secretScope.mount === "") {
      return `${at}.secretScope: expected {vault: an https:// address, mount: the KV mount}`;
    }
  }
  return undefined;
}

const sameName = (a: string, b: string) => normalName(a) === normalName(b);

/**
 * What makes a well-formed body unacceptable as an instance: unknown operators, duplicate ids,
 * and any-trust's diversity. Every committee server is run by its own organization, in its own
 * account and region; in production the committee is odd and at least 3; exactly one aggregator.
 */
function manifestRuleProblems(m: Manifest): string[] {
  const out: string[] = [];
  const ops = new Map(m.operators.map((o) => [o.id, o]));
  const dup = <T>(xs: T[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
  for (const id of dup(m.operators.map((o) => o.id))) out.push(`operators: id ${JSON.stringify(id)} listed twice`);
  for (const org of dup(m.operators.map((o) => normalName(o.organization)))) out.push(`operators: organization ${JSON.stringify(org)} listed twice (one entry per organization)`);
  for (const key of dup(m.operators.map((o) => o.signingKey))) out.push(`operators: signing key ${key.slice(0, 12)}... used by two operators`);
  for (const id of dup(m.nodes.map((n) => n.id))) out.push(`nodes: id ${JSON.stringify(id)} listed twice`);
  m.nodes.forEach((n, i) => {
    if (!ops.has(n.operator)) out.push(`nodes[${i}] (${n.id}).operator: expected one of ${[...ops.keys()].join(", ")}, found ${JSON.stringify(n.operator)}`);
  });
  for (const key of dup(m.operators.map((o) => o.sealingKey))) out.push(`operators: sealing key ${key.slice(0, 12)}... used by two operators`);
  for (const peer of dup(m.nodes.map((n) => n.peerId))) out.push(`nodes: PeerId ${peer.slice(0, 12)}... listed for two nodes`);
  const committee = m.nodes.filter((n) => n.role === "committee");
  const orgOf = (n: ManifestNode) => ops.get(n.operator)?.organization ?? n.operator;
  for (let i = 0; i < committee.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [committee[j], committee[i]];
      if (sameName(orgOf(a), orgOf(b))) out.push(`nodes: committee servers ${a.id} and ${b.id} are both run by ${orgOf(a)} (expected one organization per committee server)`);
      if (sameName(a.account, b.account)) out.push(`nodes: committee servers ${a.id} and ${b.id} share account ${a.account} (expected one fault domain per server)`);
      if (sameName(a.region, b.region)) out.push(`nodes: committee servers ${a.id} and ${b.id} share region ${a.region} (expected one fault domain per server)`);
    }
  }
  if (m.posture === "production" && (committee.length < 3 || committee.length % 2 === 0)) out.push(`nodes: expected an odd committee of at least 3 in production, found ${committee.length}`);
  const aggregators = m.nodes.filter((n) => n.role === "aggregator");
  if (aggregators.length !== 1) out.push(`nodes: expected exactly one aggregator, found ${aggregators.length}`);
  for (const o of m.operators) if (!m.nodes.some((n) => n.operator === o.id)) out.push(`operators: ${o.id} runs no node`);
  return out;
}

/** Why `value` is not a manifest chain file (shape only), or undefined. */
function chainShapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "expected a JSON object";
  if (value.schema !== MANIFEST_SCHEMA) return `schema: expected ${JSON.stringify(MANIFEST_SCHEMA)}, found ${JSON.stringify(value.schema)}`;
  const k = keysProblem(value, "file", ["schema", "epochs"]);
  if (k) return k;
  if (!Array.isArray(value.epochs) || value.epochs.length === 0) return "epochs: expected at least one epoch";
  for (let i = 0; i < value.epochs.length; i++) {
    const e = value.epochs[i];
    if (!isObject(e)) return `epochs[${i}]: expected {manifest, signatures}`;
    const ek = keysProblem(e, `epochs[${i}]`, ["manifest", "signatures"]);
    if (ek) return ek;
    const p = manifestShapeProblem(e.manifest, `epochs[${i}].manifest`);
    if (p) return p;
    if (!Array.isArray(e.signatures)) return `epochs[${i}].signatures: expected a list`;
    for (let j = 0; j < e.signatures.length; j++) {
      const s = e.signatures[j];
      if (!isObject(s) || keysProblem(s, "", ["operator", "key", "signature"]) || !isString(s.operator) || !isString(s.key) || !isString(s.signature)) {
        return `epochs[${i}].signatures[${j}]: expected {operator, key, signature}`;
      }
    }
  }
  return undefined;
}

/** Reads a chain file's text; shape errors are input errors. */
export function parseManifestChain(text: string): { chain: ManifestChain } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})` };
  }
  const problem = chainShapeProblem(value);
  return problem ? { problem } : { chain: value as ManifestChain };
}

/** The signatures an epoch needs: each operator of it, and (from epoch 2) each operator of the previous one, by the key each held. */
function requiredSigners(chain: ManifestChain, i: number): Array<{ operator: string; key: string; why: string }> {
  const here = chain.epochs[i].manifest;
  const need = here.operators.map((o) => ({ operator: o.id, key: o.signingKey, why: `an operator of epoch ${here.epoch}` }));
  if (i > 0) {
    for (const o of chain.epochs[i - 1].manifest.operators) {
      if (!need.some((n) => n.operator === o.id && n.key === o.signingKey)) need.push({ operator: o.id, key: o.signingKey, why: `an operator of the previous epoch ${here.epoch - 1}, with the key it held then` });
    }
  }
  return need;
}

export interface VerifyManifestOptions {
  /** SHA-256 of epoch 1's body, pinned by the stack that trusts this chain. */
  genesis?: string;
  /** The newest epoch this stack has accepted: an older newest epoch is refused. */
  minEpoch?: number;
}

/** Verifies a whole chain: shape, hashes, epochs, n-of-n signatures, the instance rules, the pins. */
export function verifyManifestChain(text: string, opts: VerifyManifestOptions = {}): ManifestResult {
  const parsed = parseManifestChain(text);
  if ("problem" in parsed) return { ok: false, reason: parsed.problem, input: true };
  const { chain } = parsed;
  const first = chain.epochs[0].manifest;
  for (let i = 0; i < chain.epochs.length; i++) {
    const m = chain.epochs[i].manifest;
    if (m.instance !== first.instance) return { ok: false, reason: `epochs[${i}].manifest.instance: expected ${first.instance} (one instance per chain), found ${m.instance}` };
    if (m.epoch !== i + 1) return { ok: false, reason: `epochs[${i}].manifest.epoch: expected ${i + 1} (epochs are consecutive from 1), found ${m.epoch}` };
    const previous = i === 0 ? null : manifestHash(chain.epochs[i - 1].manifest);
    if (m.previous !== previous) return { ok: false, reason: `epochs[${i}].manifest.previous: expected ${previous === null ? "null" : `${previous} (the hash of epoch ${i})`}, found ${JSON.stringify(m.previous)}` };
    const rules = manifestRuleProblems(m);
    if (rules.length) return { ok: false, reason: `epoch ${m.epoch}: ${rules.join("; ")}` };
    const body = manifestBody(m);
    for (const need of requiredSigners(chain, i)) {
      const sig = chain.epochs[i].signatures.find((s) => s.operator === need.operator && s.key === need.key);
      if (!sig) return { ok: false, reason: `epoch ${m.epoch}: no signature by ${need.operator} (${need.why}, key ${need.key.slice(0, 12)}...)` };
      if (!verify(body, sig.signature, need.key)) return { ok: false, reason: `epoch ${m.epoch}: the signature by ${need.operator} (key ${need.key.slice(0, 12)}...) does not match the manifest (edited after signing, or signed with another key)` };
    }
  }
  if (opts.genesis !== undefined && manifestHash(first) !== opts.genesis) {
    return { ok: false, reason: `epoch 1 has hash ${manifestHash(first)}, expected the pinned genesis ${opts.genesis} (a different chain)` };
  }
  const newest = chain.epochs[chain.epochs.length - 1].manifest;
  if (opts.minEpoch !== undefined && newest.epoch < opts.minEpoch) {
    return { ok: false, reason: `newest epoch is ${newest.epoch}, older than epoch ${opts.minEpoch} this stack has already accepted (a rollback)` };
  }
  return { ok: true, chain, newest };
}

/** A new chain whose first epoch is `body` (epoch 1, previous null), unsigned. */
export function initChain(body: Omit<Manifest, "epoch" | "previous">): ManifestChain {
  return { schema: MANIFEST_SCHEMA, epochs: [{ manifest: { ...body, epoch: 1, previous: null }, signatures: [] }] };
}

/** The chain with `body` appended as the next epoch (numbered and linked), unsigned. */
export function amendChain(chain: ManifestChain, body: Omit<Manifest, "epoch" | "previous">): ManifestChain {
  const last = chain.epochs[chain.epochs.length - 1].manifest;
  return { ...chain, epochs: [...chain.epochs, { manifest: { ...body, epoch: last.epoch + 1, previous: manifestHash(last) }, signatures: [] }] };
}

/** The chain with `operator`'s signature (by `privateKey`) added to its newest epoch. */
export function signNewest(chain: ManifestChain, operator: string, privateKey: KeyObject | string, publicKeyBase64: string): ManifestChain {
  const epochs = chain.epochs.slice();
  const last = epochs[epochs.length - 1];
  const signature = sign(manifestBody(last.manifest), privateKey);
  const others = last.signatures.filter((s) => !(s.operator === operator && s.key === publicKeyBase64));
  epochs[epochs.length - 1] = { ...last, signatures: [...others, { operator, key: publicKeyBase64, signature }] };
  return { ...chain, epochs };
}

/** Every node of a manifest with its operator's organization: what an operator's posture record carries (and the audit compares). */
export function manifestNodeFacts(m: Manifest): Array<{ id: string; role: string; operator: string; organization: string; cloud: string; account: string; region: string }> {
  const orgOf = (op: string) => m.operators.find((o) => o.id === op)?.organization ?? op;
  return m.nodes.map((n) => ({ id: n.id, role: n.role, operator: n.operator, organization: orgOf(n.operator), cloud: n.cloud, account: n.account, region: n.region }));
}

/** Canonical text of a chain file (stable, diffable). */
export function renderChain(chain: ManifestChain): string {
  return `${JSON.stringify(chain, null, 2)}\n`;
}

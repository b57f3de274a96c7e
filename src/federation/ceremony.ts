/**
 * The ceremony record of a federated instance's committee secret (docs/federation.md): for one
 * manifest epoch, the hash of each operator's sealed copy and a commitment to the secret, signed by
 * every operator of the epoch (n of n) with its manifest signing key. A sealed copy needs only
 * public keys to make, so without this record anyone could put a secret of their choosing in an
 * operator's copy; with it, a stack imports only a copy the operators signed for, and only a secret
 * matching the commitment every committee operator checked its own copy against. Pure.
 */
import { createHash } from "node:crypto";
import { canonicalJson, sign, verify } from "../deployRecord/ed25519";
import { committeeOperators, type Manifest, type ManifestSignature } from "./manifest";
import type { Sealed } from "./seal";

const CEREMONY_SCHEMA = "zipnet-ceremony/v1";

export interface CeremonyRecord {
  instance: string;
  epoch: number;
  /** SHA-256 of the manifest epoch. */
  manifest: string;
  /** secretCommitment of the secret (src/federation/seal.ts). */
  commitment: string;
  /** Per committee operator, the SHA-256 of its sealed copy's canonical JSON. */
  copies: Record<string, string>;
}

export interface CeremonyFile {
  schema: typeof CEREMONY_SCHEMA;
  record: CeremonyRecord;
  signatures: ManifestSignature[];
}

/** SHA-256 (hex) of a sealed copy's canonical JSON: what the record lists. */
export function sealedHash(s: Sealed): string {
  return createHash("sha256").update(canonicalJson(s)).digest("hex");
}

/** File name of an epoch's ceremony record. */
export function ceremonyFileName(instance: string, epoch: number): string {
  return `${instance}.epoch-${epoch}.ceremony.json`;
}

export function ceremonyFile(record: CeremonyRecord): CeremonyFile {
  return { schema: CEREMONY_SCHEMA, record, signatures: [] };
}

/** The file with `operator`'s signature over the record added (replacing its earlier one by the same key). */
export function signCeremony(file: CeremonyFile, operator: string, privateKey: Parameters<typeof sign>[1], publicKeyBase64: string): CeremonyFile {
  const signature = sign(canonicalJson(file.record), privateKey);
  return { ...file, signatures: [...file.signatures.filter((s) => !(s.operator === operator && s.key === publicKeyBase64)), { operator, key: publicKeyBase64, signature }] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads a ceremony file's text; a shape problem is a string. */
export function parseCeremony(text: string): CeremonyFile | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (!isObject(v) || v.schema !== CEREMONY_SCHEMA || !isObject(v.record) || !Array.isArray(v.signatures)) return `expected a ${CEREMONY_SCHEMA} file {schema, record, signatures}`;
  const r = v.record;
  if (typeof r.instance !== "string" || !Number.isInteger(r.epoch) || typeof r.manifest !== "string" || typeof r.commitment !== "string" || !/^[0-9a-f]{64}$/.test(r.commitment) || !isObject(r.copies)) {
    return "record: expected {instance, epoch, manifest, commitment (64 hex), copies}";
  }
  if (Object.keys(r).some((k) => !["instance", "epoch", "manifest", "commitment", "copies"].includes(k))) return "record: unexpected key";
  if (Object.values(r.copies).some((h) => typeof h !== "string" || !/^[0-9a-f]{64}$/.test(h))) return "record.copies: expected SHA-256 hex per operator";
  if (v.signatures.some((s) => !isObject(s) || typeof s.operator !== "string" || typeof s.key !== "string" || typeof s.signature !== "string")) return "signatures: expected [{operator, key, signature}]";
  return v as unknown as CeremonyFile;
}

/**
 * Why the record is not the signed ceremony of manifest epoch `m` (hash `hash`), or undefined: it
 * names this epoch, lists a copy for exactly the committee operators, and every operator of the
 * epoch signed it with the key the manifest gives it.
 */
export function ceremonyProblem(file: CeremonyFile, m: Manifest, hash: string): string | undefined {
  const r = file.record;
  if (r.instance !== m.instance || r.epoch !== m.epoch || r.manifest !== hash) return `expected the ceremony of ${m.instance} epoch ${m.epoch} (manifest ${hash.slice(0, 12)}...), found one of ${r.instance} epoch ${r.epoch} (manifest ${r.manifest.slice(0, 12)}...)`;
  const holders = committeeOperators(m).map((o) => o.id).sort();
  const listed = Object.keys(r.copies).sort();
  if (canonicalJson(holders) !== canonicalJson(listed)) return `expected copies for the committee operators ${holders.join(", ")}, found copies for ${listed.join(", ") || "none"}`;
  const body = canonicalJson(r);
  for (const o of m.operators) {
    const sig = file.signatures.find((s) => s.operator === o.id && s.key === o.signingKey);
    if (!sig) return `no signature by ${o.id} (every operator of epoch ${m.epoch} signs the ceremony record)`;
    if (!verify(body, sig.signature, o.signingKey)) return `the signature by ${o.id} does not match the ceremony record (edited after signing, or signed with another key)`;
  }
  return undefined;
}

/**
 * The committee secret crosses organizations only sealed (docs/federation.md): a ceremony draws it
 * once and seals one copy to each committee operator's X25519 key; only that operator's private
 * key opens its copy. The construction is ECIES-style from node:crypto: an ephemeral X25519 key
 * agreement with the recipient's key (RFC 7748), HKDF-SHA256 (RFC 5869) over the shared secret,
 * salted with both public keys, and AES-256-GCM whose additional data is the sealed file's header
 * (instance, epoch, manifest hash, operator, keys), so a copy cannot be moved to another epoch,
 * instance or operator without failing to open. Pure.
 */
import * as crypto from "node:crypto";
import type { KeyObject } from "node:crypto";
import { canonicalJson, decodeBase64Strict } from "../deployRecord/ed25519";
import { committeeOperators } from "./manifest";

const SEALED_SCHEMA = "zipnet-sealed-secret/v1";
/** Bytes of a committee secret (as the single-stack instances' random secret). */
const COMMITTEE_SECRET_BYTES = 32;
const HKDF_INFO = "zipnet committee secret seal v1";
/** DER prefixes of X25519 SPKI / PKCS8 keys; the 32 raw bytes follow. */
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export class SealError extends Error {
  constructor(
    message: string,
    /** True when the input is not a sealed file or not a key (exit 2), false when it does not open (exit 1). */
    readonly input = false,
  ) {
    super(message);
    this.name = "SealError";
  }
}

interface SealedHeader {
  schema: typeof SEALED_SCHEMA;
  instance: string;
  epoch: number;
  /** SHA-256 of the manifest epoch the ceremony ran for. */
  manifest: string;
  operator: string;
  /** The recipient's X25519 public key (base64 of 32 bytes). */
  recipient: string;
  /** The ephemeral X25519 public key (base64). */
  ephemeral: string;
  /** AES-GCM nonce (base64 of 12 bytes). */
  nonce: string;
}

export interface Sealed extends SealedHeader {
  /** AES-256-GCM ciphertext and 16-byte tag (base64). */
  ciphertext: string;
}

function rawPublic(key: KeyObject): Buffer {
  return (key.export({ format: "der", type: "spki" }) as Buffer).subarray(SPKI_PREFIX.length);
}

/** An X25519 public key from base64 of its 32 bytes. */
function loadSealingPublicKey(base64: string): KeyObject {
  const raw = decodeBase64Strict(base64);
  if (raw?.length !== 32) throw new SealError("sealing key: expected base64 of a 32-byte X25519 public key", true);
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** An X25519 private key: PKCS8 PEM (`openssl genpkey -algorithm X25519`) or base64 of its 32 bytes. */
export function loadSealingPrivateKey(text: string): KeyObject {
  const t = text.trim();
  let key: KeyObject;
  try {
    key = t.startsWith("-----BEGIN")
      ? crypto.createPrivateKey({ key: t, format: "pem" })
      : crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(t, "base64")]), format: "der", type: "pkcs8" });
  } catch {
    throw new SealError("sealing private key: expected PKCS8 PEM or base64 of a 32-byte X25519 key", true);
  }
  if (key.asymmetricKeyType !== "x25519") throw new SealError(`sealing private key: a ${key.asymmetricKeyType} key, expected X25519`, true);
  return key;
}

/** A fresh X25519 key pair: the PKCS8 PEM to keep, the base64 public key for the manifest. */
export function generateSealingKeyPair(): { privatePem: string; publicBase64: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("x25519");
  return { privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(), publicBase64: rawPublic(publicKey).toString("base64") };
}

/** X25519 key agreement; a low-order public key is refused (RFC 7748 §6.1: the all-zero result; OpenSSL refuses it itself). */
function agree(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let shared: Buffer;
  try {
    shared = crypto.diffieHellman({ privateKey, publicKey });
  } catch {
    throw new SealError("X25519 key agreement failed: a low-order or invalid public key", true);
  }
  if (shared.every((b) => b === 0)) throw new SealError("X25519 key agreement produced the all-zero secret: a low-order public key", true);
  return shared;
}

function derive(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", shared, Buffer.concat([ephemeral, recipient]), HKDF_INFO, 32));
}

const aad = (h: SealedHeader) => Buffer.from(canonicalJson(h), "utf8");

/** Seals `secret` to one operator's X25519 key. */
export function seal(secret: Buffer, to: { instance: string; epoch: number; manifest: string; operator: string; recipient: string }): Sealed {
  const recipientKey = loadSealingPublicKey(to.recipient);
  const eph = crypto.generateKeyPairSync("x25519");
  const ephRaw = rawPublic(eph.publicKey);
  const key = derive(agree(eph.privateKey, recipientKey), ephRaw, rawPublic(recipientKey));
  const nonce = crypto.randomBytes(12);
  const header: SealedHeader = { schema: SEALED_SCHEMA, ...to, ephemeral: ephRaw.toString("base64"), nonce: nonce.toString("base64") };
  const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad(header));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
  return { ...header, ciphertext: ciphertext.toString("base64") };
}

const HEADER_KEYS = ["schema", "instance", "epoch", "manifest", "operator", "recipient", "ephemeral", "nonce"] as const;

/** Reads a sealed file's JSON text (shape only). */
export function parseSealed(text: string): Sealed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SealError(`not JSON (${(e as Error).message})`, true);
  }
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== "object" || Array.isArray(o) || o.schema !== SEALED_SCHEMA) throw new SealError(`expected a ${SEALED_SCHEMA} file`, true);
  const keys = [...HEADER_KEYS, "ciphertext"];
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) throw new SealError(`unexpected key ${JSON.stringify(extra[0])}`, true);
  for (const k of keys) if (k !== "epoch" && typeof o[k] !== "string") throw new SealError(`${k}: expected a string`, true);
  if (!Number.isInteger(o.epoch)) throw new SealError("epoch: expected an integer", true);
  return o as unknown as Sealed;
}

/** Opens a sealed copy with the operator's private key; throws SealError when it is not this key's or was altered. */
export function open(sealed: Sealed, privateKey: KeyObject): Buffer {
  const mine = rawPublic(crypto.createPublicKey(privateKey)).toString("base64");
  if (mine !== sealed.recipient) throw new SealError(`sealed to ${sealed.operator}'s key ${sealed.recipient.slice(0, 12)}..., not to this key (${mine.slice(0, 12)}...)`);
  const header: SealedHeader = Object.fromEntries(HEADER_KEYS.map((k) => [k, sealed[k]])) as unknown as SealedHeader;
  const eph = loadSealingPublicKey(sealed.ephemeral);
  const key = derive(agree(privateKey, eph), Buffer.from(sealed.ephemeral, "base64"), Buffer.from(sealed.recipient, "base64"));
  const body = Buffer.from(sealed.ciphertext, "base64");
  if (body.length < 17) throw new SealError("ciphertext: too short", true);
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.nonce, "base64"));
  decipher.setAAD(aad(header));
  decipher.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    throw new SealError("does not open: the sealed copy or its header was altered");
  }
}


/** What a ceremony is for: the manifest's newest epoch. */
interface CeremonyTarget {
  instance: string;
  epoch: number;
  operators: Array<{ id: string; sealingKey: string }>;
  nodes: Array<{ role: string; operator: string }>;
}

/**
 * A commitment to the committee secret, bound to the instance and epoch: SHA-256 over a domain tag,
 * the instance, the epoch and the secret. It lets each operator check that its copy holds the same
 * secret as everyone's (src/federation/ceremony.ts) without revealing it (the secret is 32 random bytes).
 */
export function secretCommitment(secret: Buffer, instance: string, epoch: number): string {
  return crypto.createHash("sha256").update(`zipnet committee secret commitment v1\u0000${instance}\u0000${epoch}\u0000`).update(secret).digest("hex");
}

/**
 * The ceremony: one fresh committee secret, sealed to each operator that runs a committee server
 * of the manifest's newest epoch (an operator that runs only the aggregator gets none), and its
 * commitment. The secret itself never leaves this function.
 */
export function committeeCeremony(m: CeremonyTarget, manifestHash: string): { sealed: Sealed[]; commitment: string } {
  const secret = crypto.randomBytes(COMMITTEE_SECRET_BYTES);
  try {
    const holders = committeeOperators(m);
    return {
      sealed: holders.map((o) => seal(secret, { instance: m.instance, epoch: m.epoch, manifest: manifestHash, operator: o.id, recipient: o.sealingKey })),
      commitment: secretCommitment(secret, m.instance, m.epoch),
    };
  } finally {
    secret.fill(0);
  }
}

/** File name of an operator's sealed copy for an epoch. */
export function sealedFileName(instance: string, epoch: number, operator: string): string {
  return `${instance}.epoch-${epoch}.${operator}.sealed.json`;
}

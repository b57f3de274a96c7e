/**
 * Ed25519 helpers shared by the signed deploy-record files (publication, peer registry).
 * Pure: node:crypto only.
 *
 * Key text formats:
 * - private key: PKCS8 PEM (`-----BEGIN PRIVATE KEY-----`, what `openssl genpkey -algorithm
 *   ed25519` writes) or base64 of the 32-byte raw seed (what most Ed25519 libraries call the
 *   secret key; libsodium's 64-byte seed||public form is refused with a hint).
 * - public key: SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or base64 of the 32 raw bytes.
 * Surrounding whitespace is ignored; base64 must be canonical standard base64 (`+/`, padded).
 *
 * Error contract: `loadPrivateKey` / `loadPublicKey` throw `KeyFormatError` (a typed error with a
 * one-line message that never contains key material) for text they cannot read. `verify` never
 * throws: a malformed signature, an unreadable key or a wrong key all return `false`.
 *
 * Signatures are detached and base64 (88 characters for the 64 bytes). `decodeSignature` is
 * strict: it accepts exactly the canonical base64 of 64 bytes, so changing any character of a
 * signature (even one of the padding bits a lenient decoder would ignore) fails verification.
 */
import * as crypto from "node:crypto";
import canonicalize from "canonicalize";
import type { KeyObject } from "node:crypto";

/** DER prefix of a PKCS8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export const ED25519_SIGNATURE_BYTES = 64;
export const ED25519_KEY_BYTES = 32;

/** Key text that cannot be read as an Ed25519 key of the expected kind. */
export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyFormatError";
  }
}

/** Strict standard base64: the decoded bytes re-encode to exactly the input. */
/** The bytes of canonical base64 (padded, no whitespace, the one encoding of its bytes), else undefined. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

function pemLabel(text: string): string | undefined {
  return text.match(/^-----BEGIN ([A-Z0-9 ]+)-----/)?.[1];
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new KeyFormatError(`${what} is a ${key.asymmetricKeyType ?? "non-asymmetric"} key, expected Ed25519`);
  }
  return key;
}

/** Reads an Ed25519 private key: PKCS8 PEM or base64 of the 32-byte seed. Throws KeyFormatError. */
export function loadPrivateKey(text: string): KeyObject {
  if (typeof text !== "string" || text.trim() === "") throw new KeyFormatError("private key: empty (expected PKCS8 PEM or base64 of a 32-byte Ed25519 seed)");
  const trimmed = text.trim();
  const label = pemLabel(trimmed);
  if (label !== undefined) {
    if (label !== "PRIVATE KEY") {
      throw new KeyFormatError(`private key: PEM block "${label}", expected "PRIVATE KEY" (PKCS8 Ed25519)`);
    }
    let key: KeyObject;
    try {
      key = crypto.createPrivateKey({ key: trimmed, format: "pem" });
    } catch {
      throw new KeyFormatError("private key: unreadable PKCS8 PEM");
    }
    return requireEd25519(key, "private key");
  }
  const raw = decodeBase64Strict(trimmed);
  if (!raw) throw new KeyFormatError("private key: neither a PEM block nor canonical base64");
  if (raw.length === 64) {
    throw new KeyFormatError("private key: 64 bytes (libsodium seed||public form?): pass base64 of the first 32 bytes (the seed)");
  }
  if (raw.length !== ED25519_KEY_BYTES) throw new KeyFormatError(`private key: base64 of ${raw.length} bytes, expected a 32-byte Ed25519 seed`);
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: "der", type: "pkcs8" });
}

/** Reads an Ed25519 public key: SPKI PEM or base64 of the 32 raw bytes. Throws KeyFormatError. */
export function loadPublicKey(text: string): KeyObject {
  if (typeof text !== "string" || text.trim() === "") throw new KeyFormatError("public key: empty (expected SPKI PEM or base64 of 32 raw Ed25519 bytes)");
  const trimmed = text.trim();
  const label = pemLabel(trimmed);
  if (label !== undefined) {
    // createPublicKey would derive a public key from a private PEM: refuse, a private key in a
    // verification-key slot (config, CLI argument) is a leak, not a convenience.
    if (label.includes("PRIVATE")) throw new KeyFormatError("public key: this is a PRIVATE key; pass the public key (SPKI PEM)");
    if (label !== "PUBLIC KEY") throw new KeyFormatError(`public key: PEM block "${label}", expected "PUBLIC KEY" (SPKI Ed25519)`);
    let key: KeyObject;
    try {
      key = crypto.createPublicKey({ key: trimmed, format: "pem" });
    } catch {
      throw new KeyFormatError("public key: unreadable SPKI PEM");
    }
    return requireEd25519(key, "public key");
  }
  const raw = decodeBase64Strict(trimmed);
  if (!raw) throw new KeyFormatError("public key: neither a PEM block nor canonical base64");
  if (raw.length !== ED25519_KEY_BYTES) throw new KeyFormatError(`public key: base64 of ${raw.length} bytes, expected 32 raw Ed25519 bytes`);
  try {
    return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch {
    throw new KeyFormatError("public key: not a valid Ed25519 public key");
  }
}

function asKey(key: KeyObject | string, kind: "private" | "public"): KeyObject {
  if (typeof key === "string") return kind === "private" ? loadPrivateKey(key) : loadPublicKey(key);
  if (key.type !== kind) throw new KeyFormatError(`expected an Ed25519 ${kind} key, got a ${key.type} key`);
  return requireEd25519(key, `${kind} key`);
}

function toBytes(data: Uint8Array | string): Buffer {
  return typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Detached Ed25519 signature of `bytes` (strings are signed as UTF-8), base64. */
export function sign(bytes: Uint8Array | string, privateKey: KeyObject | string): string {
  return crypto.sign(null, toBytes(bytes), asKey(privateKey, "private")).toString("base64");
}

/** The 64 signature bytes of canonical base64 text (surrounding whitespace ignored), or undefined. */
export function decodeSignature(sigBase64: string): Buffer | undefined {
  if (typeof sigBase64 !== "string") return undefined;
  const raw = decodeBase64Strict(sigBase64.trim());
  return raw && raw.length === ED25519_SIGNATURE_BYTES ? raw : undefined;
}

/** True iff `sigBase64` is a valid signature of `bytes` by `publicKey`. Never throws. */
export function verify(bytes: Uint8Array | string, sigBase64: string, publicKey: KeyObject | string): boolean {
  try {
    const sig = decodeSignature(sigBase64);
    if (!sig) return false;
    return crypto.verify(null, toBytes(bytes), asKey(publicKey, "public"), sig);
  } catch {
    return false;
  }
}

/** The public key of a private key. */
export function publicKeyOf(privateKey: KeyObject | string): KeyObject {
  return crypto.createPublicKey(asKey(privateKey, "private"));
}

/** SPKI PEM text of a public key (or of a private key's public half). */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === "private" ? crypto.createPublicKey(key) : key;
  return pub.export({ format: "pem", type: "spki" }).toString();
}

/** Base64 of the 32 raw public key bytes (the compact form for stack config). */
export function publicKeyBase64(key: KeyObject): string {
  const pub = key.type === "private" ? crypto.createPublicKey(key) : key;
  return (pub.export({ format: "der", type: "spki" }) as Buffer).subarray(SPKI_PREFIX.length).toString("base64");
}

export interface GeneratedKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS8 PEM. */
  privatePem: string;
  /** SPKI PEM. */
  publicPem: string;
  /** Base64 of the 32-byte seed. */
  privateBase64: string;
  /** Base64 of the 32 raw public key bytes. */
  publicBase64: string;
}

/** A fresh key pair in every accepted text form (tests, `keygen`-style CLI commands). */
export function generateKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" }) as Buffer;
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicPem: publicKeyPem(publicKey),
    privateBase64: pkcs8.subarray(PKCS8_PREFIX.length).toString("base64"),
    publicBase64: publicKeyBase64(publicKey),
  };
}

/**
 * Canonical JSON, RFC 8785 (JCS), written by the `canonicalize` package (erdtman/canonicalize, by
 * an author of the RFC): keys sorted by UTF-16 code units, no whitespace, ECMAScript number and
 * string serialization. Checked first, because JCS libraries silently drop or coerce what JSON
 * cannot represent faithfully: throws TypeError on non-finite numbers, bigint, functions, symbols,
 * `undefined` in arrays, and objects that are not plain (Date, Map, class instances). Object
 * properties whose value is `undefined` are omitted (as JSON.stringify does).
 */
export function canonicalJson(value: unknown): string {
  check(value, "$");
  return canonicalize(value) as string;
}

/** Throws TypeError where `value` is not plain JSON (see canonicalJson). */
function check(value: unknown, at: string): void {
  if (value === null) return;
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${at} is ${value}, not a finite number`);
      return;
    case "object": {
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (item === undefined) throw new TypeError(`canonicalJson: ${at}[${i}] is undefined`);
          check(item, `${at}[${i}]`);
        });
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonicalJson: ${at} is a ${proto?.constructor?.name ?? "non-plain"} object, not a plain object`);
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) check(v, `${at}.${k}`);
      return;
    }
    default:
      throw new TypeError(`canonicalJson: ${at} is a ${typeof value}, not a JSON value`);
  }
}

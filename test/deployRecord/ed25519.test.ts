/** Ed25519 helpers: key text forms, strict signatures, verify never throws, canonical JSON. */
import * as crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  KeyFormatError,
  canonicalJson,
  decodeSignature,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  publicKeyBase64,
  publicKeyOf,
  publicKeyPem,
  sign,
  verify,
} from "../../src/deployRecord/ed25519";

const MESSAGE = "zipnet deploy record\n";

describe("key loading", () => {
  const kp = generateKeyPair();

  it("reads PKCS8 PEM and base64 seeds to the same key", () => {
    const fromPem = loadPrivateKey(kp.privatePem);
    const fromSeed = loadPrivateKey(`  ${kp.privateBase64}\n`);
    expect(sign(MESSAGE, fromPem)).toBe(sign(MESSAGE, fromSeed)); // Ed25519 is deterministic
    expect(publicKeyBase64(publicKeyOf(fromSeed))).toBe(kp.publicBase64);
  });

  it("reads SPKI PEM and base64 raw public keys", () => {
    const sig = sign(MESSAGE, kp.privateKey);
    expect(verify(MESSAGE, sig, loadPublicKey(kp.publicPem))).toBe(true);
    expect(verify(MESSAGE, sig, loadPublicKey(kp.publicBase64))).toBe(true);
    expect(verify(MESSAGE, sig, kp.publicBase64)).toBe(true);
    expect(publicKeyPem(kp.privateKey)).toBe(kp.publicPem);
  });

  it("rejects unreadable key text with a typed error that holds no key material", () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => loadPrivateKey(""), /empty/],
      [() => loadPrivateKey("not a key!"), /neither a PEM block nor canonical base64/],
      [() => loadPrivateKey(Buffer.alloc(16).toString("base64")), /16 bytes/],
      [() => loadPrivateKey(Buffer.alloc(64).toString("base64")), /libsodium/],
      [() => loadPrivateKey(kp.publicPem), /PEM block "PUBLIC KEY"/],
      [() => loadPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"), /unreadable PKCS8/],
      [() => loadPublicKey(kp.privatePem), /PRIVATE key/],
      [() => loadPublicKey(kp.privateBase64.slice(0, -4)), /bytes|base64/],
      [() => loadPublicKey(Buffer.alloc(33).toString("base64")), /33 bytes/],
    ];
    for (const [fn, message] of cases) {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(KeyFormatError);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).not.toContain(kp.privateBase64);
    }
  });

  it("rejects non-Ed25519 PEM keys", () => {
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => loadPrivateKey(ec.privateKey.export({ format: "pem", type: "pkcs8" }).toString())).toThrow(/ec key, expected Ed25519/);
    expect(() => loadPublicKey(ec.publicKey.export({ format: "pem", type: "spki" }).toString())).toThrow(/ec key, expected Ed25519/);
  });
});

describe("sign / verify", () => {
  const kp = generateKeyPair();
  const other = generateKeyPair();
  const sig = sign(MESSAGE, kp.privateKey);

  it("signs strings as UTF-8 and bytes as given", () => {
    expect(sig).toHaveLength(88);
    expect(sign(Buffer.from(MESSAGE), kp.privateKey)).toBe(sig);
    expect(verify(new TextEncoder().encode(MESSAGE), sig, kp.publicKey)).toBe(true);
  });

  it("detects a changed message, another key, and every single-character change of the signature", () => {
    expect(verify(`${MESSAGE} `, sig, kp.publicKey)).toBe(false);
    expect(verify(MESSAGE, sig, other.publicKey)).toBe(false);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (let i = 0; i < 86; i++) {
      const replacement = alphabet[(alphabet.indexOf(sig[i]) + 1) % 64];
      const tampered = sig.slice(0, i) + replacement + sig.slice(i + 1);
      expect(verify(MESSAGE, tampered, kp.publicKey), `char ${i}`).toBe(false);
    }
  });

  it("detects a flipped bit of the signature", () => {
    const raw = Buffer.from(sig, "base64");
    for (const bit of [0, 7, 100, 511]) {
      const flipped = Buffer.from(raw);
      flipped[bit >> 3] ^= 1 << (bit & 7);
      expect(verify(MESSAGE, flipped.toString("base64"), kp.publicKey)).toBe(false);
    }
  });

  it("never throws on malformed signatures or keys", () => {
    for (const bad of ["", "!!!!", sig.slice(0, 40), `${sig}AAAA`, sig.replace(/==$/, ""), "A".repeat(88)]) {
      expect(verify(MESSAGE, bad, kp.publicKey)).toBe(false);
    }
    expect(verify(MESSAGE, sig, "garbage")).toBe(false);
    expect(verify(MESSAGE, sig, kp.privatePem)).toBe(false);
    expect(verify(MESSAGE, sig, kp.privateKey)).toBe(false);
    expect(verify(MESSAGE, undefined as unknown as string, kp.publicKey)).toBe(false);
  });

  it("accepts the signature with surrounding whitespace (a .sig file's newline)", () => {
    expect(verify(MESSAGE, `${sig}\n`, kp.publicKey)).toBe(true);
    expect(decodeSignature(` ${sig}\r\n`)).toHaveLength(64);
  });

  it("refuses to sign with a public key", () => {
    expect(() => sign(MESSAGE, kp.publicKey)).toThrow(KeyFormatError);
  });
});

describe("canonicalJson", () => {
  it("sorts keys recursively, keeps array order, writes no whitespace", () => {
    const a = { b: 1, a: { d: [3, 1, { z: true, y: null }], c: "x y" } };
    const b = { a: { c: "x y", d: [3, 1, { y: null, z: true }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":"x y","d":[3,1,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
    expect(JSON.parse(canonicalJson(a))).toEqual(a);
  });

  it("omits undefined properties and escapes strings as JSON does", () => {
    expect(canonicalJson({ a: undefined, b: 'q"\n\u2028é' })).toBe(`{"b":${JSON.stringify('q"\n\u2028é')}}`);
    expect(canonicalJson([])).toBe("[]");
    expect(canonicalJson({})).toBe("{}");
  });

  it("throws on values JSON cannot represent", () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(/\$\.a is NaN/);
    expect(() => canonicalJson([undefined])).toThrow(/undefined/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/Date/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
  });
});

/**
 * The PeerId -> legal entity registry: parsing with field-naming errors, signing, and every
 * issue kind of checkRegistry (missing files/key, bad or foreign signature, tampering, wrong
 * instance, missing/unknown/duplicate nodes, duplicate PeerIds, empty fields, PeerId format).
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/config/validate";
import { generateKeyPair, sign } from "../../src/deployRecord/ed25519";
import {
  REGISTRY_KEY_PATH,
  REGISTRY_SCHEMA,
  RegistryError,
  checkRegistry,
  parseRegistry,
  peerIdBytes,
  registryPaths,
  renderRegistry,
  signRegistry,
  signRegistryText,
  type CheckRegistryInput,
  type PeerRegistry,
  type RegistryIssue,
} from "../../src/deployRecord/registry";

const INSTANCE = "acme.mainnet";
const FILE = "stacks/acme.mainnet.registry.json";
const SIG = "stacks/acme.mainnet.registry.json.sig";
const NODES = ["c1", "c2", "c3", "agg"];

/** Lowercase RFC 4648 base32 without padding (iroh's older NodeId text form). */
function base32(bytes: Buffer): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const keys = NODES.map(() => randomBytes(32));
const registry: PeerRegistry = {
  schema: REGISTRY_SCHEMA,
  instance: INSTANCE,
  entries: [
    { node: "c1", peerId: keys[0].toString("hex"), legalEntity: "Acme Labs Inc.", operator: "Acme SRE", contact: "sre@acme.example" },
    { node: "c2", peerId: keys[1].toString("hex"), legalEntity: "Acme Europe B.V.", operator: "Acme SRE EU", contact: "sre-eu@acme.example" },
    { node: "c3", peerId: base32(keys[2]), legalEntity: "Partner Networks Pte. Ltd.", operator: "Partner NOC", contact: "https://partner.example/noc" },
    { node: "agg", peerId: keys[3].toString("hex"), legalEntity: "Acme Labs Inc.", operator: "Acme SRE", contact: "sre@acme.example" },
  ],
};
const kp = generateKeyPair();
const other = generateKeyPair();
const signed = signRegistry(registry, kp.privateKey);

const input = (over: Partial<CheckRegistryInput> = {}): CheckRegistryInput => ({
  registryText: signed.json,
  signatureText: `${signed.signature}\n`,
  publicKeyText: kp.publicPem,
  instance: INSTANCE,
  nodeIds: NODES,
  ...over,
});

/** A registry edited with `edit` and correctly re-signed (so only the content issue shows). */
function resigned(edit: (r: any) => void): Pick<CheckRegistryInput, "registryText" | "signatureText"> {
  const r = structuredClone(registry) as any;
  edit(r);
  const text = `${JSON.stringify(r, null, 2)}\n`;
  return { registryText: text, signatureText: sign(text, kp.privateKey) };
}

const only = (issues: RegistryIssue[]) => {
  expect(issues, JSON.stringify(issues, null, 2)).toHaveLength(1);
  return issues[0];
};

describe("peerIdBytes", () => {
  it("reads both iroh NodeId text forms to the same bytes", () => {
    expect(peerIdBytes(keys[2].toString("hex"))).toBe(keys[2].toString("hex"));
    expect(base32(keys[2])).toHaveLength(52);
    expect(peerIdBytes(base32(keys[2]))).toBe(keys[2].toString("hex"));
  });

  it("rejects other forms", () => {
    const b32 = base32(keys[0]);
    const nonZeroTrailing = `${b32.slice(0, 51)}b`; // the last char must carry 4 zero trailing bits (a or q)
    for (const bad of ["", "c1", keys[0].toString("hex").toUpperCase(), keys[0].toString("hex").slice(2), b32.toUpperCase(), nonZeroTrailing, `${b32}a`, "z".repeat(52).replace(/z$/, "1")]) {
      expect(peerIdBytes(bad), bad).toBeUndefined();
    }
  });
});

describe("parseRegistry / signRegistry", () => {
  it("renders a stable, readable file and parses it back", () => {
    expect(signed.json).toBe(renderRegistry(registry));
    expect(signed.json).toContain('\n  "entries": [\n');
    expect(parseRegistry(signed.json)).toEqual(registry);
    expect(signRegistry(registry, kp.privateBase64)).toEqual(signed); // deterministic
    expect(registryPaths(INSTANCE)).toEqual({ registry: FILE, signature: SIG });
  });

  it("names the field of every shape problem", () => {
    const bad = { schema: "v0", instance: "", entries: [{ node: "c1", peerId: "xyz", legalEntity: "", operator: "o", contact: " ", extra: 1 }, 7] };
    let caught: unknown;
    try {
      parseRegistry(JSON.stringify(bad), FILE);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RegistryError);
    const paths = (caught as RegistryError).issues.map((i) => i.path);
    expect(paths).toEqual([
      `${FILE}: schema`,
      `${FILE}: instance`,
      `${FILE}: entries[0]`,
      `${FILE}: entries[0].peerId`,
      `${FILE}: entries[0].legalEntity`,
      `${FILE}: entries[0].contact`,
      `${FILE}: entries[1]`,
    ]);
    expect((caught as Error).message).toMatch(/entries\[0\]\.legalEntity: expected the legal entity/);
    expect(() => parseRegistry("{", FILE)).toThrow(/valid JSON/);
    expect(() => parseRegistry('{"schema":"zipnet-peer-registry/v1","instance":"a.b"}', FILE)).toThrow(/entries: expected a list/);
  });

  it("refuses to sign a malformed registry", () => {
    expect(() => signRegistry({ ...registry, entries: [{ ...registry.entries[0], contact: "" }] }, kp.privateKey)).toThrow(RegistryError);
    expect(() => signRegistryText("[]", kp.privateKey)).toThrow(RegistryError);
  });

  it("signs a hand-edited file as-is", () => {
    const text = signed.json.replace("sre@acme.example", "oncall@acme.example");
    const sig = signRegistryText(text, kp.privatePem);
    expect(checkRegistry(input({ registryText: text, signatureText: sig }))).toEqual([]);
  });
});

describe("checkRegistry", () => {
  it("accepts a valid signed registry (PEM or base64 key, hex or base32 PeerIds)", () => {
    expect(checkRegistry(input())).toEqual([]);
    expect(checkRegistry(input({ publicKeyText: kp.publicBase64 }))).toEqual([]);
  });

  it("accepts optional nodes listed or not", () => {
    const { registryText, signatureText } = resigned((r) => r.entries.pop());
    expect(checkRegistry(input({ registryText, signatureText, nodeIds: ["c1", "c2", "c3"], optionalNodeIds: ["agg"] }))).toEqual([]);
    expect(checkRegistry(input({ nodeIds: ["c1", "c2", "c3"], optionalNodeIds: ["agg"] }))).toEqual([]);
  });

  it("missing registry file", () => {
    const issue = only(checkRegistry(input({ registryText: undefined })));
    expect(issue).toMatchObject({ path: FILE, found: "no such file" });
    expect(formatIssue(issue)).toMatch(/^stacks\/acme\.mainnet\.registry\.json: expected the signed PeerId -> legal entity registry/);
  });

  it("missing signature", () => {
    expect(only(checkRegistry(input({ signatureText: undefined })))).toMatchObject({ path: SIG, found: "no such file" });
  });

  it("missing registry and signature", () => {
    expect(checkRegistry(input({ registryText: undefined, signatureText: undefined })).map((i) => i.path)).toEqual([FILE, SIG]);
  });

  it("missing public key", () => {
    expect(only(checkRegistry(input({ publicKeyText: undefined })))).toMatchObject({ path: REGISTRY_KEY_PATH, found: undefined });
    expect(only(checkRegistry(input({ publicKeyText: "  " })))).toMatchObject({ path: REGISTRY_KEY_PATH });
  });

  it("unreadable public key", () => {
    const issue = only(checkRegistry(input({ publicKeyText: "ed25519:not-a-key" })));
    expect(issue.path).toBe(REGISTRY_KEY_PATH);
    expect(String(issue.found)).toMatch(/neither a PEM block nor canonical base64/);
    expect(only(checkRegistry(input({ publicKeyText: kp.privatePem }))).found).toMatch(/PRIVATE key/);
  });

  it("malformed signature text", () => {
    const issue = only(checkRegistry(input({ signatureText: "c2lnbmF0dXJl" })));
    expect(issue).toMatchObject({ path: SIG, expected: expect.stringMatching(/64-byte/) });
  });

  it("tampered registry file (content still valid)", () => {
    for (const tampered of [
      signed.json.replace("Partner Networks Pte. Ltd.", "Acme Labs Inc."),
      signed.json.replace(keys[0].toString("hex"), randomBytes(32).toString("hex")),
      signed.json.replace(/\n$/, ""),
      `${JSON.stringify(registry, null, 4)}\n`, // same content, other whitespace
    ]) {
      const issue = only(checkRegistry(input({ registryText: tampered })));
      expect(issue).toMatchObject({ path: SIG, found: expect.stringMatching(/does not match/) });
    }
  });

  it("tampered signature (one character, one bit)", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const s = signed.signature;
    const oneChar = alphabet[(alphabet.indexOf(s[30]) + 1) % 64];
    const raw = Buffer.from(s, "base64");
    raw[63] ^= 0x80;
    for (const sig of [s.slice(0, 30) + oneChar + s.slice(31), raw.toString("base64")]) {
      expect(only(checkRegistry(input({ signatureText: sig })))).toMatchObject({ path: SIG, found: expect.stringMatching(/does not match/) });
    }
  });

  it("signed by another key", () => {
    const byOther = signRegistry(registry, other.privateKey);
    expect(only(checkRegistry(input({ signatureText: byOther.signature })))).toMatchObject({ path: SIG });
    expect(only(checkRegistry(input({ publicKeyText: other.publicPem })))).toMatchObject({ path: SIG });
  });

  it("wrong instance", () => {
    const issue = only(checkRegistry(input(resigned((r) => (r.instance = "acme.preview")))));
    expect(issue).toEqual({ path: `${FILE}: instance`, expected: '"acme.mainnet" (the registry of this instance)', found: "acme.preview" });
  });

  it("a node of the instance missing from entries", () => {
    const issue = only(checkRegistry(input(resigned((r) => r.entries.splice(1, 1)))));
    expect(issue).toEqual({ path: `${FILE}: entries`, expected: "an entry for node c2 (every node of the instance is listed)", found: ["c1", "c3", "agg"] });
  });

  it("an entry for a node not in the instance", () => {
    const issue = only(checkRegistry(input(resigned((r) => r.entries.push({ ...r.entries[0], node: "c9", peerId: randomBytes(32).toString("hex") })))));
    expect(issue).toMatchObject({ path: `${FILE}: entries[4].node`, found: "c9", expected: expect.stringMatching(/departed/) });
  });

  it("duplicate node", () => {
    const issue = only(checkRegistry(input(resigned((r) => r.entries.push({ ...r.entries[0], peerId: randomBytes(32).toString("hex") })))));
    expect(issue).toEqual({ path: `${FILE}: entries[4].node`, expected: "each node listed once (entries[0] lists it)", found: "c1" });
  });

  it("duplicate PeerId, also across hex and base32 forms", () => {
    const same = only(checkRegistry(input(resigned((r) => (r.entries[3].peerId = r.entries[0].peerId)))));
    expect(same).toMatchObject({ path: `${FILE}: entries[3].peerId`, expected: "a PeerId unique in the registry (entries[0] has it)" });
    const crossForm = only(checkRegistry(input(resigned((r) => (r.entries[3].peerId = keys[2].toString("hex"))))));
    expect(crossForm).toMatchObject({ path: `${FILE}: entries[3].peerId`, expected: expect.stringMatching(/entries\[2\]/) });
  });

  it("empty legal entity, contact or operator", () => {
    for (const field of ["legalEntity", "contact", "operator"]) {
      const issue = only(checkRegistry(input(resigned((r) => (r.entries[2][field] = field === "contact" ? "   " : "")))));
      expect(issue.path).toBe(`${FILE}: entries[2].${field}`);
    }
    const missing = only(checkRegistry(input(resigned((r) => delete r.entries[1].legalEntity))));
    expect(missing).toMatchObject({ path: `${FILE}: entries[1].legalEntity`, found: undefined });
  });

  it("malformed PeerId", () => {
    const issue = only(checkRegistry(input(resigned((r) => (r.entries[0].peerId = "12D3KooWabc")))));
    expect(issue).toMatchObject({ path: `${FILE}: entries[0].peerId`, expected: expect.stringMatching(/iroh NodeId/), found: "12D3KooWabc" });
  });

  it("wrong schema, unknown keys, invalid JSON", () => {
    expect(only(checkRegistry(input(resigned((r) => (r.schema = "zipnet-peer-registry/v2")))))).toMatchObject({ path: `${FILE}: schema` });
    expect(only(checkRegistry(input(resigned((r) => (r.entries[0].email = "x")))))).toMatchObject({ path: `${FILE}: entries[0]`, found: ["email"] });
    const notJson = checkRegistry(input({ registryText: "{ nope", signatureText: sign("{ nope", kp.privateKey) }));
    expect(only(notJson)).toMatchObject({ path: FILE, expected: "valid JSON" });
  });

  it("reports content problems even when the signature is also bad", () => {
    const text = signed.json.replace('"instance": "acme.mainnet"', '"instance": "acme.other"');
    const issues = checkRegistry(input({ registryText: text }));
    expect(issues.map((i) => i.path)).toEqual([SIG, `${FILE}: instance`]);
  });
});

/**
 * The signed publication: deterministic record of the instance, round trip, and detection of
 * any tampering with the file, the signature or the key. Verification is over the exact file
 * bytes: re-serialising the same content with other whitespace or key order FAILS, by design.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { publicationNotice } from "../../src/cli/deployRecord";
import { PROJECT_ROOT, readStackConfig, stackFilePath } from "../../src/config/stackFile";
import { parseInstanceConfig } from "../../src/config/validate";
import { generateKeyPair, sign } from "../../src/deployRecord/ed25519";
import { PUBLICATION_SCHEMA, measurementChanges, publicationOf, renderPublication, signPublication, verifyPublication } from "../../src/deployRecord/publication";
import canonicalize from "canonicalize";

const config = (stack: string, mutate?: (raw: any) => void) => {
  const raw = structuredClone(readStackConfig(stackFilePath(stack))) as any;
  mutate?.(raw);
  return parseInstanceConfig(raw);
};

/** The hex string with its character at index i changed to another hex digit. */
const flipHex = (hex: string, i: number) => `${hex.slice(0, i)}${hex[i] === "0" ? "1" : "0"}${hex.slice(i + 1)}`;

const mainnet = config("acme.mainnet");
const pub = publicationOf(mainnet);
const key = generateKeyPair();
const other = generateKeyPair();
const { json, signature } = signPublication(pub, key.privateKey);
const mrtdOf = (list: "committee" | "clients") => pub.referenceValues[list][0].registers.mrtd.value;

describe("publicationOf", () => {
  it("holds the instance's name, universe, posture, epoch, the whole reference set, per-node sets, images and fault domains", () => {
    expect(pub).toEqual({
      schema: PUBLICATION_SCHEMA,
      instance: "acme.mainnet",
      universe: "",
      posture: "production",
      epoch: 1,
      referenceValues: { committee: mainnet.tdx.committee, clients: mainnet.tdx.clients },
      pins: { "gcp-tdx": ["mrtd", "rtmr0", "rtmr1", "rtmr2"], "qemu-tdx": ["mrtd", "rtmr1", "rtmr2"] },
      committee: [
        { node: "c1", platform: "gcp-tdx", machineType: "c3-standard-4", referenceSets: ["server-v1.4.0-c3-standard-4"] },
        { node: "c2", platform: "gcp-tdx", machineType: "c3-standard-4", referenceSets: ["server-v1.4.0-c3-standard-4"] },
        { node: "c3", platform: "gcp-tdx", machineType: "c3-standard-4", referenceSets: ["server-v1.4.0-c3-standard-4"] },
      ],
      images: { gcp: mainnet.images.gcp, aws: mainnet.images.aws },
      faultDomains: [
        { node: "c1", role: "committee", cloud: "gcp", account: "acme-zipnet-c1", region: "us-east4", operator: "Acme Labs Inc." },
        { node: "c2", role: "committee", cloud: "gcp", account: "acme-zipnet-c2", region: "europe-west4", operator: "Acme Europe B.V." },
        { node: "c3", role: "committee", cloud: "gcp", account: "acme-zipnet-c3", region: "asia-southeast1", operator: "Partner Networks Pte. Ltd." },
        { node: "agg", role: "aggregator", cloud: "aws", account: "123456789012", region: "us-east-2", operator: "Acme Labs Inc." },
      ],
    });
  });

  it("c3-standard-4 -> c3-standard-8 on a GCP committee server moves its expected registers: a change that needs a new signature", () => {
    const resized = publicationOf(config("acme.mainnet", (raw) => (raw.committee[0].size = "c3-standard-8")));
    expect(resized.committee[0]).toEqual({ node: "c1", platform: "gcp-tdx", machineType: "c3-standard-8", referenceSets: ["server-v1.4.0-c3-standard-8"] });
    const before = mainnet.tdx.committee.find((s) => s.name === "server-v1.4.0-c3-standard-4")!.registers;
    const after = mainnet.tdx.committee.find((s) => s.name === "server-v1.4.0-c3-standard-8")!.registers;
    // RTMR0 measures the machine type's TD HOB and ACPI tables; MR_TD (Google's firmware) does not
    // depend on the memory size since Oct 2024 (docs/measurements.md).
    expect(after.rtmr0.value).not.toBe(before.rtmr0.value);
    expect(after.mrtd.value).toBe(before.mrtd.value);
    expect(measurementChanges(pub, resized)).toEqual([
      "committee server c1: gcp-tdx c3-standard-4 [server-v1.4.0-c3-standard-4] -> gcp-tdx c3-standard-8 [server-v1.4.0-c3-standard-8]; expected rtmr0 move",
    ]);
    expect(renderPublication(resized)).not.toBe(renderPublication(pub));
    expect(measurementChanges(pub, publicationOf(config("acme.mainnet")))).toEqual([]);
  });

  it("renders RFC 8785 canonical JSON through the canonicalize library: sorted keys, no whitespace", () => {
    const text = renderPublication(pub);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toBe(`${canonicalize(JSON.parse(text))}\n`);
    expect(text.indexOf('"committee"')).toBeLessThan(text.indexOf('"epoch"'));
  });

  it("is deterministic: same config, same bytes, same signature", () => {
    expect(renderPublication(publicationOf(config("acme.mainnet")))).toBe(json);
    expect(signPublication(publicationOf(config("acme.mainnet")), key.privatePem).signature).toBe(signature);
    expect(json).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps
  });

  it("records a custom universe, omitted images and unnamed operators", () => {
    const preview = publicationOf(
      config("acme.preview", (raw) => {
        raw.universe = "acme-lab";
        delete raw.images.azure;
        raw.committee = raw.committee.filter((n: any) => n.cloud !== "azure");
      }),
    );
    expect(preview.universe).toBe("acme-lab");
    expect(Object.keys(preview.images).sort()).toEqual(["aws", "gcp"]);
    expect(renderPublication(preview)).not.toContain("azure");
    expect(preview.faultDomains.every((f) => f.operator === "")).toBe(true);
    expect(preview.posture).toBe("devtest");
  });

  it("renders canonical JSON with one trailing newline", () => {
    expect(json.endsWith("}\n")).toBe(true);
    expect(json.slice(0, -1)).not.toMatch(/\s(?=(?:[^"]*"[^"]*")*[^"]*$)/); // no whitespace outside strings
    expect(JSON.parse(json)).toEqual(pub);
    expect(Object.keys(JSON.parse(json))).toEqual([...Object.keys(pub)].sort());
  });
});

describe("verifyPublication", () => {
  it("round trips with PEM and base64 public keys, text or bytes", () => {
    for (const pk of [key.publicPem, key.publicBase64]) {
      const result = verifyPublication(json, signature, pk);
      expect(result).toEqual({ ok: true, publication: pub });
    }
    expect(verifyPublication(Buffer.from(json), `${signature}\n`, key.publicPem).ok).toBe(true);
  });

  const tamperings: Array<[string, (text: string) => string]> = [
    ["instance name", (t) => t.replace('"instance":"acme.mainnet"', '"instance":"acme.mainnex"')],
    ["one committee MR_TD hex char", (t) => t.replaceAll(mrtdOf("committee"), flipHex(mrtdOf("committee"), 50))],
    ["one client MR_TD hex char", (t) => t.replace(mrtdOf("clients"), flipHex(mrtdOf("clients"), 95))],
    ["an RTMR enforced no more", (t) => t.replace('"enforce":true', '"enforce":false')],
    ["the epoch", (t) => t.replace('"epoch":1', '"epoch":0')],
    ["an image", (t) => t.replace("zipnet-server-tdx-v1-4-0", "zipnet-server-tdx-v1-4-1")],
    ["a fault domain region", (t) => t.replace('"region":"asia-southeast1"', '"region":"us-east4"')],
    ["a fault domain operator", (t) => t.replace("Partner Networks Pte. Ltd.", "Acme Labs Inc.")],
    ["posture", (t) => t.replace('"posture":"production"', '"posture":"devtest"')],
    ["universe", (t) => t.replace('"universe":""', '"universe":"evil"')],
    ["a removed reference set", (t) => {
      const v = JSON.parse(t);
      v.referenceValues.committee.pop();
      return renderPublication(v);
    }],
    ["trailing newline removed", (t) => t.slice(0, -1)],
  ];
  for (const [what, tamper] of tamperings) {
    it(`detects tampering with ${what}`, () => {
      const tampered = tamper(json);
      expect(tampered).not.toBe(json);
      const result = verifyPublication(tampered, signature, key.publicPem);
      expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^bad signature/) });
    });
  }

  it("detects a changed character or bit of the signature", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (const i of [0, 10, 43, 85]) {
      const sig = signature.slice(0, i) + alphabet[(alphabet.indexOf(signature[i]) + 1) % 64] + signature.slice(i + 1);
      expect(verifyPublication(json, sig, key.publicPem).ok, `char ${i}`).toBe(false);
    }
    const raw = Buffer.from(signature, "base64");
    raw[17] ^= 0x08;
    expect(verifyPublication(json, raw.toString("base64"), key.publicPem)).toEqual({ ok: false, reason: expect.stringMatching(/^bad signature/) });
  });

  it("detects a signature by another key", () => {
    expect(verifyPublication(json, signature, other.publicPem)).toEqual({ ok: false, reason: expect.stringMatching(/^bad signature/) });
    const byOther = signPublication(pub, other.privateKey);
    expect(verifyPublication(byOther.json, byOther.signature, key.publicBase64).ok).toBe(false);
  });

  it("fails when the same content is re-serialised with other whitespace or key order (exact bytes are signed)", () => {
    const pretty = `${JSON.stringify(JSON.parse(json), null, 2)}\n`;
    const reordered = `${JSON.stringify(pub)}\n`;
    const crlf = json.replace(/\n$/, "\r\n");
    for (const text of [pretty, reordered, crlf]) {
      expect(JSON.parse(text)).toEqual(pub);
      expect(verifyPublication(text, signature, key.publicPem).ok).toBe(false);
    }
  });

  it("gives a one-line reason for each failure kind", () => {
    const cases: Array<[string, string, string, RegExp]> = [
      [json, signature, "not a key", /^unreadable public key: /],
      [json, signature, key.privatePem, /^unreadable public key: .*PRIVATE key/],
      [json, "", key.publicPem, /^malformed signature/],
      [json, signature.slice(1), key.publicPem, /^malformed signature/],
      ["not json\n", signature, key.publicPem, /^not a zipnet publication: the file is not JSON/],
      ['{"schema":"zipnet-peer-registry/v1"}\n', signature, key.publicPem, /^not a zipnet publication: schema is "zipnet-peer-registry\/v1"/],
      ["[]\n", signature, key.publicPem, /^not a zipnet publication/],
    ];
    for (const [text, sig, pk, reason] of cases) {
      const result = verifyPublication(text, sig, pk);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason).toMatch(reason);
        expect(result.reason).not.toContain("\n");
      }
    }
  });

  it("a v1 publication is an input error (exit 2): an older format, not a forgery", () => {
    const v1 = `${JSON.stringify({ schema: "zipnet-publication/v1", instance: "acme.mainnet" })}\n`;
    expect(verifyPublication(v1, sign(v1, key.privateKey), key.publicPem)).toEqual({ ok: false, input: true, reason: expect.stringMatching(/^a zipnet-publication\/v1 publication: this version reads zipnet-publication\/v2/) });
  });

  it("names the registers of a reference set that changed, and an epoch-only change", () => {
    const moved = config("acme.mainnet", (raw) => (raw.tdx.committee[0].registers.rtmr1.value = "cd".repeat(48)));
    expect(measurementChanges(pub, publicationOf(moved))).toEqual(["reference set committee/server-v1.4.0-c3-standard-4 changed: rtmr1"]);
    const epoch = config("acme.mainnet", (raw) => (raw.tdx.epoch = 5));
    expect(measurementChanges(pub, publicationOf(epoch))).toEqual(["epoch 1 -> 5"]);
  });

  it("refuses a validly signed file that is not a well-formed publication", () => {
    const bad = `${JSON.stringify({ ...pub, referenceValues: { committee: [{ ...pub.referenceValues.committee[0], registers: { mrtd: { value: "abc", enforce: true } } }], clients: [] } })}\n`;
    expect(verifyPublication(bad, sign(bad, key.privateKey), key.publicPem)).toEqual({ ok: false, reason: expect.stringMatching(/referenceValues\.committee\[0\]: registers\.mrtd must be/) });
    const extra = `${JSON.stringify({ ...pub, note: "x" })}\n`;
    expect(verifyPublication(extra, sign(extra, key.privateKey), key.publicPem)).toEqual({ ok: false, reason: expect.stringMatching(/unknown field\(s\) note/) });
  });
});

describe("plan says when the publication must be re-signed", () => {
  it("the committed publication holds for the example; c3-standard-4 -> c3-standard-8 on c1 moves it; the epoch must rise", () => {
    const rel = path.relative(process.cwd(), path.join(PROJECT_ROOT, "stacks", "acme.mainnet.publication.json"));
    expect(publicationNotice(mainnet, path.join(PROJECT_ROOT, "stacks"))).toEqual({ lines: [`publication: ${rel} matches the config and is signed by publication.publicKey (epoch 1)`] });
    const resized = config("acme.mainnet", (raw) => (raw.committee[0].size = "c3-standard-8"));
    expect(publicationNotice(resized, path.join(PROJECT_ROOT, "stacks"))).toEqual({
      lines: [
        "publication: MUST BE RE-SIGNED (raise tdx.epoch above 1): what publishers verify moved:",
        "  committee server c1: gcp-tdx c3-standard-4 [server-v1.4.0-c3-standard-4] -> gcp-tdx c3-standard-8 [server-v1.4.0-c3-standard-8]; expected rtmr0 move",
      ],
      blocker: "the committed publication must be re-signed",
    });
    const bumped = config("acme.mainnet", (raw) => {
      raw.committee[0].size = "c3-standard-8";
      raw.tdx.epoch = 2;
    });
    expect(publicationNotice(bumped, path.join(PROJECT_ROOT, "stacks")).lines[0]).toBe("publication: MUST BE RE-SIGNED (epoch 1 -> 2): what publishers verify moved:");
    const newImage = config("acme.mainnet", (raw) => (raw.images.gcp = "projects/acme-zipnet-images/global/images/zipnet-server-tdx-v1-4-1"));
    expect(publicationNotice(newImage, path.join(PROJECT_ROOT, "stacks")).lines).toContain("  server images changed");
  });

  it("in production, no committed publication, no signature, or a signature by another key blocks the plan; devtest only says so", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pub-"));
    expect(publicationNotice(mainnet, dir).blocker).toBe("no committed publication");
    expect(publicationNotice(config("acme.preview"), dir).blocker).toBeUndefined();
    writeFileSync(path.join(dir, "acme.mainnet.publication.json"), renderPublication(publicationOf(mainnet)));
    expect(publicationNotice(mainnet, dir).blocker).toBe("the committed publication is unsigned");
    writeFileSync(path.join(dir, "acme.mainnet.publication.json.sig"), sign(renderPublication(publicationOf(mainnet)), other.privateKey));
    expect(publicationNotice(mainnet, dir)).toEqual({ lines: [expect.stringMatching(/: bad signature/)], blocker: "the committed publication does not verify with publication.publicKey" });
  });
});

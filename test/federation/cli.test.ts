/**
 * `infra manifest init|sign|verify|ceremony`, spawned as an operator runs it: exit 0 when valid,
 * 1 when not, 2 on unreadable input; the ceremony's sealed copies open only with their operator's
 * key and nothing it prints or writes holds the secret in plain.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPrivateKey, publicKeyBase64 } from "../../src/deployRecord/ed25519";
import { loadSealingPrivateKey, open, parseSealed, seal } from "../../src/federation/seal";
import { toolSuite } from "../support/tools";
import { addressOf, federatedBody, makeOperator } from "../support/federation";

const BIN = path.join(__dirname, "..", "..", "bin", "infra.js");
const run = (...args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000 }, (_e, out, err) => resolve({ code: child.exitCode, out, err }));
  });

const ops = [makeOperator("acme", "Acme Corp"), makeOperator("beta", "Beta GmbH"), makeOperator("gamma", "Gamma KK")];
let dir: string;
let manifest: string;
const keyFile = (id: string) => path.join(dir, `${id}.signing.pem`);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "manifest-"));
  manifest = path.join(dir, "acme.federated.manifest.json");
  writeFileSync(path.join(dir, "body.json"), JSON.stringify(federatedBody(ops), null, 2));
  for (const o of ops) writeFileSync(keyFile(o.id), o.signing.privatePem);
  const init = await run("manifest", "init", manifest, "--body", path.join(dir, "body.json"));
  expect(init.code, init.err).toBe(0);
}, 120_000);

describe("manifest CLI", () => {
  it("verifies only once every operator has signed: 1 naming who is missing, then 0", async () => {
    for (const o of ops.slice(0, 2)) expect((await run("manifest", "sign", manifest, "--operator", o.id, "--key", keyFile(o.id))).code).toBe(0);
    const partial = await run("manifest", "verify", manifest);
    expect(partial.code).toBe(1);
    expect(partial.out).toMatch(/NOT VERIFIED: .*no signature by gamma/);
    expect((await run("manifest", "sign", manifest, "--operator", "gamma", "--key", keyFile("gamma"))).code).toBe(0);
    const full = await run("manifest", "verify", manifest, "--min-epoch", "1");
    expect(full.code, full.err).toBe(0);
    expect(full.out).toMatch(/^ok: .*instance acme\.federated \(production\), epoch 1 of 1, signed by every operator/);
  });

  it("refuses to sign with a key the manifest does not give the operator (2), and an unreadable manifest (2)", async () => {
    const r = await run("manifest", "sign", manifest, "--operator", "beta", "--key", keyFile("acme"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--key .*acme\.signing\.pem: expected beta's signing key in epoch 1/);
    writeFileSync(path.join(dir, "garbage.json"), "{");
    expect((await run("manifest", "verify", path.join(dir, "garbage.json"))).code).toBe(2);
    expect((await run("manifest", "verify", manifest, "--genesis", "xyz"))).toMatchObject({ code: 2, err: expect.stringMatching(/--genesis: expected the SHA-256/) });
  });

  it("seals the committee secret to each committee operator; the copies open with their keys only, and nothing holds it in plain", async () => {
    const out = path.join(dir, "sealed");
    // Only an operator that holds the secret anyway may run the ceremony (it sees the secret).
    expect(await run("manifest", "ceremony", manifest, "--out", out, "--as", "nobody")).toMatchObject({ code: 2, err: expect.stringMatching(/--as: expected the operator running the ceremony, one that runs a committee server \(acme, beta, gamma\)/) });
    const r = await run("manifest", "ceremony", manifest, "--out", out, "--as", "acme");
    expect(r.code, r.err).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(["acme.federated.epoch-1.acme.sealed.json", "acme.federated.epoch-1.beta.sealed.json", "acme.federated.epoch-1.ceremony.json", "acme.federated.epoch-1.gamma.sealed.json"]);
    const copies = files.filter((f) => f.endsWith(".sealed.json"));
    const secrets = copies.map((f, i) => open(parseSealed(readFileSync(path.join(out, f), "utf8")), loadSealingPrivateKey(ops[i].sealing.privatePem)));
    expect(secrets.every((s) => s.length === 32 && s.equals(secrets[0]))).toBe(true);
    // Another operator's key opens nothing.
    expect(() => open(parseSealed(readFileSync(path.join(out, copies[0]), "utf8")), loadSealingPrivateKey(ops[1].sealing.privatePem))).toThrow();
    const everything = [r.out, r.err, readFileSync(manifest, "utf8"), ...files.map((f) => readFileSync(path.join(out, f), "utf8"))].join("\n");
    for (const form of [secrets[0].toString("base64"), secrets[0].toString("hex"), secrets[0].toString("base64url")]) expect(everything).not.toContain(form);
    // An epoch has one committee secret: a second ceremony into the same folder is refused.
    expect((await run("manifest", "ceremony", manifest, "--out", out, "--as", "acme"))).toMatchObject({ code: 2, err: expect.stringMatching(/exists: a ceremony never replaces a sealed copy/) });
    // Each operator signs the record after opening its own copy; a copy swapped for another is refused (1).
    const record = path.join(out, "acme.federated.epoch-1.ceremony.json");
    for (const [i, o] of ops.entries()) {
      writeFileSync(path.join(dir, `${o.id}.sealing.pem`), o.sealing.privatePem);
      if (i === 2) {
        const swapped = path.join(out, "acme.federated.epoch-1.gamma.sealed.json");
        const original = readFileSync(swapped, "utf8");
        writeFileSync(swapped, JSON.stringify(seal(Buffer.alloc(32, 1), addressOf(parseSealed(original)))));
        const refused = await run("manifest", "sign-ceremony", record, "--manifest", manifest, "--operator", o.id, "--key", keyFile(o.id), "--sealing-key", path.join(dir, `${o.id}.sealing.pem`));
        expect(refused).toMatchObject({ code: 1, out: expect.stringMatching(/NOT SIGNED: .*not the one the record lists/) });
        writeFileSync(swapped, original);
      }
      const signed = await run("manifest", "sign-ceremony", record, "--manifest", manifest, "--operator", o.id, "--key", keyFile(o.id), "--sealing-key", path.join(dir, `${o.id}.sealing.pem`));
      expect(signed.code, signed.err + signed.out).toBe(0);
      expect(signed.out).toMatch(/its copy opens and matches the commitment/);
    }
  });

  it("says NOT VERIFIED (1) for a manifest edited after signing", async () => {
    const tampered = path.join(dir, "tampered.json");
    writeFileSync(tampered, readFileSync(manifest, "utf8").replace('"europe-west4"', '"europe-west1"'));
    const r = await run("manifest", "verify", tampered);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NOT VERIFIED: .*the signature by acme .* does not match the manifest/);
  });
});

const DOC = readFileSync(path.join(__dirname, "..", "..", "docs", "federation.md"), "utf8");
const tools = toolSuite("operator keys made as docs/federation.md says", "openssl", "base64");
describe.skipIf(tools.skip)(tools.title, () => {
  it("the openssl lines make a signing key the manifest accepts and a sealing key its copy opens with", () => {
    const keys = mkdtempSync(path.join(tmpdir(), "fedkeys-"));
    const lines = DOC.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("openssl ")).map((l) => l.replace(/\s+#.*$/, ""));
    expect(lines).toHaveLength(4);
    const outputs = lines.map((c) => execFileSync("bash", ["-euo", "pipefail", "-c", c], { cwd: keys, encoding: "utf8" }).trim());
    const [signingKey, sealingKey] = outputs.slice(2);
    expect(publicKeyBase64(loadPrivateKey(readFileSync(path.join(keys, "signing.pem"), "utf8")))).toBe(signingKey);
    const sealed = seal(Buffer.alloc(32, 9), { instance: "acme.federated", epoch: 1, manifest: "0".repeat(64), operator: "acme", recipient: sealingKey });
    expect(open(sealed, loadSealingPrivateKey(readFileSync(path.join(keys, "sealing.pem"), "utf8"))).equals(Buffer.alloc(32, 9))).toBe(true);
  });
});

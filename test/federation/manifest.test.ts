/**
 * The instance manifest of a federated instance: canonical epochs chained by hash, signed n of n,
 * a change signed by the previous epoch's operators too; and the committee secret sealed to each
 * committee operator. Each refusal names what is wrong.
 */
import { describe, expect, it } from "vitest";
import { manifestHash, renderChain, verifyManifestChain, type ManifestChain } from "../../src/federation/manifest";
import { committeeCeremony, loadSealingPrivateKey, open, parseSealed, seal, SealError, secretCommitment } from "../../src/federation/seal";
import { amendChain, federatedBody, initChain, makeOperator, signAll, type TestOperator } from "../support/federation";

const ops: TestOperator[] = [makeOperator("acme", "Acme Corp"), makeOperator("beta", "Beta GmbH"), makeOperator("gamma", "Gamma KK")];
const [a, b, c] = ops;
const signed = (): ManifestChain => signAll(initChain(federatedBody(ops)), ops);
const text = (chain: ManifestChain) => renderChain(chain);
const refusal = (chain: ManifestChain | string, opts = {}) => {
  const r = verifyManifestChain(typeof chain === "string" ? chain : text(chain), opts);
  expect(r.ok).toBe(false);
  return (r as { reason: string }).reason;
};

describe("manifest chain", () => {
  it("verifies an epoch signed by each of its operators", () => {
    const r = verifyManifestChain(text(signed()), { genesis: manifestHash(signed().epochs[0].manifest), minEpoch: 1 });
    expect(r.ok && r.newest.epoch).toBe(1);
  });

  it("refuses a field edited after signing, naming whose signature no longer matches", () => {
    const chain = signed();
    chain.epochs[0].manifest.nodes[1].region = "europe-west1";
    expect(refusal(chain)).toMatch(/^epoch 1: the signature by acme .* does not match the manifest/);
  });

  it("refuses an epoch one operator did not sign", () => {
    const chain = signAll(initChain(federatedBody(ops)), [a, c]);
    expect(refusal(chain)).toMatch(/^epoch 1: no signature by beta \(an operator of epoch 1/);
  });

  it("refuses a signature made with a key other than the one the manifest gives its operator", () => {
    const chain = initChain(federatedBody(ops));
    const forged = signAll(chain, [a, c]);
    const mallory = makeOperator("beta", "Beta GmbH");
    const withForgery = signAll(forged, [mallory]);
    expect(refusal(withForgery)).toMatch(/no signature by beta/);
  });

  it("accepts the next epoch when the previous epoch's operators sign it too, and refuses an older newest epoch than the stack has seen", () => {
    const next = signAll(amendChain(signed(), { ...federatedBody(ops), universe: "acme-universe" }), ops);
    const ok = verifyManifestChain(text(next), { minEpoch: 2 });
    expect(ok.ok && ok.newest.epoch).toBe(2);
    expect(refusal(signed(), { minEpoch: 2 })).toMatch(/newest epoch is 1, older than epoch 2 this stack has already accepted/);
  });

  it("refuses a key swapped in without the previous epoch's signatures", () => {
    const newBeta = makeOperator("beta", "Beta GmbH");
    const swapped = amendChain(signed(), federatedBody([a, newBeta, c]));
    const bySwapper = signAll(swapped, [a, newBeta, c]); // everyone of epoch 2, but not beta's old key
    expect(refusal(bySwapper)).toMatch(/^epoch 2: no signature by beta \(an operator of the previous epoch 1, with the key it held then/);
    // A real rotation: beta signs with the key it held and with its new one.
    const rotated = signAll(bySwapper, [b]);
    expect(verifyManifestChain(text(rotated)).ok).toBe(true);
  });

  it("refuses an epoch whose previous hash does not link to the epoch before", () => {
    const next = amendChain(signed(), federatedBody(ops));
    next.epochs[1].manifest.previous = "0".repeat(64);
    expect(refusal(signAll(next, ops))).toMatch(/^epochs\[1\]\.manifest\.previous: expected [0-9a-f]{64} \(the hash of epoch 1\)/);
  });

  it("refuses two committee servers of one organization, even with every signature", () => {
    const body = federatedBody(ops);
    body.nodes[1].operator = "acme";
    expect(refusal(signAll(initChain(body), ops))).toMatch(/committee servers c1 and c2 are both run by Acme Corp/);
  });

  it("refuses a chain other than the one the stack pinned", () => {
    const other = signAll(initChain({ ...federatedBody(ops), universe: "elsewhere" }), ops);
    expect(refusal(other, { genesis: manifestHash(signed().epochs[0].manifest) })).toMatch(/expected the pinned genesis/);
  });

  it("says what is malformed, as an input error", () => {
    const r = verifyManifestChain('{"schema":"zipnet-manifest/v1","epochs":[{"manifest":{"instance":"acme"},"signatures":[]}]}');
    expect(r).toMatchObject({ ok: false, input: true, reason: expect.stringMatching(/^epochs\[0\]\.manifest: missing universe/) });
    expect(verifyManifestChain("not json")).toMatchObject({ ok: false, input: true });
  });
});

describe("the sealed committee secret", () => {
  const m = signed().epochs[0].manifest;
  const hash = manifestHash(m);

  it("seals one copy per committee operator; each opens only with its operator's key", () => {
    const { sealed, commitment } = committeeCeremony(m, hash);
    expect(sealed.map((s) => s.operator)).toEqual(["acme", "beta", "gamma"]);
    const secrets = sealed.map((s) => open(s, loadSealingPrivateKey(ops.find((o) => o.id === s.operator)!.sealing.privatePem)));
    expect(secrets[0]).toHaveLength(32);
    expect(secrets.every((x) => x.equals(secrets[0]))).toBe(true);
    expect(secretCommitment(secrets[0], m.instance, m.epoch)).toBe(commitment);
    expect(secretCommitment(secrets[0], m.instance, m.epoch + 1)).not.toBe(commitment);
    expect(() => open(sealed[0], loadSealingPrivateKey(b.sealing.privatePem))).toThrow(/sealed to acme's key .*not to this key/);
  });

  it("gives no copy to an operator that runs only the aggregator", () => {
    const agg = makeOperator("delta", "Delta SA");
    const body = federatedBody(ops);
    body.operators.push({ id: agg.id, organization: agg.organization, signingKey: agg.signing.publicBase64, sealingKey: agg.sealing.publicBase64 });
    body.nodes[3].operator = "delta";
    expect(committeeCeremony({ ...body, epoch: 1 }, hash).sealed.map((s) => s.operator)).toEqual(["acme", "beta", "gamma"]);
  });

  it("keeps the secret out of the sealed file, and fails to open a copy moved to another epoch or altered", () => {
    const secret = Buffer.alloc(32, 7);
    const s = seal(secret, { instance: m.instance, epoch: 1, manifest: hash, operator: "beta", recipient: b.sealing.publicBase64 });
    const json = JSON.stringify(s);
    expect(json).not.toContain(secret.toString("base64"));
    expect(json).not.toContain(secret.toString("hex"));
    const key = loadSealingPrivateKey(b.sealing.privatePem);
    expect(open(parseSealed(json), key).equals(secret)).toBe(true);
    expect(() => open({ ...s, epoch: 2 }, key)).toThrow(/does not open/);
    const flipped = Buffer.from(s.ciphertext, "base64");
    flipped[0] ^= 1;
    expect(() => open({ ...s, ciphertext: flipped.toString("base64") }, key)).toThrow(SealError);
  });

  it("refuses a low-order sealing key instead of sealing to it", () => {
    expect(() => seal(Buffer.alloc(32), { instance: m.instance, epoch: 1, manifest: hash, operator: "beta", recipient: Buffer.alloc(32).toString("base64") })).toThrow(/X25519 key agreement (failed|produced the all-zero secret): a low-order/);
  });
});

describe("the example federated instance", () => {
  it("stacks/acme.federated.manifest.json verifies: three organizations, one committee server each, signed by all three", async () => {
    const { readFileSync } = await import("node:fs");
    const r = verifyManifestChain(readFileSync(`${__dirname}/../../stacks/acme.federated.manifest.json`, "utf8"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.newest.operators.map((o) => o.organization)).toEqual(["Acme Corp", "Beta Infrastruktur GmbH", "Gamma Networks KK"]);
    expect(r.newest.nodes.filter((n) => n.role === "committee").map((n) => n.operator)).toEqual(["acme", "beta", "gamma"]);
  });
});

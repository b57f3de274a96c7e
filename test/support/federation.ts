/** A three-operator federated instance for the tests: keys made fresh per run, never written. */
import { generateKeyPair } from "../../src/deployRecord/ed25519";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { ceremonyFile, ceremonyFileName, sealedHash, signCeremony } from "../../src/federation/ceremony";
import { amendChain, initChain, manifestHash, renderChain, signNewest, type Manifest, type ManifestChain } from "../../src/federation/manifest";
import { committeeCeremony, generateSealingKeyPair, sealedFileName } from "../../src/federation/seal";
import { exampleConfig } from "./plans";

export interface TestOperator {
  id: string;
  organization: string;
  signing: ReturnType<typeof generateKeyPair>;
  sealing: ReturnType<typeof generateSealingKeyPair>;
}

export function makeOperator(id: string, organization: string): TestOperator {
  return { id, organization, signing: generateKeyPair(), sealing: generateSealingKeyPair() };
}

const hex = (c: string) => c.repeat(64);

/** Epoch body: operators a (c1 + aggregator), b (c2), c (c3), each in its own account and region. */
export function federatedBody(ops: TestOperator[]): Omit<Manifest, "epoch" | "previous"> {
  const config = exampleConfig("acme.mainnet");
  const node = (id: string, role: "committee" | "aggregator", operator: string, cloud: "gcp" | "aws", account: string, region: string, peer: string) => ({
    id, role, operator, cloud, account, region, peerId: hex(peer), secretScope: { vault: `https://vault.${operator}.example:8200`, mount: "zipnet/acme.federated" },
  });
  return {
    instance: "acme.federated",
    universe: "",
    posture: "production",
    ports: { iroh: config.network.irohPort, metrics: config.network.metricsPort },
    referenceValues: { committee: config.tdx.committee, clients: config.tdx.clients },
    operators: ops.map((o) => ({ id: o.id, organization: o.organization, signingKey: o.signing.publicBase64, sealingKey: o.sealing.publicBase64 })),
    nodes: [
      node("c1", "committee", ops[0].id, "gcp", "acme-zipnet-c1", "us-east4", "1"),
      node("c2", "committee", ops[1].id, "gcp", "beta-zipnet-c2", "europe-west4", "2"),
      node("c3", "committee", ops[2].id, "gcp", "gamma-zipnet-c3", "asia-southeast1", "3"),
      node("agg", "aggregator", ops[0].id, "aws", "123456789012", "us-east-2", "4"),
    ],
  };
}

/** Signs the newest epoch by each of `signers` with its current signing key. */
export function signAll(chain: ManifestChain, signers: TestOperator[]): ManifestChain {
  return signers.reduce((c, o) => signNewest(c, o.id, o.signing.privateKey, o.signing.publicBase64), chain);
}

export { amendChain, initChain };

/**
 * A complete federation in `dir`, as operators leave it after joining and a ceremony: the signed
 * manifest, each committee operator's sealed copy, and the ceremony record every operator signed.
 */
export function writeFederation(dir: string, ops: TestOperator[], body = federatedBody(ops)): { manifest: Manifest; hash: string } {
  const chain = signAll(initChain(body), ops);
  const manifest = chain.epochs[0].manifest;
  const hash = manifestHash(manifest);
  writeFileSync(path.join(dir, `${manifest.instance}.manifest.json`), renderChain(chain));
  const { sealed, commitment } = committeeCeremony(manifest, hash);
  for (const s of sealed) writeFileSync(path.join(dir, sealedFileName(manifest.instance, manifest.epoch, s.operator)), JSON.stringify(s));
  let record = ceremonyFile({ instance: manifest.instance, epoch: manifest.epoch, manifest: hash, commitment, copies: Object.fromEntries(sealed.map((s) => [s.operator, sealedHash(s)])) });
  for (const o of ops) record = signCeremony(record, o.id, o.signing.privateKey, o.signing.publicBase64);
  writeFileSync(path.join(dir, ceremonyFileName(manifest.instance, manifest.epoch)), JSON.stringify(record));
  return { manifest, hash };
}

/** Whom a sealed copy is addressed to: what anyone can seal another secret to (public). */
export function addressOf(s: { instance: string; epoch: number; manifest: string; operator: string; recipient: string }) {
  return { instance: s.instance, epoch: s.epoch, manifest: s.manifest, operator: s.operator, recipient: s.recipient };
}

/** A three-operator federated instance for the tests: keys made fresh per run, never written. */
import { generateKeyPair } from "../../src/deployRecord/ed25519";
import { amendChain, initChain, signNewest, type Manifest, type ManifestChain } from "../../src/federation/manifest";
import { generateSealingKeyPair } from "../../src/federation/seal";
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

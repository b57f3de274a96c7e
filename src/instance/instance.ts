/**
 * ZipnetInstance: one whole zipnet instance (one per stack). It builds each node on its own
 * cloud account and region with the per-cloud builders, then the instance's Vault scopes bound
 * to the nodes' identities.
 *
 * Its registered inputs are the instance's posture record (name, posture, MR_TDs, attestations,
 * acknowledged risks, nodes): non-secret facts the policy pack judges the attest/acknowledge
 * checklist items from.
 */
import * as pulumi from "@pulumi/pulumi";
import { manifestNodeFacts, type Manifest } from "../federation/manifest";
import type { Cloud, InstanceConfig, InstanceNode } from "../config/schema";
import { defaultZone } from "../config/defaults";
import { instanceNodes, machineTypeOf } from "../config/validate";
import { AwsNode } from "../nodes/aws";
import { AzureNode } from "../nodes/azure";
import { GcpNode } from "../nodes/gcp";
import type { NodeArgs, ZipnetNode } from "../nodes/types";
import { SecretScopes } from "../secrets/scopes";
import { BroadcastArchive } from "../archive/archive";
import { mountPath } from "../secrets/layout";
import { INSTANCE_TYPE } from "../../policies/contract/wire";
import { bootContract, type BootContract } from "./bootContract";


/** A federated stack's verified manifest (src/federation/stack.ts). */
export interface FederationFacts {
  manifest: Manifest;
  manifestHash: string;
}

export interface ZipnetInstanceArgs {
  /** The validated instance config (see parseInstanceConfig). */
  config: InstanceConfig;
  /** A federated stack: the manifest it was checked against. */
  federation?: FederationFacts;
  /** A federated stack's committee secret, imported from its sealed copy (a Pulumi secret, base64). */
  committeeSecret?: pulumi.Output<string>;
}

/** What the stack reports per node. */
export interface NodeSummary {
  role: InstanceNode["role"];
  cloud: Cloud;
  account: string;
  region: string;
  zone?: string;
  publicAddress: pulumi.Output<string>;
  bootContract: BootContract;
}

const BUILDERS: Record<Cloud, new (name: string, args: NodeArgs, opts?: pulumi.ComponentResourceOptions) => ZipnetNode & pulumi.ComponentResource> = {
  gcp: GcpNode,
  azure: AzureNode,
  aws: AwsNode,
};

/** The non-secret posture record registered as the component's inputs. */
/**
 * What the pack needs of a federated stack's manifest to judge the instance beyond this stack:
 * this operator, the epoch, and every node with its operator's organization.
 */
export function federationRecord(config: InstanceConfig, fed: FederationFacts | undefined): Record<string, unknown> | null {
  if (!config.federation || !fed) return null;
  return { operator: config.federation.operator, epoch: fed.manifest.epoch, manifest: fed.manifestHash, nodes: manifestNodeFacts(fed.manifest) };
}

export function postureRecord(config: InstanceConfig, fed?: FederationFacts): Record<string, unknown> {
  return {
    name: config.name,
    posture: config.posture,
    universe: config.universe ?? "",
    minParticipants: config.minParticipants,
    tdx: config.tdx,
    images: config.images,
    network: config.network,
    vault: { address: config.vault.address, caSha256: config.vault.caSha256 ?? "", namespace: config.vault.namespace ?? "", mount: mountPath(config), auditDevice: config.vault.auditDevice, existingAudit: config.vault.existingAudit ?? null },
    nodes: instanceNodes(config).map((n) => ({ id: n.id, role: n.role, cloud: n.cloud, account: n.account, region: n.region, operator: n.operator ?? "", oncall: n.oncall, confidential: n.confidential, machineType: machineTypeOf(n, n.role) })),
    // Epochs stay out: rotating a secret must change nothing but that secret.
    rotation: { lastRehearsal: config.rotation.lastRehearsal ?? "" },
    archive: config.archive ? { cloud: config.archive.cloud, account: config.archive.account, region: config.archive.region, retentionDays: config.archive.retentionDays, schedule: config.archive.schedule } : null,
    registry: config.registry ? { publicKey: config.registry.publicKey } : null,
    attestations: config.attestations,
    acknowledgedRisks: config.acknowledgedRisks,
    federation: federationRecord(config, fed),
  };
}

export class ZipnetInstance extends pulumi.ComponentResource {
  /** ZIPNET_INSTANCE. */
  public readonly instanceName: pulumi.Output<string>;
  /** Per node id: role, placement, public address, boot contract. */
  public readonly nodes: Record<string, NodeSummary>;
  /** The instance's Vault scopes. */
  public readonly secrets: SecretScopes;

  constructor(name: string, args: ZipnetInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(INSTANCE_TYPE, name, postureRecord(args.config, args.federation), opts);
    const { config } = args;

    this.nodes = {};
    const scoped = instanceNodes(config).map((node) => {
      const contract = bootContract(config, node);
      const built = new BUILDERS[node.cloud](node.id, { instance: config, node, bootContract: contract }, { parent: this });
      const zone = defaultZone(node);
      this.nodes[node.id] = { role: node.role, cloud: node.cloud, account: node.account, region: node.region, ...(zone ? { zone } : {}), publicAddress: built.publicAddress, bootContract: contract };
      return { node, identity: built.identity, zone, address: built.publicAddress };
    });
    this.secrets = new SecretScopes("secrets", { instance: config, nodes: scoped, committeeSecret: args.committeeSecret }, { parent: this });
    if (config.archive) {
      const aggregator = scoped.find((s) => s.node.role === "aggregator")!;
      new BroadcastArchive("archive", { instance: config, runner: config.archive.runner ?? aggregator.identity }, { parent: this });
    }

    this.instanceName = pulumi.output(config.name);
    // The posture record is also an output: the CLI gives stack policies components' outputs.
    this.registerOutputs({ instanceName: this.instanceName, nodes: this.nodes, postureRecord: postureRecord(config, args.federation) });
  }
}

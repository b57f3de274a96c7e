import type * as pulumi from "@pulumi/pulumi";
import type { InstanceConfig, InstanceNode } from "../config/schema";
import type { BootContract } from "../instance/bootContract";

/** Arguments every per-cloud node builder takes. */
export interface NodeArgs {
  /** The validated instance config. */
  instance: InstanceConfig;
  /** The node to provision (committee server or aggregator). */
  node: InstanceNode;
  /** The node's boot contract (non-secret), rendered into its user-data. */
  bootContract: BootContract;
}

/** What a node exposes to the instance (outputs, plain values where known at plan time). */
export interface ZipnetNode {
  /** Cloud identity the VM logs in to Vault with: GCP SA email, Azure principal id, AWS role ARN. */
  readonly identity: pulumi.Output<string>;
  /** The VM's public address (iroh). */
  readonly publicAddress: pulumi.Output<string>;
  /** The node's explicit provider (its own account and region). */
  readonly provider: pulumi.ProviderResource;
}

export const NODE_CIDR = "10.64.0.0/16";
export const SUBNET_CIDR = "10.64.1.0/24";

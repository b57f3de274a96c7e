/**
 * A zipnet node on GCP: its own provider (project, region), a dedicated VPC (the `default`
 * network ships permissive rules), firewall rules admitting only iroh and metrics, a service
 * account with no IAM roles (Vault's `gce` auth needs only the instance identity token), and
 * a TDX confidential VM (c3-standard-*, no live migration, Shielded VM, no serial port or SSH keys).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import { defaultSize, defaultZone } from "../config/defaults";
import { firewallRules, cidrsByFamily } from "../instance/firewall";
import { renderBootContract } from "../instance/bootContract";
import { nodeLabels } from "../instance/labels";
import { wipeHooks } from "../lifecycle/wipe";
import { isAttestedLogin } from "../../policies/contract/attestation";
import { gcpSdk } from "../sdk/load";
import { SUBNET_CIDR, type NodeArgs, type ZipnetNode } from "./types";

/** Shortest delay GCP allows before a destroyed key version's material is gone. */
export const KEY_DESTROY_DELAY = "86400s";

/** Lowest-precedence priority for the explicit deny-all rules (GCP: larger = later). */
const DENY_ALL_PRIORITY = 65534;
const ALLOW_PRIORITY = 1000;

/**
 * The node's service account id: 6-30 of [a-z0-9-], starting with a letter (IAM). A truncated
 * `zn-<instance>-<node>` could make two nodes of one project collide; a hash of the instance
 * name cannot (node ids are at most 20 characters: 3 + 20 + 1 + 6 = 30).
 */
export function serviceAccountId(instanceName: string, nodeId: string): string {
  return `zn-${nodeId}-${createHash("sha256").update(instanceName).digest("hex").slice(0, 6)}`;
}

export class GcpNode extends pulumi.ComponentResource implements ZipnetNode {
  public readonly identity: pulumi.Output<string>;
  public readonly publicAddress: pulumi.Output<string>;
  public readonly provider: gcp.Provider;
  /** The VM. */
  public readonly vm: gcp.compute.Instance;

  constructor(name: string, args: NodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("zipnet:node:GcpNode", name, { node: args.node.id, cloud: "gcp" }, opts);
    const sdk = gcpSdk();
    const { instance, node } = args;
    const labels = nodeLabels(instance, node);
    const zone = defaultZone(node);

    this.provider = new sdk.Provider(`${name}-provider`, { project: node.account, region: node.region, zone, defaultLabels: labels }, { parent: this });
    const o = { parent: this, provider: this.provider };

    const network = new sdk.compute.Network(`${name}-vpc`, { autoCreateSubnetworks: false, description: `zipnet ${instance.name} ${node.id}: dedicated network` }, o);
    const subnet = new sdk.compute.Subnetwork(
      `${name}-subnet`,
      { network: network.id, region: node.region, ipCidrRange: SUBNET_CIDR, privateIpGoogleAccess: true },
      o,
    );

    // Rules apply to the whole (dedicated) network: the VM is its only member.
    for (const rule of firewallRules(instance)) {
      const families = cidrsByFamily(rule);
      for (const [family, cidrs] of [["", families.v4], ["-v6", families.v6]] as const) {
        if (cidrs.length === 0) continue;
        const ingress = rule.direction === "ingress";
        new sdk.compute.Firewall(
          `${name}-fw-${rule.name}${family}`,
          {
            network: network.id,
            direction: rule.direction.toUpperCase(),
            priority: ALLOW_PRIORITY,
            description: rule.description,
            allows: [{ protocol: rule.protocol, ports: [rule.fromPort === rule.toPort ? `${rule.fromPort}` : `${rule.fromPort}-${rule.toPort}`] }],
            ...(ingress ? { sourceRanges: cidrs } : { destinationRanges: cidrs }),
          },
          o,
        );
      }
    }
    for (const direction of ["ingress", "egress"] as const) {
      new sdk.compute.Firewall(
        `${name}-fw-deny-${direction}`,
        {
          network: network.id,
          direction: direction.toUpperCase(),
          priority: DENY_ALL_PRIORITY,
          description: `deny all other ${direction}`,
          denies: [{ protocol: "all" }],
          ...(direction === "ingress" ? { sourceRanges: ["0.0.0.0/0"] } : { destinationRanges: ["0.0.0.0/0"] }),
        },
        o,
      );
    }

    const serviceAccount = new sdk.serviceaccount.Account(
      `${name}-sa`,
      {
        accountId: serviceAccountId(instance.name, node.id),
        displayName: `zipnet ${instance.name} ${node.role} ${node.id}`,
        description: "VM identity for Vault gce login; holds no IAM roles",
      },
      o,
    );

    // Crypto-shredding by construction: the boot disk is encrypted with this node's own key, and
    // destroying the key (scheduled on delete) leaves nothing readable of the disk or its snapshots.
    const keyRing = new sdk.kms.KeyRing(`${name}-keyring`, { location: node.region }, o);
    const diskKey = new sdk.kms.CryptoKey(
      `${name}-disk-key`,
      { keyRing: keyRing.id, purpose: "ENCRYPT_DECRYPT", destroyScheduledDuration: KEY_DESTROY_DELAY, labels },
      o,
    );
    // Only the project's Compute Engine service agent, and only on this key.
    const project = sdk.organizations.getProjectOutput({ projectId: node.account }, { provider: this.provider, parent: this });
    const keyUse = new sdk.kms.CryptoKeyIAMMember(
      `${name}-disk-key-use`,
      {
        cryptoKeyId: diskKey.id,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: pulumi.interpolate`serviceAccount:service-${project.number}@compute-system.iam.gserviceaccount.com`,
      },
      o,
    );

    // A production committee server's attested Vault login is accepted only from this address
    // (token_bound_cidrs), so it must outlive stops and maintenance restarts: reserved, not ephemeral.
    const address = isAttestedLogin(instance.posture, node.role)
      ? new sdk.compute.Address(`${name}-address`, { region: node.region, addressType: "EXTERNAL", description: `zipnet ${instance.name} ${node.id}: public address` }, o)
      : undefined;

    const confidential = node.confidential;
    this.vm = new sdk.compute.Instance(
      `${name}-vm`,
      {
        zone,
        machineType: node.size ?? defaultSize("gcp", confidential, node.role),
        ...(confidential
          ? {
              confidentialInstanceConfig: { confidentialInstanceType: "TDX" },
              // TDX guests cannot live-migrate.
              scheduling: { onHostMaintenance: "TERMINATE", automaticRestart: true },
            }
          : { scheduling: { onHostMaintenance: "MIGRATE", automaticRestart: true } }),
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        bootDisk: {
          autoDelete: true,
          kmsKeySelfLink: diskKey.id,
          initializeParams: { image: instance.images.gcp!, type: "pd-balanced", size: 20, labels },
        },
        networkInterfaces: [{ subnetwork: subnet.id, network: network.id, nicType: "GVNIC", accessConfigs: [address ? { natIp: address.address } : {}] }],
        metadata: {
          "serial-port-enable": "FALSE",
          "block-project-ssh-keys": "TRUE",
          "enable-oslogin": "FALSE",
          "user-data": renderBootContract(args.bootContract),
        },
        serviceAccount: { email: serviceAccount.email, scopes: ["https://www.googleapis.com/auth/userinfo.email"] },
        canIpForward: false,
        deletionProtection: false,
        allowStoppingForUpdate: true,
        labels: nodeLabels(instance, node, { vm: true }),
      },
      { ...o, dependsOn: [keyUse], hooks: wipeHooks(name, { instance: instance.name, node: node.id, cloud: "gcp" }) },
    );

    this.identity = serviceAccount.email;
    this.publicAddress = address ? address.address : this.vm.networkInterfaces.apply((nics) => nics?.[0]?.accessConfigs?.[0]?.natIp ?? "");
    this.registerOutputs({ identity: this.identity, publicAddress: this.publicAddress });
  }
}

/**
 * A zipnet node on Azure: its own provider (subscription, location) and resource group, a
 * VNet whose subnet and NIC carry one NSG, a user-assigned managed identity with no role
 * assignments (Vault's azure auth only checks its token), and a TDX confidential VM.
 *
 * Azure NSGs carry default allows (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound
 * 65001), so the NSG ends with explicit deny-all rules in both directions. Rules are inline
 * only: mixing inline rules with standalone SecurityRule resources recreates them every update.
 *
 * The OS disk uses `NonPersistedTPM`: the vTPM, and anything the guest seals to it, dies with
 * the VM, so a deleted node's disk is unreadable without a customer key that Key Vault purge
 * protection would keep alive (docs/decommissioning.md). The image is a specialized gallery
 * image: no osProfile, hence no admin user, password or SSH key at all.
 */
import * as pulumi from "@pulumi/pulumi";
// Service submodules only: the package root loads every Azure service (about 1 s more per run).
import type { Provider } from "@pulumi/azure-native/provider";
import type * as azureInput from "@pulumi/azure-native/types/input";
import type * as compute from "@pulumi/azure-native/compute";
import { defaultSize, defaultZone } from "../config/defaults";
import { cidrsByFamily, firewallRules } from "../instance/firewall";
import { renderBootContract } from "../instance/bootContract";
import { nodeLabels } from "../instance/labels";
import { wipeHooks } from "../lifecycle/wipe";
import { azureSdk } from "../sdk/load";
import { NODE_CIDR, SUBNET_CIDR, type NodeArgs, type ZipnetNode } from "./types";

/** Azure's lowest user priority: our deny-all sits just above the platform defaults (65000+). */
const DENY_ALL_PRIORITY = 4096;

export const CONFIDENTIAL_DISK_ENCRYPTION = "NonPersistedTPM";

export class AzureNode extends pulumi.ComponentResource implements ZipnetNode {
  public readonly identity: pulumi.Output<string>;
  public readonly publicAddress: pulumi.Output<string>;
  public readonly provider: Provider;
  /** The VM. */
  public readonly vm: compute.VirtualMachine;

  constructor(name: string, args: NodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("zipnet:node:AzureNode", name, { node: args.node.id, cloud: "azure" }, opts);
    const sdk = azureSdk();
    const { instance, node } = args;
    const tags = nodeLabels(instance, node);
    const location = node.region;

    this.provider = new sdk.Provider(`${name}-provider`, { subscriptionId: node.account, location }, { parent: this });
    const o = { parent: this, provider: this.provider };

    const group = new sdk.resources.ResourceGroup(`${name}-rg`, { location, tags }, o);
    const rg = group.name;

    const securityRules: azureInput.network.SecurityRuleArgs[] = [];
    // Allow rules take priorities 100, 110, ... per direction, in firewallRules order.
    const priority = { ingress: 90, egress: 90 };
    for (const rule of firewallRules(instance)) {
      const ingress = rule.direction === "ingress";
      const any = rule.cidrs.includes("0.0.0.0/0") || rule.cidrs.includes("::/0");
      // "*" is every address of both families; otherwise one rule per family: Azure refuses a rule
      // mixing IPv4 and IPv6 prefixes (ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies).
      const families = cidrsByFamily(rule);
      const split = any
        ? [{ suffix: "", peers: { prefix: "*" } as { prefix?: string; prefixes?: string[] } }]
        : [
            ...(families.v4.length ? [{ suffix: "", peers: { prefixes: families.v4 } }] : []),
            ...(families.v6.length ? [{ suffix: "-v6", peers: { prefixes: families.v6 } }] : []),
          ];
      for (const { suffix, peers } of split) securityRules.push({
        name: `allow-${rule.name}${suffix}`,
        description: rule.description,
        direction: ingress ? "Inbound" : "Outbound",
        access: "Allow",
        priority: (priority[rule.direction] += 10),
        protocol: rule.protocol === "udp" ? "Udp" : "Tcp",
        sourcePortRange: "*",
        destinationPortRange: rule.fromPort === rule.toPort ? `${rule.fromPort}` : `${rule.fromPort}-${rule.toPort}`,
        ...(ingress
          ? { ...(peers.prefix ? { sourceAddressPrefix: peers.prefix } : { sourceAddressPrefixes: peers.prefixes }), destinationAddressPrefix: "*" }
          : { sourceAddressPrefix: "*", ...(peers.prefix ? { destinationAddressPrefix: peers.prefix } : { destinationAddressPrefixes: peers.prefixes }) }),
      });
    }
    for (const [direction, label] of [["Inbound", "inbound"], ["Outbound", "outbound"]] as const) {
      securityRules.push({
        name: `deny-all-${label}`,
        description: `deny all other ${label} (overrides Azure's default allows)`,
        direction,
        access: "Deny",
        priority: DENY_ALL_PRIORITY,
        protocol: "*",
        sourcePortRange: "*",
        destinationPortRange: "*",
        sourceAddressPrefix: "*",
        destinationAddressPrefix: "*",
      });
    }
    const nsg = new sdk.network.NetworkSecurityGroup(`${name}-nsg`, { resourceGroupName: rg, location, securityRules, tags }, o);

    const vnet = new sdk.network.VirtualNetwork(
      `${name}-vnet`,
      {
        resourceGroupName: rg,
        location,
        addressSpace: { addressPrefixes: [NODE_CIDR] },
        subnets: [{ name: "zipnet", addressPrefix: SUBNET_CIDR, networkSecurityGroup: { id: nsg.id } }],
        tags,
      },
      o,
    );
    const subnetId = pulumi.interpolate`${vnet.id}/subnets/zipnet`;

    const zone = defaultZone(node);
    const publicIp = new sdk.network.PublicIPAddress(
      `${name}-ip`,
      { resourceGroupName: rg, location, sku: { name: "Standard" }, publicIPAllocationMethod: "Static", ...(zone ? { zones: [zone] } : {}), tags },
      o,
    );
    const nic = new sdk.network.NetworkInterface(
      `${name}-nic`,
      {
        resourceGroupName: rg,
        location,
        networkSecurityGroup: { id: nsg.id },
        // Detach: the address is a resource of this stack, deleted by Pulumi with the node.
        ipConfigurations: [{ name: "primary", primary: true, subnet: { id: subnetId }, publicIPAddress: { id: publicIp.id, deleteOption: "Detach" } }],
        tags,
      },
      o,
    );

    const identity = new sdk.managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName: rg, location, tags }, o);

    this.vm = new sdk.compute.VirtualMachine(
      `${name}-vm`,
      {
        resourceGroupName: rg,
        location,
        ...(zone ? { zones: [zone] } : {}),
        hardwareProfile: { vmSize: node.size ?? defaultSize("azure", node.confidential, node.role) },
        ...(node.confidential
          ? { securityProfile: { securityType: "ConfidentialVM", uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } } }
          : { securityProfile: { securityType: "TrustedLaunch", uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } } }),
        storageProfile: {
          imageReference: { id: instance.images.azure! },
          osDisk: {
            createOption: "FromImage",
            deleteOption: "Delete",
            caching: "ReadWrite",
            managedDisk: {
              storageAccountType: "Premium_LRS",
              ...(node.confidential ? { securityProfile: { securityEncryptionType: CONFIDENTIAL_DISK_ENCRYPTION } } : {}),
            },
          },
        },
        // Detach: the NIC is a resource of this stack (Pulumi deletes it with the node); Delete would
        // make Azure delete it under Pulumi on every VM replacement (pulumi/pulumi-azure-native#1117).
        networkProfile: { networkInterfaces: [{ id: nic.id, primary: true, deleteOption: "Detach" }] },
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        userData: Buffer.from(renderBootContract(args.bootContract)).toString("base64"),
        diagnosticsProfile: { bootDiagnostics: { enabled: false } },
        tags: nodeLabels(instance, node, { vm: true }),
      },
      {
        ...o,
        // The image cannot change in place (PropertyChangeNotAllowed): a new image is a new VM,
        // and the old one goes first so the NIC is free for it (pulumi/pulumi-azure-native#577).
        replaceOnChanges: ["storageProfile.imageReference"],
        deleteBeforeReplace: true,
        hooks: wipeHooks(name, { instance: instance.name, node: node.id, cloud: "azure" }),
      },
    );

    this.identity = identity.principalId;
    this.publicAddress = publicIp.ipAddress.apply((ip) => ip ?? "");
    this.registerOutputs({ identity: this.identity, publicAddress: this.publicAddress });
  }
}

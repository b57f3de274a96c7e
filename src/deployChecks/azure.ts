/** Deploy checks for Azure (ARM through azure-native: nothing is checked before `pulumi up`). */
import { CONFIDENTIAL_SIZE } from "../config/defaults";
import { AZURE_VM } from "../../policies/contract/types";
import { at, isUnknown, type DeployRule, type Report } from "./rule";

const VM = AZURE_VM;
const NSG = "azure-native:network:NetworkSecurityGroup";
const NIC = "azure-native:network:NetworkInterface";
const PUBLIC_IP = "azure-native:network:PublicIPAddress";
const RG = "azure-native:resources:ResourceGroup";
const VNET = "azure-native:network:VirtualNetwork";
const NSG_DOC = "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules";

type Rule = Record<string, any>;

function eachRule(props: Record<string, any>, fn: (rule: Rule, i: number) => void): void {
  const rules = props.securityRules;
  if (Array.isArray(rules)) rules.forEach((r, i) => r && typeof r === "object" && fn(r as Rule, i));
}

export const nsgPriority: DeployRule = {
  id: "azure.nsg-priority",
  types: [NSG],
  description: "Security rule priorities are 100-4096.",
  source: `${NSG_DOC}: "Priority: A number between 100 and 4096"`,
  check(s, _ctx, report) {
    eachRule(s.props, (r, i) => {
      if (!isUnknown(r.priority) && !(Number.isInteger(r.priority) && r.priority >= 100 && r.priority <= 4096)) report(`securityRules[${i}].priority`, "an integer 100-4096", r.priority);
    });
  },
};

export const nsgPriorityUnique: DeployRule = {
  id: "azure.nsg-priority-unique",
  types: [NSG],
  description: "No two rules of one NSG share a priority and a direction (SecurityRuleConflict).",
  source: `${NSG_DOC}: "You can't create two security rules with the same priority and direction."; terraform-provider-azurerm#11137 (SecurityRuleConflict)`,
  check(s, _ctx, report) {
    const seen = new Map<string, string>();
    eachRule(s.props, (r, i) => {
      const key = `${String(r.direction).toLowerCase()}|${String(r.priority)}`;
      const other = seen.get(key);
      if (other !== undefined) report(`securityRules[${i}].priority`, `a priority no other ${String(r.direction)} rule has (${other} has it)`, r.priority);
      else seen.set(key, String(r.name ?? i));
    });
  },
};

const RULE_NAME = /^\w([\w.-]{0,78}\w)?$/;

export const nsgRuleName: DeployRule = {
  id: "azure.nsg-rule-name",
  types: [NSG],
  description: "Security rule names are unique in their NSG, 1-80 characters, starting and ending with a word character.",
  source: `${NSG_DOC}: "Name: A unique name within the network security group. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'."`,
  check(s, _ctx, report) {
    const seen = new Set<string>();
    eachRule(s.props, (r, i) => {
      const name = r.name;
      if (typeof name !== "string") return;
      if (!RULE_NAME.test(name)) report(`securityRules[${i}].name`, "1-80 word characters, . or -, starting and ending with a word character", name);
      if (seen.has(name.toLowerCase())) report(`securityRules[${i}].name`, "a name unique in the network security group", name);
      seen.add(name.toLowerCase());
    });
  },
};

function family(prefix: unknown): 4 | 6 | undefined {
  if (typeof prefix !== "string" || !/[./:]/.test(prefix)) return undefined; // "*", service tags
  return prefix.includes(":") ? 6 : 4;
}

export const nsgFamily: DeployRule = {
  id: "azure.nsg-family",
  types: [NSG],
  description: "A security rule's address prefixes are of one family (ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies).",
  source: "hashicorp/terraform-provider-azurerm#12534 (ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies); MicrosoftDocs/azure-docs#34567",
  check(s, _ctx, report) {
    eachRule(s.props, (r, i) => {
      for (const side of ["source", "destination"]) {
        const prefixes = [r[`${side}AddressPrefix`], ...(Array.isArray(r[`${side}AddressPrefixes`]) ? r[`${side}AddressPrefixes`] : [])];
        const families = new Set(prefixes.map(family).filter((f) => f !== undefined));
        if (families.size > 1) report(`securityRules[${i}].${side}AddressPrefixes`, "prefixes of one address family (one rule per family)", prefixes.filter((p) => p !== undefined));
      }
    });
  },
};

export const galleryImageVersion: DeployRule = {
  id: "azure.gallery-image-version",
  types: [VM],
  description: "Compute Gallery image versions are Major.Minor.Patch, digits only, each within 32 bits.",
  source: "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcompute (galleries/images/versions: 32-bit integer, numbers and periods); terraform-provider-azurerm internal/services/compute/validate/compute.go ^[0-9]{1,10}\\.[0-9]{1,10}\\.[0-9]{1,10}$",
  check(s, _ctx, report) {
    const id = at(s.props, "storageProfile", "imageReference", "id");
    if (typeof id !== "string") return;
    const v = id.match(/\/versions\/([^/]+)$/i)?.[1];
    if (v === undefined || v === "latest") return;
    const parts = v.split(".");
    const ok = parts.length === 3 && parts.every((p) => /^\d{1,10}$/.test(p) && Number(p) <= 2 ** 31 - 1);
    if (!ok) report("storageProfile.imageReference.id", "a gallery image version Major.Minor.Patch of digits (e.g. 1.5.0)", v);
  },
};

export const vmImageReplace: DeployRule = {
  id: "azure.vm-image-replace",
  types: [VM],
  description: "A VM's image cannot change in place (PropertyChangeNotAllowed): the VM lists storageProfile.imageReference in replaceOnChanges.",
  source: "pulumi/pulumi-azure-native#1117 (\"Changing property 'imageReference.id' is not allowed.\"), #577",
  check(s, _ctx, report) {
    if (at(s.props, "storageProfile", "imageReference") === undefined) return;
    const roc = s.r.replaceOnChanges ?? [];
    if (!roc.some((p) => p === "storageProfile.imageReference" || p === "storageProfile.imageReference.id" || p === "storageProfile" || p === "*")) {
      report("replaceOnChanges", "storageProfile.imageReference (a new image is a new VM)", roc);
    }
  },
};

export const vmNicDeleteOption: DeployRule = {
  id: "azure.vm-nic-delete-option",
  types: [VM],
  description: "A NIC that is a resource of the stack is attached with deleteOption Detach: with Delete, Azure deletes it under Pulumi whenever the VM goes (a replacement then finds no NIC).",
  source: "ARM DeleteOptions (https://learn.microsoft.com/javascript/api/@azure/arm-compute/knowndeleteoptions: Delete: delete the network interface when the VM is deleted); pulumi/pulumi-azure-native#1117",
  check(s, ctx, report) {
    const nics = at(s.props, "networkProfile", "networkInterfaces");
    if (!Array.isArray(nics)) return;
    nics.forEach((n, i) => {
      if (at(n, "deleteOption") === "Delete" && ctx.resolve(at(n, "id"), [NIC]).length) report(`networkProfile.networkInterfaces[${i}].deleteOption`, '"Detach" (the NIC is a resource of the stack: Pulumi deletes it)', "Delete");
    });
  },
};

export const nicAddressDeleteOption: DeployRule = {
  id: "azure.nic-address-delete-option",
  types: [NIC],
  description: "A public IP that is a resource of the stack is attached with deleteOption Detach, for the same reason.",
  source: "ARM DeleteOptions (https://learn.microsoft.com/javascript/api/@azure/arm-network/knowndeleteoptions)",
  check(s, ctx, report) {
    const ipcs = s.props.ipConfigurations;
    if (!Array.isArray(ipcs)) return;
    ipcs.forEach((c, i) => {
      if (at(c, "publicIPAddress", "deleteOption") === "Delete" && ctx.resolve(at(c, "publicIPAddress", "id"), [PUBLIC_IP]).length) {
        report(`ipConfigurations[${i}].publicIPAddress.deleteOption`, '"Detach" (the address is a resource of the stack)', "Delete");
      }
    });
  },
};

export const vmReplaceOrder: DeployRule = {
  id: "azure.vm-replace-order",
  types: [VM],
  description: "A NIC belongs to one VM: a VM replaced while keeping its NIC deletes the old VM first (deleteBeforeReplace).",
  source: "NicInUse / NicReservedForAnotherVm (cloudfoundry/docs-bosh#155, taskcluster/taskcluster#7196); pulumi/pulumi-azure-native#577",
  check(s, ctx, report) {
    if (s.r.deleteBeforeReplace === undefined || !(s.r.replaceOnChanges ?? []).length) return; // not known from an export
    const nics = at(s.props, "networkProfile", "networkInterfaces");
    const keeps = Array.isArray(nics) && nics.some((n) => ctx.resolve(at(n, "id"), [NIC]).length > 0);
    if (keeps && !s.r.deleteBeforeReplace) report("deleteBeforeReplace", "true (the new VM takes the old one's NIC)", false);
  },
};

const TDX_SIZE = CONFIDENTIAL_SIZE.azure.pattern;

export const nonPersistedTpm: DeployRule = {
  id: "azure.nonpersisted-tpm",
  types: [VM],
  description: "securityEncryptionType NonPersistedTPM exists for Intel TDX confidential VMs only (ConfidentialVM on a TDX size, vTPM on).",
  source: "https://learn.microsoft.com/azure/confidential-computing/virtual-machine-options: \"For Intel TDX instances only we also support another security type (NonPersistedTPM)\"; confidential-vm-faq",
  check(s, _ctx, report) {
    const enc = at(s.props, "storageProfile", "osDisk", "managedDisk", "securityProfile", "securityEncryptionType");
    if (enc !== "NonPersistedTPM") return;
    if (at(s.props, "securityProfile", "securityType") !== "ConfidentialVM") report("securityProfile.securityType", '"ConfidentialVM" (NonPersistedTPM is a confidential disk type)', at(s.props, "securityProfile", "securityType"));
    const size = at(s.props, "hardwareProfile", "vmSize");
    if (typeof size === "string" && !TDX_SIZE.test(size)) report("hardwareProfile.vmSize", "an Intel TDX size (NonPersistedTPM is TDX only)", size);
    if (at(s.props, "securityProfile", "uefiSettings", "vTpmEnabled") !== true) report("securityProfile.uefiSettings.vTpmEnabled", "true (a confidential VM has a vTPM)", at(s.props, "securityProfile", "uefiSettings", "vTpmEnabled"));
  },
};

export const confidentialAcceleratedNetworking: DeployRule = {
  id: "azure.confidential-accelerated-networking",
  types: [VM],
  description: "Confidential VMs do not support Accelerated Networking.",
  source: "https://learn.microsoft.com/azure/confidential-computing/confidential-vm-faq: \"Confidential VMs don't support Accelerated Networking.\"",
  check(s, ctx, report) {
    if (at(s.props, "securityProfile", "securityType") !== "ConfidentialVM") return;
    const nics = at(s.props, "networkProfile", "networkInterfaces");
    if (!Array.isArray(nics)) return;
    for (const n of nics) {
      for (const nic of ctx.resolve(at(n, "id"), [NIC])) {
        if (ctx.subject(nic).props.enableAcceleratedNetworking === true) report(`networkProfile.networkInterfaces (${ctx.subject(nic).name}).enableAcceleratedNetworking`, "false (a confidential VM)", true);
      }
    }
  },
};

function nameRule(id: string, types: string[], limit: number, pattern: RegExp, what: string): DeployRule {
  return {
    id,
    types,
    description: `${what} (an auto-name is the logical name plus 8 characters).`,
    source: "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules",
    check(s, _ctx, report) {
      const props = s.props;
      const explicit = props.resourceGroupName && s.r.type === RG ? props.resourceGroupName : props.networkSecurityGroupName ?? props.virtualNetworkName ?? props.vmName;
      const name = typeof explicit === "string" ? explicit : `${s.name}-abcdefg`;
      if (name.length > limit || !pattern.test(name)) report("name", what, typeof explicit === "string" ? explicit : s.name);
    },
  };
}

export const resourceGroupName = nameRule("azure.resource-group-name", [RG], 90, /^[-\w.()]+(?<!\.)$/u, "a resource group name of 1-90 alphanumerics, _ ( ) - or ., not ending with .");
export const networkName = nameRule("azure.network-name", [NSG, VNET, NIC, PUBLIC_IP], 80, /^[A-Za-z0-9][\w.-]*\w$/, "a network resource name of at most 80 (VNets 64) alphanumerics, _ . or -, starting alphanumeric and ending with a word character");
export const vmName: DeployRule = {
  id: "azure.vm-name",
  types: [VM],
  description: "VM resource names are at most 64 characters without \\/\"[]:|<>+=;,?*@&, not starting with _ nor ending with . or -.",
  source: "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcompute",
  check(s, _ctx, report) {
    const explicit = s.props.vmName;
    const name = typeof explicit === "string" ? explicit : `${s.name}-abcdefg`;
    if (name.length > 64 || /[\\/"[\]:|<>+=;,?*@&]/.test(name) || name.startsWith("_") || /[.-]$/.test(name)) {
      report("vmName", "at most 64 characters, none of \\/\"[]:|<>+=;,?*@&, not starting with _ nor ending with . or -", typeof explicit === "string" ? explicit : s.name);
    }
  },
};

export const zone: DeployRule = {
  id: "azure.zone",
  types: [VM, PUBLIC_IP],
  description: "Availability zones are \"1\", \"2\" or \"3\", and a VM's public IP is in the VM's zone.",
  source: "https://learn.microsoft.com/azure/reliability/availability-zones-overview (zones 1-3 per region)",
  check(s, _ctx, report: Report) {
    const zones = s.props.zones;
    if (!Array.isArray(zones)) return;
    zones.forEach((z, i) => {
      if (!isUnknown(z) && !["1", "2", "3"].includes(String(z))) report(`zones[${i}]`, '"1", "2" or "3"', z);
    });
  },
};

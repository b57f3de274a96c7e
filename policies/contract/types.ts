/** Resource type tokens the program creates and the pack and the audit judge. Pure. */

export const GCP_VM = "gcp:compute/instance:Instance";
export const AZURE_VM = "azure-native:compute:VirtualMachine";
export const AWS_VM = "aws:ec2/instance:Instance";
/** The VMs a zipnet node is (the node builders create these; the pack judges these). */
export const VM_TYPES = [GCP_VM, AZURE_VM, AWS_VM] as const;

export function isVmType(type: string): boolean {
  return (VM_TYPES as readonly string[]).includes(type);
}

export const GCP_KEY = "gcp:kms/cryptoKey:CryptoKey";
export const AWS_KEY = "aws:kms/key:Key";
export const AZURE_KEY = "azure-native:keyvault:Key";
/** Disk encryption keys of a node. */
export const KEY_TYPES = [GCP_KEY, AWS_KEY, AZURE_KEY] as const;
/** Disks of a node. */
export const DISK_TYPES = ["gcp:compute/disk:Disk", "gcp:compute/regionDisk:RegionDisk", "azure-native:compute:Disk", "aws:ebs/volume:Volume"] as const;
/** What keeps a copy of a node's disk. */
export const SNAPSHOT_TYPES = [
  "gcp:compute/snapshot:Snapshot", "gcp:compute/image:Image", "gcp:compute/machineImage:MachineImage", "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment",
  "azure-native:compute:Snapshot", "azure-native:compute:Image", "aws:ebs/snapshot:Snapshot", "aws:ec2/amiFromInstance:AmiFromInstance",
] as const;
/** Resources whose survival keeps a node's secrets: its VM, disks, snapshots and disk keys. */
export const NODE_SECRET_HOLDERS: ReadonlySet<string> = new Set<string>([...VM_TYPES, ...KEY_TYPES, ...DISK_TYPES, ...SNAPSHOT_TYPES]);

/** Vault's JWT auth mount and role (attested committee logins, docs/attestation.md). */
export const VAULT_JWT_MOUNT = "vault:jwt/authBackend:AuthBackend";
export const VAULT_JWT_ROLE = "vault:jwt/authBackendRole:AuthBackendRole";

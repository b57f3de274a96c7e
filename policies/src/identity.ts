/**
 * identity.*: the instance name (ZIPNET_INSTANCE) grammar and labels, one instance per stack,
 * and the committee MR_TDs the instance publishes.
 */
import { LABEL_INSTANCE } from "../contract/labels";
import { bootEnv, bootOf } from "./core/boot";
import { checkReferenceMrtds, isValidInstanceName, labelProp, recordOfView, LABEL_VALUE } from "./core/checks";
import { raw, resourcePolicies, stackPolicies } from "./core/policy";
import {
  AWS_VM, AZURE_VM, GCP_VM, VM_TYPES, ZIPNET_INSTANCE_TYPE, instanceFromLabel, isZipnetResource, sameInstance,
  type ResourceView,
} from "./core/resources";
import { at, isObject, isUnknown } from "./core/values";

/** Types that take labels/tags (so must carry the zipnet labels when they are zipnet resources). */
export const TAGGABLE_TYPES = new Set<string>([
  GCP_VM, "gcp:compute/disk:Disk", "gcp:compute/regionDisk:RegionDisk", "gcp:kms/cryptoKey:CryptoKey", "gcp:storage/bucket:Bucket",
  "gcp:compute/address:Address", "gcp:compute/snapshot:Snapshot", "gcp:compute/image:Image",
  AZURE_VM, "azure-native:network:NetworkSecurityGroup", "azure-native:network:NetworkInterface", "azure-native:network:VirtualNetwork",
  "azure-native:network:PublicIPAddress", "azure-native:resources:ResourceGroup", "azure-native:managedidentity:UserAssignedIdentity",
  "azure-native:compute:Disk", "azure-native:keyvault:Vault", "azure-native:keyvault:Key", "azure-native:compute:DiskEncryptionSet",
  AWS_VM, "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/routeTable:RouteTable", "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile", "aws:kms/key:Key", "aws:ebs/volume:Volume",
  "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:ec2/eip:Eip",
]);

function isTaggable(r: ResourceView): boolean {
  return TAGGABLE_TYPES.has(r.type) || isObject(r.ownLabels);
}

export const [instanceName, instanceNameDevtest] = resourcePolicies({
  checklistId: "identity.instance-name",
  description:
    "ZIPNET_INSTANCE is a namespaced name like acme.mainnet: the posture record's name follows the grammar, every taggable zipnet resource carries the zipnet-instance label (the name with . -> _), and each VM's boot contract sets ZIPNET_INSTANCE to the same name.",
  levels: "split",
  check(r, ctx) {
    const rec = recordOfView(r);
    if (rec) {
      const name = rec.name;
      if (isUnknown(name)) return;
      if (typeof name !== "string" || !isValidInstanceName(name)) {
        ctx.fail("name", "lowercase dot-separated labels with at least one dot, at most 63 characters (e.g. acme.mainnet)", name);
      }
      return;
    }
    if (r.type === ZIPNET_INSTANCE_TYPE || !isZipnetResource(r) || !isTaggable(r)) return;
    if (isUnknown(r.ownLabels) && r.providerLabels[LABEL_INSTANCE] === undefined) return;
    const prop = labelProp(r.type);
    const value = r.labels[LABEL_INSTANCE];
    if (value === undefined) {
      if (isObject(r.ownLabels) && isUnknown(r.ownLabels[LABEL_INSTANCE])) return;
      ctx.fail(`${prop}.${LABEL_INSTANCE}`, "the instance name label (the instance name with . -> _, e.g. acme_mainnet)", undefined);
      return;
    }
    if (!LABEL_VALUE.test(value) || !isValidInstanceName(instanceFromLabel(value))) {
      ctx.fail(`${prop}.${LABEL_INSTANCE}`, "a label value like acme_mainnet (a valid instance name with . -> _)", value);
    }
    if (r.type === GCP_VM) {
      const diskLabels = at(r.props, "bootDisk", "initializeParams", "labels");
      if (isObject(diskLabels) && !isUnknown(diskLabels[LABEL_INSTANCE]) && !sameInstance(diskLabels[LABEL_INSTANCE], value)) {
        ctx.fail(`bootDisk.initializeParams.labels.${LABEL_INSTANCE}`, `"${value}" (as on the VM)`, diskLabels[LABEL_INSTANCE]);
      }
    }
    if ((VM_TYPES as readonly string[]).includes(r.type)) {
      const boot = bootOf(r);
      const env = bootEnv(boot);
      const inst = env?.ZIPNET_INSTANCE;
      if (env && !isUnknown(inst)) {
        if (typeof inst !== "string" || !isValidInstanceName(inst)) {
          ctx.fail(`${boot.contractPath} env.ZIPNET_INSTANCE`, "a valid instance name (e.g. acme.mainnet)", inst);
        } else if (!sameInstance(inst, value)) {
          ctx.fail(`${boot.contractPath} env.ZIPNET_INSTANCE`, `the instance of the ${LABEL_INSTANCE} label ("${instanceFromLabel(value)}")`, inst);
        }
      }
    }
  },
});

export const [instanceNameStack, instanceNameStackDevtest] = stackPolicies({
  checklistId: "identity.instance-name",
  aspect: "stack",
  description:
    "Every zipnet label and boot contract in the stack names the instance of the posture record (a typo in ZIPNET_INSTANCE shows up as ConnectTimeout, not as an error).",
  levels: "split",
  check(m, ctx) {
    if (m.records.length !== 1) return;
    const name = m.records[0].name;
    if (!name) return;
    ctx.each(m.resources, (r) => {
      const v = r.labels[LABEL_INSTANCE];
      if (v !== undefined && !sameInstance(v, name)) {
        ctx.fail(r, `${labelProp(r.type)}.${LABEL_INSTANCE}`, `"${name.replace(/\./g, "_")}" (the instance ${name})`, v);
      }
    });
    ctx.each(m.vms, (vm) => {
      const inst = bootEnv(vm.boot)?.ZIPNET_INSTANCE;
      if (typeof inst === "string" && inst !== name) ctx.fail(vm.r, `${vm.boot.contractPath} env.ZIPNET_INSTANCE`, `"${name}" (the posture record's name)`, inst);
    });
  },
});

export const [instanceUnique, instanceUniqueDevtest] = stackPolicies({
  checklistId: "identity.instance-unique",
  description:
    "One instance per stack: a single posture record and a single ZIPNET_INSTANCE across labels and boot contracts (across instances: identity.instance-unique:cross-instance).",
  levels: "split",
  check(m, ctx) {
    const seen = new Map<string, ResourceView>();
    for (const rec of m.records) if (rec.name) seen.set(rec.name, seen.get(rec.name) ?? rec.r);
    if (m.records.length > 1) {
      ctx.each(m.records.slice(1), (rec) =>
        ctx.fail(rec.r, "name", `one zipnet instance per stack (already ${m.records[0].name ?? "another"})`, rec.name ?? raw("another instance")));
    }
    ctx.each(m.resources, (r) => {
      const v = r.labels[LABEL_INSTANCE];
      if (v !== undefined) seen.set(instanceFromLabel(v), seen.get(instanceFromLabel(v)) ?? r);
    });
    ctx.each(m.vms, (vm) => {
      const inst = bootEnv(vm.boot)?.ZIPNET_INSTANCE;
      if (typeof inst === "string") seen.set(inst, seen.get(inst) ?? vm.r);
    });
    if (seen.size <= 1) return;
    const names = [...seen.keys()];
    const first = m.records[0]?.name ?? names[0];
    for (const [n, r] of seen) {
      if (n === first) continue;
      ctx.fail(r, "zipnet-instance", `a single instance per stack ("${first}")`, n, { note: `the stack names ${names.join(", ")}` });
    }
  },
});

export const [mrtdPublished, mrtdPublishedDevtest] = resourcePolicies({
  checklistId: "identity.mrtd-published",
  description:
    "The instance publishes its committee measurements beside its name: a production posture record holds at least one tdx.committee reference set, each with an enforced MR_TD of 96 hex characters and the image registers of its platform enforced (gcp-tdx, qemu-tdx: RTMR1, RTMR2); devtest records may hold none but not malformed ones.",
  levels: "split",
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    checkReferenceMrtds(rec, "committee", ctx, "committee reference set");
  },
});


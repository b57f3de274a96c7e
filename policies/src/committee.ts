/**
 * committee.*: fault domains, TDX, per-node secrets, ingress, disk wipe.
 */
import { bootEnv, bootOf } from "./core/boot";
import { tdxProblems } from "./core/checks";
import { type StackModel, type Vm, normalizeRegion, vmMachineType } from "./core/model";
import { ingressLeaks, ruleLocation, judgedPaths } from "./core/network";
import { raw, resourcePolicies, stackPolicies, type StackContext } from "./core/policy";
import { AWS_VM, AZURE_VM, GCP_VM, type ResourceView } from "./core/resources";
import { grantingPolicies, grants, nodeAccess, vmRoleName } from "./core/vault";
import { secretValues } from "./secrets";
import { federationOf, normalName } from "./core/federation";
import { arr, at, bool, isObject, isUnknown, lastSegment, num, obj, str, strings } from "./core/values";
import { LABEL_INSTANCE, LABEL_NODE, LABEL_POSTURE, LABEL_ROLE } from "../contract/labels";
import { AWS_KEY, AZURE_KEY, DISK_TYPES, GCP_KEY, SNAPSHOT_TYPES } from "../contract/types";
import { COMMITTEE_KEY, nodeKey, nodeSecretPath } from "../contract/vault";
import { committeePlatform, recordReferenceSets, setsFor, tdxGatedRefusal } from "../contract/measurements";

// ---------------------------------------------------------------------------------------------
// committee.fault-domains

/** Regions of different clouds in one metro area (same physical geography). */
export const GEOGRAPHY: Record<string, string> = {
  "us-central1": "iowa", centralus: "iowa",
  "us-east4": "northern-virginia", eastus: "northern-virginia", eastus2: "northern-virginia", "us-east-1": "northern-virginia",
  "us-east1": "south-carolina",
  "us-east-2": "ohio", "us-east5": "ohio",
  "us-west1": "oregon", "us-west-2": "oregon",
  "us-west2": "los-angeles",
  westus: "northern-california", "us-west-1": "northern-california",
  "us-south1": "dallas",
  "europe-west4": "netherlands", westeurope: "netherlands",
  "europe-west1": "belgium",
  "europe-west2": "london", uksouth: "london", "eu-west-2": "london",
  "europe-west3": "frankfurt", germanywestcentral: "frankfurt", "eu-central-1": "frankfurt",
  "europe-west9": "paris", francecentral: "paris", "eu-west-3": "paris",
  "europe-north1": "finland",
  northeurope: "ireland", "eu-west-1": "ireland",
  "europe-west6": "zurich", switzerlandnorth: "zurich", "eu-central-2": "zurich",
  "asia-southeast1": "singapore", southeastasia: "singapore", "ap-southeast-1": "singapore",
  "asia-northeast1": "tokyo", japaneast: "tokyo", "ap-northeast-1": "tokyo",
  "asia-northeast3": "seoul", koreacentral: "seoul", "ap-northeast-2": "seoul",
  "asia-east2": "hong-kong", eastasia: "hong-kong", "ap-east-1": "hong-kong",
  "asia-south1": "mumbai", westindia: "mumbai", "ap-south-1": "mumbai",
  "australia-southeast1": "sydney", australiaeast: "sydney", "ap-southeast-2": "sydney",
  "northamerica-northeast1": "montreal", canadaeast: "quebec", "ca-central-1": "montreal",
  "northamerica-northeast2": "toronto", canadacentral: "toronto",
  "southamerica-east1": "sao-paulo", brazilsouth: "sao-paulo", "sa-east-1": "sao-paulo",
};

interface CommitteeNode {
  id: string;
  cloud?: string;
  account?: string;
  region?: string;
  operator?: string;
  subject?: ResourceView;
}

/** Clouds whose TDX guests can produce the ticket a production committee requires. */
const TICKET_CLOUDS = ["gcp", "azure", "aws"].filter((c) => {
  const platform = committeePlatform(c);
  return platform !== undefined && !tdxGatedRefusal(platform);
});

function committeeNodes(m: StackModel): CommitteeNode[] {
  return m
    .nodes()
    .filter((n) => n.role === "committee")
    .map((n) => ({
      id: n.id,
      ...(n.cloud ? { cloud: n.cloud } : {}),
      ...(n.account ? { account: n.account } : {}),
      ...(n.region ? { region: normalizeRegion(n.region) } : {}),
      ...(n.operator ? { operator: n.operator } : {}),
      subject: n.vm?.r ?? m.records[0]?.r,
    }));
}

function pairs<T>(xs: T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) out.push([xs[i], xs[j]]);
  return out;
}

export const [faultDomains, faultDomainsDevtest] = stackPolicies({
  checklistId: "committee.fault-domains",
  description:
    "Each committee server sits in its own fault domain: pairwise distinct cloud accounts and distinct regions (from the VMs' providers, zones and locations, and the posture record's nodes).",
  levels: "split",
  check(m, ctx) {
    for (const [a, b] of pairs(committeeNodes(m))) {
      if (a.account && b.account && a.account.toLowerCase() === b.account.toLowerCase()) {
        ctx.fail(b.subject, "account", `a cloud account no other committee server uses (committee server ${b.id} vs ${a.id})`, b.account);
      }
      if (a.region && b.region && a.region === b.region) {
        ctx.fail(b.subject, "region", `a region no other committee server uses (committee server ${b.id} vs ${a.id})`, b.region);
      }
    }
  },
});

export const [committeeSize, committeeSizeDevtest] = stackPolicies({
  checklistId: "committee.fault-domains",
  aspect: "size",
  description: "The committee has at least 3 servers and an odd count (any-trust needs one honest server among several fault domains); for one operator's stack of a federated instance, the manifest's committee.",
  levels: "split",
  check(m, ctx) {
    // A federated stack holds one operator's servers: the instance's committee is the manifest's.
    const fed = m.records.length === 1 ? federationOf(m.records[0].rec) : undefined;
    if (typeof fed === "string") return ctx.fail(m.records[0].r, "federation", "a federation record the pack can read", raw(fed));
    const nodes = fed ? fed.nodes.filter((n) => n.role === "committee").map((n) => ({ id: n.id, subject: m.records[0].r })) : committeeNodes(m);
    if (nodes.length === 0) return;
    if (nodes.length < 3 || nodes.length % 2 === 0) {
      const subject = m.records[0]?.r ?? nodes[0].subject;
      ctx.fail(subject, fed ? "federation.nodes" : "committee", "at least 3 committee servers, an odd count", raw(`${nodes.length} (${nodes.map((n) => n.id).join(", ")})`));
    }
  },
});

export const [federatedSide, federatedSideDevtest] = stackPolicies({
  checklistId: "committee.fault-domains",
  aspect: "federation",
  description:
    "A federated instance (one stack per operator): the manifest's committee servers are run by pairwise distinct organizations, in distinct accounts and regions; this stack deploys only servers the manifest gives its operator, in the manifest's account and region; its Vault holds only its own nodes' secrets, and the committee secret only when its operator runs a committee server.",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.records, (record) => {
      const fed = federationOf(record.rec);
      if (!fed) return;
      if (typeof fed === "string") return ctx.fail(record.r, "federation", "a federation record the pack can read", raw(fed));
      const committee = fed.nodes.filter((n) => n.role === "committee");
      for (const [a, b] of pairs(committee)) {
        if (normalName(a.organization) === normalName(b.organization)) ctx.fail(record.r, "federation.nodes", `committee servers ${a.id} and ${b.id} run by different organizations`, raw(`both by ${a.organization}`));
        if (normalName(a.account) === normalName(b.account)) ctx.fail(record.r, "federation.nodes", `committee servers ${a.id} and ${b.id} in different accounts`, raw(`both in ${a.account}`));
        if (normalizeRegion(a.region) === normalizeRegion(b.region)) ctx.fail(record.r, "federation.nodes", `committee servers ${a.id} and ${b.id} in different regions`, raw(`both in ${a.region}`));
      }
      for (const vm of m.nodeVms().filter((v) => !record.name || v.instance === record.name)) {
        const entry = fed.nodes.find((n) => n.id === vm.node);
        if (!entry) ctx.fail(vm.r, "zipnet-node", `a node of the manifest (${fed.nodes.map((n) => n.id).join(", ")})`, vm.node ?? raw("no node label"));
        else if (entry.operator !== fed.operator) ctx.fail(vm.r, "zipnet-node", `a node the manifest gives to this stack's operator ${fed.operator}`, raw(`${entry.id}, which the manifest gives to ${entry.operator}`));
        else {
          if (vm.account && vm.account !== entry.account) ctx.fail(vm.r, "account", `the manifest's account for ${entry.id}: ${entry.account}`, vm.account);
          if (vm.region && normalizeRegion(vm.region) !== normalizeRegion(entry.region)) ctx.fail(vm.r, "region", `the manifest's region for ${entry.id}: ${entry.region}`, vm.region);
        }
      }
      // Its Vault holds only its own nodes' secrets, and the committee secret only if it runs a committee server.
      const runsCommittee = committee.some((n) => n.operator === fed.operator);
      for (const secret of m.ofType("vault:kv/secretV2:SecretV2")) {
        const name = str(secret.props.name);
        if (name === undefined) continue;
        const owner = fed.nodes.find((n) => nodeKey(n.id) === name);
        if (owner && owner.operator !== fed.operator) ctx.fail(secret, "name", `only secrets of ${fed.operator}'s own nodes`, raw(`${name}, the secret of ${owner.operator}'s node ${owner.id}`));
        if (name === COMMITTEE_KEY && !runsCommittee) ctx.fail(secret, "name", `no committee secret (${fed.operator} runs no committee server; the secret is sealed to committee operators only)`, name);
      }
    });
  },
});

export const [faultDomainAdvice] = stackPolicies({
  checklistId: "committee.fault-domains",
  aspect: "advice",
  description: "Advice: committee servers should also differ in cloud (where more than one cloud can host them: in production only GCP can, docs/measurements.md), physical geography (e.g. GCP us-central1 and Azure centralus are both Iowa) and operator organisation.",
  levels: "advisory",
  check(m, ctx) {
    // One advisory per server and aspect, naming every earlier server it shares the cloud,
    // geography or operator with (the first server of each group is the reference).
    const nodes = committeeNodes(m);
    const byCloud = new Map<string, CommitteeNode[]>();
    const byGeo = new Map<string, CommitteeNode[]>();
    const byOperator = new Map<string, CommitteeNode[]>();
    const earlier = (map: Map<string, CommitteeNode[]>, key: string | undefined, b: CommitteeNode): CommitteeNode[] => {
      if (!key) return [];
      const list = map.get(key);
      if (!list) {
        map.set(key, [b]);
        return [];
      }
      const before = list.slice();
      list.push(b);
      return before;
    };
    const servers = (xs: string[]): string => (xs.length === 1 ? `committee server ${xs[0]}'s` : `committee servers ${xs.join(", ")}'s`);
    for (const b of nodes) {
      // A production committee has one cloud whose TDX guests produce mosaik tickets (GCP: AWS has no
      // TDX, Azure no configfs-tsm; docs/measurements.md): no other cloud to advise there.
      const production = b.subject ? m.postureOf(b.subject) === "production" : m.defaultPosture() === "production";
      const sameCloud = production && TICKET_CLOUDS.length < 2 ? [] : earlier(byCloud, b.cloud, b);
      if (sameCloud.length) ctx.fail(b.subject, "cloud", `a cloud other than ${servers(sameCloud.map((a) => a.id))}`, b.cloud);
      const gb = b.region ? GEOGRAPHY[b.region] : undefined;
      const sameGeo = earlier(byGeo, gb, b).filter((a) => a.region !== b.region);
      if (sameGeo.length) {
        const expected = sameGeo.length === 1
          ? `a physical geography other than committee server ${sameGeo[0].id}'s (${sameGeo[0].region})`
          : `a physical geography other than committee servers ${sameGeo.map((a) => `${a.id} (${a.region})`).join(", ")}`;
        ctx.fail(b.subject, "region", expected, b.region, { note: `${sameGeo.length === 1 ? "both" : "all"} in ${gb}` });
      }
      const ob = b.operator?.trim().toLowerCase();
      const sameOperator = earlier(byOperator, ob, b);
      if (sameOperator.length) ctx.fail(b.subject, "operator", `an operator organisation other than ${servers(sameOperator.map((a) => a.id))}`, b.operator);
    }
  },
});

// ---------------------------------------------------------------------------------------------
// committee.tdx

function roleOfVm(r: ResourceView): string | undefined {
  return r.zipnet.role ?? str(bootOf(r).contract?.role);
}

export const [tdx, tdxDevtest] = resourcePolicies({
  checklistId: "committee.tdx",
  description:
    "Committee servers are TDX guests: GCP confidentialInstanceType TDX, onHostMaintenance TERMINATE, c3-* machine type, shielded VM (secure boot, vTPM, integrity monitoring); Azure ConfidentialVM with secure boot and vTPM on a DC/EC *es_v6 size with a confidential OS disk encryption type. AWS has no TDX: no production committee server on AWS.",
  levels: "split",
  types: [GCP_VM, AZURE_VM, AWS_VM],
  check(r, ctx) {
    if (roleOfVm(r) !== "committee") return;
    if (r.type === AWS_VM && ctx.posture !== "production") return; // devtest may run committee servers on AWS (SEV-SNP)
    const verdict = tdxProblems(r);
    for (const p of verdict.problems) ctx.fail(p.path, p.expected, p.found);
    for (const path of verdict.unknown) ctx.unknown(path);
  },
});

export const [tdxReference] = stackPolicies({
  checklistId: "committee.tdx",
  aspect: "reference",
  description:
    "A production committee server runs on a platform that can produce mosaik's TDX ticket (not Azure: no configfs-tsm there, docs/measurements.md) and its platform and machine type have a tdx.committee reference set in the posture record: what the publication pins for it.",
  levels: [{ posture: "production", level: "mandatory" }],
  check(m, ctx) {
    ctx.each(m.committeeVms(), (vm) => {
      const platform = committeePlatform(vm.cloud);
      if (!platform) return; // AWS: committee.tdx refuses it
      const refusal = tdxGatedRefusal(platform);
      if (refusal) return ctx.fail(vm.r, "cloud", `a platform whose guest produces mosaik TDX tickets (gcp-tdx): ${refusal}`, raw(platform));
      const type = vmMachineType(vm);
      if (isUnknown(type)) return ctx.unknown(vm.r, "machine type");
      const machineType = lastSegment(str(type) ?? "");
      // Without the posture record (or with its sets unknown) there is nothing to judge against: say so.
      const rec = m.recordFor(vm);
      if (!rec || isUnknown(at(rec, "tdx", "committee"))) return ctx.unknown(vm.r, "the posture record's tdx.committee reference sets");
      const sets = setsFor(recordReferenceSets(rec, "committee"), platform, machineType);
      const path = vm.cloud === "gcp" ? "machineType" : "hardwareProfile.vmSize";
      if (!sets.length) ctx.fail(vm.r, path, `a machine type with a tdx.committee reference set for ${platform} in the posture record`, machineType);
    });
  },
});

function vmImage(vm: Vm): unknown {
  if (vm.cloud === "gcp") return at(vm.r.props, "bootDisk", "initializeParams", "image");
  if (vm.cloud === "azure") {
    const ref = at(vm.r.props, "storageProfile", "imageReference");
    if (isUnknown(ref)) return ref;
    return at(ref, "id") ?? at(ref, "sharedGalleryImageId") ?? at(ref, "communityGalleryImageId");
  }
  return vm.r.props.ami;
}

function normalizeImage(s: string): string {
  return s.replace(/^https:\/\/www\.googleapis\.com\/compute\/v1\//, "").toLowerCase();
}

export const [tdxImage, tdxImageDevtest] = stackPolicies({
  checklistId: "committee.tdx",
  aspect: "image",
  description: "Committee servers boot the released image the posture record names for their cloud (images.gcp / images.azure / images.aws).",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.committeeVms(), (vm) => {
      const want = str(at(m.recordFor(vm), "images", vm.cloud));
      const have = vmImage(vm);
      if (!want || typeof have !== "string") return;
      if (normalizeImage(want) !== normalizeImage(have)) {
        const path = vm.cloud === "gcp" ? "bootDisk.initializeParams.image" : vm.cloud === "azure" ? "storageProfile.imageReference.id" : "ami";
        ctx.fail(vm.r, path, `the released image ${want}`, have);
      }
    });
  },
});

// ---------------------------------------------------------------------------------------------
// committee.node-secret

function bootSecretPath(vm: Vm, env: string): { path?: string; index: number } {
  const list = arr(at(vm.boot.contract, "vault", "secrets")) ?? [];
  const index = list.findIndex((s) => at(s, "env") === env);
  return { path: index >= 0 ? str(at(list[index], "path")) : undefined, index };
}

export function checkNodeSecrets(m: StackModel, ctx: StackContext, role: "committee" | "aggregator" | "any"): void {
  const vms = m.nodeVms().filter((v) => role === "any" || v.role === role);
  const allNodeIds = m.nodes().map((n) => n.id).filter((id) => !id.startsWith("urn:"));
  const hasVault = m.vaultPolicies().length > 0 || m.authRoles().length > 0;
  const paths = new Map<string, Vm>();
  const roles = new Map<string, Vm>();
  ctx.each(vms, (vm) => {
    if (!vm.node) return;
    const mount = m.mount(vm.instance);
    if (!mount) return;
    const own = nodeSecretPath(mount, vm.node);
    const { path, index } = bootSecretPath(vm, "ZIPNET_SECRET_FILE");
    if (path !== undefined) {
      if (path !== own) ctx.fail(vm.r, `${vm.boot.contractPath} vault.secrets[${index}].path`, `the node's own secret ${own}`, path);
      const other = paths.get(path);
      if (other) ctx.fail(vm.r, `${vm.boot.contractPath} vault.secrets[${index}].path`, `a secret path no other node reads (also read by ${other.r.name})`, path);
      else paths.set(path, vm);
    } else if (vm.boot.contract && bootEnv(vm.boot) && !isUnknown(at(vm.boot.contract, "vault"))) {
      ctx.fail(vm.r, `${vm.boot.contractPath} vault.secrets`, "an entry for ZIPNET_SECRET_FILE (the node's own secret)", at(vm.boot.contract, "vault", "secrets"));
    }
    const roleName = vmRoleName(vm);
    if (roleName) {
      const other = roles.get(roleName);
      if (other) ctx.fail(vm.r, `${vm.boot.contractPath ?? "user-data"} vault.role`, `a Vault auth role of its own (also used by ${other.r.name})`, roleName);
      else roles.set(roleName, vm);
    }
    const access = nodeAccess(m, vm);
    if (!access) {
      if (hasVault && roleName) ctx.fail(vm.r, "vault.role", `a Vault auth role "${roleName}" in the stack granting read on ${own}`, raw("none"));
      return;
    }
    for (const p of access.problems) ctx.fail(p.res, "policy", "a valid Vault policy", raw(p.error));
    if (!access.unknown && access.missing.length === 0 && !grants(access, own, "read")) {
      ctx.fail(access.roles[0], "tokenPolicies", `policies granting read on the node's own secret ${own}`, access.policyNames);
    }
    const others = [...allNodeIds.filter((id) => id !== vm.node), `${vm.node}-other`, "other-node"];
    for (const id of others) {
      const path = nodeSecretPath(mount, id);
      for (const res of grantingPolicies(access, path, "read")) {
        ctx.fail(res, "policy", `read on no other node's secret (node ${vm.node} must not read ${path})`, raw(`read granted on ${path}`), { posture: m.postureOf(vm.r) });
      }
      if (grantingPolicies(access, path, "read").length) break;
    }
  });
  // One KV secret per node, and no two secrets with the same (known) value.
  const secrets = m.ofType("vault:kv/secretV2:SecretV2");
  if (secrets.length) {
    ctx.each(vms, (vm) => {
      const mount = m.mount(vm.instance);
      if (!vm.node || !mount) return;
      const mine = secrets.filter((s) => s.props.name === `nodes/${vm.node}` && (s.props.mount === mount || isUnknown(s.props.mount)));
      if (mine.length === 0) ctx.fail(vm.r, "node secret", `a Vault KV secret ${mount}/nodes/${vm.node} of its own`, raw("none in the stack"));
    });
    const byValue = new Map<string, ResourceView>();
    ctx.each(secrets, (s) => {
      for (const v of secretValues(s)) {
        const prev = byValue.get(v);
        if (prev && prev !== s) ctx.fail(s, "dataJson", `a value of its own (equal to ${prev.name}'s)`, raw("a duplicate secret value"));
        else byValue.set(v, s);
      }
    });
  }
}

export const [nodeSecret, nodeSecretDevtest] = stackPolicies({
  checklistId: "committee.node-secret",
  description:
    "ZIPNET_SECRET is per node: each node's boot contract reads <mount>/data/nodes/<its id>, its Vault auth role is its own, its token policies (evaluated with Vault's ACL rules) grant read on its own node secret and on no other node's, and no two node secrets share a value.",
  levels: "split",
  check(m, ctx) {
    checkNodeSecrets(m, ctx, "any");
  },
});

// ---------------------------------------------------------------------------------------------
// committee.ingress

export function portsText(ports: { iroh: number[]; metrics: number[] }): string {
  return `inbound only UDP ${ports.iroh.join("/") || "?"} (iroh) and TCP ${ports.metrics.join("/") || "?"} (metrics)`;
}

export const [ingress, ingressDevtest] = stackPolicies({
  checklistId: "committee.ingress",
  description:
    "Committee servers accept inbound traffic only on the iroh UDP port and the metrics TCP port: every firewall rule that applies to the VM (GCP rules of its network, targeted or not; Azure NSGs of its NICs and subnets with their default rules; AWS security groups, inline and standalone, or the VPC default group) admits nothing else.",
  levels: "split",
  check(m, ctx) {
    ctx.each(m.committeeVms(), (vm) => {
      const paths = judgedPaths(m, vm, ctx);
      if (!paths) return;
      const ports = m.ports(vm);
      if (ports.iroh.length === 0 && ports.metrics.length === 0) return;
      const posture = m.postureOf(vm.r);
      for (const path of paths) {
        const leaks = path.map((layer) => ingressLeaks(layer, ports.iroh, ports.metrics));
        if (leaks.some((l) => l.length === 0)) continue; // one layer of the path admits nothing else
        for (const f of leaks.flat()) {
          const loc = f.rule ? ruleLocation(f.rule) : { subject: f.layer.owner ?? vm.r, path: "networkSecurityGroup" };
          const hint = f.rule?.builtin?.startsWith("Allow") ? "add an explicit deny-all inbound rule below the allows" : undefined;
          ctx.fail(loc.subject, loc.path, `${portsText(ports)} to committee server ${vm.r.name}`, raw(f.text), { posture, ...(hint ? { note: hint } : {}) });
        }
      }
    });
  },
});

// ---------------------------------------------------------------------------------------------
// committee.disk-wipe

const DISKS: readonly string[] = DISK_TYPES;
const SNAPSHOTS: readonly string[] = SNAPSHOT_TYPES;
/** The longest crypto-shredding delay accepted (days): GCP destroyScheduledDuration, AWS deletionWindowInDays. */
export const MAX_KEY_DESTROY_DAYS = 7;

/** GCP duration `604800s` / `86400.5s` in seconds. */
function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const mm = v.match(/^(\d+(?:\.\d+)?)s$/);
  return mm ? Number(mm[1]) : undefined;
}

/** Problems of a node key: destroy delay and protect. */
export function keyProblems(r: ResourceView): Array<{ path: string; expected: string; found: unknown }> {
  const out: Array<{ path: string; expected: string; found: unknown }> = [];
  if (r.type === GCP_KEY) {
    const d = r.props.destroyScheduledDuration;
    if (!isUnknown(d)) {
      const s = durationSeconds(d);
      if (s === undefined || s > MAX_KEY_DESTROY_DAYS * 86400) {
        out.push({ path: "destroyScheduledDuration", expected: `at most ${MAX_KEY_DESTROY_DAYS * 86400}s (${MAX_KEY_DESTROY_DAYS} days; unset means 30 days)`, found: d });
      }
    }
  } else if (r.type === AWS_KEY) {
    const d = r.props.deletionWindowInDays;
    if (!isUnknown(d)) {
      const n = num(d);
      if (n === undefined || n > MAX_KEY_DESTROY_DAYS) out.push({ path: "deletionWindowInDays", expected: `at most ${MAX_KEY_DESTROY_DAYS} (unset means 30 days)`, found: d });
    }
  }
  if (r.protect) out.push({ path: "protect", expected: "false (a node's key is destroyed with the node)", found: true });
  return out;
}

function vmDiskProblems(r: ResourceView): Array<{ path: string; expected: string; found: unknown }> {
  const out: Array<{ path: string; expected: string; found: unknown }> = [];
  const p = r.props;
  const add = (path: string, expected: string, found: unknown) => out.push({ path, expected, found });
  if (r.type === GCP_VM) {
    const ad = at(p, "bootDisk", "autoDelete");
    if (bool(ad) === false) add("bootDisk.autoDelete", "true (the boot disk dies with the VM)", ad);
    const key = at(p, "bootDisk", "kmsKeySelfLink");
    if (!isUnknown(key) && !str(key)) add("bootDisk.kmsKeySelfLink", "the node's own Cloud KMS key (crypto-shredded on decommission)", key);
    const rp = at(p, "bootDisk", "initializeParams", "resourcePolicies");
    if (!isUnknown(rp) && strings(rp).length) add("bootDisk.initializeParams.resourcePolicies", "none (no snapshot schedule on a committee disk)", rp);
    (arr(p.attachedDisks) ?? []).forEach((d, i) => {
      const k = at(d, "kmsKeySelfLink");
      if (!isUnknown(k) && !str(k)) add(`attachedDisks[${i}].kmsKeySelfLink`, "the node's own Cloud KMS key", k);
    });
  } else if (r.type === AZURE_VM) {
    const osDisk = at(p, "storageProfile", "osDisk");
    if (!isUnknown(osDisk) && isObject(osDisk)) {
      const del = osDisk.deleteOption;
      if (!isUnknown(del) && del !== "Delete") add("storageProfile.osDisk.deleteOption", '"Delete" (the default Detach keeps the disk)', del);
      const enc = at(osDisk, "managedDisk", "securityProfile", "securityEncryptionType");
      const des = at(osDisk, "managedDisk", "securityProfile", "diskEncryptionSet", "id") ?? at(osDisk, "managedDisk", "diskEncryptionSet", "id");
      if (!isUnknown(enc) && !isUnknown(des) && enc !== "NonPersistedTPM" && !str(des)) {
        add("storageProfile.osDisk.managedDisk", "securityEncryptionType NonPersistedTPM (key material dies with the VM) or a per-node disk encryption set", enc ?? raw("neither"));
      }
    }
    (arr(at(p, "storageProfile", "dataDisks")) ?? []).forEach((d, i) => {
      const del = at(d, "deleteOption");
      if (!isUnknown(del) && del !== "Delete") add(`storageProfile.dataDisks[${i}].deleteOption`, '"Delete"', del);
    });
  } else if (r.type === AWS_VM) {
    const root = p.rootBlockDevice;
    if (!isUnknown(root)) {
      const dot = at(root, "deleteOnTermination");
      if (bool(dot) === false) add("rootBlockDevice.deleteOnTermination", "true (the root volume dies with the instance)", dot);
      const key = at(root, "kmsKeyId");
      if (!isUnknown(key) && !str(key)) add("rootBlockDevice.kmsKeyId", "the node's own KMS key (crypto-shredded on decommission)", key);
    }
    (arr(p.ebsBlockDevices) ?? []).forEach((d, i) => {
      const dot = at(d, "deleteOnTermination");
      if (bool(dot) === false) add(`ebsBlockDevices[${i}].deleteOnTermination`, "true", dot);
      const key = at(d, "kmsKeyId");
      if (!isUnknown(key) && !str(key)) add(`ebsBlockDevices[${i}].kmsKeyId`, "the node's own KMS key", key);
    });
  }
  if (r.protect) out.push({ path: "protect", expected: "false (a committee VM must be destroyable on decommission)", found: true });
  return out;
}

/** DLM / Backup selections naming committee resources by tag. */
function targetsCommitteeTags(tags: Record<string, any> | undefined, committeeNodes: string[]): boolean {
  if (!tags) return false;
  const role = tags[LABEL_ROLE];
  if (role !== undefined) return role === "committee";
  const node = tags[LABEL_NODE];
  if (node !== undefined) return committeeNodes.length === 0 || committeeNodes.includes(node);
  return tags[LABEL_INSTANCE] !== undefined || tags[LABEL_POSTURE] !== undefined;
}

function backupTags(r: ResourceView): Record<string, any> | undefined {
  if (r.type === "aws:dlm/lifecyclePolicy:LifecyclePolicy") return obj(at(r.props, "policyDetails", "targetTags"));
  if (r.type === "aws:backup/selection:Selection") {
    const out: Record<string, any> = {};
    for (const t of arr(r.props.selectionTags) ?? []) if (typeof at(t, "key") === "string") out[at(t, "key")] = at(t, "value");
    for (const c of arr(at(r.props, "conditions", 0, "stringEquals")) ?? []) {
      const k = str(at(c, "key"))?.replace(/^aws:ResourceTag\//, "");
      if (k) out[k] = at(c, "value");
    }
    return out;
  }
  return undefined;
}

export const [diskWipe, diskWipeDevtest] = resourcePolicies({
  checklistId: "committee.disk-wipe",
  description:
    "A decommissioned committee server leaves nothing behind: its disks die with the VM (GCP bootDisk.autoDelete, Azure deleteOption Delete on the OS and data disks, AWS deleteOnTermination; NICs hold no data), each is encrypted with the node's own key (GCP kmsKeySelfLink, AWS kmsKeyId, Azure NonPersistedTPM or a per-node disk encryption set), node keys are destroyed within 7 days (GCP destroyScheduledDuration, AWS deletionWindowInDays), nothing of the node is protected, and no snapshot schedule, snapshot, image or backup covers its disks.",
  levels: "split",
  check(r, ctx) {
    const role = r.type === GCP_VM || r.type === AZURE_VM || r.type === AWS_VM ? roleOfVm(r) : r.zipnet.role;
    if (r.type === GCP_VM || r.type === AZURE_VM || r.type === AWS_VM) {
      if (role !== "committee") return;
      for (const p of vmDiskProblems(r)) ctx.fail(p.path, p.expected, p.found);
      return;
    }
    if (r.type === "aws:dlm/lifecyclePolicy:LifecyclePolicy" || r.type === "aws:backup/selection:Selection") {
      const tags = backupTags(r);
      if (targetsCommitteeTags(tags, [])) ctx.fail(r.type.includes("dlm") ? "policyDetails.targetTags" : "selectionTags", "no snapshot/backup policy targeting committee resources", tags);
      return;
    }
    if (role !== "committee") return;
    if (r.type === GCP_KEY || r.type === AWS_KEY || r.type === AZURE_KEY) {
      for (const p of keyProblems(r)) ctx.fail(p.path, p.expected, p.found);
      return;
    }
    if (DISKS.includes(r.type)) {
      if (r.protect) ctx.fail("protect", "false (a committee disk is destroyed with its node)", true);
      return;
    }
    if (r.type === "gcp:compute/resourcePolicy:ResourcePolicy") {
      if (r.props.snapshotSchedulePolicy !== undefined) ctx.fail("snapshotSchedulePolicy", "no snapshot schedule for committee disks", r.props.snapshotSchedulePolicy);
      return;
    }
    if (SNAPSHOTS.includes(r.type) || r.type === "azure-native:recoveryservices:ProtectedItem") {
      ctx.fail("type", "no snapshot, image or backup of a committee server's disks", r.type);
    }
  },
});

export const [diskWipeStack, diskWipeStackDevtest] = stackPolicies({
  checklistId: "committee.disk-wipe",
  aspect: "stack",
  description:
    "Across the stack: no snapshot schedule attachment, Recovery Services protected item, DLM or Backup selection covers a committee VM or disk; each committee VM's key is its own (not shared) and is destroyed within 7 days, unprotected.",
  levels: "split",
  check(m, ctx) {
    const committee = m.committeeVms();
    if (committee.length === 0) return;
    const ids = committee.map((v) => v.node).filter((x): x is string => !!x);
    const isCommitteeVm = (ref: unknown): Vm | undefined => {
      const r = m.resolve(ref, [GCP_VM, AZURE_VM, AWS_VM]);
      return r ? committee.find((v) => v.r === r) : undefined;
    };
    // GCP: disk resource policies attached to a committee VM's boot disk (named after the VM) or a committee disk.
    ctx.each(m.ofType("gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment"), (att) => {
      const disk = att.props.disk;
      const vm = isCommitteeVm(disk) ?? committee.find((v) => typeof disk === "string" && (lastSegment(disk) === v.r.props.name || lastSegment(disk) === v.r.name));
      const d = m.resolve(disk, DISKS);
      if (vm || d?.zipnet.role === "committee") {
        const policy = m.resolve(att.props.name, ["gcp:compute/resourcePolicy:ResourcePolicy"]);
        if (!policy || policy.props.snapshotSchedulePolicy !== undefined) {
          ctx.fail(att, "disk", "no snapshot schedule on a committee server's disk", disk, { posture: m.postureOf((vm?.r ?? d)!) });
        }
      }
    });
    ctx.each(m.ofType("azure-native:recoveryservices:ProtectedItem"), (pi) => {
      const props = isObject(pi.props.properties) ? pi.props.properties : {};
      const vm = isCommitteeVm(props.sourceResourceId) ?? isCommitteeVm(props.virtualMachineId);
      if (vm) ctx.fail(pi, "properties.sourceResourceId", "no backup of a committee server", props.sourceResourceId ?? props.virtualMachineId, { posture: m.postureOf(vm.r) });
    });
    ctx.each([...m.ofType("aws:dlm/lifecyclePolicy:LifecyclePolicy"), ...m.ofType("aws:backup/selection:Selection")], (p) => {
      const tags = backupTags(p);
      if (targetsCommitteeTags(tags, ids)) ctx.fail(p, p.type.includes("dlm") ? "policyDetails.targetTags" : "selectionTags", "no snapshot/backup policy targeting committee resources", tags);
      if (p.type === "aws:backup/selection:Selection") {
        for (const ref of strings(p.props.resources)) {
          const vm = isCommitteeVm(ref);
          if (vm) ctx.fail(p, "resources", "no backup of a committee server", ref, { posture: m.postureOf(vm.r) });
        }
      }
    });
    // Keys: each committee VM's key is in the stack, its own, short-lived and unprotected.
    const keyUsers = new Map<string, Vm>();
    ctx.each(committee, (vm) => {
      const refs: unknown[] =
        vm.cloud === "gcp" ? [at(vm.r.props, "bootDisk", "kmsKeySelfLink")] : vm.cloud === "aws" ? [at(vm.r.props, "rootBlockDevice", "kmsKeyId")] : [];
      for (const ref of refs) {
        if (typeof ref !== "string" || ref === "") continue;
        const key = m.resolve(ref, [GCP_KEY, AWS_KEY], vm.r);
        const id = key?.urn ?? ref;
        const other = keyUsers.get(id);
        if (other) ctx.fail(vm.r, vm.cloud === "gcp" ? "bootDisk.kmsKeySelfLink" : "rootBlockDevice.kmsKeyId", `a key of its own (also used by ${other.r.name})`, ref);
        else keyUsers.set(id, vm);
        if (key) for (const p of keyProblems(key)) ctx.fail(key, p.path, p.expected, p.found, { posture: m.postureOf(vm.r) });
      }
    });
  },
});


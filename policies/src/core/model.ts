/**
 * The stack as policies reason about it: plain resource views, the instance posture records,
 * the VMs with their role, node, placement and boot contract, and reference resolution
 * (ids, self links, ARM ids, ARNs and names all point at resources of the stack).
 */
import type { PolicyResource } from "@pulumi/policy";
import { bootEnv, bootOf, bindPort, type Boot } from "./boot";
import {
  AWS_VM,
  AZURE_VM,
  GCP_VM,
  ZIPNET_INSTANCE_TYPE,
  cloudOfType,
  instanceFromLabel,
  recordOf,
  viewOf,
  viewOfPolicyResource,
  type Cloud,
  type Posture,
  type ResourceView,
  type RawResource,
} from "./resources";
import { arr, at, isObject, lastSegment, num, str, strings } from "./values";

export interface Vm {
  r: ResourceView;
  cloud: Cloud;
  role?: string;
  node?: string;
  instance?: string;
  boot: Boot;
  account?: string;
  region?: string;
  zone?: string;
}

/** A VM's machine type (GCP machineType, Azure vmSize, AWS instanceType), as its props hold it. */
export function vmMachineType(vm: Vm): unknown {
  if (vm.cloud === "gcp") return vm.r.props.machineType;
  if (vm.cloud === "azure") return at(vm.r.props, "hardwareProfile", "vmSize");
  return vm.r.props.instanceType;
}

export interface InstanceRecord {
  r: ResourceView;
  rec: Record<string, any>;
  name?: string;
  posture: Posture;
}

/** Name-ish input properties of azure-native resources (their ARM name). */
const AZURE_NAME_PROPS = [
  "networkInterfaceName", "networkSecurityGroupName", "virtualNetworkName", "subnetName", "vmName", "diskName",
  "publicIpAddressName", "resourceName", "securityRuleName", "keyName", "vaultName", "diskEncryptionSetName",
];

/** The region of a GCP zone (`us-east4-a` -> `us-east4`) or AWS AZ (`us-east-2a` -> `us-east-2`). */
export function regionOfZone(cloud: Cloud, zone: string): string {
  if (cloud === "gcp") return zone.replace(/-[a-z]$/, "");
  if (cloud === "aws") return zone.replace(/[a-z]$/, "");
  return zone;
}

export function normalizeRegion(region: string): string {
  return region.toLowerCase().replace(/\s+/g, "");
}

/** The account a provider configures: GCP project, Azure subscription, AWS allowed account. */
export function providerAccount(r: ResourceView): string | undefined {
  const p = r.provider?.props;
  if (!p) return undefined;
  switch (cloudOfType(r.type)) {
    case "gcp":
      return str(p.project);
    case "azure":
      return str(p.subscriptionId);
    case "aws":
      return strings(p.allowedAccountIds)[0];
    default:
      return undefined;
  }
}

export function providerRegion(r: ResourceView): string | undefined {
  const p = r.provider?.props;
  if (!p) return undefined;
  switch (cloudOfType(r.type)) {
    case "gcp":
      return str(p.region) ?? (str(p.zone) ? regionOfZone("gcp", p.zone) : undefined);
    case "azure":
      return str(p.location);
    case "aws":
      return str(p.region);
    default:
      return undefined;
  }
}

function vmPlacement(r: ResourceView, cloud: Cloud): { account?: string; region?: string; zone?: string } {
  const p = r.props;
  let account = providerAccount(r);
  let region: string | undefined;
  let zone: string | undefined;
  if (cloud === "gcp") {
    zone = str(p.zone) ?? str(r.provider?.props.zone);
    if (zone) zone = lastSegment(zone);
    region = zone ? regionOfZone("gcp", zone) : providerRegion(r);
    account ??= str(p.project);
  } else if (cloud === "azure") {
    region = str(p.location) ?? providerRegion(r);
    zone = strings(p.zones)[0];
    const id = str(p.id);
    account ??= id?.match(/\/subscriptions\/([^/]+)/i)?.[1];
  } else {
    zone = str(p.availabilityZone);
    region = providerRegion(r) ?? (zone ? regionOfZone("aws", zone) : undefined);
    account ??= str(p.arn)?.split(":")[4];
  }
  return {
    ...(account ? { account } : {}),
    ...(region ? { region: normalizeRegion(region) } : {}),
    ...(zone ? { zone } : {}),
  };
}

export class StackModel {
  readonly resources: ResourceView[];
  readonly byUrn = new Map<string, ResourceView>();
  readonly records: InstanceRecord[] = [];
  readonly vms: Vm[] = [];

  constructor(raw: readonly (PolicyResource | RawResource)[]) {
    this.resources = [];
    for (const r of raw) {
      // viewOf never throws on odd input; anything else is a failure the policy reports.
      const view = "dependencies" in r ? viewOfPolicyResource(r as PolicyResource) : viewOf(r as RawResource);
      this.resources.push(view);
      this.byUrn.set(view.urn, view);
    }
    for (const r of this.resources) {
      if (r.type === ZIPNET_INSTANCE_TYPE) {
        const rec = recordOf(r.props);
        if (rec) this.records.push({ r, rec, ...(str(rec.name) ? { name: rec.name } : {}), posture: rec.posture === "devtest" ? "devtest" : "production" });
      }
    }
    for (const r of this.resources) {
      const cloud = r.type === GCP_VM ? "gcp" : r.type === AZURE_VM ? "azure" : r.type === AWS_VM ? "aws" : undefined;
      if (!cloud) continue;
      const boot = bootOf(r);
      const c = boot.contract;
      const node = r.zipnet.node ?? str(c?.node);
      const recNode = node ? this.recordNode(node) : undefined;
      const role = r.zipnet.role ?? str(c?.role) ?? str(recNode?.role);
      const instance = r.zipnet.instance ? instanceFromLabel(r.zipnet.instance) : str(bootEnv(boot)?.ZIPNET_INSTANCE);
      const placement = vmPlacement(r, cloud);
      this.vms.push({ r, cloud, boot, ...placement, ...(role ? { role } : {}), ...(node ? { node } : {}), ...(instance ? { instance } : {}) });
    }
  }

  /** The single instance record of the stack (the first when several). */
  get record(): Record<string, any> | undefined {
    return this.records[0]?.rec;
  }

  stackName(): string {
    const urn = this.resources[0]?.urn ?? "";
    return urn.split("::")[0]?.split(":")[2] ?? "stack";
  }

  /** The stack's posture: its records', else (record not visible) its labelled resources' when they all agree. */
  defaultPosture(): Posture {
    return (this.stackPosture ??= this.computeDefaultPosture());
  }

  private stackPosture?: Posture;

  private computeDefaultPosture(): Posture {
    if (this.records.length > 0) return this.records.every((r) => r.posture === "devtest") ? "devtest" : "production";
    const labelled = this.resources.filter((r) => r.postureKnown);
    return labelled.length > 0 && labelled.every((r) => r.posture === "devtest") ? "devtest" : "production";
  }

  /** A resource's posture: its labels, else its instance's record, else the stack's. */
  postureOf(r: ResourceView): Posture {
    if (r.postureKnown) return r.posture;
    if (r.zipnet.instance) {
      const rec = this.records.find((x) => x.name !== undefined && x.name === instanceFromLabel(r.zipnet.instance!));
      if (rec) return rec.posture;
    }
    return this.defaultPosture();
  }

  recordNode(id: string): Record<string, any> | undefined {
    for (const { rec } of this.records) {
      const n = (arr(rec.nodes) ?? []).find((x) => isObject(x) && x.id === id);
      if (n) return n as Record<string, any>;
    }
    return undefined;
  }

  private readonly typeCache = new Map<string, ResourceView[]>();

  ofType(...types: string[]): ResourceView[] {
    const key = types.join("\u0000");
    let list = this.typeCache.get(key);
    if (!list) {
      list = this.resources.filter((r) => types.includes(r.type));
      this.typeCache.set(key, list);
    }
    return list.slice();
  }

  committeeVms(): Vm[] {
    return this.vms.filter((v) => v.role === "committee");
  }

  nodeVms(): Vm[] {
    return this.vms.filter((v) => v.role === "committee" || v.role === "aggregator");
  }

  /** Whether `ref` (id, self link, ARM id, ARN, name) points at `r`. */
  refersTo(ref: string, r: ResourceView): boolean {
    if (!ref) return false;
    const p = r.props;
    for (const key of ["id", "selfLink", "selfLinkUnique", "arn", "name", "keyId"]) {
      const v = p[key];
      if (typeof v === "string" && v !== "" && v === ref) return true;
    }
    if (ref === r.name || ref === `${r.name}-id`) return true;
    const last = lastSegment(ref);
    if (last === r.name || last === `${r.name}-id` || (typeof p.name === "string" && last === p.name)) return true;
    for (const key of AZURE_NAME_PROPS) if (typeof p[key] === "string" && p[key] === last) return true;
    return false;
  }

  /** The resource of one of `types` that `ref` points at; prefers one sharing `near`'s provider. */
  resolve(ref: unknown, types: readonly string[], near?: ResourceView): ResourceView | undefined {
    if (typeof ref !== "string" || ref === "") return undefined;
    // The candidates `refersTo` would accept, from the index (in stack order).
    this.buildIndex();
    const exact = this.exactIndex!.get(ref);
    const byLast = this.lastIndex!.get(lastSegment(ref));
    let found: ResourceView[];
    if (!exact && !byLast) return undefined;
    if (exact && byLast && exact !== byLast) {
      const seen = new Set<ResourceView>();
      found = [];
      for (const r of [...exact, ...byLast]) if (!seen.has(r)) { seen.add(r); found.push(r); }
      found.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    } else found = (exact ?? byLast)!;
    found = found.filter((r) => types.includes(r.type));
    if (found.length <= 1 || !near) return found[0];
    return found.find((r) => r.provider?.urn && r.provider.urn === near.provider?.urn) ?? found[0];
  }

  private exactIndex?: Map<string, ResourceView[]>;
  private lastIndex?: Map<string, ResourceView[]>;
  private readonly order = new Map<ResourceView, number>();

  /** Every key `refersTo` compares a reference (exact) or its last segment (last) with, to the resources having it. */
  private buildIndex(): void {
    if (this.exactIndex) return;
    const exact = new Map<string, ResourceView[]>();
    const last = new Map<string, ResourceView[]>();
    const add = (map: Map<string, ResourceView[]>, key: unknown, r: ResourceView): void => {
      if (typeof key !== "string" || key === "") return;
      const list = map.get(key);
      if (!list) map.set(key, [r]);
      else if (list[list.length - 1] !== r) list.push(r);
    };
    this.resources.forEach((r, i) => {
      this.order.set(r, i);
      const p = r.props ?? {};
      for (const key of ["id", "selfLink", "selfLinkUnique", "arn", "name", "keyId"]) add(exact, p[key], r);
      add(exact, r.name, r);
      add(exact, `${r.name}-id`, r);
      add(last, r.name, r);
      add(last, `${r.name}-id`, r);
      add(last, p.name, r);
      for (const key of AZURE_NAME_PROPS) add(last, p[key], r);
    });
    this.exactIndex = exact;
    this.lastIndex = last;
  }

  /**
   * The ports a node may admit: the instance record's (network.irohPort, network.metricsPort), the
   * one source; the boot contract's only where the stack shows no record. A boot contract that
   * disagrees with the record is reported by `bootPorts` below, never added to what is allowed.
   */
  ports(vm?: Vm): { iroh: number[]; metrics: number[] } {
    const rec = this.recordFor(vm);
    const boot = this.bootPorts(vm);
    const ri = num(at(rec, "network", "irohPort"));
    const rm = num(at(rec, "network", "metricsPort"));
    const one = (r: number | undefined, b: number | undefined) => (r !== undefined ? [r] : b !== undefined ? [b] : []);
    return { iroh: one(ri, boot.iroh), metrics: one(rm, boot.metrics) };
  }

  /** The ports the VM's boot contract binds: iroh.port and ZIPNET_METRICS. */
  bootPorts(vm?: Vm): { iroh?: number; metrics?: number } {
    const iroh = num(at(vm?.boot.contract, "iroh", "port"));
    const metrics = bindPort(bootEnv(vm?.boot ?? { sources: [], unreadable: false })?.ZIPNET_METRICS);
    return { ...(iroh !== undefined ? { iroh } : {}), ...(metrics !== undefined ? { metrics } : {}) };
  }

  /** The record of the VM's instance (or the stack's single record). */
  recordFor(vm?: Vm): Record<string, any> | undefined {
    if (vm?.instance) {
      const rec = this.records.find((x) => x.name === vm.instance);
      if (rec) return rec.rec;
    }
    return this.record;
  }

  /** The instance's Vault KV mount: the record's, else the boot contracts' secret paths. */
  mount(instance?: string): string | undefined {
    const rec = instance ? this.records.find((x) => x.name === instance)?.rec : this.record;
    const m = str(at(rec, "vault", "mount"));
    if (m) return m.replace(/\/+$/, "");
    for (const vm of this.vms) {
      if (instance && vm.instance !== instance) continue;
      for (const s of arr(at(vm.boot.contract, "vault", "secrets")) ?? []) {
        const path = str(at(s, "path"));
        const mm = path?.match(/^(.+?)\/data\//);
        if (mm) return mm[1];
      }
    }
    return undefined;
  }

  /** Nodes of the instance: record nodes and VMs, by node id. */
  nodes(): Array<{ id: string; role?: string; cloud?: string; account?: string; region?: string; operator?: string; vm?: Vm }> {
    const out = new Map<string, { id: string; role?: string; cloud?: string; account?: string; region?: string; operator?: string; vm?: Vm }>();
    for (const { rec } of this.records) {
      for (const n of arr(rec.nodes) ?? []) {
        const id = str(at(n, "id"));
        if (!id) continue;
        out.set(id, {
          id,
          ...(str(at(n, "role")) ? { role: at(n, "role") } : {}),
          ...(str(at(n, "cloud")) ? { cloud: at(n, "cloud") } : {}),
          ...(str(at(n, "account")) ? { account: at(n, "account") } : {}),
          ...(str(at(n, "region")) ? { region: normalizeRegion(at(n, "region")) } : {}),
          ...(str(at(n, "operator")) ? { operator: at(n, "operator") } : {}),
        });
      }
    }
    for (const vm of this.vms) {
      const id = vm.node ?? vm.r.urn;
      const cur = out.get(id) ?? { id };
      out.set(id, {
        ...cur,
        vm,
        role: vm.role ?? cur.role,
        cloud: vm.cloud,
        account: vm.account ?? cur.account,
        region: vm.region ?? cur.region,
      });
    }
    return [...out.values()];
  }

  /** The Vault auth roles, by role name. */
  authRoles(): ResourceView[] {
    return (this.authRoleList ??= this.resources.filter((r) => /^vault:[a-z]+\/authBackendRole:AuthBackendRole$/.test(r.type) || r.type === "vault:jwt/authBackendRole:AuthBackendRole")).slice();
  }

  private authRoleList?: ResourceView[];

  vaultPolicies(): ResourceView[] {
    return this.ofType("vault:index/policy:Policy");
  }
}


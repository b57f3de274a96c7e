/**
 * What the audit knows about each instance it is given, and the checks no single stack can make:
 * across all the states given to `audit`,
 *  - identity.instance-unique: no two instances in one universe share a name;
 *  - scope.per-instance: no two instances share a fault domain (cloud account and region) or a
 *    secret store (a Vault mount, or a non-root Vault namespace, on the same Vault address).
 *
 * Facts come from the instance's posture record (the `zipnet:index:ZipnetInstance` inputs) and,
 * for states from any source, from the resources themselves: VMs carrying the `zipnet-node`
 * label (account and region from their provider), Vault mounts (address and namespace from
 * their provider). Pure: no SDK imports.
 */
import { LABEL_INSTANCE, LABEL_NODE, LABEL_POSTURE, LABEL_ROLE } from "../../policies/contract/labels";
import { INSTANCE_TYPE } from "../../policies/contract/wire";
import { isVmType } from "../../policies/contract/types";
import { postureRecordOf } from "../../policies/contract/record";
import type { StateResource } from "./stateFile";


export type Level = "mandatory" | "advisory";

export interface AuditViolation {
  policy: string;
  checklist: string;
  level: Level;
  urn: string;
  message: string;
}

export interface FaultDomain {
  node: string;
  role: string;
  cloud: string;
  account: string;
  region: string;
}

export interface SecretStore {
  address: string;
  namespace: string;
  mount: string;
}

export interface InstanceFacts {
  /** The input's label (usually the file name). */
  label: string;
  name: string;
  universe: string;
  posture: "production" | "devtest";
  /** The URN violations about the instance point at: the ZipnetInstance, else the stack. */
  urn: string;
  /** The posture record, when the state has one. */
  record?: Record<string, unknown>;
  domains: FaultDomain[];
  stores: SecretStore[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The resource's properties: inputs, else outputs (real exports may lack inputs). */
export function propsOf(r: StateResource): Record<string, unknown> {
  if (isObject(r.inputs)) return r.inputs;
  if (isObject(r.outputs)) return r.outputs;
  return {};
}

/** Provider config values reach the engine as strings (JSON for non-strings): decode them. */
function providerValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const t = value.trim();
  if (t.startsWith("[") || t.startsWith("{")) {
    try {
      return JSON.parse(t);
    } catch {
      return value;
    }
  }
  return value;
}

/** The zipnet labels/tags of a resource (labels, tags, a GCP boot disk's labels), merged. */
export function readZipnetLabels(props: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const boot = isObject(props.bootDisk) && isObject(props.bootDisk.initializeParams) ? props.bootDisk.initializeParams.labels : undefined;
  for (const source of [boot, props.tags, props.labels]) {
    if (!isObject(source)) continue;
    for (const [k, v] of Object.entries(source)) if (k.startsWith("zipnet-") && typeof v === "string") out[k] = v;
  }
  return out;
}

/** The provider resource a `URN::ID` reference points at. */
export function providerOf(ref: string | undefined, byUrn: Map<string, StateResource>): StateResource | undefined {
  if (!ref) return undefined;
  const i = ref.lastIndexOf("::");
  return byUrn.get(i > 0 ? ref.slice(0, i) : ref);
}

/** `urn:pulumi:STACK::PROJECT::...` -> {stack, project}. */
export function stackOfUrn(urn: string): { stack: string; project: string } {
  const m = urn.match(/^urn:pulumi:([^:]*)::([^:]*)::/);
  return m ? { stack: m[1], project: m[2] } : { stack: "", project: "" };
}

export { isVmType };

function vmDomain(r: StateResource, byUrn: Map<string, StateResource>): FaultDomain | undefined {
  const props = propsOf(r);
  const labels = readZipnetLabels(props);
  const node = labels[LABEL_NODE];
  if (!node) return undefined;
  const provider = providerOf(r.provider, byUrn);
  const p = provider ? propsOf(provider) : {};
  const role = labels[LABEL_ROLE] ?? "";
  if (r.type.startsWith("gcp:")) {
    const zone = str(props.zone) ?? str(providerValue(p.zone));
    const region = str(providerValue(p.region)) ?? (zone ? zone.replace(/-[a-z]$/, "") : undefined);
    const account = str(props.project) ?? str(providerValue(p.project));
    return account && region ? { node, role, cloud: "gcp", account, region } : undefined;
  }
  if (r.type.startsWith("azure")) {
    const id = str(r.id) ?? "";
    const account = str(providerValue(p.subscriptionId)) ?? id.match(/^\/subscriptions\/([^/]+)/i)?.[1];
    const region = str(props.location) ?? str(providerValue(p.location));
    return account && region ? { node, role, cloud: "azure", account, region } : undefined;
  }
  if (r.type.startsWith("aws:")) {
    const ids = providerValue(p.allowedAccountIds);
    const arn = str(propsOf(r).arn) ?? "";
    const account = (Array.isArray(ids) ? str(ids[0]) : undefined) ?? arn.split(":")[4];
    const az = str(props.availabilityZone);
    const region = str(providerValue(p.region)) ?? (az ? az.replace(/[a-z]$/, "") : undefined);
    return account && region ? { node, role, cloud: "aws", account, region } : undefined;
  }
  return undefined;
}

function norm(s: string): string {
  return s.trim().toLowerCase();
}

function normPath(s: string): string {
  return s.trim().replace(/^\/+|\/+$/g, "");
}

function normAddress(s: string): string {
  return s.trim().toLowerCase().replace(/\/+$/, "");
}

/** Collects what the cross-instance checks need from one state. */
export function instanceFacts(label: string, resources: StateResource[]): InstanceFacts {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const instance = resources.find((r) => r.type === INSTANCE_TYPE);
  const record = instance ? (postureRecordOf(instance.inputs) ?? postureRecordOf(instance.outputs)) : undefined;
  const stackResource = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const firstUrn = resources[0]?.urn ?? "";

  let labelledName: string | undefined;
  let labelledPosture: string | undefined;
  for (const r of resources) {
    const labels = readZipnetLabels(propsOf(r));
    labelledName ??= labels[LABEL_INSTANCE];
    labelledPosture ??= labels[LABEL_POSTURE];
  }
  const name = str(record?.name) ?? labelledName ?? (stackOfUrn(firstUrn).stack || label);
  const postureValue = str(record?.posture) ?? labelledPosture;
  const posture = postureValue === "devtest" ? "devtest" : "production";

  const domains: FaultDomain[] = [];
  const seen = new Set<string>();
  const addDomain = (d: FaultDomain) => {
    const key = `${d.node}|${norm(d.cloud)}|${norm(d.account)}|${norm(d.region)}`;
    if (!seen.has(key)) {
      seen.add(key);
      domains.push(d);
    }
  };
  if (record && Array.isArray(record.nodes)) {
    for (const n of record.nodes) {
      if (!isObject(n)) continue;
      const [node, cloud, account, region] = [str(n.id), str(n.cloud), str(n.account), str(n.region)];
      if (node && cloud && account && region) addDomain({ node, role: str(n.role) ?? "", cloud, account, region });
    }
  }
  for (const r of resources) {
    if (!isVmType(r.type)) continue;
    const d = vmDomain(r, byUrn);
    if (d) addDomain(d);
  }

  const stores: SecretStore[] = [];
  const seenStores = new Set<string>();
  const addStore = (s: SecretStore) => {
    const key = `${normAddress(s.address)}|${normPath(s.namespace)}|${normPath(s.mount)}`;
    if (!seenStores.has(key)) {
      seenStores.add(key);
      stores.push(s);
    }
  };
  const vault = isObject(record?.vault) ? record.vault : undefined;
  if (vault && str(vault.address) && str(vault.mount)) {
    addStore({ address: str(vault.address)!, namespace: str(vault.namespace) ?? "", mount: str(vault.mount)! });
  }
  for (const r of resources) {
    if (r.type !== "vault:index/mount:Mount") continue;
    const props = propsOf(r);
    const provider = providerOf(r.provider, byUrn);
    const p = provider ? propsOf(provider) : {};
    const address = str(providerValue(p.address));
    const mount = str(props.path);
    if (address && mount) addStore({ address, namespace: str(props.namespace) ?? str(providerValue(p.namespace)) ?? "", mount });
  }

  return {
    label,
    name,
    universe: str(record?.universe) ?? "",
    posture,
    urn: instance?.urn ?? stackResource?.urn ?? firstUrn,
    ...(record ? { record } : {}),
    domains,
    stores,
  };
}

function levelFor(...instances: InstanceFacts[]): Level {
  return instances.some((i) => i.posture === "production") ? "mandatory" : "advisory";
}

function who(i: InstanceFacts): string {
  return `${i.name} (${i.label})`;
}

/**
 * Violations across instances. Levels follow the posture contract: mandatory when a production
 * instance is involved, advisory between devtest instances.
 */
export function crossInstanceViolations(instances: InstanceFacts[]): AuditViolation[] {
  const out: AuditViolation[] = [];
  for (let i = 0; i < instances.length; i++) {
    for (let j = i + 1; j < instances.length; j++) {
      const a = instances[i];
      const b = instances[j];
      const level = levelFor(a, b);
      const universe = a.universe || "(the shared default universe)";
      if (a.name === b.name && a.universe === b.universe) {
        out.push({
          policy: "identity.instance-unique:cross-instance",
          checklist: "identity.instance-unique",
          level,
          urn: b.urn,
          message: `${who(b)}: name: expected an instance name unused by the other instances in universe ${universe}, found ${JSON.stringify(b.name)}, also used by ${who(a)}`,
        });
      }
      for (const da of a.domains) {
        for (const db of b.domains) {
          if (norm(da.cloud) !== norm(db.cloud) || norm(da.account) !== norm(db.account) || norm(da.region) !== norm(db.region)) continue;
          out.push({
            policy: "scope.per-instance:fault-domain",
            checklist: "scope.per-instance",
            level,
            urn: b.urn,
            message: `${who(b)} node ${db.node}: nodes[${db.node}].account/region: expected a fault domain no other instance uses, found ${db.cloud} account ${db.account} region ${db.region}, also used by ${who(a)} node ${da.node}`,
          });
        }
      }
      for (const sa of a.stores) {
        for (const sb of b.stores) {
          if (normAddress(sa.address) !== normAddress(sb.address)) continue;
          const sameNamespace = normPath(sa.namespace) === normPath(sb.namespace);
          if (sameNamespace && normPath(sa.mount) === normPath(sb.mount)) {
            out.push({
              policy: "scope.per-instance:vault-mount",
              checklist: "scope.per-instance",
              level,
              urn: b.urn,
              message: `${who(b)}: vault.mount: expected a Vault mount of its own, found mount ${JSON.stringify(sb.mount)}${sb.namespace ? ` in namespace ${JSON.stringify(sb.namespace)}` : ""} on ${sb.address}, also used by ${who(a)}`,
            });
          } else if (sameNamespace && normPath(sa.namespace) !== "") {
            out.push({
              policy: "scope.per-instance:vault-namespace",
              checklist: "scope.per-instance",
              level,
              urn: b.urn,
              message: `${who(b)}: vault.namespace: expected a Vault namespace of its own (or the root namespace), found namespace ${JSON.stringify(sb.namespace)} on ${sb.address}, also used by ${who(a)}`,
            });
          }
        }
      }
    }
  }
  return out;
}

/**
 * Across instances: what no single stack shows. The pack reads the facts of the instance it
 * analyzes from its stack (`instanceFacts`); the facts of the other instances come from outside
 * the stack, as policy config (`otherInstances`): the offline audit reads them from the other
 * states it is given, an operator can pass them to `pulumi preview --policy-pack-config`.
 * Facts: the instance's name, universe and posture, its nodes' fault domains (cloud, account,
 * region) and its Vault secret stores (address, namespace, mount). Pure: no SDK imports.
 */
import { LABEL_INSTANCE, LABEL_NODE, LABEL_POSTURE, LABEL_ROLE } from "../../contract/labels";
import { postureRecordOf } from "../../contract/record";
import { isVmType } from "../../contract/types";
import { INSTANCE_TYPE, providerConfigValue } from "../../contract/wire";

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

/** One instance as the cross-instance checks see it. */
export interface InstanceFacts {
  /** Where it came from (a state file's name, or the stack's). */
  label: string;
  name: string;
  universe: string;
  posture: "production" | "devtest";
  /** The URN a finding about it points at: its ZipnetInstance, else its stack. */
  urn: string;
  domains: FaultDomain[];
  stores: SecretStore[];
  /** One operator's stack of a federated instance: the manifest (newest epoch's hash) and the operator. */
  federation?: { manifest: string; operator: string };
}

/** A resource as the facts are read from it, whether it comes from a state file or the engine. */
export interface FactResource {
  urn: string;
  type: string;
  id?: string;
  /** Its properties (inputs, else outputs). */
  props: Record<string, unknown>;
  /** Its zipnet-* labels/tags. */
  labels: Record<string, string>;
  /** Its provider's properties (config values may be JSON text). */
  provider?: Record<string, unknown>;
}

export type CrossAspect = "cross-instance" | "fault-domain" | "vault-mount" | "vault-namespace";

export interface CrossFinding {
  aspect: CrossAspect;
  /** production when a production instance is involved, else devtest (advisory). */
  posture: "production" | "devtest";
  subject: string;
  path: string;
  expected: string;
  found: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const norm = (s: string) => s.trim().toLowerCase();
const normPath = (s: string) => s.trim().replace(/^\/+|\/+$/g, "");
const normAddress = (s: string) => s.trim().toLowerCase().replace(/\/+$/, "");
/** An instance as messages name it: its name, and where it came from when that says more. */
const who = (i: InstanceFacts) => (i.label && i.label !== i.name ? `${i.name} (${i.label})` : i.name);

function vmDomain(r: FactResource): FaultDomain | undefined {
  const node = r.labels[LABEL_NODE];
  if (!node) return undefined;
  const p = r.provider ?? {};
  const role = r.labels[LABEL_ROLE] ?? "";
  if (r.type.startsWith("gcp:")) {
    const zone = str(r.props.zone) ?? str(providerConfigValue(p.zone));
    const region = str(providerConfigValue(p.region)) ?? (zone ? zone.replace(/^.*\//, "").replace(/-[a-z]$/, "") : undefined);
    const account = str(r.props.project) ?? str(providerConfigValue(p.project));
    return account && region ? { node, role, cloud: "gcp", account, region } : undefined;
  }
  if (r.type.startsWith("azure")) {
    const account = str(providerConfigValue(p.subscriptionId)) ?? str(r.id)?.match(/^\/subscriptions\/([^/]+)/i)?.[1];
    const region = str(r.props.location) ?? str(providerConfigValue(p.location));
    return account && region ? { node, role, cloud: "azure", account, region } : undefined;
  }
  if (r.type.startsWith("aws:")) {
    const ids = providerConfigValue(p.allowedAccountIds);
    const account = (Array.isArray(ids) ? str(ids[0]) : undefined) ?? str(r.props.arn)?.split(":")[4];
    const az = str(r.props.availabilityZone);
    const region = str(providerConfigValue(p.region)) ?? (az ? az.replace(/[a-z]$/, "") : undefined);
    return account && region ? { node, role, cloud: "aws", account, region } : undefined;
  }
  return undefined;
}

/**
 * The facts of one instance: from its posture record (the ZipnetInstance's properties) and from
 * the resources themselves (VMs labelled with their node, account and region from their provider;
 * Vault mounts, address and namespace from their provider), so a state from any source counts.
 */
export function instanceFacts(label: string, resources: readonly FactResource[], stackName?: string): InstanceFacts {
  const instance = resources.find((r) => r.type === INSTANCE_TYPE);
  const record = instance ? postureRecordOf(instance.props) : undefined;
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  let labelledName: string | undefined;
  let labelledPosture: string | undefined;
  for (const r of resources) {
    labelledName ??= r.labels[LABEL_INSTANCE];
    labelledPosture ??= r.labels[LABEL_POSTURE];
  }
  const name = str(record?.name) ?? labelledName ?? stackName ?? label;
  const posture = (str(record?.posture) ?? labelledPosture) === "devtest" ? "devtest" : "production";

  const domains: FaultDomain[] = [];
  const seenDomains = new Set<string>();
  const addDomain = (d: FaultDomain) => {
    const key = `${d.node}|${norm(d.cloud)}|${norm(d.account)}|${norm(d.region)}`;
    if (seenDomains.has(key)) return;
    seenDomains.add(key);
    domains.push(d);
  };
  for (const n of Array.isArray(record?.nodes) ? record.nodes : []) {
    if (!isObject(n)) continue;
    const [node, cloud, account, region] = [str(n.id), str(n.cloud), str(n.account), str(n.region)];
    if (node && cloud && account && region) addDomain({ node, role: str(n.role) ?? "", cloud, account, region });
  }
  for (const r of resources) {
    const d = isVmType(r.type) ? vmDomain(r) : undefined;
    if (d) addDomain(d);
  }

  const stores: SecretStore[] = [];
  const seenStores = new Set<string>();
  const addStore = (s: SecretStore) => {
    const key = `${normAddress(s.address)}|${normPath(s.namespace)}|${normPath(s.mount)}`;
    if (seenStores.has(key)) return;
    seenStores.add(key);
    stores.push(s);
  };
  const vault = isObject(record?.vault) ? record.vault : undefined;
  const [vaultAddress, vaultMount] = [str(vault?.address), str(vault?.mount)];
  if (vaultAddress && vaultMount) addStore({ address: vaultAddress, namespace: str(vault?.namespace) ?? "", mount: vaultMount });
  for (const r of resources) {
    if (r.type !== "vault:index/mount:Mount") continue;
    const p = r.provider ?? {};
    const address = str(providerConfigValue(p.address));
    const mount = str(r.props.path);
    if (address && mount) addStore({ address, namespace: str(r.props.namespace) ?? str(providerConfigValue(p.namespace)) ?? "", mount });
  }

  const federation = federationFacts(record?.federation);
  return { label, name, universe: str(record?.universe) ?? "", posture, urn: instance?.urn ?? stack?.urn ?? resources[0]?.urn ?? "", domains, stores, ...(federation ? { federation } : {}) };
}

/** A federation record's manifest hash and operator, when both are there. */
function federationFacts(v: unknown): { manifest: string; operator: string } | undefined {
  if (!isObject(v)) return undefined;
  const manifest = str(v.manifest);
  const operator = str(v.operator);
  return manifest && operator ? { manifest, operator } : undefined;
}

/** Findings about `self` against each of `others`, each reported once (against the instance analyzed). */
export function crossInstanceFindings(others: readonly InstanceFacts[], self: InstanceFacts): CrossFinding[] {
  const b = self;
  const out: CrossFinding[] = [];
  for (const a of others) {
    const posture = a.posture === "production" || b.posture === "production" ? "production" : "devtest";
    const add = (aspect: CrossAspect, subject: string, path: string, expected: string, found: string) => out.push({ aspect, posture, subject, path, expected, found });
    // Two operators' stacks of one federated instance share its name, under one manifest.
    const federated = a.name === b.name && a.federation && b.federation;
    if (federated) {
      if (a.federation!.manifest !== b.federation!.manifest) {
        add("cross-instance", who(b), "federation.manifest", `the manifest epoch ${who(a)} is deployed with (${a.federation!.manifest.slice(0, 12)}...)`, `${b.federation!.manifest.slice(0, 12)}... (operators on different manifest epochs)`);
      } else if (a.federation!.operator === b.federation!.operator) {
        add("cross-instance", who(b), "federation.operator", `one stack per operator of ${b.name}`, `a second stack of operator ${b.federation!.operator}, also ${who(a)}`);
      }
    } else if (a.name === b.name && a.universe === b.universe) {
      add("cross-instance", who(b), "name", `an instance name unused by the other instances in universe ${a.universe || "(the shared default universe)"}`, `${JSON.stringify(b.name)}, also used by ${who(a)}`);
    }
    for (const da of a.domains) {
      for (const db of b.domains) {
        if (norm(da.cloud) !== norm(db.cloud) || norm(da.account) !== norm(db.account) || norm(da.region) !== norm(db.region)) continue;
        add("fault-domain", `${who(b)} node ${db.node}`, `nodes[${db.node}].account/region`, "a fault domain no other instance uses", `${db.cloud} account ${db.account} region ${db.region}, also used by ${who(a)} node ${da.node}`);
      }
    }
    for (const sa of a.stores) {
      for (const sb of b.stores) {
        if (normAddress(sa.address) !== normAddress(sb.address)) continue;
        const sameNamespace = normPath(sa.namespace) === normPath(sb.namespace);
        if (sameNamespace && normPath(sa.mount) === normPath(sb.mount)) {
          add("vault-mount", who(b), "vault.mount", "a Vault mount of its own", `mount ${JSON.stringify(sb.mount)}${sb.namespace ? ` in namespace ${JSON.stringify(sb.namespace)}` : ""} on ${sb.address}, also used by ${who(a)}`);
        } else if (sameNamespace && normPath(sa.namespace) !== "") {
          add("vault-namespace", who(b), "vault.namespace", "a Vault namespace of its own (or the root namespace)", `namespace ${JSON.stringify(sb.namespace)} on ${sb.address}, also used by ${who(a)}`);
        }
      }
    }
  }
  return out;
}

/** The policy config key holding the other instances' facts (cross-instance policies). */
export const OTHER_INSTANCES_KEY = "otherInstances";
/** The policy config key listing the URNs the state marks `retainOnDelete` (the engine does not send it to packs). */
export const RETAINED_KEY = "retainedOnDelete";

/** The other instances' facts from policy config; undefined when not given (cannot judge). Throws on a malformed entry. */
export function otherInstancesOf(config: Record<string, unknown>): InstanceFacts[] | undefined {
  const given = config[OTHER_INSTANCES_KEY];
  if (given === undefined) return undefined;
  if (!Array.isArray(given)) throw new Error(`policy config ${OTHER_INSTANCES_KEY}: expected a list of instance facts, found ${typeof given}`);
  return given.map((f, i) => {
    if (!isObject(f) || typeof f.name !== "string" || !Array.isArray(f.domains) || !Array.isArray(f.stores)) {
      throw new Error(`policy config ${OTHER_INSTANCES_KEY}[${i}]: expected {name, universe, posture, domains, stores}, found ${JSON.stringify(f)?.slice(0, 80)}`);
    }
    const federation = federationFacts(f.federation);
    return {
      label: str(f.label) ?? f.name,
      name: f.name,
      universe: str(f.universe) ?? "",
      posture: f.posture === "devtest" ? "devtest" : "production",
      urn: str(f.urn) ?? "",
      domains: f.domains.filter(isObject).map((d) => ({ node: String(d.node ?? ""), role: String(d.role ?? ""), cloud: String(d.cloud ?? ""), account: String(d.account ?? ""), region: String(d.region ?? "") })),
      stores: f.stores.filter(isObject).map((s) => ({ address: String(s.address ?? ""), namespace: String(s.namespace ?? ""), mount: String(s.mount ?? "") })),
      ...(federation ? { federation } : {}),
    };
  });
}

/**
 * Which firewall rules apply to a VM, per cloud, cloud defaults included, and what they admit.
 *
 *  - GCP: every enabled firewall rule of the VM's network whose targets match the VM (no
 *    targets = every VM of the network); lower priority number wins, deny wins ties; implied
 *    deny-all ingress and allow-all egress at 65535. A VM on the `default` network also gets
 *    the default network's permissive rules, which are not in the stack.
 *  - Azure: the NSGs of each NIC and of its subnet (traffic passes both); inline
 *    `securityRules` plus standalone SecurityRule resources plus the default rules
 *    (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500;
 *    AllowVnetOutBound, AllowInternetOutBound, DenyAllOutBound). No NSG at all = all allowed.
 *  - AWS: the union of the VM's security groups (inline and standalone rules; allow only);
 *    no group = the VPC's default group (all traffic from its members).
 * A VM whose rules cannot be known yet is `undefined`: not judged.
 */
import { cidrContains, isPublicSource, parseCidr } from "../../contract/cidr";
import type { StackModel, Vm } from "./model";
import type { ResourceView } from "./resources";
import { arr, at, bool, isObject, isUnknown, lastSegment, num, str, strings } from "./values";

export type Direction = "in" | "out";
export interface PortRange {
  from: number;
  to: number;
}
export type Ports = PortRange[] | "all";

export interface NetRule {
  /** The resource holding the rule (firewall, NSG, security group, rule resource). */
  res: ResourceView;
  /** Property path of the rule inside `res` ("" for the resource itself). */
  path: string;
  /** Set for cloud defaults (not in the stack): the default rule's name. */
  builtin?: string;
  direction: Direction;
  action: "allow" | "deny";
  priority: number;
  /** `tcp`, `udp`, `icmp`, `all`, or another protocol name. */
  proto: string;
  ports: Ports;
  /** Sources (ingress) or destinations (egress): CIDRs, `*`, service tags, `tag:x`, `sg:x`. */
  peers: string[];
}

export interface Layer {
  kind: "gcp" | "azure" | "aws";
  /** The NSG/security group/network the layer stands for (for messages). */
  owner?: ResourceView;
  rules: NetRule[];
  /** A note describing a missing layer (Azure NIC without NSG, AWS default group). */
  note?: string;
}

/** Traffic on a path passes every layer of it; a VM has one path per NIC (GCP/AWS: one). */
export type Path = Layer[];

// ---------------------------------------------------------------------------------------------
// Small helpers.

const ANY_PEERS = new Set(["*", "any", "0.0.0.0/0", "::/0"]);

export function normalizeProto(p: unknown): string | undefined {
  if (typeof p === "number") p = String(p);
  if (typeof p !== "string") return undefined;
  const s = p.trim().toLowerCase();
  if (s === "all" || s === "*" || s === "-1") return "all";
  if (s === "6") return "tcp";
  if (s === "17") return "udp";
  if (s === "1") return "icmp";
  return s;
}

/** Parses `80`, `1000-2000`, `*`; undefined when unreadable. */
export function parsePortSpec(spec: unknown): PortRange[] | "all" | undefined {
  if (typeof spec === "number") return [{ from: spec, to: spec }];
  if (typeof spec !== "string") return undefined;
  const s = spec.trim();
  if (s === "*" || s === "") return "all";
  const m = s.match(/^(\d+)(?:\s*-\s*(\d+))?$/);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] !== undefined ? Number(m[2]) : from;
  if (from === 0 && to === 65535) return "all";
  return [{ from, to }];
}

function portsOf(specs: unknown[]): Ports | undefined {
  const out: PortRange[] = [];
  for (const spec of specs) {
    const p = parsePortSpec(spec);
    if (p === undefined) return undefined;
    if (p === "all") return "all";
    out.push(...p);
  }
  return out;
}

function merged(ranges: PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

function asRanges(p: Ports): PortRange[] {
  return p === "all" ? [{ from: 0, to: 65535 }] : p;
}

export function portsInclude(p: Ports, port: number): boolean {
  return asRanges(p).some((r) => r.from <= port && port <= r.to);
}

/** `a` minus the single ports `holes`. */
function subtract(a: Ports, holes: number[]): PortRange[] {
  let out = merged(asRanges(a));
  for (const h of holes) {
    out = out.flatMap((r) => (h < r.from || h > r.to ? [r] : [
      ...(r.from <= h - 1 ? [{ from: r.from, to: h - 1 }] : []),
      ...(h + 1 <= r.to ? [{ from: h + 1, to: r.to }] : []),
    ]));
  }
  return out;
}

function portsCover(outer: Ports, inner: PortRange[]): boolean {
  if (outer === "all") return true;
  const m = merged(outer);
  return inner.every((r) => m.some((o) => o.from <= r.from && r.to <= o.to));
}

function protoCovers(outer: string, inner: string): boolean {
  return outer === "all" || outer === inner;
}

/** Whether peer `outer` contains every address `inner` stands for. */
export function peerCovers(outer: string, inner: string): boolean {
  const o = outer.trim().toLowerCase();
  const i = inner.trim().toLowerCase();
  if (o === "*" || o === "any" || o === i) return true;
  if (i === "*" || i === "any") return false;
  const oc = parseCidr(o);
  const ic = parseCidr(i === "internet" ? "0.0.0.0/0" : i);
  return !!(oc && ic && cidrContains(oc, ic));
}

function peersCover(outer: string[], inner: string[]): boolean {
  return inner.every((i) => {
    const x = i.trim().toLowerCase();
    if (x === "*" || x === "any") {
      const o = outer.map((p) => p.trim().toLowerCase());
      return o.includes("*") || o.includes("any") || (o.includes("0.0.0.0/0") && o.includes("::/0"));
    }
    return outer.some((o) => peerCovers(o, i));
  });
}

/** Whether a peer list reaches the whole IPv4 internet (egress to relays anywhere). */
function reachesInternet(peers: string[]): boolean {
  return peers.some((p) => ["*", "any", "internet", "0.0.0.0/0"].includes(p.trim().toLowerCase()));
}

/** Whether a peer is public: the internet, a public range, or "any". */
export function isPublicPeer(peer: string): boolean {
  return ANY_PEERS.has(peer.trim().toLowerCase()) || isPublicSource(peer);
}

export function describeRule(rule: NetRule): string {
  const ports = rule.ports === "all" ? "all ports" : rule.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`)).join(",");
  const proto = rule.proto === "all" ? "all protocols" : rule.proto.toUpperCase();
  const dir = rule.direction === "in" ? "from" : "to";
  return `${rule.action} ${proto} ${ports} ${dir} ${rule.peers.join(", ") || "nothing"} at priority ${rule.priority}`;
}

export function ruleLocation(rule: NetRule): { subject: ResourceView; path: string } {
  return { subject: rule.res, path: rule.builtin ? `default rule ${rule.builtin}` : rule.path || "rule" };
}

// ---------------------------------------------------------------------------------------------
// GCP.

function gcpNetworkKey(m: StackModel, ref: unknown, near: ResourceView): string | undefined {
  if (typeof ref !== "string" || ref === "") return undefined;
  const net = m.resolve(ref, ["gcp:compute/network:Network"], near);
  if (net) return net.urn;
  const mm = ref.match(/projects\/([^/]+)\/(?:global\/)?networks\/([^/]+)$/);
  const project = mm?.[1] ?? str(near.provider?.props.project) ?? "?";
  return `${project}/${mm?.[2] ?? lastSegment(ref)}`;
}

function gcpRules(fw: ResourceView): NetRule[] | undefined {
  const p = fw.props;
  if (bool(p.disabled) === true) return [];
  const dirRaw = p.direction;
  // Unknown or not a string (a list, an object): the rule's direction cannot be judged.
  if (isUnknown(dirRaw) || (dirRaw !== undefined && typeof dirRaw !== "string")) return undefined;
  const direction: Direction = (dirRaw ?? "INGRESS").toUpperCase() === "EGRESS" ? "out" : "in";
  const priority = p.priority === undefined ? 1000 : num(p.priority);
  if (priority === undefined) return undefined;
  let peers: string[];
  if (direction === "in") {
    const ranges = p.sourceRanges;
    const tags = p.sourceTags;
    const sas = p.sourceServiceAccounts;
    if ([ranges, tags, sas].some((v) => isUnknown(v) || (Array.isArray(v) && v.some(isUnknown)))) return undefined;
    peers = [...strings(ranges), ...strings(tags).map((t) => `tag:${t}`), ...strings(sas).map((s) => `sa:${s}`)];
    if (peers.length === 0) peers = ["0.0.0.0/0"]; // GCP: no source given = 0.0.0.0/0
  } else {
    const ranges = p.destinationRanges;
    if (isUnknown(ranges) || (Array.isArray(ranges) && ranges.some(isUnknown))) return undefined;
    peers = strings(ranges);
    if (peers.length === 0) peers = ["0.0.0.0/0"];
  }
  const out: NetRule[] = [];
  for (const action of ["allow", "deny"] as const) {
    const key = action === "allow" ? "allows" : "denies";
    const list = p[key];
    if (list === undefined || list === null) continue;
    if (isUnknown(list)) return undefined;
    const entries = arr(list) ?? [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const proto = normalizeProto(at(e, "protocol"));
      const portList = at(e, "ports");
      if (!proto || isUnknown(portList)) return undefined;
      const ports = portList === undefined || (Array.isArray(portList) && portList.length === 0) ? "all" : portsOf(arr(portList) ?? []);
      if (ports === undefined) return undefined;
      out.push({ res: fw, path: `${key}[${i}]`, direction, action, priority, proto, ports, peers });
    }
  }
  return out;
}

function gcpTargets(fw: ResourceView, vm: Vm): boolean | undefined {
  const tt = fw.props.targetTags;
  const ts = fw.props.targetServiceAccounts;
  if (isUnknown(tt) || isUnknown(ts)) return undefined;
  const tags = strings(tt);
  const sas = strings(ts);
  if (tags.length === 0 && sas.length === 0) return true;
  const vmTags = vm.r.props.tags;
  const vmSa = at(vm.r.props, "serviceAccount", "email");
  if (tags.length && (isUnknown(vmTags) || hasUnknownEl(vmTags))) return undefined;
  if (tags.some((t) => strings(vmTags).includes(t))) return true;
  if (sas.length) {
    if (isUnknown(vmSa)) return undefined;
    if (typeof vmSa === "string" && sas.includes(vmSa)) return true;
  }
  return false;
}

function hasUnknownEl(v: unknown): boolean {
  return Array.isArray(v) && v.some(isUnknown);
}

/** The stack's GCP firewalls by network key (unknown networks left out), computed once per model. */
const firewallsByModel = new WeakMap<StackModel, Map<string, Array<{ fw: ResourceView; index: number }>>>();

function gcpFirewallsByNetwork(m: StackModel): Map<string, Array<{ fw: ResourceView; index: number }>> {
  let map = firewallsByModel.get(m);
  if (map) return map;
  map = new Map();
  m.ofType("gcp:compute/firewall:Firewall").forEach((fw, index) => {
    const netRef = fw.props.network;
    if (isUnknown(netRef)) return;
    const key = gcpNetworkKey(m, netRef ?? "default", fw);
    if (!key) return;
    const list = map!.get(key);
    if (list) list.push({ fw, index });
    else map!.set(key, [{ fw, index }]);
  });
  firewallsByModel.set(m, map);
  return map;
}

const gcpRuleCache = new WeakMap<ResourceView, { rules: NetRule[] | undefined }>();

/** `gcpRules`, once per firewall view. */
function gcpRulesOf(fw: ResourceView): NetRule[] | undefined {
  let c = gcpRuleCache.get(fw);
  if (!c) {
    c = { rules: gcpRules(fw) };
    gcpRuleCache.set(fw, c);
  }
  return c.rules;
}

function gcpPaths(m: StackModel, vm: Vm): Path[] | undefined {
  const nics = vm.r.props.networkInterfaces;
  if (isUnknown(nics)) return undefined;
  const keys = new Set<string>();
  let onDefault = false;
  for (const nic of arr(nics) ?? []) {
    let ref = at(nic, "network");
    if (ref === undefined) {
      const sub = m.resolve(at(nic, "subnetwork"), ["gcp:compute/subnetwork:Subnetwork"], vm.r);
      ref = sub?.props.network;
      if (ref === undefined && at(nic, "subnetwork") === undefined) ref = "default"; // no network given = default
    }
    if (isUnknown(ref) || ref === undefined) return undefined;
    const key = gcpNetworkKey(m, ref, vm.r);
    if (!key) return undefined;
    keys.add(key);
    if (typeof ref === "string" && lastSegment(ref) === "default") onDefault = true;
  }
  if (keys.size === 0) return undefined;
  const rules: NetRule[] = [];
  const byNetwork = gcpFirewallsByNetwork(m);
  let fws: Array<{ fw: ResourceView; index: number }> = [];
  for (const key of keys) fws.push(...(byNetwork.get(key) ?? []));
  if (keys.size > 1) fws = fws.sort((a, b) => a.index - b.index); // stack order, as one pass over the firewalls
  for (const { fw } of fws) {
    if (gcpTargets(fw, vm) !== true) continue;
    const rs = gcpRulesOf(fw);
    if (rs) rules.push(...rs);
  }
  if (onDefault) {
    // The default network's pre-populated rules (not in the stack).
    const base = { res: vm.r, path: "networkInterfaces", direction: "in" as const, action: "allow" as const, priority: 65534 };
    rules.push(
      { ...base, builtin: "default-allow-ssh", proto: "tcp", ports: [{ from: 22, to: 22 }], peers: ["0.0.0.0/0"] },
      { ...base, builtin: "default-allow-rdp", proto: "tcp", ports: [{ from: 3389, to: 3389 }], peers: ["0.0.0.0/0"] },
      { ...base, builtin: "default-allow-icmp", proto: "icmp", ports: "all", peers: ["0.0.0.0/0"] },
      { ...base, builtin: "default-allow-internal", proto: "all", ports: "all", peers: ["10.128.0.0/9"] },
    );
  }
  const implied = { res: vm.r, path: "", priority: 65535, proto: "all", ports: "all" as const };
  rules.push(
    { ...implied, builtin: "implied deny-all ingress", direction: "in", action: "deny", peers: ["0.0.0.0/0", "::/0"] },
    { ...implied, builtin: "implied allow-all egress", direction: "out", action: "allow", peers: ["0.0.0.0/0", "::/0"] },
  );
  return [[{ kind: "gcp", rules }]];
}

// ---------------------------------------------------------------------------------------------
// Azure.

const AZ_NSG = "azure-native:network:NetworkSecurityGroup";
const AZ_RULE = "azure-native:network:SecurityRule";
const AZ_NIC = "azure-native:network:NetworkInterface";
const AZ_VNET = "azure-native:network:VirtualNetwork";
const AZ_SUBNET = "azure-native:network:Subnet";

function azureDefaults(nsg: ResourceView): NetRule[] {
  const d = (name: string, direction: Direction, priority: number, action: "allow" | "deny", peers: string[]): NetRule => ({
    res: nsg, path: "", builtin: name, direction, action, priority, proto: "all", ports: "all", peers,
  });
  return [
    d("AllowVnetInBound", "in", 65000, "allow", ["VirtualNetwork"]),
    d("AllowAzureLoadBalancerInBound", "in", 65001, "allow", ["AzureLoadBalancer"]),
    d("DenyAllInBound", "in", 65500, "deny", ["*"]),
    d("AllowVnetOutBound", "out", 65000, "allow", ["VirtualNetwork"]),
    d("AllowInternetOutBound", "out", 65001, "allow", ["Internet"]),
    d("DenyAllOutBound", "out", 65500, "deny", ["*"]),
  ];
}

function azureRule(res: ResourceView, path: string, r: Record<string, any>): NetRule | undefined {
  const props = isObject(r.properties) ? { ...r, ...r.properties } : r;
  const dir = props.direction;
  const access = props.access;
  const priority = num(props.priority);
  const proto = normalizeProto(props.protocol ?? "*");
  if ([dir, access].some(isUnknown) || typeof dir !== "string" || (access !== undefined && typeof access !== "string") || priority === undefined || !proto) return undefined;
  const direction: Direction = dir.toLowerCase() === "outbound" ? "out" : "in";
  const peerKey = direction === "in" ? "sourceAddressPrefix" : "destinationAddressPrefix";
  const single = props[peerKey];
  const multi = props[`${peerKey}es`];
  if (isUnknown(single) || isUnknown(multi) || hasUnknownEl(multi)) return undefined;
  let peers = [...(typeof single === "string" ? [single] : []), ...strings(multi)];
  const asgKey = direction === "in" ? "sourceApplicationSecurityGroups" : "destinationApplicationSecurityGroups";
  peers.push(...(arr(props[asgKey]) ?? []).map((g) => `asg:${str(at(g, "id")) ?? "?"}`));
  if (peers.length === 0) peers = ["*"];
  const portOne = props.destinationPortRange;
  const portMany = props.destinationPortRanges;
  if (isUnknown(portOne) || isUnknown(portMany) || hasUnknownEl(portMany)) return undefined;
  const specs = [...(portOne !== undefined ? [portOne] : []), ...(arr(portMany) ?? [])];
  const ports = specs.length === 0 ? "all" : portsOf(specs);
  if (ports === undefined) return undefined;
  return {
    res, path, direction, priority, proto: proto === "*" ? "all" : proto, ports, peers,
    action: typeof access === "string" && access.toLowerCase() === "deny" ? "deny" : "allow",
  };
}

function nsgName(nsg: ResourceView): string[] {
  return [str(nsg.props.networkSecurityGroupName), str(nsg.props.name), nsg.name].filter((x): x is string => !!x);
}

function azureLayer(m: StackModel, nsg: ResourceView): Layer | undefined {
  const rules: NetRule[] = [];
  const inline = nsg.props.securityRules;
  if (isUnknown(inline)) return undefined;
  const list = arr(inline) ?? [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (!isObject(e)) return undefined;
    const rule = azureRule(nsg, `securityRules[${i}] (${str(e.name) ?? "unnamed"})`, e);
    if (!rule) return undefined;
    rules.push(rule);
  }
  const names = nsgName(nsg);
  for (const sr of m.ofType(AZ_RULE)) {
    const target = sr.props.networkSecurityGroupName;
    if (typeof target !== "string" || !names.includes(target)) continue;
    const rg = sr.props.resourceGroupName;
    if (typeof rg === "string" && typeof nsg.props.resourceGroupName === "string" && rg !== nsg.props.resourceGroupName) continue;
    const rule = azureRule(sr, "", sr.props);
    if (rule) rules.push(rule);
  }
  rules.push(...azureDefaults(nsg));
  return { kind: "azure", owner: nsg, rules };
}

function azureSubnetNsgRef(m: StackModel, subnetRef: unknown, near: ResourceView): string | null | undefined {
  // null = known to have no NSG; undefined = cannot tell
  if (typeof subnetRef !== "string") return undefined;
  const sub = m.resolve(subnetRef, [AZ_SUBNET], near);
  if (sub) {
    const ref = at(sub.props, "networkSecurityGroup", "id");
    if (isUnknown(ref)) return undefined;
    return typeof ref === "string" ? ref : null;
  }
  const mm = subnetRef.match(/^(.*)\/subnets\/([^/]+)$/i);
  if (!mm) return undefined;
  const vnet = m.resolve(mm[1], [AZ_VNET], near);
  if (!vnet) return undefined;
  const subnets = vnet.props.subnets;
  if (isUnknown(subnets)) return undefined;
  const s = (arr(subnets) ?? []).find((x) => at(x, "name") === mm[2]);
  if (!s) return undefined;
  const ref = at(s, "networkSecurityGroup", "id");
  if (isUnknown(ref)) return undefined;
  return typeof ref === "string" ? ref : null;
}

function azurePaths(m: StackModel, vm: Vm): Path[] | undefined {
  const np = vm.r.props.networkProfile;
  if (isUnknown(np)) return undefined;
  const nicRefs = at(np, "networkInterfaces");
  const configs = at(np, "networkInterfaceConfigurations");
  if (isUnknown(nicRefs) || isUnknown(configs)) return undefined;
  const paths: Path[] = [];
  const layerFor = (ref: unknown): Layer | undefined | null => {
    if (ref === null || ref === undefined) return null;
    const nsg = m.resolve(ref, [AZ_NSG], vm.r);
    if (!nsg) return undefined;
    return azureLayer(m, nsg);
  };
  for (const n of arr(nicRefs) ?? []) {
    const nic = m.resolve(at(n, "id"), [AZ_NIC], vm.r);
    if (!nic) return undefined;
    const nicNsgRef = at(nic.props, "networkSecurityGroup", "id");
    if (isUnknown(nicNsgRef)) return undefined;
    const layers: Layer[] = [];
    const nicLayer = layerFor(nicNsgRef);
    if (nicLayer === undefined) return undefined;
    const ipcs = arr(nic.props.ipConfigurations) ?? [];
    const subnetLayers: Layer[] = [];
    for (const ipc of ipcs) {
      const subRef = at(ipc, "subnet", "id");
      if (subRef === undefined) continue;
      const nsgRef = azureSubnetNsgRef(m, subRef, nic);
      if (nsgRef === undefined) return undefined;
      const l = layerFor(nsgRef);
      if (l === undefined) return undefined;
      if (l) subnetLayers.push(l);
    }
    if (subnetLayers[0]) layers.push(subnetLayers[0]);
    if (nicLayer) layers.push(nicLayer);
    if (layers.length === 0) layers.push({ kind: "azure", owner: nic, rules: [], note: "no network security group on the NIC or its subnet" });
    paths.push(layers);
  }
  for (const c of arr(configs) ?? []) {
    const ref = at(c, "networkSecurityGroup", "id");
    if (isUnknown(ref)) return undefined;
    const l = layerFor(ref);
    if (l === undefined) return undefined;
    paths.push([l ?? { kind: "azure", owner: vm.r, rules: [], note: "no network security group on the NIC configuration" }]);
  }
  return paths.length ? paths : undefined;
}

// ---------------------------------------------------------------------------------------------
// AWS.

const AWS_SG = "aws:ec2/securityGroup:SecurityGroup";

function awsRange(proto: string, from: unknown, to: unknown): Ports | undefined {
  if (proto === "all") return "all";
  const f = num(from);
  const t = num(to);
  if (f === undefined || t === undefined) return undefined;
  if (proto !== "tcp" && proto !== "udp") return "all";
  if ((f === 0 && t === 0) || (f === 0 && t === 65535) || (f === -1 && t === -1)) return "all";
  return [{ from: f, to: t }];
}

function awsInlineRule(sg: ResourceView, path: string, direction: Direction, e: Record<string, any>): NetRule | undefined {
  const proto = normalizeProto(e.protocol);
  if (!proto) return undefined;
  const ports = awsRange(proto, e.fromPort, e.toPort);
  if (ports === undefined) return undefined;
  for (const k of ["cidrBlocks", "ipv6CidrBlocks", "securityGroups", "prefixListIds"]) if (isUnknown(e[k]) || hasUnknownEl(e[k])) return undefined;
  const peers = [
    ...strings(e.cidrBlocks), ...strings(e.ipv6CidrBlocks),
    ...strings(e.securityGroups).map((g) => `sg:${g}`), ...strings(e.prefixListIds).map((p) => `pl:${p}`),
    ...(bool(e.self) ? ["sg:self"] : []),
  ];
  return { res: sg, path, direction, action: "allow", priority: 0, proto, ports, peers };
}

function awsLayer(m: StackModel, sg: ResourceView): Layer | undefined {
  const rules: NetRule[] = [];
  for (const [key, direction] of [["ingress", "in"], ["egress", "out"]] as const) {
    const list = sg.props[key];
    if (isUnknown(list)) return undefined;
    const entries = arr(list) ?? [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (!isObject(e)) return undefined;
      const rule = awsInlineRule(sg, `${key}[${i}]`, direction, e);
      if (!rule) return undefined;
      rules.push(rule);
    }
  }
  for (const r of m.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/securityGroupRule:SecurityGroupRule")) {
    // Which group a standalone rule joins must be known; one that joins this group and cannot be
    // read makes the group's rules unjudgeable (fail closed), never silently ignored.
    if (isUnknown(r.props.securityGroupId)) return undefined;
    if (m.resolve(r.props.securityGroupId, [AWS_SG], r) !== sg) continue;
    let direction: Direction;
    let e: Record<string, any>;
    if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" || r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
      direction = r.type.includes("Ingress") ? "in" : "out";
      const p = r.props;
      e = {
        protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort,
        cidrBlocks: p.cidrIpv4 !== undefined ? [p.cidrIpv4] : [], ipv6CidrBlocks: p.cidrIpv6 !== undefined ? [p.cidrIpv6] : [],
        securityGroups: p.referencedSecurityGroupId !== undefined ? [p.referencedSecurityGroupId] : [],
        prefixListIds: p.prefixListId !== undefined ? [p.prefixListId] : [],
      };
    } else {
      const t = r.props.type;
      if (typeof t !== "string") return undefined;
      direction = t === "egress" ? "out" : "in";
      const p = r.props;
      e = { ...p, securityGroups: p.sourceSecurityGroupId !== undefined ? [p.sourceSecurityGroupId] : [] };
    }
    const rule = awsInlineRule(r, "", direction, e);
    if (!rule) return undefined;
    rules.push(rule);
  }
  return { kind: "aws", owner: sg, rules };
}

function awsPaths(m: StackModel, vm: Vm): Path[] | undefined {
  const ids = vm.r.props.vpcSecurityGroupIds;
  const names = vm.r.props.securityGroups;
  if (isUnknown(ids) || isUnknown(names) || hasUnknownEl(ids) || hasUnknownEl(names)) return undefined;
  const refs = [...strings(ids), ...strings(names)];
  if (refs.length === 0) {
    if (vm.r.props.networkInterfaces !== undefined && (arr(vm.r.props.networkInterfaces) ?? []).length > 0) return undefined; // groups on ENIs: not judged
    const base = { res: vm.r, path: "vpcSecurityGroupIds", builtin: "the VPC's default security group", priority: 0, proto: "all", ports: "all" as const };
    return [[{
      kind: "aws",
      rules: [
        { ...base, direction: "in", action: "allow", peers: ["sg:default"] },
        { ...base, direction: "out", action: "allow", peers: ["0.0.0.0/0"] },
      ],
    }]];
  }
  const rules: NetRule[] = [];
  for (const ref of refs) {
    const sg = m.resolve(ref, [AWS_SG], vm.r);
    if (!sg) return undefined;
    const layer = awsLayer(m, sg);
    if (!layer) return undefined;
    rules.push(...layer.rules);
  }
  return [[{ kind: "aws", rules }]];
}

/** The paths traffic to/from a VM takes; undefined when they cannot be known. */
const pathCache = new WeakMap<StackModel, WeakMap<Vm, { paths: Path[] | undefined }>>();

export function vmPaths(m: StackModel, vm: Vm): Path[] | undefined {
  let byVm = pathCache.get(m);
  if (!byVm) {
    byVm = new WeakMap();
    pathCache.set(m, byVm);
  }
  let c = byVm.get(vm);
  if (!c) {
    c = { paths: computeVmPaths(m, vm) };
    byVm.set(vm, c);
  }
  return c.paths;
}

/** The VM's paths for a check; when they cannot be known, the check says it cannot judge them yet. */
export function judgedPaths(m: StackModel, vm: Vm, ctx: { unknown(subject: ResourceView, path: string): void }): Path[] | undefined {
  const paths = vmPaths(m, vm);
  if (!paths) ctx.unknown(vm.r, "firewall rules (a value they depend on is unknown)");
  return paths;
}

/** A crash here is not "cannot know": it propagates, and the policy reports it as a violation. */
function computeVmPaths(m: StackModel, vm: Vm): Path[] | undefined {
  if (vm.cloud === "gcp") return gcpPaths(m, vm);
  if (vm.cloud === "azure") return azurePaths(m, vm);
  return awsPaths(m, vm);
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

function ordered(layer: Layer, direction: Direction): NetRule[] {
  return layer.rules
    .filter((r) => r.direction === direction)
    .sort((a, b) => a.priority - b.priority || (a.action === b.action ? 0 : a.action === "deny" ? -1 : 1));
}

/** Whether a deny earlier than `allow` in `layer` blocks `proto`/`ranges` from every peer of `peers`. */
function shadowed(layer: Layer, allow: NetRule, proto: string, ranges: PortRange[] | "all", peers: string[]): boolean {
  if (layer.kind === "aws") return false;
  return ordered(layer, allow.direction).some((d) =>
    d.action === "deny" &&
    d !== allow &&
    (d.priority < allow.priority || (layer.kind === "gcp" && d.priority === allow.priority)) &&
    protoCovers(d.proto, proto) &&
    (ranges === "all" ? d.ports === "all" : portsCover(d.ports, ranges)) &&
    peersCover(d.peers, peers),
  );
}

export interface Finding {
  rule?: NetRule;
  layer: Layer;
  text: string;
}

/**
 * Inbound traffic a layer admits beyond UDP `iroh` and TCP `metrics` (from any source):
 * one finding per admitting rule. A layer with a `note` (no NSG) admits everything.
 */
export function ingressLeaks(layer: Layer, iroh: number[], metrics: number[]): Finding[] {
  if (layer.note) return [{ layer, text: layer.note }];
  const out: Finding[] = [];
  for (const a of ordered(layer, "in")) {
    if (a.action !== "allow") continue;
    const bad: Array<{ proto: string; ranges: PortRange[] | "all" }> = [];
    if (a.proto === "all") {
      bad.push({ proto: "tcp", ranges: subtract("all", metrics) }, { proto: "udp", ranges: subtract("all", iroh) }, { proto: "icmp", ranges: "all" });
    } else if (a.proto === "tcp" || a.proto === "udp") {
      const r = subtract(a.ports, a.proto === "tcp" ? metrics : iroh);
      if (r.length) bad.push({ proto: a.proto, ranges: r });
    } else {
      bad.push({ proto: a.proto, ranges: "all" });
    }
    const open = bad.filter((b) => (b.ranges === "all" || b.ranges.length > 0) && !shadowed(layer, a, a.proto === "all" ? "all" : b.proto, a.proto === "all" ? "all" : b.ranges, a.peers));
    if (open.length) out.push({ rule: a, layer, text: describeRule(a) });
  }
  return out;
}

/** Rules of a layer admitting TCP `port` from a public source (not shadowed by an earlier deny). */
export function publicAdmits(layer: Layer, proto: string, port: number): Finding[] {
  if (layer.note) return [{ layer, text: `${layer.note}: ${proto.toUpperCase()} ${port} is open to the internet` }];
  const out: Finding[] = [];
  for (const a of ordered(layer, "in")) {
    if (a.action !== "allow" || !protoCovers(a.proto, proto) || !portsInclude(a.ports, port)) continue;
    const pub = a.peers.filter(isPublicPeer);
    const open = pub.filter((p) => !shadowed(layer, a, proto, [{ from: port, to: port }], [p]));
    if (open.length) out.push({ rule: a, layer, text: describeRule(a) });
  }
  return out;
}

/** Rules admitting `proto`/`port` from any source (admin ingress checks). */
export function anyAdmits(layer: Layer, proto: string, port: number): Finding[] {
  if (layer.note) return [{ layer, text: `${layer.note}: ${proto.toUpperCase()} ${port} is open` }];
  const out: Finding[] = [];
  for (const a of ordered(layer, "in")) {
    if (a.action !== "allow" || !protoCovers(a.proto, proto) || !portsInclude(a.ports, port)) continue;
    if (a.builtin === "AllowAzureLoadBalancerInBound") continue; // health probes only
    if (!shadowed(layer, a, proto, [{ from: port, to: port }], a.peers)) out.push({ rule: a, layer, text: describeRule(a) });
  }
  return out;
}

/** Whether a layer lets `proto`/`port` out to the whole internet. */
export function egressPermitted(layer: Layer, proto: string, port: number): boolean {
  if (layer.note) return true;
  const rules = ordered(layer, "out").filter((r) => protoCovers(r.proto, proto) && portsInclude(r.ports, port));
  if (layer.kind === "aws") return rules.some((r) => r.action === "allow" && reachesInternet(r.peers));
  for (const r of rules) {
    if (r.action === "deny" && reachesInternet(r.peers)) return false;
    if (r.action === "allow" && reachesInternet(r.peers)) return true;
  }
  return layer.kind === "gcp"; // GCP implied allow egress (also listed); Azure ends in DenyAllOutBound
}

/** Whether some path of the VM lets `proto`/`port` out to the internet (every layer of it). */
export function vmEgressPermitted(paths: Path[], proto: string, port: number): boolean {
  return paths.some((path) => path.every((layer) => egressPermitted(layer, proto, port)));
}


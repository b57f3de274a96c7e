/**
 * Shape figures of a plan: the depth of its resource graph and the resources a config change
 * touches. Pure functions over the plan's recorded registrations.
 */
import type { RecordedResource } from "../src/offline/engine/model";

const STACK_TYPE = "pulumi:pulumi:Stack";

function providerUrn(ref: string): string {
  return ref ? ref.split("::").slice(0, -1).join("::") : "";
}

/**
 * The longest chain of custom resources (providers included), counted in resources, over the
 * edges that order a deployment: a resource waits for its `dependencies` and for its provider.
 * Parent edges are left out: components are not created by any provider (they cost the engine
 * no round trip), and a dependency on a component is taken as a dependency on every custom
 * resource under it.
 */
export function dependencyDepth(resources: RecordedResource[]): { depth: number; chain: string[] } {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  const customUnder = (urn: string, out: Set<string>): Set<string> => {
    for (const c of children.get(urn) ?? []) {
      if (byUrn.get(c)?.custom) out.add(c);
      customUnder(c, out);
    }
    return out;
  };
  const edges = (r: RecordedResource): string[] => {
    const out = new Set<string>();
    for (const d of r.dependencies) {
      const dep = byUrn.get(d);
      if (!dep || dep.type === STACK_TYPE) continue;
      if (dep.custom) out.add(d);
      else customUnder(d, out);
    }
    const p = providerUrn(r.provider);
    if (p && byUrn.has(p)) out.add(p);
    out.delete(r.urn);
    return [...out];
  };
  const memo = new Map<string, { depth: number; next?: string }>();
  const visiting = new Set<string>();
  const depthOf = (urn: string): number => {
    const known = memo.get(urn);
    if (known) return known.depth;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let best = { depth: 1 } as { depth: number; next?: string };
    for (const d of edges(byUrn.get(urn)!)) {
      const depth = depthOf(d) + 1;
      if (depth > best.depth) best = { depth, next: d };
    }
    visiting.delete(urn);
    memo.set(urn, best);
    return best.depth;
  };
  let top: string | undefined;
  let depth = 0;
  for (const r of resources) {
    if (!r.custom) continue;
    const d = depthOf(r.urn);
    if (d > depth) {
      depth = d;
      top = r.urn;
    }
  }
  const chain: string[] = [];
  for (let u = top; u; u = memo.get(u)?.next) chain.push(u);
  return { depth, chain: chain.reverse() };
}

/** JSON with sorted keys: two inputs are equal when their canonical texts are. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Whether a resource belongs to node `id`: under its node component, or named `...-<id>-...`. */
export function ownedBy(r: RecordedResource, id: string, byUrn: Map<string, RecordedResource>): boolean {
  if (r.name.split("-").includes(id)) return true;
  for (let p = byUrn.get(r.parent), hops = 0; p && hops < 50; p = byUrn.get(p.parent), hops++) {
    if (p.type.startsWith("zipnet:node:") && p.name === id) return true;
  }
  return false;
}

export interface ChangeCount {
  /** Resources changed, added or removed, excluding those owned by the excluded nodes. */
  count: number;
  changed: string[];
  added: string[];
  removed: string[];
  /** Resources left out of the count because they belong to the excluded nodes. */
  own: number;
}

/**
 * Resources whose inputs differ between two plans (by URN, raw inputs, secret values
 * included), plus the resources only one plan has; those owned by `exclude` nodes (on the side
 * that has them) are counted apart.
 */
export function changedResources(before: RecordedResource[], after: RecordedResource[], exclude: string[] = []): ChangeCount {
  const a = new Map(before.map((r) => [r.urn, r]));
  const b = new Map(after.map((r) => [r.urn, r]));
  const own = (r: RecordedResource, index: Map<string, RecordedResource>) => exclude.some((id) => ownedBy(r, id, index));
  const out: ChangeCount = { count: 0, changed: [], added: [], removed: [], own: 0 };
  for (const [urn, r] of a) {
    const other = b.get(urn);
    if (!other) {
      if (own(r, a)) out.own++;
      else out.removed.push(urn);
    } else if (canonical(r.inputs) !== canonical(other.inputs)) {
      if (own(r, a)) out.own++;
      else out.changed.push(urn);
    }
  }
  for (const [urn, r] of b) {
    if (a.has(urn)) continue;
    if (own(r, b)) out.own++;
    else out.added.push(urn);
  }
  out.count = out.changed.length + out.added.length + out.removed.length;
  return out;
}

/** `type::name` of a URN, for short reports. */
export function shortUrn(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2]?.split("$").pop() ?? "";
  return `${type}::${parts[3] ?? ""}`;
}

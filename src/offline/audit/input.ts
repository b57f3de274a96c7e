/** What the audit accepts: `pulumi stack export` (v3, v4) and `plan --json` documents, checked before anything runs. */
import { KNOWN_FEATURES, type StateFile, type StateResource } from "../stateFile";
import { AuditInputError } from "./types";

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * How deep a state's values may nest. Real resource properties nest a dozen levels at most; the
 * audit's readers and the Analyzer wire encoding recurse, so a deeper value is refused as input
 * (exit 2) rather than met by a stack overflow.
 */
export const MAX_VALUE_DEPTH = 100;

/** The path to the first point where `value` nests deeper than `limit`, or undefined. Iterative: no depth can overflow it. */
export function tooDeep(value: unknown, limit: number): string | undefined {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: "" }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= limit) return path;
    const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x] as const) : Object.entries(v).map(([k, x]) => [`.${k}`, x] as const);
    // The reported path stays short: its first steps, then where it went too deep.
    for (const [step, x] of entries) stack.push({ v: x, depth: depth + 1, path: depth < 4 ? path + step : depth === 4 ? `${path}...` : path });
  }
  return undefined;
}

/** Checks the shape of a `pulumi stack export` (version 3 or 4) / `plan --json` document. */
export function asStateFile(doc: unknown, label: string): StateFile {
  if (!isObject(doc)) throw new AuditInputError(`${label}: expected a JSON object (a \`pulumi stack export\` or \`plan --json\` file), found ${doc === null ? "null" : Array.isArray(doc) ? "an array" : typeof doc}`);
  const deployment = doc.deployment;
  if (!isObject(deployment) || !Array.isArray(deployment.resources)) {
    throw new AuditInputError(`${label}: expected a \`pulumi stack export\` or \`plan --json\` file with deployment.resources, found ${Object.keys(doc).length ? `an object with keys ${Object.keys(doc).slice(0, 5).join(", ")} and no deployment.resources` : "an empty object"}`);
  }
  if (doc.version !== undefined && doc.version !== 3 && doc.version !== 4) {
    throw new AuditInputError(`${label}: version: expected a version 3 or 4 deployment, found version ${JSON.stringify(doc.version)}`);
  }
  if (doc.features !== undefined) {
    const unknown = Array.isArray(doc.features) ? doc.features.filter((f) => typeof f !== "string" || !KNOWN_FEATURES.includes(f)) : [doc.features];
    if (unknown.length) throw new AuditInputError(`${label}: features: expected features this audit knows (${KNOWN_FEATURES.join(", ")}), found ${JSON.stringify(unknown)}`);
  }
  const pending = deployment.pending_operations;
  if (pending !== undefined && !Array.isArray(pending)) {
    throw new AuditInputError(`${label}: deployment.pending_operations: expected a list, found ${typeof pending}`);
  }
  deployment.resources.forEach((r, i) => {
    const deep = tooDeep(r, MAX_VALUE_DEPTH);
    if (deep !== undefined) {
      throw new AuditInputError(`${label}: deployment.resources[${i}]${deep}: expected values nested at most ${MAX_VALUE_DEPTH} deep, found deeper`);
    }
    if (!isObject(r) || typeof r.urn !== "string" || typeof r.type !== "string") {
      throw new AuditInputError(`${label}: deployment.resources[${i}]: expected a resource with urn and type, found ${JSON.stringify(r)?.slice(0, 80)}`);
    }
  });
  return doc as unknown as StateFile;
}

/** Resources of a state the engine would still know (an export also lists pending deletions). */
export function liveResources(state: StateFile): StateResource[] {
  return state.deployment.resources.filter((r) => !(r as { delete?: boolean }).delete);
}

/** The strings of a list (anything else: none). */
export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

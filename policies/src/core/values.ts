/**
 * Plain data out of the analyzer's property bags.
 *
 * The framework hands policies its inputs behind `unknownCheckingProxy`, which throws on any
 * read of a value that is unknown during preview. Policies here never read through that proxy:
 * `plain()` takes the proxy's target and copies it, turning every unknown sentinel (and every
 * secret whose value is not present, e.g. a redacted `pulumi stack export`) into the `UNKNOWN`
 * marker, which checks treat as "cannot judge yet". Pure: no SDK imports.
 */
// Imports stay above their first use: TypeScript's CommonJS output (ts-node, tsc) keeps each
// `require` where the import is written; esbuild/tsx hoists them and would hide the mistake.
import { SECRET_SIG_KEY as SIG_KEY, SECRET_SIG, UNKNOWN_VALUE } from "../../contract/wire";
import { proxyTarget } from "./sdk";

/** A value that is not known yet (preview) or not visible (redacted secret). */
export const UNKNOWN: unique symbol = Symbol.for("zipnet-posture.unknown");
export type Unknown = typeof UNKNOWN;

/** The framework's unknown sentinels (`@pulumi/policy/proxy` and the engine's wire format). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  UNKNOWN_VALUE, // string (the engine's generic unknown)
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);


export { SIG_KEY, SECRET_SIG };

/** The object behind the framework's unknown-checking proxy (or the value itself). */
const unproxy = proxyTarget;

/**
 * A deep plain copy of a property bag: unknown sentinels become `UNKNOWN`, secrets are
 * unwrapped (their value, or `UNKNOWN` when the value is absent/redacted). Never throws.
 */
export function plain(value: unknown, depth = 0): any {
  if (depth > 64) return UNKNOWN;
  const v = unproxy(value);
  if (typeof v === "string") return UNKNOWN_SENTINELS.has(v) ? UNKNOWN : v;
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((e) => plain(e, depth + 1));
  const obj = v as Record<string, unknown>;
  // The policy SDK's Secret class (only with proxySecrets) keeps the plaintext in `.value`.
  if (obj.constructor?.name === "Secret" && "value" in obj) return plain(obj.value, depth + 1);
  if (obj[SIG_KEY] === SECRET_SIG) return "value" in obj ? plain(obj.value, depth + 1) : UNKNOWN;
  if (typeof obj[SIG_KEY] === "string") return UNKNOWN; // assets/archives/resource references: not judged
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    const e = obj[key];
    if (e !== undefined) out[key] = plain(e, depth + 1);
  }
  return out;
}

export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export type PathKey = string | number;

/** Walks `path`; `UNKNOWN` as soon as a step is unknown, `undefined` when a step is missing. */
export function at(obj: unknown, ...path: PathKey[]): any {
  let cur: any = obj;
  for (const key of path) {
    if (cur === UNKNOWN) return UNKNOWN;
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    cur = cur[key as any];
  }
  return cur;
}

/** A known, non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A known number (numeric strings too), or undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** A known boolean (`"true"`/`"FALSE"` strings too), or undefined. */
export function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === "true";
  return undefined;
}

/** A known array (a JSON-encoded array string too: provider configs carry those), else undefined. */
export function arr(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === "string" && v.trim().startsWith("[")) {
    try {
      const parsed = JSON.parse(v);
      return Array.isArray(parsed) ? parsed.map((e) => plain(e)) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A known object (a JSON-encoded object string too), else undefined. */
export function obj(v: unknown): Record<string, any> | undefined {
  if (isObject(v)) return v;
  if (typeof v === "string" && v.trim().startsWith("{")) {
    try {
      const parsed = JSON.parse(v);
      return isObject(parsed) ? plain(parsed) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Known strings of an array value (unknown elements dropped). */
export function strings(v: unknown): string[] {
  return (arr(v) ?? []).filter((e): e is string => typeof e === "string" && e !== "");
}

/** Whether an array value has an unknown element (or is itself unknown). */
export function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  return Array.isArray(v) && v.some((e) => e === UNKNOWN);
}

/** Whether the value, at any depth, holds something unknown. */
export function containsUnknown(v: unknown, depth = 0): boolean {
  if (v === UNKNOWN) return true;
  if (depth > 32 || v === null || typeof v !== "object") return false;
  return Object.values(v as object).some((e) => containsUnknown(e, depth + 1));
}

/** The text a message shows for what was found. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === UNKNOWN) return "an unknown value";
  if (typeof v === "string") return v === "" ? '""' : JSON.stringify(v.length > 120 ? `${v.slice(0, 117)}...` : v);
  let text: string;
  try {
    text = JSON.stringify(v, (_k, e) => (e === UNKNOWN ? "<unknown>" : e));
  } catch {
    text = String(v);
  }
  if (text === undefined) text = String(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Calls `fn` on every string leaf with its property path (`a.b[0].c`). */
export function walkStrings(v: unknown, fn: (path: string, s: string) => void, path = "", depth = 0): void {
  if (depth > 32) return;
  if (typeof v === "string") {
    fn(path, v);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((e, i) => walkStrings(e, fn, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isObject(v)) {
    for (const [k, e] of Object.entries(v)) walkStrings(e, fn, path ? `${path}.${k}` : k, depth + 1);
  }
}

/** Decodes a base64 string to text when it looks like base64 of printable text, else undefined. */
export function decodeBase64Text(s: string): string | undefined {
  const t = s.trim();
  if (t.length < 8 || t.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return undefined;
  try {
    const text = Buffer.from(t, "base64").toString("utf8");
    // Printable text only (JSON, shell, cloud-init): binary payloads are not user-data we can read.
    return /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes("\ufffd") ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Parses JSON text; undefined when it is not JSON. */
export function parseJson(s: string): unknown {
  const t = s.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    return plain(JSON.parse(t));
  } catch {
    return undefined;
  }
}

/** The last segment of a resource reference (URL, ARM id, ARN, self link). */
export function lastSegment(ref: string): string {
  const parts = ref.split(/[/:]/).filter((p) => p !== "");
  return parts.length ? parts[parts.length - 1] : ref;
}

/**
 * A small, dependency-free evaluator of HashiCorp Vault ACL policies (plain TypeScript, no imports,
 * so a CrossGuard policy pack can load it at runtime).
 *
 * Faithful to Vault's documented behaviour: the "Policies" concept page
 * (https://developer.hashicorp.com/vault/docs/concepts/policies), `vault/policy.go` (parsing) and
 * `vault/acl.go` (NewACL merging, AllowOperation, CheckAllowedFromNonExactPaths).
 * Deliberately stricter than Vault in one way: patterns Vault accepts but that cannot mean what
 * they look like (a `*` before the end, `+` inside a segment, `+*`) are rejected, not taken literally.
 * Out of scope: parameter constraints, wrapping TTLs, MFA, control groups, templated paths
 * (`{{identity...}}` is matched literally), namespaces, and the special "root" policy.
 */

export type Capability =
  | "create" | "read" | "update" | "patch" | "delete" | "list" | "sudo" | "deny" | "subscribe" | "recover";
export interface PathRule { path: string; capabilities: Capability[] }
export interface VaultPolicy { name: string; rules: PathRule[] }
export interface EvaluateOptions {
  /** Evaluate as Vault does for a LIST request (acl.go: trailing-slash fallbacks). `can(.., "list")` sets it. */
  listOperation?: boolean;
}

export const CAPABILITIES: readonly Capability[] =
  ["create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe", "recover"];
const CAPABILITY_SET: ReadonlySet<string> = new Set(CAPABILITIES);

// policy.go: "Map old-style policies into capabilities" (`policy = "write"` etc.).
const LEGACY_POLICY: Record<string, Capability[]> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "delete", "list"],
  sudo: ["create", "read", "update", "delete", "list", "sudo"],
};
// policy.go: the keys Vault accepts inside a path block; anything else is "invalid key".
const BLOCK_KEYS = new Set([
  "comment", "policy", "capabilities", "allowed_parameters", "denied_parameters", "required_parameters",
  "min_wrapping_ttl", "max_wrapping_ttl", "mfa_methods", "control_group", "subscribe_event_types",
]);

// ---------------------------------------------------------------------------------------------
// Parsing: the HCL subset policies use (and the JSON form) into a tiny generic syntax tree.

type Value =
  | { k: "str" | "num" | "bool"; v: string }
  | { k: "list"; v: Value[] }
  | { k: "obj"; v: Item[] };
interface Item { keys: string[]; value: Value }
type Fail = (msg: string) => never;

function parseHcl(src: string, fail: Fail): Item[] {
  let i = 0;
  const err = (msg: string, at = i): never => fail(`syntax error on line ${src.slice(0, at).split("\n").length}: ${msg}`);
  const show = (c: string | undefined) => (c === undefined ? "end of input" : JSON.stringify(c));
  const skip = (): void => {
    for (;;) {
      const c = src[i];
      if (c === " " || c === "\t" || c === "\r" || c === "\n") i++;
      else if (c === "#" || (c === "/" && src[i + 1] === "/")) while (i < src.length && src[i] !== "\n") i++;
      else if (c === "/" && src[i + 1] === "*") {
        const end = src.indexOf("*/", i + 2);
        if (end < 0) err("unterminated /* comment");
        i = end + 2;
      } else return;
    }
  };
  const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "/": "/" };
  const str = (): string => {
    const start = i++;
    let out = "";
    for (;;) {
      const c = src[i++];
      if (c === undefined || c === "\n") return err("unterminated string", start);
      if (c === '"') return out;
      if (c !== "\\") { out += c; continue; }
      const e = src[i++] ?? "";
      if (e === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i, i + 4))) { out += String.fromCharCode(parseInt(src.slice(i, i + 4), 16)); i += 4; }
      else if (Object.hasOwn(ESCAPES, e)) out += ESCAPES[e];
      else err(`invalid escape "\\${e}" in string`);
    }
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(src);
    if (m) i += m[0].length;
    return m?.[0];
  };
  const IDENT = /[A-Za-z_][A-Za-z0-9_.-]*/y;
  const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  const key = (): string | undefined => { skip(); return src[i] === '"' ? str() : token(IDENT); };
  // body := (key+ ("=" value | "{" body "}") ","?)*   -- HCL1 object list
  const body = (close?: "}"): Item[] => {
    const items: Item[] = [];
    for (;;) {
      skip();
      if (close === undefined ? i >= src.length : src[i] === close) { i++; return items; }
      if (i >= src.length) err(`expected "${close}" before end of input`);
      const keys: string[] = [];
      for (let k = key(); k !== undefined; k = key()) keys.push(k);
      if (keys.length === 0) err(`unexpected ${show(src[i])}`);
      skip();
      let value: Value;
      if (src[i] === "=" && keys.length === 1) { i++; value = val(); }
      else if (src[i] === "{") { i++; value = { k: "obj", v: body("}") }; }
      else return err(`expected ${keys.length === 1 ? '"=" or "{"' : '"{"'} after ${keys.map((k) => JSON.stringify(k)).join(" ")}, found ${show(src[i])}`);
      items.push({ keys, value });
      skip();
      if (src[i] === ",") i++;
    }
  };
  const val = (): Value => {
    skip();
    const c = src[i];
    if (c === '"') return { k: "str", v: str() };
    if (c === "{") { i++; return { k: "obj", v: body("}") }; }
    if (c === "[") {
      i++;
      const v: Value[] = [];
      for (;;) {
        skip();
        if (src[i] === "]") { i++; return { k: "list", v }; }
        v.push(val());
        skip();
        if (src[i] === ",") i++;
        else if (src[i] !== "]") err(`expected "," or "]" in list, found ${show(src[i])}`);
      }
    }
    const num = token(NUMBER);
    if (num !== undefined) return { k: "num", v: num };
    const word = token(IDENT);
    if (word === "true" || word === "false") return { k: "bool", v: word };
    return err(`unexpected ${word !== undefined ? JSON.stringify(word) : show(c)} where a value was expected`);
  };
  return body();
}

function fromJson(x: unknown, fail: Fail): Value {
  if (typeof x === "string") return { k: "str", v: x };
  if (typeof x === "number" || typeof x === "boolean") return { k: typeof x === "number" ? "num" : "bool", v: String(x) };
  if (Array.isArray(x)) return { k: "list", v: x.map((e) => fromJson(e, fail)) };
  if (x !== null && typeof x === "object") {
    return { k: "obj", v: Object.entries(x).map(([k, v]) => ({ keys: [k], value: fromJson(v, fail) })) };
  }
  return fail("null is not allowed in a JSON policy");
}

/** An object, or (HCL/JSON repeated-block form) a list of objects, as a list of bodies. */
function bodies(v: Value, what: string, fail: Fail): Item[][] {
  if (v.k === "obj") return [v.v];
  if (v.k === "list" && v.v.every((e) => e.k === "obj")) return v.v.map((e) => (e as { v: Item[] }).v);
  return fail(`${what} must be a block/object`);
}

/**
 * Validates a policy path pattern as written in a policy (one leading "/" is allowed and stripped,
 * as policy.go does). Returns an error message, or undefined when the pattern is valid.
 */
export function validatePattern(path: string): string | undefined {
  const p = path.startsWith("/") ? path.slice(1) : path;
  if (p.startsWith("/")) return 'a path may start with at most one "/" (request paths never start with "/", so this rule could never match)';
  // Docs: the glob "is only supported as the last character of the path" (it is "not a regular expression").
  const star = p.indexOf("*");
  if (star >= 0 && star !== p.length - 1) return `"*" is only supported as the last character of a path (found at offset ${star})`;
  // policy.go: "invalid use of wildcards ('+*' is forbidden)".
  if (p.includes("+*")) return '"+*" is forbidden by Vault; write "+/*" or "+" instead';
  // Docs: "+" denotes one whole path segment; Vault takes "a+c" literally, which is never what a policy author means.
  const bad = (star >= 0 ? p.slice(0, -1) : p).split("/").find((s) => s.includes("+") && s !== "+");
  if (bad !== undefined) return `"+" must be a whole path segment (segment "${bad}"); Vault would match it literally`;
  return undefined;
}

/** Parses a Vault ACL policy in HCL (or the JSON form). Throws an Error naming the policy and path on any problem. */
export function parsePolicyHcl(name: string, hcl: string): VaultPolicy {
  const fail: Fail = (msg) => { throw new Error(`Vault policy "${name}": ${msg}`); };
  let items: Item[];
  if (hcl.trimStart().startsWith("{")) { // like hcl.Parse: a document starting with "{" is JSON
    let doc: unknown;
    try { doc = JSON.parse(hcl); } catch (e) { return fail(`invalid JSON: ${(e as Error).message}`); }
    const root = fromJson(doc, fail);
    items = root.k === "obj" ? root.v : fail("a JSON policy must be an object");
  } else {
    items = parseHcl(hcl, fail);
  }
  const rules: PathRule[] = [];
  const addPath = (raw: string, block: Value): void => {
    const where = `path "${raw}"`;
    const problem = validatePattern(raw);
    if (problem) fail(`${where}: ${problem}`);
    const caps: Capability[] = [];
    let legacy: string | undefined;
    for (const body of bodies(block, where, fail)) {
      for (const { keys, value } of body) {
        if (keys.length !== 1 || !BLOCK_KEYS.has(keys[0])) fail(`${where}: invalid key "${keys.join(" ")}"`);
        if (keys[0] === "capabilities") {
          // Docs: "capabilities are always specified as a list of strings, even if there is only one".
          if (value.k !== "list") fail(`${where}: capabilities must be a list of strings`);
          for (const c of value.v as Value[]) {
            if (c.k !== "str" || !CAPABILITY_SET.has(c.v)) fail(`${where}: invalid capability ${c.k === "str" ? JSON.stringify(c.v) : `(a ${c.k}, not a string)`}`);
            caps.push(c.v as Capability);
          }
        } else if (keys[0] === "policy") {
          if (value.k !== "str" || !Object.hasOwn(LEGACY_POLICY, value.v)) fail(`${where}: invalid policy ${value.k === "str" ? JSON.stringify(value.v) : "value"}`);
          legacy = value.v as string;
        } // other valid keys (parameters, TTLs, MFA, control groups, ...) do not affect capabilities
      }
    }
    if (legacy !== undefined) caps.push(...LEGACY_POLICY[legacy]);
    // policy.go: "If it's deny, don't include any other capability".
    const capabilities = caps.includes("deny") ? (["deny"] as Capability[]) : [...new Set(caps)];
    rules.push({ path: raw.startsWith("/") ? raw.slice(1) : raw, capabilities }); // "Strip a leading '/'"
  };
  for (const { keys: [top, ...labels], value } of items) {
    if (top === "name") {
      if (labels.length > 0 || value.k !== "str") fail('"name" must be a string');
    } else if (top !== "path") {
      fail(`invalid top-level key "${top}" (only "name" and "path" are allowed)`);
    } else if (labels.length === 1) {
      addPath(labels[0], value); // path "x" { ... }
    } else if (labels.length === 0) { // JSON {"path": {"x": {...}}} (or HCL path = { "x" = {...} })
      for (const body of bodies(value, '"path"', fail)) {
        for (const inner of body) {
          if (inner.keys.length !== 1) fail(`"path" entries need exactly one path, got ${inner.keys.length}`);
          addPath(inner.keys[0], inner.value);
        }
      }
    } else {
      fail(`a path block takes exactly one path, got ${labels.map((l) => JSON.stringify(l)).join(" ")}`);
    }
  }
  return { name, rules };
}

// ---------------------------------------------------------------------------------------------
// Evaluation (vault/acl.go).

interface Pattern {
  caps: Set<Capability>;
  glob: boolean; // ends in "*"
  body: string; // pattern without the trailing "*"
  plus: boolean; // has "+" segments
  first: number; // byte offset of the first "+" or "*"
  wildcards: number; // number of "+" segments
  bytes: string; // body as UTF-8 bytes: Go compares lengths and strings bytewise
}
interface Acl { exact: Map<string, Set<Capability>>; patterns: Pattern[] }

const utf8 = (s: string): string =>
  s.replace(/[^\x00-\x7f]/gu, (ch) => encodeURIComponent(ch).slice(1).split("%").map((h) => String.fromCharCode(parseInt(h, 16))).join(""));

function compile(policies: readonly VaultPolicy[]): Acl {
  // Docs: "If the same pattern appears in multiple policies, we take the union of the capabilities".
  // acl.go NewACL: if any of them holds deny the merged rule is deny alone, i.e. it grants nothing.
  const merged = new Map<string, Set<Capability>>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const problem = validatePattern(rule.path);
      if (problem) throw new Error(`Vault policy "${policy.name}": path "${rule.path}": ${problem}`);
      const bad = rule.capabilities.find((c) => !CAPABILITY_SET.has(c));
      if (bad !== undefined) throw new Error(`Vault policy "${policy.name}": path "${rule.path}": invalid capability ${JSON.stringify(bad)}`);
      const path = rule.path.startsWith("/") ? rule.path.slice(1) : rule.path;
      merged.set(path, new Set([...(merged.get(path) ?? []), ...rule.capabilities])); // deny handled in evaluate
    }
  }
  const acl: Acl = { exact: new Map(), patterns: [] };
  for (const [path, caps] of merged) {
    const glob = path.endsWith("*");
    const plus = path.split("/").includes("+");
    if (!glob && !plus) { acl.exact.set(path, caps); continue; }
    const body = glob ? path.slice(0, -1) : path;
    const bytes = utf8(body);
    acl.patterns.push({
      caps, glob, body, plus, bytes,
      first: plus ? bytes.indexOf("+") : bytes.length,
      wildcards: body.split("/").filter((s) => s === "+").length,
    });
  }
  return acl;
}

function matches(p: Pattern, path: string): boolean {
  // Docs: a trailing "*" is a prefix match ("secret/foo*" also matches "secret/foobar").
  if (!p.plus) return path.startsWith(p.body);
  // acl.go: "+" takes exactly one segment (any content, even empty, never a "/"); without a glob the
  // segment counts must be equal; with one, the last pattern segment is a prefix of its segment and
  // anything may follow.
  const want = p.body.split("/");
  const got = path.split("/");
  if (got.length < want.length || (!p.glob && got.length !== want.length)) return false;
  return want.every((w, i) => w === "+" || w === got[i] || (p.glob && i === want.length - 1 && got[i].startsWith(w)));
}

/** Negative when `a` has LOWER priority than `b` (Policies page, "the following matching criteria"). */
function comparePriority(a: Pattern, b: Pattern): number {
  return (
    a.first - b.first || // 1. "If the first wildcard (+) or glob (*) occurs earlier in P1, P1 is lower priority"
    Number(b.glob) - Number(a.glob) || // 2. "If P1 ends in * and P2 doesn't, P1 is lower priority"
    b.wildcards - a.wildcards || // 3. "If P1 has more + (wildcard) segments, P1 is lower priority"
    a.bytes.length - b.bytes.length || // 4. "If P1 is shorter, it is lower priority"
    (a.bytes < b.bytes ? -1 : a.bytes > b.bytes ? 1 : 0) // 5. "If P1 is smaller lexicographically, it is lower priority"
  );
}

function bestPattern(acl: Acl, path: string): Set<Capability> | undefined {
  let best: Pattern | undefined;
  for (const p of acl.patterns) if (matches(p, path) && (!best || comparePriority(p, best) > 0)) best = p;
  return best?.caps;
}

/**
 * The capabilities a token holding exactly `policies` has on `requestPath`. An explicit deny, and
 * the absence of any matching rule ("Policies are deny by default"), both give the empty set.
 */
export function evaluate(policies: readonly VaultPolicy[], requestPath: string, options: EvaluateOptions = {}): Set<Capability> {
  const acl = compile(policies);
  const path = requestPath.replace(/^\/+/, ""); // acl.go strips every leading "/" ("defense in depth")
  const list = options.listOperation === true;
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  // Exact rules first: an exact match beats every pattern (acl.go "Find an exact matching rule, look
  // for prefix if no match"); LIST also tries the path without its trailing "/".
  let caps = acl.exact.get(path) ?? (list ? acl.exact.get(trimmed) : undefined);
  // acl.go: "List operations need to check without the trailing slash first".
  if (caps === undefined && list && trimmed !== path) caps = bestPattern(acl, trimmed);
  // Docs: "If different patterns appear in the applicable policies, we take only the highest-priority match".
  caps ??= bestPattern(acl, path);
  // A winning rule that contains deny grants nothing ("This always takes precedence ... including sudo").
  return caps === undefined || caps.has("deny") ? new Set() : new Set(caps);
}

/** Whether the token may use `capability` on `path` ("list" is evaluated as a LIST request). Always false for "deny". */
export function can(policies: readonly VaultPolicy[], path: string, capability: Capability): boolean {
  return evaluate(policies, path, { listOperation: capability === "list" }).has(capability);
}

/**
 * Stack config files (`stacks/Pulumi.NAME.yaml`) read the way the Pulumi CLI reads them, and the
 * config the CLI hands a program: `PULUMI_CONFIG`, a JSON map `"<namespace>:config:<key>"` ->
 * string (object values as JSON text), and `PULUMI_CONFIG_SECRET_KEYS` (docs/engine.md).
 *
 * YAML scalars take the types Go's yaml.v3 gives them: an unquoted date or time becomes Go's
 * `time.Time.String()` text, `1e400` stays the string it is, `41_642` and `017` are integers. What
 * the CLI could not pass on faithfully is refused with the key named: `.inf` and `.nan` (the CLI
 * fails on them), integers past 2^53 (JSON readers in the program would round them), and `secure:`
 * values, which only the CLI's secrets provider can decrypt.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { Scalar, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { CONFIG_KEY } from "./schema";
import { InputFileError, readInputText } from "./inputFile";
import { ConfigError, RAW, type ConfigIssue } from "./validate";

/** The project root: the nearest folder above this module holding Pulumi.yaml (src/ or dist/src/ alike). */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
  }
}

/** The repository root (where Pulumi.yaml and stacks/ live). */
export const PROJECT_ROOT = findProjectRoot(__dirname);

/** The project's name (Pulumi.yaml `name`): the default config namespace. */
export const PROJECT_NAME = "zipnet-infra";

/** Where the program looks for the stack's own files (the signed registry): set by the offline CLI for `--config-file`. */
export const STACKS_DIR_ENV = "ZIPNET_STACKS_DIR";

export function stacksDir(): string {
  return process.env[STACKS_DIR_ENV] || path.join(PROJECT_ROOT, "stacks");
}

export function stackFilePath(stack: string): string {
  return path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** The stack name a config file belongs to: `Pulumi.NAME.yaml` -> NAME. */
export function stackNameOf(file: string): string {
  const m = path.basename(file).match(/^Pulumi\.(.+)\.ya?ml$/);
  return m ? m[1] : path.basename(file).replace(/\.ya?ml$/, "");
}

/** A stack file's config, as the CLI passes it to a program. */
export interface CliConfig {
  /** `PULUMI_CONFIG`'s map: `"<namespace>:config:<key>"` -> string (objects as JSON text). */
  config: Record<string, string>;
  /** `PULUMI_CONFIG_SECRET_KEYS`: the `<namespace>:<key>` names holding secrets. */
  secretKeys: string[];
  /** Each key's value as YAML gave it (the instance config before validation). */
  values: Record<string, unknown>;
  /** Encrypted keys the offline plan leaves out, with why (the publication key: --publication-key signs offline). */
  skipped: string[];
}

/** The stack's publication signing key (a Pulumi secret; the program signs with it under the CLI). */
export const PUBLICATION_KEY_CONFIG = "zipnet-infra:publicationKey";
/** A federated operator's X25519 key that opens its sealed committee secret (a Pulumi secret). */
export const SEALING_KEY_CONFIG = "zipnet-infra:sealingKey";

/** Encrypted keys the offline plan leaves out (it cannot decrypt them), with what that means. */
const OFFLINE_SKIPPED: Readonly<Record<string, string>> = {
  [PUBLICATION_KEY_CONFIG]: "the offline plan leaves it out and signs nothing with it (--report ... --publication-key FILE signs the publication)",
  [SEALING_KEY_CONFIG]: "the offline plan leaves it out and does not open the sealed committee secret (its value stays unknown, as in a preview)",
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** yaml.v3 resolves an unquoted `YYYY-M-D` (optionally with a time) to a timestamp (resolve.go allowedTimestampFormats). */
const TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[-+]\d{1,2}(?::?\d{2})?)?)?$/;
/** yaml.v3 reads integers with strconv.ParseInt(base 0) after dropping `_`: 017 is octal, 0b101 binary. */
const GO_INT = /^[-+]?(0[0-7]+|0[bB][01_]+|0[oO][0-7_]+|0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const NON_FINITE = /^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;

const pad = (n: string, w = 2) => n.padStart(w, "0");

/** `+2`, `+02`, `+0200`, `+02:00` -> Go's `+0200 +0200`. */
function goOffset(zone: string): string {
  const m = zone.match(/^([-+])(\d{1,2}):?(\d{2})?$/)!;
  const text = `${m[1]}${pad(m[2])}${m[3] ?? "00"}`;
  return `${text} ${text}`;
}

/**
 * A YAML node as Pulumi's config loader sees it: yaml.v3 into `any`, then Go's `time.Time.String()`
 * for timestamps (an unquoted `2026-10-01` reaches the program as `2026-10-01 00:00:00 +0000 UTC`),
 * floats yaml.v3 cannot parse kept as their text (`1e400`), `.inf`/`.nan` refused as the CLI
 * refuses them (json: unsupported value).
 */
function goValue(node: unknown, at: string, issues: ConfigIssue[], doc?: Document, expanding: ReadonlySet<unknown> = new Set<unknown>()): unknown {
  // An alias is its anchor's value, as yaml.v3 reads it; an undefined anchor (or one that contains
  // itself) is named, never read as null.
  if (isAlias(node)) {
    const target = doc ? node.resolve(doc) : undefined;
    if (!target) {
      issues.push({ path: at, expected: `an alias to an anchor defined before it (&${node.source})`, found: `${RAW}*${node.source}, with no such anchor` });
      return null;
    }
    if (expanding.has(target)) {
      issues.push({ path: at, expected: "an alias that does not contain itself", found: `${RAW}*${node.source} inside its own anchor` });
      return null;
    }
    return goValue(target, at, issues, doc, expanding);
  }
  if (isMap(node)) {
    // The collections this value is inside: an alias to one of them would never end.
    const inside = new Set([...expanding, node]);
    const pairs = node.items.map((p) => [String(isScalar(p.key) ? p.key.value : p.key), p.value] as const);
    if (pairs.length === 1 && pairs[0][0] === "secure") {
      issues.push({
        path: at,
        expected: "a value the offline plan can read",
        found: `${RAW}an encrypted value (secure:), which only the Pulumi CLI's secrets provider can decrypt; use \`pulumi preview\` with the CLI, or a copy of the stack file with the plain value that is never committed`,
      });
      return null;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of pairs) {
      // `__proto__` would set the object's prototype, not a key: the entry would vanish unseen.
      if (k === "__proto__") issues.push({ path: `${at}.${k}`, expected: "a key name other than __proto__", found: `${RAW}__proto__ (JavaScript objects cannot hold it as a key; it would be dropped)` });
      else out[k] = goValue(v, `${at}.${k}`, issues, doc, inside);
    }
    return out;
  }
  if (isSeq(node)) {
    const inside = new Set([...expanding, node]);
    return node.items.map((v, i) => goValue(v, `${at}[${i}]`, issues, doc, inside));
  }
  if (!isScalar(node)) return null;
  const value = node.value;
  const source = typeof node.source === "string" ? node.source : String(value);
  if (node.type === "PLAIN" && typeof value === "string") {
    const m = value.match(TIMESTAMP);
    if (m) {
      // Go prints fractional seconds without trailing zeros (none at all when they are zero), a
      // time without a zone as UTC, and a numeric zone as its offset twice (`+0200 +0200`).
      const fraction = m[7] ? m[7].replace(/0+$/, "").replace(/\.$/, "") : "";
      const time = m[4] === undefined ? "00:00:00" : `${pad(m[4])}:${pad(m[5])}:${pad(m[6])}${fraction}`;
      const zone = m[8] === undefined || m[8] === "Z" ? "+0000 UTC" : goOffset(m[8]);
      return `${m[1]}-${pad(m[2])}-${pad(m[3])} ${time} ${zone}`;
    }
    if (GO_INT.test(value) && (value.includes("_") || /^[-+]?0[0-7]+$/.test(value) || /^[-+]?0[bB]/.test(value))) {
      const sign = value.startsWith("-") ? -1n : 1n;
      const digits = value.replace(/^[-+]/, "").replace(/_/g, "");
      const n = sign * BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits);
      return goValue(new Scalar(n), at, issues);
    }
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    if (NON_FINITE.test(source.trim())) {
      issues.push({ path: at, expected: "a finite number (the Pulumi CLI refuses .inf and .nan: json: unsupported value)", found: `${RAW}${source.trim()}` });
      return null;
    }
    return source.trim();
  }
  if (typeof value === "bigint") {
    if (value > MAX_SAFE || value < -MAX_SAFE) {
      issues.push({ path: at, expected: "an integer between -(2^53-1) and 2^53-1 (the program's JSON reader would round it)", found: `${RAW}${value.toString()}` });
      return null;
    }
    return Number(value);
  }
  return value ?? null;
}

/** Go's json.Marshal: map keys sorted, `<`, `>` and `&` escaped. */
export function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sorted(value)).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

/** Namespaced key: `instance` in project zipnet-infra is `zipnet-infra:instance`. */
function namespaced(key: string): string {
  return key.includes(":") ? key : `${PROJECT_NAME}:${key}`;
}

/** Reads a stack file's config as the CLI does; throws ConfigError listing every problem. */
export function readCliConfig(file: string): CliConfig {
  let text: string;
  try {
    text = readInputText(file, "a stack config file");
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    throw new ConfigError([{ path: file, expected: err.expected, found: `${RAW}${err.found}` }]);
  }
  const doc = parseDocument(text, { intAsBigInt: true });
  if (doc.errors.length) {
    throw new ConfigError([{ path: file, expected: "valid YAML", found: doc.errors[0].message.split("\n")[0] }]);
  }
  // The CLI's YAML reader does not know custom tags either (`!Ref` is CloudFormation's): refuse, never guess.
  if (doc.warnings.length) {
    throw new ConfigError([{ path: file, expected: "plain YAML (no custom tags)", found: doc.warnings[0].message.split("\n")[0] }]);
  }
  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    throw new ConfigError([{ path: file, expected: `a YAML mapping with a config: section holding ${CONFIG_KEY}`, found: `${RAW}a YAML ${isSeq(root) ? "list" : "value"}` }]);
  }
  const section = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === "config")?.value : undefined;
  if (!isMap(section)) {
    const found = isScalar(section) ? section.value : section === undefined ? (root === null ? `${RAW}an empty file` : undefined) : `${RAW}a YAML ${isSeq(section) ? "list" : "value"}`;
    throw new ConfigError([{ path: `${file}: config`, expected: `a config: section holding ${CONFIG_KEY}`, found }]);
  }
  const issues: ConfigIssue[] = [];
  const config: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const pair of section.items) {
    const key = namespaced(String(isScalar(pair.key) ? pair.key.value : pair.key));
    // Encrypted keys (the publication key, a federated operator's sealing key) are used only under
    // the CLI. Left out, and said so, rather than refused.
    if (key in OFFLINE_SKIPPED && isMap(pair.value) && pair.value.items.length === 1 && isScalar(pair.value.items[0].key) && pair.value.items[0].key.value === "secure") {
      skipped.push(`${key} is encrypted (secure:): ${OFFLINE_SKIPPED[key]}`);
      continue;
    }
    // A key that opens or signs something is a Pulumi secret: never plain text in a committed stack file.
    if (key in OFFLINE_SKIPPED) {
      issues.push({ path: key, expected: "an encrypted value (pulumi config set --secret ...): a private key never sits in the stack file in plain", found: `${RAW}a plain value` });
      continue;
    }
    const value = goValue(pair.value, key, issues, doc);
    const i = key.indexOf(":");
    // Strings pass as they are; numbers, booleans, null, maps and lists as Go JSON text.
    const text = typeof value === "string" ? value : goJson(value);
    config[`${key.slice(0, i)}:config:${key.slice(i + 1)}`] = text;
    // What the program reads back (pulumi.Config.getObject parses the text).
    values[key] = typeof value === "string" ? value : JSON.parse(text);
  }
  if (issues.length) throw new ConfigError(issues);
  return { config, secretKeys: [], values, skipped };
}

/** The raw (unvalidated) value of `zipnet-infra:instance` in a stack file. */
export function readStackConfig(file: string): unknown {
  return readCliConfig(file).values[CONFIG_KEY];
}

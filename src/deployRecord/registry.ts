/**
 * The PeerId -> legal entity registry of an instance (checklist `audit.peer-registry`):
 * `stacks/<instance>.registry.json`, version-controlled, with a detached Ed25519 signature
 * `stacks/<instance>.registry.json.sig` (base64 text; surrounding whitespace ignored) by the
 * key whose public half is `registry.publicKey` in the instance config. Pure: node:crypto only.
 *
 * The signature covers the EXACT bytes of the registry file (no re-serialisation): edit the
 * file, then re-sign it (`signRegistryText`). `renderRegistry` writes a stable, diff-friendly
 * form (two-space indent, fixed key order) for tools that generate the file.
 *
 * PeerIds are iroh NodeIds (Ed25519 public keys, 32 bytes) in either of the two text forms
 * iroh's `PublicKey::from_str` reads: 64 lowercase hex characters (its Display form) or 52
 * characters of lowercase RFC 4648 base32 without padding (`[a-z2-7]`, the older form; iroh's
 * decoder checks trailing bits, so must we). Both decode to the same 32 bytes, and duplicates are
 * detected on the bytes, so one key written in both forms counts as a duplicate. (Not z-base-32:
 * iroh uses data_encoding BASE32_NOPAD.)
 */
import type { KeyObject } from "node:crypto";
import type { ConfigIssue } from "../config/validate";
import { KeyFormatError, decodeSignature, loadPublicKey, sign, verify } from "./ed25519";

export const REGISTRY_SCHEMA = "zipnet-peer-registry/v1";

/** Path of the config key holding the registry's verification key. */
export const REGISTRY_KEY_PATH = "zipnet-infra:instance.registry.publicKey";

/** Same shape as ConfigIssue: `formatIssue`/`ConfigError` from config/validate print it. */
export type RegistryIssue = ConfigIssue;

export interface RegistryEntry {
  /** Node id in the instance config. */
  node: string;
  /** The node's iroh NodeId (PeerId): 64 hex or 52 base32 characters. */
  peerId: string;
  /** The legal entity accountable for the node. */
  legalEntity: string;
  /** The operating organisation/team. */
  operator: string;
  /** How to reach the operator (address, URL, rotation). */
  contact: string;
}

export interface PeerRegistry {
  schema: typeof REGISTRY_SCHEMA;
  instance: string;
  entries: RegistryEntry[];
}

/** Repository-relative paths of an instance's registry and its signature. */
export function registryPaths(instance: string): { registry: string; signature: string } {
  const registry = `stacks/${instance}.registry.json`;
  return { registry, signature: `${registry}.sig` };
}

export const PEER_ID_FORMAT = /^[0-9a-f]{64}$|^[a-z2-7]{52}$/;
const PEER_ID_EXPECTED = "an iroh NodeId: 64 lowercase hex characters or 52 lowercase base32 characters [a-z2-7]";
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** The 32 bytes of a PeerId as hex, or undefined when it is not a valid NodeId text form. */
export function peerIdBytes(peerId: string): string | undefined {
  if (/^[0-9a-f]{64}$/.test(peerId)) return peerId;
  if (!/^[a-z2-7]{52}$/.test(peerId)) return undefined;
  let acc = 0n;
  for (const ch of peerId) acc = (acc << 5n) | BigInt(BASE32.indexOf(ch));
  // 52 x 5 = 260 bits: 256 bits of key, then 4 trailing bits that must be zero.
  if ((acc & 0xfn) !== 0n) return undefined;
  return (acc >> 4n).toString(16).padStart(64, "0");
}

const ENTRY_KEYS = ["node", "peerId", "legalEntity", "operator", "contact"] as const;
const TOP_KEYS = ["schema", "instance", "entries"] as const;

/** Shape problems of a parsed registry value; `file` prefixes every path. */
function shapeIssues(value: unknown, file: string): RegistryIssue[] {
  const issues: RegistryIssue[] = [];
  const at = (p: string) => `${file}: ${p}`;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return [{ path: file, expected: `a JSON object {schema: "${REGISTRY_SCHEMA}", instance, entries}`, found: Array.isArray(value) ? "a list" : value }];
  }
  const v = value as Record<string, unknown>;
  const unknownTop = Object.keys(v).filter((k) => !(TOP_KEYS as readonly string[]).includes(k));
  if (unknownTop.length > 0) issues.push({ path: file, expected: `only known keys (${TOP_KEYS.join(", ")})`, found: unknownTop });
  if (v.schema !== REGISTRY_SCHEMA) issues.push({ path: at("schema"), expected: `"${REGISTRY_SCHEMA}"`, found: v.schema });
  if (typeof v.instance !== "string" || v.instance === "") issues.push({ path: at("instance"), expected: "the instance name (a non-empty string)", found: v.instance });
  if (!Array.isArray(v.entries)) {
    issues.push({ path: at("entries"), expected: "a list of {node, peerId, legalEntity, operator, contact}", found: v.entries });
    return issues;
  }
  v.entries.forEach((entry, i) => {
    const p = `entries[${i}]`;
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      issues.push({ path: at(p), expected: "an object {node, peerId, legalEntity, operator, contact}", found: entry });
      return;
    }
    const e = entry as Record<string, unknown>;
    const unknownKeys = Object.keys(e).filter((k) => !(ENTRY_KEYS as readonly string[]).includes(k));
    if (unknownKeys.length > 0) issues.push({ path: at(p), expected: `only known keys (${ENTRY_KEYS.join(", ")})`, found: unknownKeys });
    const text = (key: (typeof ENTRY_KEYS)[number], expected: string) => {
      const x = e[key];
      if (typeof x !== "string" || x.trim() === "") issues.push({ path: at(`${p}.${key}`), expected, found: x });
    };
    text("node", "the node id (a non-empty string)");
    if (typeof e.peerId !== "string" || peerIdBytes(e.peerId) === undefined) issues.push({ path: at(`${p}.peerId`), expected: PEER_ID_EXPECTED, found: e.peerId });
    text("legalEntity", "the legal entity accountable for the node (non-empty)");
    text("operator", "the operating organisation (non-empty)");
    text("contact", "a contact for the operator (non-empty)");
  });
  return issues;
}

/** A registry file that is not a well-formed v1 registry. */
export class RegistryError extends Error {
  constructor(public readonly issues: RegistryIssue[]) {
    super(
      [`invalid peer registry (${issues.length} problem${issues.length === 1 ? "" : "s"}):`, ...issues.map((i) => `  - ${i.path}: expected ${i.expected}, found ${JSON.stringify(i.found) ?? "nothing"}`)].join("\n"),
    );
    this.name = "RegistryError";
  }
}

/**
 * Parses registry file text. Throws RegistryError listing every shape problem (each naming its
 * field, e.g. `registry.json: entries[2].contact`). Does not check the signature or the instance.
 */
export function parseRegistry(text: string, file = "registry.json"): PeerRegistry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RegistryError([{ path: file, expected: "valid JSON", found: (err as Error).message }]);
  }
  const issues = shapeIssues(value, file);
  if (issues.length > 0) throw new RegistryError(issues);
  return value as PeerRegistry;
}

/** Stable, diff-friendly file text: fixed key order, two-space indent, trailing newline. */
export function renderRegistry(registry: PeerRegistry): string {
  const ordered = {
    schema: registry.schema,
    instance: registry.instance,
    entries: registry.entries.map((e) => ({ node: e.node, peerId: e.peerId, legalEntity: e.legalEntity, operator: e.operator, contact: e.contact })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Renders and signs a registry: `json` is the file text, `signature` the base64 detached signature. */
export function signRegistry(registry: PeerRegistry, privateKey: KeyObject | string): { json: string; signature: string } {
  const json = renderRegistry(registry);
  parseRegistry(json); // refuse to sign a malformed registry
  return { json, signature: sign(json, privateKey) };
}

/** Signs an existing (hand-edited) registry file as-is, after checking its shape. */
export function signRegistryText(text: string, privateKey: KeyObject | string): string {
  parseRegistry(text);
  return sign(text, privateKey);
}

export interface CheckRegistryInput {
  /** Registry file text; undefined = the file does not exist. */
  registryText?: string;
  /** Signature file text (base64); undefined = the file does not exist. */
  signatureText?: string;
  /** `registry.publicKey` from the config; undefined = not configured. */
  publicKeyText?: string;
  instance: string;
  /** Where the registry was read from (messages name it); default the repository's `stacks/<instance>.registry.json`. */
  file?: string;
  /** Nodes that must have an entry (every node of the instance: committee and aggregator). */
  nodeIds: string[];
  /** Nodes that may have an entry but need not (default none). Entries for any other node are issues. */
  optionalNodeIds?: string[];
}

/**
 * Every problem with an instance's registry, as ConfigIssue-shaped records (empty = valid).
 * Covers: missing registry, signature or public key; unreadable key; malformed or bad signature
 * (tampered file or signature, other key); invalid JSON and shape problems; wrong schema or
 * instance; a required node without an entry; an entry for a node not in the instance; duplicate
 * node or PeerId; empty legal entity, operator or contact; PeerId format.
 * Content problems are reported even when the signature is bad, so one run shows everything.
 */
export function checkRegistry(input: CheckRegistryInput): RegistryIssue[] {
  const file = input.file ?? registryPaths(input.instance).registry;
  const sigFile = `${file}.sig`;
  const issues: RegistryIssue[] = [];

  let key: KeyObject | undefined;
  if (input.publicKeyText === undefined || input.publicKeyText.trim() === "") {
    issues.push({ path: REGISTRY_KEY_PATH, expected: `the Ed25519 public key that verifies ${sigFile} (SPKI PEM or base64 of 32 bytes)`, found: undefined });
  } else {
    try {
      key = loadPublicKey(input.publicKeyText);
    } catch (err) {
      issues.push({ path: REGISTRY_KEY_PATH, expected: "an Ed25519 public key (SPKI PEM or base64 of 32 bytes)", found: err instanceof KeyFormatError ? err.message : "unreadable key" });
    }
  }

  if (input.registryText === undefined) {
    issues.push({ path: file, expected: "the signed PeerId -> legal entity registry of the instance (one entry per node)", found: "no such file" });
  }
  if (input.signatureText === undefined) {
    issues.push({ path: sigFile, expected: `a detached Ed25519 signature (base64) of ${file}`, found: "no such file" });
  } else if (!decodeSignature(input.signatureText)) {
    issues.push({ path: sigFile, expected: "base64 of a 64-byte Ed25519 signature", found: input.signatureText.trim().slice(0, 100) });
  } else if (input.registryText !== undefined && key && !verify(input.registryText, input.signatureText, key)) {
    issues.push({
      path: sigFile,
      expected: `a valid signature of ${file} by ${REGISTRY_KEY_PATH}`,
      found: "a signature that does not match (the file or the signature was altered, or it was signed by another key)",
    });
  }

  if (input.registryText === undefined) return issues;
  let value: unknown;
  try {
    value = JSON.parse(input.registryText);
  } catch (err) {
    issues.push({ path: file, expected: "valid JSON", found: (err as Error).message });
    return issues;
  }
  const shape = shapeIssues(value, file);
  issues.push(...shape);
  const v = value as Partial<PeerRegistry> | null;
  if (!v || typeof v !== "object" || Array.isArray(v)) return issues;
  const at = (p: string) => `${file}: ${p}`;

  if (typeof v.instance === "string" && v.instance !== "" && v.instance !== input.instance) {
    issues.push({ path: at("instance"), expected: `"${input.instance}" (the registry of this instance)`, found: v.instance });
  }
  if (!Array.isArray(v.entries)) return issues;

  const required = new Set(input.nodeIds);
  const allowed = new Set([...input.nodeIds, ...(input.optionalNodeIds ?? [])]);
  const byNode = new Map<string, number>();
  const byPeer = new Map<string, number>();
  v.entries.forEach((entry, i) => {
    if (!entry || typeof entry !== "object") return;
    const { node, peerId } = entry as Partial<RegistryEntry>;
    if (typeof node === "string" && node !== "") {
      if (byNode.has(node)) {
        issues.push({ path: at(`entries[${i}].node`), expected: `each node listed once (entries[${byNode.get(node)}] lists it)`, found: node });
      } else byNode.set(node, i);
      if (!allowed.has(node)) {
        issues.push({ path: at(`entries[${i}].node`), expected: `a node of the instance (${[...allowed].join(", ")}); remove entries of departed nodes`, found: node });
      }
    }
    const bytes = typeof peerId === "string" ? peerIdBytes(peerId) : undefined;
    if (bytes !== undefined) {
      if (byPeer.has(bytes)) {
        issues.push({ path: at(`entries[${i}].peerId`), expected: `a PeerId unique in the registry (entries[${byPeer.get(bytes)}] has it)`, found: peerId });
      } else byPeer.set(bytes, i);
    }
  });
  for (const node of required) {
    if (!byNode.has(node)) {
      issues.push({ path: at("entries"), expected: `an entry for node ${node} (every node of the instance is listed)`, found: [...byNode.keys()] });
    }
  }
  return issues;
}

/**
 * The signed publication record (checklist `identity.mrtd-published`): what an instance's
 * publishers hand to clients beside its name: universe, posture, committee and client MR_TDs,
 * image references and the committee's fault domains. Pure: node:crypto via ./ed25519.
 *
 * Bytes and signature:
 * - `renderPublication` writes canonical JSON (sorted keys, no whitespace, see `canonicalJson`)
 *   plus one trailing newline. Those exact bytes are the file `publication.json` and are what is
 *   signed; the signature is a detached Ed25519 signature, base64, in its own file.
 * - `verifyPublication` verifies the EXACT bytes it is given (the standard for detached
 *   signatures: no re-serialisation, no normalisation). Re-indenting, re-ordering keys or
 *   converting line endings (git `autocrlf`!) breaks verification, on purpose. Keep the file
 *   byte-exact (e.g. `publication.json -text` in .gitattributes).
 * - The record is deterministic (no timestamps): the same config always gives the same bytes, so
 *   a re-run does not produce a spurious diff and the signature is reproducible per key.
 */
import type { KeyObject } from "node:crypto";
import type { Cloud, InstanceConfig, NodeRole, Posture } from "../config/schema";
import { instanceNodes, machineTypeOf } from "../config/validate";
import { PLATFORMS, PLATFORM_REGISTERS, measurementRows, type MeasurementRow, type Platform, type ReferenceSet } from "../../policies/contract/measurements";
import { KeyFormatError, canonicalJson, decodeSignature, loadPublicKey, sign, verify } from "./ed25519";

export const PUBLICATION_SCHEMA = "zipnet-publication/v2";

/** One node's fault domain: who runs it where. */
export interface FaultDomain {
  node: string;
  role: NodeRole;
  cloud: Cloud;
  account: string;
  region: string;
  /** The node's `operator` from the config; "" when the config names none. */
  operator: string;
}

/** What a committee server's TDX evidence is judged against: its platform, machine type and the sets that hold for them. */
export interface CommitteeMeasurement {
  node: string;
  platform: Platform | "none";
  machineType: string;
  /** Names of the `referenceValues.committee` sets for this platform and machine type. */
  referenceSets: string[];
}

export interface Publication {
  schema: typeof PUBLICATION_SCHEMA;
  /** ZIPNET_INSTANCE. */
  instance: string;
  /** ZIPNET_UNIVERSE; "" = the shared universe. */
  universe: string;
  posture: Posture;
  /** Raised with every change of a reference set: publishers take the newest epoch. */
  epoch: number;
  /** The whole reference set, as the config holds it (docs/measurements.md). */
  referenceValues: { committee: ReferenceSet[]; clients: ReferenceSet[] };
  /** Per platform, the registers some set enforces: what the hardware binds for publishers. */
  pins: Partial<Record<Platform, string[]>>;
  /** Per committee server (config order): the sets its evidence must match. */
  committee: CommitteeMeasurement[];
  /** Server image per cloud, only the clouds the config names. */
  images: { gcp?: string; azure?: string; aws?: string };
  /** Committee servers (config order) then the aggregator. */
  faultDomains: FaultDomain[];
}

/**
 * `input`: the key or the signature cannot be read as one, so nothing was verified (the CLI exits
 * 2, an input error); otherwise a failure means the publication is not the one signed (exit 1).
 */
export type VerifyPublicationResult = { ok: true; publication: Publication } | { ok: false; reason: string; input?: boolean };

function pinsOf(sets: ReferenceSet[]): Publication["pins"] {
  const pins: Publication["pins"] = {};
  for (const set of sets) {
    const enforced = Object.keys(set.registers).filter((r) => set.registers[r].enforce);
    pins[set.platform] = [...new Set([...(pins[set.platform] ?? []), ...enforced])].sort();
  }
  return pins;
}

/** Per committee server of a validated config: platform, machine type, its sets, what they bind (the report and the publication). */
export function configMeasurements(config: InstanceConfig): MeasurementRow[] {
  return measurementRows(config.tdx.committee, config.committee.map((n) => ({ id: n.id, cloud: n.cloud, confidential: n.confidential, machineType: machineTypeOf(n, "committee") })));
}

/** The publication of a (validated) instance config. Deterministic. */
export function publicationOf(config: InstanceConfig): Publication {
  const images: Publication["images"] = {};
  for (const cloud of ["gcp", "azure", "aws"] as const) {
    const image = config.images[cloud];
    if (image) images[cloud] = image;
  }
  return {
    schema: PUBLICATION_SCHEMA,
    instance: config.name,
    universe: config.universe ?? "",
    posture: config.posture,
    epoch: config.tdx.epoch,
    referenceValues: { committee: config.tdx.committee, clients: config.tdx.clients },
    pins: pinsOf([...config.tdx.committee, ...config.tdx.clients]),
    committee: configMeasurements(config).map((m) => ({ node: m.node, platform: m.platform, machineType: m.machineType, referenceSets: m.sets })),
    images,
    faultDomains: instanceNodes(config).map((n) => ({
      node: n.id,
      role: n.role,
      cloud: n.cloud,
      account: n.account,
      region: n.region,
      operator: n.operator ?? "",
    })),
  };
}

/**
 * What moved between two publications in a way publishers must learn from a new signature: a
 * node's platform, machine type or sets, a reference set's registers, the images. Empty: the
 * signed publication still holds.
 */
export function measurementChanges(before: Publication, after: Publication): string[] {
  const changes: string[] = [];
  const key = (x: unknown) => canonicalJson(x);
  const nodes = new Map(before.committee.map((c) => [c.node, c]));
  for (const c of after.committee) {
    const was = nodes.get(c.node);
    if (!was) changes.push(`committee server ${c.node} is new`);
    else if (key(was) !== key(c)) {
      // Which expected registers move for the node: what its evidence must now match.
      const regsOf = (pub: Publication, names: string[]) => {
        const out: Record<string, string[]> = {};
        for (const set of pub.referenceValues.committee.filter((s) => names.includes(s.name))) for (const [r, v] of Object.entries(set.registers)) out[r] = [...(out[r] ?? []), v.value].sort();
        return out;
      };
      const a = regsOf(before, was.referenceSets);
      const b = regsOf(after, c.referenceSets);
      const moved = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((r) => key(a[r] ?? []) !== key(b[r] ?? [])).sort();
      changes.push(`committee server ${c.node}: ${was.platform} ${was.machineType} [${was.referenceSets.join(", ")}] -> ${c.platform} ${c.machineType} [${c.referenceSets.join(", ")}]${moved.length ? `; expected ${moved.join(", ")} move` : ""}`);
    }
  }
  for (const list of ["committee", "clients"] as const) {
    const sets = new Map(before.referenceValues[list].map((s) => [s.name, s]));
    for (const set of after.referenceValues[list]) {
      const was = sets.get(set.name);
      if (!was) changes.push(`reference set ${list}/${set.name} is new`);
      else if (key(was) !== key(set)) {
        const regs = [...new Set([...Object.keys(was.registers), ...Object.keys(set.registers)])].filter((r) => key(was.registers[r] ?? null) !== key(set.registers[r] ?? null));
        const other = key({ ...was, registers: {} }) !== key({ ...set, registers: {} }) ? ["platform or machine types"] : [];
        changes.push(`reference set ${list}/${set.name} changed: ${[...regs, ...other].join(", ")}`);
      }
    }
    for (const name of sets.keys()) if (!after.referenceValues[list].some((s) => s.name === name)) changes.push(`reference set ${list}/${name} removed`);
  }
  if (key(before.images) !== key(after.images)) changes.push("server images changed");
  if (before.epoch !== after.epoch) changes.push(`epoch ${before.epoch} -> ${after.epoch}`);
  if (!changes.length && key(before) !== key(after)) {
    const fields = (Object.keys(after) as (keyof Publication)[]).filter((k) => key(before[k] ?? null) !== key(after[k] ?? null));
    changes.push(`${fields.join(", ")} changed`);
  }
  return changes;
}

/** The exact bytes of `publication.json` (and of what is signed): canonical JSON + "\n". */
export function renderPublication(pub: Publication): string {
  return `${canonicalJson(pub)}\n`;
}

/** Renders and signs: `json` is the file content, `signature` the base64 detached signature (no newline). */
export function signPublication(pub: Publication, privateKey: KeyObject | string): { json: string; signature: string } {
  const json = renderPublication(pub);
  return { json, signature: sign(json, privateKey) };
}

const isString = (v: unknown): v is string => typeof v === "string";
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** Why a value is not a reference set (registers of its platform, of their sizes), or undefined. */
export function referenceSetProblem(value: unknown): string | undefined {
  const set = value as Record<string, unknown> | null;
  if (!set || typeof set !== "object" || Array.isArray(set)) return "not an object";
  if (!isString(set.name) || !(PLATFORMS as readonly unknown[]).includes(set.platform) || !isStringArray(set.machineTypes)) return "expected {name, platform, machineTypes, registers}";
  const allowed = PLATFORM_REGISTERS[set.platform as Platform];
  const regs = set.registers as Record<string, unknown> | null;
  if (!regs || typeof regs !== "object" || Array.isArray(regs)) return "registers must be an object";
  for (const [name, r] of Object.entries(regs)) {
    const reg = r as Record<string, unknown> | null;
    const size = allowed[name];
    if (size === undefined) return `${name} is not a register of ${String(set.platform)}`;
    if (!reg || !isString(reg.value) || !new RegExp(`^[0-9a-f]{${size * 2}}$`).test(reg.value) || typeof reg.enforce !== "boolean") return `registers.${name} must be {value: ${size * 2} lowercase hex, enforce: boolean}`;
  }
  return undefined;
}

/** Why `value` is not a well-formed v2 publication, or undefined when it is. */
export function publicationShapeProblem(value: unknown): string | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return "not a zipnet publication: not a JSON object";
  const v = value as Record<string, unknown>;
  if (v.schema !== PUBLICATION_SCHEMA) return `not a zipnet publication: schema is ${JSON.stringify(v.schema) ?? "missing"}, expected "${PUBLICATION_SCHEMA}"`;
  const known = ["schema", "instance", "universe", "posture", "epoch", "referenceValues", "pins", "committee", "images", "faultDomains"];
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length > 0) return `malformed publication: unknown field(s) ${unknown.join(", ")}`;
  if (!isString(v.instance) || v.instance === "") return "malformed publication: instance must be a non-empty string";
  if (!isString(v.universe)) return "malformed publication: universe must be a string (\"\" = shared)";
  if (v.posture !== "production" && v.posture !== "devtest") return "malformed publication: posture must be production or devtest";
  if (!Number.isSafeInteger(v.epoch) || (v.epoch as number) < 0) return "malformed publication: epoch must be a non-negative integer";
  const rv = v.referenceValues as Record<string, unknown> | undefined;
  for (const list of ["committee", "clients"] as const) {
    const sets = rv && typeof rv === "object" ? rv[list] : undefined;
    if (!Array.isArray(sets)) return `malformed publication: referenceValues.${list} must be a list of reference sets`;
    for (const [i, set] of sets.entries()) {
      const problem = referenceSetProblem(set);
      if (problem) return `malformed publication: referenceValues.${list}[${i}]: ${problem}`;
    }
  }
  if (!v.pins || typeof v.pins !== "object" || Array.isArray(v.pins)) return "malformed publication: pins must be an object";
  if (!Array.isArray(v.committee)) return "malformed publication: committee must be a list";
  for (const [i, c] of v.committee.entries()) {
    const m = c as Record<string, unknown> | null;
    if (!m || typeof m !== "object" || !isString(m.node) || !isString(m.platform) || !isString(m.machineType) || !isStringArray(m.referenceSets)) {
      return `malformed publication: committee[${i}] must be {node, platform, machineType, referenceSets}`;
    }
  }
  const images = v.images;
  if (!images || typeof images !== "object" || Array.isArray(images)) return "malformed publication: images must be an object";
  for (const [cloud, ref] of Object.entries(images)) {
    if (!["gcp", "azure", "aws"].includes(cloud) || !isString(ref)) return `malformed publication: images.${cloud} must be a gcp/azure/aws image reference`;
  }
  if (!Array.isArray(v.faultDomains)) return "malformed publication: faultDomains must be a list";
  for (const [i, fd] of v.faultDomains.entries()) {
    const f = fd as Record<string, unknown> | null;
    const ok =
      f !== null &&
      typeof f === "object" &&
      ["node", "account", "region", "operator"].every((k) => isString(f[k])) &&
      (f.role === "committee" || f.role === "aggregator") &&
      (f.cloud === "gcp" || f.cloud === "azure" || f.cloud === "aws");
    if (!ok) return `malformed publication: faultDomains[${i}] must be {node, role, cloud, account, region, operator}`;
  }
  return undefined;
}

/**
 * Verifies a publication file against its detached signature and a public key (SPKI PEM or
 * base64 raw). Verifies the exact bytes given: pass the file's raw bytes (or its UTF-8 text).
 * Never throws. Reasons, checked in this order: unreadable public key; malformed signature;
 * not JSON / not a zipnet publication (wrong file); bad signature; malformed publication.
 */
export function verifyPublication(jsonText: string | Uint8Array, signatureBase64: string, publicKeyText: string): VerifyPublicationResult {
  let key: KeyObject;
  try {
    key = loadPublicKey(publicKeyText);
  } catch (err) {
    return { ok: false, input: true, reason: `unreadable public key: ${err instanceof KeyFormatError ? err.message : "not an Ed25519 key"}` };
  }
  if (!decodeSignature(signatureBase64)) {
    return { ok: false, input: true, reason: "malformed signature: expected base64 of a 64-byte Ed25519 signature" };
  }
  const text = typeof jsonText === "string" ? jsonText : Buffer.from(jsonText.buffer, jsonText.byteOffset, jsonText.byteLength).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not a zipnet publication: the file is not JSON" };
  }
  if (value && typeof value === "object" && (value as Record<string, unknown>).schema === "zipnet-publication/v1") {
    return { ok: false, input: true, reason: `a ${"zipnet-publication/v1"} publication: this version reads ${PUBLICATION_SCHEMA} (reference sets per platform); render it again with plan --report and sign it` };
  }
  if (!value || typeof value !== "object" || (value as Record<string, unknown>).schema !== PUBLICATION_SCHEMA) {
    return { ok: false, reason: publicationShapeProblem(value) ?? "not a zipnet publication" };
  }
  if (!verify(jsonText, signatureBase64, key)) {
    return { ok: false, reason: "bad signature: the file or the signature was altered, or it was signed by another key" };
  }
  const problem = publicationShapeProblem(value);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, publication: value as Publication };
}

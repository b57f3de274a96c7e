/**
 * Reference values: which registers a platform's TDX evidence carries and how big each is, and
 * which platform a committee server's cloud is. docs/measurements.md says what each register
 * measures and cites the sources. Pure data: the config, the publication and the pack share it.
 */
export const PLATFORMS = ["gcp-tdx", "azure-tdx", "qemu-tdx"] as const;
export type Platform = (typeof PLATFORMS)[number];

const RTMRS = ["rtmr0", "rtmr1", "rtmr2", "rtmr3"] as const;
const PCRS = Array.from({ length: 24 }, (_, i) => `pcr${i}`);

/** Register name -> size in bytes, per platform. */
export const PLATFORM_REGISTERS: Readonly<Record<Platform, Readonly<Record<string, number>>>> = {
  "gcp-tdx": Object.fromEntries([["mrtd", 48], ...RTMRS.map((r) => [r, 48])]),
  "qemu-tdx": Object.fromEntries([["mrtd", 48], ...RTMRS.map((r) => [r, 48])]),
  // MR_TD of the paravisor as Azure reports it; the guest is measured in the vTPM's SHA-256 PCRs.
  "azure-tdx": Object.fromEntries([["mrtd", 48], ...PCRS.map((p) => [p, 32])]),
};

/** The registers that bind the guest image (docs/measurements.md); production enforces them. */
export const IMAGE_REGISTERS: Readonly<Record<Platform, readonly string[]>> = {
  "gcp-tdx": ["rtmr1", "rtmr2"],
  "qemu-tdx": ["rtmr1", "rtmr2"],
  "azure-tdx": ["pcr4", "pcr9"],
};

/** The platform a committee server on this cloud runs as (AWS has no TDX). */
export function committeePlatform(cloud: string): Platform | undefined {
  return cloud === "gcp" ? "gcp-tdx" : cloud === "azure" ? "azure-tdx" : undefined;
}

/**
 * Why a platform cannot host a committee server of a TDX-gated instance, or undefined. mosaik reads
 * TDX quotes only through configfs-tsm, which an Azure TDX guest lacks (docs/measurements.md).
 */
export function tdxGatedRefusal(platform: Platform): string | undefined {
  return platform === "azure-tdx"
    ? "an Azure TDX guest has no configfs-tsm tdx_guest provider (the paravisor hides TDX from it), and mosaik reads TDX quotes only through configfs-tsm: it cannot produce the TDX ticket a production committee requires (docs/measurements.md)"
    : undefined;
}

export interface RegisterValue {
  /** Lowercase hex of the register's bytes. */
  value: string;
  /** Required by the committee's validator (require_mrtd / require_rtmrN), or published and warned on only. */
  enforce: boolean;
}

export interface ReferenceSet {
  /** Unique within its list, e.g. `server-v1.4.0`; several sets allow rolling upgrades. */
  name: string;
  platform: Platform;
  /** The machine types (sizes) the set holds for; gcp-tdx RTMR0 differs per type. Empty: any. */
  machineTypes: string[];
  registers: Record<string, RegisterValue>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The reference sets a posture record holds in `tdx.<list>`, as this contract reads them:
 * malformed entries are left out (identity.mrtd-published and client.mrtd-allowlist judge those).
 */
export function recordReferenceSets(record: unknown, list: "committee" | "clients"): ReferenceSet[] {
  const tdx = isObject(record) ? record.tdx : undefined;
  const sets = isObject(tdx) && Array.isArray(tdx[list]) ? tdx[list] : [];
  return sets.filter(
    (s): s is ReferenceSet =>
      isObject(s) && typeof s.name === "string" && (PLATFORMS as readonly unknown[]).includes(s.platform) && Array.isArray(s.machineTypes) && isObject(s.registers),
  );
}

/** The sets a node of this platform and machine type boots against. */
export function setsFor(sets: readonly ReferenceSet[], platform: Platform, machineType: string): ReferenceSet[] {
  return sets.filter((s) => s.platform === platform && (s.machineTypes.length === 0 || s.machineTypes.includes(machineType)));
}

/** What each register binds, per platform (docs/measurements.md), in a few words. */
const MEANING: Readonly<Record<Platform, Readonly<Record<string, string>>>> = {
  "gcp-tdx": { mrtd: "Google's firmware", rtmr0: "machine type and firmware config", rtmr1: "boot loader and kernel", rtmr2: "command line and initrd", rtmr3: "guest-extended (runtime)" },
  "qemu-tdx": { mrtd: "the shipped OVMF", rtmr0: "the host's TD HOB and ACPI", rtmr1: "kernel", rtmr2: "command line and initrd", rtmr3: "guest-extended (runtime)" },
  "azure-tdx": { mrtd: "Microsoft's paravisor", pcr4: "boot loader, kernel, initrd, command line", pcr7: "Secure Boot state", pcr9: "initrd and command line", pcr11: "unified kernel image" },
};

export interface MeasurementRow {
  node: string;
  platform: Platform | "none";
  machineType: string;
  sets: string[];
  /** What the enforced registers of the node's sets bind. */
  binds: string[];
  /** What they leave unbound: the platform's image registers not enforced, or why nothing is. */
  unbound: string[];
}

/** Per committee server: its platform, machine type, sets, and what the hardware binds and does not. */
export function measurementRows(sets: readonly ReferenceSet[], nodes: readonly { id: string; cloud: string; machineType: string; confidential: boolean }[]): MeasurementRow[] {
  return nodes.map((n) => {
    const platform = n.confidential ? committeePlatform(n.cloud) : undefined;
    if (!platform) return { node: n.id, platform: "none", machineType: n.machineType, sets: [], binds: [], unbound: ["everything: not a TDX guest"] };
    const mine = setsFor(sets, platform, n.machineType);
    const enforced = [...new Set(mine.flatMap((s) => Object.keys(s.registers).filter((r) => s.registers[r].enforce)))].sort();
    const refusal = tdxGatedRefusal(platform);
    const meaning = (r: string) => `${MEANING[platform][r] ?? r} (${r})`;
    return {
      node: n.id,
      platform,
      machineType: n.machineType,
      sets: mine.map((s) => s.name),
      binds: refusal ? [] : enforced.map(meaning),
      unbound: refusal
        ? ["everything mosaik checks: no TDX ticket on this platform"]
        : mine.length === 0
          ? ["everything: no reference set for this platform and machine type"]
          : IMAGE_REGISTERS[platform].filter((r) => !enforced.includes(r)).map(meaning),
    };
  });
}

/** Shared predicates of several policy areas: TDX settings, instance-name grammar, dates, MR_TDs. */
import { AWS_VM, AZURE_VM, GCP_VM, ZIPNET_INSTANCE_TYPE, recordOf, type ResourceView } from "./resources";
import type { ResourceContext } from "./policy";
import { IMAGE_REGISTERS, PLATFORMS, tdxGatedRefusal, type Platform } from "../../contract/measurements";
import { at, bool, isUnknown, lastSegment } from "./values";
import { isMrtd } from "../../contract/patterns";

export { isValidInstanceName } from "../../contract/patterns";
/** A label value: GCP allows [a-z0-9_-] only (the instance name with . -> _); other clouds may keep the dots. */
export const LABEL_VALUE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export { isMrtd };
/** Azure TDX sizes: DCesv6, DCedsv6, ECesv6, ECedsv6. */
export const AZURE_TDX_SIZE = /^Standard_[DE]C\d+e(d)?s_v6$/i;
export const AZURE_ENCRYPTION_TYPES = ["DiskWithVMGuestState", "VMGuestStateOnly", "NonPersistedTPM"];


/** The record of a ZipnetInstance view, or undefined for other resources. */
export function recordOfView(r: ResourceView): Record<string, any> | undefined {
  return r.type === ZIPNET_INSTANCE_TYPE ? recordOf(r.props) : undefined;
}

export const DAY_MS = 86_400_000;

/** Parses `YYYY-MM-DD` (or an ISO timestamp); undefined when not a real date. */
export function parseDate(v: unknown): Date | undefined {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) return undefined;
  if (v.length === 10 && d.toISOString().slice(0, 10) !== v) return undefined; // 2026-02-30
  return d;
}

export function ageDays(date: Date, now: Date): number {
  return Math.floor((now.getTime() - date.getTime()) / DAY_MS);
}

/** The label/tag property of a resource type, for messages. */
export function labelProp(type: string): string {
  return type.startsWith("gcp:") ? "labels" : "tags";
}

export type TdxVerdict = { tdx: boolean | undefined; problems: Array<{ path: string; expected: string; found: unknown }>; unknown: string[] };

/** Whether a VM is a TDX guest with the settings the checklist needs; problems list what is not. */
export function tdxProblems(r: ResourceView): TdxVerdict {
  const p = r.props;
  const problems: TdxVerdict["problems"] = [];
  const unknown: string[] = [];
  const need = (path: string, expected: string, found: unknown, ok: boolean) => {
    if (isUnknown(found)) unknown.push(path);
    else if (!ok) problems.push({ path, expected, found });
  };
  if (r.type === GCP_VM) {
    const type = at(p, "confidentialInstanceConfig", "confidentialInstanceType");
    need("confidentialInstanceConfig.confidentialInstanceType", '"TDX"', type, type === "TDX");
    const ohm = at(p, "scheduling", "onHostMaintenance");
    need("scheduling.onHostMaintenance", '"TERMINATE" (TDX guests cannot live-migrate)', ohm, typeof ohm === "string" && ohm.toUpperCase() === "TERMINATE");
    const mt = p.machineType;
    need("machineType", "a c3-* machine type (GCP TDX)", mt, typeof mt === "string" && /^c3-/.test(lastSegment(mt)));
    for (const k of ["enableSecureBoot", "enableVtpm", "enableIntegrityMonitoring"]) {
      const v = at(p, "shieldedInstanceConfig", k);
      need(`shieldedInstanceConfig.${k}`, "true", v, bool(v) === true);
    }
    return { tdx: isUnknown(type) ? undefined : type === "TDX", problems, unknown };
  }
  if (r.type === AZURE_VM) {
    const st = at(p, "securityProfile", "securityType");
    need("securityProfile.securityType", '"ConfidentialVM"', st, st === "ConfidentialVM");
    for (const k of ["secureBootEnabled", "vTpmEnabled"]) {
      const v = at(p, "securityProfile", "uefiSettings", k);
      need(`securityProfile.uefiSettings.${k}`, "true", v, bool(v) === true);
    }
    const size = at(p, "hardwareProfile", "vmSize");
    need("hardwareProfile.vmSize", "a TDX size (Standard_DC*es_v6, DC*eds_v6, EC*es_v6, EC*eds_v6)", size, typeof size === "string" && AZURE_TDX_SIZE.test(size));
    const enc = at(p, "storageProfile", "osDisk", "managedDisk", "securityProfile", "securityEncryptionType");
    need("storageProfile.osDisk.managedDisk.securityProfile.securityEncryptionType", `one of ${AZURE_ENCRYPTION_TYPES.join(", ")}`, enc, typeof enc === "string" && AZURE_ENCRYPTION_TYPES.includes(enc));
    const tdx = isUnknown(st) || isUnknown(size) ? undefined : st === "ConfidentialVM" && typeof size === "string" && AZURE_TDX_SIZE.test(size);
    return { tdx, problems, unknown };
  }
  if (r.type === AWS_VM) return { tdx: false, problems: [{ path: "type", expected: "a GCP or Azure TDX VM (AWS offers no Intel TDX guests)", found: "aws:ec2/instance:Instance" }], unknown };
  return { tdx: undefined, problems, unknown };
}


/**
 * The MR_TDs of the record's `tdx.<list>` reference sets (docs/measurements.md): production needs
 * at least one set, each with an enforced 96-hex MR_TD; any posture refuses a malformed one.
 */
export function checkReferenceMrtds(rec: Record<string, unknown>, list: "committee" | "clients", ctx: Pick<ResourceContext, "posture" | "fail" | "unknown">, what: string): void {
  const value = at(rec, "tdx", list);
  if (isUnknown(value)) return ctx.unknown(`tdx.${list}`);
  const sets = Array.isArray(value) ? value : [];
  if (ctx.posture === "production" && sets.length === 0) ctx.fail(`tdx.${list}`, `at least one ${what} (with an enforced 96-hex MR_TD) in production`, value ?? []);
  sets.forEach((set, i) => {
    const mrtd = at(set, "registers", "mrtd");
    if (isUnknown(mrtd)) return ctx.unknown(`tdx.${list}[${i}].registers.mrtd`);
    const v = at(mrtd, "value");
    if (!(typeof v === "string" && isMrtd(v))) ctx.fail(`tdx.${list}[${i}].registers.mrtd.value`, "96 hex characters (a 48-byte MR_TD)", v);
    else if (ctx.posture === "production" && at(mrtd, "enforce") !== true) ctx.fail(`tdx.${list}[${i}].registers.mrtd.enforce`, "true (the validator requires the MR_TD in production)", at(mrtd, "enforce"));
    // Production also enforces the registers that bind the image (docs/measurements.md), on platforms that produce tickets.
    const platform = at(set, "platform");
    if (ctx.posture !== "production" || typeof platform !== "string" || !(PLATFORMS as readonly string[]).includes(platform) || tdxGatedRefusal(platform as Platform)) return;
    for (const reg of IMAGE_REGISTERS[platform as Platform]) {
      const r = at(set, "registers", reg);
      if (isUnknown(r)) ctx.unknown(`tdx.${list}[${i}].registers.${reg}`);
      else if (at(r, "enforce") !== true) ctx.fail(`tdx.${list}[${i}].registers.${reg}`, `an enforced ${reg} (it binds the image on ${platform})`, r);
    }
  });
}

/**
 * The zipnet boot contract (docs/boot-contract.md) as a VM carries it: GCP metadata
 * `user-data`, Azure `userData` (base64) or `osProfile.customData`, AWS `userData` (or
 * `userDataBase64`). Also returns every readable user-data text for scans.
 */
import { AWS_VM, AZURE_VM, GCP_VM, normalizeType } from "./resources";
import { UNKNOWN, at, decodeBase64Text, isObject, isUnknown, parseJson, type Unknown } from "./values";

export interface BootSource {
  /** Property path of the source, for messages. */
  path: string;
  /** The readable text (base64 decoded where needed). */
  text: string;
}

export interface Boot {
  /** The parsed zipnet boot contract, when one is found. */
  contract?: Record<string, any>;
  /** Where the contract came from. */
  contractPath?: string;
  /** Every readable user-data/metadata text. */
  sources: BootSource[];
  /** Some source exists but cannot be read (unknown in preview, hashed in state). */
  unreadable: boolean;
}

function candidates(type: string, props: Record<string, any>): Array<[string, unknown]> {
  switch (normalizeType(type)) {
    case GCP_VM: {
      const metadata = props.metadata;
      const out: Array<[string, unknown]> = [["metadataStartupScript", props.metadataStartupScript]];
      if (isUnknown(metadata)) out.push(["metadata", UNKNOWN]);
      else if (isObject(metadata)) for (const [k, v] of Object.entries(metadata)) out.push([`metadata.${k}`, v]);
      return out;
    }
    case AZURE_VM:
      return [["userData", props.userData], ["osProfile.customData", at(props, "osProfile", "customData")]];
    case AWS_VM:
      return [["userData", props.userData], ["userDataBase64", props.userDataBase64]];
    default:
      return [];
  }
}

/** Terraform stores aws_instance user_data as its SHA-1 in state: not readable. */
const HASHED = /^[0-9a-f]{40}$/;

export function bootOf(r: { type: string; props: Record<string, any> }): Boot {
  const boot: Boot = { sources: [], unreadable: false };
  for (const [path, value] of candidates(r.type, r.props ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    if (isUnknown(value) || typeof value !== "string") {
      if (isUnknown(value)) boot.unreadable = true;
      continue;
    }
    if (HASHED.test(value)) {
      boot.unreadable = true;
      continue;
    }
    const text = decodeBase64Text(value) ?? value;
    boot.sources.push({ path, text });
    if (!boot.contract) {
      const parsed = parseJson(text);
      if (isObject(parsed) && typeof parsed.schema === "string" && parsed.schema.startsWith("zipnet-boot")) {
        boot.contract = parsed;
        boot.contractPath = path;
      }
    }
  }
  return boot;
}

/** The boot contract's env (plain strings), or undefined. */
export function bootEnv(boot: Boot): Record<string, any> | undefined {
  const env = boot.contract?.env;
  return isObject(env) ? env : undefined;
}

/** The port of a `host:port` bind address (ZIPNET_METRICS). */
export function bindPort(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = value.match(/:(\d{1,5})$/);
  return m ? Number(m[1]) : undefined;
}

/** The value of `NAME=value` / `NAME: value` / `"NAME":"value"` in free text (env files, cloud-init). */
export function envFromText(text: string, name: string): string | Unknown | undefined {
  const re = new RegExp(`\\b${name}\\b["']?\\s*[=:]\\s*["']?([^"'\\s,}]*)`);
  const m = text.match(re);
  return m ? m[1] : undefined;
}

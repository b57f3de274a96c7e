/**
 * The plan in the shape of `pulumi stack export` (version 3): what `plan --json` writes and
 * what `audit` reads (it reads real stack exports the same way). Secret values are redacted
 * the way an export without --show-secrets shows them: the secret signature and a ciphertext
 * placeholder, never the value.
 */
import { SECRET_SIG, SECRET_SIG_KEY } from "../contract/wire";
import type { RecordedResource } from "./engine";

export const REDACTED = "[redacted]";

export interface StateResource {
  urn: string;
  custom: boolean;
  type: string;
  id?: string;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  protect?: boolean;
  retainOnDelete?: boolean;
  deletedWith?: string;
}

export interface StateFile {
  version: 3;
  deployment: {
    manifest: { time: string; magic: string; version: string };
    resources: StateResource[];
  };
}

/** Whether a wire value is a wrapped secret. */
export function isSecretValue(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret (at any depth) with the redacted envelope. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return { [SECRET_SIG_KEY]: SECRET_SIG, ciphertext: REDACTED };
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

export function toStateFile(resources: RecordedResource[], generator: string): StateFile {
  return {
    version: 3,
    deployment: {
      manifest: { time: new Date().toISOString(), magic: "", version: generator },
      resources: resources.map((r) => ({
        urn: r.urn,
        custom: r.custom,
        type: r.type,
        ...(r.id ? { id: r.id } : {}),
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
        ...(r.dependencies.length ? { dependencies: r.dependencies } : {}),
        inputs: redactSecrets(r.inputs) as Record<string, unknown>,
        ...(r.protect ? { protect: true } : {}),
        ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
        ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
      })),
    },
  };
}

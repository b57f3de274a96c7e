/**
 * `pulumi stack export` documents (apitype UntypedDeployment / DeploymentV3, docs/engine.md):
 * what `plan --json` writes and what `audit` reads. Version 3, or 4 with `features` when a
 * resource uses one (resource hooks: `hooks`), exactly as the CLI decides. Secrets are written as
 * an export without `--show-secrets` shows them: the secret signature and a ciphertext, never the
 * value.
 */
import { SECRET_SIG, SECRET_SIG_KEY } from "../../policies/contract/wire";
import type { RecordedResource } from "./engine/model";

/** The ciphertext `plan --json` writes for every secret (there is no secrets provider offline). */
export const REDACTED = "[redacted]";

/** Export feature flags the CLI writes (pkg/resource/stack/deployment.go) and this audit reads. */
export const KNOWN_FEATURES = ["byteString", "extensionParameterization", "hooks", "refreshBeforeUpdate", "replaceWith", "snippets-prototype", "taint", "views"];

export interface StateResource {
  urn: string;
  custom: boolean;
  /** Pending deletion (a replaced resource): not live. */
  delete?: boolean;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  protect?: boolean;
  /** Provider reference `URN::ID`. */
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  additionalSecretOutputs?: string[];
  retainOnDelete?: boolean;
  deletedWith?: string;
  ignoreChanges?: string[];
  replaceOnChanges?: string[];
  /** Known only to the engine during a run (exports do not hold it): replacement deletes first. */
  deleteBeforeReplace?: boolean;
  /** Hook names by type (`BeforeDelete`, ...). */
  resourceHooks?: Record<string, string[]>;
}

export interface StateFile {
  version: 3 | 4;
  features?: string[];
  deployment: {
    manifest: { time: string; magic: string; version: string };
    secrets_providers?: { type: string; state?: unknown };
    resources: StateResource[];
    pending_operations?: Array<{ resource: StateResource; type: string }>;
    metadata?: Record<string, unknown>;
  };
}

/** Whether a wire value is a wrapped secret. */
export function isSecretValue(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret (at any depth) with the envelope an export without --show-secrets holds. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return { [SECRET_SIG_KEY]: SECRET_SIG, ciphertext: REDACTED };
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** `beforeDelete` (the SDK's name) -> `BeforeDelete` (the export's HookType). */
function hookType(event: string): string {
  return event.charAt(0).toUpperCase() + event.slice(1);
}

/** One engine resource as the export holds it; `secrets` says whether secret values stay. */
export function toStateResource(r: RecordedResource, secrets: "redact" | "keep"): StateResource {
  const wire = (v: Record<string, unknown>) => (secrets === "redact" ? (redactSecrets(v) as Record<string, unknown>) : v);
  const hooks = Object.entries(r.hooks);
  return {
    urn: r.urn,
    custom: r.custom,
    type: r.type,
    ...(r.id ? { id: r.id } : {}),
    inputs: wire(r.inputs),
    outputs: wire(r.outputs),
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.protect ? { protect: true } : {}),
    ...(r.provider ? { provider: r.provider } : {}),
    ...(r.dependencies.length ? { dependencies: r.dependencies } : {}),
    ...(Object.keys(r.propertyDependencies).length ? { propertyDependencies: r.propertyDependencies } : {}),
    ...(r.additionalSecretOutputs.length ? { additionalSecretOutputs: r.additionalSecretOutputs } : {}),
    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
    ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
    ...(r.ignoreChanges.length ? { ignoreChanges: r.ignoreChanges } : {}),
    ...(r.replaceOnChanges.length ? { replaceOnChanges: r.replaceOnChanges } : {}),
    ...(hooks.length ? { resourceHooks: Object.fromEntries(hooks.map(([event, names]) => [hookType(event), names])) } : {}),
  };
}

/** The export's version and features, as the CLI derives them from its resources. */
export function versionOf(resources: StateResource[]): { version: 3 | 4; features?: string[] } {
  const features = new Set<string>();
  for (const r of resources) if (r.resourceHooks && Object.keys(r.resourceHooks).length) features.add("hooks");
  return features.size ? { version: 4, features: [...features].sort() } : { version: 3 };
}

export function toStateFile(resources: RecordedResource[], generator: string, secrets: "redact" | "keep" = "redact"): StateFile {
  const state = resources.map((r) => toStateResource(r, secrets));
  return {
    ...versionOf(state),
    deployment: {
      manifest: { time: new Date().toISOString(), magic: "", version: generator },
      resources: state,
      metadata: {},
    },
  };
}

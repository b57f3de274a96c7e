/**
 * Stack exports as `pulumi stack export` writes them after a `pulumi up` of a plan, field by field
 * after apitype.UntypedDeployment / DeploymentV3 (docs/engine.md): a manifest with the CLI's
 * version and magic, a passphrase secrets provider, provider ids that are UUIDs (references
 * rewritten to match), created/modified times, resource hooks as `resourceHooks` with the engine's
 * HookType names, and secrets as ciphertext or, like `--show-secrets`, as the JSON text of the value.
 */
import { createHash } from "node:crypto";
import { SECRET_SIG, SECRET_SIG_KEY } from "../../policies/contract/wire";
import { pseudoUuid } from "../../src/offline/engine/cloud";
import type { Plan } from "../../src/offline/plan";
import { toStateResource, versionOf, type StateFile, type StateResource } from "../../src/offline/stateFile";

export type ExportKind = "v3" | "v4" | "encrypted" | "show-secrets";

const CLI_VERSION = "v3.199.0";
const TIME = "2026-11-20T10:11:12.123456789Z";

function mapSecrets(value: unknown, fn: (inner: unknown) => Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, fn));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG_KEY] === SECRET_SIG) return { [SECRET_SIG_KEY]: SECRET_SIG, ...fn(obj.value) };
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, mapSecrets(v, fn)]));
  }
  return value;
}

/**
 * The export of `plan` as if it had been deployed. `v4` keeps the wipe hooks (so `features:
 * ["hooks"]`); `v3` is the same stack without hooks; `encrypted` and `show-secrets` are v4 with
 * secrets as ciphertext or plaintext (v3/v4 carry ciphertext too).
 */
export function exportOf(plan: Plan, kind: ExportKind): StateFile {
  const providerIds = new Map<string, string>();
  for (const r of plan.resources) if (r.type.startsWith("pulumi:providers:")) providerIds.set(r.urn, pseudoUuid(`deployed:${r.urn}`));
  const secret = (inner: unknown): Record<string, unknown> => {
    const text = JSON.stringify(inner ?? null);
    if (kind === "show-secrets") return { plaintext: text };
    return { ciphertext: `v1:${createHash("sha256").update(text).digest("base64").slice(0, 16)}:${Buffer.from(text).toString("base64").length}` };
  };
  const resources: StateResource[] = plan.resources.map((r) => {
    const s = toStateResource(r, "keep");
    const out: StateResource & Record<string, unknown> = {
      ...s,
      inputs: mapSecrets(s.inputs, secret) as Record<string, unknown>,
      outputs: mapSecrets(s.outputs, secret) as Record<string, unknown>,
      ...(providerIds.has(r.urn) ? { id: providerIds.get(r.urn) } : {}),
      ...(r.provider ? { provider: `${r.provider.slice(0, r.provider.lastIndexOf("::"))}::${providerIds.get(r.provider.slice(0, r.provider.lastIndexOf("::")))}` } : {}),
      created: TIME,
      modified: TIME,
    };
    if (kind === "v3") delete out.resourceHooks;
    return out;
  });
  return {
    ...versionOf(resources),
    deployment: {
      manifest: { time: TIME, magic: createHash("sha256").update(CLI_VERSION).digest("hex"), version: CLI_VERSION },
      secrets_providers: { type: "passphrase", state: { salt: "v1:6Yf0Tq0V1H4=:v1:Q2mV2u7tX2s0kq1n:8c9vQ0y0n2pX0w==" } },
      resources,
      metadata: {},
    },
  };
}

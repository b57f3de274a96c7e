/** Shared test helpers: example stack configs, offline plans, and queries over registrations. */
import { readStackConfig, stackFilePath } from "../../src/config/stackFile";
import type { InstanceConfig } from "../../src/config/schema";
import { parseInstanceConfig } from "../../src/config/validate";
import { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_VALUE as UNKNOWN } from "../../policies/contract/wire";
import type { RecordedResource } from "../../src/offline/engine/model";
import type { Plan } from "../../src/offline/plan";
import { planInstance } from "../../src/offline/planInProcess";

export const EXAMPLE_STACKS = ["acme.mainnet", "acme.preview"] as const;

/** The raw `zipnet-infra:instance` value of an example stack (a fresh deep copy). */
export function rawExample(stack: string): any {
  return structuredClone(readStackConfig(stackFilePath(stack)));
}

/**
 * acme.mainnet with committee server c2 on Azure (westeurope), as the config refuses since an Azure
 * TDX guest cannot produce mosaik's ticket (docs/measurements.md). Built past the config check, for
 * the tests of the Azure node builder, the Azure rules and the pack in production posture; the
 * pack's committee.tdx:reference refuses it (mandatory).
 */
export const AZURE_MAINNET = "acme.mainnet+azure";

/** The stack (and instance) name a test stack plans as. */
export function stackOf(stack: string): string {
  return stack === AZURE_MAINNET ? "acme.mainnet" : stack;
}

export function exampleConfig(stack: string, mutate?: (raw: any) => void): InstanceConfig {
  const raw = rawExample(stackOf(stack));
  mutate?.(raw);
  const config = parseInstanceConfig(raw);
  if (stack !== AZURE_MAINNET) return config;
  const c2 = config.committee.findIndex((n) => n.id === "c2");
  config.committee[c2] = { ...config.committee[c2], cloud: "azure", account: "4f1c2b3a-8d7e-4c6b-9a5f-1e2d3c4b5a69", region: "westeurope", zone: undefined };
  // What an operator targeting Azure would write: a reference set of its platform (the paravisor's
  // MR_TD and the vTPM's image PCRs), so c2 gets its attested Vault role like any committee server.
  config.tdx.committee.push({
    name: "server-v1.4.0-azure",
    platform: "azure-tdx",
    machineTypes: [],
    registers: { mrtd: { value: "a1".repeat(48), enforce: true }, pcr4: { value: "b2".repeat(32), enforce: true }, pcr9: { value: "c3".repeat(32), enforce: true } },
  });
  config.images.azure = "/subscriptions/0b6e2a61-5d1c-4a8e-9f3b-2c7d8e9f0a1b/resourceGroups/acme-images/providers/Microsoft.Compute/galleries/acmezipnet/images/zipnet-server-tdx/versions/1.4.0";
  return config;
}

const cache = new Map<string, Promise<Plan>>();

/** The offline plan of an example stack (preview mode), cached per stack. */
export function examplePlan(stack: string): Promise<Plan> {
  if (!cache.has(stack)) cache.set(stack, planInstance(exampleConfig(stack), stackOf(stack)));
  return cache.get(stack)!;
}

export function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** Resources labelled/tagged with a node id (GCP labels, Azure/AWS tags). */
export function labelsOf(r: RecordedResource): Record<string, string> | undefined {
  const labels = (r.inputs.labels ?? r.inputs.tags) as Record<string, string> | undefined;
  return labels && typeof labels === "object" ? labels : undefined;
}

export function nodeOf(r: RecordedResource): string | undefined {
  return labelsOf(r)?.["zipnet-node"];
}

/** The component a resource belongs to: its node id (from the parent URN) or `secrets`. */
export function ownerOf(r: RecordedResource): string {
  return r.parent.split("::").pop() ?? "";
}

export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as any)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Every string leaf of a wire value that is NOT inside a secret envelope, with its path. */
export function plainStrings(value: unknown, path = ""): Array<{ path: string; value: string }> {
  if (isSecret(value)) return [];
  if (typeof value === "string") return value === UNKNOWN ? [] : [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainStrings(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => plainStrings(v, path ? `${path}.${k}` : k));
  return [];
}

/** Inputs keyed by URN, for diffing two plans. */
export function inputsByUrn(resources: RecordedResource[]): Map<string, string> {
  return new Map(resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
}

/** URNs whose inputs differ between two plans, plus those only in one. */
export function diffPlans(before: RecordedResource[], after: RecordedResource[]) {
  const a = inputsByUrn(before);
  const b = inputsByUrn(after);
  return {
    removed: [...a.keys()].filter((u) => !b.has(u)).sort(),
    added: [...b.keys()].filter((u) => !a.has(u)).sort(),
    changed: [...a.keys()].filter((u) => b.has(u) && a.get(u) !== b.get(u)).sort(),
  };
}

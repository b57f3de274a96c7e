/**
 * What a state's resources say, read the way the pack reads the stack it analyzes: a resource's
 * properties, its provider, its zipnet labels, and the facts of the instance a state holds (the
 * pack's own reader, policies/src/core/crossInstance.ts), which the audit gives the pack as
 * policy config when it judges the other states. Pure: no SDK imports.
 */
import { instanceFacts, type FactResource, type InstanceFacts } from "../../policies/src/core/crossInstance";
import type { StateResource } from "./stateFile";

export type { InstanceFacts } from "../../policies/src/core/crossInstance";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The resource's properties: inputs, else outputs (real exports may lack inputs). */
export function propsOf(r: StateResource): Record<string, unknown> {
  if (isObject(r.inputs)) return r.inputs;
  if (isObject(r.outputs)) return r.outputs;
  return {};
}

/** The zipnet labels/tags of a resource (labels, tags, a GCP boot disk's labels), merged. */
export function readZipnetLabels(props: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const boot = isObject(props.bootDisk) && isObject(props.bootDisk.initializeParams) ? props.bootDisk.initializeParams.labels : undefined;
  for (const source of [boot, props.tags, props.labels]) {
    if (!isObject(source)) continue;
    for (const [k, v] of Object.entries(source)) if (k.startsWith("zipnet-") && typeof v === "string") out[k] = v;
  }
  return out;
}

/** The provider resource a `URN::ID` reference points at. */
export function providerOf(ref: string | undefined, byUrn: Map<string, StateResource>): StateResource | undefined {
  if (!ref) return undefined;
  const i = ref.lastIndexOf("::");
  return byUrn.get(i > 0 ? ref.slice(0, i) : ref);
}

/** `urn:pulumi:STACK::PROJECT::...` -> {stack, project}. */
export function stackOfUrn(urn: string): { stack: string; project: string } {
  const m = urn.match(/^urn:pulumi:([^:]*)::([^:]*)::/);
  return m ? { stack: m[1], project: m[2] } : { stack: "", project: "" };
}

/** The facts of the instance one state holds (label: the state's name). */
export function stateFacts(label: string, resources: StateResource[]): InstanceFacts {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const facts: FactResource[] = resources.map((r) => {
    const provider = providerOf(r.provider, byUrn);
    return {
      urn: r.urn,
      type: r.type,
      ...(typeof r.id === "string" ? { id: r.id } : {}),
      props: propsOf(r),
      labels: readZipnetLabels(propsOf(r)),
      ...(provider ? { provider: propsOf(provider) } : {}),
    };
  });
  return instanceFacts(label, facts, stackOfUrn(resources[0]?.urn ?? "").stack || undefined);
}

/**
 * Resource views: a resource (from per-resource analysis or from a stack) as plain data, with
 * its effective zipnet labels (own labels/tags over the provider's default labels/tags) and
 * its posture. Pure: no SDK imports; the policy SDK is used for types only.
 */
import type { PolicyProviderResource, PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { LABEL_INSTANCE, LABEL_NODE, LABEL_ONCALL, LABEL_POSTURE, LABEL_ROLE } from "../../contract/labels";
import { UNKNOWN, isObject, isUnknown, obj, plain, type Unknown } from "./values";
import { proxyTarget } from "./sdk";

export type Posture = "production" | "devtest";
export type Cloud = "gcp" | "azure" | "aws";

import { INSTANCE_TYPE as ZIPNET_INSTANCE_TYPE } from "../../contract/wire";

export { ZIPNET_INSTANCE_TYPE };

export { AWS_VM, AZURE_VM, GCP_VM, VM_TYPES } from "../../contract/types";

/** `azure-native:compute/v20240301:VirtualMachine` -> `azure-native:compute:VirtualMachine`. */
export function normalizeType(type: string): string {
  return typeof type === "string" ? type.replace(/^(azure-native:[a-zA-Z]+)\/v\d[\w]*:/, "$1:") : "";
}

export function typeIs(type: string, ...tokens: readonly string[]): boolean {
  const t = normalizeType(type);
  return tokens.includes(t);
}

/** The cloud of a type token (undefined for vault, random, pulumi, zipnet...). */
export function cloudOfType(type: string): Cloud | undefined {
  const pkg = normalizeType(type).split(":")[0];
  if (pkg === "gcp" || pkg === "google-native") return "gcp";
  if (pkg === "azure-native" || pkg === "azure") return "azure";
  if (pkg === "aws" || pkg === "aws-native") return "aws";
  if (pkg === "pulumi") {
    const m = type.match(/^pulumi:providers:(.+)$/);
    if (m) return cloudOfType(`${m[1]}:x:x`);
  }
  return undefined;
}

/** The package of a type (`vault`, `random`, `gcp`, ...); providers count as their package. */
export function packageOfType(type: string): string {
  const m = type.match(/^pulumi:providers:(.+)$/);
  return m ? m[1] : normalizeType(type).split(":")[0];
}

/** The parent type chain of a URN: `urn:pulumi:s::p::A$B$C::name` -> ["A", "B"]. */
export function urnParentTypes(urn: string): string[] {
  const parts = typeof urn === "string" ? urn.split("::") : [];
  if (parts.length < 4) return [];
  const chain = parts[2].split("$");
  return chain.slice(0, -1);
}

export interface ZipnetTags {
  instance?: string;
  role?: string;
  node?: string;
  posture?: string;
  oncall?: string;
  /** The resource carries at least one zipnet-* label/tag key. */
  any: boolean;
}

export interface ProviderView {
  type: string;
  urn: string;
  name: string;
  props: Record<string, any>;
}

export interface ResourceView {
  type: string;
  urn: string;
  name: string;
  props: Record<string, any>;
  protect: boolean;
  parent?: string;
  provider?: ProviderView;
  /** The resource's own labels/tags; UNKNOWN when they cannot be known yet; undefined when absent. */
  ownLabels: Record<string, any> | Unknown | undefined;
  /** Provider default labels/tags (GCP defaultLabels, AWS defaultTags). */
  providerLabels: Record<string, any>;
  /** Own labels over provider defaults (unknown entries dropped). */
  labels: Record<string, string>;
  zipnet: ZipnetTags;
  /** The posture from the labels (or the posture record itself); production when absent. */
  posture: Posture;
  /** Whether the labels said so (false = defaulted to production). */
  postureKnown: boolean;
}

const GCP_LABEL_PROPS = ["labels", "effectiveLabels", "pulumiLabels", "terraformLabels"];
const TAG_PROPS = ["tags", "tagsAll"];

/** A resource's own labels/tags (not the provider's defaults). */
export function ownLabelsOf(type: string, props: Record<string, any>): Record<string, any> | Unknown | undefined {
  const cloud = cloudOfType(type);
  const keys = cloud === "gcp" ? GCP_LABEL_PROPS : cloud === "azure" || cloud === "aws" ? TAG_PROPS : ["labels", "tags"];
  let out: Record<string, any> | undefined;
  let unknown = false;
  for (const key of keys) {
    const v = props?.[key];
    if (isUnknown(v)) unknown = true;
    else if (isObject(v)) out = { ...v, ...(out ?? {}) };
  }
  if (out) return out;
  return unknown ? UNKNOWN : undefined;
}

/** Default labels/tags a provider adds to every resource it manages. */
export function providerLabelsOf(provider: ProviderView | undefined): Record<string, any> {
  if (!provider) return {};
  const cloud = cloudOfType(provider.type);
  const p = provider.props ?? {};
  if (cloud === "gcp") return obj(p.defaultLabels) ?? {};
  if (cloud === "aws") {
    const dt = obj(p.defaultTags);
    return obj(dt?.tags) ?? {};
  }
  return {};
}

function label(labels: Record<string, any>, key: string): string | undefined {
  const v = labels[key];
  return typeof v === "string" ? v : undefined;
}

export function zipnetTagsOf(labels: Record<string, any>): ZipnetTags {
  return {
    instance: label(labels, LABEL_INSTANCE),
    role: label(labels, LABEL_ROLE),
    node: label(labels, LABEL_NODE),
    posture: label(labels, LABEL_POSTURE),
    oncall: label(labels, LABEL_ONCALL),
    any: Object.keys(labels).some((k) => k.toLowerCase().startsWith("zipnet-")),
  };
}

function normalizePosture(v: unknown): Posture | undefined {
  if (typeof v !== "string") return undefined;
  return v.trim().toLowerCase() === "devtest" ? "devtest" : "production";
}

/** The posture record a component's props carry (contract/record.ts). */
import { postureRecordOf as recordOf } from "../../contract/record";
export { recordOf };

function providerView(p: PolicyProviderResource | undefined): ProviderView | undefined {
  if (!p) return undefined;
  return { type: String(p.type ?? ""), urn: String(p.urn ?? ""), name: String(p.name ?? ""), props: plain(p.props) ?? {} };
}

export interface RawResource {
  type: string;
  urn: string;
  name: string;
  props: unknown;
  opts?: { protect?: boolean; parent?: string } | undefined;
  provider?: PolicyProviderResource | undefined;
  parent?: string;
}

/** Builds the view of one resource. Never throws on odd input. */
export function viewOf(raw: RawResource): ResourceView {
  const type = normalizeType(String(raw.type ?? ""));
  const props = (plain(raw.props) ?? {}) as Record<string, any>;
  const safeProps = isObject(props) ? props : {};
  const provider = providerView(raw.provider);
  const ownLabels = ownLabelsOf(type, safeProps);
  const providerLabels = providerLabelsOf(provider);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(providerLabels)) if (typeof v === "string") labels[k] = v;
  if (isObject(ownLabels)) for (const [k, v] of Object.entries(ownLabels)) if (typeof v === "string") labels[k] = v;
  const zipnet = zipnetTagsOf(labels);
  let posture = normalizePosture(zipnet.posture);
  if (type === ZIPNET_INSTANCE_TYPE) posture = normalizePosture(recordOf(safeProps)?.posture) ?? posture;
  let protect = false;
  try {
    protect = raw.opts?.protect === true;
  } catch {
    protect = false;
  }
  const parent = typeof raw.parent === "string" ? raw.parent : typeof raw.opts?.parent === "string" ? raw.opts.parent : undefined;
  return {
    type,
    urn: String(raw.urn ?? ""),
    name: String(raw.name ?? ""),
    props: safeProps,
    protect,
    ...(parent ? { parent } : {}),
    ...(provider ? { provider } : {}),
    ownLabels,
    providerLabels,
    labels,
    zipnet,
    posture: posture ?? "production",
    postureKnown: posture !== undefined,
  };
}

// Views by the props object they were built from: the framework deserializes afresh for every
// policy (no hits), callers that share one props object across policies (tests) build it once.
const views = new WeakMap<object, { view: ResourceView; provider: unknown; protect: unknown; urn: string }>();

const target = proxyTarget;

export function viewOfArgs(args: ResourceValidationArgs): ResourceView {
  let opts: RawResource["opts"];
  try {
    opts = { protect: args.opts?.protect, parent: args.opts?.parent };
  } catch {
    opts = undefined;
  }
  const key = target(args.props);
  const provider = target(args.provider?.props);
  const cached = key !== null && typeof key === "object" ? views.get(key) : undefined;
  if (cached && cached.provider === provider && cached.protect === opts?.protect && cached.urn === args.urn) return cached.view;
  const view = viewOf({ type: args.type, urn: args.urn, name: args.name, props: args.props, opts, provider: args.provider });
  if (key !== null && typeof key === "object") views.set(key, { view, provider, protect: opts?.protect, urn: args.urn });
  return view;
}

export function viewOfPolicyResource(r: PolicyResource): ResourceView {
  let parent: string | undefined;
  try {
    parent = r.parent?.urn ?? r.opts?.parent;
  } catch {
    parent = undefined;
  }
  return viewOf({ type: r.type, urn: r.urn, name: r.name, props: r.props, opts: r.opts, provider: r.provider, ...(parent ? { parent } : {}) });
}

/** Whether a resource belongs to zipnet: zipnet labels, a zipnet provider default, or a zipnet component parent. */
export function isZipnetResource(r: ResourceView): boolean {
  return r.zipnet.any || urnParentTypes(r.urn).some((t) => t.startsWith("zipnet:"));
}

/** The instance name a label value stands for (`acme_mainnet` and `acme.mainnet` both -> `acme.mainnet`). */
export function instanceFromLabel(value: string): string {
  return value.replace(/_/g, ".");
}

export function sameInstance(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && instanceFromLabel(a) === instanceFromLabel(b);
}


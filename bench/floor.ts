/**
 * The floor: what the Pulumi SDK itself costs to register a plan's resources under the same
 * mock engine, with none of the project's code. Every custom resource the plan recorded
 * (providers included) is registered flat under the stack, with the type, name and inputs the
 * plan recorded, its provider and its recorded dependencies (as `dependsOn`), in the recorded
 * order. No component resources, no config parsing, no output plumbing (`apply`, `interpolate`,
 * `jsonStringify`): inputs are plain values, except the secrets (`pulumi.secret`) and unknowns
 * (`pulumi.unknown`) the plan recorded, which stay secret / unknown.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_VALUE as UNKNOWN } from "../policies/contract/wire";
import { runInProcess, type InProcessRun } from "../src/offline/engine/inProcess";
import type { RecordedResource } from "../src/offline/engine/model";
import { PROJECT_NAME } from "../src/config/stackFile";

const PROVIDER_PREFIX = "pulumi:providers:";

/** A recorded wire value back to an SDK input: secrets become secret outputs, unknowns unknown. */
export function toInput(value: unknown): unknown {
  if (value === UNKNOWN) return pulumi.unknown;
  if (Array.isArray(value)) return value.map(toInput);
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG_KEY] === SECRET_SIG) return pulumi.secret(toInput(obj.value) as any);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toInput(v)]));
  }
  return value;
}

/** Provider inputs as a provider class takes them: JSON-encoded numbers, booleans, lists and maps decoded. */
function decodeProviderInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => {
      if (typeof v !== "string") return [k, v];
      try {
        const parsed = JSON.parse(v);
        return [k, typeof parsed === "string" ? v : parsed];
      } catch {
        return [k, v];
      }
    }),
  );
}

/**
 * Registrations whose type and inputs differ from the plan's, matched by type and name (the
 * floor's URNs have no parents): the floor must register the very same resource set.
 */
export function inputMismatches(plan: RecordedResource[], floor: RecordedResource[]): string[] {
  const key = (r: RecordedResource) => `${r.type}::${r.name}`;
  const text = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
  const got = new Map(floor.map((r) => [key(r), text(r.inputs)]));
  return plan.filter((r) => r.custom && got.get(key(r)) !== text(r.inputs)).map(key);
}

/** The provider reference `URN::ID` of a recorded resource, as a URN. */
function providerUrn(ref: string): string {
  return ref ? ref.split("::").slice(0, -1).join("::") : "";
}

const PACKAGES: Record<string, string> = {
  gcp: "@pulumi/gcp",
  "azure-native": "@pulumi/azure-native",
  aws: "@pulumi/aws",
  vault: "@pulumi/vault",
  random: "@pulumi/random",
};

type ResourceClass = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
// Abstract in the typings, concrete at run time: registering one directly is the floor.
const BareCustom = pulumi.CustomResource as unknown as new (type: string, name: string, props: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
const BareProvider = pulumi.ProviderResource as unknown as new (pkg: string, name: string, props: any, opts?: pulumi.CustomResourceOptions) => pulumi.ProviderResource;

/** The provider SDK's class for a resource type token (`gcp:compute/firewall:Firewall` -> gcp.compute.Firewall). */
export function sdkClass(type: string): ResourceClass {
  const [pkg, mod, cls] = type.split(":");
  if (!PACKAGES[pkg]) throw new Error(`no SDK package for ${type}`);
  const root = require(PACKAGES[pkg]);
  const ns = mod.split("/")[0] === "index" ? root : root[mod.split("/")[0]];
  const ctor = ns?.[cls];
  if (typeof ctor !== "function") throw new Error(`no SDK class for ${type}`);
  return ctor;
}

/** Loads the class of every type (the provider SDKs load them lazily): module loading, not the run. */
export function preloadClasses(types: string[]): void {
  for (const type of new Set(types)) {
    const [pkg, mod, cls] = type.split(":");
    if (pkg === "pulumi") {
      if (mod === "providers" && PACKAGES[cls]) void require(PACKAGES[cls]).Provider;
      continue;
    }
    if (PACKAGES[pkg]) sdkClass(type);
  }
}

export type FloorKind = "bare" | "sdk";

/**
 * The flat program: registers `recorded`'s custom resources with no components.
 *  - `bare` (the floor): `new pulumi.CustomResource(type, name, inputs)`, `new pulumi.ProviderResource(pkg, ...)`;
 *  - `sdk`: the same through the provider SDKs' own classes (`new gcp.compute.Firewall(name, inputs)`,
 *    `new gcp.Provider(name, inputs)`), which declare every output property of their type. Provider
 *    classes JSON-encode their non-string inputs, so the recorded (encoded) values are decoded first.
 */
export function flatProgram(recorded: RecordedResource[], kind: FloorKind = "bare"): () => void {
  return () => {
    const made = new Map<string, pulumi.CustomResource>();
    for (const r of recorded) {
      if (!r.custom) continue;
      const inputs = toInput(r.inputs) as Record<string, unknown>;
      const dependsOn = r.dependencies.map((u) => made.get(u)).filter((d): d is pulumi.CustomResource => d !== undefined);
      const opts: pulumi.CustomResourceOptions = dependsOn.length ? { dependsOn } : {};
      if (r.type.startsWith(PROVIDER_PREFIX)) {
        const pkg = r.type.slice(PROVIDER_PREFIX.length);
        made.set(
          r.urn,
          kind === "sdk" && PACKAGES[pkg]
            ? new (require(PACKAGES[pkg]).Provider as ResourceClass)(r.name, decodeProviderInputs(inputs), opts)
            : new BareProvider(pkg, r.name, inputs, opts),
        );
        continue;
      }
      const provider = made.get(providerUrn(r.provider)) as pulumi.ProviderResource | undefined;
      const options = { ...opts, ...(provider ? { provider } : {}) };
      made.set(r.urn, kind === "sdk" ? new (sdkClass(r.type))(r.name, inputs, options) : new BareCustom(r.type, r.name, inputs, options));
    }
  };
}

/** Runs the floor for `recorded` under the same mock engine as the plan. */
export function runFloor(recorded: RecordedResource[], stack: string, kind: FloorKind = "bare"): Promise<InProcessRun<void>> {
  return runInProcess(flatProgram(recorded, kind), { project: PROJECT_NAME, stack, preview: true });
}

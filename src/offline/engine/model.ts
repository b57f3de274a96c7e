/**
 * The offline engine: what the Pulumi engine does with a program's registrations, without the
 * CLI, its plugins or a cloud. One model serves both ways a program can run here: in-process
 * (inProcess.ts, for tests and the benchmark) and as a spawned `@pulumi/pulumi/cmd/run` program
 * talking gRPC (server.ts), the way `pulumi-language-nodejs` runs it.
 *
 * It enforces what the engine and the providers enforce and `setMocks` does not, failing the
 * registration with a message that names the resource (sources in docs/engine.md):
 *  - URNs as the engine forms them: `urn:pulumi:<stack>::<project>::<parent type chain>$<type>::<name>`,
 *    the chain being the parent's qualified type (none for children of the root stack);
 *  - no duplicate URN ("Duplicate resource URN ...; try giving it a unique name");
 *  - parents, dependencies and deletedWith name resources already registered;
 *  - a custom resource's provider reference is `urn::id` of a registered provider of the
 *    resource's own package (another package's plugin answers "unrecognized resource type" at Check);
 *  - a custom resource with no provider gets the package's default provider
 *    (`pulumi:providers:<pkg>::default_<version>`), registered on first use;
 *  - invokes go to a provider of the token's package, the default one when none is given.
 * What the providers answer comes from the simulated cloud (cloud.ts).
 */
import { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_VALUE } from "../../../policies/contract/wire";
import { isSecretValue } from "../stateFile";
import { createdState, invokeResult, pseudoUuid } from "./cloud";

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_PREFIX = "pulumi:providers:";

/** One registration as the SDK sends it (RegisterResourceRequest, decoded). */
export interface Registration {
  type: string;
  name: string;
  custom: boolean;
  /** Parent URN ("" only for the root stack). */
  parent: string;
  /** Provider reference `URN::ID`, "" for none. */
  provider: string;
  /** The package version the SDK asks for (names the default provider). */
  version: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  deletedWith: string;
  /** Inputs as sent on the wire: secrets wrapped, unknowns as the unknown sentinel. */
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  /** Resource hook names bound to the resource, by event. */
  hooks: Record<string, string[]>;
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  /** A component another language's provider constructs (it may name that provider). */
  remote?: boolean;
  /** Property paths whose change replaces the resource. */
  replaceOnChanges: string[];
  /** Replacement deletes the old resource before creating the new one. */
  deleteBeforeReplace: boolean;
}

/** One resource as the engine holds it after registration. */
export interface RecordedResource {
  urn: string;
  /** The id the (simulated) provider assigned; empty for components. */
  id: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** Provider reference `URN::ID`; empty for components and providers. */
  provider: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Inputs as sent on the wire: secrets wrapped, unknowns as the unknown sentinel. */
  inputs: Record<string, unknown>;
  /** Outputs: what the provider answered (components: what registerOutputs gave). */
  outputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  deletedWith: string;
  hooks: Record<string, string[]>;
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  /** Property paths whose change replaces the resource. */
  replaceOnChanges: string[];
  /** Replacement deletes the old resource before creating the new one. */
  deleteBeforeReplace: boolean;
}

/** A registration or invoke the engine (or the provider it routes to) refuses. */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineError";
  }
}

export interface LogEntry {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

export interface EngineOptions {
  project: string;
  stack: string;
  /** A preview (`pulumi preview`): the default. */
  preview?: boolean;
}

/** The package of a type token or invoke token (`gcp:compute/instance:Instance` -> `gcp`). */
export function packageOf(token: string): string {
  return token.startsWith(PROVIDER_PREFIX) ? token.slice(PROVIDER_PREFIX.length) : token.split(":")[0];
}

export function isProviderType(type: string): boolean {
  return type.startsWith(PROVIDER_PREFIX);
}

/** `urn:pulumi:s::p::A$B::name` -> `A$B`. */
export function qualifiedTypeOf(urn: string): string {
  return urn.split("::")[2] ?? "";
}

/** Splits a provider reference `URN::ID` (the id may not contain `::`). */
export function parseProviderRef(ref: string): { urn: string; id: string } | undefined {
  const i = ref.lastIndexOf("::");
  if (i <= 0) return undefined;
  const urn = ref.slice(0, i);
  const id = ref.slice(i + 2);
  return urn.startsWith("urn:pulumi:") && id !== "" ? { urn, id } : undefined;
}

function defaultProviderName(version: string): string {
  return version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
}

export class EngineModel {
  readonly project: string;
  readonly stack: string;
  readonly preview: boolean;
  /** Registrations in order (default providers where the engine creates them). */
  readonly resources: RecordedResource[] = [];
  /** Every refusal, in order: a run with any is a failed run. */
  readonly failures: string[] = [];
  readonly logs: LogEntry[] = [];
  /** Resource hooks the program registered, by name. */
  readonly hooks = new Set<string>();
  rootUrn = "";
  private readonly byUrn = new Map<string, RecordedResource>();
  private readonly defaultProviders = new Map<string, RecordedResource>();

  constructor(opts: EngineOptions) {
    this.project = opts.project;
    this.stack = opts.stack;
    this.preview = opts.preview ?? true;
  }

  /** The URN the engine gives a resource of `type` named `name` under `parent`. */
  urnOf(type: string, name: string, parent: string): string {
    const parentType = parent ? qualifiedTypeOf(parent) : "";
    const chain = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${this.stack}::${this.project}::${chain}::${name}`;
  }

  get(urn: string): RecordedResource | undefined {
    return this.byUrn.get(urn);
  }

  private refuse(message: string): never {
    this.failures.push(message);
    throw new EngineError(message);
  }

  /** The registered provider a custom resource or invoke of `pkg` goes to. */
  private providerFor(subject: string, token: string, ref: string, version: string): RecordedResource {
    const pkg = packageOf(token);
    if (!ref) return this.defaultProvider(pkg, version);
    const parsed = parseProviderRef(ref);
    if (!parsed) this.refuse(`${subject}: could not parse provider reference: expected '::' in provider reference '${ref}'`);
    const provider = this.byUrn.get(parsed.urn);
    if (!provider || !isProviderType(provider.type) || provider.id !== parsed.id) this.refuse(`${subject}: unknown provider '${ref}'`);
    if (packageOf(provider.type) !== pkg) {
      // The engine routes the call to the named plugin whatever its package; the plugin refuses it (pulumi/pulumi#7105).
      this.refuse(`${subject}: provider ${provider.name} (${provider.type}): unrecognized resource type: "${token}" for this provider`);
    }
    return provider;
  }

  private defaultProvider(pkg: string, version: string): RecordedResource {
    const name = defaultProviderName(version);
    const key = `${pkg}::${name}`;
    let provider = this.defaultProviders.get(key);
    if (!provider) {
      const type = `${PROVIDER_PREFIX}${pkg}`;
      const urn = this.urnOf(type, name, "");
      provider = {
        urn,
        id: this.providerId(urn),
        type,
        name,
        custom: true,
        parent: "",
        provider: "",
        dependencies: [],
        propertyDependencies: {},
        inputs: version ? { version } : {},
        outputs: version ? { version } : {},
        protect: false,
        retainOnDelete: false,
        deletedWith: "",
        hooks: {},
        ignoreChanges: [],
        additionalSecretOutputs: [],
        replaceOnChanges: [],
        deleteBeforeReplace: false,
      };
      this.defaultProviders.set(key, provider);
      this.add(provider);
    }
    return provider;
  }

  /** A new provider's id: unknown in a preview, a UUID once created (pkg/resource/deploy/providers/registry.go). */
  private providerId(urn: string): string {
    return this.preview ? UNKNOWN_VALUE : pseudoUuid(urn);
  }

  private add(r: RecordedResource): void {
    this.resources.push(r);
    this.byUrn.set(r.urn, r);
  }

  /** Registers one resource; throws EngineError (and records it) when the engine would refuse it. */
  register(reg: Registration): RecordedResource {
    const subject = `${reg.name} (${reg.type})`;
    if (!reg.type || !reg.name) this.refuse(`${subject}: expected a type and a name`);
    if (reg.parent && !this.byUrn.has(reg.parent)) this.refuse(`${subject}: could not find parent resource ${reg.parent}`);
    const urn = this.urnOf(reg.type, reg.name, reg.parent);
    if (this.byUrn.has(urn)) this.refuse(`${subject}: Duplicate resource URN '${urn}'; try giving it a unique name`);
    // The engine finds these when it writes the snapshot ("failed to verify snapshot"); the deployment fails either way.
    for (const dep of [...reg.dependencies, ...Object.values(reg.propertyDependencies).flat()]) {
      if (!this.byUrn.has(dep)) this.refuse(`${subject}: resource ${urn}'s dependency ${dep} refers to missing resource`);
    }
    if (reg.deletedWith && !this.byUrn.has(reg.deletedWith)) {
      this.refuse(`${subject}: resource ${urn} is specified as being deleted with ${reg.deletedWith}, which is missing`);
    }

    let providerRef = "";
    let providerInputs: Record<string, any> = {};
    if (reg.custom && !isProviderType(reg.type)) {
      const provider = this.providerFor(subject, reg.type, reg.provider, reg.version);
      providerRef = `${provider.urn}::${provider.id}`;
      providerInputs = provider.inputs as Record<string, any>;
    } else if (reg.provider && !reg.remote) {
      this.refuse(`${subject}: provider: expected none (${reg.custom ? "a provider" : "a component"} has no provider of its own), found ${reg.provider}`);
    }

    const created = reg.custom && !isProviderType(reg.type) ? createdState(reg.type, reg.name, reg.inputs, providerInputs) : {};
    const outputs: Record<string, unknown> = reg.custom ? { ...reg.inputs, ...created } : {};
    // The engine marks the outputs the SDK lists as secret (source_eval.go, additionalSecretOutputs).
    for (const key of reg.additionalSecretOutputs) {
      const v = outputs[key];
      if (v !== undefined && !isSecretValue(v)) outputs[key] = { [SECRET_SIG_KEY]: SECRET_SIG, value: v };
    }
    const id = !reg.custom ? "" : isProviderType(reg.type) ? this.providerId(urn) : (knownString(created.id) ?? `${reg.name}-id`);
    const record: RecordedResource = {
      urn,
      id,
      type: reg.type,
      name: reg.name,
      custom: reg.custom,
      parent: reg.parent,
      provider: providerRef,
      dependencies: [...new Set(reg.dependencies)],
      propertyDependencies: reg.propertyDependencies,
      inputs: reg.inputs,
      outputs,
      protect: reg.protect,
      retainOnDelete: reg.retainOnDelete,
      deletedWith: reg.deletedWith,
      hooks: reg.hooks,
      ignoreChanges: reg.ignoreChanges,
      additionalSecretOutputs: reg.additionalSecretOutputs,
      replaceOnChanges: reg.replaceOnChanges,
      deleteBeforeReplace: reg.deleteBeforeReplace,
    };
    this.add(record);
    if (reg.type === ROOT_STACK_TYPE && !this.rootUrn) this.rootUrn = urn;
    return record;
  }

  /** A component's (or the stack's) outputs. */
  registerOutputs(urn: string, outputs: Record<string, unknown>): void {
    const r = this.byUrn.get(urn);
    if (!r) this.refuse(`registerOutputs: expected a registered resource, found ${urn} (not registered)`);
    r.outputs = outputs;
  }

  /** An invoke (data source): routed to a provider of the token's package. */
  invoke(token: string, args: Record<string, any>, providerRef: string, version: string): Record<string, unknown> {
    const subject = `invoke ${token}`;
    this.providerFor(subject, token, providerRef, version);
    return invokeResult(token, args);
  }

  registerHook(name: string): void {
    this.hooks.add(name);
  }

  /** Resource hooks a resource binds must have been registered first. */
  checkHooks(r: Registration): void {
    for (const [event, names] of Object.entries(r.hooks)) {
      for (const n of names) if (!this.hooks.has(n)) this.refuse(`${r.name} (${r.type}): hooks.${event}: expected a registered resource hook, found ${n} (not registered)`);
    }
  }

  log(entry: LogEntry): void {
    this.logs.push(entry);
  }

  /** Errors the program logged (a RunError, an unhandled exception): each fails the run. */
  errors(): string[] {
    return this.logs.filter((l) => l.severity === "error").map((l) => l.message);
  }
}

function knownString(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" && v !== UNKNOWN_VALUE ? v : undefined;
}

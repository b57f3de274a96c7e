/**
 * Test harness for the policy pack: builds the offline plan of an example stack (in-test, from
 * stacks/Pulumi.<stack>.yaml, so a fresh clone works), and runs the pack's resource and stack
 * policies over it the way the policy framework does: wire values deserialized (secrets
 * unwrapped; a secret without its value becomes unknown), props behind the framework's
 * unknown-checking proxy, provider props and resource options (protect) attached, stack
 * resources linked to parents and dependencies. Swallowed policy errors are collected too.
 */
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT, stackFilePath } from "../../src/config/stackFile";
import { exampleConfig, stackOf } from "../support/plans";
import type { RecordedResource } from "../../src/offline/engine/model";
import { ALL_POLICIES, setClock, type ZipnetPolicy } from "../../policies/pack";
import { CHECK_FAILED } from "../../policies/src/core/policy";
import { withStateFacts } from "../../src/offline/audit/analyze";

// The framework's own proxy (internal module of @pulumi/policy).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy, UnknownValueError } = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy: <T extends object>(o: T) => T;
  UnknownValueError: new (...args: unknown[]) => Error;
};

import { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_VALUE } from "../../policies/contract/wire";

export { UNKNOWN_VALUE as UNKNOWN };

/** "Now" for date checks: the example stacks' attestations are dated 2026-09/10. */
export const FIXED_NOW = new Date("2026-11-24T00:00:00Z");

/** A registration as the mock engine records it, with inputs loosely typed for mutation. */
export type PlanResource = Pick<RecordedResource, "urn" | "type" | "name" | "custom" | "parent" | "provider" | "dependencies" | "protect"> & { inputs: Record<string, any>; retainOnDelete?: boolean };

export type Plan = PlanResource[];

const cache = new Map<string, Promise<Plan>>();

export { AZURE_MAINNET, exampleConfig } from "../support/plans";

/** Hash of everything a plan depends on: the stack file and the program's sources. */
function sourceHash(stack: string, extra: string): string {
  const h = createHash("sha256").update(stack).update(extra).update(readFileSync(stackFilePath(stackOf(stack))));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") || dir.startsWith(path.join(PROJECT_ROOT, "stacks"))) h.update(p).update(readFileSync(p));
    }
  };
  walk(path.join(PROJECT_ROOT, "src"));
  walk(path.join(PROJECT_ROOT, "stacks"));
  h.update(readFileSync(path.join(PROJECT_ROOT, "test", "support", "plans.ts")));
  return h.digest("hex").slice(0, 24);
}

async function buildPlan(stack: string, mutateConfig?: (raw: any) => void): Promise<Plan> {
  // Loaded lazily: the program imports the cloud SDKs (seconds); a cached plan needs none of it.
  const { planInstance } = await import("../../src/offline/planInProcess");
  const p = await planInstance(exampleConfig(stack, mutateConfig), stackOf(stack));
  return p.resources.map((r) => ({
    urn: r.urn, type: r.type, name: r.name, custom: r.custom, parent: r.parent, provider: r.provider,
    dependencies: r.dependencies, inputs: r.inputs as Record<string, any>, protect: r.protect, retainOnDelete: r.retainOnDelete,
  }));
}

/**
 * The offline plan of an example stack, built in-test from stacks/Pulumi.<stack>.yaml and the
 * program (cached on disk by a hash of both, so test files share it); every call returns a
 * fresh deep copy.
 */
export async function loadPlan(stack: string, mutateConfig?: (raw: any) => void, key = stack): Promise<Plan> {
  if (!cache.has(key)) {
    cache.set(key, (async () => {
      const file = path.join(tmpdir(), "zipnet-policy-plans", `${key}-${sourceHash(stack, mutateConfig ? String(mutateConfig) : "")}.json`);
      if (existsSync(file)) {
        try {
          return JSON.parse(readFileSync(file, "utf8")) as Plan;
        } catch {
          // rebuild below
        }
      }
      const plan = await buildPlan(stack, mutateConfig);
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(plan));
      renameSync(tmp, file);
      return plan;
    })());
  }
  return structuredClone(await cache.get(key)!);
}

export function byName(plan: Plan, name: string): PlanResource {
  const r = plan.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name} in the plan (have ${plan.map((x) => x.name).join(", ")})`);
  return r;
}

export function ofType(plan: Plan, type: string): PlanResource[] {
  return plan.filter((r) => r.type === type);
}

/** Deserializes wire values as the framework does: secrets unwrapped (no value = unknown). */
export function deserialize(v: unknown): any {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(deserialize);
  const o = v as Record<string, unknown>;
  if (o[SECRET_SIG_KEY] === SECRET_SIG) return "value" in o ? deserialize(o.value) : UNKNOWN_VALUE;
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(o)) if (e !== undefined) out[k] = deserialize(e);
  return out;
}

export function secret(value: unknown): Record<string, unknown> {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

export interface Diagnostic {
  policy: string;
  checklistId: string;
  level: string;
  urn?: string;
  message: string;
}

export interface RunResult {
  diagnostics: Diagnostic[];
  /** Checks that failed (reported as violations "the check could not judge it"): bugs, or input the pack cannot read. */
  errors: Array<{ policy: string; error: unknown }>;
}

export interface RunOptions {
  policies?: readonly ZipnetPolicy[];
  config?: Record<string, Record<string, unknown>>;
  now?: Date;
  resources?: boolean;
  stack?: boolean;
  /** Run resource policies on these resources only (stack policies always see the whole plan). */
  only?: ReadonlySet<PlanResource>;
  /**
   * Give the policies that take facts from outside the stack what the offline plan gives them
   * (no other instance; the URNs the plan marks retainOnDelete). Default true; false runs them
   * as `pulumi preview` without policy config does.
   */
  stateFacts?: boolean;
}


function providerOf(plan: Plan, ref: string): PlanResource | undefined {
  if (!ref) return undefined;
  const urn = ref.includes("::") ? ref.slice(0, ref.lastIndexOf("::")) : ref;
  return plan.find((r) => r.urn === urn);
}

function resourceOptions(r: PlanResource) {
  return {
    protect: r.protect === true,
    ignoreChanges: [] as string[],
    aliases: [] as string[],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [] as string[],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

function providerArg(plan: Plan, r: PlanResource) {
  const p = providerOf(plan, r.provider);
  return p ? { type: p.type, urn: p.urn, name: p.name, props: unknownCheckingProxy(deserialize(p.inputs) ?? {}) } : undefined;
}

/**
 * Runs the pack's policies over a plan, like the framework's analyze / analyzeStack. (The
 * framework deserializes per policy; here one deserialized copy per resource serves every
 * policy of the run, which only saves time: policies never mutate their inputs.)
 */
export async function runPolicies(plan: Plan, opts: RunOptions = {}): Promise<RunResult> {
  const policies = opts.policies ?? ALL_POLICIES;
  const diagnostics: Diagnostic[] = [];
  setClock(() => opts.now ?? FIXED_NOW);
  const inputs = plan.map((r) => {
    const provider = providerArg(plan, r);
    return { r, props: unknownCheckingProxy(deserialize(r.inputs) ?? {}), provider };
  });
  let stackResources: PolicyResource[] | undefined;
  const stackArgs = (): PolicyResource[] => {
    if (stackResources) return stackResources;
    const resources: PolicyResource[] = inputs.map(({ r, props, provider }) => ({
      type: r.type, props, urn: r.urn, name: r.name, opts: resourceOptions(r),
      dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined,
      ...(provider ? { provider } : {}),
    }) as unknown as PolicyResource);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    plan.forEach((r, i) => {
      const parent = byUrn.get(r.parent);
      if (parent) resources[i].parent = parent;
      resources[i].dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => !!d);
    });
    stackResources = resources;
    return resources;
  };
  // What the offline plan gives the policies about facts outside the stack (the audit's own code).
  const retained = plan.filter((r) => r.retainOnDelete).map((r) => r.urn);
  const facts = opts.stateFacts === false ? {} : withStateFacts(policies, {}, [], retained);
  try {
    for (const p of policies) {
      const level = p.enforcementLevel ?? "advisory";
      const fact = facts[p.name];
      const getConfig = () => ({ ...(typeof fact === "object" ? fact : {}), ...(opts.config?.[p.name] ?? {}) });
      if ("validateResource" in p && p.validateResource && opts.resources !== false) {
        const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
        for (const { r, props, provider } of inputs) {
          if (opts.only && !opts.only.has(r)) continue;
          const args = {
            type: r.type, props, urn: r.urn, name: r.name, opts: resourceOptions(r), stackTags: new Map(),
            isType: () => false, asType: () => undefined, getConfig,
            notApplicable: (reason?: string) => { throw new Error(`notApplicable: ${reason}`); },
            ...(provider ? { provider } : {}),
          } as unknown as ResourceValidationArgs;
          for (const v of validations) {
            try {
              await Promise.resolve(v(args, (message) => diagnostics.push({ policy: p.name, checklistId: p.checklistId, level, urn: r.urn, message })));
            } catch (e) {
              if (e instanceof UnknownValueError) diagnostics.push({ policy: p.name, checklistId: p.checklistId, level: "advisory", urn: r.urn, message: `can't run during preview: ${(e as Error).message}` });
              else throw e;
            }
          }
        }
      }
      if ("validateStack" in p && p.validateStack && opts.stack !== false) {
        const args = {
          resources: stackArgs(), stackTags: new Map(), getConfig,
          notApplicable: (reason?: string) => { throw new Error(`notApplicable: ${reason}`); },
        } as unknown as StackValidationArgs;
        try {
          await Promise.resolve(p.validateStack(args, (message, urn) => diagnostics.push({ policy: p.name, checklistId: p.checklistId, level, ...(urn ? { urn } : {}), message })));
        } catch (e) {
          if (e instanceof UnknownValueError) diagnostics.push({ policy: p.name, checklistId: p.checklistId, level: "advisory", message: `can't run during preview: ${(e as Error).message}` });
          else throw e;
        }
      }
    }
  } finally {
    setClock();
  }
  const errors = diagnostics.filter((d) => d.message.includes(`: ${CHECK_FAILED}: `)).map((d) => ({ policy: d.policy, error: new Error(d.message) }));
  return { diagnostics, errors };
}

export function mandatory(result: RunResult): Diagnostic[] {
  return result.diagnostics.filter((d) => d.level === "mandatory");
}

/** Diagnostics of one checklist id. */
export function forId(result: RunResult, id: string, level?: string): Diagnostic[] {
  return result.diagnostics.filter((d) => d.checklistId === id && (!level || d.level === level));
}

export function show(ds: Diagnostic[]): string {
  return ds.map((d) => `[${d.level}] ${d.policy}: ${d.message}`).join("\n");
}

/** Policies of the given checklist ids (and their twins), for focused runs. */
export function policiesOf(...ids: string[]): ZipnetPolicy[] {
  return ALL_POLICIES.filter((p) => ids.includes(p.checklistId));
}

/** Decodes/encodes JSON user-data for mutation. */
export function editBootContract(r: PlanResource, edit: (c: any) => void): void {
  if (r.type === "gcp:compute/instance:Instance") {
    const c = JSON.parse(r.inputs.metadata["user-data"]);
    edit(c);
    r.inputs.metadata["user-data"] = JSON.stringify(c);
  } else if (r.type === "azure-native:compute:VirtualMachine") {
    const c = JSON.parse(Buffer.from(r.inputs.userData, "base64").toString("utf8"));
    edit(c);
    r.inputs.userData = Buffer.from(JSON.stringify(c)).toString("base64");
  } else {
    const c = JSON.parse(r.inputs.userData);
    edit(c);
    r.inputs.userData = JSON.stringify(c);
  }
}

/** Runs the policies of `id` over `plan` and returns that id's diagnostics at `level`; asserts nothing was swallowed. */
export async function caught(plan: Plan, id: string, level: "mandatory" | "advisory" = "mandatory", opts: RunOptions = {}): Promise<Diagnostic[]> {
  const res = await runPolicies(plan, { policies: policiesOf(id), ...opts });
  if (res.errors.length) throw new Error(`checks failed: ${res.errors.map((e) => `${e.policy}: ${(e.error as Error)?.message ?? e.error}`).join("\n")}`);
  return forId(res, id, level);
}

/** Adds a resource to a plan, next to `like` (same parent and provider). */
export function addResource(plan: Plan, like: PlanResource, type: string, name: string, inputs: Record<string, any>, extra: Partial<PlanResource> = {}): PlanResource {
  const parentType = like.urn.split("::")[2].split("$").slice(0, -1).join("$");
  const urn = `${like.urn.split("::").slice(0, 2).join("::")}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
  const r: PlanResource = { urn, type, name, custom: true, parent: like.parent, provider: like.provider, dependencies: [], inputs, protect: false, ...extra };
  plan.push(r);
  return r;
}

export function remove(plan: Plan, name: string): void {
  const i = plan.findIndex((r) => r.name === name);
  if (i < 0) throw new Error(`no resource ${name}`);
  plan.splice(i, 1);
}

export function record(plan: Plan): Record<string, any> {
  return ofType(plan, "zipnet:index:ZipnetInstance")[0].inputs;
}

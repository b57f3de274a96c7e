/**
 * Policy factories: every zipnet policy is built here, so every one of them
 *  - carries its checklist id and a wire name `<checklist id>[:<aspect>][:devtest]`,
 *  - is split by posture (production: mandatory; devtest: its advisory `:devtest` twin), or
 *    runs at one level for every posture,
 *  - fails closed: an error inside a check (a TypeError on a missing property, a crash in the
 *    firewall evaluator) is a violation at the check's level naming the policy, the resource and
 *    the error; only values unknown during preview are skipped, and then the check says so
 *    (`ctx.unknown`): the framework reports an advisory "can't run <policy> during preview",
 *  - reports messages shaped `<resource>: <property path>: expected <...>, found <...>`.
 * The policy SDK's internals are reached only through ./sdk.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { describe } from "./values";
import { viewOfArgs, type Posture, type ResourceView } from "./resources";
import { StackModel } from "./model";
import { cannotJudgeYet, isFrameworkUnknown, proxyTarget, shareDeserialization } from "./sdk";

export type { Posture };

export interface ChecklistTagged {
  /** The checklist item (../shared/checklist.md) this policy encodes. */
  checklistId: string;
}
export type ZipnetResourcePolicy = ResourceValidationPolicy & ChecklistTagged & { kind: "resource" };
export type ZipnetStackPolicy = StackValidationPolicy & ChecklistTagged & { kind: "stack" };
export type ZipnetPolicy = ZipnetResourcePolicy | ZipnetStackPolicy;

// ---------------------------------------------------------------------------------------------
// Clock (injectable for tests) and failures.

let clock: () => Date = () => new Date();

/** Overrides "now" for date checks (tests); call with no argument to restore the real clock. */
export function setClock(fn?: () => Date): void {
  clock = fn ?? (() => new Date());
}

/** The text of a check that failed: it is a violation, never a pass. */
export const CHECK_FAILED = "the check could not judge it";

function failure(subject: string, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return `${subject}: ${CHECK_FAILED}: ${text.split("\n")[0]}`;
}

function safeConfig(get: (() => object) | undefined): Record<string, unknown> {
  try {
    return (get?.() as Record<string, unknown>) ?? {};
  } catch {
    return {};
  }
}

function nowFrom(config: Record<string, unknown>): Date {
  const fixed = config.now;
  if (typeof fixed === "string" && !Number.isNaN(Date.parse(fixed))) return new Date(fixed);
  return clock();
}

/** The policy config every date-aware policy accepts: `now` pins the clock (ISO date). */
export const NOW_CONFIG: PolicyConfigSchema = {
  properties: { now: { type: "string", description: "ISO date used as 'now' for date checks (default: the real clock)" } },
};

// ---------------------------------------------------------------------------------------------
// Messages.

/** `<subject>: <path>: expected <expected>, found <found>` */
export function message(subject: string, path: string, expected: string, found: unknown, note?: string): string {
  const foundText = typeof found === "string" && found.startsWith("\u0000") ? found.slice(1) : describe(found);
  return `${subject}: ${path}: expected ${expected}, found ${foundText}${note ? ` (${note})` : ""}`;
}

/** Marks a `found` text as already formatted (not JSON-quoted). */
export function raw(text: string): string {
  return `\u0000${text}`;
}

// ---------------------------------------------------------------------------------------------
// Levels and posture scopes.

/**
 * `split`: `<name>` mandatory for production + `<name>:devtest` advisory for devtest.
 * `advisory`: one advisory policy for every posture. Or explicit scopes.
 */
export type Levels = "split" | "advisory" | Scope[];
export interface Scope {
  posture: Posture | "any";
  level: EnforcementLevel;
  /** Appended to the name (`:devtest` for twins). */
  suffix?: string;
}

function scopesOf(levels: Levels): Scope[] {
  if (levels === "split") {
    return [
      { posture: "production", level: "mandatory" },
      { posture: "devtest", level: "advisory", suffix: ":devtest" },
    ];
  }
  if (levels === "advisory") return [{ posture: "any", level: "advisory" }];
  return levels;
}

function describeFor(base: string, scope: Scope): string {
  if (scope.posture === "devtest") return `${base} (devtest posture${scope.suffix === ":devtest" ? "" : " only"}: ${scope.level})`;
  if (scope.posture === "production") return `${base} (production posture: ${scope.level})`;
  return base;
}

interface BaseDef {
  checklistId: string;
  /** Distinguishes several policies of one checklist item: `<id>:<aspect>`. */
  aspect?: string;
  description: string;
  levels: Levels;
  configSchema?: PolicyConfigSchema;
}

// ---------------------------------------------------------------------------------------------
// Resource policies.

export interface ResourceContext {
  posture: Posture;
  config: Record<string, unknown>;
  now: Date;
  /** Reports `<resource>: <path>: expected <expected>, found <found>`. */
  fail(path: string, expected: string, found: unknown, note?: string): void;
  /** A value the check needs is unknown (preview, or an encrypted secret): it cannot judge it yet. */
  unknown(path: string): void;
}

export interface ResourceDef extends BaseDef {
  /** Type tokens the check applies to (all when omitted). */
  types?: readonly string[];
  check(r: ResourceView, ctx: ResourceContext): void;
}

const normalizedTypes = new Map<string, string>();

/** A type token without an azure-native API version (`azure-native:network/v20230901:Nsg` -> `azure-native:network:Nsg`). */
function normalizedType(type: unknown): string {
  const t = String(type);
  let n = normalizedTypes.get(t);
  if (n === undefined) {
    n = t.replace(/^(azure-native:[a-zA-Z]+)\/v\d[\w]*:/, "$1:");
    if (normalizedTypes.size < 10000) normalizedTypes.set(t, n);
  }
  return n;
}

export function resourcePolicies(def: ResourceDef): ZipnetResourcePolicy[] {
  const base = def.aspect ? `${def.checklistId}:${def.aspect}` : def.checklistId;
  const types = def.types ? new Set(def.types) : undefined;
  return scopesOf(def.levels).map((scope) => {
    const name = `${base}${scope.suffix ?? ""}`;
    const validateResource = (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
      const unknowns: string[] = [];
      let subject = String(args.name ?? args.urn ?? "resource");
      try {
        shareDeserialization();
        if (types && !types.has(normalizedType(args.type))) return;
        const r = viewOfArgs(args);
        subject = r.name || subject;
        if (scope.posture !== "any" && r.posture !== scope.posture) return;
        const config = safeConfig(args.getConfig?.bind(args));
        const seen = new Set<string>();
        const ctx: ResourceContext = {
          posture: r.posture,
          config,
          now: nowFrom(config),
          fail(path, expected, found, note) {
            const text = message(r.name, path, expected, found, note);
            if (seen.has(text)) return;
            seen.add(text);
            reportViolation(text);
          },
          unknown(path) {
            if (!unknowns.includes(path)) unknowns.push(path);
          },
        };
        def.check(r, ctx);
      } catch (error) {
        if (isFrameworkUnknown(error)) throw error;
        reportViolation(failure(subject, error));
        return;
      }
      // What it could not read: the framework reports "can't run <policy> during preview" (advisory).
      if (unknowns.length) throw cannotJudgeYet(unknowns.map((p) => `${subject}.${p}`));
    };
    return {
      kind: "resource" as const,
      name,
      checklistId: def.checklistId,
      description: describeFor(def.description, scope),
      enforcementLevel: scope.level,
      ...(def.configSchema ? { configSchema: def.configSchema } : {}),
      validateResource,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Stack policies.

export interface StackContext {
  config: Record<string, unknown>;
  now: Date;
  /**
   * Reports `<subject>: <path>: expected <expected>, found <found>` against `subject` (its URN
   * goes with the diagnostic). The posture deciding which twin reports it is `posture`, else the
   * subject's posture in the model.
   */
  fail(subject: ResourceView | undefined, path: string, expected: string, found: unknown, opts?: { posture?: Posture; note?: string; urn?: string }): void;
  /** Runs `fn` per item; an item whose check throws is a violation naming it, and the others go on. */
  each<T>(items: Iterable<T>, fn: (item: T) => void): void;
  /** A value the check needs is unknown: this subject cannot be judged yet (said once, advisory). */
  unknown(subject: ResourceView | undefined, path: string): void;
}

// The framework hands every stack policy a fresh resource list, so a cache keyed by the list only
// helps callers that reuse one list (tests, benchmarks). The framework's lists of one analyzeStack
// call share their deserialized property objects (framework.ts memoizes the deserialization per
// request), so the last model is also reused when every resource has the same URN, the same
// property object and the same provider property object (by identity: a new request, or a
// caller that built new objects, gets a new model).
const models = new WeakMap<object, StackModel>();
let last: { keys: unknown[]; model: StackModel } | undefined;

const targetOf = proxyTarget;

/** Identity keys of a resource list: per resource its URN, property object and provider property object; undefined when not keyable. */
function identityKeys(resources: StackValidationArgs["resources"]): unknown[] | undefined {
  try {
    const keys: unknown[] = [];
    for (const r of resources) {
      const props = targetOf((r as { props?: unknown }).props);
      if (props === null || typeof props !== "object") return undefined;
      const provider = (r as { provider?: { props?: unknown } }).provider;
      keys.push(r.urn, props, provider ? targetOf(provider.props) : undefined);
    }
    return keys;
  } catch {
    return undefined;
  }
}

function sameKeys(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function modelOf(resources: StackValidationArgs["resources"]): StackModel {
  let m = models.get(resources);
  if (m) return m;
  const keys = identityKeys(resources);
  if (keys && last && sameKeys(keys, last.keys)) {
    m = last.model;
  } else {
    m = new StackModel(resources);
    last = keys ? { keys, model: m } : undefined;
  }
  models.set(resources, m);
  return m;
}

/** The resource an item of `ctx.each` stands for: a view, or a VM/record holding one as `r`. */
function subjectOf(item: unknown): ResourceView | undefined {
  if (item === null || typeof item !== "object") return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.urn === "string" && typeof o.name === "string") return o as unknown as ResourceView;
  const r = o.r as Record<string, unknown> | undefined;
  return r && typeof r.urn === "string" ? (r as unknown as ResourceView) : undefined;
}

export interface StackDef extends BaseDef {
  check(m: StackModel, ctx: StackContext): void;
}

export function stackPolicies(def: StackDef): ZipnetStackPolicy[] {
  const base = def.aspect ? `${def.checklistId}:${def.aspect}` : def.checklistId;
  return scopesOf(def.levels).map((scope) => {
    const name = `${base}${scope.suffix ?? ""}`;
    const validateStack = (args: StackValidationArgs, reportViolation: ReportViolation): void => {
      const unknowns: string[] = [];
      let stackName = "stack";
      try {
        shareDeserialization();
        const m = modelOf(args.resources ?? []);
        stackName = m.stackName();
        const config = safeConfig(args.getConfig?.bind(args));
        const seen = new Set<string>();
        const ctx: StackContext = {
          config,
          now: nowFrom(config),
          fail(subject, path, expected, found, opts = {}) {
            const posture = opts.posture ?? (subject ? m.postureOf(subject) : m.defaultPosture());
            if (scope.posture !== "any" && posture !== scope.posture) return;
            const text = message(subject?.name ?? m.stackName(), path, expected, found, opts.note);
            if (seen.has(text)) return;
            seen.add(text);
            const urn = opts.urn ?? subject?.urn;
            if (urn) reportViolation(text, urn);
            else reportViolation(text);
          },
          each(items, fn) {
            for (const item of items) {
              try {
                fn(item);
              } catch (error) {
                if (isFrameworkUnknown(error)) {
                  unknowns.push(`${subjectOf(item)?.name ?? stackName}: ${(error as Error).message}`);
                  continue;
                }
                const subject = subjectOf(item);
                const text = failure(subject?.name ?? stackName, error);
                if (subject?.urn) reportViolation(text, subject.urn);
                else reportViolation(text);
              }
            }
          },
          unknown(subject, path) {
            const posture = subject ? m.postureOf(subject) : m.defaultPosture();
            if (scope.posture !== "any" && posture !== scope.posture) return;
            const text = `${subject?.name ?? stackName}.${path}`;
            if (!unknowns.includes(text)) unknowns.push(text);
          },
        };
        def.check(m, ctx);
      } catch (error) {
        if (isFrameworkUnknown(error)) throw error;
        reportViolation(failure(stackName, error));
        return;
      }
      if (unknowns.length) throw cannotJudgeYet(unknowns);
    };
    return {
      kind: "stack" as const,
      name,
      checklistId: def.checklistId,
      description: describeFor(def.description, scope),
      enforcementLevel: scope.level,
      ...(def.configSchema ? { configSchema: def.configSchema } : {}),
      validateStack,
    };
  });
}

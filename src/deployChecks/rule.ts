/**
 * Deploy checks: rules that the clouds' APIs, the providers and Vault enforce at `pulumi up`, which
 * the offline engine's simulated cloud does not. Each rule names the resource types it reads and
 * the public source that states it (a documentation URL or a provider source path), and reports
 * `resource: property path: expected ..., found ...`. They read a state's inputs (what the engine
 * would send to the provider), so a plan and an audited export are judged alike. Pure: no SDK.
 */
import { providerConfigValue } from "../../policies/contract/wire";
import { UNKNOWN, at, describe, isUnknown, plain } from "../../policies/src/core/values";
import { providerOf } from "../offline/stateFacts";
import type { StateResource } from "../offline/stateFile";

export { UNKNOWN, isUnknown };

export interface DeployFinding {
  /** The rule's id, e.g. `gcp.firewall-family`. */
  rule: string;
  urn: string;
  message: string;
}

/** What a rule sees of one resource: plain inputs (secrets unwrapped, unknowns as UNKNOWN). */
export interface Subject {
  r: StateResource;
  /** The resource's name (the URN's last segment). */
  name: string;
  props: Record<string, any>;
}

export interface DeployContext {
  readonly resources: StateResource[];
  subject(r: StateResource): Subject;
  /** The provider resource a resource's `URN::ID` reference names. */
  provider(r: StateResource): StateResource | undefined;
  /** A provider's config: its inputs, JSON text decoded. */
  providerConfig(r: StateResource): Record<string, any>;
  /** Resources of the state a reference (id, self link, ARN, name, URN) points at. */
  resolve(ref: unknown, types?: readonly string[]): StateResource[];
  ofType(...types: string[]): StateResource[];
}

export type Report = (path: string, expected: string, found: unknown) => void;

export interface DeployRule {
  /** `<cloud or tool>.<what>`. */
  id: string;
  /** Type tokens the rule reads. */
  types: readonly string[];
  /** What is enforced, in one sentence. */
  description: string;
  /** Where it is stated: a documentation URL or a provider source path (with what it says). */
  source: string;
  check(s: Subject, ctx: DeployContext, report: Report): void;
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Provider config values travel as JSON text when they are not strings. */
export function decodedConfig(props: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(props)) out[k] = plain(providerConfigValue(v));
  return out;
}

export function context(resources: StateResource[]): DeployContext {
  const live = resources.filter((r) => !r.delete);
  const byUrn = new Map(live.map((r) => [r.urn, r]));
  const subjects = new Map<StateResource, Subject>();
  const index = new Map<string, StateResource[]>();
  const add = (key: unknown, r: StateResource) => {
    if (typeof key !== "string" || key === "") return;
    const list = index.get(key);
    if (!list) index.set(key, [r]);
    else if (!list.includes(r)) list.push(r);
  };
  const ctx: DeployContext = {
    resources: live,
    subject(r) {
      let s = subjects.get(r);
      if (!s) {
        s = { r, name: nameOf(r.urn), props: (plain(r.inputs ?? r.outputs ?? {}) ?? {}) as Record<string, any> };
        subjects.set(r, s);
      }
      return s;
    },
    provider: (r) => providerOf(r.provider, byUrn),
    providerConfig(r) {
      const p = ctx.provider(r);
      return p ? decodedConfig(ctx.subject(p).props) : {};
    },
    resolve(ref, types) {
      if (typeof ref !== "string" || ref === "") return [];
      if (index.size === 0) {
        for (const r of live) {
          add(r.urn, r);
          add(r.id, r);
          const p = ctx.subject(r).props;
          for (const k of ["id", "selfLink", "arn", "name", "email"]) add(p[k], r);
          const out = (plain(r.outputs ?? {}) ?? {}) as Record<string, any>;
          for (const k of ["id", "selfLink", "arn", "email"]) add(out[k], r);
        }
      }
      const found = index.get(ref) ?? [];
      return types ? found.filter((r) => types.includes(r.type)) : found;
    },
    ofType(...types) {
      return live.filter((r) => types.includes(r.type));
    },
  };
  return ctx;
}

export interface DeployCheckResult {
  /** How many rules ran. */
  rules: number;
  findings: DeployFinding[];
}

/** Runs every rule over a state's live resources. A rule that throws is a finding, never a pass. */
export function runRules(rules: readonly DeployRule[], resources: StateResource[]): DeployCheckResult {
  const ctx = context(resources);
  const findings: DeployFinding[] = [];
  for (const rule of rules) {
    for (const r of ctx.resources) {
      if (!rule.types.includes(r.type)) continue;
      const s = ctx.subject(r);
      const seen = new Set<string>();
      const report: Report = (path, expected, found) => {
        const message = `${s.name}: ${path}: expected ${expected}, found ${describe(found)}`;
        if (seen.has(message)) return;
        seen.add(message);
        findings.push({ rule: rule.id, urn: r.urn, message });
      };
      try {
        rule.check(s, ctx, report);
      } catch (err) {
        findings.push({ rule: rule.id, urn: r.urn, message: `${s.name}: the rule could not judge it: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }
  return { rules: rules.length, findings };
}

export { at };

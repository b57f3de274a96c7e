/**
 * The zipnet posture policy pack: every policy, and a pure catalog of them for the offline
 * audit and the report. Importing this module starts nothing (no gRPC server, no cloud SDK):
 * only index.ts constructs the PolicyPack.
 */
import { CHECKLIST, checklistIdOf } from "./contract/checklist";
import * as aggregator from "./src/aggregator";
import * as attestations from "./src/attestations";
import * as audit from "./src/audit";
import * as client from "./src/client";
import * as committee from "./src/committee";
import * as crossInstance from "./src/crossInstance";
import * as devtest from "./src/devtest";
import * as identity from "./src/identity";
import * as network from "./src/network";
import * as ops from "./src/ops";
import * as scope from "./src/scope";
import * as secrets from "./src/secrets";
import * as vaultLogin from "./src/vaultLogin";
import type { ZipnetPolicy } from "./src/core/policy";

export type { ZipnetPolicy } from "./src/core/policy";
export { setClock } from "./src/core/policy";

export const PACK_NAME = "zipnet-posture";

function isPolicy(value: unknown): value is ZipnetPolicy {
  const p = value as Partial<ZipnetPolicy> | null;
  return typeof p === "object" && p !== null && typeof p.name === "string" && typeof p.checklistId === "string" && (p.kind === "resource" || p.kind === "stack");
}

const CHECKLIST_ORDER = new Map(CHECKLIST.map((item, i) => [item.id, i]));
const isTwin = (p: ZipnetPolicy) => (p.name.endsWith(":devtest") ? 1 : 0);
const baseName = (p: ZipnetPolicy) => p.name.replace(/:devtest$/, "");

/**
 * Every policy of the pack: whatever the area modules export, in checklist order, each
 * production policy followed by its `:devtest` twin. Derived, so a new policy cannot be left out.
 */
export const ALL_POLICIES: ZipnetPolicy[] = [...new Set([identity, secrets, committee, crossInstance, aggregator, client, devtest, network, audit, ops, scope, attestations, vaultLogin].flatMap((m) => Object.values(m).filter(isPolicy)))].sort(
  (a, b) =>
    (CHECKLIST_ORDER.get(a.checklistId) ?? Infinity) - (CHECKLIST_ORDER.get(b.checklistId) ?? Infinity) ||
    baseName(a).localeCompare(baseName(b)) ||
    isTwin(a) - isTwin(b),
);

export interface PolicyCatalogEntry {
  /** Wire name: `<checklist id>[:<aspect>][:devtest]`. */
  name: string;
  checklistId: string;
  enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  description: string;
  kind: "resource" | "stack";
}

/** The pack's policies as plain data (what the audit and the report print). */
export const POLICY_CATALOG: readonly PolicyCatalogEntry[] = ALL_POLICIES.map((p) => ({
  name: p.name,
  checklistId: p.checklistId,
  enforcementLevel: p.enforcementLevel ?? "advisory",
  description: p.description,
  kind: p.kind,
}));

export { checklistIdOf } from "./contract/checklist";

// Self-check at load: unique names, known checklist ids, every checklist item covered.
{
  const ids = new Set(CHECKLIST.map((c) => c.id));
  const names = new Set<string>();
  for (const p of ALL_POLICIES) {
    if (names.has(p.name)) throw new Error(`zipnet-posture: duplicate policy name ${p.name}`);
    names.add(p.name);
    if (!ids.has(p.checklistId) || checklistIdOf(p.name) !== p.checklistId) throw new Error(`zipnet-posture: policy ${p.name} has checklist id ${p.checklistId}`);
  }
  const covered = new Set(ALL_POLICIES.map((p) => p.checklistId));
  const missing = [...ids].filter((id) => !covered.has(id));
  if (missing.length) throw new Error(`zipnet-posture: checklist items without a policy: ${missing.join(", ")}`);
}

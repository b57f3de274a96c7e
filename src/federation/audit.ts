/**
 * `audit --manifest FILE`: the operators' states of a federated instance judged together against
 * its signed manifest (docs/federation.md). The pack judges each state against the manifest facts
 * its posture record carries; this judges what only the manifest file can say: that it verifies,
 * that every state was deployed with its newest epoch, and that each operator running a node has
 * exactly one state. Pure.
 */
import type { AuditViolation } from "../offline/audit/types";
import { canonicalJson } from "../deployRecord/ed25519";
import { manifestHash, manifestNodeFacts, verifyManifestChain } from "./manifest";

interface AuditedState {
  label: string;
  name: string;
  urn: string;
  record?: Record<string, unknown>;
}

const finding = (urn: string, message: string): AuditViolation => ({ policy: "committee.fault-domains:manifest", checklist: "committee.fault-domains", level: "mandatory", urn, message });

/** Findings of the states against the manifest text; `input` when the manifest cannot be read at all. */
export function manifestFindings(manifestFile: string, manifestText: string, states: readonly AuditedState[]): { findings: AuditViolation[]; input?: string } {
  const result = verifyManifestChain(manifestText);
  if (!result.ok && result.input) return { findings: [], input: `${manifestFile}: ${result.reason}` };
  const anyUrn = states[0]?.urn ?? "";
  if (!result.ok) return { findings: [finding(anyUrn, `${manifestFile}: expected a manifest that verifies, found: ${result.reason}`)] };
  const m = result.newest;
  const hash = manifestHash(m);
  const mine = states.filter((s) => s.name === m.instance);
  const findings: AuditViolation[] = [];
  if (!mine.length) return { findings: [finding(anyUrn, `${manifestFile}: expected the states of ${m.instance}'s operators, found none of that instance`)] };
  // Two states of one operator: the pack's cross-instance check says so (federation.operator).
  const operators = new Set<string>();
  for (const s of mine) {
    const fed = s.record?.federation as { operator?: unknown; manifest?: unknown } | null | undefined;
    if (!fed || typeof fed.operator !== "string") {
      findings.push(finding(s.urn, `${s.name} (${s.label}): expected one operator's stack of the federated instance, found a stack deploying the instance without its manifest`));
      continue;
    }
    if (fed.manifest === hash && canonicalJson((fed as { nodes?: unknown }).nodes ?? null) !== canonicalJson(manifestNodeFacts(m))) {
      findings.push(finding(s.urn, `${s.name} (${s.label}): expected the manifest's nodes in its posture record, found others (a record edited, or not made from this manifest)`));
    }
    if (fed.manifest !== hash) findings.push(finding(s.urn, `${s.name} (${s.label}): expected a stack deployed with the manifest's newest epoch ${m.epoch} (${hash.slice(0, 12)}...), found ${String(fed.manifest).slice(0, 12)}...`));
    if (!m.operators.some((o) => o.id === fed.operator)) findings.push(finding(s.urn, `${s.name} (${s.label}): expected an operator of the manifest (${m.operators.map((o) => o.id).join(", ")}), found ${fed.operator}`));
    operators.add(fed.operator);
  }
  // Every operator of a verified manifest runs a node (manifestRuleProblems).
  for (const o of m.operators) {
    if (!operators.has(o.id)) findings.push(finding(mine[0].urn, `${m.instance}: expected a state of every operator, found none of ${o.id} (${o.organization}: ${m.nodes.filter((n) => n.operator === o.id).map((n) => n.id).join(", ")})`));
  }
  return { findings };
}

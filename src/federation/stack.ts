/**
 * One operator's stack of a federated instance, held to the signed manifest before anything
 * registers (docs/federation.md): the manifest verifies against the pinned genesis and is not older
 * than the epoch the operator accepted; the stack deploys exactly the servers the manifest gives its
 * operator, where the manifest puts them; the instance's name, posture, ports and reference values
 * are the manifest's; and its sealed copy of the committee secret is the newest epoch's, addressed to
 * the operator's sealing key. Pure apart from reading the stack's own files.
 */
import * as path from "node:path";
import type { InstanceConfig } from "../config/schema";
import { CONFIG_KEY } from "../config/schema";
import { InputFileError, readInputText } from "../config/inputFile";
import { RAW, instanceNodes, type ConfigIssue } from "../config/validate";
import { canonicalJson } from "../deployRecord/ed25519";
import { mountPath } from "../secrets/layout";
import { normalName } from "../../policies/contract/patterns";
import { manifestHash, verifyManifestChain, type Manifest } from "./manifest";
import { SealError, parseSealed, sealedFileName, type Sealed } from "./seal";
import { ceremonyFileName, ceremonyProblem, parseCeremony, sealedHash } from "./ceremony";

/** The manifest beside the stack files. */
export function manifestPath(stacksDir: string, instance: string): string {
  return path.join(stacksDir, `${instance}.manifest.json`);
}

/** This operator's sealed copy of the newest epoch's committee secret, beside the stack files. */
function sealedCopyPath(stacksDir: string, m: Pick<Manifest, "instance" | "epoch">, operator: string): string {
  return path.join(stacksDir, sealedFileName(m.instance, m.epoch, operator));
}

interface FederatedStack {
  manifest: Manifest;
  manifestHash: string;
  /** Present when the operator runs a committee server: its copy, and the commitment its secret must match. */
  sealed?: Sealed;
  commitment?: string;
}

const at = (p: string) => `${CONFIG_KEY}.${p}`;

/** A file beside the stack file: its text, or why it cannot be read (no such file, a directory, not UTF-8...). */
function readBeside(file: string, what: string): { text: string } | { problem: string } {
  try {
    return { text: readInputText(file, what) };
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    return { problem: err.found };
  }
}

/** Reads and checks the stack's federation; issues (every one) or the verified facts. */
export function checkFederation(config: InstanceConfig, stacksDir: string): { issues: ConfigIssue[]; stack?: FederatedStack } {
  const fed = config.federation;
  if (!fed) return { issues: [] };
  const file = manifestPath(stacksDir, config.name);
  const manifest = readBeside(file, "the instance manifest");
  if ("problem" in manifest) return { issues: [{ path: at("federation"), expected: `the instance manifest ${file} (docs/federation.md)`, found: `${RAW}${manifest.problem}` }] };
  const result = verifyManifestChain(manifest.text, { genesis: fed.genesis, minEpoch: fed.acceptedEpoch });
  if (!result.ok) return { issues: [{ path: at("federation"), expected: `a manifest ${file} that verifies`, found: `${RAW}${result.reason}` }] };
  const m = result.newest;
  const issues: ConfigIssue[] = [];
  const operator = m.operators.find((o) => o.id === fed.operator);
  if (!operator) return { issues: [{ path: at("federation.operator"), expected: `an operator of the manifest (${m.operators.map((o) => o.id).join(", ")})`, found: fed.operator }] };

  // The instance is the manifest's.
  if (config.name !== m.instance) issues.push({ path: at("name"), expected: `the manifest's instance ${m.instance}`, found: config.name });
  if (config.posture !== m.posture) issues.push({ path: at("posture"), expected: `the manifest's posture ${m.posture}`, found: config.posture });
  if ((config.universe ?? "") !== m.universe) issues.push({ path: at("universe"), expected: `the manifest's universe ${JSON.stringify(m.universe)}`, found: config.universe ?? "" });
  if (config.network.irohPort !== m.ports.iroh) issues.push({ path: at("network.irohPort"), expected: `the manifest's iroh port ${m.ports.iroh}`, found: config.network.irohPort });
  if (config.network.metricsPort !== m.ports.metrics) issues.push({ path: at("network.metricsPort"), expected: `the manifest's metrics port ${m.ports.metrics}`, found: config.network.metricsPort });
  for (const list of ["committee", "clients"] as const) {
    if (canonicalJson(config.tdx[list]) !== canonicalJson(m.referenceValues[list])) issues.push({ path: at(`tdx.${list}`), expected: `the manifest's referenceValues.${list} (epoch ${m.epoch})`, found: `${RAW}other reference sets` });
  }

  // Exactly the operator's servers, where the manifest puts them.
  const mine = m.nodes.filter((n) => n.operator === fed.operator);
  for (const node of instanceNodes(config)) {
    const where = node.role === "aggregator" ? "aggregator" : `committee[${config.committee.findIndex((c) => c.id === node.id)}]`;
    const entry = m.nodes.find((n) => n.id === node.id);
    if (!entry) {
      issues.push({ path: at(`${where}.id`), expected: `a node of the manifest (${m.nodes.map((n) => n.id).join(", ")})`, found: node.id });
      continue;
    }
    if (entry.operator !== fed.operator) {
      issues.push({ path: at(`${where}.id`), expected: `a node the manifest gives to ${fed.operator} (${mine.map((n) => n.id).join(", ") || "none"})`, found: `${RAW}${node.id}, which the manifest gives to ${entry.operator}` });
      continue;
    }
    for (const [key, want, have] of [["role", entry.role, node.role], ["cloud", entry.cloud, node.cloud], ["account", entry.account, node.account], ["region", entry.region, node.region]] as const) {
      if (want !== have) issues.push({ path: at(key === "role" ? `${where}` : `${where}.${key}`), expected: `the manifest's ${key} for ${node.id}: ${want}`, found: have });
    }
    if (node.operator !== undefined && normalName(node.operator) !== normalName(operator.organization)) {
      issues.push({ path: at(`${where}.operator`), expected: `the manifest's organization for ${fed.operator}: ${operator.organization}`, found: node.operator });
    }
    // Its secret scope lives where the manifest says: this operator's own Vault and mount.
    if (entry.secretScope.vault.replace(/\/+$/, "") !== config.vault.address.replace(/\/+$/, "")) issues.push({ path: at("vault.address"), expected: `the manifest's secret scope of ${node.id}: ${entry.secretScope.vault}`, found: config.vault.address });
    if (entry.secretScope.mount !== mountPath(config)) issues.push({ path: at("vault.mount"), expected: `the manifest's secret scope mount of ${node.id}: ${entry.secretScope.mount}`, found: mountPath(config) });
  }
  for (const entry of mine) {
    if (!instanceNodes(config).some((n) => n.id === entry.id)) issues.push({ path: at(entry.role === "aggregator" ? "aggregator" : "committee"), expected: `${entry.id}, which the manifest gives to ${fed.operator}`, found: `${RAW}not in this stack` });
  }

  // Its sealed copy of the committee secret, for this epoch and this operator's key.
  let sealed: Sealed | undefined;
  let commitment: string | undefined;
  if (mine.some((n) => n.role === "committee")) {
    const copy = sealedCopyPath(stacksDir, m, fed.operator);
    const copyText = readBeside(copy, "a sealed copy");
    if ("problem" in copyText) {
      issues.push({ path: at("federation"), expected: `${copy}: ${fed.operator}'s sealed copy of the epoch ${m.epoch} committee secret (manifest ceremony)`, found: `${RAW}${copyText.problem}` });
    } else {
      try {
        sealed = parseSealed(copyText.text);
        const hash = manifestHash(m);
        const wrong = sealed.instance !== m.instance ? `instance ${sealed.instance}` : sealed.epoch !== m.epoch ? `epoch ${sealed.epoch}` : sealed.manifest !== hash ? "another manifest" : sealed.operator !== fed.operator ? `operator ${sealed.operator}` : sealed.recipient !== operator.sealingKey ? "another sealing key" : undefined;
        if (wrong) issues.push({ path: at("federation"), expected: `${copy} sealed for ${m.instance} epoch ${m.epoch} to ${fed.operator}'s sealing key`, found: `${RAW}a copy for ${wrong}` });
        // Anyone can seal a copy to a public key: only the copy the operators signed for is imported.
        const recordFile = path.join(stacksDir, ceremonyFileName(m.instance, m.epoch));
        const recordText = readBeside(recordFile, "a ceremony record");
        const record = "problem" in recordText ? recordText.problem : parseCeremony(recordText.text);
        const problem = typeof record === "string" ? record : ceremonyProblem(record, m, hash);
        if (problem) issues.push({ path: at("federation"), expected: `${recordFile}: the ceremony record of epoch ${m.epoch}, signed by every operator`, found: `${RAW}${problem}` });
        else if (typeof record !== "string" && record.record.copies[fed.operator] !== sealedHash(sealed)) {
          issues.push({ path: at("federation"), expected: `${copy}: the copy the signed ceremony record lists for ${fed.operator}`, found: `${RAW}another copy (sealed by someone else, or altered)` });
        } else if (typeof record !== "string") commitment = record.record.commitment;
      } catch (err) {
        if (!(err instanceof SealError)) throw err;
        issues.push({ path: at("federation"), expected: `${copy}: a sealed copy`, found: `${RAW}${err.message}` });
      }
    }
  }
  return { issues, stack: issues.length ? undefined : { manifest: m, manifestHash: manifestHash(m), sealed, commitment } };
}

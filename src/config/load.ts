/**
 * The stack's config as the program and the CLI load it: the instance config validated, then
 * the checks that read the stack's own files (the signed PeerId registry beside the stack file, and
 * for a federated stack the signed manifest and its sealed committee secret).
 * Everything fails with a ConfigError before any resource is registered.
 */
import * as path from "node:path";
import { checkRegistry } from "../deployRecord/registry";
import { checkFederation } from "../federation/stack";
import type { InstanceConfig } from "./schema";
import { InputFileError, readInputText } from "./inputFile";
import { ConfigError, RAW, parseInstanceConfig, type ConfigIssue } from "./validate";

/** A file beside the stack file: its text, undefined when there is none; unreadable (a directory, not UTF-8...) throws InputFileError. */
function readIfExists(file: string, what: string): string | undefined {
  try {
    return readInputText(file, what);
  } catch (err) {
    if (err instanceof InputFileError && err.found === "no such file") return undefined;
    throw err;
  }
}

/**
 * Problems with the instance's registry (`<stacksDir>/<instance>.registry.json` and its `.sig`).
 * Production always checks it (checklist audit.peer-registry); devtest checks it when a key is set.
 * Every committee server needs an entry; the aggregator may have one.
 */
export function registryIssues(config: InstanceConfig, stacksDir: string): ConfigIssue[] {
  if ((config.posture !== "production" && !config.registry) || (config.federation && !config.registry)) return [];
  const file = path.join(stacksDir, `${config.name}.registry.json`);
  let registryText: string | undefined;
  let signatureText: string | undefined;
  try {
    registryText = readIfExists(file, "the signed PeerId registry");
    signatureText = readIfExists(`${file}.sig`, "its detached signature");
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    return [{ path: err.file, expected: err.expected, found: `${RAW}${err.found}` }];
  }
  return checkRegistry({
    registryText,
    signatureText,
    publicKeyText: config.registry?.publicKey,
    instance: config.name,
    file,
    nodeIds: config.committee.map((n) => n.id),
    optionalNodeIds: config.aggregator ? [config.aggregator.id] : [],
  });
}

/** Validates raw config and the stack's registry; throws ConfigError listing every problem. */
export function loadInstance(raw: unknown, stacksDir: string): InstanceConfig {
  const config = parseInstanceConfig(raw);
  const issues = [...registryIssues(config, stacksDir), ...checkFederation(config, stacksDir).issues];
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

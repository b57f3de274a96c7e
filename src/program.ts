/**
 * The Pulumi program as a function of the validated config: what `pulumi up` runs (index.ts)
 * and what the offline plan runs under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { InstanceConfig } from "./config/schema";
import { ConfigError, parseInstanceConfig } from "./config/validate";
import { ZipnetInstance } from "./instance/instance";

export function program(config: InstanceConfig) {
  const instance = new ZipnetInstance(config.name, { config });
  return {
    instance: config.name,
    posture: config.posture,
    universe: config.universe ?? "",
    committeeMrtds: config.tdx.committeeMrtds,
    clientMrtds: config.tdx.clientMrtds,
    vaultMount: instance.secrets.mount,
    nodes: instance.nodes,
  };
}

/**
 * Reads and validates `zipnet-infra:instance` from the stack's config. A config mistake is a
 * RunError (printed without a stack trace), raised before any resource is registered.
 */
export function loadInstanceConfig(): InstanceConfig {
  try {
    return parseInstanceConfig(new pulumi.Config("zipnet-infra").getObject<unknown>("instance"));
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/** The stack program: validated config in, one zipnet instance out. */
export function main() {
  return program(loadInstanceConfig());
}

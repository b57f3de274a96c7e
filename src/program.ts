/**
 * The Pulumi program as a function of the validated config: what `pulumi up` runs (index.ts)
 * and what the offline plan runs under mocks.
 */
import type { InstanceConfig } from "./config/schema";
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

/**
 * The Pulumi program as a function of the validated config: what `pulumi up` runs (index.ts)
 * and what the offline plan runs under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadInstance } from "./config/load";
import type { InstanceConfig } from "./config/schema";
import { PUBLICATION_KEY_CONFIG, stacksDir } from "./config/stackFile";
import { ConfigError, stackNameIssues } from "./config/validate";
import { loadPrivateKey, sign } from "./deployRecord/ed25519";
import { publicationOf, renderPublication } from "./deployRecord/publication";
import { ZipnetInstance } from "./instance/instance";

export interface ProgramOptions {
  /** Ed25519 key that signs the publication (a Pulumi secret: PKCS8 PEM or base64 seed). */
  publicationKey?: pulumi.Output<string>;
}

export function program(config: InstanceConfig, opts: ProgramOptions = {}) {
  const instance = new ZipnetInstance(config.name, { config });
  // The signed statement publishers verify: instance name, MR_TDs, images, fault domains.
  const publication = renderPublication(publicationOf(config));
  // A signature is not secret; the key that makes it is.
  const publicationSignature = opts.publicationKey
    ? pulumi.unsecret(opts.publicationKey.apply((key) => sign(publication, loadPrivateKey(key))))
    : undefined;
  return {
    publication,
    ...(publicationSignature ? { publicationSignature } : {}),
    instance: config.name,
    posture: config.posture,
    universe: config.universe ?? "",
    tdxEpoch: config.tdx.epoch,
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
    const config = loadInstance(new pulumi.Config("zipnet-infra").getObject<unknown>("instance"), stacksDir());
    const issues = stackNameIssues(config, pulumi.getStack());
    if (issues.length) throw new ConfigError(issues);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/** The stack program: validated config in, one zipnet instance out. */
export function main() {
  const config = loadInstanceConfig();
  // One name for the key, here and where the offline plan leaves its encrypted value out.
  const [namespace, key] = PUBLICATION_KEY_CONFIG.split(":");
  return program(config, { publicationKey: new pulumi.Config(namespace).getSecret(key) });
}

/**
 * The Pulumi program as a function of the validated config: what `pulumi up` runs (index.ts)
 * and what the offline plan runs under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadInstance } from "./config/load";
import type { InstanceConfig } from "./config/schema";
import { PUBLICATION_KEY_CONFIG, SEALING_KEY_CONFIG, stacksDir } from "./config/stackFile";
import { checkFederation } from "./federation/stack";
import { loadSealingPrivateKey, open as openSealed, secretCommitment, type Sealed } from "./federation/seal";
import { ConfigError, stackNameIssues } from "./config/validate";
import { loadPrivateKey, sign } from "./deployRecord/ed25519";
import { publicationOf, renderPublication } from "./deployRecord/publication";
import { ZipnetInstance, type FederationFacts } from "./instance/instance";

export interface ProgramOptions {
  /** Ed25519 key that signs the publication (a Pulumi secret: PKCS8 PEM or base64 seed). */
  publicationKey?: pulumi.Output<string>;
  /** A federated operator's X25519 key that opens its sealed committee secret (a Pulumi secret). */
  sealingKey?: pulumi.Output<string>;
  /** The stack files' folder (the manifest and sealed copy of a federated stack). */
  stacksDir?: string;
}

/**
 * A federated stack's committee secret: its sealed copy, opened with the operator's key. Without
 * the key a preview leaves the value unknown; an update refuses to run (it would write nothing true).
 */
function importedCommitteeSecret(sealed: Sealed, commitment: string, key: pulumi.Output<string> | undefined): pulumi.Output<string> {
  if (key) {
    return pulumi.secret(
      key.apply((k) => {
        const secret = openSealed(sealed, loadSealingPrivateKey(k));
        // The secret every committee operator checked its copy against (the signed ceremony record).
        if (secretCommitment(secret, sealed.instance, sealed.epoch) !== commitment) throw new pulumi.RunError(`the sealed committee secret of epoch ${sealed.epoch} does not match the signed ceremony record's commitment: not imported`);
        return secret.toString("base64");
      }),
    );
  }
  if (pulumi.runtime.isDryRun()) return pulumi.secret(pulumi.output(pulumi.unknown as unknown as string));
  throw new pulumi.RunError(`${SEALING_KEY_CONFIG}: expected the operator's X25519 private key (a Pulumi secret: pulumi config set --secret ${SEALING_KEY_CONFIG.split(":")[1]} < sealing.pem) to import its sealed committee secret, found none`);
}

export function program(config: InstanceConfig, opts: ProgramOptions = {}) {
  let federation: FederationFacts | undefined;
  let committeeSecret: pulumi.Output<string> | undefined;
  if (config.federation) {
    const checked = checkFederation(config, opts.stacksDir ?? stacksDir());
    if (!checked.stack) throw new pulumi.RunError(new ConfigError(checked.issues).message);
    federation = { manifest: checked.stack.manifest, manifestHash: checked.stack.manifestHash };
    if (checked.stack.sealed && checked.stack.commitment) committeeSecret = importedCommitteeSecret(checked.stack.sealed, checked.stack.commitment, opts.sealingKey);
  }
  const instance = new ZipnetInstance(config.name, { config, federation, committeeSecret });
  // The signed statement publishers verify: instance name, MR_TDs, images, fault domains. A federated
  // stack holds one operator's servers: the manifest every operator signs is the publication.
  const publication: string | undefined = federation ? undefined : renderPublication(publicationOf(config));
  // A signature is not secret; the key that makes it is.
  const publicationSignature =
    publication !== undefined && opts.publicationKey ? pulumi.unsecret(opts.publicationKey.apply((key) => sign(publication, loadPrivateKey(key)))) : undefined;
  return {
    ...(publication !== undefined ? { publication } : {}),
    ...(publicationSignature ? { publicationSignature } : {}),
    ...(federation ? { federation: { operator: config.federation!.operator, manifestEpoch: federation.manifest.epoch, manifest: federation.manifestHash } } : {}),
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
  const [sealingNamespace, sealingKey] = SEALING_KEY_CONFIG.split(":");
  return program(config, { publicationKey: new pulumi.Config(namespace).getSecret(key), sealingKey: new pulumi.Config(sealingNamespace).getSecret(sealingKey) });
}

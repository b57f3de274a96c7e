/**
 * The boot contract: the non-secret settings a node's image reads at boot (GCP metadata
 * `user-data`, Azure `userData`, AWS `userData`), as one JSON document. Secrets never cross
 * it: the image logs in to Vault (production committee servers with an attested TDX token, other
 * nodes with the VM's cloud identity), reads the listed paths and hands them to zipnet as
 * `*_FILE` paths on tmpfs. docs/boot-contract.md is its reference.
 */
import type { Cloud, InstanceConfig, InstanceNode } from "../config/schema";
import { archiveBucketName, archivePrefix, archiverIdentity } from "../archive/naming";
import { attestedNode, attestedRoles, nodeSecretPaths, roleName } from "../secrets/layout";
import { ATTESTATION_SERVICE, attestedAuthMount, attestedRuntimeData, isAttestedLogin } from "../../policies/contract/attestation";

export const BOOT_CONTRACT_SCHEMA = "zipnet-boot/v1";
/** tmpfs folder the image renders secrets into. */
export const SECRETS_TMPFS = "/run/zipnet";

/** How each cloud's VM proves its identity to Vault. */
export const VAULT_AUTH_METHOD: Record<Cloud, string> = { gcp: "gcp-gce", azure: "azure", aws: "aws-iam" };
/** How a production committee server logs in instead: a JWT login with its attestation token. */
export const ATTESTED_AUTH_METHOD = "jwt-attested";

/** The cloud's own time service (link-local or host clock), used before any public server. */
export const CLOUD_TIME_SOURCE: Record<Cloud, string> = {
  gcp: "metadata.google.internal",
  azure: "ptp:/dev/ptp_hyperv",
  aws: "169.254.169.123",
};

export interface BootSecret {
  /** zipnet variable that receives the file path. */
  env: string;
  /** Vault API path of the KV v2 read. */
  path: string;
  /** Field of the KV data holding the value. */
  field: string;
  /** tmpfs file the image writes the value to. */
  file: string;
}

export interface BootContract {
  schema: typeof BOOT_CONTRACT_SCHEMA;
  role: InstanceNode["role"];
  node: string;
  /** Plain zipnet environment (no secrets). */
  env: Record<string, string>;
  iroh: { port: number };
  vault: { address: string; namespace?: string; authMethod: string; authMount: string; role: string; secrets: BootSecret[] };
  /** Production committee servers: how to obtain the token their Vault roles accept (docs/attestation.md). */
  attestation?: AttestedLogin;
  time: { sources: string[]; nts: boolean };
  tmpfs: string;
  /** The aggregator runs the Broadcasts archiver job (when the instance has an archive and no other runner). */
  archive?: { cloud: string; bucket: string; prefix: string; schedule: string; writer: string };
}

export interface AttestedLogin {
  /** The attestation service and its API. */
  service: string;
  api: string;
  /**
   * The runtime data to attest, verbatim (its JSON is what the service hashes against REPORTDATA).
   * The guest must connect to Vault only at `vault_address`, trusting only the CA whose SHA-256 it
   * names: the role requires both, so a token made for a substituted Vault is refused by the real one.
   */
  runtimeData: Record<string, string>;
  /** One role per reference set of the node's platform and machine type: log in with the one the TD's registers match. */
  roles: Array<{ set: string; role: string }>;
}

function attestedLogin(config: InstanceConfig, node: InstanceNode): AttestedLogin {
  return {
    service: ATTESTATION_SERVICE.name,
    api: ATTESTATION_SERVICE.apiUrl,
    runtimeData: attestedRuntimeData(attestedNode(config, node)),
    roles: attestedRoles(config, node).map((r) => ({ set: r.set.name, role: r.role })),
  };
}

const SECRET_FILES: Record<string, string> = {
  ZIPNET_SECRET_FILE: `${SECRETS_TMPFS}/secret`,
  ZIPNET_COMMITTEE_SECRET_FILE: `${SECRETS_TMPFS}/committee-secret`,
};

export function bootContract(config: InstanceConfig, node: InstanceNode): BootContract {
  const env: Record<string, string> = {
    ZIPNET_INSTANCE: config.name,
    ZIPNET_METRICS: `0.0.0.0:${config.network.metricsPort}`,
  };
  if (config.universe) env.ZIPNET_UNIVERSE = config.universe;
  if (node.role === "committee") env.ZIPNET_MIN_PARTICIPANTS = String(config.minParticipants);
  const secrets = Object.entries(nodeSecretPaths(config, node)).map(([envName, path]) => {
    env[envName] = SECRET_FILES[envName];
    return { env: envName, path, field: "value", file: SECRET_FILES[envName] };
  });
  const attested = isAttestedLogin(config.posture, node.role) ? attestedLogin(config, node) : undefined;
  return {
    schema: BOOT_CONTRACT_SCHEMA,
    role: node.role,
    node: node.id,
    env,
    iroh: { port: config.network.irohPort },
    vault: {
      address: config.vault.address,
      ...(config.vault.namespace ? { namespace: config.vault.namespace } : {}),
      authMethod: attested ? ATTESTED_AUTH_METHOD : VAULT_AUTH_METHOD[node.cloud],
      authMount: attested ? attestedAuthMount(config.name) : config.vault.authMounts[node.cloud],
      // Attested: the first set's role (attestation.roles lists every set's; the TD's registers pick one).
      role: attested?.roles[0]?.role ?? roleName(config, node.id),
      secrets,
    },
    ...(attested ? { attestation: attested } : {}),
    time: { sources: [CLOUD_TIME_SOURCE[node.cloud], ...config.network.timeServers], nts: true },
    tmpfs: SECRETS_TMPFS,
    ...(node.role === "aggregator" && config.archive && !config.archive.runner
      ? {
          archive: {
            cloud: config.archive.cloud,
            bucket: archiveBucketName(config.name),
            prefix: archivePrefix(config.name),
            schedule: config.archive.schedule,
            writer: archiverIdentity(config.name, config.archive),
          },
        }
      : {}),
  };
}

export function renderBootContract(contract: BootContract): string {
  return JSON.stringify(contract);
}

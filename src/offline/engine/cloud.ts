/**
 * The simulated cloud behind the offline engine: what a provider would answer for a resource it
 * has just created (ids, service-account emails, principal ids, ARNs, KMS key names), and for the
 * few invokes the program makes. Deterministic: the same plan always gives the same values.
 * Addresses stay unknown, as in a preview. Pure.
 */
import { createHash } from "node:crypto";
import { SECRET_SIG_KEY, UNKNOWN_VALUE, providerConfigValue } from "../../../policies/contract/wire";

export function pseudoUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function plain(value: unknown): string | undefined {
  return typeof value === "string" && value !== UNKNOWN_VALUE ? value : undefined;
}

/** Outputs a freshly created custom resource adds to its inputs, keyed by type. */
export function createdState(type: string, name: string, inputs: Record<string, any>, providerInputs: Record<string, any>): Record<string, unknown> {
  const project = plain(providerInputs.project) ?? "project";
  const subscription = plain(providerInputs.subscriptionId) ?? "00000000-0000-0000-0000-000000000000";
  const accounts = providerConfigValue(providerInputs.allowedAccountIds) as unknown[] | undefined;
  const account = plain(accounts?.[0]) ?? "000000000000";
  const region = plain(providerInputs.region) ?? "region";
  if (type.startsWith("gcp:")) {
    const kind = type.split(":")[2]?.toLowerCase() ?? "resource";
    const selfLink = `https://www.googleapis.com/compute/v1/projects/${project}/global/${kind}s/${name}`;
    const extra: Record<string, unknown> = { selfLink, id: `projects/${project}/${kind}s/${name}` };
    // Labelled resources report the provider's default labels merged with their own (the SDK
    // marks these secret outputs: additionalSecretOutputs effectiveLabels, pulumiLabels).
    const defaults = providerConfigValue(providerInputs.defaultLabels);
    const own = inputs.labels;
    const plainMap = (v: unknown) => v && typeof v === "object" && !Array.isArray(v) && !(SECRET_SIG_KEY in (v as object));
    if (own !== undefined && !plainMap(own)) {
      // Secret or unknown labels: what the provider merges is not known here.
      Object.assign(extra, { effectiveLabels: UNKNOWN_VALUE, pulumiLabels: UNKNOWN_VALUE, terraformLabels: UNKNOWN_VALUE });
    } else if (own !== undefined || plainMap(defaults)) {
      const merged = { ...(plainMap(defaults) ? (defaults as object) : {}), ...(own ?? {}) };
      Object.assign(extra, { effectiveLabels: merged, pulumiLabels: merged, terraformLabels: merged });
    }
    if (type === "gcp:serviceaccount/account:Account") {
      extra.email = `${plain(inputs.accountId) ?? name}@${project}.iam.gserviceaccount.com`;
      extra.id = `projects/${project}/serviceAccounts/${extra.email}`;
    }
    if (type === "gcp:kms/cryptoKey:CryptoKey" || type === "gcp:kms/keyRing:KeyRing") {
      extra.id = `projects/${project}/locations/${region}/${type.endsWith("KeyRing") ? "keyRings" : "cryptoKeys"}/${name}`;
    }
    return extra;
  }
  if (type.startsWith("azure-native:")) {
    const [, module, resource] = type.split(":");
    const group = plain(inputs.resourceGroupName) ?? name;
    const id =
      type === "azure-native:resources:ResourceGroup"
        ? `/subscriptions/${subscription}/resourceGroups/${name}`
        : `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.${module}/${resource}/${name}`;
    const extra: Record<string, unknown> = { id, name };
    if (type === "azure-native:managedidentity:UserAssignedIdentity") {
      extra.principalId = pseudoUuid(`principal:${id}`);
      extra.clientId = pseudoUuid(`client:${id}`);
    }
    return extra;
  }
  if (type.startsWith("aws:")) {
    const service = type.split(":")[1].split("/")[0];
    const extra: Record<string, unknown> = { arn: `arn:aws:${service}:${service === "iam" ? "" : region}:${account}:${name}`, id: name, name };
    if (type === "aws:iam/role:Role") extra.arn = `arn:aws:iam::${account}:role/${plain(inputs.name) ?? name}`;
    if (type === "aws:s3/bucket:Bucket") {
      // An S3 bucket's id is its name.
      extra.id = plain(inputs.bucket) ?? name;
      extra.arn = `arn:aws:s3:::${extra.id}`;
    }
    if (type === "aws:iam/instanceProfile:InstanceProfile") extra.arn = `arn:aws:iam::${account}:instance-profile/${name}`;
    return extra;
  }
  if (type === "vault:index/policy:Policy") return { name: inputs.name };
  if (type === "random:index/randomBytes:RandomBytes") {
    // Deterministic stand-in bytes, so tests can trace where a secret value travels.
    const bytes = createHash("sha256").update(`${name}:${JSON.stringify(inputs.keepers ?? {})}`).digest();
    return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
  }
  return {};
}

/** What the simulated cloud answers to an invoke (data source). */
export function invokeResult(token: string, args: Record<string, any>): Record<string, unknown> {
  if (token === "gcp:organizations/getProject:getProject") {
    const projectId = String(args.projectId ?? "project");
    const digits = BigInt(`0x${createHash("sha256").update(projectId).digest("hex").slice(0, 12)}`).toString().slice(0, 12);
    return { ...args, number: digits, name: projectId };
  }
  return args;
}

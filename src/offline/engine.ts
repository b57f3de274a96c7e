/**
 * The in-process mock engine: runs the Pulumi program under `pulumi.runtime.setMocks` (no CLI,
 * no credentials, no network) and records every registration as the engine would see it:
 * URN, type, parent, provider, dependencies, raw inputs (secrets still wrapped, unknowns still
 * the unknown sentinel), protect / retainOnDelete / deletedWith and resource hooks.
 *
 * The mocks answer like a cloud that has just created each resource: they echo the inputs and
 * fill the few computed identifiers later inputs depend on (ids, service-account emails,
 * principal ids, ARNs), deterministically from the URN. Addresses stay unknown, as in a preview.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { UNKNOWN_VALUE } from "../contract/wire";


/** One registration, as the engine receives it. */
export interface RecordedResource {
  urn: string;
  /** The id the (mock) provider assigned; empty for components. */
  id: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** Provider reference `URN::ID`, empty for components and providers. */
  provider: string;
  dependencies: string[];
  /** Inputs as sent on the wire: secrets wrapped, unknowns as the unknown sentinel. */
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  deletedWith: string;
  /** Resource hook names bound to the resource, by event. */
  hooks: Record<string, string[]>;
}

export interface OfflineRun<T> {
  /** Registrations in order. */
  resources: RecordedResource[];
  /** The program's return value (stack outputs), resolved where known. */
  outputs: T;
}

export interface OfflineOptions {
  project?: string;
  stack?: string;
  /** Preview (default) leaves unmocked outputs unknown and never runs their applies. */
  preview?: boolean;
}

function pseudoUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function plain(value: unknown): string | undefined {
  return typeof value === "string" && value !== UNKNOWN_VALUE ? value : undefined;
}

/** Computed outputs a freshly created resource would have, keyed by type. */
function computedState(type: string, name: string, inputs: Record<string, any>, providerInputs: Record<string, any>): Record<string, unknown> {
  const project = plain(providerInputs.project) ?? "project";
  const subscription = plain(providerInputs.subscriptionId) ?? "00000000-0000-0000-0000-000000000000";
  // Provider inputs travel JSON-encoded when they are not strings.
  const accounts = typeof providerInputs.allowedAccountIds === "string" ? JSON.parse(providerInputs.allowedAccountIds) : providerInputs.allowedAccountIds;
  const account = plain(accounts?.[0]) ?? "000000000000";
  const region = plain(providerInputs.region) ?? "region";
  if (type.startsWith("gcp:")) {
    const kind = type.split(":")[2]?.toLowerCase() ?? "resource";
    const selfLink = `https://www.googleapis.com/compute/v1/projects/${project}/global/${kind}s/${name}`;
    const extra: Record<string, unknown> = { selfLink, id: `projects/${project}/${kind}s/${name}` };
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

function hookNames(req: any): Record<string, string[]> {
  const hooks = req.getHooks?.();
  if (!hooks) return {};
  const out: Record<string, string[]> = {};
  for (const [event, getter] of Object.entries({
    beforeCreate: "getBeforeCreateList",
    afterCreate: "getAfterCreateList",
    beforeUpdate: "getBeforeUpdateList",
    afterUpdate: "getAfterUpdateList",
    beforeDelete: "getBeforeDeleteList",
    afterDelete: "getAfterDeleteList",
  })) {
    const list: string[] = hooks[getter]?.() ?? [];
    if (list.length) out[event] = list;
  }
  return out;
}

/** Waits until every registration the program started has reached the (mock) monitor. */
export function waitForRegistrations(): Promise<void> {
  // waitForRPCs is internal to the SDK (not in its typings).
  return (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/**
 * Runs `program` in a fresh mock engine and returns every registration. Runs are serialised:
 * the Pulumi runtime keeps process-global state.
 */
let queue: Promise<unknown> = Promise.resolve();
export function runOffline<T>(program: () => T, options: OfflineOptions = {}): Promise<OfflineRun<T>> {
  const run = queue.then(() => runOnce(program, options));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * `pulumi.runtime.setMocks`, plus what the mock monitor lacks: resource hooks are engine
 * callbacks it does not implement (facts.md), so their registration is accepted and
 * resources that use them still register. Tests that set up mocks use this too.
 */
export async function setMocksWithHooks(mocks: pulumi.runtime.Mocks, project: string, stack: string, preview: boolean): Promise<any> {
  await pulumi.runtime.setMocks(mocks, project, stack, preview);
  const monitor: any = settings.getMonitor();
  monitor.registerResourceHook = (_req: unknown, callback: (err: unknown, res: unknown) => void) => callback(null, {});
  return monitor;
}

async function runOnce<T>(program: () => T, options: OfflineOptions): Promise<OfflineRun<T>> {
  const resources: RecordedResource[] = [];
  const providerInputs = new Map<string, Record<string, any>>();

  const monitor = await setMocksWithHooks(
    {
      newResource(args) {
        const providerUrn = args.provider ? args.provider.split("::").slice(0, -1).join("::") : "";
        const fromProvider = providerInputs.get(providerUrn) ?? {};
        const computed = args.custom ? computedState(args.type, args.name, args.inputs, fromProvider) : {};
        const state = { ...args.inputs, ...computed };
        return { id: args.custom ? String(computed.id ?? `${args.name}-id`) : undefined, state };
      },
      call(args) {
        if (args.token === "gcp:organizations/getProject:getProject") {
          const projectId = String(args.inputs.projectId ?? "project");
          const digits = BigInt(`0x${createHash("sha256").update(projectId).digest("hex").slice(0, 12)}`).toString().slice(0, 12);
          return { ...args.inputs, number: digits, name: projectId };
        }
        return args.inputs;
      },
    },
    options.project ?? "zipnet-infra",
    options.stack ?? "stack",
    options.preview ?? true,
  );

  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => {
    const type: string = req.getType();
    const parent: string = req.getParent();
    const urn = monitor.newUrn(parent, type, req.getName());
    const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    if (type.startsWith("pulumi:providers:")) providerInputs.set(urn, inputs);
    const record: RecordedResource = {
      urn,
      id: "",
      type,
      name: req.getName(),
      custom: req.getCustom(),
      parent,
      provider: req.getProvider(),
      dependencies: [...new Set<string>(req.getDependenciesList())],
      inputs,
      protect: Boolean(req.getProtect?.()),
      retainOnDelete: Boolean(req.getRetainondelete?.()),
      deletedWith: req.getDeletedwith?.() ?? "",
      hooks: hookNames(req),
    };
    resources.push(record);
    return register(req, (err: unknown, resp: any) => {
      record.id = resp?.getId?.() ?? "";
      callback(err, resp);
    });
  };

  let outputs: T | undefined;
  // The SDK records a stack trace for every promise it makes (four per output property of every
  // resource class), each source-mapped under tsx: most of a plan's time and memory
  // (bench/README.md), and nothing reads those traces here.
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      outputs = program();
      return outputs as any;
    });
    await waitForRegistrations();
  } finally {
    Error.stackTraceLimit = traceLimit;
    // Close the callback server hooks started, so nothing outlives the run.
    settings.disconnectSync();
  }
  return { resources, outputs: outputs as T };
}

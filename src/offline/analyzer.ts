/**
 * Drives a CrossGuard policy pack exactly as the Pulumi CLI does, without the CLI: spawn
 * `@pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` with the pack folder as working
 * directory (the runner registers ts-node, type-checked, as the CLI's does, and requires the
 * folder: package.json `main`), read the Analyzer gRPC port from the first line of its stdout,
 * and talk to it over `@pulumi/pulumi/proto/analyzer_grpc_pb`: GetAnalyzerInfo, Configure,
 * ConfigureStack, Analyze, AnalyzeStack.
 *
 * What the CLI does and the pack does not, this module does too:
 *  - Configure: every policy gets an entry with its enforcement level (the policy's own, or the
 *    override) and its config properties with the defaults of its configSchema applied (the
 *    pack never applies schema defaults itself). Properties are always set: the pack's
 *    `configure` dereferences them unconditionally.
 *  - Every request carries `options` (AnalyzerResourceOptions); the pack refuses requests
 *    without them ("A more recent version of the Pulumi CLI is required").
 *  - Properties are marshalled the way the engine marshals them for analyzers: unknowns stay the
 *    unknown sentinel strings, secrets stay secret envelopes `{sig, value}`, internal keys
 *    (`__defaults`, ...) are dropped, resource references are downgraded to their id (custom)
 *    or URN (component), output values to their plain value.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import type { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import type { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_VALUE } from "../../policies/contract/wire";

/**
 * The gRPC runtime and the Analyzer protocol's messages (about 80 modules), loaded when a pack is
 * first started or a message first built: the CLI's other paths (a config error, manifest
 * commands) answer without them.
 */
interface Runtime {
  grpc: typeof grpc;
  Empty: typeof Empty;
  Struct: typeof Struct;
  pb: typeof analyzerpb;
  AnalyzerClient: typeof AnalyzerClient;
}
let runtime: Runtime | undefined;
/* eslint-disable @typescript-eslint/no-require-imports */
function rt(): Runtime {
  return (runtime ??= {
    grpc: require("@grpc/grpc-js"),
    Empty: require("google-protobuf/google/protobuf/empty_pb").Empty,
    Struct: require("google-protobuf/google/protobuf/struct_pb").Struct,
    pb: require("@pulumi/pulumi/proto/analyzer_pb"),
    AnalyzerClient: require("@pulumi/pulumi/proto/analyzer_grpc_pb").AnalyzerClient,
  });
}
/* eslint-enable @typescript-eslint/no-require-imports */

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** The secret envelope key and signature, and the resource-reference / output-value signatures. */
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

export interface PolicyConfigSchema {
  properties: Record<string, { default?: unknown } & Record<string, unknown>>;
  required: string[];
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  kind: "resource" | "stack" | "unknown";
  configSchema?: PolicyConfigSchema;
}

export interface AnalyzerInfo {
  name: string;
  version: string;
  supportsConfig: boolean;
  policies: PolicyInfo[];
  /** The pack's own initial config (third PolicyPack argument), by policy name. */
  initialConfig: Record<string, { enforcementLevel?: EnforcementLevel; properties?: Record<string, unknown> }>;
}

/** Per policy (or `all`): an enforcement level, or an object with `enforcementLevel` and config properties. */
export type PolicyPackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

/** What configure() sent, per policy. */
export type EffectivePolicyConfig = Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }>;

export interface AnalyzerResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
  parent?: string;
}

export interface AnalyzerProvider {
  type: string;
  name: string;
  urn: string;
  properties: Record<string, unknown>;
}

/** One resource as the engine describes it to an analyzer. Properties are wire values. */
export interface AnalyzerResource {
  urn: string;
  type: string;
  /** Defaults to the URN's last segment. */
  name?: string;
  properties: Record<string, unknown>;
  options?: AnalyzerResourceOptions;
  provider?: AnalyzerProvider;
  /** AnalyzeStack only (Analyze carries the parent in options). */
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
}

export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  notApplicable: { policyName: string; reason: string }[];
}

export interface StackConfiguration {
  stack: string;
  project: string;
  organization?: string;
  dryRun?: boolean;
  config?: Record<string, string>;
  configSecretKeys?: string[];
  tags?: Record<string, string>;
}

export interface PolicyPackClient {
  /** The pack directory, the child's pid and the gRPC port. */
  readonly dir: string;
  readonly pid: number;
  readonly port: number;
  /** Milliseconds from spawn to the port being printed. */
  readonly startupMs: number;
  getAnalyzerInfo(): Promise<AnalyzerInfo>;
  /** Sends every policy's effective config (schema defaults applied) and returns it. */
  configure(config?: PolicyPackConfig): Promise<EffectivePolicyConfig>;
  configureStack(stack: StackConfiguration): Promise<void>;
  analyze(resource: AnalyzerResource): Promise<AnalyzeResult>;
  analyzeStack(resources: AnalyzerResource[]): Promise<AnalyzeResult>;
  /** Closes the channel and ends the pack process. Idempotent. */
  close(): Promise<void>;
  /** What the pack printed on stderr (and on stdout after the port), for diagnostics. */
  output(): string;
}

/** A failed Analyzer call: a policy threw (the pack turns the exception into a gRPC error), or the pack died. */
export class AnalyzerCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number | undefined,
    readonly details: string,
    readonly urn?: string,
  ) {
    super(`${method}${urn ? ` ${urn}` : ""} failed: ${details}`);
  }
}

/** The pack could not be started. */
export class PolicyPackStartError extends Error {}

function levels(): Record<number, EnforcementLevel> {
  const L = rt().pb.EnforcementLevel;
  return { [L.ADVISORY]: "advisory", [L.MANDATORY]: "mandatory", [L.DISABLED]: "disabled", [L.REMEDIATE]: "remediate" };
}

function levelFromPb(level: number): EnforcementLevel {
  return levels()[level] ?? "advisory";
}

function levelToPb(level: EnforcementLevel): analyzerpb.EnforcementLevel {
  switch (level) {
    case "advisory":
      return rt().pb.EnforcementLevel.ADVISORY;
    case "mandatory":
      return rt().pb.EnforcementLevel.MANDATORY;
    case "disabled":
      return rt().pb.EnforcementLevel.DISABLED;
    case "remediate":
      return rt().pb.EnforcementLevel.REMEDIATE;
    default:
      throw new Error(`unknown enforcement level ${String(level)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A property value as the engine marshals it for an analyzer (KeepUnknowns, KeepSecrets,
 * SkipInternalKeys, resource references downgraded). Secrets are always `{sig, value}`: an
 * export's `ciphertext` (which nothing here can decrypt) becomes an unknown value, so a policy
 * that needs it says it cannot judge; `plaintext` (an export with --show-secrets, the JSON text
 * of the value) is decoded.
 */
export function toWireValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toWireValue(v)));
  const obj = value as Record<string, unknown>;
  const sig = obj[SECRET_SIG_KEY];
  if (sig === SECRET_SIG) {
    let inner: unknown = UNKNOWN_VALUE;
    if ("value" in obj && obj.value !== undefined) inner = toWireValue(obj.value);
    else if (typeof obj.plaintext === "string") {
      try {
        inner = toWireValue(JSON.parse(obj.plaintext));
      } catch {
        inner = obj.plaintext;
      }
    }
    return { [SECRET_SIG_KEY]: SECRET_SIG, value: inner ?? null };
  }
  if (sig === RESOURCE_REF_SIG) {
    const id = obj.id;
    return typeof id === "string" && id !== "" ? id : (obj.urn ?? null);
  }
  if (sig === OUTPUT_VALUE_SIG) {
    const known = "value" in obj && obj.value !== undefined;
    const inner = known ? toWireValue(obj.value) : UNKNOWN_VALUE;
    return obj.secret === true ? { [SECRET_SIG_KEY]: SECRET_SIG, value: inner } : inner;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (sig === undefined && k.startsWith("__")) continue; // internal keys (`__defaults`, `__meta`)
    const wire = toWireValue(v);
    if (wire !== undefined) out[k] = wire;
  }
  return out;
}

function toStruct(properties: Record<string, unknown> | undefined): Struct {
  const wire = toWireValue(properties ?? {});
  return rt().Struct.fromJavaScript((isObject(wire) ? wire : {}) as Record<string, any>);
}

function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

function optionsPb(opts: AnalyzerResourceOptions | undefined, parent: string | undefined): analyzerpb.AnalyzerResourceOptions {
  const o = new (rt().pb.AnalyzerResourceOptions)();
  o.setProtect(Boolean(opts?.protect));
  o.setIgnorechangesList(opts?.ignoreChanges ?? []);
  if (opts?.deleteBeforeReplace !== undefined) {
    o.setDeletebeforereplace(opts.deleteBeforeReplace);
    o.setDeletebeforereplacedefined(true);
  }
  o.setAdditionalsecretoutputsList(opts?.additionalSecretOutputs ?? []);
  o.setAliasesList(opts?.aliases ?? []);
  const t = new (rt().pb.AnalyzerResourceOptions.CustomTimeouts)();
  t.setCreate(opts?.customTimeouts?.create ?? 0);
  t.setUpdate(opts?.customTimeouts?.update ?? 0);
  t.setDelete(opts?.customTimeouts?.delete ?? 0);
  o.setCustomtimeouts(t);
  const p = opts?.parent ?? parent;
  if (p) o.setParent(p);
  return o;
}

function providerPb(provider: AnalyzerProvider): analyzerpb.AnalyzerProviderResource {
  const p = new (rt().pb.AnalyzerProviderResource)();
  p.setType(provider.type);
  p.setName(provider.name);
  p.setUrn(provider.urn);
  p.setProperties(toStruct(provider.properties));
  return p;
}

/** The fields an AnalyzeRequest and a stack's AnalyzerResource share. */
function withResource<T extends analyzerpb.AnalyzeRequest | analyzerpb.AnalyzerResource>(msg: T, r: AnalyzerResource): T {
  msg.setType(r.type);
  msg.setUrn(r.urn);
  msg.setName(r.name ?? nameOfUrn(r.urn));
  msg.setProperties(toStruct(r.properties));
  msg.setOptions(optionsPb(r.options, r.parent));
  if (r.provider) msg.setProvider(providerPb(r.provider));
  return msg;
}

function analyzeRequest(r: AnalyzerResource): analyzerpb.AnalyzeRequest {
  return withResource(new (rt().pb.AnalyzeRequest)(), r);
}

function stackResourcePb(r: AnalyzerResource): analyzerpb.AnalyzerResource {
  const res = withResource(new (rt().pb.AnalyzerResource)(), r);
  if (r.parent) res.setParent(r.parent);
  res.setDependenciesList(r.dependencies ?? []);
  const deps = res.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
    const d = new (rt().pb.AnalyzerPropertyDependencies)();
    d.setUrnsList(urns);
    deps.set(key, d);
  }
  return res;
}

function analyzeResult(resp: analyzerpb.AnalyzeResponse): AnalyzeResult {
  return {
    diagnostics: resp.getDiagnosticsList().map((d) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      enforcementLevel: levelFromPb(d.getEnforcementlevel()),
      urn: d.getUrn(),
    })),
    notApplicable: resp.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
  };
}

function parseInfo(info: analyzerpb.AnalyzerInfo): AnalyzerInfo {
  const initialConfig: AnalyzerInfo["initialConfig"] = {};
  info.getInitialconfigMap().forEach((cfg, key) => {
    initialConfig[key] = {
      enforcementLevel: levelFromPb(cfg.getEnforcementlevel()),
      ...(cfg.hasProperties() ? { properties: cfg.getProperties()!.toJavaScript() as Record<string, unknown> } : {}),
    };
  });
  return {
    name: info.getName(),
    version: info.getVersion(),
    supportsConfig: info.getSupportsconfig(),
    initialConfig,
    policies: info.getPoliciesList().map((p) => {
      const schema = p.getConfigschema();
      const kind = p.getPolicyType();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: levelFromPb(p.getEnforcementlevel()),
        kind: kind === rt().pb.PolicyType.POLICY_TYPE_RESOURCE ? "resource" : kind === rt().pb.PolicyType.POLICY_TYPE_STACK ? "stack" : "unknown",
        ...(schema
          ? {
              configSchema: {
                properties: (schema.getProperties()?.toJavaScript() ?? {}) as PolicyConfigSchema["properties"],
                required: schema.getRequiredList(),
              },
            }
          : {}),
      };
    }),
  };
}

/**
 * The config the CLI would send: for every policy its enforcement level (override > pack
 * initial config > the policy's own) and its properties (schema defaults, then initial config,
 * then overrides). Throws when a required property has neither a value nor a default.
 */
export function effectiveConfig(info: AnalyzerInfo, config: PolicyPackConfig = {}): EffectivePolicyConfig {
  const normalized = (entry: PolicyPackConfig[string] | undefined) =>
    typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
  const all = normalized(config.all);
  const out: EffectivePolicyConfig = {};
  for (const policy of info.policies) {
    const initial = info.initialConfig[policy.name] ?? {};
    const { enforcementLevel: override, ...props } = normalized(config[policy.name]);
    const { enforcementLevel: allLevel, ...allProps } = all;
    const properties: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
      if (isObject(schema) && schema.default !== undefined) properties[key] = schema.default;
    }
    Object.assign(properties, initial.properties ?? {}, allProps, props);
    for (const key of policy.configSchema?.required ?? []) {
      if (properties[key] === undefined) throw new Error(`policy ${policy.name}: required config property ${key} has no value and no default`);
    }
    out[policy.name] = {
      enforcementLevel: override ?? allLevel ?? initial.enforcementLevel ?? policy.enforcementLevel,
      properties,
    };
  }
  return out;
}

/** The CLI's pack runner, resolved from the pack folder as the CLI resolves its SDK. */
function packRunner(dir: string): string {
  try {
    return require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir, __dirname] });
  } catch {
    throw new PolicyPackStartError(`${dir}: @pulumi/pulumi (cmd/run-policy-pack) cannot be resolved from the pack folder`);
  }
}

/** The engine address the CLI passes first; the pack's runner only skips it. */
const ENGINE_PLACEHOLDER = "127.0.0.1:0";

const MAX_MESSAGE = 400 * 1024 * 1024;

export interface StartOptions {
  /** How long to wait for the port (default 60 s). */
  timeoutMs?: number;
  /** Per-call deadline (default 120 s). */
  callTimeoutMs?: number;
  /** Extra environment for the pack process. */
  env?: Record<string, string>;
  /** JavaScript modules to preload into the pack process (`NODE_OPTIONS=--require`), e.g. test instrumentation. */
  preload?: string[];
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A pack must never outlive the process that started it.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** Why `dir` is not a policy pack folder (`expected …, found …`), or undefined when it is one. */
export function policyPackDirProblem(dir: string): string | undefined {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    return "expected a policy pack folder, found no such folder";
  }
  if (!isDir) return "expected a policy pack folder, found a file";
  const missing = ["PulumiPolicy.yaml", "package.json"].filter((f) => !existsSync(path.join(dir, f)));
  return missing.length ? `expected a policy pack folder (with PulumiPolicy.yaml and package.json), found a folder without ${missing.join(" or ")}` : undefined;
}

/** Spawns the policy pack in `dir` as the Pulumi CLI does and connects to its Analyzer server. */
export async function startPolicyPack(dir: string, opts: StartOptions = {}): Promise<PolicyPackClient> {
  const packDir = path.resolve(dir);
  const problem = policyPackDirProblem(packDir);
  if (problem) throw new PolicyPackStartError(`${packDir}: ${problem}`);
  const runner = packRunner(packDir);
  const preload = (opts.preload ?? []).map((m) => `--require=${path.resolve(m)}`).join(" ");
  const env = { ...process.env, ...opts.env, ...(preload ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${preload}`.trim() } : {}) };
  const started = Date.now();
  const child = spawn(process.execPath, [runner, ENGINE_PLACEHOLDER, packDir], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"], env });
  live.add(child);
  installExitHook();

  let output = "";
  const remember = (chunk: string) => {
    output += chunk;
    if (output.length > 64 * 1024) output = output.slice(-32 * 1024);
  };
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", remember);

  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    let settled = false;
    const finish = (err: Error | undefined, value?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", onError);
      if (err) reject(err);
      else resolve(value!);
    };
    const stderrTail = () => (output.trim() ? `; stderr: ${output.trim().split("\n").slice(-15).join("\n")}` : "");
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new PolicyPackStartError(`policy pack ${packDir} printed no port within ${timeoutMs} ms${stderrTail()}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      finish(new PolicyPackStartError(`policy pack ${packDir} exited (${signal ?? `code ${code}`}) before printing its port${stderrTail()}`));
    const onError = (err: Error) => finish(new PolicyPackStartError(`cannot start policy pack ${packDir}: ${err.message}`));
    child.once("exit", onExit);
    child.once("error", onError);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      if (settled) return remember(chunk);
      stdout += chunk;
      const nl = stdout.indexOf("\n");
      if (nl < 0) return;
      const line = stdout.slice(0, nl).trim();
      remember(stdout.slice(nl + 1));
      const n = Number(line);
      if (!/^\d+$/.test(line) || n <= 0 || n > 65535) {
        child.kill("SIGKILL");
        finish(new PolicyPackStartError(`policy pack ${packDir} printed ${JSON.stringify(line.slice(0, 200))} instead of a port${stderrTail()}`));
      } else finish(undefined, n);
    });
  });
  const startupMs = Date.now() - started;

  const client = new (rt().AnalyzerClient)(`127.0.0.1:${port}`, rt().grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_MESSAGE,
    "grpc.max_send_message_length": MAX_MESSAGE,
  });
  const callTimeoutMs = opts.callTimeoutMs ?? 120_000;

  function call<Req, Res>(method: string, invoke: (req: Req, meta: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req, urn?: string): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (exited) return reject(new AnalyzerCallError(method, undefined, `the policy pack process has exited${output.trim() ? `: ${output.trim().split("\n").slice(-10).join("\n")}` : ""}`, urn));
      invoke.call(client, req, new (rt().grpc.Metadata)(), { deadline: Date.now() + callTimeoutMs }, (err, res) => {
        if (err) reject(new AnalyzerCallError(method, err.code, err.details || err.message, urn));
        else resolve(res);
      });
    });
  }

  let info: AnalyzerInfo | undefined;
  const getAnalyzerInfo = async () => {
    info ??= parseInfo(await call<Empty, analyzerpb.AnalyzerInfo>("GetAnalyzerInfo", client.getAnalyzerInfo as any, new (rt().Empty)()));
    return info;
  };

  let closed: Promise<void> | undefined;
  return {
    dir: packDir,
    pid: child.pid!,
    port,
    startupMs,
    output: () => output,
    getAnalyzerInfo,
    async configure(config = {}) {
      const effective = effectiveConfig(await getAnalyzerInfo(), config);
      const req = new (rt().pb.ConfigureAnalyzerRequest)();
      const map = req.getPolicyconfigMap();
      for (const [name, cfg] of Object.entries(effective)) {
        const pc = new (rt().pb.PolicyConfig)();
        pc.setEnforcementlevel(levelToPb(cfg.enforcementLevel));
        pc.setProperties(toStruct(cfg.properties));
        map.set(name, pc);
      }
      await call("Configure", client.configure as any, req);
      return effective;
    },
    async configureStack(stack) {
      const req = new (rt().pb.AnalyzerStackConfigureRequest)();
      req.setStack(stack.stack);
      req.setProject(stack.project);
      req.setOrganization(stack.organization ?? "");
      req.setDryRun(stack.dryRun ?? true);
      req.setConfigSecretKeysList(stack.configSecretKeys ?? []);
      for (const [k, v] of Object.entries(stack.config ?? {})) req.getConfigMap().set(k, v);
      for (const [k, v] of Object.entries(stack.tags ?? {})) req.getTagsMap().set(k, v);
      await call("ConfigureStack", client.configureStack as any, req);
    },
    async analyze(resource) {
      return analyzeResult(await call<analyzerpb.AnalyzeRequest, analyzerpb.AnalyzeResponse>("Analyze", client.analyze as any, analyzeRequest(resource), resource.urn));
    },
    async analyzeStack(resources) {
      const req = new (rt().pb.AnalyzeStackRequest)();
      req.setResourcesList(resources.map(stackResourcePb));
      return analyzeResult(await call<analyzerpb.AnalyzeStackRequest, analyzerpb.AnalyzeResponse>("AnalyzeStack", client.analyzeStack as any, req));
    },
    close() {
      closed ??= (async () => {
        client.close();
        if (!exited) child.kill("SIGTERM");
        const killTimer = setTimeout(() => child.kill("SIGKILL"), 2_000);
        await exitedPromise;
        clearTimeout(killTimer);
        child.stdout?.destroy();
        child.stderr?.destroy();
      })();
      return closed;
    },
  };
}

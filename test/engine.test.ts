/**
 * The offline engine against what the real engine and providers refuse (docs/engine.md), and
 * the program as the Pulumi CLI runs it: `@pulumi/pulumi/cmd/run` in a child process, config in
 * PULUMI_CONFIG built from the stack file, registrations over gRPC.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { describe, expect, it } from "vitest";
import * as resourcepb from "@pulumi/pulumi/proto/resource_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PROJECT_NAME, PROJECT_ROOT, readCliConfig, stackFilePath } from "../src/config/stackFile";
import { parseInstanceConfig } from "../src/config/validate";
import { CONFIG_KEY } from "../src/config/schema";
import { runInProcess } from "../src/offline/engine/inProcess";
import { EngineModel, packageOf, parseProviderRef, type Registration } from "../src/offline/engine/model";
import { engineHandlers } from "../src/offline/engine/monitor";
import { languageHostArgs, readProjectFile, runProgramProcess } from "../src/offline/engine/programProcess";
import { PlanError, planStack } from "../src/offline/plan";
import { planInstance } from "../src/offline/planInProcess";
import { EXAMPLE_STACKS } from "./support/plans";

const reg = (over: Partial<Registration>): Registration => ({
  type: "test:index:Thing",
  name: "thing",
  custom: false,
  parent: "",
  provider: "",
  version: "",
  dependencies: [],
  propertyDependencies: {},
  deletedWith: "",
  inputs: {},
  protect: false,
  retainOnDelete: false,
  hooks: {},
  ignoreChanges: [],
  additionalSecretOutputs: [],
  replaceOnChanges: [],
  deleteBeforeReplace: false,
  ...over,
});

function withStack(): { model: EngineModel; root: string } {
  const model = new EngineModel({ project: "p", stack: "s" });
  const root = model.register(reg({ type: "pulumi:pulumi:Stack", name: "p-s" })).urn;
  return { model, root };
}

describe("the engine model's rules", () => {
  it("forms URNs as the engine does: the parent's type chain, without the root stack's type", () => {
    const { model, root } = withStack();
    expect(root).toBe("urn:pulumi:s::p::pulumi:pulumi:Stack::p-s");
    const a = model.register(reg({ type: "zipnet:index:ZipnetInstance", name: "i", parent: root }));
    expect(a.urn).toBe("urn:pulumi:s::p::zipnet:index:ZipnetInstance::i");
    const b = model.register(reg({ type: "zipnet:node:GcpNode", name: "c1", parent: a.urn }));
    const c = model.register(reg({ type: "gcp:compute/network:Network", name: "c1-vpc", custom: true, parent: b.urn, version: "9.37.0" }));
    expect(c.urn).toBe("urn:pulumi:s::p::zipnet:index:ZipnetInstance$zipnet:node:GcpNode$gcp:compute/network:Network::c1-vpc");
    // No provider given: the package's default provider, registered once, no parent, id unknown in a preview.
    expect(c.provider).toBe("urn:pulumi:s::p::pulumi:providers:gcp::default_9_37_0::04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    expect(model.resources.filter((r) => r.type === "pulumi:providers:gcp")).toHaveLength(1);
  });

  it("refuses a duplicate URN, naming the resource", () => {
    const { model, root } = withStack();
    model.register(reg({ name: "twice", parent: root }));
    expect(() => model.register(reg({ name: "twice", parent: root }))).toThrow("twice (test:index:Thing): Duplicate resource URN 'urn:pulumi:s::p::test:index:Thing::twice'; try giving it a unique name");
    expect(model.failures).toHaveLength(1);
  });

  it("refuses a parent, a dependency or a deletedWith that is not registered", () => {
    const { model, root } = withStack();
    const ghost = "urn:pulumi:s::p::test:index:Thing::ghost";
    expect(() => model.register(reg({ name: "orphan", parent: ghost }))).toThrow(`orphan (test:index:Thing): could not find parent resource ${ghost}`);
    expect(() => model.register(reg({ name: "needy", parent: root, dependencies: [ghost] }))).toThrow(`needy (test:index:Thing): resource urn:pulumi:s::p::test:index:Thing::needy's dependency ${ghost} refers to missing resource`);
    expect(() => model.register(reg({ name: "prop", parent: root, propertyDependencies: { x: [ghost] } }))).toThrow(/prop \(test:index:Thing\): .* refers to missing resource/);
    expect(() => model.register(reg({ name: "doomed", parent: root, deletedWith: ghost }))).toThrow(`doomed (test:index:Thing): resource urn:pulumi:s::p::test:index:Thing::doomed is specified as being deleted with ${ghost}, which is missing`);
    expect(model.failures).toHaveLength(4);
  });

  it("refuses a custom resource under another package's provider, and malformed or unknown provider references", () => {
    const { model, root } = withStack();
    const v = model.register(reg({ type: "pulumi:providers:vault", name: "v", custom: true, parent: root }));
    const ref = `${v.urn}::${v.id}`;
    expect(() => model.register(reg({ type: "random:index/randomBytes:RandomBytes", name: "bytes", custom: true, parent: root, provider: ref }))).toThrow(
      'bytes (random:index/randomBytes:RandomBytes): provider v (pulumi:providers:vault): unrecognized resource type: "random:index/randomBytes:RandomBytes" for this provider',
    );
    expect(() => model.register(reg({ type: "vault:index/policy:Policy", name: "bad-ref", custom: true, parent: root, provider: "hello world" }))).toThrow(
      "bad-ref (vault:index/policy:Policy): could not parse provider reference: expected '::' in provider reference 'hello world'",
    );
    expect(() => model.register(reg({ type: "vault:index/policy:Policy", name: "no-such", custom: true, parent: root, provider: "urn:pulumi:s::p::pulumi:providers:vault::other::id" }))).toThrow(/no-such .*: unknown provider/);
    const ok = model.register(reg({ type: "vault:index/policy:Policy", name: "fine", custom: true, parent: root, provider: ref }));
    expect(ok.provider).toBe(ref);
  });

  it("routes an invoke to a provider of the token's package only", () => {
    const { model, root } = withStack();
    const v = model.register(reg({ type: "pulumi:providers:vault", name: "v", custom: true, parent: root }));
    expect(() => model.invoke("gcp:organizations/getProject:getProject", { projectId: "x" }, `${v.urn}::${v.id}`, "9.37.0")).toThrow(/invoke gcp:organizations\/getProject:getProject: provider v \(pulumi:providers:vault\): unrecognized resource type/);
    expect(model.invoke("gcp:organizations/getProject:getProject", { projectId: "x" }, "", "9.37.0")).toMatchObject({ name: "x" });
  });

  it("marks the outputs the SDK lists in additionalSecretOutputs as secret", () => {
    const { model, root } = withStack();
    const r = model.register(reg({ type: "random:index/randomBytes:RandomBytes", name: "b", custom: true, parent: root, additionalSecretOutputs: ["base64", "hex"], inputs: { length: 32 } }));
    expect(r.outputs.base64).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
    expect(r.outputs.length).toBe(32);
  });

  it("serves the same rules through the ResourceMonitor handlers a program's SDK calls", async () => {
    const model = new EngineModel({ project: "p", stack: "s" });
    const { monitor } = engineHandlers(model);
    const call = (req: resourcepb.RegisterResourceRequest) =>
      new Promise<{ err: unknown; urn?: string }>((resolve) => monitor.registerResource(req, (err, res) => resolve({ err, urn: res?.getUrn() })));
    const request = (type: string, name: string, parent: string, deps: string[] = []) => {
      const r = new resourcepb.RegisterResourceRequest();
      r.setType(type);
      r.setName(name);
      r.setParent(parent);
      r.setObject(Struct.fromJavaScript({}));
      r.setDependenciesList(deps);
      return r;
    };
    const stack = await call(request("pulumi:pulumi:Stack", "p-s", ""));
    expect(stack.err).toBeNull();
    const refused = await call(request("test:index:Thing", "t", stack.urn!, ["urn:pulumi:s::p::test:index:Thing::ghost"]));
    expect(String((refused.err as Error).message)).toMatch(/^t \(test:index:Thing\): resource .* refers to missing resource$/);
    expect((refused.err as { code: number }).code).toBe(3); // INVALID_ARGUMENT
  });

  it("helpers: provider references and packages", () => {
    expect(parseProviderRef("urn:pulumi:s::p::pulumi:providers:aws::a::abc")).toEqual({ urn: "urn:pulumi:s::p::pulumi:providers:aws::a", id: "abc" });
    expect(parseProviderRef("urn:pulumi:s::p::pulumi:providers:aws::a")).toEqual({ urn: "urn:pulumi:s::p::pulumi:providers:aws", id: "a" });
    expect(parseProviderRef("nope")).toBeUndefined();
    expect(packageOf("pulumi:providers:azure-native")).toBe("azure-native");
    expect(packageOf("azure-native:compute:VirtualMachine")).toBe("azure-native");
  });
});

describe("a program the engine refuses fails the plan, naming the resource", () => {
  it("in-process: a random resource under the Vault provider", async () => {
    const run = await runInProcess(() => {
      const provider = new vault.Provider("v", { address: "https://vault.example:8200" });
      new random.RandomBytes("committee-value", { length: 32 }, { provider });
    }, { project: "p", stack: "s" });
    expect(run.model.failures).toEqual([expect.stringMatching(/^committee-value \(random:index\/randomBytes:RandomBytes\): provider v \(pulumi:providers:vault\): unrecognized resource type/)]);
  });

  it("in-process: two resources of one name and type under one parent", async () => {
    const run = await runInProcess(() => {
      new pulumi.ComponentResource("test:index:Box", "same");
      new pulumi.ComponentResource("test:index:Box", "same");
    }, { project: "p", stack: "s" });
    expect(run.model.failures).toEqual([expect.stringContaining("same (test:index:Box): Duplicate resource URN 'urn:pulumi:s::p::test:index:Box::same'")]);
  });

  it("as the CLI runs it (cmd/run over gRPC): a random resource under the Vault provider", async () => {
    const root = path.join(__dirname, "fixtures", "programs", "wrong-provider");
    const run = await runProgramProcess({ root, stack: "dev", config: {} });
    expect(run.exitCode, run.output).not.toBe(0);
    expect(run.model.failures).toEqual([expect.stringMatching(/^secret-value \(random:index\/randomBytes:RandomBytes\): provider v \(pulumi:providers:vault\): unrecognized resource type/)]);
    // The program saw the refusal as the SDK reports it, naming the resource.
    expect(run.output + run.model.errors().join("\n")).toMatch(/secret-value.*unrecognized resource type/);
  });

  it("planOf turns refusals into a PlanError listing them", async () => {
    const config = parseInstanceConfig(readCliConfig(stackFilePath("acme.preview")).values[CONFIG_KEY]);
    const err = await planInstance({ ...config, aggregator: { ...config.aggregator!, id: config.committee[0].id } }, "acme.preview").then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    const problems = (err as PlanError).problems;
    expect(problems.length).toBeGreaterThan(0);
    // Every refusal is listed in the message, one per line.
    for (const p of problems) expect((err as PlanError).message).toContain(p);
  });
});

describe("the example stacks as `pulumi preview` runs them", () => {
  it("passes the language host's flags and Pulumi.yaml's runtime options", () => {
    const project = readProjectFile(PROJECT_ROOT);
    expect(project).toEqual({ name: PROJECT_NAME, typescript: false });
    expect(languageHostArgs("/x/cmd/run", "127.0.0.1:5", project, { root: "/r", stack: "acme.mainnet", config: {} })).toEqual([
      "/x/cmd/run", "--monitor", "127.0.0.1:5", "--engine", "127.0.0.1:5", "--project", PROJECT_NAME, "--stack", "acme.mainnet", "--pwd", "/r", "--dry-run", ".",
    ]);
  });

  it("the program under cmd/run refuses a stack whose config names another instance", async () => {
    const cli = readCliConfig(stackFilePath("acme.preview"));
    const config = parseInstanceConfig(cli.values[CONFIG_KEY]);
    const err = await planStack(config, "acme.other", cli).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect(String((err as Error).message)).toMatch(/zipnet-infra:instance\.name: expected the stack's name "acme\.other".*found "acme\.preview"/s);
  });

  it.each(EXAMPLE_STACKS)("%s: cmd/run exits 0 and registers what the in-process plan registers, each resource under its own package's provider", async (stack) => {
    const cli = readCliConfig(stackFilePath(stack));
    const config = parseInstanceConfig(cli.values[CONFIG_KEY]);
    const [spawned, inProcess] = [await planStack(config, stack, cli), await planInstance(config, stack)];
    const shape = (plan: typeof spawned) =>
      new Map(plan.resources.map((r) => [r.urn, { type: r.type, parent: r.parent, provider: r.provider, dependencies: [...r.dependencies].sort(), inputs: r.inputs, hooks: r.hooks }]));
    expect(spawned.resources.length).toBeGreaterThan(60);
    expect(shape(spawned)).toEqual(shape(inProcess));
    const byUrn = new Map(spawned.resources.map((r) => [r.urn, r]));
    for (const r of spawned.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      const provider = byUrn.get(parseProviderRef(r.provider)!.urn)!;
      expect(provider.type, r.urn).toBe(`pulumi:providers:${packageOf(r.type)}`);
    }
  });
});

/**
 * The Analyzer driver against real spawned packs (the empty pack and a tiny test pack), over
 * gRPC, as the Pulumi CLI drives them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRET_SIG, SECRET_SIG_KEY as SIG_KEY, UNKNOWN_VALUE as UNKNOWN_SENTINEL } from "../policies/contract/wire";
import {
  AnalyzerCallError,
  PolicyPackStartError,
  effectiveConfig,
  startPolicyPack,
  toWireValue,
  type AnalyzerResource,
  type PolicyPackClient,
} from "../src/offline/analyzer";

const FIXTURES = path.join(__dirname, "fixtures");
const STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
const thing = (name: string, properties: Record<string, unknown>, extra: Partial<AnalyzerResource> = {}): AnalyzerResource => ({
  urn: `urn:pulumi:s::p::test:index:Thing::${name}`,
  type: "test:index:Thing",
  properties,
  ...extra,
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let empty: PolicyPackClient;
let pack: PolicyPackClient;

beforeAll(async () => {
  [empty, pack] = await Promise.all([startPolicyPack(path.join(FIXTURES, "empty-pack")), startPolicyPack(path.join(FIXTURES, "test-pack"))]);
});

afterAll(async () => {
  await Promise.all([empty?.close(), pack?.close()]);
});

describe("the empty pack", () => {
  it("starts, names itself and has no policies", async () => {
    expect(empty.port).toBeGreaterThan(0);
    expect(empty.startupMs).toBeGreaterThan(0);
    const info = await empty.getAnalyzerInfo();
    expect(info).toMatchObject({ name: "zipnet-empty", version: "0.0.1", supportsConfig: true, policies: [] });
    expect(await empty.configure()).toEqual({});
  });

  it("analyzes a resource and a stack with no diagnostics", async () => {
    expect(await empty.analyze(thing("a", { port: 99999 }))).toEqual({ diagnostics: [], notApplicable: [] });
    expect((await empty.analyzeStack([thing("a", {}), thing("b", {}), thing("c", {})])).diagnostics).toEqual([]);
  });
});

describe("the test pack", () => {
  it("describes its policies: names, kinds, levels, config schema", async () => {
    const info = await pack.getAnalyzerInfo();
    expect(info.name).toBe("zipnet-test");
    expect(info.version).toBe("0.0.2");
    const byName = Object.fromEntries(info.policies.map((p) => [p.name, p]));
    expect(byName["network.metrics-private:test"]).toMatchObject({ kind: "resource", enforcementLevel: "mandatory" });
    expect(byName["network.metrics-private:test"].configSchema?.properties.maxPort).toMatchObject({ type: "number", default: 1024 });
    expect(byName["test.stack-count"]).toMatchObject({ kind: "stack", enforcementLevel: "mandatory" });
    expect(byName["test.explodes"]).toMatchObject({ kind: "resource", enforcementLevel: "advisory" });
  });

  it("configure applies the schema defaults (the CLI's job) and each policy's level", async () => {
    const effective = await pack.configure();
    expect(effective["network.metrics-private:test"]).toEqual({ enforcementLevel: "mandatory", properties: { maxPort: 1024 } });
    expect(effective["test.explodes"]).toEqual({ enforcementLevel: "advisory", properties: {} });
    // the default reached the pack: 2000 > 1024 is a violation
    const res = await pack.analyze(thing("a", { port: 2000 }));
    expect(res.diagnostics.map((d) => d.policyName)).toEqual(["network.metrics-private:test"]);
  });

  it("sends options, parent, provider and secret envelopes as the CLI does", async () => {
    await pack.configure();
    const res = await pack.analyze(
      thing("a", { port: 8080, secret: { [SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify("s3cret") } }, {
        options: { protect: true },
        parent: STACK,
        provider: { type: "pulumi:providers:aws", name: "default", urn: "urn:pulumi:s::p::pulumi:providers:aws::default", properties: { region: "us-east-2" } },
      }),
    );
    expect(res.diagnostics).toHaveLength(1);
    const d = res.diagnostics[0];
    expect(d).toMatchObject({ policyName: "network.metrics-private:test", enforcementLevel: "mandatory", policyPackName: "zipnet-test", policyPackVersion: "0.0.2" });
    expect(d.message).toContain("a: port: expected at most 1024, found 8080");
    expect(d.message).toContain("protect=true");
    expect(d.message).toContain(`parent=${STACK}`);
    expect(d.message).toContain("provider=pulumi:providers:aws:us-east-2");
    // a --show-secrets plaintext (the JSON text of the value) reaches the pack decoded, unwrapped
    expect(d.message).toContain(`secret="s3cret"`);
  });

  it("passes in-memory secret values through unredacted", async () => {
    await pack.configure();
    const res = await pack.analyze(thing("a", { port: 8080, secret: { [SIG_KEY]: SECRET_SIG, value: "s3cr3t-value" } }));
    expect(res.diagnostics[0].message).toContain('secret="s3cr3t-value"');
  });

  it("config overrides: properties, levels, disabled", async () => {
    await pack.configure({ "network.metrics-private:test": { maxPort: 9000 } });
    expect((await pack.analyze(thing("a", { port: 8080 }))).diagnostics).toEqual([]);
    await pack.configure({ "network.metrics-private:test": "advisory" });
    expect((await pack.analyze(thing("a", { port: 8080 }))).diagnostics[0].enforcementLevel).toBe("advisory");
    await pack.configure({ all: "disabled" });
    expect((await pack.analyze(thing("a", { port: 8080 }))).diagnostics).toEqual([]);
    await pack.configure();
  });

  it("analyzeStack sees every resource with its parent and dependencies", async () => {
    await pack.configure();
    const t1 = thing("t1", {});
    const t2 = thing("t2", {}, { dependencies: [t1.urn] });
    const t3 = thing("t3", {}, { dependencies: [t1.urn], parent: t2.urn, propertyDependencies: { x: [t1.urn] } });
    const res = await pack.analyzeStack([t1, t2, t3]);
    expect(res.diagnostics).toHaveLength(1);
    expect(res.diagnostics[0]).toMatchObject({ policyName: "test.stack-count", enforcementLevel: "mandatory" });
    expect(res.diagnostics[0].message).toContain("found 3 [t1<-^,t2<-t1^,t3<-t1^t2]");
    expect((await pack.analyzeStack([t1, t2])).diagnostics).toEqual([]);
  });

  it("a policy reading an unknown becomes an advisory 'can't run' diagnostic; a throwing policy a gRPC error", async () => {
    await pack.configure();
    const unknown = await pack.analyze(thing("u", { readUnknown: true, computed: UNKNOWN_SENTINEL }));
    expect(unknown.diagnostics).toHaveLength(1);
    expect(unknown.diagnostics[0].enforcementLevel).toBe("advisory");
    expect(unknown.diagnostics[0].message).toMatch(/^can't run policy 'test\.explodes' .* during preview/);

    const err = await pack.analyze(thing("x", { explode: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalyzerCallError);
    expect((err as AnalyzerCallError).details).toContain("policy 'test.explodes' from policy pack");
    expect((err as AnalyzerCallError).details).toContain("boom");
    expect((err as AnalyzerCallError).urn).toBe(thing("x", {}).urn);
    // the pack survives a throwing policy
    expect((await pack.analyze(thing("a", { port: 1 }))).diagnostics).toEqual([]);
  });
});

describe("wire values", () => {
  it("marshals like the engine: internal keys dropped, references downgraded, secrets as {sig, value}", () => {
    const wire = toWireValue({
      __defaults: ["name"],
      a: { __meta: "x", b: [1, undefined, UNKNOWN_SENTINEL] },
      ref: { [SIG_KEY]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:x", id: "i-123" },
      componentRef: { [SIG_KEY]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:c", id: "" },
      out: { [SIG_KEY]: "d0e6a833031e9bbcd3f4e8bde6ca49a4", secret: true, value: 5 },
      unknownOut: { [SIG_KEY]: "d0e6a833031e9bbcd3f4e8bde6ca49a4" },
      cipher: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:abc" },
      plain: { [SIG_KEY]: SECRET_SIG, plaintext: '{"k":"v"}' },
      value: { [SIG_KEY]: SECRET_SIG, value: "v" },
      gone: undefined,
    });
    expect(wire).toEqual({
      a: { b: [1, null, UNKNOWN_SENTINEL] },
      ref: "i-123",
      componentRef: "urn:c",
      out: { [SIG_KEY]: SECRET_SIG, value: 5 },
      unknownOut: UNKNOWN_SENTINEL,
      cipher: { [SIG_KEY]: SECRET_SIG, value: UNKNOWN_SENTINEL },
      plain: { [SIG_KEY]: SECRET_SIG, value: { k: "v" } },
      value: { [SIG_KEY]: SECRET_SIG, value: "v" },
    });
  });

  it("effectiveConfig refuses a required property without value or default", () => {
    const info = {
      name: "p",
      version: "1",
      supportsConfig: true,
      initialConfig: {},
      policies: [{ name: "x", description: "", enforcementLevel: "mandatory" as const, kind: "resource" as const, configSchema: { properties: { k: { type: "string" } }, required: ["k"] } }],
    };
    expect(() => effectiveConfig(info)).toThrow(/required config property k/);
    expect(effectiveConfig(info, { x: { k: "v" } }).x).toEqual({ enforcementLevel: "mandatory", properties: { k: "v" } });
  });
});

describe("process lifecycle", () => {
  it("close ends the pack process and is idempotent", async () => {
    const p = await startPolicyPack(path.join(FIXTURES, "empty-pack"));
    expect(alive(p.pid)).toBe(true);
    await Promise.all([p.close(), p.close()]);
    expect(alive(p.pid)).toBe(false);
    await expect(p.analyze(thing("a", {}))).rejects.toBeInstanceOf(AnalyzerCallError);
  });

  it("fails clearly, with the pack's stderr, when the pack cannot start", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "zipnet-broken-pack-"));
    try {
      await expect(startPolicyPack(dir)).rejects.toThrow(/found a folder without PulumiPolicy\.yaml or package\.json/);
      writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
      await expect(startPolicyPack(dir)).rejects.toThrow(/found a folder without package\.json$/);
      writeFileSync(path.join(dir, "package.json"), '{"name":"broken","version":"1.0.0"}');
      // The CLI's runner requires the folder: with no entry point it says so and exits.
      await expect(startPolicyPack(dir)).rejects.toThrow(/exited \(code \d+\) before printing its port; stderr: [\s\S]*failed to locate the entry point/);
      writeFileSync(path.join(dir, "index.js"), 'console.error("broken on purpose"); process.exit(3);');
      const err = await startPolicyPack(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyPackStartError);
      expect((err as Error).message).toMatch(/exited \(code 3\) before printing its port; stderr: broken on purpose/);
      writeFileSync(path.join(dir, "index.js"), 'console.log("hello"); setInterval(() => {}, 1000);');
      await expect(startPolicyPack(dir)).rejects.toThrow(/printed "hello" instead of a port/);
      writeFileSync(path.join(dir, "index.js"), "setInterval(() => {}, 1000);");
      await expect(startPolicyPack(dir, { timeoutMs: 500 })).rejects.toThrow(/printed no port within 500 ms/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

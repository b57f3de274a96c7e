/**
 * What makes a process start fast without changing what it does: the V8 code cache
 * (policies/lib/compileCache.ts), and a stack loading only its own clouds' SDKs (src/sdk/load.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withoutPromiseStacks } from "../src/promiseStacks";

const ROOT = path.resolve(__dirname, "..");
const CACHE_MODULE = path.join(ROOT, "dist", "policies", "lib", "compileCache.js");
const BIN = path.join(ROOT, "bin", "infra.js");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "zipnet-startup-"));
  dirs.push(d);
  return d;
}

/**
 * A fixture program: installs the cache (role "fixture", in <dir>/cache), requires <dir>/lib.js
 * and prints what it exported and saw, as JSON.
 */
function runFixture(dir: string, env: NodeJS.ProcessEnv = {}) {
  const main = path.join(dir, "main.js");
  writeFileSync(
    main,
    `require(${JSON.stringify(CACHE_MODULE)}).installCompileCache("fixture", ${JSON.stringify(path.join(dir, "cache"))});
     const lib = require("./lib.js");
     Promise.resolve(lib.later()).then((later) => process.stdout.write(JSON.stringify({ ...lib.now, later })));`,
  );
  // The cache's own switch is the test's to set (npm test may run with it off).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!("ZIPNET_COMPILE_CACHE" in env)) delete childEnv.ZIPNET_COMPILE_CACHE;
  const r = spawnSync(process.execPath, [main], { cwd: dir, encoding: "utf8", env: childEnv });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A module that exercises what Node's loader gives a module: its wrapper arguments, require.resolve, a shebang, import(). */
function writeLib(dir: string, value: string): void {
  writeFileSync(path.join(dir, "dep.js"), "module.exports = 'dep';\n");
  writeFileSync(path.join(dir, "esm.mjs"), "export const esm = 'esm';\n");
  // A module calling import() is left to Node (uncached: cached data loses the import() callback).
  writeFileSync(path.join(dir, "dynamic.js"), "module.exports = () => import('./esm.mjs').then((m) => m.esm);\n");
  writeFileSync(
    path.join(dir, "lib.js"),
    `#!/usr/bin/env node
     exports.now = {
       value: ${JSON.stringify(value)},
       dirname: __dirname,
       filename: __filename,
       thisIsExports: this === exports,
       dep: require("./dep"),
       resolved: require.resolve("./dep"),
       cached: Object.keys(require.cache).some((k) => k.endsWith("dep.js")),
       main: require.main === module.parent,
     };
     exports.later = require("./dynamic");\n`,
  );
}

describe("the V8 code cache (policies/lib/compileCache.ts)", () => {
  it("gives a cached module what Node's loader gives it, and the second start reads the cache", () => {
    const dir = tempDir();
    writeLib(dir, "first");
    const expected = {
      value: "first",
      dirname: dir,
      filename: path.join(dir, "lib.js"),
      thisIsExports: true,
      dep: "dep",
      resolved: path.join(dir, "dep.js"),
      cached: true,
      main: true,
      later: "esm",
    };
    // Without the cache, with it (writing it), and from it.
    expect(runFixture(dir, { ZIPNET_COMPILE_CACHE: "off" })).toEqual(expected);
    expect(existsSync(path.join(dir, "cache"))).toBe(false);
    expect(runFixture(dir)).toEqual(expected);
    const file = path.join(dir, "cache", "fixture.v8cache");
    const written = readFileSync(file);
    const header = JSON.parse(written.subarray(4, 4 + written.readUInt32LE(0)).toString("utf8"));
    // main.js was compiled before it installed the cache; dynamic.js calls import(): Node's own.
    expect(Object.keys(header.entries).sort()).toEqual(["dep.js", "lib.js"].map((f) => path.join(dir, f)));
    expect(runFixture(dir)).toEqual(expected);
    // Nothing new compiled: the file is not rewritten, and no temporary file is left.
    expect(readFileSync(file).equals(written)).toBe(true);
    expect(readdirSync(path.join(dir, "cache"))).toEqual(["fixture.v8cache"]);
  });

  it("never serves an upgraded file's old code: a source of the same length and mtime is compiled again", () => {
    const dir = tempDir();
    writeLib(dir, "aaaa");
    expect(runFixture(dir).value).toBe("aaaa");
    const lib = path.join(dir, "lib.js");
    const before = readFileSync(lib, "utf8");
    writeLib(dir, "bbbb");
    expect(readFileSync(lib, "utf8").length).toBe(before.length);
    expect(runFixture(dir).value).toBe("bbbb");
  });

  it("a corrupt or unwritable cache costs a compile, and the run goes on as without it", () => {
    const dir = tempDir();
    writeLib(dir, "x");
    runFixture(dir);
    const file = path.join(dir, "cache", "fixture.v8cache");
    // Garbage bytes, a header length past the end, a header from another V8.
    for (const bad of [Buffer.from("not a cache"), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2]), Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from("{}")])]) {
      writeFileSync(file, bad);
      expect(runFixture(dir).value).toBe("x");
    }
    // One flipped byte in an entry's bytecode (V8 on Node 20 does not check): the file's digest refuses it.
    runFixture(dir);
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10] ^= 0xff;
    writeFileSync(file, flipped);
    expect(runFixture(dir).value).toBe("x");
    expect(readFileSync(file).length).toBe(good.length);
    // The cache folder is a file: nothing can be written there, and no temporary file is left.
    const blocked = tempDir();
    writeLib(blocked, "y");
    writeFileSync(path.join(blocked, "cache"), "a file, not a folder");
    expect(runFixture(blocked).value).toBe("y");
    expect(readdirSync(blocked).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("stays out under --enable-source-maps, where Node's own compile maps stack traces", () => {
    const dir = tempDir();
    writeLib(dir, "z");
    expect(runFixture(dir, { NODE_OPTIONS: "--enable-source-maps" }).value).toBe("z");
    expect(existsSync(path.join(dir, "cache"))).toBe(false);
  });
});

describe("a stack loads only its own clouds' SDKs (src/sdk/load.ts)", () => {
  it("registers each provider package as the package's index would (a provider reference deserializes into a Provider)", () => {
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const sdk = require(${JSON.stringify(path.join(ROOT, "dist", "src", "sdk", "load.js"))});
      const before = ["aws", "azure-native", "gcp"].map((p) => !!pulumi.runtime.getResourcePackage(p, undefined));
      const providers = { aws: sdk.awsSdk().Provider, "azure-native": sdk.azureSdk().Provider, gcp: sdk.gcpSdk().Provider };
      const after = Object.entries(providers).map(([p, Provider]) => {
        const pkg = pulumi.runtime.getResourcePackage(p, undefined);
        return pkg && pkg.version === require("@pulumi/" + p + "/utilities").getVersion() && pkg.constructProvider.toString().includes("pulumi:providers:") ? p : "missing " + p;
      });
      const vault = ["index/mount", "index/policy", "index/audit"].map((m) => !!pulumi.runtime.getResourceModule("vault", m, undefined));
      sdk.vaultSdk();
      const vaultAfter = ["index/mount", "index/policy", "index/audit"].map((m) => !!pulumi.runtime.getResourceModule("vault", m, undefined));
      const indexes = Object.keys(require.cache).filter((k) => ["gcp", "aws", "azure-native"].some((p) => k.endsWith("node_modules/@pulumi/" + p + "/index.js")));
      process.stdout.write(JSON.stringify({ before, after, vault, vaultAfter, indexes }));`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ before: [false, false, false], after: ["aws", "azure-native", "gcp"], vault: [false, false, false], vaultAfter: [true, true, true], indexes: [] });
  });

  /** The provider packages the program's process (cmd/run) had loaded when it exited. */
  function programPackages(stack: string): string[] {
    const dir = tempDir();
    const out = path.join(dir, "modules.txt");
    const probe = path.join(dir, "probe.js");
    writeFileSync(
      probe,
      `if (process.argv.some((a) => /cmd[\\\\/]run[\\\\/]?/.test(a))) process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(out)}, Object.keys(require.cache).join("\\n")));`,
    );
    const r = spawnSync(process.execPath, [BIN, "plan", "--stack", stack, "--no-audit"], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, NODE_OPTIONS: `--require ${probe}` },
    });
    expect(r.status, r.stderr).toBe(0);
    const packages = new Set<string>();
    for (const m of readFileSync(out, "utf8").split("\n")) {
      const hit = /node_modules\/(@pulumi\/(?:aws|azure-native|gcp|vault|random))\//.exec(m);
      if (hit) packages.add(hit[1]);
    }
    return [...packages].sort();
  }

  it("the beta operator's stack (one GCP server) loads no AWS or Azure SDK; acme.preview (GCP, Azure, AWS) loads all three", () => {
    expect(programPackages("acme.federated_beta")).toEqual(["@pulumi/gcp", "@pulumi/random", "@pulumi/vault"]);
    expect(programPackages("acme.preview")).toEqual(["@pulumi/aws", "@pulumi/azure-native", "@pulumi/gcp", "@pulumi/random", "@pulumi/vault"]);
  });
});

describe("the SDK's per-promise stack captures (src/promiseStacks.ts)", () => {
  it("are off unless ZIPNET_STACK_TRACES=on or the SDK's leak debugger asks, and come back on restore", () => {
    const saved = { limit: Error.stackTraceLimit, traces: process.env.ZIPNET_STACK_TRACES, leaks: process.env.PULUMI_DEBUG_PROMISE_LEAKS };
    try {
      Error.stackTraceLimit = 10;
      delete process.env.ZIPNET_STACK_TRACES;
      delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
      let restore = withoutPromiseStacks();
      expect(Error.stackTraceLimit).toBe(0);
      restore();
      expect(Error.stackTraceLimit).toBe(10);
      process.env.ZIPNET_STACK_TRACES = "on";
      restore = withoutPromiseStacks();
      expect(Error.stackTraceLimit).toBe(10);
      restore();
      delete process.env.ZIPNET_STACK_TRACES;
      process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
      withoutPromiseStacks();
      expect(Error.stackTraceLimit).toBe(10);
    } finally {
      Error.stackTraceLimit = saved.limit;
      for (const [k, v] of [["ZIPNET_STACK_TRACES", saved.traces], ["PULUMI_DEBUG_PROMISE_LEAKS", saved.leaks]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

/**
 * What makes a process start fast without changing what it does: the V8 code cache
 * (policies/lib/compileCache.ts), and a stack loading only its own clouds' SDKs (src/sdk/load.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

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
  const r = spawnSync(process.execPath, [main], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
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

  it("a corrupt or unwritable cache costs a compile, never an error", () => {
    const dir = tempDir();
    writeLib(dir, "x");
    runFixture(dir);
    const file = path.join(dir, "cache", "fixture.v8cache");
    // Garbage bytes, a header length past the end, a header from another V8.
    for (const bad of [Buffer.from("not a cache"), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2]), Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from("{}")])]) {
      writeFileSync(file, bad);
      expect(runFixture(dir).value).toBe("x");
    }
    // The cache folder is a file: nothing can be written there.
    const blocked = tempDir();
    writeLib(blocked, "y");
    writeFileSync(path.join(blocked, "cache"), "a file, not a folder");
    expect(runFixture(blocked).value).toBe("y");
  });
});

describe("a stack loads only its own clouds' SDKs (src/sdk/load.ts)", () => {
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

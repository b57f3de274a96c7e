/** The pack must start fast: loading it pulls in no cloud SDK (policies match type tokens). */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the policy pack's start-up", () => {
  it("loads no cloud or Vault SDK module", () => {
    const script = `
      require(${JSON.stringify(path.join(ROOT, "policies", "pack.ts"))});
      require("@pulumi/policy");
      const loaded = Object.keys(require.cache);
      const sdk = loaded.filter((f) => /node_modules\\/@pulumi\\/(aws|gcp|azure-native|vault|random)\\//.test(f));
      console.log(JSON.stringify({ modules: loaded.length, sdk }));
    `;
    const run = spawnSync(process.execPath, ["-r", require.resolve("tsx/cjs"), "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { modules, sdk } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    expect(modules).toBeGreaterThan(10);
    expect(sdk).toEqual([]);
  });
});

/**
 * The pack stands alone: `pulumi policy publish` uploads only the pack folder. A copy of
 * policies/ (built) in an empty folder, where only the packages policies/package.json declares
 * are resolvable (linked from the installed copies: no network), starts under the CLI's runner
 * (@pulumi/pulumi/cmd/run-policy-pack) and serves every policy.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { startPolicyPack } from "../../src/offline/analyzer";
import { ALL_POLICIES } from "../../policies/pack";

const PACK = path.join(__dirname, "..", "..", "policies");

describe("the policy pack on its own", () => {
  it("starts from a copy of its folder with only its declared dependencies, and serves every policy", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "zipnet-pack-alone-"));
    const dir = path.join(root, "zipnet-posture");
    try {
      cpSync(PACK, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
      const declared = Object.keys(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).dependencies);
      expect(declared.sort()).toEqual(["@pulumi/policy", "@pulumi/pulumi", "ts-node", "typescript"]);
      for (const name of declared) {
        const target = path.dirname(require.resolve(`${name}/package.json`));
        mkdirSync(path.dirname(path.join(dir, "node_modules", name)), { recursive: true });
        symlinkSync(target, path.join(dir, "node_modules", name), "dir");
      }
      const pack = await startPolicyPack(dir);
      try {
        const info = await pack.getAnalyzerInfo();
        expect(info.name).toBe("zipnet-posture");
        expect(info.policies.map((p) => p.name).sort()).toEqual(ALL_POLICIES.map((p) => p.name).sort());
      } finally {
        await pack.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

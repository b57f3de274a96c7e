/**
 * Canary: the @pulumi/policy internals the pack relies on (policies/src/core/sdk.ts) are still
 * there and behave as the pack expects. The SDK version is pinned exactly; a new version that
 * moves any of these fails here, loudly, instead of silently turning a check off.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROXY_TARGET, cannotJudgeYet, deserializationShared, isFrameworkUnknown, proxyTarget, shareDeserialization } from "../../policies/src/core/sdk";

describe("@pulumi/policy internals the pack uses", () => {
  it("the pinned version is the installed one, in both package.json files", () => {
    const installed = JSON.parse(readFileSync(require.resolve("@pulumi/policy/package.json"), "utf8")).version.replace(/^v/, "");
    for (const file of ["package.json", "policies/package.json"]) {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "..", file), "utf8"));
      expect(pkg.dependencies["@pulumi/policy"], file).toBe(installed);
    }
  });

  it("the unknown-checking proxy exposes its target under the key the pack reads", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { unknownCheckingProxy } = require("@pulumi/policy/proxy");
    const target = { a: 1 };
    const proxied = unknownCheckingProxy(target);
    expect(proxied[PROXY_TARGET]).toBe(target);
    expect(proxyTarget(proxied)).toBe(target);
  });

  it("cannotJudgeYet is the framework's UnknownValueError, which the server reports as an advisory \"can't run\"", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { UnknownValueError } = require("@pulumi/policy/proxy");
    const e = cannotJudgeYet(["c1-vm.labels"]);
    expect(e).toBeInstanceOf(UnknownValueError);
    expect(isFrameworkUnknown(e)).toBe(true);
    expect(e.message).toBe("string value at .c1-vm.labels can't be known during preview");
    const server = readFileSync(require.resolve("@pulumi/policy/server.js"), "utf8");
    expect(server).toMatch(/e instanceof proxy_1\.UnknownValueError[\s\S]{0,400}enforcementLevel: "advisory"/);
  });

  it("the framework's deserializeProperties is where the pack shares it", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const deserialize = require("@pulumi/policy/deserialize");
    expect(typeof deserialize.deserializeProperties).toBe("function");
    shareDeserialization();
    expect(deserializationShared()).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
    const s = Struct.fromJavaScript({ a: "x" });
    expect(deserialize.deserializeProperties(s, false)).toBe(deserialize.deserializeProperties(s, false));
  });
});

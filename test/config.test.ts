/**
 * Config validation: the example stacks are valid; each bad config names the key, what was
 * expected and what was found; and the stack program registers nothing when config is invalid.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { CONFIG_KEY } from "../src/config/schema";
import { readCliConfig, stackFilePath } from "../src/config/stackFile";
import { ConfigError, formatIssue, parseInstanceConfig, validateInstanceConfig } from "../src/config/validate";
import { installEngine, waitForRegistrations } from "../src/offline/engine/inProcess";
import { EngineModel } from "../src/offline/engine/model";
import { main } from "../src/program";
import { EXAMPLE_STACKS, rawExample } from "./support/plans";
import { BAD, MAINNET } from "./support/badConfigs";


describe("example stacks", () => {
  it.each(EXAMPLE_STACKS)("%s is valid", (stack) => {
    const result = validateInstanceConfig(rawExample(stack));
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  });
});

describe("bad configs", () => {
  it("has at least 30 cases", () => expect(BAD.length).toBeGreaterThanOrEqual(30));

  it.each(BAD)("$why: names $path", ({ stack, mutate, path, says }) => {
    const raw = rawExample(stack);
    mutate(raw);
    const result = validateInstanceConfig(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path === `${CONFIG_KEY}${path}`);
    expect(issue, `issues: ${result.issues.map(formatIssue).join(" | ")}`).toBeDefined();
    const line = formatIssue(issue!);
    expect(line).toMatch(/: expected .+, found .+/);
    expect(line).toMatch(says);
  });

  it("reports a missing config key as such", () => {
    const result = validateInstanceConfig(undefined);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatIssue(result.issues[0])).toBe(`${CONFIG_KEY}: expected the instance config object (see README: config reference), found nothing`);
  });
});

/** Runs the stack program (src/index.ts's main) in-process against the engine model with this config; counts registrations. */
async function runStackProgram(stack: string, raw: unknown) {
  const model = new EngineModel({ project: "zipnet-infra", stack, preview: true });
  installEngine(model);
  pulumi.runtime.setAllConfig({ [CONFIG_KEY]: JSON.stringify(raw) });
  let error: unknown;
  let outputs: ReturnType<typeof main> | undefined;
  try {
    outputs = main();
  } catch (err) {
    error = err;
  }
  await waitForRegistrations();
  return { error, outputs, registered: model.resources.length };
}

describe("the stack program with invalid config", () => {
  it.each(BAD.slice(0, 12))("$why: a RunError naming the key, and nothing registered", async ({ stack, mutate, path }) => {
    const raw = rawExample(stack);
    mutate(raw);
    const { error, registered } = await runStackProgram(stack, raw);
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toContain(`${CONFIG_KEY}${path}: expected`);
    expect(registered).toBe(0);
  });

  it("registers the instance when the same config is valid (the counter can count)", async () => {
    const { error, outputs, registered } = await runStackProgram(MAINNET, rawExample(MAINNET));
    expect(error).toBeUndefined();
    expect(outputs?.instance).toBe("acme.mainnet");
    expect(registered).toBeGreaterThan(50);
  });
});

describe("stack files read as the Pulumi CLI reads them (PULUMI_CONFIG)", () => {
  const write = (text: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cli-config-")), "Pulumi.x.y.yaml");
    writeFileSync(file, text);
    return file;
  };

  it("keys as <namespace>:config:<key>, strings as they are, everything else as Go JSON text", () => {
    const cli = readCliConfig(write("config:\n  plain: hello\n  aws:region: us-east-2\n  n: 5\n  b: true\n  obj: {z: 1, a: [x, 2], tag: \"<&>\"}\n"));
    expect(cli.config).toEqual({
      "zipnet-infra:config:plain": "hello",
      "aws:config:region": "us-east-2",
      "zipnet-infra:config:n": "5",
      "zipnet-infra:config:b": "true",
      "zipnet-infra:config:obj": '{"a":["x",2],"tag":"\\u003c\\u0026\\u003e","z":1}',
    });
    expect(cli.secretKeys).toEqual([]);
  });

  it("aliases read as their anchors' values (as yaml.v3 reads them); an undefined or self-containing one is named, never null", () => {
    const cli = readCliConfig(write("config:\n  a: &x {k: [1, 2]}\n  b: *x\n"));
    expect(cli.config["zipnet-infra:config:b"]).toBe('{"k":[1,2]}');
    const issuesOf = (text: string) => {
      try {
        readCliConfig(write(text));
        return [];
      } catch (err) {
        return (err as ConfigError).issues.map(formatIssue);
      }
    };
    expect(issuesOf("config:\n  a: *nope\n")).toEqual(["zipnet-infra:a: expected an alias to an anchor defined before it (&nope), found *nope, with no such anchor"]);
    expect(issuesOf("config:\n  a: &s [1, *s]\n")).toEqual(["zipnet-infra:a[1]: expected an alias that does not contain itself, found *s inside its own anchor"]);
  });

  it("unquoted dates as Go prints a time (yaml.v3), which the config schema reads back as the day", () => {
    const cli = readCliConfig(write("config:\n  d: 2026-10-01\n  q: \"2026-10-01\"\n  t: 2026-10-01T10:20:30Z\n  o: {d: 2026-1-2, f: 1e400, y: yes}\n"));
    expect(cli.config["zipnet-infra:config:d"]).toBe("2026-10-01 00:00:00 +0000 UTC");
    expect(cli.config["zipnet-infra:config:q"]).toBe("2026-10-01");
    expect(cli.config["zipnet-infra:config:t"]).toBe("2026-10-01 10:20:30 +0000 UTC");
    expect(JSON.parse(cli.config["zipnet-infra:config:o"])).toEqual({ d: "2026-01-02 00:00:00 +0000 UTC", f: "1e400", y: "yes" });
    // the example stacks' unquoted dates survive the trip into the validated config
    const example = readCliConfig(stackFilePath(MAINNET));
    expect(JSON.parse(example.config["zipnet-infra:config:instance"]).rotation.lastRehearsal).toBe("2026-10-14 00:00:00 +0000 UTC");
    expect(parseInstanceConfig(example.values[CONFIG_KEY]).rotation.lastRehearsal).toBe("2026-10-14");
  });

  it("leaves out an encrypted publication key (as the operator guide sets it), saying so; the offline plan signs with --publication-key", () => {
    const cli = readCliConfig(write(`config:\n  zipnet-infra:publicationKey:\n    secure: v1:abc\n  zipnet-infra:instance: {name: x.y}\n`));
    expect(Object.keys(cli.config)).toEqual(["zipnet-infra:config:instance"]);
    expect(cli.skipped).toEqual([expect.stringMatching(/^zipnet-infra:publicationKey is encrypted \(secure:\): the offline plan leaves it out/)]);
  });

  it("refuses a signing or sealing key written in plain in the stack file, naming it", () => {
    let issues: string[] = [];
    try {
      readCliConfig(write("config:\n  zipnet-infra:sealingKey: \"-----BEGIN PRIVATE KEY-----\"\n  zipnet-infra:publicationKey: abc\n  zipnet-infra:instance: {name: x.y}\n"));
    } catch (err) {
      issues = (err as ConfigError).issues.map(formatIssue);
    }
    expect(issues).toEqual([
      "zipnet-infra:sealingKey: expected an encrypted value (pulumi config set --secret ...): a private key never sits in the stack file in plain, found a plain value",
      "zipnet-infra:publicationKey: expected an encrypted value (pulumi config set --secret ...): a private key never sits in the stack file in plain, found a plain value",
    ]);
  });

  it("refuses what the CLI cannot pass on: .inf and .nan, integers past 2^53, secure: values; each key named at once", () => {
    const file = write("config:\n  zipnet-infra:instance: {a: .inf, b: [.nan], c: 9007199254740993}\n  zipnet-infra:publicationKey:\n    secure: v1:abc\n  other:\n    secure: v1:def\n");
    let issues: string[] = [];
    try {
      readCliConfig(file);
    } catch (err) {
      issues = (err as ConfigError).issues.map(formatIssue);
    }
    expect(issues).toEqual([
      "zipnet-infra:instance.a: expected a finite number (the Pulumi CLI refuses .inf and .nan: json: unsupported value), found .inf",
      "zipnet-infra:instance.b[0]: expected a finite number (the Pulumi CLI refuses .inf and .nan: json: unsupported value), found .nan",
      "zipnet-infra:instance.c: expected an integer between -(2^53-1) and 2^53-1 (the program's JSON reader would round it), found 9007199254740993",
      expect.stringMatching(/^zipnet-infra:other: expected a value the offline plan can read, found an encrypted value \(secure:\), .*use `pulumi preview` with the CLI/),
    ]);
  });
});

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

const MAINNET = "acme.mainnet";
const PREVIEW = "acme.preview";

interface BadCase {
  why: string;
  stack: string;
  mutate: (raw: any) => void;
  /** The key path the error must name (after `zipnet-infra:instance`). */
  path: string;
  /** Text the message must contain (what was expected / found). */
  says: RegExp;
}

const node = (over: Record<string, unknown>) => ({ id: "c9", cloud: "gcp", account: "acme-zipnet-c9", region: "europe-west4", oncall: "pagerduty:c9", ...over });

const BAD: BadCase[] = [
  { why: "name without a dot", stack: MAINNET, mutate: (r) => (r.name = "acme"), path: ".name", says: /at least one dot.*found "acme"/ },
  { why: "uppercase name", stack: MAINNET, mutate: (r) => (r.name = "Acme.Mainnet"), path: ".name", says: /lowercase/ },
  { why: "name with an empty label", stack: MAINNET, mutate: (r) => (r.name = "acme..mainnet"), path: ".name", says: /dot-separated/ },
  { why: "name with underscores", stack: MAINNET, mutate: (r) => (r.name = "acme_main.net"), path: ".name", says: /found "acme_main.net"/ },
  { why: "name too long for a label", stack: MAINNET, mutate: (r) => (r.name = `${"a".repeat(40)}.${"b".repeat(30)}`), path: ".name", says: /at most 63/ },
  { why: "unknown posture", stack: MAINNET, mutate: (r) => (r.posture = "prod"), path: ".posture", says: /production or devtest.*found "prod"/ },
  { why: "even committee in production", stack: MAINNET, mutate: (r) => r.committee.push(node({})), path: ".committee", says: /at least 3.*odd.*found "4 servers"/ },
  { why: "two committee servers in production", stack: MAINNET, mutate: (r) => r.committee.pop(), path: ".committee", says: /found "2 servers"/ },
  { why: "one committee server in production", stack: MAINNET, mutate: (r) => (r.committee = r.committee.slice(0, 1)), path: ".committee", says: /at least 3/ },
  { why: "empty committee", stack: PREVIEW, mutate: (r) => (r.committee = []), path: ".committee", says: /at least one committee server/ },
  {
    why: "AWS committee server in production",
    stack: MAINNET,
    mutate: (r) => (r.committee[2] = { id: "c3", cloud: "aws", account: "345678901234", region: "eu-west-1", size: "m6a.large", oncall: "x@acme" }),
    path: ".committee[2].cloud",
    says: /AWS has no Intel TDX.*found "aws"/,
  },
  { why: "non-confidential committee server in production", stack: MAINNET, mutate: (r) => (r.committee[0].confidential = false), path: ".committee[0].confidential", says: /TDX guests/ },
  { why: "missing committee MR_TDs in production", stack: MAINNET, mutate: (r) => (r.tdx.committeeMrtds = []), path: ".tdx.committeeMrtds", says: /at least one committee MR_TD/ },
  { why: "missing client MR_TDs in production", stack: MAINNET, mutate: (r) => delete r.tdx.clientMrtds, path: ".tdx.clientMrtds", says: /published client MR_TD/ },
  { why: "short MR_TD", stack: MAINNET, mutate: (r) => (r.tdx.committeeMrtds[0] = "abcd"), path: ".tdx.committeeMrtds[0]", says: /96 hex/ },
  { why: "MR_TD with non-hex", stack: MAINNET, mutate: (r) => (r.tdx.clientMrtds[0] = "z".repeat(96)), path: ".tdx.clientMrtds[0]", says: /96 hex/ },
  { why: "duplicate committee node ids", stack: MAINNET, mutate: (r) => (r.committee[1].id = "c1"), path: ".committee[1].id", says: /unique.*committee\[0\]/ },
  { why: "aggregator id reused", stack: MAINNET, mutate: (r) => (r.aggregator.id = "c2"), path: ".aggregator.id", says: /unique/ },
  { why: "bad node id", stack: MAINNET, mutate: (r) => (r.committee[0].id = "C_1"), path: ".committee[0].id", says: /\[a-z0-9-\]/ },
  { why: "unknown cloud", stack: MAINNET, mutate: (r) => (r.committee[0].cloud = "oracle"), path: ".committee[0].cloud", says: /gcp, azure, aws.*found "oracle"/ },
  { why: "missing oncall", stack: MAINNET, mutate: (r) => delete r.committee[1].oncall, path: ".committee[1].oncall", says: /required/ },
  { why: "blank oncall", stack: PREVIEW, mutate: (r) => (r.aggregator.oncall = "  "), path: ".aggregator.oncall", says: /on-call/ },
  { why: "bad CIDR", stack: MAINNET, mutate: (r) => (r.network.metricsSources = ["10.20.0.0/33"]), path: ".network.metricsSources[0]", says: /CIDR.*found "10.20.0.0\/33"/ },
  { why: "CIDR with host bits", stack: MAINNET, mutate: (r) => (r.network.metricsSources = ["10.20.0.1/16"]), path: ".network.metricsSources[0]", says: /zero host bits/ },
  { why: "metrics open to the internet", stack: MAINNET, mutate: (r) => r.network.metricsSources.push("0.0.0.0/0"), path: ".network.metricsSources[2]", says: /never public.*found "0.0.0.0\/0"/ },
  { why: "metrics open to all IPv6", stack: PREVIEW, mutate: (r) => (r.network.metricsSources = ["::/0"]), path: ".network.metricsSources[0]", says: /never public/ },
  { why: "metrics open to a wide public range", stack: PREVIEW, mutate: (r) => (r.network.metricsSources = ["8.0.0.0/8"]), path: ".network.metricsSources[0]", says: /narrow/ },
  { why: "no metrics sources", stack: PREVIEW, mutate: (r) => (r.network.metricsSources = []), path: ".network.metricsSources", says: /at least one scraper/ },
  { why: "privileged iroh port", stack: MAINNET, mutate: (r) => (r.network.irohPort = 53), path: ".network.irohPort", says: /1024-65535.*found 53/ },
  { why: "port as text", stack: MAINNET, mutate: (r) => (r.network.metricsPort = "9464"), path: ".network.metricsPort", says: /integer port.*found "9464"/ },
  { why: "two servers in one account", stack: MAINNET, mutate: (r) => (r.committee[2].account = "acme-zipnet-c1"), path: ".committee[2].account", says: /distinct from committee\[0\]/ },
  { why: "two servers in one region", stack: MAINNET, mutate: (r) => (r.committee[2].region = "us-east4"), path: ".committee[2].region", says: /region distinct/ },
  { why: "Azure account is not a subscription id", stack: MAINNET, mutate: (r) => (r.committee[1].account = "acme-sub"), path: ".committee[1].account", says: /subscription id/ },
  { why: "AWS account id not 12 digits", stack: MAINNET, mutate: (r) => (r.aggregator.account = "1234"), path: ".aggregator.account", says: /12-digit/ },
  { why: "GCP zone outside its region", stack: MAINNET, mutate: (r) => (r.committee[0].zone = "us-central1-a"), path: ".committee[0].zone", says: /zone of us-east4/ },
  { why: "GCP size that has no TDX", stack: MAINNET, mutate: (r) => (r.committee[0].size = "n2-standard-4"), path: ".committee[0].size", says: /c3-standard/ },
  { why: "Azure v5 confidential size (retired)", stack: MAINNET, mutate: (r) => (r.committee[1].size = "Standard_DC4es_v5"), path: ".committee[1].size", says: /DCesv6/ },
  { why: "GCP region with no TDX zone and no zone given", stack: MAINNET, mutate: (r) => (r.committee[2].region = "southamerica-east1"), path: ".committee[2].zone", says: /C3 TDX capacity/ },
  { why: "missing image for a cloud in use", stack: MAINNET, mutate: (r) => delete r.images.azure, path: ".images.azure", says: /azure server image/ },
  { why: "bad AMI", stack: PREVIEW, mutate: (r) => (r.images.aws = "ubuntu-22.04"), path: ".images.aws", says: /AMI id/ },
  { why: "low min participants in production", stack: MAINNET, mutate: (r) => (r.minParticipants = 1), path: ".minParticipants", says: /at least 3 in production/ },
  { why: "http Vault in production", stack: MAINNET, mutate: (r) => (r.vault.address = "http://vault.acme.example:8200"), path: ".vault.address", says: /https/ },
  { why: "existing audit device without attestation", stack: MAINNET, mutate: (r) => (r.vault.auditDevice = "existing"), path: ".vault.existingAudit", says: /attestation/ },
  { why: "epoch for an unknown node", stack: MAINNET, mutate: (r) => (r.rotation.nodeEpochs = { c7: 1 }), path: ".rotation.nodeEpochs.c7", says: /node id of this instance/ },
  { why: "negative epoch", stack: MAINNET, mutate: (r) => (r.rotation.committeeEpoch = -1), path: ".rotation.committeeEpoch", says: /non-negative/ },
  { why: "attestation for an enforced item", stack: MAINNET, mutate: (r) => (r.attestations["committee.tdx"] = { statement: "trust me", by: "x", date: "2026-01-01" }), path: ".attestations.committee.tdx", says: /attestable/ },
  { why: "unknown acknowledged risk", stack: MAINNET, mutate: (r) => r.acknowledgedRisks.push("risk.none"), path: ".acknowledgedRisks[4]", says: /acknowledgeable/ },
  { why: "production without an archive", stack: MAINNET, mutate: (r) => delete r.archive, path: ".archive", says: /audit\.broadcast-archive/ },
  { why: "production without a registry key", stack: MAINNET, mutate: (r) => delete r.registry, path: ".registry.publicKey", says: /audit\.peer-registry/ },
  { why: "archive on a cloud without retention locks", stack: MAINNET, mutate: (r) => (r.archive.cloud = "azure"), path: ".archive.cloud", says: /aws or gcp/ },
  { why: "archive on another cloud with no runner", stack: MAINNET, mutate: (r) => Object.assign(r.archive, { cloud: "gcp", account: "acme-archive", region: "us-east4" }), path: ".archive.runner", says: /principal that runs the archiver/ },
  { why: "archive retention of zero days", stack: MAINNET, mutate: (r) => (r.archive.retentionDays = 0), path: ".archive.retentionDays", says: /at least 1 day/ },
  { why: "misspelt key", stack: MAINNET, mutate: (r) => (r.comittee = []), path: "", says: /unknown: comittee/ },
  { why: "assume-role in another account", stack: PREVIEW, mutate: (r) => (r.aggregator.assumeRoleArn = "arn:aws:iam::999999999999:role/deployer"), path: ".aggregator.assumeRoleArn", says: /own account/ },
];

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
      expect.stringMatching(/^zipnet-infra:publicationKey: expected a value the offline plan can read, found an encrypted value \(secure:\), .*; pass the key with --publication-key FILE$/),
      expect.stringMatching(/^zipnet-infra:other: expected a value the offline plan can read, found an encrypted value \(secure:\), .*use `pulumi preview` with the CLI/),
    ]);
  });
});

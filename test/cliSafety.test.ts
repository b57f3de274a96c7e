/**
 * The CLI's contract for bad input and outputs, spawned as an operator runs it (`node
 * bin/infra.js`): exit code, message, files written, inputs unchanged. Each row is one case;
 * the hard cases of issue 13 are among them.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, sign as cryptoSign } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BAD, MAINNET } from "./support/badConfigs";
import { rawExample } from "./support/plans";

const ROOT = path.join(__dirname, "..");
const BIN = path.join(ROOT, "bin", "infra.js");
const PREVIEW = path.join(ROOT, "stacks", "Pulumi.acme.preview.yaml");

let tmp: string;
/** A state `plan --json` wrote (acme.preview). */
let state: string;

function infra(args: string[], cwd = tmp) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same, without blocking: table rows run a few at a time. */
function infraAsync(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 120_000 }, (_err, out, err) => resolve({ code: child.exitCode, out, err }));
  });
}

/** Every file under a directory (relative paths), to see what a command wrote. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      // Directories count too: a refused command must not even create a folder.
      if (e.isDirectory()) (out.push(`${path.relative(tmp, p)}/`), walk(p));
      else out.push(path.relative(tmp, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "zipnet-cli-safety-"));
  state = path.join(tmp, "preview.json");
  const r = infra(["plan", "--stack", "acme.preview", "--no-audit", "--json", state]);
  if (r.code !== 0) throw new Error(`plan --json failed: ${r.err}`);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Row {
  name: string;
  /** Prepares the case in a fresh folder; returns the arguments. */
  setup(dir: string): string[];
  code: number;
  /** What stderr must say (every one). */
  message: RegExp | RegExp[];
  /** Files whose content must not change. */
  unchanged?: (dir: string) => string[];
}

function configWith(dir: string, edit: (text: string) => string, name = "Pulumi.acme.preview.yaml"): string {
  const file = path.join(dir, name);
  writeFileSync(file, edit(readFileSync(PREVIEW, "utf8")));
  return file;
}

function stateWith(dir: string, edit: (doc: any) => void): string {
  const doc = JSON.parse(readFileSync(state, "utf8"));
  edit(doc);
  const file = path.join(dir, "state.json");
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

const rows: Row[] = [
  {
    name: "plan: config text never becomes a RegExp (region with regex syntax and a zone)",
    setup: (d) => ["plan", "--config-file", configWith(d, (t) => t.replace("region: us-central1", 'region: "us-central1(("\n        zone: us-central1-a')), "--no-audit"],
    code: 2,
    message: /committee\[0\]\.region: expected .*found "us-central1\(\("/,
  },
  {
    name: "plan: --json is a directory",
    setup: (d) => (mkdirSync(path.join(d, "out")), ["plan", "--stack", "acme.preview", "--no-audit", "--json", path.join(d, "out")]),
    code: 2,
    message: /cannot write --json .*out: expected a file path, found a directory/,
  },
  {
    name: "plan: --json under a file",
    setup: (d) => (writeFileSync(path.join(d, "file"), "x"), ["plan", "--stack", "acme.preview", "--no-audit", "--json", path.join(d, "file", "plan.json")]),
    code: 2,
    message: /cannot write --json .*: expected .*file to be a directory, found a file/,
    unchanged: (d) => [path.join(d, "file")],
  },
  {
    name: "plan: --json is empty",
    setup: () => ["plan", "--stack", "acme.preview", "--no-audit", "--json", ""],
    code: 2,
    message: /--json: expected a file path, found ""/,
  },
  {
    name: "plan: --json is the config file",
    setup: (d) => {
      const cfg = configWith(d, (t) => t);
      return ["plan", "--config-file", cfg, "--no-audit", "--json", cfg];
    },
    code: 2,
    message: /--json .*: expected a path other than the command's inputs, found the --config-file file itself/,
    unchanged: (d) => [path.join(d, "Pulumi.acme.preview.yaml")],
  },
  {
    name: "plan: --json is a symlink to the config file",
    setup: (d) => {
      const cfg = configWith(d, (t) => t);
      execFileSync("ln", ["-s", cfg, path.join(d, "plan.json")]);
      return ["plan", "--config-file", cfg, "--no-audit", "--json", path.join(d, "plan.json")];
    },
    code: 2,
    message: /--json .*plan\.json: expected a path other than the command's inputs, found the --config-file file itself/,
    unchanged: (d) => [path.join(d, "Pulumi.acme.preview.yaml")],
  },
  {
    name: "plan: --json and --audit-json are one file",
    setup: (d) => ["plan", "--stack", "acme.preview", "--json", path.join(d, "same.json"), "--audit-json", path.join(d, "same.json")],
    code: 2,
    message: /--audit-json .*same\.json: expected a path other than --json's, found the same file/,
  },
  {
    name: "plan: --report is an existing file",
    setup: (d) => (writeFileSync(path.join(d, "report"), "x"), ["plan", "--stack", "acme.preview", "--report", path.join(d, "report")]),
    code: 2,
    message: /cannot write --report .*report: expected a directory or a new path, found a file/,
    unchanged: (d) => [path.join(d, "report")],
  },
  {
    name: "plan: a missing --publication-key is refused before anything is written",
    setup: (d) => ["plan", "--stack", "acme.preview", "--json", path.join(d, "plan.json"), "--report", path.join(d, "record"), "--publication-key", path.join(d, "nokey.pem")],
    code: 2,
    message: /--publication-key .*nokey\.pem: expected an Ed25519 private key .*found ENOENT/,
  },
  {
    name: "plan: a corrupt --publication-key is refused before anything is written",
    setup: (d) => (writeFileSync(path.join(d, "key.pem"), "not a key\n"), ["plan", "--stack", "acme.preview", "--json", path.join(d, "plan.json"), "--report", path.join(d, "record"), "--publication-key", path.join(d, "key.pem")]),
    code: 2,
    message: /--publication-key .*key\.pem: expected an Ed25519 private key/,
    unchanged: (d) => [path.join(d, "key.pem")],
  },
  {
    name: "plan: an unknown YAML tag (!Ref) is refused",
    setup: (d) => ["plan", "--config-file", configWith(d, (t) => t.replace("region: us-central1", "region: !Ref Region")), "--no-audit"],
    code: 2,
    message: /expected plain YAML \(no custom tags\), found .*!Ref/,
  },
  {
    name: "plan: a FIFO as config file is refused, not waited on",
    setup: (d) => (execFileSync("mkfifo", [path.join(d, "Pulumi.acme.fifo.yaml")]), ["plan", "--config-file", path.join(d, "Pulumi.acme.fifo.yaml"), "--no-audit"]),
    code: 2,
    message: /Pulumi\.acme\.fifo\.yaml: expected a stack config file, found a special file \(FIFO/,
  },
  {
    name: "audit: --json is the state",
    setup: (d) => {
      const s = path.join(d, "state.json");
      copyFileSync(state, s);
      return ["audit", "--state", s, "--json", s];
    },
    code: 2,
    message: /--json .*state\.json: expected a path other than the command's inputs, found the --state file itself/,
    unchanged: (d) => [path.join(d, "state.json")],
  },
  {
    name: "audit: --json is the signed manifest",
    setup: (d) => {
      const m = path.join(d, "manifest.json");
      copyFileSync(path.join(ROOT, "stacks", "acme.federated.manifest.json"), m);
      return ["audit", "--state", state, "--manifest", m, "--json", m];
    },
    code: 2,
    message: /--json .*manifest\.json: expected a path other than the command's inputs, found the --manifest file itself/,
    unchanged: (d) => [path.join(d, "manifest.json")],
  },
  {
    name: "audit: --json is a directory",
    setup: (d) => ["audit", "--state", state, "--json", d],
    code: 2,
    message: /cannot write --json .*: expected a file path, found a directory/,
  },
  {
    name: "audit: a FIFO as state is refused, not waited on",
    setup: (d) => (execFileSync("mkfifo", [path.join(d, "fifo.json")]), ["audit", "--state", path.join(d, "fifo.json")]),
    code: 2,
    message: /fifo\.json: expected a state file .*found a special file \(FIFO/,
  },
  {
    name: "audit --report: an instance name from the state never names a path",
    setup: (d) => ["audit", "--state", stateWith(d, (doc) => {
      for (const r of doc.deployment.resources) if (r.type === "zipnet:index:ZipnetInstance") {
        r.inputs.name = "../../escaped-by-name";
        if (r.outputs?.postureRecord) r.outputs.postureRecord.name = "../../escaped-by-name";
      }
    }), "--report", path.join(d, "reports")],
    code: 2,
    message: /the posture record's name: expected an instance name \(like acme\.mainnet\) to name its report folder, found "\.\.\/\.\.\/escaped-by-name"/,
    unchanged: (d) => [path.join(d, "state.json")],
  },
  {
    name: "plan: a stack whose config names another instance is refused (stack = instance)",
    setup: (d) => ["plan", "--config-file", configWith(d, (t) => t, "Pulumi.acme.other.yaml"), "--no-audit"],
    code: 2,
    message: /zipnet-infra:instance\.name: expected the stack's name "acme\.other" \(one stack per instance.*found "acme\.preview"/,
  },
  {
    name: "plan: a production stack file elsewhere names the registry beside it, not the repository's",
    setup: (d) => {
      const file = path.join(d, "Pulumi.acme.mainnet.yaml");
      copyFileSync(path.join(ROOT, "stacks", "Pulumi.acme.mainnet.yaml"), file);
      return ["plan", "--config-file", file, "--no-audit"];
    },
    code: 2,
    message: new RegExp(`${path.join("case-\\d+", "acme\\.mainnet\\.registry\\.json")}: expected the signed PeerId -> legal entity registry`),
  },
  {
    name: "plan: a UTF-16 config file is named as such",
    setup: (d) => {
      const file = path.join(d, "Pulumi.acme.preview.yaml");
      writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(PREVIEW, "utf8"), "utf16le")]));
      return ["plan", "--config-file", file, "--no-audit"];
    },
    code: 2,
    message: /Pulumi\.acme\.preview\.yaml: expected a stack config file in UTF-8, found UTF-16 text \(a byte order mark\): save it as UTF-8/,
  },
  {
    name: "plan: a config file that is a symlink loop says so",
    setup: (d) => {
      execFileSync("ln", ["-s", "b.yaml", path.join(d, "a.yaml")]);
      execFileSync("ln", ["-s", "a.yaml", path.join(d, "b.yaml")]);
      return ["plan", "--config-file", path.join(d, "a.yaml"), "--no-audit"];
    },
    code: 2,
    message: /a\.yaml: expected a stack config file, found a symlink loop/,
  },
  {
    name: "plan: a __proto__ key is refused, not dropped",
    setup: (d) => ["plan", "--config-file", configWith(d, (t) => t.replace("    acknowledgedRisks:", "    attestations:\n      __proto__: {statement: x}\n    acknowledgedRisks:")), "--no-audit"],
    code: 2,
    message: /attestations\.__proto__: expected a key name other than __proto__/,
  },
  {
    name: "plan: an empty universe reads as an empty string, not a library message",
    setup: (d) => ["plan", "--config-file", configWith(d, (t) => t.replace("    name: acme.preview\n", '    name: acme.preview\n    universe: ""\n')), "--no-audit"],
    code: 2,
    message: /universe: expected a string of at least 1 character\(s\), found ""/,
  },
  {
    name: "audit: a JSON null state is named null",
    setup: (d) => (writeFileSync(path.join(d, "null.json"), "null"), ["audit", "--state", path.join(d, "null.json")]),
    code: 2,
    message: /null\.json: expected a JSON object .*found null/,
  },
  {
    name: "audit: a state that is a symlink loop says so",
    setup: (d) => {
      execFileSync("ln", ["-s", "b.json", path.join(d, "a.json")]);
      execFileSync("ln", ["-s", "a.json", path.join(d, "b.json")]);
      return ["audit", "--state", path.join(d, "a.json")];
    },
    code: 2,
    message: /a\.json: expected a state file .*found a symlink loop/,
  },
  {
    name: "verify-publication: an unreadable public key is an input error (2), not a failed verification (1)",
    setup: (d) => {
      writeFileSync(path.join(d, "publication.json"), "{}");
      writeFileSync(path.join(d, "publication.json.sig"), `${Buffer.alloc(64).toString("base64")}\n`);
      writeFileSync(path.join(d, "key.pub"), "not a key\n");
      return ["verify-publication", path.join(d, "publication.json"), path.join(d, "publication.json.sig"), path.join(d, "key.pub")];
    },
    code: 2,
    message: /key\.pub: unreadable public key/,
  },
  ...moreRows(),
  ...badConfigRows(),
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function write(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Every bad config of test/support/badConfigs.ts, through the spawned CLI: the key named, what was expected and found. */
function badConfigRows(): Row[] {
  return BAD.map((bad) => ({
    name: `plan: config ${bad.why} (${bad.stack}) names zipnet-infra:instance${bad.path}`,
    setup: (d) => {
      const raw = rawExample(bad.stack);
      bad.mutate(raw);
      // A production stack's signed registry travels beside its stack file.
      if (bad.stack === MAINNET) for (const f of ["acme.mainnet.registry.json", "acme.mainnet.registry.json.sig"]) copyFileSync(path.join(ROOT, "stacks", f), path.join(d, f));
      const file = write(d, `Pulumi.${bad.stack}.yaml`, stringify({ config: { "zipnet-infra:instance": raw } }));
      return ["plan", "--config-file", file, "--json", path.join(d, "plan.json")];
    },
    code: 2,
    message: [new RegExp(`zipnet-infra:instance${escape(bad.path)}: expected .+, found `), bad.says],
    unchanged: (d) => [path.join(d, `Pulumi.${bad.stack}.yaml`)],
  }));
}

/** Config text, states, options and keys an operator gets wrong; each named, nothing written. */
function moreRows(): Row[] {
  const previewWith = (edit: (t: string) => string) => (d: string) => ["plan", "--config-file", configWith(d, edit), "--json", path.join(d, "plan.json")];
  const previewFile = (content: string | Buffer) => (d: string) => ["plan", "--config-file", write(d, "Pulumi.acme.preview.yaml", content), "--json", path.join(d, "plan.json")];
  const audit = (name: string, content: string) => (d: string) => ["audit", "--state", write(d, name, content), "--json", path.join(d, "audit.json")];
  const key = generateKeyPairSync("ed25519");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const publication = (d: string, pub: string, sig = `${Buffer.alloc(64).toString("base64")}\n`) => [
    "verify-publication",
    write(d, "publication.json", '{"instance":"acme.preview"}'),
    write(d, "publication.json.sig", sig),
    write(d, "key.pub", pub),
  ];
  const row = (name: string, setup: Row["setup"], message: Row["message"], code = 2): Row => ({ name, setup, code, message });
  return [
    // Numbers and values the Pulumi CLI would not pass on as written.
    row("plan: 1e400 is named as found", previewWith((t) => t.replace("minParticipants: 2", "minParticipants: 1e400")), /instance\.minParticipants: expected an integer, found "1e400"/),
    row("plan: .inf is named as found, not null", previewWith((t) => t.replace("irohPort: 41642", "irohPort: .inf")), /instance\.network\.irohPort: expected a finite number .*found \.inf/),
    row("plan: .nan is named as found, not null", previewWith((t) => t.replace("metricsPort: 9464", "metricsPort: .nan")), /instance\.network\.metricsPort: expected a finite number .*found \.nan/),
    row("plan: an integer past 2^53 is named as written, not rounded", previewWith((t) => t.replace("committeeEpoch: 0", "committeeEpoch: 9007199254740993")), /instance\.rotation\.committeeEpoch: expected an integer between .*found 9007199254740993/),
    row("plan: a secure: instance says secret config cannot be read offline, once", previewFile("config:\n  zipnet-infra:instance:\n    secure: v1:abc\n"), /zipnet-infra:instance: expected a value the offline plan can read, found an encrypted value \(secure:\)/),
    row("plan: a secure: value inside the instance is named", previewWith((t) => t.replace("    name: acme.preview\n", "    name: acme.preview\n    universe:\n      secure: v1:abc\n")), /instance\.universe: expected a value the offline plan can read, found an encrypted value \(secure:\)/),
    row("plan: a negative port", previewWith((t) => t.replace("irohPort: 41642", "irohPort: -1")), /instance\.network\.irohPort: expected .*found -1/),
    row("plan: a port above 65535", previewWith((t) => t.replace("metricsPort: 9464", "metricsPort: 70000")), /instance\.network\.metricsPort: expected .*found 70000/),
    row("plan: a fractional minParticipants", previewWith((t) => t.replace("minParticipants: 2", "minParticipants: 2.5")), /instance\.minParticipants: expected an integer, found 2\.5/),
    row("plan: yes/no is a string to the CLI, not a boolean", previewWith((t) => t.replace("region: us-central1", "region: us-central1\n        confidential: yes")), /committee\[0\]\.confidential: expected .*found "yes"/),
    row("plan: a list where an object is expected", previewWith((t) => t.replace(/    network:\n(      .*\n)+/, "    network: [1, 2]\n")), /instance\.network: expected .*found \[1,2\]/),
    row("plan: an object where a string is expected", previewWith((t) => t.replace("name: acme.preview", "name: {a: 1}")), /instance\.name: expected .*found \{"a":1\}/),
    row("plan: null for a required key", previewWith((t) => t.replace("posture: devtest", "posture: null")), /instance\.posture: expected .*found null/),
    row("plan: a key under the wrong namespace is not the instance", previewFile(readFileSync(PREVIEW, "utf8").replace("zipnet-infra:instance:", "zipnet:instance:")), /zipnet-infra:instance: expected the instance config object .*found nothing/),
    row("plan: an unknown key in a node", previewWith((t) => t.replace("        oncall: \"#zipnet-preview (business hours)\"\n      - id: p2", "        oncall: \"#zipnet-preview (business hours)\"\n        zones: [a]\n      - id: p2")), /committee\[0\]: expected .*found .*zones/),
    row("plan: an instance name that is a path", previewWith((t) => t.replace("name: acme.preview", "name: ../../acme.preview")), /instance\.name: expected .*found "\.\.\/\.\.\/acme\.preview"/),
    // The file itself.
    row("plan: an empty config file", previewFile(""), /Pulumi\.acme\.preview\.yaml: config: expected a config: section holding zipnet-infra:instance, found an empty file/),
    row("plan: a config file without the instance", previewFile("config: {}\n"), /zipnet-infra:instance: expected the instance config object .*found nothing/),
    row("plan: a config file that is not YAML", previewFile("config: [\n"), /Pulumi\.acme\.preview\.yaml: expected valid YAML, found "/),
    row("plan: a config file that is a YAML list", previewFile("- a\n- b\n"), /Pulumi\.acme\.preview\.yaml: expected a YAML mapping with a config: section .*found a YAML list/),
    row("plan: config: is a list", previewFile("config:\n  - a\n"), /Pulumi\.acme\.preview\.yaml: config: expected a config: section .*found a YAML list/),
    row("plan: a binary config file", previewFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1])), /Pulumi\.acme\.preview\.yaml: expected a stack config file in UTF-8, found binary content/),
    row("plan: duplicate YAML keys", previewWith((t) => `${t}  zipnet-infra:instance:\n    name: x\n`), /expected valid YAML, found "Map keys must be unique/),
    row("plan: a config file that does not exist", (d) => ["plan", "--config-file", path.join(d, "Pulumi.acme.none.yaml")], /Pulumi\.acme\.none\.yaml: expected a stack config file, found no such file/),
    row("plan: a stack that does not exist", () => ["plan", "--stack", "acme.nothing"], /stacks\/Pulumi\.acme\.nothing\.yaml: expected a stack config file, found no such file/),
    row("plan: a directory as config file", (d) => ["plan", "--config-file", d], /: expected a stack config file, found a directory/),
    row("plan: a config file named unlike its instance", (d) => (copyFileSync(PREVIEW, path.join(d, "config.yaml")), ["plan", "--config-file", path.join(d, "config.yaml")]), /instance\.name: expected the stack's name "config" .*found "acme\.preview"/),
    // Options.
    row("plan: both --stack and --config-file", () => ["plan", "--stack", "acme.preview", "--config-file", PREVIEW], /plan needs exactly one of --stack NAME or --config-file PATH/),
    row("plan: neither --stack nor --config-file", () => ["plan"], /plan needs exactly one of --stack NAME or --config-file PATH/),
    row("plan: the signed PeerId registry is a directory", (d) => {
      for (const f of ["Pulumi.acme.mainnet.yaml", "acme.mainnet.registry.json.sig", "acme.mainnet.publication.json", "acme.mainnet.publication.json.sig"]) copyFileSync(path.join(ROOT, "stacks", f), path.join(d, f));
      mkdirSync(path.join(d, "acme.mainnet.registry.json"));
      return ["plan", "--config-file", path.join(d, "Pulumi.acme.mainnet.yaml"), "--no-audit"];
    }, /acme\.mainnet\.registry\.json: expected the signed PeerId registry, found a directory/),
    row("plan: a federated stack's manifest is a directory", (d) => {
      copyFileSync(path.join(ROOT, "stacks", "Pulumi.acme.federated_beta.yaml"), path.join(d, "Pulumi.acme.federated_beta.yaml"));
      mkdirSync(path.join(d, "acme.federated.manifest.json"));
      return ["plan", "--config-file", path.join(d, "Pulumi.acme.federated_beta.yaml"), "--no-audit"];
    }, /federation: expected the instance manifest .*acme\.federated\.manifest\.json \(docs\/federation\.md\), found a directory/),
    row("plan: --report with --no-audit", (d) => ["plan", "--stack", "acme.preview", "--no-audit", "--report", path.join(d, "r")], /--audit-json and --report need the audit: drop --no-audit/),
    row("plan: --publication-key without --report", (d) => ["plan", "--stack", "acme.preview", "--publication-key", path.join(d, "k")], /--publication-key signs the publication --report writes: add --report DIR/),
    row("plan: an unknown option", () => ["plan", "--stack", "acme.preview", "--frobnicate"], /unknown option '--frobnicate'/),
    row("an unknown command", () => ["deploy"], /unknown command 'deploy'/),
    row("plan: --stack without its value", () => ["plan", "--stack"], /option '--stack <name>' argument missing/),
    row("plan: --audit-json is a directory", (d) => ["plan", "--stack", "acme.preview", "--audit-json", d], /cannot write --audit-json .*: expected a file path, found a directory/),
    row("plan: --audit-json is the config file", (d) => ["plan", "--config-file", configWith(d, (t) => t), "--audit-json", path.join(d, "Pulumi.acme.preview.yaml")], /--audit-json .*: expected a path other than the command's inputs, found the --config-file file itself/),
    row("plan: --json is the publication key", (d) => ["plan", "--stack", "acme.preview", "--report", path.join(d, "r"), "--publication-key", write(d, "k.pem", key.privateKey.export({ type: "pkcs8", format: "pem" }) as string), "--json", path.join(d, "k.pem")], /--json .*k\.pem: expected a path other than the command's inputs, found the --publication-key file itself/),
    row("plan: --report is the config file", (d) => ["plan", "--config-file", configWith(d, (t) => t), "--report", path.join(d, "Pulumi.acme.preview.yaml")], /--report .*Pulumi\.acme\.preview\.yaml: expected a directory, found the --config-file file itself/),
    row("plan: a public key as --publication-key", (d) => ["plan", "--stack", "acme.preview", "--report", path.join(d, "r"), "--publication-key", write(d, "k.pub", key.publicKey.export({ type: "spki", format: "pem" }) as string)], /--publication-key .*k\.pub: expected an Ed25519 private key .*found/),
    row("plan: an RSA --publication-key", (d) => ["plan", "--stack", "acme.preview", "--report", path.join(d, "r"), "--publication-key", write(d, "rsa.pem", rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string)], /--publication-key .*rsa\.pem: expected an Ed25519 private key/),
    row("plan: a 31-byte seed as --publication-key", (d) => ["plan", "--stack", "acme.preview", "--report", path.join(d, "r"), "--publication-key", write(d, "seed", Buffer.alloc(31, 1).toString("base64"))], /--publication-key .*seed: expected an Ed25519 private key .*31 bytes/),
    row("plan: an empty --publication-key", (d) => ["plan", "--stack", "acme.preview", "--report", path.join(d, "r"), "--publication-key", write(d, "empty", "")], /--publication-key .*empty: expected an Ed25519 private key .*empty/),
    row("plan: --json - is not standard output", (d) => ["plan", "--stack", "acme.preview", "--no-audit", "--json", "-"], /--json: expected a file path, found "-" \(standard output is not an output file here/),
    row("plan: --json /dev/stdout (a symlink) is refused, never replaced", () => ["plan", "--stack", "acme.preview", "--no-audit", "--json", "/dev/stdout"], /cannot write --json \/dev\/stdout: expected a regular file or a new path, found a (symlink|special file)/),
    row("plan: --json a symlink to another file is refused, neither replaced nor written through", (d) => {
      write(d, "target.json", "{}");
      execFileSync("ln", ["-s", "target.json", path.join(d, "link.json")]);
      return ["plan", "--stack", "acme.preview", "--no-audit", "--json", path.join(d, "link.json")];
    }, /cannot write --json .*link\.json: expected a regular file or a new path, found a symlink \(to target\.json\)/),
    row("plan: --report DIR whose instance folder is a file, refused before the plan runs", (d) => {
      mkdirSync(path.join(d, "r"));
      write(path.join(d, "r"), "acme.preview", "x");
      return ["plan", "--stack", "acme.preview", "--json", path.join(d, "plan.json"), "--report", path.join(d, "r")];
    }, /cannot write --report .*acme\.preview: expected a directory or a new path, found a file/),
    row("plan: a symlinked file inside the --report folder is refused", (d) => {
      mkdirSync(path.join(d, "r", "acme.preview"), { recursive: true });
      write(d, "elsewhere.md", "keep me");
      execFileSync("ln", ["-s", path.join(d, "elsewhere.md"), path.join(d, "r", "acme.preview", "posture-report.md")]);
      return ["plan", "--stack", "acme.preview", "--report", path.join(d, "r")];
    }, /cannot write --report .*posture-report\.md: expected a regular file or a new path, found a symlink/),
    row("audit: --report DIR whose instance folder is a file, refused before the audit runs", (d) => {
      mkdirSync(path.join(d, "r"));
      write(path.join(d, "r"), "acme.preview", "x");
      return ["audit", "--state", state, "--report", path.join(d, "r")];
    }, /cannot write --report .*acme\.preview: expected a directory or a new path, found a file/),
    row("verify-publication: a v1 publication is an input error, not a forgery", (d) => {
      const k = generateKeyPairSync("ed25519");
      const text = `${JSON.stringify({ schema: "zipnet-publication/v1", instance: "acme.preview" })}\n`;
      return ["verify-publication", write(d, "p.json", text), write(d, "p.json.sig", cryptoSign(null, Buffer.from(text), k.privateKey).toString("base64")), write(d, "k.pub", k.publicKey.export({ type: "spki", format: "pem" }) as string)];
    }, /a zipnet-publication\/v1 publication: this version reads zipnet-publication\/v2/),
    row("plan: --stack given a path", () => ["plan", "--stack", "../stacks/Pulumi.acme.preview"], /--stack: expected a stack name like acme\.mainnet, or acme\.federated_beta for one operator of a federated instance \(a path goes to --config-file\), found "\.\.\/stacks\/Pulumi\.acme\.preview"/),
    row("plan: a --policy-pack that is not a pack, said before the plan runs", (d) => ["plan", "--stack", "acme.preview", "--policy-pack", d], /--policy-pack .*: expected a policy pack folder \(with PulumiPolicy\.yaml and package\.json\), found a folder without PulumiPolicy\.yaml or package\.json/),
    row("audit: a --policy-pack that does not exist", (d) => ["audit", "--state", state, "--policy-pack", path.join(d, "nope")], /--policy-pack .*nope: expected a policy pack folder, found no such folder/),
    row("audit: one state file given twice", () => ["audit", "--state", state, "--state", state], /--state .*: expected each state once, found the same file as --state/),
    row("plan: a list where a list is not expected says what it expected once", previewWith((t) => t.replace("    acknowledgedRisks:\n      - devtest.host-trusted\n", '    acknowledgedRisks: "devtest.host-trusted"\n')), /instance\.acknowledgedRisks: expected an array, found "devtest\.host-trusted"/),
    row("plan: an alias to an undefined anchor is named, not read as null", previewWith((t) => t.replace(/    images:\n(      .*\n)+/, "    images: *nope\n")), /instance\.images: expected an alias to an anchor defined before it \(&nope\), found \*nope, with no such anchor/),
    // States.
    row("audit: no --state", () => ["audit"], /audit needs at least one --state FILE/),
    row("audit: a state that does not exist", (d) => ["audit", "--state", path.join(d, "none.json")], /none\.json: expected a state file .*found no such file/),
    row("audit: an empty state file", audit("empty.json", ""), /empty\.json: expected a state file .*found an empty file/),
    row("audit: a state that is not JSON", audit("text.json", "not json\n"), /text\.json: expected JSON, found text that is not/),
    row("audit: a JSON array as state", audit("array.json", "[]"), /array\.json: expected a JSON object .*found an array/),
    row("audit: a JSON string as state", audit("string.json", '"x"'), /string\.json: expected a JSON object .*found string/),
    row("audit: a state without deployment", audit("nodeploy.json", '{"version":3}'), /nodeploy\.json: expected .*with deployment\.resources, found an object with keys version and no deployment\.resources/),
    row("audit: an empty JSON object as state", audit("obj.json", "{}"), /obj\.json: expected .*with deployment\.resources, found an empty object/),
    row("audit: a state of an unknown version", audit("v9.json", '{"version":9,"deployment":{"manifest":{},"resources":[]}}'), /v9\.json: version: expected a version 3 or 4 deployment, found version 9/),
    row("audit: a state holding no zipnet instance", audit("bare.json", '{"version":3,"deployment":{"manifest":{},"resources":[]}}'), /bare\.json: expected a state holding a zipnet instance .*found 0 resource\(s\)/),
    row("audit: a directory as state", (d) => ["audit", "--state", d], /: expected a state file .*found a directory/),
    row("audit: inputs nested 5,000 deep are refused, not a stack overflow", (d) => {
      // Built as text: JSON.stringify itself cannot nest this deep.
      const doc = JSON.parse(readFileSync(state, "utf8"));
      doc.deployment.resources.find((r: any) => r.type === "gcp:compute/instance:Instance").inputs.deep = "DEEP";
      const text = JSON.stringify(doc).replace('"DEEP"', `${'{"a":'.repeat(5000)}{}${"}".repeat(5000)}`);
      return ["audit", "--state", write(d, "deep.json", text), "--json", path.join(d, "audit.json")];
    }, /deep\.json: deployment\.resources\[\d+\]\.inputs\.deep\.a\.a\.\.\.: expected values nested at most 100 deep, found deeper/),
    row("plan: config nested 5,000 deep is refused, not a stack overflow", previewWith((t) => t.replace("    name: acme.preview\n", `    name: acme.preview\n    universe: ${"[".repeat(5000)}x${"]".repeat(5000)}\n`)), /Pulumi\.acme\.preview\.yaml: expected valid YAML, found "Maximum call stack size exceeded/),
    row("audit: UTF-16 state", (d) => ["audit", "--state", write(d, "utf16.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("{}", "utf16le")]))], /utf16\.json: expected a state file .*in UTF-8, found UTF-16 text/),
    row("audit: --report is a file", (d) => ["audit", "--state", state, "--report", write(d, "report", "x")], /cannot write --report .*report: expected a directory or a new path, found a file/),
    row("audit: --json under a file", (d) => ["audit", "--state", state, "--json", path.join(write(d, "f", "x"), "audit.json")], /cannot write --json .*: expected .*f to be a directory, found a file/),
    row("audit --report: two states of one instance need two folders", (d) => {
      copyFileSync(state, path.join(d, "a.json"));
      copyFileSync(state, path.join(d, "b.json"));
      return ["audit", "--state", path.join(d, "a.json"), "--state", path.join(d, "b.json"), "--report", path.join(d, "reports")];
    }, /--report .*reports: .*a\.json and .*b\.json both hold instance acme\.preview|both hold instance acme\.preview/),
    // verify-publication.
    row("verify-publication: a publication that does not exist", (d) => ["verify-publication", path.join(d, "p.json"), path.join(d, "p.sig"), path.join(d, "k.pub")], /p\.json: expected a publication file, found no such file/),
    row("verify-publication: an empty publication", (d) => ["verify-publication", write(d, "p.json", ""), write(d, "p.sig", "x"), write(d, "k.pub", "x")], /p\.json: expected a publication file, found an empty file/),
    row("verify-publication: a signature file that does not exist", (d) => ["verify-publication", write(d, "p.json", "{}"), path.join(d, "none.sig"), write(d, "k.pub", "x")], /none\.sig: expected a signature file, found no such file/),
    row("verify-publication: a signature that is not base64 of 64 bytes", (d) => publication(d, key.publicKey.export({ type: "spki", format: "pem" }) as string, "AAAA\n"), /publication\.json\.sig: .*signature/),
    row("verify-publication: a private key where the public key goes", (d) => publication(d, key.privateKey.export({ type: "pkcs8", format: "pem" }) as string), /key\.pub: unreadable public key: .*PRIVATE key/),
    row("verify-publication: an RSA public key", (d) => publication(d, rsa.publicKey.export({ type: "spki", format: "pem" }) as string), /key\.pub: unreadable public key/),
    row("verify-publication: an empty public key", (d) => publication(d, ""), /key\.pub: unreadable public key: public key: empty/),
    row("verify-publication: a publication signed by another key is not verified (exit 1)", (d) => publication(d, key.publicKey.export({ type: "spki", format: "pem" }) as string), /^$/, 1),
    row("verify-publication: missing arguments", () => ["verify-publication", "p.json"], /missing required argument/),
  ];
}

describe("the CLI refuses bad input and unsafe outputs: exit 2, a clear message, nothing written, inputs unchanged", () => {
  it("has at least 100 rows", () => expect(rows.length).toBeGreaterThanOrEqual(100));

  let n = 0;
  it.concurrent.each(rows)("$name", async (row) => {
    const dir = path.join(tmp, `case-${++n}`);
    mkdirSync(dir);
    const before = new Map<string, string>();
    const args = row.setup(dir);
    for (const f of row.unchanged?.(dir) ?? []) before.set(f, readFileSync(f, "utf8"));
    const existing = filesUnder(dir);
    const r = await infraAsync(args, dir);
    expect(r.code, r.err + r.out).toBe(row.code);
    for (const m of [row.message].flat()) expect(r.err).toMatch(m);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.err).not.toMatch(/internal error/);
    expect(filesUnder(dir)).toEqual(existing); // nothing written
    expect(filesUnder(tmp).filter((f) => f.includes("escaped"))).toEqual([]);
    expect(existsSync(path.join(tmp, "escaped-by-name"))).toBe(false);
    for (const [f, text] of before) expect(readFileSync(f, "utf8")).toBe(text);
  }, 120_000);

  it("writes outputs only at the end, atomically: no temporary file is left beside them", () => {
    const dir = path.join(tmp, "good");
    mkdirSync(dir);
    const r = infra(["plan", "--stack", "acme.preview", "--no-audit", "--json", path.join(dir, "plan.json")], dir);
    expect(r.code).toBe(0);
    expect(filesUnder(dir)).toEqual(["good/plan.json"]);
    expect(JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")).deployment.resources.length).toBeGreaterThan(10);
  }, 120_000);

  it("a pipe gets the whole output (well over a pipe's 64 KiB), verdict included", () => {
    // Twelve copies of one devtest instance (twelve files: one file twice is refused): every pair
    // shares a name, fault domains and a mount (advisory).
    const copies = Array.from({ length: 12 }, (_, i) => {
      const f = path.join(tmp, `copy-${i}.json`);
      copyFileSync(state, f);
      return f;
    });
    const states = copies.map((f) => `--state "${f}"`).join(" ");
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" audit ${states} | (sleep 2; cat)`], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
    const direct = spawnSync(process.execPath, [BIN, "audit", ...copies.flatMap((f) => ["--state", f])], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
    expect(direct.status).toBe(0); // devtest instances: the shared facts are advisory
    expect(r.stdout.length).toBeGreaterThan(65_536);
    expect(r.stdout).toBe(direct.stdout);
    expect(r.stdout).toMatch(/advisory/);
    expect(r.stdout).toMatch(/\npassed: no mandatory violations, no deploy-check findings\n$/);
  }, 120_000);
});

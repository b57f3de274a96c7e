/**
 * The CLI's contract for bad input and outputs, spawned as an operator runs it (`node
 * bin/infra.js`): exit code, message, files written, inputs unchanged. Each row is one case;
 * the hard cases of issue 13 are among them.
 */
import { spawnSync } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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
  message: RegExp;
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
];

describe("the CLI refuses bad input and unsafe outputs: exit 2, a clear message, nothing written, inputs unchanged", () => {
  let n = 0;
  it.each(rows)("$name", (row) => {
    const dir = path.join(tmp, `case-${++n}`);
    mkdirSync(dir);
    const before = new Map<string, string>();
    const args = row.setup(dir);
    for (const f of row.unchanged?.(dir) ?? []) before.set(f, readFileSync(f, "utf8"));
    const existing = filesUnder(dir);
    const r = infra(args, dir);
    expect(r.code, r.err + r.out).toBe(row.code);
    expect(r.err).toMatch(row.message);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
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
    // Twelve copies of one devtest instance: every pair shares a name, fault domains and a mount (advisory).
    const states = Array.from({ length: 12 }, () => `--state "${state}"`).join(" ");
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" audit ${states} | (sleep 2; cat)`], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
    const direct = spawnSync(process.execPath, [BIN, "audit", ...Array.from({ length: 12 }, () => ["--state", state]).flat()], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
    expect(direct.status).toBe(0); // devtest instances: the shared facts are advisory
    expect(r.stdout.length).toBeGreaterThan(65_536);
    expect(r.stdout).toBe(direct.stdout);
    expect(r.stdout).toMatch(/advisory/);
    expect(r.stdout).toMatch(/\npassed: no mandatory violations, no deploy-check findings\n$/);
  }, 120_000);
});

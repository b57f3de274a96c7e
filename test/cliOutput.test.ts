/**
 * The CLI's output for people: `plan` prints a short summary (the resource table and every
 * checklist item only under --verbose), the counts agree with each other, progress goes to
 * stderr, and colour appears only on a terminal without NO_COLOR.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKLIST } from "../policies/contract/checklist";
import { Progress } from "../src/cli/progress";
import { formatAudit } from "../src/offline/audit/render";
import { COLOUR, PLAIN, styleFor } from "../src/offline/audit/style";
import type { AuditResult } from "../src/offline/audit/types";

const BIN = path.join(__dirname, "..", "bin", "infra.js");
const ESC = "\u001b[";

function infra(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("plan's output", () => {
  it("is a short summary: nodes, firewall, Vault roles, counts that agree, deploy checks once, the verdict last; progress on stderr", () => {
    const r = infra(["plan", "--stack", "acme.mainnet"], { ZIPNET_PROGRESS_AFTER_MS: "0" });
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(45);
    for (const part of ["nodes:", "firewall (the same on every node):", "  in  udp 41641", "vault: ", "c1       attested login (intel-trust-authority TDX token) as zipnet.acme.mainnet.c1_", "agg      role zipnet.acme.mainnet.agg (aws)"]) expect(r.out).toContain(part);
    const planned = r.out.match(/resources: (\d+) cloud resources and providers .*\+ (\d+) components = (\d+) in the state/);
    expect(planned).not.toBeNull();
    expect(Number(planned![1]) + Number(planned![2])).toBe(Number(planned![3]));
    expect(r.out).toContain(`judged ${planned![3]} resources of 1 instance (acme.mainnet)`);
    expect(r.out.match(/^deploy checks: /gm)).toHaveLength(1);
    expect(r.out).toMatch(/^checklist: 26 pass, 5 attested, 1 not-applicable, 4 acknowledged \(--verbose lists every item\)$/m);
    expect(r.out).not.toContain("gcp:compute/firewall:Firewall"); // the type table is --verbose
    expect(lines[lines.length - 1]).toBe("passed: no mandatory violations, no deploy-check findings");
    // Not a terminal: no colour. Progress went to stderr, never into the result.
    expect(r.out).not.toContain(ESC);
    expect(r.err).toMatch(/^\.\.\. acme\.mainnet: the pack judged \d+ of \d+ resources$/m);
    expect(r.out).not.toContain("... ");
  }, 120_000);

  it("--verbose adds the resources by type, every checklist item with its one-line summary, and full URNs", () => {
    const r = infra(["plan", "--stack", "acme.preview", "--verbose"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ +\d+ gcp:compute\/firewall:Firewall$/m);
    for (const item of CHECKLIST) expect(r.out).toMatch(new RegExp(`^  ${item.id.replace(/\./g, "\\.")} +\\S+ +\\S`, "m"));
    expect(r.out).toMatch(/^  identity\.universe +missing +no attestation in the posture record \(attestations\)$/m);
    expect(r.out).toMatch(/advisory +identity\.universe:devtest +urn:pulumi:acme\.preview::zipnet-infra::zipnet:index:ZipnetInstance::acme\.preview$/m);
    // stderr holds progress lines at most (a slow machine shows them), nothing else.
    expect(r.err.split("\n").filter((l) => l && !l.startsWith("... "))).toEqual([]);
  }, 120_000);
});

describe("colour and progress", () => {
  it("colour only on a terminal, never with a non-empty NO_COLOR (no-color.org)", () => {
    expect(styleFor({ isTTY: true }, {})).toBe(COLOUR);
    expect(styleFor({ isTTY: true }, { NO_COLOR: "1" })).toBe(PLAIN);
    expect(styleFor({ isTTY: true }, { NO_COLOR: "" })).toBe(COLOUR);
    expect(styleFor({ isTTY: false }, {})).toBe(PLAIN);
    expect(styleFor({}, {})).toBe(PLAIN);
  });

  it("a coloured audit differs from the plain one only by escape codes", () => {
    const result: AuditResult = {
      instances: ["acme.mainnet"],
      resources: 3,
      violations: [{ policy: "committee.tdx", checklist: "committee.tdx", level: "mandatory", urn: "urn:pulumi:s::p::gcp:compute/instance:Instance::c1-vm", message: "c1-vm: expected TDX, found none" }],
      checklist: CHECKLIST.map((c) => ({ id: c.id, status: c.id === "committee.tdx" ? "fail" : "pass", summary: "s", evidence: [] })),
      notes: [],
      deployChecks: { rules: 1, findings: [] },
    };
    const plain = formatAudit(result, { style: PLAIN });
    const coloured = formatAudit(result, { style: COLOUR });
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}31mFAILED: 1 mandatory violation(s)${ESC}39m`);
    expect(coloured.replace(/\u001b\[\d+m/g, "")).toBe(plain);
  });

  it("progress is quiet for a short job, then at most one line per interval", () => {
    let now = 0;
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l), { afterMs: 1000, everyMs: 1000 }, () => now);
    p.say("a");
    now = 999;
    p.say("b");
    expect(lines).toEqual([]);
    now = 1000;
    p.say("c");
    now = 1500;
    p.say("d");
    now = 2000;
    p.say("e");
    expect(lines).toEqual(["... c\n", "... e\n"]);
  });
});

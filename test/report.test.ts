/**
 * The deploy record from `plan --report` and `audit --report`: the posture report lists all 36
 * checklist items in order with their statuses, and the HTML, printed to PDF by headless
 * Chromium, holds every id and status. Missing ops records are mandatory violations by id.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main";
import { CHECKLIST, CHECKLIST_SECTIONS } from "../policies/contract/checklist";
import { MAX_LISTED_FINDINGS, renderHtml } from "../src/report/report";

// The labels a reader sees, written out here: a mislabel in the renderer fails the test.
const STATUS_LABEL: Record<string, string> = { pass: "PASS", fail: "FAIL", missing: "MISSING", unjudged: "NOT JUDGED", attested: "ATTESTED", acknowledged: "ACKNOWLEDGED", "not-applicable": "N/A" };
import { generateKeyPair } from "../src/deployRecord/ed25519";
import { PROJECT_ROOT } from "../src/config/stackFile";
import { renderHtmlToText } from "./support/chromium";
import { toolSuite } from "./support/tools";
import { rawExample } from "./support/plans";


async function quietly(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s: any) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: any) => (err.push(String(s)), true));
  try {
    return { code: await main(argv), out: out.join(""), err: err.join("") };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

/** The report's item rows (Markdown): number, id, status label, evidence. */
function mdRows(md: string) {
  return [...md.matchAll(/^\| (\d+) \| `([^`]+)` [^|]*\| ([A-Z/ ]+) \| (.*) \|  \|  \|$/gm)].map((m) => ({ n: Number(m[1]), id: m[2], label: m[3], evidence: m[4] }));
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("plan --report for acme.mainnet", () => {
  const out = mkdtempSync(path.join(tmpdir(), "record-"));
  const signingKeys = generateKeyPair();
  // The same layout as audit --report: one folder per instance.
  const dir = path.join(out, "acme.mainnet");
  let audit: { checklist: { id: string; status: string; summary: string }[]; violations: { message: string; checklist: string }[] };

  beforeAll(async () => {
    // Signed here too: the verify-publication tests read this plan's publication (one plan, not two).
    writeFileSync(path.join(out, "key.pem"), signingKeys.privatePem);
    writeFileSync(path.join(out, "key.pub"), signingKeys.publicPem);
    const run = await quietly(["plan", "--stack", "acme.mainnet", "--report", out, "--audit-json", path.join(out, "audit.json"), "--publication-key", path.join(out, "key.pem")]);
    expect(run.code, run.err).toBe(0);
    audit = JSON.parse(readFileSync(path.join(out, "audit.json"), "utf8"));
  }, 120_000);

  it("writes the report, publication and alert rules under DIR/<instance>/", () => {
    for (const f of ["posture-report.md", "posture-report.html", "publication.json", "alerts.rules.yml"]) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, "publication.json"), "utf8")).instance).toBe("acme.mainnet");
  });

  it("is a document to sign: the checklist's sections, one row per item with the audit's status and summary, each fact once, a sign-off block", () => {
    const md = readFileSync(path.join(dir, "posture-report.md"), "utf8");
    const rows = mdRows(md);
    expect(rows.map((r) => r.id)).toEqual(CHECKLIST.map((c) => c.id));
    expect(rows.map((r) => r.n)).toEqual(CHECKLIST.map((_, i) => i + 1));
    for (const r of rows) {
      const entry = audit.checklist.find((c) => c.id === r.id)!;
      expect(r.label, r.id).toBe(STATUS_LABEL[entry.status]);
      expect(r.evidence.startsWith(entry.summary), r.id).toBe(true);
    }
    const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([...CHECKLIST_SECTIONS.map((s) => s.title), "Measurements: what the hardware binds", "Findings", "Sign-off"]);
    // Per committee server, what the hardware binds and what it does not (docs/measurements.md).
    expect(md).toContain("| c1 | gcp-tdx c3-standard-4 | server-v1.4.0-c3-standard-4 | Google's firmware (mrtd); machine type and firmware config (rtmr0); boot loader and kernel (rtmr1); command line and initrd (rtmr2) | no image register left unenforced |");
    // The attestation once (in its row); no findings for mainnet.
    expect(occurrences(md, "Break-glass committee-secret rotation runbook, per instance.")).toBe(1);
    expect(audit.violations).toEqual([]);
    expect(md).toContain("## Findings\n\nNone.\n");
    expect(md).toMatch(/## Sign-off\n\n.+\n\n\| role \| name \| signature \| date \|\n\|---\|---\|---\|---\|\n\| Operator \|  \|  \|  \|\n\| Security reviewer \|  \|  \|  \|/);
  });

  const printing = toolSuite("printed to PDF", "chromium", "pdftotext");
  describe.skipIf(printing.skip)(printing.title, () => {
    it("prints on at most 4 A4 pages, every id and status, the instance name and page number on every page", () => {
      const { pages, text } = renderHtmlToText(path.join(dir, "posture-report.html"));
      expect(pages.length).toBeGreaterThanOrEqual(1);
      expect(pages.length).toBeLessThanOrEqual(4);
      pages.forEach((page, i) => {
        expect(page, `page ${i + 1}`).toContain("Security posture: acme.mainnet");
        expect(page, `page ${i + 1}`).toContain(`page ${i + 1} of ${pages.length}`);
      });
      const flat = text.replace(/\s+/g, " ");
      for (const item of CHECKLIST) {
        const status = STATUS_LABEL[audit.checklist.find((c) => c.id === item.id)!.status];
        const n = CHECKLIST.indexOf(item) + 1;
        expect(flat, item.id).toMatch(new RegExp(`${n} ${item.id.replace(/\./g, "\\.")} .*?${status}`));
      }
      expect(flat).toContain("Sign-off");
    }, 90_000);

    it("stays within 4 pages with every item failing and more findings than it lists", () => {
      const message = "c1-vm: networkInterfaces[0].accessConfigs: expected no public address on a committee server, found an ephemeral external IP (and more words to make it as long as real messages get)";
      const violations = Array.from({ length: 80 }, (_, i) => ({ policy: `${CHECKLIST[i % 36].id}:x`, checklist: CHECKLIST[i % 36].id, level: "mandatory", urn: `urn:pulumi:s::p::gcp:compute/instance:Instance::vm-${i}`, message }));
      const html = renderHtml({
        instance: "acme.mainnet",
        posture: "production",
        source: "a test",
        generatedAt: new Date(0),
        judgedBy: "the pack",
        verdict: "FAILED: 80 mandatory violation(s)",
        checklist: CHECKLIST.map((c) => ({ id: c.id, status: "fail" as const, summary: "3 mandatory findings, and a summary as long as the longest one gets in practice" })),
        violations,
        // Seven committee servers, each with two sets and long descriptions.
        measurements: Array.from({ length: 7 }, (_, i) => ({
          node: `c${i + 1}`,
          platform: "gcp-tdx" as const,
          machineType: "c3-standard-176",
          sets: [`server-v1.4.${i}-c3-standard-176`, `server-v1.5.${i}-c3-standard-176`],
          binds: ["Google's firmware (mrtd)", "machine type and firmware config (rtmr0)", "boot loader and kernel (rtmr1)", "command line and initrd (rtmr2)"],
          unbound: [],
        })),
      });
      const file = path.join(out, "worst.html");
      writeFileSync(file, html);
      const { pages } = renderHtmlToText(file);
      expect(pages.length).toBeLessThanOrEqual(4);
      expect(pages.join("")).toContain(`and ${80 - MAX_LISTED_FINDINGS} more`);
      pages.forEach((page, i) => expect(page, `page ${i + 1}`).toContain("Security posture: acme.mainnet"));
    }, 90_000);
  });

  it("verify-publication verifies the signed publication plan --report wrote, and rejects a tampered copy", async () => {
    const pub = path.join(dir, "publication.json");
    const keyDir = out;
    const original = readFileSync(pub, "utf8");
    const ok = await quietly(["verify-publication", pub, `${pub}.sig`, path.join(keyDir, "key.pub")]);
    expect([ok.code, ok.out]).toEqual([0, expect.stringContaining("ok: ")]);
    const tampered = path.join(keyDir, "tampered.json");
    writeFileSync(tampered, original.replace('"value":"6ac0c166', '"value":"7ac0c166'));
    expect(readFileSync(tampered, "utf8")).not.toBe(original);
    const bad = await quietly(["verify-publication", tampered, `${pub}.sig`, path.join(keyDir, "key.pub")]);
    expect([bad.code, bad.out]).toEqual([1, expect.stringContaining("NOT VERIFIED")]);
    expect((await quietly(["verify-publication", path.join(keyDir, "missing.json"), `${pub}.sig`, path.join(keyDir, "key.pub")])).code).toBe(2);
  }, 60_000);
});

describe("missing ops records in a production stack", () => {
  async function planWith(mutate: (raw: any) => void, beside = ["acme.mainnet.registry.json", "acme.mainnet.registry.json.sig", "acme.mainnet.publication.json", "acme.mainnet.publication.json.sig"]) {
    const dir = mkdtempSync(path.join(tmpdir(), "ops-"));
    const raw = rawExample("acme.mainnet");
    mutate(raw);
    const file = path.join(dir, "Pulumi.acme.mainnet.yaml");
    writeFileSync(file, stringify({ config: { "zipnet-infra:instance": raw } }));
    // The signed registry and the signed publication travel beside the stack file.
    for (const f of beside) writeFileSync(path.join(dir, f), readFileSync(path.join(PROJECT_ROOT, "stacks", f)));
    const json = path.join(dir, "audit.json");
    const run = await quietly(["plan", "--config-file", file, "--audit-json", json]);
    return { code: run.code, audit: JSON.parse(readFileSync(json, "utf8")) };
  }

  it("a production stack without its committed publication fails identity.mrtd-published, as a finding of the audit", async () => {
    const { code, audit } = await planWith(() => undefined, ["acme.mainnet.registry.json", "acme.mainnet.registry.json.sig"]);
    expect(code).toBe(1);
    expect(audit.violations.filter((v: any) => v.level === "mandatory")).toEqual([
      expect.objectContaining({ policy: "identity.mrtd-published:publication", checklist: "identity.mrtd-published", message: expect.stringMatching(/found: no committed publication$/) }),
    ]);
    expect(audit.checklist.find((c: any) => c.id === "identity.mrtd-published")).toMatchObject({ status: "fail", summary: "1 mandatory finding" });
  }, 60_000);

  it("a missing break-glass record is a mandatory ops.break-glass violation", async () => {
    const { code, audit } = await planWith((raw) => delete raw.attestations["ops.break-glass"]);
    expect(code).toBe(1);
    expect(audit.violations.filter((v: any) => v.level === "mandatory").map((v: any) => v.checklist)).toEqual(["ops.break-glass"]);
    // an attested item without its statement is "missing" (and, in production, a mandatory violation)
    expect(audit.checklist.find((c: any) => c.id === "ops.break-glass").status).toBe("missing");
  }, 60_000);

  it("a stale ticket-revocation record is a mandatory ops.ticket-revocation violation", async () => {
    const { code, audit } = await planWith((raw) => (raw.attestations["ops.ticket-revocation"].date = "2019-01-01"));
    expect(code).toBe(1);
    expect(audit.violations.filter((v: any) => v.level === "mandatory").map((v: any) => v.checklist)).toEqual(["ops.ticket-revocation"]);
  }, 60_000);
});

describe("audit --report", () => {
  it("writes one posture report per instance", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "audit-report-"));
    const states = [];
    for (const stack of ["acme.mainnet", "acme.preview"]) {
      const json = path.join(dir, `${stack}.json`);
      expect((await quietly(["plan", "--stack", stack, "--json", json, "--no-audit"])).code).toBe(0);
      states.push("--state", json);
    }
    const run = await quietly(["audit", ...states, "--report", path.join(dir, "reports")]);
    expect(run.code, run.err).toBe(0);
    for (const instance of ["acme.mainnet", "acme.preview"]) {
      const md = readFileSync(path.join(dir, "reports", instance, "posture-report.md"), "utf8");
      expect(md).toContain(`# Security posture: ${instance}`);
      expect(mdRows(md)).toHaveLength(36);
    }
    const preview = mdRows(readFileSync(path.join(dir, "reports", "acme.preview", "posture-report.md"), "utf8"));
    const label = (id: string) => preview.find((r) => r.id === id)?.label;
    expect(label("devtest.host-trusted")).toBe("ACKNOWLEDGED");
    // What nothing confirmed is marked, never PASS: the devtest example attests and acknowledges none of these.
    for (const id of ["identity.universe", "ops.break-glass", "ops.ticket-revocation", "risk.iroh-metadata", "risk.cross-instance-correlation", "risk.message-length", "risk.participant-disclosure"]) {
      expect(label(id), id).toBe("MISSING");
    }
    for (const id of ["audit.peer-registry", "audit.broadcast-archive"]) expect(label(id), id).toBe("N/A");
    // Each finding once, numbered, and its item's row refers to it.
    const md = readFileSync(path.join(dir, "reports", "acme.preview", "posture-report.md"), "utf8");
    // "on <resource>" only when the message does not already start with the resource's name.
    const findings = [...md.matchAll(/^- \*\*(F\d+)\*\* \S+ `([^`]+)`(?: on .+?\))?: (.*)$/gm)].map((m) => ({ ref: m[1], policy: m[2], message: m[3] }));
    expect(md).not.toMatch(/on acme\.preview \(zipnet:index:ZipnetInstance\): acme\.preview: /);
    expect(findings.length).toBeGreaterThan(5);
    for (const f of findings) {
      expect(occurrences(md, f.message), f.ref).toBe(1);
      const row = preview.find((r) => r.id === f.policy.split(":")[0])!;
      expect(row.evidence, f.ref).toMatch(new RegExp(`[(, ]${f.ref}[,)]`));
    }
  }, 120_000);
});

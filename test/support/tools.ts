/**
 * Debian tools some tests use (headless Chromium, poppler's pdftotext, Prometheus' promtool, openssl),
 * found on PATH. A machine with only Node skips those tests and says so; `.ci/run` installs the
 * tools and sets ZIPNET_REQUIRE_TOOLS=1, so there a missing tool fails instead of skipping.
 */
import { accessSync, constants } from "node:fs";
import * as path from "node:path";

/** Where each tool comes from (Debian package). */
const PACKAGE: Record<string, string> = { chromium: "chromium", pdftotext: "poppler-utils", promtool: "prometheus", openssl: "openssl", base64: "coreutils" };

/** The tool's path on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export interface Tools {
  /** Every tool found: run the tests. */
  available: boolean;
  /** When not: what is missing and how to get it (printed in the skipped tests' names). */
  reason: string;
  /** CI requires them: a missing tool must fail, not skip. */
  required: boolean;
}

/** Whether the tests needing `names` can run here; logs once what they skip and why. */
export function tools(...names: string[]): Tools {
  const missing = names.filter((n) => !findTool(n));
  const required = process.env.ZIPNET_REQUIRE_TOOLS === "1";
  const reason = missing.length
    ? `skipped: ${missing.join(", ")} not on PATH (Debian: apt-get install ${[...new Set(missing.map((m) => PACKAGE[m] ?? m))].join(" ")}; .ci/run installs them)`
    : "";
  if (missing.length && !required) process.stderr.write(`[zipnet tests] ${reason}\n`);
  return { available: missing.length === 0, reason, required };
}

/** `describe` title and whether to run: skipped with the reason in its name, unless CI requires the tools. */
export function toolSuite(title: string, ...names: string[]): { title: string; skip: boolean } {
  const t = tools(...names);
  if (t.available || t.required) return { title, skip: false };
  return { title: `${title} [${t.reason}]`, skip: true };
}

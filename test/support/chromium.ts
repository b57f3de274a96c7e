/** Headless Chromium (Debian's `chromium`) and poppler's pdftotext, for rendering reports. */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { findTool } from "./tools";

export const CHROMIUM = findTool("chromium") ?? findTool("chromium-browser");
export const PDFTOTEXT = findTool("pdftotext");

/** Prints an HTML file to PDF the way a person's "print to PDF" would, and returns the PDF's text, whole and per page. */
export function renderHtmlToText(htmlFile: string): { pdf: string; text: string; pages: string[] } {
  if (!CHROMIUM || !PDFTOTEXT) throw new Error("chromium and pdftotext are required (.ci/run installs chromium and poppler-utils)");
  const dir = mkdtempSync(path.join(tmpdir(), "report-"));
  const pdf = path.join(dir, "report.pdf");
  execFileSync(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${path.join(dir, "profile")}`,
      "--no-pdf-header-footer",
      `--print-to-pdf=${pdf}`,
      `file://${path.resolve(htmlFile)}`,
    ],
    { stdio: "pipe", timeout: 60_000 },
  );
  const text = execFileSync(PDFTOTEXT, ["-layout", pdf, "-"], { encoding: "utf8" });
  // pdftotext ends every page with a form feed.
  const pages = text.split("\f").slice(0, -1);
  return { pdf, text, pages };
}

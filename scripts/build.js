#!/usr/bin/env node
/**
 * Compiles the program and CLI (tsconfig.build.json -> dist/) and the policy pack
 * (policies/tsconfig.json -> policies/dist/) to JavaScript: what `pulumi up`, `pulumi preview
 * --policy-pack policies`, `npm run infra` and the tests run. `npm ci` runs it (prepare).
 *
 *   node scripts/build.js             always build
 *   node scripts/build.js --if-stale  build only when a source is newer than the last build
 *
 * Staleness is make's rule: the newest source or build-config mtime against the stamp written
 * after the last successful build. Plain JavaScript, no dependencies: it runs before anything is built.
 */
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const STAMP = path.join(ROOT, "dist", ".build-stamp");
const PROJECTS = ["tsconfig.build.json", path.join("policies", "tsconfig.json")];
const SOURCE_DIRS = ["src", "policies"];
const SKIP = new Set(["node_modules", "dist"]);
const CONFIG_FILES = ["tsconfig.json", "tsconfig.build.json", "package.json", path.join("policies", "tsconfig.json"), path.join("policies", "package.json")];

function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(e.name)) continue;
      const p = path.join(dir, e.name);
      // A directory's mtime moves when a file in it is deleted or renamed: that is a change too.
      if (e.isDirectory()) (newest = Math.max(newest, fs.statSync(p).mtimeMs)), visit(p);
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) (newest = Math.max(newest, fs.statSync(path.join(ROOT, d)).mtimeMs)), visit(path.join(ROOT, d));
  for (const f of CONFIG_FILES) newest = Math.max(newest, fs.statSync(path.join(ROOT, f)).mtimeMs);
  return newest;
}

function isStale() {
  try {
    return fs.statSync(STAMP).mtimeMs < newestSource() || !fs.existsSync(path.join(ROOT, "policies", "dist", "index.js"));
  } catch {
    return true;
  }
}

/** Output whose source is gone (deleted or renamed) would still be loadable: remove it. */
function pruneOrphans() {
  const outputs = [
    [path.join(ROOT, "dist"), ROOT],
    [path.join(ROOT, "policies", "dist"), path.join(ROOT, "policies")],
  ];
  for (const [outDir, srcRoot] of outputs) {
    const visit = (dir) => {
      if (!fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) visit(p);
        else if (/\.js(\.map)?$/.test(e.name)) {
          const source = path.join(srcRoot, path.relative(outDir, p)).replace(/\.js(\.map)?$/, ".ts");
          if (!fs.existsSync(source)) fs.rmSync(p);
        }
      }
    };
    visit(outDir);
  }
}

/** Builds both projects; throws with tsc's output when compilation fails. */
function build() {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
  for (const project of PROJECTS) {
    const r = spawnSync(process.execPath, [tsc, "-p", project], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`build failed (tsc -p ${project}):\n${r.stdout}${r.stderr}`);
  }
  pruneOrphans();
  fs.mkdirSync(path.dirname(STAMP), { recursive: true });
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Builds when a source changed since the last build; returns whether it built. */
function ensureBuilt() {
  if (!isStale()) return false;
  build();
  return true;
}

module.exports = { ensureBuilt, build, isStale, ROOT };

if (require.main === module) {
  try {
    if (process.argv.includes("--if-stale")) ensureBuilt();
    else build();
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}

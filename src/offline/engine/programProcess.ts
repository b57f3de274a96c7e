/**
 * Runs the project's program the way `pulumi-language-nodejs` does: a child `node` process on
 * `@pulumi/pulumi/cmd/run` with the language host's flags, the program folder (Pulumi.yaml
 * `main`, else `.` and package.json `main`), and the stack's config in `PULUMI_CONFIG` /
 * `PULUMI_CONFIG_SECRET_KEYS`. Its `--monitor` and `--engine` are the offline engine's gRPC
 * server (server.ts), so every registration meets the engine model's rules.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { EngineModel } from "./model";
import { startEngineServer } from "./server";

export interface ProgramRunOptions {
  /** The project folder (Pulumi.yaml). */
  root: string;
  stack: string;
  /** `PULUMI_CONFIG`'s map (`<ns>:config:<key>` -> string). */
  config: Record<string, string>;
  secretKeys?: string[];
  /** `--dry-run` (a preview): the default. */
  preview?: boolean;
  /** Extra environment for the program. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface ProgramRun {
  model: EngineModel;
  /** The program process's exit code (null when killed). */
  exitCode: number | null;
  /** What it printed (stdout and stderr, interleaved as received). */
  output: string;
  durationMs: number;
}

interface ProjectFile {
  name: string;
  main?: string;
  typescript: boolean;
}

/** Pulumi.yaml: the project name and the nodejs runtime options the language host reads. */
export function readProjectFile(root: string): ProjectFile {
  const doc = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<string, any>;
  const runtime = typeof doc.runtime === "object" && doc.runtime ? doc.runtime : { name: doc.runtime };
  const options = (runtime.options ?? {}) as Record<string, unknown>;
  return {
    name: String(doc.name),
    ...(typeof doc.main === "string" ? { main: doc.main } : {}),
    // The language host's default is TypeScript on (ts-node) unless `typescript: false`.
    typescript: options.typescript !== false,
  };
}

/** The argv the language host gives `cmd/run` (sdk/nodejs/cmd/pulumi-language-nodejs). */
export function languageHostArgs(runPath: string, address: string, project: ProjectFile, opts: ProgramRunOptions): string[] {
  return [
    runPath,
    "--monitor",
    address,
    "--engine",
    address,
    "--project",
    project.name,
    "--stack",
    opts.stack,
    "--pwd",
    opts.root,
    ...(opts.preview === false ? [] : ["--dry-run"]),
    project.main ?? ".",
  ];
}

export async function runProgramProcess(opts: ProgramRunOptions): Promise<ProgramRun> {
  const project = readProjectFile(opts.root);
  const model = new EngineModel({ project: project.name, stack: opts.stack, preview: opts.preview ?? true });
  const server = await startEngineServer(model);
  const started = Date.now();
  try {
    const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [opts.root] });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...opts.env,
      PULUMI_CONFIG: JSON.stringify(opts.config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(opts.secretKeys ?? []),
      ...(project.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
    };
    const child = spawn(process.execPath, languageHostArgs(runPath, server.address, project, opts), { cwd: opts.root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    return { model, exitCode, output, durationMs: Date.now() - started };
  } finally {
    await server.close();
  }
}

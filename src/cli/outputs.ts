/**
 * Output safety, one rule for every command: an output path is checked before any work (not
 * empty, not an input, not another output, not a directory, a special file or under a file);
 * names from inputs are validated before they name anything on disk; files are written only
 * after every check has passed, each atomically (a temporary file beside it, then a rename).
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import * as path from "node:path";
import { isValidInstanceName } from "../../policies/contract/patterns";

/** An output the CLI cannot or must not write: exit 2, nothing written. */
export class OutputError extends Error {}

/** The file system's view of a path: what is there, following symlinks (a loop is named). */
function kindOf(p: string): "missing" | "file" | "directory" | "special" | "loop" {
  try {
    const s = statSync(p);
    return s.isFile() ? "file" : s.isDirectory() ? "directory" : "special";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP") return "loop";
    if (code === "ENOENT") {
      // A dangling symlink is something there: writing would follow it somewhere else.
      try {
        lstatSync(p);
        return "special";
      } catch {
        return "missing";
      }
    }
    if (code === "ENOTDIR") return "missing"; // reported by the parent check
    throw err;
  }
}

/** The same file or place, whether or not it exists yet: symlinks (of the file or its folder) resolved. */
export function identity(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/**
 * Checks one output file path; `option` names it in messages (`--json`). `inputs` are the files
 * the command reads: an output may never be one of them.
 */
export function checkOutputFile(option: string, file: string | undefined, inputs: ReadonlyArray<{ option: string; file: string }>): void {
  if (file === undefined) return;
  if (file.trim() === "") throw new OutputError(`${option}: expected a file path, found ""`);
  if (file === "-") throw new OutputError(`${option}: expected a file path, found "-" (standard output is not an output file here: the result is printed anyway)`);
  const target = identity(file);
  for (const input of inputs) {
    if (identity(input.file) === target) throw new OutputError(`${option} ${file}: expected a path other than the command's inputs, found the ${input.option} file itself (it would be overwritten)`);
  }
  // A symlink is never replaced nor written through: the rename would replace the link itself.
  const link = symlinkTarget(file);
  if (link !== undefined) throw new OutputError(`cannot write ${option} ${file}: expected a regular file or a new path, found a symlink (to ${link}): name the target itself`);
  const kind = kindOf(target);
  if (kind === "directory") throw new OutputError(`cannot write ${option} ${file}: expected a file path, found a directory`);
  if (kind === "special" || kind === "loop") throw new OutputError(`cannot write ${option} ${file}: expected a regular file or a new path, found ${kind === "loop" ? "a symlink loop" : "a special file (FIFO, device, socket or dangling link)"}`);
  checkParents(option, file, path.dirname(target));
}

/** Where a symlink points, or undefined when the path is not one. */
function symlinkTarget(file: string): string | undefined {
  try {
    const abs = path.resolve(file);
    return lstatSync(abs).isSymbolicLink() ? readlinkSync(abs) : undefined;
  } catch {
    return undefined;
  }
}

/** A report folder and the files the command will write in it: each checked as an output, before any work. */
export function checkReportFolder(option: string, dir: string, files: readonly string[], inputs: ReadonlyArray<{ option: string; file: string }>): void {
  checkOutputDir(option, dir, inputs);
  for (const f of files) checkOutputFile(option, path.join(dir, f), inputs);
}

/** Checks an output directory path: it may exist as a directory, or be creatable. */
export function checkOutputDir(option: string, dir: string | undefined, inputs: ReadonlyArray<{ option: string; file: string }>): void {
  if (dir === undefined) return;
  if (dir.trim() === "") throw new OutputError(`${option}: expected a directory path, found ""`);
  const target = identity(dir);
  for (const input of inputs) {
    if (identity(input.file) === target) throw new OutputError(`${option} ${dir}: expected a directory, found the ${input.option} file itself`);
  }
  const kind = kindOf(target);
  if (kind === "file" || kind === "special" || kind === "loop") throw new OutputError(`cannot write ${option} ${dir}: expected a directory or a new path, found ${kind === "file" ? "a file" : kind === "loop" ? "a symlink loop" : "a special file"}`);
  if (kind === "missing") checkParents(option, dir, path.dirname(target));
}

/** Every existing ancestor must be a directory (else the write fails half way). */
function checkParents(option: string, original: string, dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    const kind = kindOf(d);
    if (kind === "directory") return;
    if (kind !== "missing") throw new OutputError(`cannot write ${option} ${original}: expected ${d} to be a directory, found ${kind === "file" ? "a file" : "a special file"}`);
    if (path.dirname(d) === d) return;
  }
}

/** Several output paths must differ: one would overwrite the other. */
export function checkDistinct(outputs: ReadonlyArray<{ option: string; file: string | undefined }>): void {
  const seen = new Map<string, string>();
  for (const o of outputs) {
    if (o.file === undefined || o.file.trim() === "") continue;
    const id = identity(o.file);
    const other = seen.get(id);
    if (other) throw new OutputError(`${o.option} ${o.file}: expected a path other than ${other}'s, found the same file`);
    seen.set(id, o.option);
  }
}

/** A name from an input (an instance name) used as a folder: only a valid instance name may. */
export function folderName(what: string, name: string): string {
  if (!isValidInstanceName(name)) throw new OutputError(`${what}: expected an instance name (like acme.mainnet) to name its report folder, found ${JSON.stringify(name)}`);
  return name;
}

/** Files to write once every check has passed. */
export class PendingWrites {
  private readonly files: Array<{ file: string; content: string }> = [];

  add(file: string, content: string): string {
    this.files.push({ file, content });
    return file;
  }

  get paths(): string[] {
    return this.files.map((f) => f.file);
  }

  /** Writes each file atomically; a failure is an OutputError naming the file. */
  commit(): string[] {
    for (const { file, content } of this.files) writeAtomically(file, content);
    return this.paths;
  }
}

export function writeAtomically(file: string, content: string): void {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    const fd = openSync(temp, "wx", 0o644);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // The temporary file could not even be made (its folder is not one): nothing to remove.
    }
    throw new OutputError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

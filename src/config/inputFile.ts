/**
 * Reading an input file (a stack config, a state, a key, a signature): only a regular file, as
 * UTF-8 text, with what went wrong said plainly (no such file, a symlink loop, a directory, a
 * FIFO that would block forever, UTF-16 or binary content).
 */
import { readFileSync, statSync } from "node:fs";

/** Why an input file cannot be read: `expected` and `found`, for the caller's message format. */
export class InputFileError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${file}: expected ${expected}, found ${found}`);
  }
}

/** Reads `file`'s bytes: a regular file only; `what` names it in the message ("an endorsement"). */
export function readInputBytes(file: string, what: string): Buffer {
  let kind: string | undefined;
  try {
    const st = statSync(file);
    if (st.isDirectory()) kind = "a directory";
    else if (!st.isFile()) kind = "a special file (FIFO, device or socket)";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(file, what, code === "ENOENT" ? "no such file" : code === "ELOOP" ? "a symlink loop" : code === "EACCES" ? "a file this user may not read" : (code ?? (err as Error).message));
  }
  if (kind) throw new InputFileError(file, what, kind);
  try {
    return readFileSync(file);
  } catch (err) {
    throw new InputFileError(file, what, `an unreadable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Reads `file` as UTF-8 text; `what` names it in the message ("a stack config file"). */
export function readInputText(file: string, what: string): string {
  const bytes = readInputBytes(file, what);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) throw new InputFileError(file, `${what} in UTF-8`, "UTF-16 text (a byte order mark): save it as UTF-8");
  if (bytes.includes(0)) throw new InputFileError(file, `${what} in UTF-8`, "binary content (NUL bytes)");
  const text = bytes.toString("utf8");
  if (text.includes("\uFFFD")) throw new InputFileError(file, `${what} in UTF-8`, "bytes that are not UTF-8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

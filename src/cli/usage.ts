/** What every CLI command shares: its exit codes, the user error (exit 2), reading an input file. */
import { InputFileError, readInputText } from "../config/inputFile";

export const EXIT_OK = 0;
export const EXIT_VIOLATIONS = 1;
export const EXIT_USAGE = 2;

/** A user error: printed as one message, exit 2. */
export class UsageError extends Error {}

/** An input file's text; an unreadable file is a UsageError naming it. */
export function readText(file: string, what: string): string {
  try {
    return readInputText(file, what);
  } catch (err) {
    if (err instanceof InputFileError) throw new UsageError(err.message);
    throw err;
  }
}

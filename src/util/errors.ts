/**
 * Error kinds the CLI maps to exit codes: a UsageError (bad flags, unknown names) exits 2, an
 * InputError (a file that cannot be used) exits 1. Both carry one clear line for the user and the
 * file it concerns, if any (`--json` reports it as `error.file`).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** The file the error is about, when there is one (e.g. an output that is also an input). */
    readonly file: string | null = null,
  ) {
    super(message);
  }
}

export class InputError extends Error {
  override readonly name = 'InputError';

  constructor(
    message: string,
    /** The file that cannot be used. Every input error's text starts with it (`file: reason`,
     * `file:line: reason`, `file:row N: reason`), so by default it is read from there. */
    readonly file: string | null = leadingFile(message),
  ) {
    super(message);
  }
}

/** Thrown under --strict at the first rejected input line. */
export class StrictInputError extends InputError {}

/** `a/b.csv` of `a/b.csv:12: reason`, `a/b.csv:row 3: reason` or `a/b.csv: reason`; else null. */
function leadingFile(message: string): string | null {
  const m = /^(.+?)(?::(?:row )?\d+)?: /.exec(message);
  return m ? m[1] : null;
}

/** The library's answer to `replay('t.csv')`: a string where a list of paths belongs would be
 * read as a list of one-letter paths. */
export function notAnArray(fn: string, given: string): UsageError {
  return new UsageError(`${fn}(paths): expected an array of trace paths, got the string '${given}' (write ${fn}(['${given}']))`);
}

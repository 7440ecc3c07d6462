/**
 * Error kinds the CLI maps to exit codes: a UsageError (bad flags, unknown names) exits 2, an
 * InputError (a file that cannot be used) exits 1. Both carry one clear line for the user.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Thrown under --strict at the first rejected input line. */
export class StrictInputError extends InputError {}

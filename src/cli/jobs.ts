import { availableParallelism } from 'node:os';
import { UsageError } from '../util/errors.js';

/** Cores on this machine, for --jobs help texts. */
export const CORES = availableParallelism();

/**
 * `--jobs N`: a whole number of worker threads, 1 or more. Checked here rather than by oclif's
 * integer flag so that a bad value is one line (exit 2) like every other usage error.
 */
export function parseJobs(text: string | undefined): number {
  if (text === undefined) return 1;
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || !Number.isSafeInteger(Number(t))) {
    throw new UsageError(`--jobs '${text}': expected a whole number of worker threads, 1 or more (this machine has ${CORES} cores)`);
  }
  return Number(t);
}

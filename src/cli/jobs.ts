import { availableParallelism } from 'node:os';
import { UsageError } from '../util/errors.js';

/** Cores on this machine, for --jobs help texts. */
export const CORES = availableParallelism();

/**
 * `--jobs N`: a whole number of worker threads, 1 or more. Checked here rather than by oclif's
 * integer flag so that a bad value is one line (exit 2) like every other usage error. More than
 * one thread per core only adds memory (each worker loads the modules and has its own heap: 1,000
 * of them took 3.9 GB), so N is capped at the cores; the output is the same for any N, so the cap
 * changes nothing else. The pool also never starts more threads than it has tasks.
 */
export function parseJobs(text: string | undefined): number {
  if (text === undefined) return 1;
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || !Number.isSafeInteger(Number(t))) {
    throw new UsageError(`--jobs '${text}': expected a whole number of worker threads, 1 or more (this machine has ${CORES} cores)`);
  }
  return Math.min(Number(t), CORES);
}

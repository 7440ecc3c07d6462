/**
 * The whole replay, end to end, for one or more traces:
 *
 *   traces/*.csv
 *      | 1. trace/      bytes -> csv-parse records -> checked rows, streamed in EventBatches
 *      v                (file:line problems go to Diagnostics; the reading goes on)
 *   EventBatch (typed arrays, reused)
 *      | 2. replay/     BufferTracker pairs map/unmap once; then for each strategy its own
 *      v                tight loop drives model/ (VMM, IOMMU, devices) and charges cost/
 *   Float64Array counters per strategy
 *      | 3. metrics/    finalize: totals by category, per DMA/unit, rates, time averages
 *      v
 *   RunResult[]  -> text tables, results.json / results.csv
 *
 * A trace that cannot be read at all (missing, a directory, no header) is reported and the
 * other traces are still replayed; under --strict the first problem of any kind stops the run.
 */
import { Diagnostics } from './trace/diagnostics.js';
import { replayTrace } from './replay/replay.js';
import { resolveProfileByName, type ResolvedProfile } from './cost/profile.js';
import { parseStrategyList } from './strategies/index.js';
import type { StrategyDefinition } from './types/strategy.js';
import type { ReplayReport, RunResult } from './types/result.js';
import { InputError, StrictInputError } from './util/errors.js';

export interface ReplayOptions {
  /** `all` or a list of strategy ids (default all). */
  strategies?: string | readonly string[];
  /** Bundled profile id or path to a JSON profile (default xen-2008). */
  profile?: string;
  /** `key=value` overrides. */
  set?: readonly string[];
  strict?: boolean;
  diagnostics?: Diagnostics;
  /** Called when a trace starts, and with progress through it. */
  onTraceStart?: (path: string, index: number, count: number) => void;
  onProgress?: (bytesRead: number) => void;
}

export interface ReplayRun extends ReplayReport {
  /** Traces that could not be read, as one-line errors. */
  failures: string[];
  diagnostics: Diagnostics;
  profile: ResolvedProfile;
  strategies: StrategyDefinition[];
  /** Results grouped by trace, in input order. */
  byTrace: { trace: string; results: RunResult[] }[];
}

/**
 * Replays every trace through the selected strategies.
 * @example const run = await replay(['traces/rx-recycle.csv'], { strategies: 'native,persistent' });
 */
export async function replay(paths: readonly string[], options: ReplayOptions = {}): Promise<ReplayRun> {
  const strategies = parseStrategyList(options.strategies ?? 'all');
  const profile = resolveProfileByName(options.profile, options.set ?? []);
  const diagnostics = options.diagnostics ?? new Diagnostics(options.strict ?? false);
  const results: RunResult[] = [];
  const byTrace: ReplayRun['byTrace'] = [];
  const warnings: string[] = [];
  const failures: string[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i];
    options.onTraceStart?.(path, i, paths.length);
    try {
      const run = await replayTrace(path, { strategies, profile, diagnostics, read: { onProgress: options.onProgress } });
      results.push(...run.results);
      byTrace.push({ trace: path, results: run.results });
      warnings.push(...run.warnings);
    } catch (e) {
      if (e instanceof StrictInputError || !(e instanceof InputError)) throw e;
      failures.push(e.message);
    }
  }
  warnings.unshift(...diagnostics.warnings);
  return { results, warnings, failures, diagnostics, profile, strategies, byTrace };
}

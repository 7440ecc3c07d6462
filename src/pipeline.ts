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
 *
 * With `jobs` N > 1, N traces are replayed at a time, on this thread and N-1 worker threads
 * (runs/worker-pool.ts), largest file first. Each worker collects its trace's problems in its own Diagnostics; the main thread
 * takes the traces' outcomes in input order as soon as every earlier trace is done, and replays
 * their problems into the caller's Diagnostics, so results, warnings, the problems printed and
 * the summary are the same as with one thread. Under --strict the first problem in input order
 * stops the run: traces after it are not started, traces before it finish.
 */
import { Diagnostics } from './trace/diagnostics.js';
import { replayTrace } from './replay/replay.js';
import { resolveProfileByName, type ResolvedProfile } from './cost/profile.js';
import { parseStrategyList } from './strategies/index.js';
import type { StrategyDefinition } from './types/strategy.js';
import type { ReplayReport, RunResult } from './types/result.js';
import { InputError, StrictInputError, notAnArray } from './util/errors.js';
import { largestFirst, runPool } from './runs/worker-pool.js';
import type { Problem } from './trace/diagnostics.js';

export interface ReplayOptions {
  /** `all` or a list of strategy ids (default all). */
  strategies?: string | readonly string[];
  /** Bundled profile id or path to a JSON profile (default xen-2008). */
  profile?: string;
  /** `key=value` overrides. */
  set?: readonly string[];
  strict?: boolean;
  diagnostics?: Diagnostics;
  /** Traces replayed at a time, on this thread and jobs-1 worker threads (default 1). */
  jobs?: number;
  /** Called when a trace starts, and with progress through it (with jobs > 1: bytes read of
   * all traces together). */
  onTraceStart?: (path: string, index: number, count: number) => void;
  onProgress?: (bytesRead: number) => void;
  /** Called as traces finish, in input order. */
  onTraceDone?: (done: number, count: number) => void;
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
 * @example const run = await replay(['traces/scenario-rx-recycle.csv'], { strategies: 'native,persistent' });
 */
export async function replay(paths: readonly string[], options: ReplayOptions = {}): Promise<ReplayRun> {
  if (typeof paths === 'string') throw notAnArray('replay', paths);
  const strategies = parseStrategyList(options.strategies ?? 'all');
  const profile = resolveProfileByName(options.profile, options.set ?? []);
  const diagnostics = options.diagnostics ?? new Diagnostics(options.strict ?? false);
  if ((options.jobs ?? 1) > 1 && paths.length > 1) return replayOnWorkers(paths, options, strategies, profile, diagnostics);
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
    options.onTraceDone?.(i + 1, paths.length);
  }
  warnings.unshift(...diagnostics.warnings);
  return { results, warnings, failures, diagnostics, profile, strategies, byTrace };
}

/** One trace of a `replay --jobs N` run, as posted to a worker. */
export interface ReplayTask {
  path: string;
  strategies: string | readonly string[];
  profile?: string;
  set: readonly string[];
  strict: boolean;
  /** Problems to keep (the caller's Diagnostics keeps as many over all traces). */
  keep: number;
}

/** What a worker found in its trace's input: enough to replay it into another Diagnostics. */
export interface DiagnosticsRecord {
  problems: Problem[];
  counts: [kind: string, count: number][];
  total: number;
  warnings: string[];
}

/** A trace's results, or why it could not be read (`error`) or stopped --strict (`strict`). */
export interface ReplayOutcome {
  results?: RunResult[];
  warnings?: string[];
  error?: string;
  strict?: string;
  diagnostics: DiagnosticsRecord;
}

/** Replays one trace with its own Diagnostics: what each worker of `replay --jobs N` does. */
export async function runReplayTask(t: ReplayTask, onProgress?: (bytesRead: number) => void): Promise<ReplayOutcome> {
  const diagnostics = new Diagnostics(t.strict, t.keep);
  const record = (): DiagnosticsRecord => ({ problems: diagnostics.problems, counts: [...diagnostics.countsByKind], total: diagnostics.total, warnings: diagnostics.warnings });
  try {
    const profile = resolveProfileByName(t.profile, t.set);
    const run = await replayTrace(t.path, { strategies: parseStrategyList(t.strategies), profile, diagnostics, read: { onProgress } });
    return { results: run.results, warnings: run.warnings, diagnostics: record() };
  } catch (e) {
    if (e instanceof StrictInputError) return { strict: e.message, diagnostics: record() };
    if (e instanceof InputError) return { error: e.message, diagnostics: record() };
    throw e;
  }
}

/** Adds a worker's problems to `into` as if they had been reported there, in order. */
function mergeDiagnostics(into: Diagnostics, from: DiagnosticsRecord): void {
  const kept = new Map<string, number>();
  for (const p of from.problems) {
    into.report(p.file, p.line, p.kind, p.message, p.unit);
    kept.set(p.kind, (kept.get(p.kind) ?? 0) + 1);
  }
  // Problems past the worker's `keep` were only counted there: count them here too.
  for (const [kind, count] of from.counts) {
    const more = count - (kept.get(kind) ?? 0);
    if (more <= 0) continue;
    into.countsByKind.set(kind, (into.countsByKind.get(kind) ?? 0) + more);
    into.total += more;
  }
  for (const w of from.warnings) into.warn(w);
}

async function replayOnWorkers(
  paths: readonly string[],
  options: ReplayOptions,
  strategies: StrategyDefinition[],
  profile: ResolvedProfile,
  diagnostics: Diagnostics,
): Promise<ReplayRun> {
  const results: RunResult[] = [];
  const byTrace: ReplayRun['byTrace'] = [];
  const warnings: string[] = [];
  const failures: string[] = [];
  const tasks: ReplayTask[] = paths.map((path) => ({
    path,
    strategies: options.strategies ?? 'all',
    profile: options.profile,
    set: options.set ?? [],
    strict: diagnostics.strict,
    keep: diagnostics.keep,
  }));
  const outcomes: (ReplayOutcome | undefined)[] = new Array(paths.length);
  let committed = 0;
  let stopped = false;
  // Takes finished traces in input order, as the sequential loop would have.
  const commit = () => {
    while (!stopped && committed < paths.length && outcomes[committed]) {
      const o = outcomes[committed]!;
      if (o.strict !== undefined) {
        stopped = true;
        return;
      }
      mergeDiagnostics(diagnostics, o.diagnostics);
      if (o.error !== undefined) failures.push(o.error);
      else {
        results.push(...o.results!);
        byTrace.push({ trace: paths[committed], results: o.results! });
        warnings.push(...o.warnings!);
      }
      committed++;
      options.onTraceDone?.(committed, paths.length);
    }
  };
  const bytes = new Array<number>(paths.length).fill(0);
  let bytesTotal = 0;
  await runPool(tasks, {
    kind: 'replay',
    jobs: options.jobs ?? 1,
    local: runReplayTask,
    order: largestFirst(paths),
    stopAfter: (o) => o.strict !== undefined,
    onStart: (i) => options.onTraceStart?.(paths[i], i, paths.length),
    onProgress: (i, b) => {
      bytesTotal += b - bytes[i];
      bytes[i] = b;
      options.onProgress?.(bytesTotal);
    },
    onResult: (i, o) => {
      outcomes[i] = o;
      commit();
    },
  });
  if (stopped) throw new StrictInputError(outcomes[committed]!.strict!);
  warnings.unshift(...diagnostics.warnings);
  return { results, warnings, failures, diagnostics, profile, strategies, byTrace };
}

/**
 * dmareplay's public library API: what notebooks, scripts and other tools import.
 *
 * @example
 * import { replay } from 'dmareplay';
 * const run = await replay(['traces/rx-recycle.csv'], { strategies: 'single-use,persistent' });
 * console.log(run.results.map((r) => [r.strategy, r.cycles.per_dma]));
 */
export { replay, type ReplayOptions, type ReplayRun } from './pipeline.js';
export { replayTrace, type ReplayTraceOptions, type TraceReplay } from './replay/replay.js';
export { inspectTrace, type TraceSummary } from './analysis/inspect.js';
export { STRATEGIES, STRATEGY_IDS, getStrategy, parseStrategyList } from './strategies/index.js';
export { loadProfile, listProfileIds, resolveProfile, resolveProfileByName, parseOverrides, DEFAULT_PROFILE, type CostProfile, type ResolvedProfile } from './cost/profile.js';
export { PARAMS, type ParamSpec } from './cost/schema.js';
export { CanonicalCsvReader } from './trace/csv-reader.js';
export { toCanonicalCsv, CanonicalCsvWriter, type CanonicalEvent } from './trace/csv-writer.js';
export { CANONICAL_COLUMNS, CANONICAL_HEADER } from './trace/canonical.js';
export { Diagnostics, formatProblem, type Problem } from './trace/diagnostics.js';
export { formatTraceTable, flattenResult } from './analysis/results-table.js';
export { toResultsCsv, toResultsJson } from './analysis/results-io.js';
export { COUNTER_SPECS, CATEGORIES } from './metrics/counters.js';
export type { RunResult, ReplayReport } from './types/result.js';
export type { StrategyDefinition, StrategyRun, Protection } from './types/strategy.js';
export { UsageError, InputError, StrictInputError } from './util/errors.js';

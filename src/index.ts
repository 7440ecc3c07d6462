/**
 * dmareplay's public library API: what notebooks, scripts and other tools import.
 *
 * @example
 * import { replay } from 'dmareplay';
 * const run = await replay(['traces/scenario-rx-recycle.csv'], { strategies: 'single-use,persistent' });
 * console.log(run.results.map((r) => [r.strategy, r.cycles.per_dma]));
 */
export { replay, type ReplayOptions, type ReplayRun } from './pipeline.js';
export { replayTrace, type ReplayTraceOptions, type TraceReplay } from './replay/replay.js';
export { bundledTraces } from './replay/golden.js';
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
export { sweep, parseGrid, gridPoints, type SweepRow, type SweepOptions, type GridAxis } from './runs/sweep.js';
export { diffResults, regressions, DIFF_METRICS, type DiffReport, type DiffRow } from './analysis/diff.js';
export { resultsTable, categoryTable, overheadTable, costPivot, formatTable, type TableFormat } from './analysis/tables.js';
export { runAttacks, type AttackReport, type MatrixCell } from './protection/attack.js';
export { SCENARIOS } from './protection/scenarios.js';
export { synthesize, writeSynth, WORKLOADS, WORKLOAD_IDS, type SynthOptions } from './synth/index.js';
export { makeFigures, type FiguresOptions } from './figures/make-figures.js';
export { toSvg, svgToPng, writeFigure } from './figures/render.js';
export * as figureSpecs from './figures/paper.js';
export { protectionHeatmapSpec, protectionVsCostSpec } from './figures/protection.js';
export { ingestToCsv, detectFormat, parseDeviceMap, type IngestOptions, type IngestSummary } from './ingest/ingest.js';

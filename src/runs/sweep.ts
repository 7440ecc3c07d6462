/**
 * Parameter sweeps: every point of a grid over profile keys x every trace, all selected
 * strategies at every point. A trace is read, parsed and paired once for several grid points
 * (reading is about half the cost of a replay with two strategies), and the points' strategy
 * runs all consume the same batches. Passes run in order, or N at a time (`jobs` N > 1: this
 * thread and N-1 worker threads); either way the rows come out in the same order with the same
 * values.
 *
 *   grid  (--grid k=a,b --grid j=x,y)  ->  points [(k=a,j=x), (k=a,j=y), (k=b,j=x), ...]
 *   tasks = traces x points             ->  numbered for --shard and merge (task column)
 *   passes = a trace x some of its points: all of them with one thread; split so that there
 *            are at least `jobs` passes with more (worker-pool.ts, largest trace first); at
 *            most MAX_RUNS_PER_PASS strategy runs in memory at once
 *   rows  = RunResult + grid values     ->  table, CSV/JSON/Arrow, one line figure per key
 */
import { largestFirst, runPool } from './worker-pool.js';
import { replayProfiles } from '../replay/replay.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { native } from '../strategies/native.js';
import { loadProfile, parseOverrides, resolveProfile, DEFAULT_PROFILE, type ResolvedProfile } from '../cost/profile.js';
import { parseStrategyList } from '../strategies/index.js';
import { paramSpec, PARAM_KEYS } from '../cost/schema.js';
import { closestName } from '../util/closest.js';
import { inShard, type Shard } from './shard.js';
import { InputError, UsageError, notAnArray } from '../util/errors.js';
import type { RunResult } from '../types/result.js';
import { makeProvenance, type Provenance } from '../analysis/provenance.js';
import type { StrategyDefinition } from '../types/strategy.js';
import { checkSynthKeys, isSynthKey, isSynthTrace, parseSynthValue, SynthTraces, synthValues, synthWorkload } from './synth-traces.js';

/** Strategy runs (points x strategies, native included) one pass holds at most: the memory of
 * about four replays with every strategy. */
const MAX_RUNS_PER_PASS = 36;

export interface GridAxis {
  key: string;
  values: number[];
}

export interface SweepRow extends RunResult {
  /** The grid point's values, by key. */
  grid: Record<string, number>;
  /** Position of the row's (trace, grid point) task in the whole run: shards merge by it. */
  task: number;
}

export interface SweepOptions {
  grid: readonly string[];
  strategies?: string;
  profile?: string;
  set?: readonly string[];
  /** Passes at a time, on this thread and jobs-1 worker threads (1 = all in this thread). */
  jobs?: number;
  /** Threads each pass spreads its (point, strategy) runs over: this one, reading the trace
   * once, and threads-1 workers (replay/strategy-threads.ts); 1 = all on the pass's thread. */
  threads?: number;
  /** Run only this shard's tasks (see shard.ts). */
  shard?: Shard | null;
  onTaskDone?: (done: number, total: number) => void;
}

export interface SweepRun {
  axes: GridAxis[];
  rows: SweepRow[];
  failures: string[];
  /** Rejected input rows, per trace in input order: the first few as `file:line: reason`. */
  problems: { trace: string; shown: string[]; total: number }[];
}

/** Parses `key=v1,v2,...` texts into axes; every value is checked like a --set. */
export function parseGrid(specs: readonly string[]): GridAxis[] {
  if (specs.length === 0) throw new UsageError('sweep needs at least one --grid key=v1,v2,... (e.g. --grid iotlb.entries=16,32,64)');
  const axes: GridAxis[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--grid '${spec}': expected key=v1,v2,..., e.g. --grid iotlb.entries=16,32,64`);
    const key = spec.slice(0, eq).trim();
    if (!isSynthKey(key) && !paramSpec(key)) throw new UsageError(`--grid: unknown key '${key}'${closestName(key, PARAM_KEYS)}; valid: ${PARAM_KEYS.join(', ')}`);
    if (axes.some((a) => a.key === key)) throw new UsageError(`--grid: '${key}' is given twice`);
    const texts = spec.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (texts.length === 0) throw new UsageError(`--grid ${key}: no values`);
    const values = isSynthKey(key) ? texts.map((v) => parseSynthValue(key, v)) : parseOverrides(texts.map((v) => `${key}=${v}`), '--grid').map(([, v]) => v);
    axes.push({ key, values });
  }
  return axes;
}

/** Every combination of axis values, the first axis varying slowest. */
export function gridPoints(axes: readonly GridAxis[]): Record<string, number>[] {
  let points: Record<string, number>[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.key]: v })));
  return points;
}

/** One pass: a trace replayed at one or more grid points (`sets` per point). */
export interface SweepTask {
  path: string;
  strategies: string;
  profile: string;
  sets: string[][];
  /** SweepOptions.threads. */
  threads?: number;
}

/** Problems printed per trace; the rest are counted. */
const SHOWN_PROBLEMS = 20;

/** Each point's results, in the task's order, and the trace's rejected rows (the first few as
 * `file:line: reason`, and their number); or why the trace could not be read. */
export type SweepOutcome = { results: RunResult[][]; problems: string[]; problemCount: number } | { error: string };

/** Runs one pass in this thread (also what each worker does). */
export async function runSweepTask(t: SweepTask, onProgress?: (bytesRead: number) => void): Promise<SweepOutcome> {
  try {
    const base = loadProfile(t.profile);
    const profiles = t.sets.map((sets) => resolveProfile(base, parseOverrides(sets)));
    const strategies = parseStrategyList(t.strategies);
    const diagnostics = new Diagnostics(false, SHOWN_PROBLEMS);
    const { results } = await replayProfiles(t.path, strategies, profiles, { diagnostics, read: { onProgress }, threads: t.threads });
    return { results, problems: diagnostics.problems.map(formatProblem), problemCount: diagnostics.total };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { error: e.message };
  }
}

function trackerParams(p: ResolvedProfile) {
  return { txRing: p.params['nic.tx_ring'], rxRing: p.params['nic.rx_ring'], diskQueue: p.params['disk.queue_depth'] };
}

/**
 * Groups a shard's tasks into passes: per trace (and buffer-tracker parameters), its points in
 * order, split into as few passes as MAX_RUNS_PER_PASS allows, and into more when there are fewer
 * such groups than jobs, so that every thread has a pass. Returns lists of task positions.
 */
function planPasses(tasks: readonly { path: string; tracker: string }[], jobs: number, runsPerPoint: number): number[][] {
  const groups = new Map<string, number[]>();
  tasks.forEach((t, k) => {
    const key = `${t.path}\0${t.tracker}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(k);
  });
  const maxPoints = Math.max(1, Math.floor(MAX_RUNS_PER_PASS / runsPerPoint));
  const perGroup = Math.ceil(jobs / groups.size);
  const passes: number[][] = [];
  for (const members of groups.values()) {
    const n = Math.min(members.length, Math.max(Math.ceil(members.length / maxPoints), perGroup));
    for (let c = 0; c < n; c++) passes.push(members.slice(Math.floor((c * members.length) / n), Math.floor(((c + 1) * members.length) / n)));
  }
  return passes;
}

/** Splits --set texts into synth.<knob> values and profile overrides. */
function splitSets(set: readonly string[]): { synth: Record<string, number>; profile: string[] } {
  const synth: Record<string, number> = {};
  const profile: string[] = [];
  for (const text of set) {
    const eq = text.indexOf('=');
    const key = eq > 0 ? text.slice(0, eq).trim() : '';
    if (isSynthKey(key)) synth[key] = parseSynthValue(key, text.slice(eq + 1));
    else profile.push(text);
  }
  return { synth, profile };
}

/**
 * How a sweep's rows are made (analysis/provenance.ts): the base profile with the fixed --set
 * overrides (synth.<knob> ones too), the strategies, the seed of generated traces (null when
 * every trace is a file, or when synth.seed is swept: the rows then carry it), every input.
 */
export async function sweepProvenance(paths: readonly string[], options: SweepOptions): Promise<Provenance> {
  const fixed = splitSets(options.set ?? []);
  const profile = resolveProfile(loadProfile(options.profile ?? DEFAULT_PROFILE), parseOverrides(fixed.profile));
  const synthSets = Object.entries(fixed.synth).map(([k, v]) => `${k}=${v}`);
  const swept = parseGrid(options.grid).some((a) => a.key === 'synth.seed');
  const seed = paths.some(isSynthTrace) && !swept ? (fixed.synth['synth.seed'] ?? 1) : null;
  const p = await makeProvenance({ command: 'sweep', profile, profileArg: options.profile, strategies: parseStrategyList(options.strategies ?? 'all').map((d) => d.id), inputs: paths, seed });
  return { ...p, overrides: [...p.overrides, ...synthSets] };
}

/** Runs (traces x grid points) one sweep may ask for: days of work already, and every task is
 * listed up front (a 10^8-point grid would fill memory before the first replay). */
export const MAX_SWEEP_RUNS = 100_000;

export async function sweep(paths: readonly string[], options: SweepOptions): Promise<SweepRun> {
  if (typeof paths === 'string') throw notAnArray('sweep', paths);
  const synthTraces = new SynthTraces();
  try {
    return await sweepWith(paths, options, synthTraces);
  } finally {
    synthTraces.dispose();
  }
}

async function sweepWith(paths: readonly string[], options: SweepOptions, synthTraces: SynthTraces): Promise<SweepRun> {
  /** The name rows and messages give a generated trace: its synth:<workload> argument. */
  const displayOf: Record<string, string> = {};
  const display = (path: string) => displayOf[path] ?? path;
  const axes = parseGrid(options.grid);
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count * paths.length > MAX_SWEEP_RUNS) {
    const n = (x: number) => x.toLocaleString('en-US');
    throw new UsageError(`--grid: ${n(count)} grid points x ${n(paths.length)} trace${paths.length === 1 ? '' : 's'} = ${n(count * paths.length)} runs; at most ${n(MAX_SWEEP_RUNS)} (split the sweep)`);
  }
  const points = gridPoints(axes);
  const strategies = options.strategies ?? 'all';
  parseStrategyList(strategies); // usage errors before any work
  const profile = options.profile ?? DEFAULT_PROFILE;
  const fixed = splitSets(options.set ?? []);
  const base = fixed.profile;
  paths.filter(isSynthTrace).forEach(synthWorkload);
  checkSynthKeys(paths, [...axes.map((a) => a.key), ...Object.keys(fixed.synth)]);
  // Check the base profile and overrides, and every grid point's combination, before running.
  const baseProfile = loadProfile(profile);
  const tasks: { id: number; path: string; synth: Record<string, number> | null; sets: string[]; tracker: string }[] = [];
  for (const path of paths) {
    for (const point of points) {
      const sets = [...base, ...Object.entries(point).filter(([k]) => !isSynthKey(k)).map(([k, v]) => `${k}=${v}`)];
      const resolved = resolveProfile(baseProfile, parseOverrides(sets));
      const synth = isSynthTrace(path) ? synthValues({ ...fixed.synth, ...point }) : null;
      tasks.push({ id: tasks.length, path, synth, sets, tracker: JSON.stringify(trackerParams(resolved)) });
    }
  }
  const mine = tasks.filter((t) => inShard(t.id, options.shard ?? null));
  // Synthetic traces are generated now, only those this shard replays; files stand for themselves.
  for (const t of mine) {
    if (!t.synth) continue;
    const file = await synthTraces.file(t.path, t.synth);
    displayOf[file] = t.path;
    t.path = file;
  }
  const jobs = Math.max(1, options.jobs ?? 1);
  const defs = parseStrategyList(strategies);
  const passes = planPasses(mine, jobs, defs.length + (defs.includes(native) ? 0 : 1));
  let done = 0;
  const outcomes = await runPool(
    passes.map((members): SweepTask => ({ path: mine[members[0]].path, strategies, profile, sets: members.map((k) => mine[k].sets), threads: options.threads })),
    {
      kind: 'sweep',
      jobs,
      local: runSweepTask,
      order: largestFirst(passes.map((members) => mine[members[0]].path)),
      onResult: (i) => options.onTaskDone?.((done += passes[i].length), mine.length),
    },
  );
  const where: [pass: number, position: number][] = [];
  passes.forEach((members, i) => members.forEach((k, j) => (where[k] = [i, j])));
  const rows: SweepRow[] = [];
  const failures: string[] = [];
  const problems: SweepRun['problems'] = [];
  mine.forEach((t, k) => {
    const [i, j] = where[k];
    const o = outcomes[i]!;
    const point = points[t.id % points.length];
    const name = display(t.path);
    if ('error' in o) {
      const error = o.error.split(t.path).join(name);
      if (!failures.includes(error)) failures.push(error);
      return;
    }
    // Every pass over a trace meets the same rows: report them once per trace.
    if (o.problemCount > 0 && !problems.some((p) => p.trace === name)) problems.push({ trace: name, shown: o.problems.map((m) => m.split(t.path).join(name)), total: o.problemCount });
    for (const r of o.results[j]) rows.push({ ...r, trace: name === t.path ? r.trace : name, grid: { ...point }, task: t.id });
  });
  return { axes, rows, failures, problems };
}

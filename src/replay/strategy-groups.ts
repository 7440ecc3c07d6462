/**
 * How `--threads N` shares the strategies among N threads: the main thread keeps the reader, the
 * buffer tracker, `native` and the strategies that cannot move (not from the registry); each
 * worker runs its own copy of the tracker (cheap beside a strategy) and a group of strategies.
 * Groups are balanced by each strategy's measured cost (longest first, each to the least loaded
 * thread): a thread's time is the sum of its strategies', so the slowest group sets the pace.
 */
import type { StrategyDefinition } from '../types/strategy.js';

/**
 * Relative cost of a strategy's `consume` per event, in ns: CPU time of `native + <strategy>`
 * less `native` alone on the bench's 2 M-event Arrow trace (npm run bench, issue #17 round 2;
 * docs/performance.md), rounded. Only the proportions matter; a strategy missing here counts as
 * an average one. `fands` is the costliest by far, and a group is never faster than it alone.
 */
const COST: Readonly<Record<string, number>> = {
  native: 50,
  'direct-map': 275,
  'single-use': 455,
  shared: 485,
  persistent: 405,
  software: 160,
  'linux-strict': 515,
  'linux-lazy': 795,
  shadow: 350,
  fands: 1460,
};
const AVERAGE = 500;
/** What the main thread does besides its strategies (native among them): reading a CSV trace, pairing. */
const MAIN_THREAD_WORK = 440;
/** What each worker does besides its strategies: its own buffer tracker, copying batches in. */
const WORKER_WORK = 200;

export const costOf = (id: string): number => COST[id] ?? AVERAGE;

/**
 * Splits `movable` strategies among `threads` threads (index 0: the main thread, which also
 * runs `fixed`). Returns one list per thread; a worker's list may be empty when there are more
 * threads than strategies worth moving (the caller starts no worker for it).
 */
export function groupStrategies<T extends { def: StrategyDefinition }>(movable: readonly T[], fixed: readonly T[], threads: number): T[][] {
  const groups: T[][] = Array.from({ length: threads }, () => []);
  const load = groups.map((_, k) => (k === 0 ? MAIN_THREAD_WORK + fixed.reduce((a, r) => a + costOf(r.def.id), 0) : WORKER_WORK));
  // Longest first; ties broken by input order, so the grouping is the same every run.
  const order = movable.map((r, i) => ({ r, i })).sort((a, b) => costOf(b.r.def.id) - costOf(a.r.def.id) || a.i - b.i);
  for (const { r } of order) {
    let best = 0;
    for (let k = 1; k < threads; k++) if (load[k] < load[best]) best = k;
    groups[best].push(r);
    load[best] += costOf(r.def.id);
  }
  return groups;
}

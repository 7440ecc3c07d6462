/**
 * The study's four findings as checks on replay results, and the tables docs/findings.md shows:
 * CPU cycles per DMA per strategy and trace, with hypercall batching on (the profile's
 * hypercall.batch) and off (hypercall.batch=1), and which finding holds on which trace.
 *
 * Every check reads CPU cycles per DMA, the study's measure (IOMMU walk time delays a DMA but
 * costs the CPU nothing).
 */
import { replay } from '../pipeline.js';
import type { RunResult } from '../types/result.js';

/** Results of one trace by strategy id. */
export type ByStrategy = Record<string, RunResult>;

/** CPU cycles per DMA of strategy `s`. */
export const cpuPerDma = (r: ByStrategy, s: string): number => r[s].cycles.cpu / r[s].dmas;

/** Strategies that map or copy per buffer (no reuse of mappings across buffers). */
export const PER_BUFFER = ['single-use', 'shared', 'linux-strict', 'linux-lazy', 'shadow'] as const;

export interface Finding {
  id: string;
  /** What the paper says, in a few words. */
  claim: string;
  /** The check, as the table header states it. */
  test: string;
  holds(r: ByStrategy): boolean;
}

export const FINDINGS: readonly Finding[] = [
  { id: '1', claim: 'direct-map costs least, near native', test: 'direct-map = native', holds: (r) => cpuPerDma(r, 'direct-map') === cpuPerDma(r, 'native') },
  { id: '2', claim: 'mapping only buffers in use costs much more', test: 'single-use > 2x native', holds: (r) => cpuPerDma(r, 'single-use') > 2 * cpuPerDma(r, 'native') },
  { id: '3a', claim: 'aggressive reuse makes mapping cheaper', test: 'persistent < single-use', holds: (r) => cpuPerDma(r, 'persistent') < cpuPerDma(r, 'single-use') },
  { id: '3b', claim: 'real buffers are reused', test: 'persistent reuses >= 50%', holds: (r) => (r.persistent.reuse_rate ?? 0) >= 0.5 },
  { id: '4a', claim: 'software is competitive', test: 'software < every per-buffer strategy', holds: (r) => PER_BUFFER.every((s) => cpuPerDma(r, 'software') < cpuPerDma(r, s)) },
  { id: '4b', claim: 'software is sometimes better', test: 'software < persistent', holds: (r) => cpuPerDma(r, 'software') < cpuPerDma(r, 'persistent') },
];

/** Replays `traces` through every strategy with `profile` and `set`, by trace then strategy. */
export async function resultsByTrace(traces: readonly string[], profile: string, set: readonly string[] = []): Promise<Record<string, ByStrategy>> {
  const run = await replay(traces, { strategies: 'all', profile, set });
  if (run.failures.length > 0) throw new Error(run.failures.join('; '));
  return Object.fromEntries(run.byTrace.map((t) => [t.trace, Object.fromEntries(t.results.map((r) => [r.strategy, r]))]));
}

const name = (path: string) => path.replace(/^.*\//, '').replace(/\.csv(\.gz)?$/, '');
const int = (x: number) => Math.round(x).toLocaleString('en-US');

/** A markdown table: strategies down, traces across, `cell` of each result. */
function table(results: Record<string, ByStrategy>, strategies: readonly string[], cell: (r: RunResult) => string): string {
  const traces = Object.keys(results);
  const lines = [`| strategy | ${traces.map(name).join(' | ')} |`, `|---|${traces.map(() => '---:').join('|')}|`];
  for (const s of strategies) lines.push(`| ${s} | ${traces.map((t) => cell(results[t][s])).join(' | ')} |`);
  return lines.join('\n');
}

const allStrategies = (results: Record<string, ByStrategy>) => Object.keys(Object.values(results)[0]);

/** CPU cycles per DMA. */
export const cpuTable = (results: Record<string, ByStrategy>): string => table(results, allStrategies(results), (r) => int(r.cycles.cpu / r.dmas));

/** All cycles per DMA (walk time included), with the mapping reuse rate. */
export const allCyclesTable = (results: Record<string, ByStrategy>): string =>
  table(results, allStrategies(results), (r) => `${int(r.cycles.total / r.dmas)}${r.reuse_rate === null ? '' : ` (${(r.reuse_rate * 100).toFixed(1)}%)`}`);

/** Hypercalls per DMA for the strategies that make them. */
export const hypercallTable = (results: Record<string, ByStrategy>): string => table(results, ['single-use', 'shared', 'persistent', 'software'], (r) => (r.hypercalls / r.dmas).toFixed(2));

/** Which finding holds on which trace, batching on and off: one row per trace and setting. */
export function verdictTable(on: Record<string, ByStrategy>, off: Record<string, ByStrategy>): string {
  const lines = [`| trace | batching | ${FINDINGS.map((f) => `${f.id}: ${f.test}`).join(' | ')} |`, `|---|---|${FINDINGS.map(() => ':---:').join('|')}|`];
  for (const t of Object.keys(on)) {
    for (const [label, results] of [['on', on], ['off', off]] as const) {
      lines.push(`| ${name(t)} | ${label} | ${FINDINGS.map((f) => (f.holds(results[t]) ? 'yes' : '**no**')).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** The generated part of docs/findings.md, between its markers. */
export async function findingsTables(synthetic: readonly string[], captures: readonly string[], profile = 'xen-2008'): Promise<string> {
  const traces = [...synthetic, ...captures];
  const on = await resultsByTrace(traces, profile);
  const off = await resultsByTrace(traces, profile, ['hypercall.batch=1']);
  const pick = (r: Record<string, ByStrategy>, ts: readonly string[]) => Object.fromEntries(ts.map((t) => [t, r[t]]));
  return [
    `CPU cycles per DMA, hypercall batching on (\`hypercall.batch=32\`, the \`${profile}\` default):`,
    '',
    cpuTable(pick(on, synthetic)),
    '',
    'The same with batching off (`--set hypercall.batch=1`: one hypercall per DMA that needs one):',
    '',
    cpuTable(pick(off, synthetic)),
    '',
    'All cycles per DMA, adding `iotlb-walk` (the IOMMU\'s page-walk time on IOTLB misses, which delays the DMA but is not CPU time), with the mapping reuse rate, batching on:',
    '',
    allCyclesTable(pick(on, synthetic)),
    '',
    'Hypercalls per DMA, batching on, then off:',
    '',
    hypercallTable(pick(on, synthetic)),
    '',
    hypercallTable(pick(off, synthetic)),
    '',
    'Real captures (Linux 6.1 and 6.12 in QEMU, strict mode; traces/README.md), CPU cycles per DMA, batching on:',
    '',
    cpuTable(pick(on, captures)),
    '',
    'Which finding holds where (CPU cycles per DMA; "no" in bold where it fails):',
    '',
    verdictTable(on, off),
  ].join('\n');
}

export const GENERATED_START = '<!-- generated: node scripts/findings-tables.mjs (do not edit by hand) -->';
export const GENERATED_END = '<!-- end of generated tables -->';

/**
 * `dmareplay figures`, as a library service:
 *
 *   inputs (traces and/or result files; none = the bundled traces)
 *     1. replay the traces through every strategy           -> results
 *     2. sweep IOTLB sizes on up to two traces              -> miss-rate rows
 *     3. inject attacks into one trace                      -> protection matrix
 *     4. one Vega-Lite spec per figure (paper.ts, protection.ts) -> .vl.json, .svg, .png
 *     5. report.html with every figure, its caption and the tables
 */
import { writeFileAtomic } from '../util/atomic-file.js';
import { makeDirs } from '../util/make-dirs.js';
import { basename, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { replay } from '../pipeline.js';
import { sweep, type SweepRow } from '../runs/sweep.js';
import { runAttacks } from '../protection/attack.js';
import { parseStrategyList } from '../strategies/index.js';
import { resolveProfileByName, DEFAULT_PROFILE } from '../cost/profile.js';
import { bundledTraces } from '../replay/golden.js';
import { writeFigure, toSvg } from './render.js';
import { DEFAULT_FORMATS, FIGURE_NAMES, type FigureFormat } from './figure-list.js';
import { costByCategorySpec, costVsExposureSpec, hypercallsInvalidationsSpec, iotlbMissVsSizeSpec, overheadSpec, reuseSpec } from './paper.js';
import { protectionHeatmapSpec } from './protection.js';
import { perPageRows, perPageSpec } from './iommu-per-page.js';
import { buildReport, type ReportFigure } from './report.js';
import { InputError } from '../util/errors.js';
import { formatProblem } from '../trace/diagnostics.js';
import { isResultsPath, readResults, resultsForFigures } from '../analysis/results-read.js';
import type { RunResult } from '../types/result.js';

export interface FiguresOptions {
  outDir?: string;
  profile?: string;
  set?: string[];
  jobs?: number;
  /** IOTLB sizes of the built-in sweep. */
  iotlbSizes?: number[];
  attackSamples?: number;
  /** Only these figures (FIGURE_NAMES); all when omitted. */
  only?: readonly string[];
  /** Image formats of each figure (its .vl.json is always written); svg and png when omitted. */
  formats?: readonly FigureFormat[];
  onStep?: (what: string) => void;
  onProgress?: (fraction: number) => void;
}

export interface FiguresOutput {
  outDir: string;
  report: string;
  figures: { name: string; files: string[] }[];
  traces: string[];
  failures: string[];
  /** Rejected input rows as `file:line: reason` (the first 20), and a count by kind ('' if none). */
  problems: string[];
  problemSummary: string;
  /** The replay's warnings, as replay prints them (also in report.html). */
  warnings: string[];
}

/** IOMMU-using strategies: the ones whose miss rate the sweep plots. */
const SWEPT = 'direct-map,single-use,shared,persistent,linux-strict,linux-lazy,shadow';
/** The associativity the IOTLB sweep holds fixed (the figure states it). */
const SWEEP_WAYS = 4;

export { FIGURE_NAMES, parseOnly } from './figure-list.js';

export async function makeFigures(inputs: readonly string[], options: FiguresOptions = {}): Promise<FiguresOutput> {
  const only = new Set<string>(options.only ?? FIGURE_NAMES);
  const wanted = (name: string) => only.has(name);
  const outDir = options.outDir ?? 'out/figures';
  const profile = options.profile ?? DEFAULT_PROFILE;
  const set = options.set ?? [];
  const step = options.onStep ?? (() => {});
  // The hand-written scenario traces are test fixtures, not workloads: left out by default.
  const all = inputs.length > 0 ? [...inputs] : bundledTraces().filter((t) => !basename(t).startsWith('scenario-'));
  // Results files of every kind (replay, sweep or merge output, .json, .csv or .arrow) are read;
  // any other input is a trace to replay.
  const files = all.filter(isResultsPath);
  const traces = all.filter((p) => !files.includes(p));
  if (all.length === 0) throw new InputError('no inputs and no bundled traces in traces/');

  // 1. Replay traces, load result files.
  step(`replaying ${traces.length} trace${traces.length === 1 ? '' : 's'}`);
  let done = 0;
  const run = traces.length > 0 ? await replay(traces, { strategies: 'all', profile, set, onTraceStart: (_p, i, n) => options.onProgress?.(i / n), onProgress: () => {} }) : null;
  const loaded: RunResult[] = [...(run?.results ?? [])];
  for (const f of files) for (const r of resultsForFigures(readResults(f))) loaded.push(r);
  const failures = [...(run?.failures ?? [])];
  const problems = (run?.diagnostics.problems ?? []).slice(0, 20).map(formatProblem);
  const problemSummary = run?.diagnostics.summary() ?? '';
  // A trace with no DMA left (every row rejected, or none) has nothing to plot: say so, leave it out.
  for (const t of traces) {
    if (!loaded.some((r) => r.trace === t) || loaded.some((r) => r.trace === t && r.dmas > 0)) continue;
    const first = run?.diagnostics.problems.find((p) => p.file === t);
    failures.push(`${t}: no DMA to plot (${first ? `every row was rejected; first: line ${first.line}: ${first.message}` : 'no rows'})`);
  }
  const results = loaded.filter((r) => r.dmas > 0);
  if (results.length === 0) throw new InputError(failures.length > 0 ? failures.join('; ') : 'nothing to plot');
  const goodTraces = traces.filter((t) => results.some((r) => r.trace === t));

  // 2. The IOTLB-size sweep on up to two traces (RX and a disk trace when bundled).
  let sweepRows: SweepRow[] = [];
  // The sweep, the attacks and the per-page replays are the slow steps: each only for its figure.
  const sweepTraces = wanted('iotlb-miss-vs-size') ? pickSweepTraces(goodTraces) : [];
  if (sweepTraces.length > 0) {
    step(`sweeping IOTLB sizes on ${sweepTraces.map((t) => basename(t)).join(', ')}`);
    const sizes = options.iotlbSizes ?? [8, 16, 32, 64, 128, 256];
    sweepRows = (await sweep(sweepTraces, { grid: [`iotlb.entries=${sizes.join(',')}`], strategies: SWEPT, profile, set: [...set, `iotlb.ways=${SWEEP_WAYS}`], jobs: options.jobs, onTaskDone: (d, n) => options.onProgress?.(d / n) })).rows;
  }

  // 3. The protection matrix on one trace.
  const attackTrace = goodTraces.find((t) => basename(t).startsWith('netperf-rx')) ?? goodTraces[0];
  const attack = attackTrace && wanted('protection-matrix') ? (step(`injecting attacks into ${basename(attackTrace)}`), await runAttacks(attackTrace, { strategies: parseStrategyList('all'), profile: resolveProfileByName(profile, set), samples: options.attackSamples ?? 16, seed: 1 })) : null;

  // 3b. IOMMU work per page at 100 Gb/s against flows (rx-100g, modern-vtd), F&S-style.
  const perPage = wanted('iommu-per-page') ? (step('replaying rx-100g at 5, 10, 20 and 40 flows (IOMMU work per page)'), await perPageRows(undefined, undefined, set)) : null;

  // 4. Figures.
  const specs: { name: string; title: string; caption: string; spec: TopLevelSpec }[] = [
    { name: 'cost-by-category', title: 'Cost per DMA by category', caption: 'Cycles per DMA, stacked by what they are spent on, for each strategy (bars) and workload (panels). Mapping strategies pay hypercalls, page-table writes and IOTLB invalidations per DMA; direct-map only IOMMU walk time (not CPU time); software pays validation and pinning instead of IOMMU work; shadow pays copies.', spec: costByCategorySpec(results) },
    { name: 'overhead-vs-native', title: 'CPU overhead over native', caption: 'Extra CPU cycles per DMA relative to native, in percent, on a symmetric log scale (IOMMU page-walk time delays the DMA but costs the CPU nothing, so it is left out here; the cost figure shows it). The study\'s finding: direct-map is near native; single-use is far above; reuse (shared, persistent) and software-only protection close most of the gap.', spec: overheadSpec(results) },
    { name: 'reuse-rate', title: 'Mapping reuse', caption: 'Share of map requests served entirely by an existing mapping. Recycled buffers (RX ring refill, TCP page frags, rewritten files) make persistent mappings pay off; fresh page-cache pages on sequential reads do not.', spec: reuseSpec(results) },
    { name: 'hypercalls-invalidations', title: 'Hypercalls and IOTLB invalidations per DMA', caption: 'The two operations that dominate the cost of mapping-based protection, per DMA. linux-* need no hypercalls (the OS programs the IOMMU); linux-lazy replaces per-unmap invalidations by one flush per queue.', spec: hypercallsInvalidationsSpec(results) },
  ];
  if (sweepRows.length > 0) specs.push({ name: 'iotlb-miss-vs-size', title: 'IOTLB miss rate vs IOTLB size', caption: 'Misses per translation as the IOTLB grows (4-way). Strategies that hand out new IOVAs per mapping (single-use, linux-*) miss on every first use whatever the size, since each mapping is invalidated before reuse; identity-mapped strategies profit from a larger IOTLB when buffers recycle. Lines that coincide (direct-map and persistent often do) are drawn with a marker and dash pattern each and named above their panel.', spec: iotlbMissVsSizeSpec(sweepRows, { ways: SWEEP_WAYS }) });
  specs.push({ name: 'protection-vs-cost', title: 'Protection vs cost', caption: 'Each strategy as a point: cycles per DMA against the guest memory its devices can reach beyond the buffers in flight (time average). native, direct-map and software expose all guest memory; page-granular strategies expose the rest of in-flight pages; persistent adds every page ever used for I/O; shadow exposes nothing.', spec: costVsExposureSpec(results) });
  if (perPage) specs.push({ name: 'iommu-per-page', title: 'IOMMU work per page at 100 Gb/s', caption: 'Per 4 KiB page received by a 100 Gb/s NIC (the rx-100g workload: mlx5 multi-packet descriptors of 64 pages over 5 queues, TCP ACKs at the rate F&S measured for each flow count), with the modern-vtd profile: IOTLB misses, misses in each walk cache (F&S\'s L1/L2/L3: PML4E, PDPTE, PDE), the page-table memory reads they cost, and the line rate F&S\'s model gives for those reads. Strict mode\'s invalidations (one per page, invalidation hint clear) empty the walk caches; fands keeps them and invalidates once per descriptor; lazy mode flushes once per 255 unmaps; persistent and direct-map with 4 KiB pages map scattered guest pages, whose PDEs do not all fit the PDE cache (their lines coincide: direct-map\'s hides persistent\'s); direct-map with 2 MiB pages (dashed) leaves almost no misses (line rates above 250 Gb/s are drawn at 250). docs/validation.md sets these beside F&S\'s measurements.', spec: perPageSpec(perPage) });
  if (attack) specs.push({ name: 'protection-matrix', title: 'Protection matrix', caption: `Share of injected misbehaving DMAs that reached their target, per strategy and scenario, for a misbehaving driver (left) and device (right), ${attack.samples} injection points per scenario in ${basename(attack.trace)}. Green: blocked by the model; red: allowed. See docs/threat-model.md.`, spec: protectionHeatmapSpec(attack) });

  const chosen = specs.filter((s) => wanted(s.name));
  step(`rendering ${chosen.length} figure${chosen.length === 1 ? '' : 's'} into ${outDir}`);
  await makeDirs(outDir);
  const written = [];
  const reportFigures: ReportFigure[] = [];
  for (const s of chosen) {
    written.push(await writeFigure(outDir, s.name, s.spec, options.formats ?? DEFAULT_FORMATS));
    reportFigures.push({ name: s.name, title: s.title, caption: s.caption, svg: await toSvg(s.spec) });
    options.onProgress?.(++done / chosen.length);
  }
  const report = join(outDir, 'report.html');
  const warnings = run?.warnings ?? [];
  await writeFileAtomic(report, buildReport({ profile, traces: all, figures: reportFigures, results, warnings }));
  return { outDir, report, figures: written, traces: all, failures, problems, problemSummary, warnings };
}

function pickSweepTraces(traces: readonly string[]): string[] {
  const rx = traces.find((t) => basename(t).startsWith('netperf-rx'));
  const disk = traces.find((t) => basename(t).startsWith('disk-rand-write'));
  const picked = [rx, disk].filter((t): t is string => t !== undefined);
  return picked.length > 0 ? picked : traces.slice(0, 2);
}

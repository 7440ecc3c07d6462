import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { Progress, fileSize } from '../cli/progress.js';
import { writeOutput } from '../cli/output-file.js';
import { checkNotInput, protectInputs } from '../util/atomic-file.js';
import { parseJobs } from '../cli/jobs.js';
import { replay } from '../pipeline.js';
import { formatPerPageTable, formatTraceTable } from '../analysis/results-table.js';
import type { TableFormat } from '../analysis/tables.js';
import { toResultsCsv, toResultsJson } from '../analysis/results-io.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { listProfileIds, DEFAULT_PROFILE } from '../cost/profile.js';
import { InputError, UsageError } from '../util/errors.js';
import { inShard, parseShard } from '../runs/shard.js';
import type { ReplayReport } from '../types/result.js';

/** Problems printed before the rest are only counted. */
const SHOWN_PROBLEMS = 20;

export default class Replay extends DmaCommand {
  static override summary = 'Replay DMA traces through protection strategies and report what each costs';
  static override description = prose`Reads each trace once (canonical CSV, an Arrow trace, or raw kernel text ingested on the fly) and drives every DMA through an emulated VMM + IOMMU +
device pipeline, once per strategy, charging CPU cycles by category from a cost profile. Prints one
table per trace with a row per strategy. Rejected input lines are reported as file:line and skipped;
the rest of the trace is still replayed. --jobs N replays N traces at a time (this thread and N-1
worker threads); results, their order and every output are the same as with one. It pays off when
each trace takes a second or more: a worker thread costs about half a second to start and warm up.

Strategies: ${STRATEGY_IDS.join(', ')} (see \`dmareplay strategies\`).

Profiles: ${listProfileIds().join(', ')} (see \`dmareplay profiles\`).`;

  static override examples = [
    { description: 'Replay a trace through every strategy', command: '<%= config.bin %> replay traces/scenario-rx-recycle.csv' },
    { description: 'Compare two strategies on all bundled traces', command: '<%= config.bin %> replay traces/*.csv --strategy single-use,persistent' },
    { description: 'A larger IOTLB and a bounded persistent cache, results as JSON', command: '<%= config.bin %> replay traces/scenario-tx-multipage.csv --set iotlb.entries=128 --set persistent.capacity=64 --json' },
    { description: 'Save results for later diffing', command: '<%= config.bin %> replay traces/*.csv -o results.json' },
    { description: 'Long traces two at a time (same results as one at a time)', command: '<%= config.bin %> replay captures/*.csv.gz --jobs 2 -o results.json' },
    { description: 'IOMMU misses and memory reads per 4 KiB page at 100 Gb/s, 40 flows (F&S-style)', command: '<%= config.bin %> synth rx-100g --opt flows=40 --dmas 60000 -o rx40.csv && <%= config.bin %> replay rx40.csv -p modern-vtd -s linux-strict,linux-lazy,fands,shadow --per-page' },
    { description: 'Every result field as a Markdown table', command: '<%= config.bin %> replay traces/netperf-rx.csv -s native,persistent --format markdown' },
  ];

  static override args = {
    traces: Args.string({ description: 'trace files: canonical CSV (.csv, .csv.gz), Arrow (.arrow, from ingest -o) or raw kernel text (ftrace, trace-cmd, perf script; ingested on the fly)', required: true }),
  };
  static override strict = false; // any number of traces

  static override flags = {
    strategy: Flags.string({ char: 's', description: `strategies to replay: "all" or a comma-separated list of ${STRATEGY_IDS.join(', ')}`, default: 'all' }),
    profile: Flags.string({ char: 'p', description: 'cost profile: a bundled id or a path to a profile JSON file', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'override a profile parameter, e.g. iotlb.entries=128 (repeatable; `dmareplay profiles xen-2008` lists keys)', multiple: true, multipleNonGreedy: true }),
    output: Flags.string({ char: 'o', description: 'also write results to this file: .json, .csv, or .arrow (flat rows with a task column, for merge)' }),
    shard: Flags.string({ description: 'replay only shard i of N of the traces (i/N, from 0); default: from Slurm or Kubernetes indexed-Job variables when set (docs/cluster.md)' }),
    jobs: Flags.string({ char: 'j', description: `traces replayed at a time, on this thread and N-1 worker threads (at most one per core); output is the same for any N`, default: '1', helpValue: 'N' }),
    strict: Flags.boolean({ description: 'stop with exit code 1 at the first rejected input line' }),
    'per-page': Flags.boolean({ description: 'text output: the IOMMU\'s work per 4 KiB of data moved instead (IOTLB and walk-cache misses, memory reads, invalidations, the line rate they allow), as F&S measure it' }),
    format: Flags.string({ char: 'f', description: 'stdout format: text (one aligned table per trace), or the full results table as csv, json or markdown', options: ['text', 'csv', 'json', 'markdown'] satisfies TableFormat[], default: 'text' }),
  };

  async run(): Promise<ReplayReport> {
    const { argv, flags } = await this.parse(Replay);
    if (flags.output && !/\.(json|csv|arrow)$/.test(flags.output)) throw new UsageError(`--output '${flags.output}': use a .json, .csv or .arrow file name`);
    const jobs = parseJobs(flags.jobs);
    const shard = parseShard(flags.shard);
    const all = argv as string[];
    protectInputs([...all, flags.profile]);
    if (flags.output) checkNotInput(flags.output);
    const taskOf = new Map<string, number>();
    all.forEach((p, i) => taskOf.set(p, i));
    const paths = all.filter((_, i) => inShard(i, shard));
    if (shard) stderrLine(`shard ${shard.index}/${shard.count} (${shard.source}): ${paths.length} of ${all.length} traces`);
    const json = this.jsonEnabled();
    let shown = 0;
    const diagnostics = new Diagnostics(flags.strict, 1000, (p) => {
      if (shown++ < SHOWN_PROBLEMS) stderrLine(formatProblem(p));
    });
    const progress = new Progress();
    const parallel = jobs > 1 && paths.length > 1;
    // One trace at a time: a bar through each. In parallel: one bar over all traces' bytes.
    const label = (done: number) => `replaying ${paths.length} traces on ${Math.min(jobs, paths.length)} threads, ${done}/${paths.length} done`;
    if (parallel) progress.start(label(0), paths.reduce((sum, p) => sum + fileSize(p), 0));
    const run = await replay(paths, {
      strategies: flags.strategy,
      profile: flags.profile,
      set: flags.set ?? [],
      strict: flags.strict,
      diagnostics,
      jobs,
      onTraceStart: parallel ? undefined : (path, i, n) => progress.start(`replaying ${path}${n > 1 ? ` [${i + 1}/${n}]` : ''}`, fileSize(path)),
      onProgress: (bytes) => progress.update(bytes),
      onTraceDone: parallel ? (done) => progress.relabel(label(done)) : undefined,
    });
    progress.done();
    if (diagnostics.total > SHOWN_PROBLEMS) stderrLine(`... and ${diagnostics.total - SHOWN_PROBLEMS} more problems`);
    const summary = diagnostics.summary();
    if (summary) stderrLine(summary);
    for (const w of run.warnings) stderrLine(`warning: ${w}`);
    // No trace could be read: the run failed as a whole, and says so as every failure does (one
    // line; with --json an error object, not an empty result list).
    if (run.results.length === 0 && run.failures.length > 0) {
      for (const f of run.failures.slice(0, -1)) stderrLine(`error: ${f}`);
      throw new InputError(run.failures[run.failures.length - 1]);
    }
    for (const f of run.failures) stderrLine(`error: ${f}`);

    const report: ReplayReport = { results: run.results, warnings: [...run.warnings, ...diagnostics.problems.map(formatProblem), ...run.failures] };
    if (flags.output) {
      const out = flags.output;
      // Arrow and arquero are loaded only where they are used: a plain replay starts without them.
      const arrow = out.endsWith('.arrow') ? (await import('../analysis/sweep-io.js')).sweepToArrow : undefined;
      const content = out.endsWith('.csv') ? toResultsCsv(run.results) : arrow ? arrow(run.results.map((r) => ({ ...r, grid: {}, task: taskOf.get(r.trace)! })), []) : toResultsJson(report);
      await writeOutput(out, content);
      stderrLine(`wrote ${flags.output}`);
    }
    if (!json && flags.format !== 'text') {
      const { formatTable, resultsTable } = await import('../analysis/tables.js');
      process.stdout.write(formatTable(resultsTable(run.results), flags.format as TableFormat));
    } else if (!json) {
      const setText = run.profile.overrides.length ? ` (${run.profile.overrides.map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
      for (const t of run.byTrace) {
        this.log(`\n${t.trace}  [profile ${run.profile.id}${setText}]`);
        this.log(flags['per-page'] ? formatPerPageTable(t.results) : formatTraceTable(t.results));
      }
    }
    if (run.failures.length > 0) process.exitCode = 1;
    return report;
  }
}


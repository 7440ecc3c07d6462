import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { Progress, fileSize } from '../cli/progress.js';
import { writeOutput } from '../cli/output-file.js';
import { checkNotInput, protectInputs } from '../util/atomic-file.js';
import { parseJobs } from '../cli/jobs.js';
import { replay } from '../pipeline.js';
import { formatDeviceTable, formatPerPageTable, formatTraceTable, unitsMeaningful, type TableStyle } from '../analysis/results-table.js';
import { shortTraceNames } from '../analysis/trace-names.js';
import type { TableFormat } from '../analysis/tables.js';
import { toResultsCsv, toResultsJson } from '../analysis/results-io.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { listProfileIds, DEFAULT_PROFILE } from '../cost/profile.js';
import { InputError, UsageError } from '../util/errors.js';
import { inShard, parseShard } from '../runs/shard.js';
import { makeProvenance } from '../analysis/provenance.js';
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
--threads N spreads one trace's strategies over N threads instead: the trace is still read once,
and the output is again the same for any N.

Strategies: ${STRATEGY_IDS.join(', ')} (see \`dmareplay strategies\`).

Profiles: ${listProfileIds().join(', ')} (see \`dmareplay profiles\`).`;

  static override examples = [
    { description: 'Replay a trace through every strategy', command: '<%= config.bin %> replay traces/scenario-rx-recycle.csv' },
    { description: 'Compare two strategies on all bundled traces', command: '<%= config.bin %> replay traces/*.csv --strategy single-use,persistent' },
    { description: 'A larger IOTLB and a bounded persistent cache, results as JSON', command: '<%= config.bin %> replay traces/scenario-tx-multipage.csv --set iotlb.entries=128 --set persistent.capacity=64 --json' },
    { description: 'Save results for later diffing', command: '<%= config.bin %> replay traces/*.csv -o results.json' },
    { description: 'One long trace, its strategies over two threads (same results)', command: '<%= config.bin %> replay captures/big.csv.gz --threads 2' },
    { description: 'Long traces two at a time (same results as one at a time)', command: '<%= config.bin %> replay captures/*.csv.gz --jobs 2 -o results.json' },
    { description: 'IOMMU misses and memory reads per 4 KiB page at 100 Gb/s, 40 flows (F&S-style)', command: '<%= config.bin %> synth rx-100g --opt flows=40 --dmas 60000 -o rx40.csv && <%= config.bin %> replay rx40.csv -p modern-vtd -s linux-strict,linux-lazy,fands,shadow --per-page' },
    { description: 'The table as Markdown, for a paper draft or an issue', command: '<%= config.bin %> replay traces/netperf-rx.csv -s native,persistent --format markdown' },
    { description: 'Every result field, one row per trace and strategy', command: '<%= config.bin %> replay traces/netperf-rx.csv --format markdown --all-columns' },
    { description: 'Which device pays: cycles per DMA per device of a two-device capture', command: '<%= config.bin %> replay traces/qemu612-both-strict.csv.gz -s native,linux-strict,linux-lazy --by-device' },
  ];

  static override args = {
    traces: Args.string({ description: 'trace files: canonical CSV (.csv, .csv.gz), Arrow (.arrow, from ingest -o) or raw kernel text (ftrace, trace-cmd, perf script; ingested on the fly)', required: true }),
  };
  static override strict = false; // any number of traces

  static override flags = {
    strategy: Flags.string({ char: 's', description: `strategies to replay: "all" or a comma-separated list of ${STRATEGY_IDS.join(', ')}`, default: 'all' }),
    profile: Flags.string({ char: 'p', description: 'cost profile: a bundled id or a path to a profile JSON file', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'override a profile parameter, e.g. iotlb.entries=128 (repeatable; `dmareplay profiles xen-2008` lists keys)', multiple: true, multipleNonGreedy: true }),
    output: Flags.string({ char: 'o', description: 'also write results to this file: .json, .csv, or .arrow (flat rows with a task column, for merge); .json and .arrow record how the run was made (version, profile, --set, strategy options, inputs with SHA-256), which diff compares' }),
    shard: Flags.string({ description: 'replay only shard i of N of the traces (i/N, from 0); default: from Slurm or Kubernetes indexed-Job variables when set (docs/cluster.md)' }),
    jobs: Flags.string({ char: 'j', description: `traces replayed at a time, on this thread and N-1 worker threads (at most one per core); output is the same for any N`, default: '1', helpValue: 'N' }),
    threads: Flags.string({ description: `threads each trace's strategies are spread over: this one (reading the trace once, pairing, native) and N-1 workers, each with a group of strategies, batches shared in memory (at most one per core); output is the same for any N`, default: '1', helpValue: 'N' }),
    strict: Flags.boolean({ description: 'stop with exit code 1 at the first rejected input line' }),
    'per-page': Flags.boolean({ description: 'text output: the IOMMU\'s work per 4 KiB of data moved instead (IOTLB and walk-cache misses, memory reads, invalidations, the line rate they allow), as F&S measure it' }),
    'by-device': Flags.boolean({ description: 'text output: per device of each trace, DMAs, cycles and CPU cycles per DMA and the device\'s share of each strategy\'s cycles', exclusive: ['per-page'] }),
    format: Flags.string({ char: 'f', description: 'stdout format: text or markdown (one table per trace, as on the terminal), or every result field as csv or json', options: ['text', 'csv', 'json', 'markdown'] satisfies TableFormat[], default: 'text' }),
    'all-columns': Flags.boolean({ description: 'text or markdown: every result field in one table (one row per trace and strategy) instead of the summary' }),
  };

  async run(): Promise<ReplayReport> {
    const { argv, flags } = await this.parse(Replay);
    if (flags.output && !/\.(json|csv|arrow)$/.test(flags.output)) throw new UsageError(`--output '${flags.output}': use a .json, .csv or .arrow file name`);
    const jobs = parseJobs(flags.jobs);
    const threads = parseJobs(flags.threads, '--threads');
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
      threads,
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

    // Every trace given, also those of other shards: the shards of one run record the same
    // provenance, and their merge the one a single-machine run records.
    const provenance = json || flags.output ? await makeProvenance({ command: 'replay', profile: run.profile, profileArg: flags.profile, strategies: run.strategies.map((d) => d.id), inputs: all }) : undefined;
    const report: ReplayReport = { results: run.results, warnings: [...run.warnings, ...diagnostics.problems.map(formatProblem), ...run.failures], provenance };
    if (flags.output) {
      const out = flags.output;
      // Arrow and arquero are loaded only where they are used: a plain replay starts without them.
      const arrow = out.endsWith('.arrow') ? (await import('../analysis/sweep-io.js')).sweepToArrow : undefined;
      const content = out.endsWith('.csv') ? toResultsCsv(run.results) : arrow ? arrow(run.results.map((r) => ({ ...r, grid: {}, task: taskOf.get(r.trace)! })), [], provenance) : toResultsJson(report);
      await writeOutput(out, content);
      stderrLine(`wrote ${flags.output}`);
    }
    const format = flags.format as TableFormat;
    if (!json && (format === 'csv' || format === 'json' || flags['all-columns'])) {
      const { formatTable, resultsTable } = await import('../analysis/tables.js');
      process.stdout.write(formatTable(resultsTable(run.results), format));
    } else if (!json) {
      const style: TableStyle = format === 'markdown' ? 'markdown' : 'text';
      const setText = run.profile.overrides.length ? ` (${run.profile.overrides.map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
      const names = shortTraceNames(run.byTrace.map((t) => t.trace));
      // One decision for the whole run: every table has the same columns.
      const withUnits = unitsMeaningful(run.results);
      for (const t of run.byTrace) {
        const title = `${names.get(t.trace)}  [profile ${run.profile.id}${setText}]`;
        this.log(style === 'markdown' ? `\n### ${title.replace(/([\\`*_|<>])/g, '\\$1')}\n` : `\n${title}`);
        this.log(flags['per-page'] ? formatPerPageTable(t.results, style) : flags['by-device'] ? formatDeviceTable(t.results, style) : formatTraceTable(t.results, withUnits, style));
      }
    }
    if (run.failures.length > 0) process.exitCode = 1;
    return report;
  }
}


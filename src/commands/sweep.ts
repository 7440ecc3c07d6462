import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { parseJobs } from '../cli/jobs.js';
import { Progress } from '../cli/progress.js';
import { writeOutput, writing } from '../cli/output-file.js';
import { checkNotInput, protectInputs } from '../util/atomic-file.js';
import { sweep, sweepProvenance, type SweepRow, type GridAxis } from '../runs/sweep.js';
import { sweepTable, sweepToArrow, sweepToCsv, sweepToJson } from '../analysis/sweep-io.js';
import { PER_PAGE_SWEEP_METRICS, SWEEP_METRICS, sweepFigureSpec } from '../figures/sweep-lines.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { DEFAULT_PROFILE } from '../cost/profile.js';
import { InputError, UsageError } from '../util/errors.js';
import { parseShard } from '../runs/shard.js';

export default class Sweep extends DmaCommand {
  static override summary = 'Replay traces over a grid of parameter values and chart each swept key';
  static override description = prose`Every combination of the --grid values (any profile key or strategy option: see
\`dmareplay profiles xen-2008\`) is replayed on every trace, all selected strategies in one pass per
trace and point. A trace can also be synth:<workload>, generated for each point: sweep its knobs as
synth.<knob> (see \`dmareplay synth --help\`), with synth.dmas (default 20000) and synth.seed (default 1)
as --grid or --set keys. Prints one table, writes the rows as CSV, JSON or Arrow (-o), and draws one line
figure per swept key (cycles per DMA, IOTLB miss rate, reuse, exposure and stale window against the
key) as .vl.json/.svg/.png in --figures-dir. --jobs N runs N passes at a time (this thread and
N-1 worker threads); --threads N spreads one pass's runs over N threads instead, the trace still read
once (the better choice for one long trace). The output is identical for any N.`;
  static override examples = [
    { description: 'IOTLB size vs miss rate', command: '<%= config.bin %> sweep traces/scenario-rx-recycle.csv --grid iotlb.entries=8,16,32,64,128 --grid iotlb.ways=8' },
    { description: 'Persistent cache capacity vs reuse and exposure', command: '<%= config.bin %> sweep traces/*.csv -s persistent,single-use --grid persistent.capacity=4,16,64,0' },
    { description: 'Flush-queue size vs cost and stale window, on two threads', command: '<%= config.bin %> sweep traces/netperf-tx.csv -s linux-strict,linux-lazy --grid linux.fq_size=8,32,128,256 --jobs 2 -o sweep.arrow' },
    { description: 'F&S-style: IOMMU misses per page against flows at 100 Gb/s, strict vs lazy vs fands', command: '<%= config.bin %> sweep synth:rx-100g -g synth.flows=5,10,20,40 -p modern-vtd --set nic.rx_ring=4096 -s linux-strict,linux-lazy,fands --per-page' },
    { description: 'Shard 1 of 4 of a big sweep (then: dmareplay merge out/*.arrow -o all.arrow)', command: '<%= config.bin %> sweep traces/*.csv --grid iotlb.entries=16,32,64,128 --shard 1/4 --no-figures -o out/shard-1.arrow' },
  ];
  static override args = { traces: Args.string({ description: 'trace files: canonical CSV (.csv, .csv.gz), Arrow (.arrow, from ingest -o) or raw kernel text (ftrace, trace-cmd, perf script; ingested on the fly); or synth:<workload>, generated per grid point', required: true }) };
  static override strict = false;
  static override flags = {
    grid: Flags.string({ char: 'g', description: 'key=v1,v2,... to sweep (repeatable; the grid is every combination)', multiple: true, multipleNonGreedy: true, required: true }),
    strategy: Flags.string({ char: 's', description: `"all" or a comma-separated list of ${STRATEGY_IDS.join(', ')}`, default: 'all' }),
    profile: Flags.string({ char: 'p', description: 'cost profile: a bundled id or a JSON file', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'fixed override for every point, key=value (repeatable)', multiple: true, multipleNonGreedy: true }),
    jobs: Flags.string({ char: 'j', description: `passes run at a time, on this thread and N-1 worker threads (at most one per core); output is the same for any N`, default: '1', helpValue: 'N' }),
    threads: Flags.string({ description: `threads each pass's runs are spread over: this one (reading the trace once, pairing, native) and N-1 workers with groups of (point, strategy) runs, batches shared in memory (at most one per core); output is the same for any N`, default: '1', helpValue: 'N' }),
    output: Flags.string({ char: 'o', description: 'write the rows to this file: .csv, .json or .arrow (.json and .arrow record how the run was made; diff and figures read all three)' }),
    figures: Flags.boolean({ description: 'draw one figure per swept key (--no-figures to skip)', default: true, allowNo: true }),
    'figures-dir': Flags.string({ description: 'where the figures go', default: 'out/sweep' }),
    shard: Flags.string({ description: 'run only shard i of N (i/N, from 0); default: from Slurm or Kubernetes indexed-Job variables when set (docs/cluster.md)' }),
    'per-page': Flags.boolean({ description: 'table and figures show the IOMMU\'s work per 4 KiB page moved instead (IOTLB and walk-cache misses, memory reads, the line rate they allow, CPU cores at 100 Gb/s)' }),
  };

  async run(): Promise<{ grid: GridAxis[]; rows: SweepRow[]; failures: string[]; problems: { trace: string; shown: string[]; total: number }[] }> {
    const { argv, flags } = await this.parse(Sweep);
    if (flags.output && !/\.(csv|json|arrow)$/.test(flags.output)) throw new UsageError(`--output '${flags.output}': use a .csv, .json or .arrow file name`);
    protectInputs([...(argv as string[]), flags.profile]);
    if (flags.output) checkNotInput(flags.output);
    const shard = parseShard(flags.shard);
    if (shard) stderrLine(`shard ${shard.index}/${shard.count} (${shard.source})`);
    const progress = new Progress();
    progress.start('sweeping', 1);
    const run = await sweep(argv as string[], {
      grid: flags.grid,
      strategies: flags.strategy,
      profile: flags.profile,
      set: flags.set ?? [],
      jobs: parseJobs(flags.jobs),
      threads: parseJobs(flags.threads, '--threads'),
      shard,
      onTaskDone: (done, total) => progress.update(done / total),
    });
    progress.done();
    // No trace could be read: a failed run, said as every failure is (with --json an error object).
    if (run.rows.length === 0 && run.failures.length > 0) {
      for (const f of run.failures.slice(0, -1)) stderrLine(`error: ${f}`);
      throw new InputError(run.failures[run.failures.length - 1]);
    }
    for (const f of run.failures) stderrLine(`error: ${f}`);
    for (const p of run.problems) {
      for (const line of p.shown) stderrLine(line);
      if (p.total > p.shown.length) stderrLine(`... and ${p.total - p.shown.length} more problems in ${p.trace}`);
      stderrLine(`${p.trace}: ${p.total} row${p.total === 1 ? '' : 's'} skipped at every grid point`);
    }
    if (flags.output) {
      const out = flags.output;
      const provenance = await sweepProvenance(argv as string[], { grid: flags.grid, strategies: flags.strategy, profile: flags.profile, set: flags.set ?? [] });
      const content = out.endsWith('.csv') ? sweepToCsv(run.rows, run.axes) : out.endsWith('.json') ? sweepToJson(run.rows, run.axes, provenance) : sweepToArrow(run.rows, run.axes, provenance);
      await writeOutput(out, content, { makeParents: true });
      stderrLine(`wrote ${out} (${run.rows.length} rows)`);
    }
    if (flags.figures && run.rows.length > 0) {
      // The renderer (vega, vega-lite, resvg) loads only when figures are drawn.
      const { writeFigure } = await import('../figures/render.js');
      for (const axis of run.axes.filter((a) => a.values.length > 1)) {
        const fig = await writing(flags['figures-dir'], () => writeFigure(flags['figures-dir'], `sweep-${axis.key.replace(/[^a-z0-9]+/gi, '-')}`, sweepFigureSpec(run.rows, axis.key, flags['per-page'] ? PER_PAGE_SWEEP_METRICS : SWEEP_METRICS)));
        stderrLine(`wrote ${fig.files.join(', ')}`);
      }
    }
    if (!this.jsonEnabled()) this.log(sweepTable(run.rows, run.axes, flags['per-page']));
    if (run.failures.length > 0) process.exitCode = 1;
    return { grid: run.axes, rows: run.rows, failures: run.failures, problems: run.problems };
  }
}

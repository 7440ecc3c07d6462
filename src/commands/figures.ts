import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { protectInputs } from '../util/atomic-file.js';
import { prose } from '../cli/prose.js';
import { parseJobs } from '../cli/jobs.js';
import { Progress } from '../cli/progress.js';
import { cannotWrite, isIoError } from '../cli/output-file.js';
import type { FiguresOutput } from '../figures/make-figures.js';
import { FIGURE_FORMATS, FIGURE_NAMES, parseFormats, parseOnly } from '../figures/figure-list.js';
import { DEFAULT_PROFILE } from '../cost/profile.js';
import { InputError } from '../util/errors.js';

export default class Figures extends DmaCommand {
  static override summary = 'Paper-style figures and a self-contained HTML report';
  static override description = prose`With no arguments, replays the bundled workload traces (synthetic and real captures; not the
scenario-* test traces) through every strategy and writes into -o DIR:
cost per DMA by category, overhead vs native, mapping reuse, hypercalls and invalidations per DMA,
IOTLB miss rate vs IOTLB size (a built-in sweep), protection vs cost, and the protection matrix;
each as .vl.json (Vega-Lite), .svg and .png (--format: any of svg, png, pdf), plus report.html
embedding them all (opens offline). --only makes some of them (and skips the steps the others need).
Given traces and/or saved results (any file replay, sweep or merge writes with -o: .json, .csv or
.arrow; a .csv or .arrow is told apart from a trace by its columns), it plots those instead; each
grid point of a sweep is drawn as a workload of its own.`;
  static override examples = [
    { description: 'Everything, from the bundled traces', command: '<%= config.bin %> figures' },
    { description: 'Your own traces, with the modern profile', command: '<%= config.bin %> figures my-rx.csv my-disk.csv -p modern-vtd -o out/mine' },
    { description: 'From saved results only (no sweep or attack panels)', command: '<%= config.bin %> figures results.json -o out/from-results' },
    { description: 'Two figures, as PDF for a paper', command: '<%= config.bin %> figures --only protection-vs-cost,iotlb-miss-vs-size --format pdf' },
  ];
  static override args = { inputs: Args.string({ description: 'traces (.csv, .csv.gz, .arrow) or results files (.json, .csv, .arrow from replay, sweep or merge); default: traces/*.csv' }) };
  static override strict = false;
  static override flags = {
    output: Flags.string({ char: 'o', description: 'output directory', default: 'out/figures' }),
    profile: Flags.string({ char: 'p', description: 'cost profile', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'override a profile parameter, key=value (repeatable)', multiple: true, multipleNonGreedy: true }),
    only: Flags.string({ description: `make only these figures, comma-separated: ${FIGURE_NAMES.join(', ')}`, helpValue: 'NAME,...' }),
    format: Flags.string({ description: `image formats of each figure, comma-separated: ${FIGURE_FORMATS.join(', ')}`, default: 'svg,png', helpValue: 'FMT,...' }),
    jobs: Flags.string({ char: 'j', description: `sweep passes run at a time, on this thread and N-1 worker threads (at most one per core)`, default: '1', helpValue: 'N' }),
  };

  async run(): Promise<FiguresOutput> {
    const { argv, flags } = await this.parse(Figures);
    const inputs = argv as string[];
    checkInputs(inputs);
    protectInputs(inputs); // a figure or report.html never lands on one of them
    const jobs = parseJobs(flags.jobs);
    const only = flags.only === undefined ? undefined : parseOnly(flags.only);
    const formats = parseFormats(flags.format);
    const progress = new Progress();
    let out: FiguresOutput;
    try {
      // vega, vega-lite and resvg load only here: other commands start without them.
      const { makeFigures } = await import('../figures/make-figures.js');
      out = await makeFigures(inputs, {
        outDir: flags.output,
        profile: flags.profile,
        set: flags.set ?? [],
        jobs,
        only,
        formats,
        onStep: (what) => {
          progress.done();
          progress.note(what);
          progress.start(what, 1);
        },
        onProgress: (f) => progress.update(f),
      });
    } catch (e) {
      // An I/O error on the output directory, a parent of it or a file in it: one line naming -o.
      const path = isIoError(e) ? e.path : undefined;
      const within = (inner: string, outer: string) => !relative(resolve(outer), resolve(inner)).startsWith('..');
      if (path && (within(path, flags.output) || within(flags.output, path))) throw cannotWrite(flags.output, e);
      throw e;
    } finally {
      progress.done();
    }
    for (const p of out.problems) stderrLine(p);
    if (out.problemSummary) stderrLine(out.problemSummary);
    for (const w of out.warnings) stderrLine(`warning: ${w}`);
    for (const f of out.failures) stderrLine(`error: ${f}`);
    if (out.failures.length > 0) process.exitCode = 1;
    if (!this.jsonEnabled()) {
      for (const f of out.figures) this.log(`${f.name}: ${f.files.join(', ')}`);
      this.log(`\nreport: ${resolve(out.report)}`);
    }
    return out;
  }
}

/**
 * Missing inputs, before any work: a results file (.json) is needed whole; traces are skipped one
 * by one (the replay reports each), but when none exists there is nothing to plot.
 */
function checkInputs(inputs: readonly string[]): void {
  const missing = inputs.filter((p) => !existsSync(p));
  const json = missing.filter((p) => p.endsWith('.json'));
  const bad = json.length > 0 ? json : missing.length > 0 && missing.length === inputs.length ? missing : [];
  if (bad.length > 0) throw new InputError(bad.map((p) => `${p}: no such file`).join('; '));
}

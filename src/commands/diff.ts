import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { diffResults, regressions, DIFF_METRICS, DIFF_METRIC_NAMES, type DiffReport } from '../analysis/diff.js';
import { replay } from '../pipeline.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { DEFAULT_PROFILE } from '../cost/profile.js';
import { textTable } from '../analysis/text-table.js';
import { readResultsFile } from '../analysis/results-io.js';
import { UsageError } from '../util/errors.js';
import { closestName } from '../util/closest.js';
import type { RunResult } from '../types/result.js';

export default class Diff extends DmaCommand {
  static override summary = 'Compare two strategies on the same traces, or two saved runs';
  static override description = prose`A and B are either two strategy ids (with --trace) or two result files written by
\`replay -o x.json\` or \`replay --json\`. Files are matched row by row on trace + strategy + profile;
rows on one side only are listed. For each metric, per trace and overall: A, B, B-A, B/A. The
overall value is computed from summed totals (e.g. all cycles over all DMAs).

With --fail-above PCT the command exits 1 when any selected metric is worse in B by more than PCT
percent (higher for costs, lower for reuse): a regression gate for CI.

Metrics: ${DIFF_METRICS.map((m) => `${m.name} (${m.doc})`).join('; ')}.`;
  static override examples = [
    { description: 'What persistent saves over single-use on two traces', command: '<%= config.bin %> diff single-use persistent --trace traces/netperf-rx.csv --trace traces/netperf-tx.csv' },
    { description: 'Before/after a profile change, failing on a >5% regression', command: '<%= config.bin %> diff before.json after.json --metric cycles_per_dma --fail-above 5' },
  ];
  static override args = {
    a: Args.string({ description: 'strategy id, or results file (.json)', required: true }),
    b: Args.string({ description: 'strategy id, or results file (.json)', required: true }),
  };
  static override flags = {
    trace: Flags.string({ char: 't', description: 'trace to replay (repeatable; strategies mode)', multiple: true, multipleNonGreedy: true }),
    metric: Flags.string({ char: 'm', description: `metrics to compare (repeatable; default all): ${DIFF_METRIC_NAMES.join(', ')}`, multiple: true, multipleNonGreedy: true }),
    'fail-above': Flags.string({ description: 'exit 1 when a selected metric is worse in B by more than this percent' }),
    profile: Flags.string({ char: 'p', description: 'cost profile (strategies mode)', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'override a profile parameter, key=value (strategies mode, repeatable)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<DiffReport & { regressions: DiffReport['rows'] }> {
    const { args, flags } = await this.parse(Diff);
    const metrics = (flags.metric ?? DIFF_METRIC_NAMES).map((name) => {
      const m = DIFF_METRICS.find((x) => x.name === name);
      if (!m) throw new UsageError(`unknown metric '${name}'${closestName(name, DIFF_METRIC_NAMES)}; valid: ${DIFF_METRIC_NAMES.join(', ')}`);
      return m;
    });
    let failAbove: number | undefined;
    if (flags['fail-above'] !== undefined) {
      failAbove = Number(flags['fail-above']);
      if (!Number.isFinite(failAbove) || failAbove < 0) throw new UsageError(`--fail-above '${flags['fail-above']}': expected a percentage >= 0`);
    }
    const files = args.a.endsWith('.json') && args.b.endsWith('.json');
    let report: DiffReport;
    if (files) {
      if (flags.trace) throw new UsageError('--trace goes with two strategies, not with two result files');
      const [a, b] = [readResultsFile(args.a), readResultsFile(args.b)];
      report = diffResults(args.a, a, args.b, b, metrics, (r) => `${r.trace} ${r.strategy} ${r.profile}`);
    } else {
      if (args.a.endsWith('.json') || args.b.endsWith('.json')) throw new UsageError('give two strategies or two result files (.json), not one of each');
      checkStrategy(args.a);
      checkStrategy(args.b);
      if (!flags.trace || flags.trace.length === 0) throw new UsageError('comparing two strategies needs at least one --trace');
      const run = await replay(flags.trace, { strategies: [args.a, args.b], profile: flags.profile, set: flags.set ?? [] });
      for (const f of run.failures) stderrLine(`error: ${f}`);
      if (run.failures.length > 0) process.exitCode = 1;
      report = diffResults(args.a, run.results.filter((r) => r.strategy === args.a), args.b, run.results.filter((r) => r.strategy === args.b), metrics, (r) => r.trace);
    }
    const bad = failAbove === undefined ? [] : regressions(report, failAbove);
    if (!this.jsonEnabled()) {
      this.log(`A = ${report.a}, B = ${report.b}`);
      this.log(
        textTable(report.rows, [
          { title: 'trace', value: (r) => r.trace },
          { title: 'metric', value: (r) => r.metric },
          { title: 'A', value: (r) => r.a, digits: 3 },
          { title: 'B', value: (r) => r.b, digits: 3 },
          { title: 'B-A', value: (r) => r.delta, digits: 3 },
          { title: 'B/A', value: (r) => r.ratio, digits: 3 },
          { title: 'worse %', value: (r) => r.worse_pct, digits: 1 },
        ]),
      );
      for (const k of report.only_a) this.log(`only in A: ${k}`);
      for (const k of report.only_b) this.log(`only in B: ${k}`);
    }
    if (bad.length > 0) {
      for (const r of bad) stderrLine(`regression: ${r.trace} ${r.metric} is ${r.worse_pct!.toFixed(1)}% worse in B (${r.a} -> ${r.b}), above --fail-above ${failAbove}`);
      process.exitCode = 1;
    }
    return { ...report, regressions: bad };
  }
}

/** One strategy id (not `all`: diff compares two single strategies). @throws UsageError naming the valid ids. */
function checkStrategy(id: string): void {
  if (STRATEGY_IDS.includes(id)) return;
  const why = id === 'all' ? '; diff compares two single strategies' : closestName(id, STRATEGY_IDS);
  throw new UsageError(`unknown strategy '${id}'${why}; valid: ${STRATEGY_IDS.join(', ')}`);
}


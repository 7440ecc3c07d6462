import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { diffResults, regressions, DIFF_METRICS, DIFF_METRIC_NAMES, type DiffReport } from '../analysis/diff.js';
import { replay } from '../pipeline.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { DEFAULT_PROFILE } from '../cost/profile.js';
import { textTable } from '../analysis/text-table.js';
import { readResults, type ResultRow } from '../analysis/results-read.js';
import { checkUnique, defaultKey, keyFields, keyText, parseKey } from '../analysis/diff-key.js';
import { settingsDifferences } from '../analysis/provenance.js';
import { UsageError } from '../util/errors.js';
import { closestName } from '../util/closest.js';

/** Results files are named by their extension; strategy ids never end so. */
const RESULTS_FILE = /\.(json|csv|arrow)$/;

export interface DiffOutput extends DiffReport {
  /** The names the two sides are shown under (--label, or A and B). */
  labels: [string, string];
  /** The fields rows were paired by (files mode). */
  by: string[];
  /** How the two runs' recorded settings differ, one line each (files mode). */
  settings: string[];
  regressions: DiffReport['rows'];
}

export default class Diff extends DmaCommand {
  static override summary = 'Compare two strategies on the same traces, or two saved runs';
  static override description = prose`A and B are either two strategy ids (with --trace) or two results files: any file replay, sweep
or merge writes with -o (.json, .csv, .arrow), or replay --json output. For each metric, per row
and overall: A, B, B-A, B/A. The overall value is computed from summed totals (e.g. all cycles over
all DMAs) of the rows both sides have.

Rows of the two files are paired by a key (--by): fields among trace (file name, without its
directory), strategy, profile and any swept key. By default the key is every such field that varies
within a file, so xen-2008 against modern-vtd results pair by trace and strategy, and a strict
capture against a lazy one by strategy. Rows on one side only are listed. When the files record
how they were made (tool version, profile, --set overrides, strategy options, seed, inputs with
their SHA-256), every difference in those settings is printed, one line each.

With --fail-above PCT the command exits 1 when any selected metric is worse in B by more than PCT
percent (higher for costs, lower for reuse): a regression gate for CI.

Metrics: ${DIFF_METRICS.map((m) => `${m.name} (${m.doc})`).join('; ')}.`;
  static override examples = [
    { description: 'What persistent saves over single-use on two traces', command: '<%= config.bin %> diff single-use persistent --trace traces/netperf-rx.csv --trace traces/netperf-tx.csv' },
    { description: 'Before/after a profile change, failing on a >5% regression', command: '<%= config.bin %> diff before.json after.json --metric cycles_per_dma --fail-above 5' },
    { description: 'The 2008 cost profile against today\'s, rows paired by trace and strategy', command: '<%= config.bin %> diff xen.json vtd.json --label xen,vtd' },
    { description: 'A strict-mode capture against a lazy one, strategy by strategy', command: '<%= config.bin %> diff strict.csv lazy.csv --by strategy' },
  ];
  static override args = {
    a: Args.string({ description: 'strategy id, or results file (.json, .csv, .arrow)', required: true }),
    b: Args.string({ description: 'strategy id, or results file (.json, .csv, .arrow)', required: true }),
  };
  static override flags = {
    trace: Flags.string({ char: 't', description: 'trace to replay (repeatable; strategies mode)', multiple: true, multipleNonGreedy: true }),
    metric: Flags.string({ char: 'm', description: `metrics to compare (repeatable; default all): ${DIFF_METRIC_NAMES.join(', ')}`, multiple: true, multipleNonGreedy: true }),
    by: Flags.string({ description: 'fields that pair the rows of two files, comma-separated: trace, strategy, profile, or a swept key (default: the fields that vary within a file)', helpValue: 'FIELDS' }),
    label: Flags.string({ description: 'names for the two sides, comma-separated, e.g. xen,vtd (default A,B)', helpValue: 'A,B' }),
    'fail-above': Flags.string({ description: 'exit 1 when a selected metric is worse in B by more than this percent' }),
    profile: Flags.string({ char: 'p', description: 'cost profile (strategies mode)', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'override a profile parameter, key=value (strategies mode, repeatable)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<DiffOutput> {
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
    const labels = parseLabels(flags.label);
    const files = RESULTS_FILE.test(args.a) && RESULTS_FILE.test(args.b);
    let report: DiffReport;
    let by: string[] = [];
    let settings: string[] = [];
    if (files) {
      if (flags.trace) throw new UsageError('--trace goes with two strategies, not with two result files');
      const [a, b] = [readResults(args.a), readResults(args.b)];
      const fields = keyFields([...a.gridKeys, ...b.gridKeys]);
      by = flags.by !== undefined ? parseKey(flags.by, fields) : defaultKey(a.rows, b.rows, fields);
      checkUnique(`${args.a}`, a.rows, by, fields);
      checkUnique(`${args.b}`, b.rows, by, fields);
      report = diffResults(args.a, a.rows, args.b, b.rows, metrics, (r) => keyText(r as ResultRow, by));
      settings = settingsDifferences(a.provenance, b.provenance, labels);
    } else {
      if (RESULTS_FILE.test(args.a) || RESULTS_FILE.test(args.b)) throw new UsageError('give two strategies or two results files (.json, .csv, .arrow), not one of each');
      if (flags.by !== undefined) throw new UsageError('--by goes with two results files; two strategies are paired by trace');
      checkStrategy(args.a);
      checkStrategy(args.b);
      if (!flags.trace || flags.trace.length === 0) throw new UsageError('comparing two strategies needs at least one --trace');
      const run = await replay(flags.trace, { strategies: [args.a, args.b], profile: flags.profile, set: flags.set ?? [] });
      for (const f of run.failures) stderrLine(`error: ${f}`);
      if (run.failures.length > 0) process.exitCode = 1;
      report = diffResults(args.a, run.results.filter((r) => r.strategy === args.a), args.b, run.results.filter((r) => r.strategy === args.b), metrics, (r) => r.trace);
      by = ['trace'];
    }
    const [la, lb] = labels;
    const bad = failAbove === undefined ? [] : regressions(report, failAbove);
    if (!this.jsonEnabled()) {
      this.log(`${la} = ${report.a}, ${lb} = ${report.b}${files ? `; rows paired by ${by.length ? by.join(', ') : 'nothing (one row each)'}` : ''}`);
      if (settings.length > 0) {
        this.log('settings differ:');
        for (const s of settings) this.log(`  ${s}`);
      }
      this.log(
        textTable(report.rows, [
          { title: files ? 'row' : 'trace', value: (r) => r.trace },
          { title: 'metric', value: (r) => r.metric },
          { title: la, value: (r) => r.a, digits: 3 },
          { title: lb, value: (r) => r.b, digits: 3 },
          { title: `${lb}-${la}`, value: (r) => r.delta, digits: 3 },
          { title: `${lb}/${la}`, value: (r) => r.ratio, digits: 3 },
          { title: 'worse %', value: (r) => r.worse_pct, digits: 1 },
        ]),
      );
      for (const k of report.only_a) this.log(`only in ${la}: ${k}`);
      for (const k of report.only_b) this.log(`only in ${lb}: ${k}`);
    }
    if (bad.length > 0) {
      for (const r of bad) stderrLine(`regression: ${r.trace} ${r.metric} is ${r.worse_pct!.toFixed(1)}% worse in ${lb} (${r.a} -> ${r.b}), above --fail-above ${failAbove}`);
      process.exitCode = 1;
    }
    return { ...report, labels, by, settings, regressions: bad };
  }
}

/** --label a,b: two distinct non-empty names. @throws UsageError. */
function parseLabels(text: string | undefined): [string, string] {
  if (text === undefined) return ['A', 'B'];
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 2 || parts.some((p) => p === '') || parts[0] === parts[1]) throw new UsageError(`--label '${text}': expected two different names, e.g. --label xen,vtd`);
  return [parts[0], parts[1]];
}

/** One strategy id (not `all`: diff compares two single strategies). @throws UsageError naming the valid ids. */
function checkStrategy(id: string): void {
  if (STRATEGY_IDS.includes(id)) return;
  const why = id === 'all' ? '; diff compares two single strategies' : closestName(id, STRATEGY_IDS);
  throw new UsageError(`unknown strategy '${id}'${why}; valid: ${STRATEGY_IDS.join(', ')}`);
}

import { Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { prose } from '../cli/prose.js';
import { runAttacks, type AttackReport } from '../protection/attack.js';
import { SCENARIOS } from '../protection/scenarios.js';
import { parseStrategyList, STRATEGY_IDS } from '../strategies/index.js';
import { resolveProfileByName, DEFAULT_PROFILE } from '../cost/profile.js';
import { protectionHeatmapSpec, protectionVsCostSpec } from '../figures/protection.js';
import { textTable } from '../analysis/text-table.js';
import { bundledTraces } from '../replay/golden.js';
import { UsageError } from '../util/errors.js';
import { Progress, fileSize } from '../cli/progress.js';
import { writing } from '../cli/output-file.js';
import { protectInputs } from '../util/atomic-file.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { stderrLine } from '../cli/terminal-text.js';

/** Problems printed before the rest are only counted. */
const SHOWN_PROBLEMS = 20;

export default class Attack extends DmaCommand {
  static override summary = 'Inject misbehaving DMAs into a replay and report what each strategy blocks';
  static override description = prose`Replays the trace through every strategy and, at --samples points chosen with --seed, injects
DMAs a buggy or malicious driver or device would issue: to another guest, to the VMM, to a page of
the guest never used for I/O, to a buffer after its unmap (at several delays), to bytes outside a
buffer in its page, to a page the VMM reassigned while in flight, and a write into a read-only
buffer. An injection is blocked when the modelled IOMMU faults it or the VMM refuses it; allowed
when it reaches its target. See docs/threat-model.md.`;
  static override examples = [
    { description: 'The protection matrix on a bundled trace', command: '<%= config.bin %> attack --trace traces/scenario-rx-recycle.csv' },
    { description: 'More injection points, two strategies, machine-readable', command: '<%= config.bin %> attack --trace traces/scenario-two-guests.csv -s single-use,persistent --samples 64 --json' },
  ];
  static override flags = {
    trace: Flags.string({ char: 't', description: 'trace to inject into, canonical or raw kernel text (default: traces/netperf-rx.csv)' }),
    strategy: Flags.string({ char: 's', description: `"all" or a comma-separated list of ${STRATEGY_IDS.join(', ')}`, default: 'all' }),
    profile: Flags.string({ char: 'p', description: 'cost profile (for the model sizes and the cost axis)', default: DEFAULT_PROFILE }),
    set: Flags.string({ description: 'override a profile parameter, key=value (repeatable)', multiple: true, multipleNonGreedy: true }),
    samples: Flags.integer({ char: 'n', description: 'injection points per scenario', default: 16, min: 1 }),
    seed: Flags.integer({ description: 'seed for choosing injection points', default: 1 }),
    figures: Flags.boolean({ description: 'draw the heat map and protection-vs-cost figures (--no-figures to skip)', default: true, allowNo: true }),
    'figures-dir': Flags.string({ description: 'where the figures go', default: 'out/attack' }),
  };

  async run(): Promise<AttackReport> {
    const { flags } = await this.parse(Attack);
    // The bundled traces only when no --trace names one (found where the package is installed).
    const bundled = flags.trace ? [] : bundledTraces();
    const trace = flags.trace ?? bundled.find((t) => t.endsWith('netperf-rx.csv')) ?? bundled[0];
    if (!trace) throw new UsageError('no --trace given and no bundled traces found in traces/');
    protectInputs([trace]); // the figures never land on it
    const progress = new Progress();
    progress.start(`injecting into ${trace}`, fileSize(trace));
    // The trace's rejected rows are reported as replay reports them: none is skipped in silence.
    let shown = 0;
    const diagnostics = new Diagnostics(false, 1000, (p) => {
      if (shown++ < SHOWN_PROBLEMS) stderrLine(formatProblem(p));
    });
    const report = await runAttacks(trace, {
      strategies: parseStrategyList(flags.strategy),
      profile: resolveProfileByName(flags.profile, flags.set ?? []),
      samples: flags.samples,
      seed: flags.seed,
      diagnostics,
      onProgress: (b) => progress.update(b),
    });
    progress.done();
    if (diagnostics.total > SHOWN_PROBLEMS) stderrLine(`... and ${diagnostics.total - SHOWN_PROBLEMS} more problems`);
    if (diagnostics.total > 0) stderrLine(diagnostics.summary());
    // Whole-file warnings too (extra columns, ingest's notes on raw kernel text), as replay prints them.
    for (const w of diagnostics.warnings) stderrLine(`warning: ${w}`);
    if (flags.figures) {
      // The renderer (vega, vega-lite, resvg) loads only when figures are drawn.
      const { writeFigure } = await import('../figures/render.js');
      for (const [name, spec] of [
        ['protection-matrix', protectionHeatmapSpec(report)],
        ['protection-vs-cost', protectionVsCostSpec(report)],
      ] as const) {
        const fig = await writing(flags['figures-dir'], () => writeFigure(flags['figures-dir'], name, spec));
        stderrLine(`wrote ${fig.files.join(', ')}`);
      }
    }
    if (!this.jsonEnabled()) this.printMatrix(report);
    return report;
  }

  private printMatrix(report: AttackReport): void {
    this.log(`${report.trace}  [${report.samples} injection points per scenario, seed ${report.seed}]`);
    this.log('blocked / allowed = whether injections reached their target; n% = share of injection points that did;');
    this.log('- = the trace offers no injection point for it (wrong-direction needs a buffer the device may only read)');
    for (const attacker of ['driver', 'device'] as const) {
      const scenarios = SCENARIOS.filter((s) => s.attackers.includes(attacker));
      const strategies = [...new Set(report.matrix.map((c) => c.strategy))];
      const cell = (strategy: string, scenario: string) => {
        const c = report.matrix.find((m) => m.strategy === strategy && m.scenario === scenario && m.attacker === attacker);
        if (!c) return '-';
        return c.outcome === 'partly' ? `${Math.round((100 * c.allowed) / c.injected)}%` : c.outcome;
      };
      this.log(`\nattacker: ${attacker}`);
      this.log(
        textTable(strategies, [
          { title: 'strategy', value: (s) => s },
          ...scenarios.map((sc) => ({ title: sc.id, value: (s: string) => cell(s, sc.id) })),
        ]),
      );
    }
    this.log('\nexposure during the plain replay');
    this.log(
      textTable(report.exposure, [
        { title: 'strategy', value: (e) => e.strategy },
        { title: 'avg exposed KiB', value: (e) => e.avg_bytes / 1024, digits: 1 },
        { title: 'max exposed KiB', value: (e) => e.max_bytes / 1024, digits: 1 },
        { title: 'sub-page avg B', value: (e) => e.subpage_avg_bytes, digits: 0 },
        { title: 'stale window ms', value: (e) => e.stale_window_ns / 1e6, digits: 3 },
        { title: 'stale hits', value: (e) => e.stale_hits },
        { title: 'cycles/DMA', value: (e) => e.cycles_per_dma },
      ]),
    );
  }
}

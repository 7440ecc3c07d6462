/**
 * Protection figures built from `attack` results: the strategy x scenario heat map (share of
 * injected DMAs that got through, one panel per attacker) and protection against cost (each
 * strategy as a labelled point: cycles per DMA vs share of attacks allowed).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { AttackReport } from '../protection/attack.js';
import { SCENARIOS } from '../protection/scenarios.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { FIGURE_CONFIG, strategyColor } from './style.js';

export function protectionHeatmapSpec(report: AttackReport): TopLevelSpec {
  const titles = Object.fromEntries(SCENARIOS.map((s) => [s.id, s.title]));
  const strategies = STRATEGY_IDS.filter((id) => report.matrix.some((c) => c.strategy === id));
  const data = report.matrix.map((c) => ({
    strategy: c.strategy,
    scenario: titles[c.scenario] ?? c.scenario,
    attacker: c.attacker,
    share: c.allowed / c.injected,
    // Full cells speak through their colour; partial ones say how many of how many got through.
    label: c.outcome === 'partly' ? `${c.allowed}/${c.injected}` : '',
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Protection matrix: share of injected DMAs that reached their target', subtitle: `${report.trace}, ${report.samples} injection points per scenario, seed ${report.seed}` },
    data: { values: data },
    facet: { column: { field: 'attacker', type: 'nominal', title: 'attacker', sort: ['driver', 'device'] } },
    spec: {
      width: { step: 34 },
      height: { step: 24 },
      encoding: {
        x: { field: 'scenario', type: 'nominal', sort: SCENARIOS.map((s) => s.title), title: null, axis: { labelAngle: -40, labelLimit: 220, grid: false } },
        y: { field: 'strategy', type: 'nominal', sort: strategies, title: null, axis: { grid: false } },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
          encoding: {
            color: { field: 'share', type: 'quantitative', title: 'allowed', scale: { domain: [0, 0.5, 1], range: ['#1a9850', '#fee08b', '#d73027'] }, legend: { format: '.0%' } },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            text: { field: 'label', type: 'nominal' },
            color: { value: '#222' },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** One point per strategy: cost (cycles per DMA) against the share of all injected DMAs allowed. */
export function protectionVsCostSpec(report: AttackReport): TopLevelSpec {
  const data = report.exposure.map((e) => {
    const cells = report.matrix.filter((c) => c.strategy === e.strategy);
    const injected = cells.reduce((a, c) => a + c.injected, 0);
    const allowed = cells.reduce((a, c) => a + c.allowed, 0);
    return { strategy: e.strategy, cycles_per_dma: e.cycles_per_dma, allowed: injected > 0 ? allowed / injected : 0 };
  });
  const strategies = data.map((d) => d.strategy);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Protection vs cost', subtitle: `${report.trace}, profile ${report.profile}` },
    data: { values: data },
    width: 420,
    height: 280,
    encoding: {
      x: { field: 'cycles_per_dma', type: 'quantitative', title: 'cycles per DMA', scale: { type: 'log' } },
      y: { field: 'allowed', type: 'quantitative', title: 'injected DMAs that got through', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
    },
    layer: [
      { mark: { type: 'point', filled: true, size: 90 }, encoding: { color: { ...strategyColor(strategies), legend: null } } },
      { mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 11 }, encoding: { text: { field: 'strategy', type: 'nominal' } } },
    ],
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

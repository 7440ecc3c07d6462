/**
 * One look for every figure: strategy order and colours (the same in all figures), the font
 * (DejaVu Sans, shipped as an npm package so renders are identical on every machine), sizes.
 */
import { STRATEGY_IDS } from '../strategies/index.js';

/** A colour per strategy, in registry order (Tableau 10, colour-blind aware ordering). */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

export const STRATEGY_COLORS: Readonly<Record<string, string>> = Object.fromEntries(STRATEGY_IDS.map((id, i) => [id, PALETTE[i % PALETTE.length]]));

/** The Vega-Lite colour encoding for a `strategy` field: fixed domain, order and colours. */
export function strategyColor(present?: readonly string[]) {
  const domain = STRATEGY_IDS.filter((id) => !present || present.includes(id));
  return { field: 'strategy', type: 'nominal' as const, title: 'strategy', sort: domain, scale: { domain, range: domain.map((id) => STRATEGY_COLORS[id]) } };
}

export const FONT = 'DejaVu Sans';

/** Vega-Lite config applied to every figure. */
export const FIGURE_CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

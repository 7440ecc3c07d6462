/**
 * One look for every figure: strategy order, colours and marker shapes (the same in all
 * figures), the cost-category colours, the font (DejaVu Sans, shipped as an npm package so
 * renders are identical on every machine), sizes, and the widest a figure may be.
 */
import { STRATEGY_IDS } from '../strategies/index.js';

/**
 * A colour per strategy: Paul Tol's "muted" scheme, whose nine colours stay apart under the
 * common colour-vision deficiencies, with native (the baseline) in neutral grey. The two Linux
 * modes share a hue family (wine, purple) on purpose; lightness tells them apart.
 */
const STRATEGY_PALETTE: Readonly<Record<string, string>> = {
  native: '#888888',
  'direct-map': '#332288',
  'single-use': '#cc6677',
  shared: '#ddcc77',
  persistent: '#117733',
  software: '#88ccee',
  'linux-strict': '#882255',
  'linux-lazy': '#aa4499',
  shadow: '#44aa99',
  fands: '#999933',
};

/** Strategies a newer registry adds get these, in order. */
const SPARE_COLORS = ['#dddddd', '#555555', '#bbbbbb'];

export const STRATEGY_COLORS: Readonly<Record<string, string>> = Object.fromEntries(STRATEGY_IDS.map((id, i) => [id, STRATEGY_PALETTE[id] ?? SPARE_COLORS[i % SPARE_COLORS.length]]));

/**
 * A marker per strategy, so that lines and points that coincide, or whose colours a reader
 * cannot tell apart, still differ. Vega's named shapes, and a star and a hexagon as SVG paths.
 */
const STAR = 'M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z';
const HEXAGON = 'M-1,0L-0.5,-0.87L0.5,-0.87L1,0L0.5,0.87L-0.5,0.87Z';
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left', STAR, HEXAGON];
export const STRATEGY_SHAPES: Readonly<Record<string, string>> = Object.fromEntries(STRATEGY_IDS.map((id, i) => [id, SHAPES[i % SHAPES.length]]));

/** A dash pattern per strategy for lines: coinciding lines then show each other's gaps. */
const DASHES: number[][] = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 4], [3, 2, 1, 2], [5, 2], [2, 4, 6, 4]];
export const STRATEGY_DASHES: Readonly<Record<string, number[]>> = Object.fromEntries(STRATEGY_IDS.map((id, i) => [id, DASHES[i % DASHES.length]]));

/** The strategies of `present` (all when omitted), in registry order. */
export function strategyDomain(present?: readonly string[]): string[] {
  return STRATEGY_IDS.filter((id) => !present || present.includes(id));
}

/** The Vega-Lite colour encoding for a `strategy` field: fixed domain, order and colours. */
export function strategyColor(present?: readonly string[]) {
  const domain = strategyDomain(present);
  return { field: 'strategy', type: 'nominal' as const, title: 'strategy', sort: domain, scale: { domain, range: domain.map((id) => STRATEGY_COLORS[id]) } };
}

/** The matching shape encoding (one legend with the colour: same field, title and domain). */
export function strategyShape(present?: readonly string[]) {
  const domain = strategyDomain(present);
  return { field: 'strategy', type: 'nominal' as const, title: 'strategy', sort: domain, scale: { domain, range: domain.map((id) => STRATEGY_SHAPES[id]) } };
}

/** The matching dash encoding for line marks. */
export function strategyDash(present?: readonly string[]) {
  const domain = strategyDomain(present);
  return { field: 'strategy', type: 'nominal' as const, title: 'strategy', sort: domain, scale: { domain, range: domain.map((id) => STRATEGY_DASHES[id]) } };
}

/**
 * Cost categories: Okabe and Ito's colour-blind-safe set for the CPU categories, the guest's own
 * driver work in light grey (the part every strategy pays), IOMMU walk time in dark grey (it is
 * drawn as a bar of its own: IOMMU time, not CPU time).
 */
export const CATEGORY_COLORS: Readonly<Record<string, string>> = {
  driver: '#cccccc',
  hypercall: '#d55e00',
  validate: '#56b4e9',
  refcount: '#f0e442',
  'pt-update': '#009e73',
  'iotlb-invalidate': '#cc79a7',
  'iova-alloc': '#e69f00',
  copy: '#0072b2',
  'iotlb-walk': '#555555',
};

/** Two measures drawn in one panel (Okabe-Ito blue and vermillion). */
export const PAIR_COLORS = ['#0072b2', '#d55e00'];

/** Said where a value does not exist for a strategy (as opposed to a measured 0). */
export const NOT_APPLICABLE = 'n/a';

export const FONT = 'DejaVu Sans';

/**
 * The widest a figure's SVG may be: the HTML report's column at a 1,400 px window (1,400 less
 * the page's padding), so no figure scrolls or shrinks there.
 */
export const MAX_FIGURE_WIDTH = 1340;

/** Vega-Lite config applied to every figure. */
export const FIGURE_CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const, subtitleFontSize: 11.5, subtitleColor: '#333' },
};

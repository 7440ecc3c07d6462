/**
 * What `dmareplay figures` offers: the figures by name (for --only) and the image formats (for
 * --format). Kept apart from make-figures.ts and render.ts so that the command can check its
 * flags without loading vega, vega-lite or resvg.
 */
import { InputError } from '../util/errors.js';

/** Every figure `figures` makes, in the report's order. */
export const FIGURE_NAMES = ['cost-by-category', 'overhead-vs-native', 'reuse-rate', 'hypercalls-invalidations', 'iotlb-miss-vs-size', 'protection-vs-cost', 'iommu-per-page', 'protection-matrix'] as const;

/** "a,b" -> the figure names, each once, in the report's order; an unknown name is an input error. */
export function parseOnly(list: string): string[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = names.filter((n) => !(FIGURE_NAMES as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new InputError(`--only: unknown figure ${bad.join(', ') || '(none given)'}; figures: ${FIGURE_NAMES.join(', ')}`);
  return FIGURE_NAMES.filter((n) => names.includes(n));
}

/** The image formats a figure can be written in (its Vega-Lite spec is always written). */
export const FIGURE_FORMATS = ['svg', 'png', 'pdf'] as const;
export type FigureFormat = (typeof FIGURE_FORMATS)[number];
export const DEFAULT_FORMATS: readonly FigureFormat[] = ['svg', 'png'];

/** "svg,pdf" -> ['svg', 'pdf'], in the order given, each once; an unknown name is an input error. */
export function parseFormats(list: string): FigureFormat[] {
  const names = list.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const bad = names.filter((n) => !(FIGURE_FORMATS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new InputError(`--format: unknown figure format${bad.length === 1 ? '' : 's'} ${bad.join(', ') || '(none given)'}: choose from ${FIGURE_FORMATS.join(', ')}`);
  return [...new Set(names)] as FigureFormat[];
}

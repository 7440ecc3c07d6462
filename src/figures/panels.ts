/**
 * How small multiples fit the page: the number of panel columns for a wrapped facet so that the
 * whole figure stays within MAX_FIGURE_WIDTH, with rows as even as the count allows (15 panels
 * in 5 x 3, 7 in 4 + 3 rather than 5 + 2).
 */
import { MAX_FIGURE_WIDTH } from './style.js';

/** Vega-Lite's default spacing between facet cells. */
export const PANEL_SPACING = 20;

/**
 * @param panels how many panels
 * @param panelWidth the width of one panel's plot area
 * @param fixed what the figure needs beside the panels (axis labels, a legend at the side)
 * @returns columns, at least 1
 */
export function panelColumns(panels: number, panelWidth: number, fixed: number): number {
  const fit = Math.max(1, Math.floor((MAX_FIGURE_WIDTH - fixed + PANEL_SPACING) / (panelWidth + PANEL_SPACING)));
  const rows = Math.ceil(panels / fit);
  return Math.max(1, Math.ceil(panels / Math.max(1, rows)));
}

/**
 * Lay cells out by their plot areas ("flush"): only the first column draws the shared y axis,
 * and with Vega-Lite's default ("full") every column would still reserve that axis's width.
 * Rows keep room for the x axis below and the next header above.
 */
export const PANEL_LAYOUT = { bounds: 'flush' as const, spacing: { column: PANEL_SPACING, row: 48 } };

/**
 * A wrapped facet's header that draws the facet's title once, under all panels: the figure's one
 * x-axis title (each panel's own x axis has none, so it is not repeated under every column).
 */
export function bottomTitleHeader(extra: Record<string, unknown> = {}) {
  return { titleOrient: 'bottom' as const, labelOrient: 'top' as const, titleFontWeight: 'bold' as const, titleFontSize: 12, labelFontSize: 12, labelFontWeight: 'bold' as const, ...extra };
}

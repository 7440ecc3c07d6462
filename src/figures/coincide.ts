/**
 * Lines that coincide: in each panel, the series whose values are the same at every x (within a
 * tolerance of the panel's range). A figure names them ("same line: a = b"), since one line
 * drawn over another hides it.
 */

export interface SeriesPoint {
  panel: string;
  series: string;
  x: number;
  y: number;
}

/**
 * Groups of two or more coinciding series per panel, each group and the groups in the order
 * the series first appear.
 * @param tolerance the largest difference, as a share of the panel's y range, still "the same"
 */
export function coincidingSeries(points: readonly SeriesPoint[], tolerance = 0.005): Map<string, string[][]> {
  const byPanel = new Map<string, Map<string, Map<number, number>>>();
  for (const p of points) {
    const panel = byPanel.get(p.panel) ?? new Map<string, Map<number, number>>();
    byPanel.set(p.panel, panel);
    const series = panel.get(p.series) ?? new Map<number, number>();
    panel.set(p.series, series);
    series.set(p.x, p.y);
  }
  const out = new Map<string, string[][]>();
  for (const [panel, series] of byPanel) {
    const ys = [...series.values()].flatMap((s) => [...s.values()]);
    const range = Math.max(...ys) - Math.min(...ys);
    const eps = range > 0 ? range * tolerance : 1e-12;
    const same = (a: Map<number, number>, b: Map<number, number>) => a.size === b.size && [...a].every(([x, y]) => b.has(x) && Math.abs(b.get(x)! - y) <= eps);
    const names = [...series.keys()];
    const taken = new Set<string>();
    const groups: string[][] = [];
    for (const a of names) {
      if (taken.has(a)) continue;
      const group = [a, ...names.filter((b) => b !== a && !taken.has(b) && same(series.get(a)!, series.get(b)!))];
      if (group.length < 2) continue;
      for (const g of group) taken.add(g);
      groups.push(group);
    }
    if (groups.length > 0) out.set(panel, groups);
  }
  return out;
}

/** Separates a panel's name from its notes in a facet field; the header draws one per line. */
export const HEADER_SEPARATOR = '|';

/** "same line: a = b", wrapped into lines of at most `width` characters. */
export function coincideNote(group: readonly string[], width = 42): string[] {
  const lines = ['same line:'];
  for (const name of group) {
    const last = lines.length - 1;
    const sep = lines[last] === 'same line:' ? ' ' : ' = ';
    if (lines[last].length + sep.length + name.length <= width) lines[last] += sep + name;
    else lines.push(`= ${name}`);
  }
  return lines;
}

/**
 * The facet header of each panel: its name, then a note per group of coinciding series, joined
 * by HEADER_SEPARATOR (the spec splits them into lines with `labelExpr`).
 */
export function panelHeaders(points: readonly SeriesPoint[]): Map<string, string> {
  const groups = coincidingSeries(points);
  const headers = new Map<string, string>();
  for (const p of points) {
    if (headers.has(p.panel)) continue;
    const notes = (groups.get(p.panel) ?? []).flatMap((g) => coincideNote(g));
    headers.set(p.panel, [p.panel, ...notes].join(HEADER_SEPARATOR));
  }
  return headers;
}

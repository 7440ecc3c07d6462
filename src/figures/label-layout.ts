/**
 * Labels beside the points of a scatter plot that overlap neither each other nor any point:
 * points drawn at the same spot share one label ("linux-strict, fands"); each label takes the
 * first free spot of a fixed list around its point (right, left, above, below, the diagonals),
 * then the same list further out with a leader line back to the point. Everything is in the
 * plot's pixels, so the caller inverts its scales to place the text. Deterministic: the same
 * points give the same labels.
 */

export interface LabelPoint {
  /** Pixel position in the plot area (0,0 = top left). */
  x: number;
  y: number;
  text: string;
}

export interface PlacedLabel {
  /** The label's lines: the names of points drawn at one spot, a few to a line. */
  lines: string[];
  /** The point (a group's first point) the label belongs to. */
  px: number;
  py: number;
  /** The label's box: left, top, width, height. Text is drawn left-aligned from the top. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Drawn away from its point: join them with a line. */
  leader: boolean;
}

export interface LabelOptions {
  width: number;
  height: number;
  fontSize: number;
  /** Radius of the drawn points (they are obstacles too). */
  pointRadius: number;
  /** Points closer than this share a label. */
  mergeWithin?: number;
  /** Longest line of a shared label, in characters: names beyond it start a new line. */
  lineChars?: number;
}

/** Lines of at most `max` characters (a name longer than that alone on its line). */
export function wrapNames(names: readonly string[], max: number): string[] {
  const lines: string[] = [];
  for (const n of names) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 2 + n.length <= max) lines[last] += `, ${n}`;
    else lines.push(n);
  }
  return lines;
}

/**
 * DejaVu Sans advance widths in em (lowercase and digits near 0.6, narrow punctuation less):
 * a slight overestimate keeps labels apart even where a renderer draws a little wider.
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) em += /[ilj.,:;'|!]/.test(ch) ? 0.32 : /[ -]/.test(ch) ? 0.4 : /[mwMW]/.test(ch) ? 0.95 : /[A-Z]/.test(ch) ? 0.74 : 0.64;
  return em * fontSize;
}

/** The distance between lines of a label (what the figure's text mark must use). */
export function lineHeightOf(fontSize: number): number {
  return Math.ceil(fontSize * 1.25);
}

/** Candidate directions, in order of preference: right, left, up, down, then the diagonals. */
const DIRECTIONS: [number, number][] = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [1, 1], [-1, -1], [-1, 1]];
/** Distances from the point's edge tried in turn; beyond the first a leader line is drawn. */
const GAPS = [3, 12, 24, 38, 54];

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** How many obstacles (other than the point's own) the leader from `g` to `box` passes through. */
function leaderHits(g: { x: number; y: number }, box: Box, obstacles: readonly Box[], r: number): number {
  const ax = Math.min(Math.max(g.x, box.x), box.x + box.width);
  const ay = Math.min(Math.max(g.y, box.y), box.y + box.height);
  let hits = 0;
  for (const o of obstacles) {
    if (Math.abs(o.x + r - g.x) < 0.5 && Math.abs(o.y + r - g.y) < 0.5) continue;
    for (let t = 0.1; t <= 1; t += 0.1) {
      const x = g.x + (ax - g.x) * t;
      const y = g.y + (ay - g.y) * t;
      if (x >= o.x && x <= o.x + o.width && y >= o.y && y <= o.y + o.height) {
        hits++;
        break;
      }
    }
  }
  return hits;
}

/** Where a leader from a label's point meets the label's box: the box's nearest point. */
function leaderEnd(l: { px: number; py: number } & Box): { x: number; y: number } {
  return { x: Math.min(Math.max(l.px, l.x), l.x + l.width), y: Math.min(Math.max(l.py, l.y), l.y + l.height) };
}

/** Whether the segment a-b passes through the box (sampled: labels are far larger than a step). */
function segmentHitsBox(a: { x: number; y: number }, b: { x: number; y: number }, box: Box): boolean {
  for (let t = 0; t <= 1; t += 0.05) {
    const x = a.x + (b.x - a.x) * t;
    const y = a.y + (b.y - a.y) * t;
    if (x > box.x && x < box.x + box.width && y > box.y && y < box.y + box.height) return true;
  }
  return false;
}

export function placeLabels(points: readonly LabelPoint[], options: LabelOptions): PlacedLabel[] {
  const { width, height, fontSize, pointRadius } = options;
  const merge = options.mergeWithin ?? pointRadius;
  // 1. Points drawn on top of each other share a label, in the order given.
  const groups: { x: number; y: number; texts: string[] }[] = [];
  for (const p of points) {
    const g = groups.find((q) => Math.hypot(q.x - p.x, q.y - p.y) <= merge);
    if (g) g.texts.push(p.text);
    else groups.push({ x: p.x, y: p.y, texts: [p.text] });
  }
  const obstacles: Box[] = points.map((p) => ({ x: p.x - pointRadius, y: p.y - pointRadius, width: 2 * pointRadius, height: 2 * pointRadius }));
  const placed: PlacedLabel[] = [];
  const lineHeight = lineHeightOf(fontSize);
  // 2. The most crowded points first: they have the fewest free spots.
  const crowd = (g: (typeof groups)[number]) => groups.filter((o) => o !== g && Math.abs(o.x - g.x) < 60 && Math.abs(o.y - g.y) < 30).length;
  const order = groups.map((g, i) => ({ g, i, c: crowd(g) })).sort((a, b) => b.c - a.c || a.i - b.i);
  for (const { g } of order) {
    const lines = wrapNames(g.texts, options.lineChars ?? 24);
    const w = Math.ceil(Math.max(...lines.map((l) => textWidth(l, fontSize))));
    const h = lines.length * lineHeight;
    let best: { box: Box; cost: number; leader: boolean } | null = null;
    for (const [k, gap] of GAPS.entries()) {
      for (const [dx, dy] of DIRECTIONS) {
        const cx = g.x + dx * (pointRadius + gap + (dx === 0 ? 0 : w / 2)) - w / 2;
        const cy = g.y + dy * (pointRadius + gap / 2 + (dy === 0 ? 0 : h / 2)) - h / 2;
        // A point on the plot's top or bottom edge (0 KiB exposed) keeps its label beside it,
        // moved up or down into the plot by as much as half the label's height.
        const y0 = Math.round(cy);
        const inside = Math.min(Math.max(y0, 0), height - h);
        const box = { x: Math.round(cx), y: Math.abs(inside - y0) <= h / 2 + 1 ? inside : y0, width: w, height: h };
        const outside = box.x < 0 || box.y < 0 || box.x + w > width || box.y + h > height;
        let cost = outside ? 1e9 : 0;
        // Covering a point hides it: worse than a leader line crossing one.
        for (const o of obstacles) cost += 10 * overlap(box, o);
        // Two pixels of air between labels: renderers draw text a little wider than estimated.
        for (const p of placed) cost += overlap(box, { x: p.x - 2, y: p.y - 2, width: p.width + 4, height: p.height + 4 });
        // A label drawn across another label's leader line hides where that line goes.
        for (const p of placed) if (p.leader && segmentHitsBox({ x: p.px, y: p.py }, leaderEnd(p), box)) cost += 40;
        // A leader line that crosses another point would seem to belong to it; one that crosses
        // another label makes both hard to read.
        if (k > 0) cost += 40 * leaderHits(g, box, [...obstacles, ...placed], pointRadius);
        if (best === null || cost < best.cost) best = { box, cost, leader: k > 0 };
        if (cost === 0) break;
      }
      if (best && best.cost === 0) break;
    }
    const b = best!;
    placed.push({ lines, px: g.x, py: g.y, ...b.box, leader: b.leader });
  }
  // 3. Back in the order the points were given, for stable output.
  return groups.map((g) => placed.find((p) => p.px === g.x && p.py === g.y)!);
}

/**
 * The HTML report as a person sees it: opened from disk in headless Chromium (Debian's
 * `chromium`, driven by playwright-core) in a 1,400 px window, from every bundled workload.
 * Every figure is drawn at its own size within the page (no horizontal scrolling, no legend cut
 * off), no two pieces of text in a figure overlap, nothing is logged as an error and no request
 * leaves the machine. Skipped, and said so, where Chromium is not installed.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { makeFigures } from '../../src/figures/make-figures.js';
import { tempDir } from '../helpers/temp-dir.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium ? 'report.html in headless Chromium' : 'report.html in headless Chromium (SKIPPED: needs Debian chromium: apt-get install -y chromium)';
const WINDOW = 1400;


interface FigureLayout {
  id: string;
  /** The SVG's own width, and the width it is drawn at. */
  width: number;
  drawnWidth: number;
  /** The width of the report's column the figure sits in. */
  columnWidth: number;
  height: number;
  marks: number;
  /** Legends (or parts of them) outside the SVG or the window. */
  clippedLegends: string[];
  /** Pairs of text elements whose boxes overlap, by their text. */
  overlaps: string[];
}

/**
 * Measures every figure in the page. Text boxes are the elements' own boxes (getBBox) carried
 * into the page by their transforms, so rotated axis labels are compared as the rotated
 * rectangles they are (separating-axis test), not as their upright bounding boxes.
 */
function measure(page: Page, windowWidth: number): Promise<FigureLayout[]> {
  return page.$$eval(
    'figure',
    (figures, win) => {
      type P = { x: number; y: number };
      const corners = (t: SVGGraphicsElement): P[] => {
        const b = t.getBBox();
        const m = t.getScreenCTM()!;
        return [
          [b.x, b.y],
          [b.x + b.width, b.y],
          [b.x + b.width, b.y + b.height],
          [b.x, b.y + b.height],
        ].map(([x, y]) => ({ x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f }));
      };
      // Two convex polygons overlap unless some edge's normal separates them; a pixel of
      // overlap is allowed (glyph boxes include the font's line gap).
      const overlap = (a: P[], b: P[]): boolean => {
        for (const poly of [a, b])
          for (let i = 0; i < poly.length; i++) {
            const p = poly[i];
            const q = poly[(i + 1) % poly.length];
            const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
            const n = { x: (p.y - q.y) / len, y: (q.x - p.x) / len };
            const proj = (s: P[]) => s.map((v) => v.x * n.x + v.y * n.y);
            const [pa, pb] = [proj(a), proj(b)];
            if (Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb)) <= 1) return false;
          }
        return true;
      };
      return figures.map((f) => {
        const svg = f.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        const clippedLegends = [...svg.querySelectorAll('.role-legend')]
          .map((g) => g.getBoundingClientRect())
          .filter((b) => b.left < box.left - 0.5 || b.top < box.top - 0.5 || b.right > box.right + 0.5 || b.bottom > box.bottom + 0.5 || b.right > win)
          .map((b) => `legend at ${Math.round(b.left)}..${Math.round(b.right)} px`);
        const texts = [...svg.querySelectorAll('text')].filter((t) => (t.textContent ?? '').trim() !== '').map((t) => ({ text: t.textContent!, poly: corners(t as SVGGraphicsElement) }));
        const overlaps: string[] = [];
        for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) if (overlap(texts[i].poly, texts[j].poly)) overlaps.push(`"${texts[i].text}" / "${texts[j].text}"`);
        return { id: f.id, width: Number(svg.getAttribute('width')), drawnWidth: box.width, columnWidth: f.getBoundingClientRect().width, height: box.height, marks: svg.querySelectorAll('path, rect, line').length, clippedLegends, overlaps };
      });
    },
    windowWidth,
  );
}

describe(title, () => {
  it.skipIf(!hasChromium)(
    `given every bundled workload, when the report is opened at ${WINDOW} px, then every figure fits at its own size, no legend is cut off, no text overlaps, nothing errs and nothing leaves the machine`,
    async () => {
      const out = tempDir('dmareplay-report-');
      const made = await makeFigures([], { outDir: out, attackSamples: 4 });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: WINDOW, height: 900 } });
        const errors: string[] = [];
        const offMachine: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('request', (r) => {
          if (!/^(file|data|about):/.test(r.url())) offMachine.push(r.url());
        });
        await page.goto(pathToFileURL(resolve(made.report)).href);
        // No horizontal scrolling anywhere: not the page, not a figure, not a table.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WINDOW);
        const figures = await measure(page, WINDOW);
        expect(figures.map((f) => f.id)).toEqual(made.figures.map((f) => f.name));
        for (const f of figures) {
          expect(f.marks, `${f.id} marks`).toBeGreaterThan(10);
          expect(f.height, `${f.id} height`).toBeGreaterThan(100);
          // Drawn at its own size (not shrunk to fit): the figure was made to fit the column.
          expect(Math.abs(f.drawnWidth - f.width), `${f.id}: ${f.width} px wide, drawn at ${f.drawnWidth}`).toBeLessThan(1);
          expect(f.drawnWidth, `${f.id} against the column`).toBeLessThanOrEqual(f.columnWidth);
          expect(f.clippedLegends, `${f.id} legends`).toEqual([]);
          expect(f.overlaps, `${f.id} overlapping text`).toEqual([]);
        }
        expect(await page.$$eval('figcaption', (els) => els.every((e) => (e.textContent ?? '').length > 40))).toBe(true);
        expect(await page.$$eval('#tables table', (els) => els.length)).toBe(5);
        expect(errors).toEqual([]);
        expect(offMachine).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    600_000,
  );
});

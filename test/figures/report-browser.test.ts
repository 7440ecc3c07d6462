/**
 * The HTML report as a person sees it: opened from disk in headless Chromium (Debian's
 * `chromium`, driven by playwright-core), every figure rendered with a size, no console errors,
 * and no request leaving the machine. Skipped, and said so, where Chromium is not installed.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { makeFigures } from '../../src/figures/make-figures.js';
import { tempDir } from '../helpers/temp-dir.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium ? 'report.html in headless Chromium' : 'report.html in headless Chromium (SKIPPED: needs Debian chromium: apt-get install -y chromium)';

describe(title, () => {
  it.skipIf(!hasChromium)('renders every figure, logs no error and makes no network request', async () => {
    const out = tempDir('dmareplay-report-');
    const made = await makeFigures(['traces/netperf-rx.csv', 'traces/disk-rand-write.csv'], { outDir: out, attackSamples: 4, iotlbSizes: [16, 64] });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
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
      const figures = await page.$$eval('figure', (els) =>
        els.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg?.querySelectorAll('path, rect, line').length ?? 0 };
        }),
      );
      expect(figures.map((f) => f.id)).toEqual(made.figures.map((f) => f.name));
      for (const f of figures) {
        expect(f.width, `${f.id} width`).toBeGreaterThan(100);
        expect(f.height, `${f.id} height`).toBeGreaterThan(100);
        expect(f.marks, `${f.id} marks`).toBeGreaterThan(10);
      }
      expect(await page.$$eval('figcaption', (els) => els.every((e) => (e.textContent ?? '').length > 40))).toBe(true);
      expect(await page.$$eval('#tables table', (els) => els.length)).toBe(5);
      expect(errors).toEqual([]);
      expect(offMachine).toEqual([]);
      await page.screenshot({ path: join(out, 'report.png'), fullPage: false });
    } finally {
      await browser.close();
    }
  });
});

/**
 * `dmareplay figures --only NAME,... --format svg,png,pdf`, run as a user would: only the figures
 * asked for, in the formats asked for, byte-identical from one run to the next.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const outDir = () => tempDir('dmareplay-figures-');

describe('figures --only and --format', () => {
  it('given --only two figures and --format svg,pdf, when run twice, then exactly those figures are written as .vl.json, .svg and .pdf, the report holds only them, and both runs give the same bytes', () => {
    const runs = [outDir(), outDir()];
    for (const out of runs) {
      const r = cli('figures', 'traces/netperf-rx.csv', '--only', 'reuse-rate,overhead-vs-native', '--format', 'svg,pdf', '-o', out);
      expect(r.code, r.stderr).toBe(0);
    }
    const files = readdirSync(runs[0]).sort();
    expect(files).toEqual(['overhead-vs-native.pdf', 'overhead-vs-native.svg', 'overhead-vs-native.vl.json', 'report.html', 'reuse-rate.pdf', 'reuse-rate.svg', 'reuse-rate.vl.json']);
    const pdf = readFileSync(join(runs[0], 'reuse-rate.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // the fonts are embedded, and no clock reading is
    expect(pdf.toString('latin1')).toContain('DejaVuSans');
    const report = readFileSync(join(runs[0], 'report.html'), 'utf8');
    expect(report.match(/<figure id="[^"]+"/g)).toEqual(['<figure id="overhead-vs-native"', '<figure id="reuse-rate"']);
    for (const f of files) expect(readFileSync(join(runs[1], f)).equals(readFileSync(join(runs[0], f))), f).toBe(true);
  }, 600_000);

  it('given an unknown figure or format, then nothing is made and the error names the choices', () => {
    const out = outDir();
    const a = cli('figures', 'traces/netperf-rx.csv', '--only', 'reuse-rate,nope', '-o', out);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('--only: unknown figure nope; figures: cost-by-category, overhead-vs-native');
    const b = cli('figures', 'traces/netperf-rx.csv', '--format', 'png,gif', '-o', out);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('--format: unknown figure format gif: choose from svg, png, pdf');
    expect(readdirSync(out)).toEqual([]);
  }, 600_000);
});

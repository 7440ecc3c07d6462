/**
 * The replay table as a researcher reads it (issue 15, "Tables"): CPU cycles per DMA beside all
 * cycles, the spread of cycles per DMA, units in the headers, a legend, short trace names, the
 * per-unit column only where units group DMAs and then in every table of the run, Markdown with
 * the same columns, --all-columns for every field, and a per-device view.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { flattenResult } from '../../src/analysis/results-table.js';

const RX = 'traces/netperf-rx.csv';
const MIXED = 'traces/mixed.csv';

/** Each table of a text output: title line, header, rows (until the legend). */
function tables(stdout: string): { title: string; header: string[]; rows: string[][]; after: string[] }[] {
  const blocks = stdout.split('\n\n').map((b) => b.split('\n').filter(Boolean)).filter((b) => b.length > 2);
  return blocks.map(([title, header, rule, ...rest]) => {
    const widths = rule.split('  ').map((d) => d.length);
    const cut = (line: string) => {
      const cells: string[] = [];
      let at = 0;
      for (const w of widths) {
        cells.push(line.slice(at, at + w).trim());
        at += w + 2;
      }
      return cells;
    };
    const end = rest.findIndex((l) => l.startsWith('per DMA = '));
    return { title, header: cut(header), rows: rest.slice(0, end).map(cut), after: rest.slice(end) };
  });
}

describe('replay text tables', () => {
  const run = cli('replay', RX, '-s', 'native,direct-map,linux-lazy');
  const [t] = tables(run.stdout);
  const row = (s: string) => Object.fromEntries(t.header.map((h, i) => [h, t.rows.find((r) => r[0] === s)![i]]));

  it('given direct-map, when its cycles include IOMMU walk time, then CPU cyc/DMA shows native\'s 350 beside the 790 of all cycles, and CPU vs native 0.0% agrees with it', () => {
    expect(run.code).toBe(0);
    expect(row('direct-map')).toMatchObject({ 'cycles/DMA': '790', 'CPU cyc/DMA': '350', 'CPU vs native': '0.0%' });
    expect(row('native')).toMatchObject({ 'cycles/DMA': '350', 'CPU cyc/DMA': '350' });
  });

  it('given linux-lazy, when one unmap in 250 pays the flush, then p50 and p99 stay at the common cost and the mean is above them', () => {
    expect(row('linux-lazy')).toMatchObject({ p50: '2,680', p90: '2,680', p99: '2,680', 'cycles/DMA': '3,184' });
  });

  it('headers carry their units and a legend line says what the columns count', () => {
    expect(t.header).toEqual(['strategy', 'DMAs', 'cycles/DMA', 'p50', 'p90', 'p99', 'CPU cyc/DMA', 'CPU vs native', 'hcalls/DMA', 'PTEs/DMA', 'invals/DMA', 'IOTLB miss %', 'reuse %', 'peak maps (pages)', 'faults (accesses)']);
    expect(t.after[0]).toMatch(/^per DMA = per DMA API call; cycles\/DMA: all cycles, with IOMMU walk time .*CPU cyc\/DMA: without walk time, as CPU vs native compares/);
  });

  it('given a trace in a directory, then the table is titled by its short name', () => {
    expect(t.title).toBe('netperf-rx  [profile xen-2008]');
  });

  it('given a trace where every DMA is its own unit, then no cycles/unit column (it would repeat cycles/DMA)', () => {
    expect(t.header).not.toContain('cycles/unit');
  });

  it('given a run with one trace whose units group DMAs, then cycles/unit appears in every table of the run', () => {
    const both = tables(cli('replay', RX, MIXED, '-s', 'native,persistent').stdout);
    expect(both.map((x) => x.title)).toEqual(['netperf-rx  [profile xen-2008]', 'mixed  [profile xen-2008]']);
    for (const x of both) expect(x.header).toContain('cycles/unit');
    expect(both[0].header).toEqual(both[1].header);
  });
});

describe('replay --format markdown and --all-columns', () => {
  it('given --format markdown, then the same columns and cells as the text table, as a Markdown table with its legend', () => {
    const text = tables(cli('replay', RX, '-s', 'native,persistent').stdout)[0];
    const md = cli('replay', RX, '-s', 'native,persistent', '--format', 'markdown');
    expect(md.code).toBe(0);
    const lines = md.stdout.split('\n');
    expect(lines).toContain('### netperf-rx  [profile xen-2008]');
    const header = lines.find((l) => l.startsWith('| strategy'))!;
    expect(header.split('|').slice(1, -1).map((c) => c.trim())).toEqual(text.header);
    expect(lines[lines.indexOf(header) + 1]).toBe(`| --- |${' ---: |'.repeat(text.header.length - 1)}`);
    const persistent = lines.find((l) => l.startsWith('| persistent'))!;
    expect(persistent.split('|').slice(1, -1).map((c) => c.trim())).toEqual(text.rows[1]);
    expect(md.stdout).toContain('per DMA = per DMA API call');
  });

  it('given --all-columns, then one table with every result field (as the CSV has them)', async () => {
    const r = cli('replay', RX, '-s', 'native', '--format', 'markdown', '--all-columns');
    expect(r.code).toBe(0);
    const header = r.stdout.split('\n')[0].split('|').slice(1, -1).map((c) => c.trim());
    const csv = cli('replay', RX, '-s', 'native', '--format', 'csv').stdout.split('\n')[0].split(',');
    expect(header).toEqual(csv);
    expect(header).toContain('cycles_per_dma_p99');
    expect(header).toContain('cpu_cycles_per_dma');
    expect(Object.keys(flattenResult(JSON.parse(cli('replay', RX, '-s', 'native', '--json').stdout).results[0]))).toEqual(csv);
  });
});

describe('replay --by-device', () => {
  it('given a capture with a NIC and an NVMe disk, then a row per strategy and device with its DMAs, cycles per DMA and share of the cycles', () => {
    const r = cli('replay', 'traces/qemu612-both-strict.csv.gz', '-s', 'native,linux-strict', '--by-device');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toBe('qemu612-both-strict  [profile xen-2008]');
    expect(lines[1].split(/\s{2,}/)).toEqual(['strategy', 'device', 'class', 'DMAs', 'cycles/DMA', 'CPU cyc/DMA', 'share of cycles %']);
    const rows = lines.slice(3, 7).map((l) => l.split(/\s+/));
    expect(rows.map((x) => x.slice(0, 3))).toEqual([
      ['native', '0000:00:02.0', 'net'],
      ['native', '0000:00:03.0', 'disk'],
      ['linux-strict', '0000:00:02.0', 'net'],
      ['linux-strict', '0000:00:03.0', 'disk'],
    ]);
    // Each strategy's shares add up to all its cycles.
    const share = (x: string[]) => Number(x[6].replace('%', ''));
    expect(share(rows[0]) + share(rows[1])).toBeCloseTo(100, 0);
    expect(share(rows[2]) + share(rows[3])).toBeCloseTo(100, 0);
  });

  it('given --json, then every result lists its devices', () => {
    const r = JSON.parse(cli('replay', 'traces/qemu612-both-strict.csv.gz', '-s', 'linux-strict', '--json').stdout);
    expect(r.results[0].devices.map((d: { device: string; class: string }) => `${d.device} ${d.class}`)).toEqual(['0000:00:02.0 net', '0000:00:03.0 disk']);
  });
});

/**
 * The paper-style figures on small hand-made results: what each figure must show a reviewer
 * (one scale per figure, CPU and IOMMU time apart, n/a apart from 0, labels on short bars), and
 * a valid SVG for each.
 */
import { describe, expect, it } from 'vitest';
import { costByCategorySpec, overheadSpec, reuseSpec, hypercallsInvalidationsSpec, costVsExposureSpec, workloadOf, HYPERCALLS, INVALIDATIONS } from '../../src/figures/paper.js';
import { CPU_PART, WALK_PART, costByCategoryData } from '../../src/figures/cost-by-category.js';
import { protectionHeatmapSpec, protectionVsCostSpec } from '../../src/figures/protection.js';
import { STRATEGY_COLORS, MAX_FIGURE_WIDTH } from '../../src/figures/style.js';
import { toSvg } from '../../src/figures/render.js';
import type { AttackReport } from '../../src/protection/attack.js';
import { result } from './results.js';

const values = (spec: any) => spec.data.values;
/** The root SVG element's width and height attributes. */
function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)![0];
  return { width: Number(/\swidth="([\d.]+)"/.exec(root)![1]), height: Number(/\sheight="([\d.]+)"/.exec(root)![1]) };
}

// One network trace (64-byte DMAs) and one disk trace (128 KiB DMAs): 100 DMAs each.
const net = [
  result('/home/me/traces/rx.csv', 'native', { cycles: { driver: 35_000 }, kib: 6.25, missRate: null, exposedKib: 500_000 }),
  result('/home/me/traces/rx.csv', 'direct-map', { cycles: { driver: 35_000, 'iotlb-walk': 0 }, kib: 6.25, missRate: 0, reuse: 1 }),
  result('/home/me/traces/rx.csv', 'single-use', { cycles: { driver: 35_000, hypercall: 200_000, 'pt-update': 50_000, 'iotlb-walk': 22_000 }, kib: 6.25, hypercalls: 200, invalidations: 100, reuse: 0 }),
  result('/home/me/traces/rx.csv', 'software', { cycles: { driver: 35_000, validate: 20_000, refcount: 5_000 }, kib: 6.25, missRate: null, hypercalls: 100 }),
];
const disk = [
  result('traces/disk.csv', 'native', { cycles: { driver: 3_500_000 }, kib: 12_800, missRate: null }),
  result('traces/disk.csv', 'single-use', { cycles: { driver: 3_500_000, hypercall: 2_000_000, 'iotlb-walk': 4_000_000 }, kib: 12_800, hypercalls: 3_200, invalidations: 3_200, reuse: 0.006 }),
];
const results = [...net, ...disk];

describe('cost by category', () => {
  it('given CPU cycles and IOMMU walk time, then the walk is a bar of its own below the CPU bar, never stacked onto it', () => {
    const { rows } = costByCategoryData(results);
    const su = rows.filter((r) => r.workload === 'rx' && r.strategy === 'single-use');
    expect(su.map((r) => [r.part, r.category])).toEqual([
      [CPU_PART, 'driver'],
      [CPU_PART, 'hypercall'],
      [CPU_PART, 'pt-update'],
      [WALK_PART, 'iotlb-walk'],
    ]);
    const spec: any = costByCategorySpec(results);
    expect(spec.spec.encoding.yOffset.field).toBe('part');
    expect(spec.spec.layer[0].encoding.x.stack).toBe('zero');
  });

  it('given a 64-byte and a 128 KiB workload, then both panels share one scale, cycles per KiB mapped', () => {
    const spec: any = costByCategorySpec(results);
    expect(spec.resolve.scale.x).toBe('shared');
    const { rows } = costByCategoryData(results);
    // 35,000 driver cycles over 6.25 KiB; 3,500,000 over 12,800 KiB
    expect(rows.find((r) => r.workload === 'rx' && r.strategy === 'native')!.cycles_per_kib).toBe(5600);
    expect(rows.find((r) => r.workload === 'disk' && r.strategy === 'native')!.cycles_per_kib).toBeCloseTo(273.4375, 6);
  });

  it('given no IOMMU (native, software) and a measured 0 walk (direct-map), then the walk bar says n/a for the first and 0 for the second, and short bars carry their value', () => {
    const { labels } = costByCategoryData(results);
    const label = (w: string, s: string, part: string) => labels.find((l) => l.workload === w && l.strategy === s && l.part === part)?.label;
    expect(label('rx', 'native', WALK_PART)).toBe('n/a');
    expect(label('rx', 'software', WALK_PART)).toBe('n/a');
    expect(label('rx', 'direct-map', WALK_PART)).toBe('0');
    // disk's CPU bars are under 12% of the longest bar (rx single-use, 45,600 per KiB)
    expect(label('disk', 'native', CPU_PART)).toBe('273');
    expect(label('rx', 'single-use', CPU_PART)).toBeUndefined();
  });
});

describe('overhead over native', () => {
  it('given native at 350 CPU cycles per DMA, then overhead is in percent with direct-map labelled 0%, on one symlog scale', () => {
    const spec: any = overheadSpec(net);
    expect(values(spec)).toEqual([
      { workload: 'rx', strategy: 'direct-map', overhead_pct: 0, label: '0%' },
      { workload: 'rx', strategy: 'single-use', overhead_pct: ((2850 - 350) / 350) * 100, label: '' },
      { workload: 'rx', strategy: 'software', overhead_pct: ((600 - 350) / 350) * 100, label: '' },
    ]);
    expect(spec.spec.layer[0].encoding.x.scale.type).toBe('symlog');
    expect(spec.resolve.scale.x).toBe('shared');
  });
});

describe('mapping reuse', () => {
  it('given strategies without mappings, a measured 0 and a tiny share, then they read n/a, 0% and 0.6%', () => {
    const data = values(reuseSpec(results));
    const label = (w: string, s: string) => data.find((d: any) => d.workload === w && d.strategy === s).label;
    expect(label('rx', 'native')).toBe('n/a');
    expect(label('rx', 'single-use')).toBe('0%');
    expect(label('disk', 'single-use')).toBe('0.6%');
    expect(label('rx', 'direct-map')).toBe('');
    expect((reuseSpec(results) as any).spec.layer[0].encoding.color.scale.range.slice(0, 2)).toEqual([STRATEGY_COLORS.native, STRATEGY_COLORS['direct-map']]);
  });
});

describe('hypercalls and IOTLB invalidations', () => {
  it('given native and software, then hypercalls are n/a for native and invalidations n/a for both, apart from measured zeros', () => {
    const data = values(hypercallsInvalidationsSpec(net));
    const cell = (s: string, what: string) => data.find((d: any) => d.strategy === s && d.what === what);
    expect(cell('native', HYPERCALLS).na).toBe('n/a');
    expect(cell('native', INVALIDATIONS).na).toBe('n/a');
    expect(cell('software', INVALIDATIONS).na).toBe('n/a');
    expect(cell('software', HYPERCALLS)).toMatchObject({ value: 1, na: '' });
    expect(cell('direct-map', HYPERCALLS)).toMatchObject({ value: 0, na: '' });
    expect(cell('single-use', INVALIDATIONS)).toMatchObject({ value: 1, na: '' });
  });

  it('given 15 workloads, then the figure fits the report column and is no wide strip, with one x scale for every panel', async () => {
    const many = Array.from({ length: 15 }, (_, i) => net.map((r) => ({ ...r, trace: `traces/workload-${i}.csv` })));
    const spec: any = hypercallsInvalidationsSpec(many.flat());
    expect(spec.resolve.scale.x).toBe('shared');
    const { width, height } = svgSize(await toSvg(spec));
    expect(width).toBeLessThanOrEqual(MAX_FIGURE_WIDTH);
    expect(width / height).toBeLessThan(2.5);
  });
});

describe('protection vs cost', () => {
  it('given points, then one shared pair of scales, a y axis with a tick every decade from 10 KiB, and workloads named by file', () => {
    const spec: any = costVsExposureSpec(results);
    const point = spec.spec.layer.find((l: any) => l.mark.type === 'point');
    expect(point.encoding.y.axis.values).toEqual([0, 10, 100, 1000, 10_000, 100_000, 1_000_000]);
    expect(spec.resolve.scale).toEqual({ x: 'shared', y: 'shared' });
    expect([...new Set(values(spec).map((d: any) => d.workload))]).toEqual(['rx', 'disk']);
  });
});

describe('figure names', () => {
  it('given paths, then a workload is the file name without extension', () => {
    expect(workloadOf('traces/qemu-e1000-lazy.csv.gz')).toBe('qemu-e1000-lazy');
    expect(workloadOf('/home/me/traces/rx.csv')).toBe('rx');
  });
});

describe('protection figures from an attack report', () => {
  it('given a partly allowed scenario, then the heat map says how many of how many got through', () => {
    const report = {
      trace: 't.csv', profile: 'xen-2008', seed: 1, samples: 4,
      matrix: [
        { strategy: 'persistent', scenario: 'never-used', attacker: 'device', injected: 4, allowed: 0, outcome: 'blocked', bytes_reachable: 0 },
        { strategy: 'persistent', scenario: 'use-after-unmap-0', attacker: 'device', injected: 4, allowed: 2, outcome: 'partly', bytes_reachable: 4096 },
      ],
      exposure: [{ strategy: 'persistent', avg_bytes: 0, max_bytes: 0, subpage_avg_bytes: 0, stale_window_ns: 0, stale_hits: 0, cycles_per_dma: 900 }],
    } as AttackReport;
    expect(values(protectionHeatmapSpec(report))).toEqual([
      { strategy: 'persistent', scenario: 'own page, never I/O', attacker: 'device', share: 0, label: '' },
      { strategy: 'persistent', scenario: 'after unmap +0', attacker: 'device', share: 0.5, label: '2/4' },
    ]);
    expect(values(protectionVsCostSpec(report))).toEqual([{ strategy: 'persistent', cycles_per_dma: 900, allowed: 2 / 8 }]);
  });
});

describe('rendering', () => {
  it('given each figure, then it renders to an SVG carrying its title', async () => {
    for (const spec of [costByCategorySpec(results), overheadSpec(results), reuseSpec(results), hypercallsInvalidationsSpec(results), costVsExposureSpec(results)]) {
      const svg = await toSvg(spec);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain((spec as any).title.text);
      expect(svg).not.toContain('/home/me');
    }
  });
});

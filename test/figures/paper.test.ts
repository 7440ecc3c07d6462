/**
 * The paper-style figure specs on small fixed result sets: exact data rows, strategy order and
 * colours shared by every figure, and a valid SVG for each.
 */
import { describe, expect, it } from 'vitest';
import { costByCategorySpec, overheadSpec, reuseSpec, hypercallsInvalidationsSpec, costVsExposureSpec, iotlbMissVsSizeSpec, workloadOf } from '../../src/figures/paper.js';
import { protectionHeatmapSpec, protectionVsCostSpec } from '../../src/figures/protection.js';
import { STRATEGY_COLORS } from '../../src/figures/style.js';
import { toSvg } from '../../src/figures/render.js';
import { readFileSync } from 'node:fs';
import type { RunResult } from '../../src/types/result.js';
import type { SweepRow } from '../../src/runs/sweep.js';
import type { AttackReport } from '../../src/protection/attack.js';

// Two strategies on one trace, given out of registry order on purpose.
const results: RunResult[] = JSON.parse(readFileSync('test/fixtures/results/before.json', 'utf8')).results.filter((r: RunResult) => r.strategy !== 'software');
results.reverse();
results.unshift({ ...results[0], strategy: 'native', cycles: { ...results[0].cycles, total: 35000, cpu: 35000, per_dma: 350, by_category: { driver: 35000 } }, reuse_rate: null, hypercalls: 0 } as RunResult);

const values = (spec: any) => spec.data.values;

describe('figure specs', () => {
  it('cost by category: one row per non-zero category, strategies in registry order, categories in report order', () => {
    const spec: any = costByCategorySpec(results);
    expect(values(spec)).toEqual([
      { workload: 't', strategy: 'native', category: 'driver', cycles_per_dma: 350 },
      { workload: 't', strategy: 'persistent', category: 'driver', cycles_per_dma: 900 },
      { workload: 't', strategy: 'single-use', category: 'driver', cycles_per_dma: 5000 },
    ]);
    expect(spec.spec.encoding.x.sort).toEqual(['native', 'single-use', 'persistent']);
    expect(spec.spec.encoding.color.scale.domain.slice(0, 3)).toEqual(['driver', 'hypercall', 'validate']);
    expect(spec.spec.encoding.y.title).toBe('cycles per DMA');
  });

  it('overhead: CPU cycles per DMA over native\'s, in percent, native left out', () => {
    expect(values(overheadSpec(results))).toEqual([
      { workload: 't', strategy: 'persistent', overhead_pct: ((900 - 350) / 350) * 100 },
      { workload: 't', strategy: 'single-use', overhead_pct: ((5000 - 350) / 350) * 100 },
    ]);
  });

  it('reuse: only strategies with mappings, with the shared colours', () => {
    const spec: any = reuseSpec(results);
    expect(values(spec)).toEqual([
      { workload: 't', strategy: 'persistent', reuse_pct: 98 },
      { workload: 't', strategy: 'single-use', reuse_pct: 0 },
    ]);
    expect(spec.spec.encoding.color.scale).toEqual({ domain: ['single-use', 'persistent'], range: [STRATEGY_COLORS['single-use'], STRATEGY_COLORS.persistent] });
  });

  it('hypercalls and invalidations per DMA, and cost vs exposure', () => {
    expect(values(hypercallsInvalidationsSpec(results)).filter((d: any) => d.what === 'hypercalls per DMA').map((d: any) => [d.strategy, d.value])).toEqual([
      ['native', 0],
      ['persistent', 0.02],
      ['single-use', 2],
    ]);
    expect(values(costVsExposureSpec(results)).map((d: any) => [d.strategy, d.cycles_per_dma, d.exposed_kib])).toEqual([
      ['native', 350, 8],
      ['persistent', 900, 8],
      ['single-use', 5000, 4],
    ]);
  });

  it('IOTLB sweep: miss rate in percent per size, strategies without translations left out', () => {
    const rows = [
      { trace: 'traces/x.csv', strategy: 'persistent', grid: { 'iotlb.entries': 16 }, iotlb: { miss_rate: 0.5 } },
      { trace: 'traces/x.csv', strategy: 'native', grid: { 'iotlb.entries': 16 }, iotlb: { miss_rate: null } },
    ] as unknown as SweepRow[];
    expect(values(iotlbMissVsSizeSpec(rows))).toEqual([{ workload: 'x', strategy: 'persistent', entries: 16, miss_pct: 50 }]);
    expect(workloadOf('traces/qemu-e1000-lazy.csv.gz')).toBe('qemu-e1000-lazy');
  });

  it('protection figures from an attack report', () => {
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

  it('every figure renders to an SVG with its title', async () => {
    for (const spec of [costByCategorySpec(results), overheadSpec(results), reuseSpec(results), hypercallsInvalidationsSpec(results), costVsExposureSpec(results)]) {
      const svg = await toSvg(spec);
      expect(svg.startsWith('<svg')).toBe(true);
      const title = typeof (spec as any).title === 'string' ? (spec as any).title : (spec as any).title.text;
      expect(svg).toContain(title);
    }
  });
});

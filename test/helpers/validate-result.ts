/** Checks that a value has the RunResult shape of the --json contract (issue #3). */
import { expect } from 'vitest';
import { CATEGORIES } from '../../src/metrics/counters.js';

const num = expect.any(Number);
const numOrNull = (v: unknown) => v === null || typeof v === 'number';

export function expectRunResultShape(r: Record<string, any>): void {
  expect(r).toMatchObject({
    trace: expect.any(String),
    strategy: expect.any(String),
    profile: expect.any(String),
    dmas: num,
    units: num,
    cycles: { total: num, by_category: expect.any(Object) },
    hypercalls: num,
    pt_updates: num,
    iotlb: { hits: num, misses: num, invalidations: num },
    mappings: { peak: num, avg: num },
    faults: num,
    exposure: { avg_bytes: num, max_bytes: num },
  });
  expect(Object.keys(r.cycles.by_category)).toEqual(CATEGORIES.map((c) => c.name));
  for (const v of Object.values(r.cycles.by_category)) expect(Number.isFinite(v)).toBe(true);
  expect(numOrNull(r.cycles.per_dma)).toBe(true);
  expect(numOrNull(r.cycles.per_unit)).toBe(true);
  expect(numOrNull(r.overhead_vs_native)).toBe(true);
  expect(numOrNull(r.reuse_rate)).toBe(true);
  if (r.reuse_rate !== null) expect(r.reuse_rate).toBeGreaterThanOrEqual(0);
  if (r.reuse_rate !== null) expect(r.reuse_rate).toBeLessThanOrEqual(1);
  if (r.per_page !== null) {
    expect(r.per_page).toMatchObject({ pages_moved: num, iotlb_lookups: num, iotlb_misses: num, iommu_reads: num, invalidations: num, pt_pages_freed: num, iommu_gbps: num, cpu_cycles: num, cores_per_100g: num, walk_misses: { pde: num, pdpte: num, pml4e: num }, walk_hits: { pde: num, pdpte: num, pml4e: num } });
  }
}

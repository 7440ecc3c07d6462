/**
 * Iotlb.invalidateBlock (one pass over the entries for a large block) drops exactly the entries,
 * and counts exactly as many, as invalidatePage on every page of the block.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Iotlb } from '../../../src/model/iommu/iotlb.js';

type Fill = { domain: number; page: number; level: number };

function filled(entries: number, ways: number, fills: Fill[]): Iotlb {
  const t = new Iotlb(entries, ways);
  for (const f of fills) t.insert(f.domain, f.level === 0 ? f.page : f.page - (f.page % 512), f.level, -(f.page * 4 + 3));
  return t;
}

describe('Iotlb.invalidateBlock', () => {
  it('given 4 KiB and 2 MiB entries of two domains, then a 64-page block drops those of its domain it covers, and counts them', () => {
    const t = filled(8, 8, [
      { domain: 0, page: 64, level: 0 },
      { domain: 0, page: 127, level: 0 },
      { domain: 0, page: 128, level: 0 },
      { domain: 1, page: 70, level: 0 },
      { domain: 0, page: 10, level: 1 },
    ]);
    expect(t.invalidateBlock(0, 64, 64)).toBe(3); // pages 64 and 127, and the 2 MiB entry over 0..511
    expect(t.occupancy).toBe(2);
  });

  it('matches invalidatePage on every page of the block (property)', () => {
    const fill = fc.record({ domain: fc.integer({ min: 0, max: 2 }), page: fc.integer({ min: 0, max: 2000 }), level: fc.constantFrom(0, 0, 0, 1) });
    fc.assert(
      fc.property(fc.array(fill, { maxLength: 80 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1900 }), fc.constantFrom(1, 2, 64, 512), fc.constantFrom([8, 2], [64, 4], [32, 32]), (fills, domain, start, pages, [entries, ways]) => {
        const a = filled(entries, ways, fills);
        const b = filled(entries, ways, fills);
        let perPage = 0;
        for (let p = start; p < start + pages; p++) perPage += b.invalidatePage(domain, p);
        expect(a.invalidateBlock(domain, start, pages)).toBe(perPage);
        for (const f of fills) for (const level of [0, 1]) expect(a.lookup(f.domain, f.page, level)).toBe(b.lookup(f.domain, f.page, level));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Lazy mode's stale-hit count without a walk per IOTLB hit (iommu.ts, iotlb.ts `present`): an
 * IOMMU that keeps which 4 KiB IOTLB entries are known present must count exactly what one that
 * walks the tables on every hit counts, whatever maps (4 KiB and 2 MiB, splits included),
 * unmaps, range unmaps, invalidations and translations come in between.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Iommu } from '../../../src/model/iommu/iommu.js';
import { C, newCounters } from '../../../src/metrics/counters.js';
import { resolveProfileByName } from '../../../src/cost/profile.js';
import { Perm } from '../../../src/types/event.js';

const P = resolveProfileByName('xen-2008', ['iotlb.entries=8', 'iotlb.ways=2']).params;

function pair(): { fast: Iommu; walk: Iommu; cf: Float64Array; cw: Float64Array } {
  const cf = newCounters();
  const cw = newCounters();
  const fast = new Iommu(cf, P);
  const walk = new Iommu(cw, P);
  fast.countStaleHits = true;
  walk.countStaleHits = true;
  walk.staleHitsByWalk = true;
  return { fast, walk, cf, cw };
}

type Op = { kind: 'map' | 'map2m' | 'unmap' | 'range' | 'invPage' | 'invDomain' | 'translate'; domain: number; page: number; pages: number };

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op['kind']>('map', 'map', 'map2m', 'unmap', 'range', 'invPage', 'invDomain', 'translate', 'translate', 'translate', 'translate'),
  domain: fc.integer({ min: 0, max: 1 }),
  // Few pages, so that translations hit entries of pages just unmapped; around a 2 MiB boundary.
  page: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 508, max: 516 })),
  pages: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(512), fc.constant(600)),
});

function apply(m: Iommu, o: Op): void {
  if (o.kind === 'map') m.mapPage(o.domain, o.page, 1000 + o.page, Perm.readWrite);
  else if (o.kind === 'map2m') m.mapPage(o.domain, o.page - (o.page % 512), 5000, Perm.readWrite, 1);
  else if (o.kind === 'unmap') m.unmapPage(o.domain, o.page);
  else if (o.kind === 'range') m.unmapRange(o.domain, o.page, o.pages);
  else if (o.kind === 'invPage') m.invalidatePage(o.domain, o.page);
  else if (o.kind === 'invDomain') m.invalidateDomain(o.domain);
  else m.translate(o.domain, o.page, Perm.read);
}

describe('stale IOTLB hits without a walk per hit', () => {
  it('given a hit on a page unmapped since its entry was filled, then it counts one stale hit; after a remap, none', () => {
    const { fast, cf } = pair();
    fast.mapPage(0, 9, 90, Perm.readWrite);
    fast.translate(0, 9, Perm.read); // miss, fill: known present
    fast.translate(0, 9, Perm.read); // hit, no walk needed
    expect(cf[C.iotlbStaleHits]).toBe(0);
    fast.unmapRange(0, 9, 1);
    fast.translate(0, 9, Perm.read);
    expect(cf[C.iotlbStaleHits]).toBe(1);
    fast.mapPage(0, 9, 91, Perm.readWrite);
    fast.translate(0, 9, Perm.read); // the old entry, but a walk finds the page mapped: not stale
    expect(cf[C.iotlbStaleHits]).toBe(1);
  });

  it('given a 2 MiB leaf split by a 4 KiB map, then hits on 4 KiB entries of its other pages are stale', () => {
    const { fast, walk, cf, cw } = pair();
    for (const m of [fast, walk]) {
      m.mapPage(0, 3, 30, Perm.readWrite);
      m.translate(0, 3, Perm.read); // 4 KiB entry for page 3
      m.mapPage(0, 0, 5000, Perm.readWrite, 1); // a 2 MiB leaf over the table: page 3 still mapped
      m.mapPage(0, 7, 70, Perm.readWrite); // splits it: page 3 is no longer mapped
      m.translate(0, 3, Perm.read);
    }
    expect(cw[C.iotlbStaleHits]).toBe(1);
    expect(cf[C.iotlbStaleHits]).toBe(1);
  });

  it('given 4 KiB entries under a 2 MiB leaf, then unmapping another page of that leaf (range or page) makes hits on them stale', () => {
    for (const unmap of [(m: Iommu) => m.unmapRange(0, 100, 2), (m: Iommu) => m.unmapPage(0, 100)]) {
      const { fast, walk, cf, cw } = pair();
      for (const m of [fast, walk]) {
        m.mapPage(0, 3, 30, Perm.readWrite);
        m.translate(0, 3, Perm.read); // 4 KiB entry for page 3, known present
        m.mapPage(0, 0, 5000, Perm.readWrite, 1); // a 2 MiB leaf replaces the table: page 3 still mapped
        m.translate(0, 3, Perm.read); // a hit, not stale
        unmap(m); // clears the whole 2 MiB leaf (Linux rounds up to it)
        m.translate(0, 3, Perm.read); // the old 4 KiB entry: stale
      }
      expect(cw[C.iotlbStaleHits]).toBe(1);
      expect(cf[C.iotlbStaleHits]).toBe(1);
    }
  });

  it('counts exactly what a walk per hit counts, for any sequence of operations (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 200 }), (ops) => {
        const { fast, walk, cf, cw } = pair();
        for (const o of ops) {
          apply(fast, o);
          apply(walk, o);
          expect(cf[C.iotlbStaleHits]).toBe(cw[C.iotlbStaleHits]);
        }
        expect(Array.from(cf)).toEqual(Array.from(cw));
      }),
      { numRuns: 500 },
    );
  });
});

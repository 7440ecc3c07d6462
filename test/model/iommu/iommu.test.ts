import { describe, expect, it } from 'vitest';
import { Iommu } from '../../../src/model/iommu/iommu.js';
import { C, newCounters } from '../../../src/metrics/counters.js';
import { resolveProfileByName } from '../../../src/cost/profile.js';
import { Perm } from '../../../src/types/event.js';

const P = resolveProfileByName('xen-2008', ['iotlb.entries=4', 'iotlb.ways=2']).params;

describe('Iommu', () => {
  it('map charges its PTE writes; a translation misses, walks 4 references, then hits', () => {
    const c = newCounters();
    const m = new Iommu(c, P);
    m.mapPage(0, 100, 5000, Perm.read);
    expect([c[C.ptUpdates], c[C.cycPtUpdate], c[C.ptTables]]).toEqual([4, 4 * P['pt.update_cycles'], 4]);
    expect(m.translate(0, 100, Perm.read)).toBe(5000);
    expect([c[C.iotlbMisses], c[C.walkRefs], c[C.cycIotlbWalk]]).toEqual([1, 4, 880]);
    expect(m.translate(0, 100, Perm.read)).toBe(5000);
    expect(c[C.iotlbHits]).toBe(1);
    expect(m.lastHostPage).toBe(5000);
  });

  it('faults: not present, and a write through a read-only mapping', () => {
    const c = newCounters();
    const m = new Iommu(c, P);
    expect(m.translate(0, 1, Perm.read)).toBe(-1);
    m.mapPage(0, 2, 7, Perm.read);
    expect(m.translate(0, 2, Perm.write)).toBe(-1);
    expect([c[C.faults], c[C.faultsNotPresent], c[C.faultsPermission]]).toEqual([2, 1, 1]);
  });

  it('a stale IOTLB entry still translates after the PTE is cleared, until it is invalidated', () => {
    const c = newCounters();
    const m = new Iommu(c, P);
    m.countStaleHits = true;
    m.mapPage(0, 9, 90, Perm.readWrite);
    m.translate(0, 9, Perm.write);
    m.unmapPage(0, 9);
    expect(m.translate(0, 9, Perm.write)).toBe(90);
    expect(c[C.iotlbStaleHits]).toBe(1);
    m.invalidatePage(0, 9);
    m.waitForInvalidations();
    expect(m.translate(0, 9, Perm.write)).toBe(-1);
    expect(c[C.cycIotlbInvalidate]).toBe(P['iotlb.invalidate_cycles'] + P['iotlb.wait_cycles']);
    expect([c[C.iotlbInvalidations], c[C.iotlbWaits], c[C.iotlbInvalidatedEntries]]).toEqual([1, 1, 1]);
  });

  it('a range invalidation is one request covering the aligned power-of-two block', () => {
    const c = newCounters();
    const m = new Iommu(c, resolveProfileByName('xen-2008', ['iotlb.entries=16', 'iotlb.ways=16']).params);
    for (const p of [8, 9, 10, 11, 12]) {
      m.mapPage(0, p, p, Perm.read);
      m.translate(0, p, Perm.read);
    }
    m.invalidateRange(0, 9, 3); // pages 9..11 -> the aligned block 8..11
    expect(c[C.iotlbInvalidations]).toBe(1);
    expect(c[C.iotlbInvalidatedEntries]).toBe(4);
    expect(m.iotlb.occupancy).toBe(1); // page 12 survives
  });

  it('live and peak mapping gauges follow the leaves', () => {
    const c = newCounters();
    const m = new Iommu(c, P);
    m.mapPage(0, 1, 1, 1);
    m.mapPage(0, 2, 2, 1);
    m.unmapPage(0, 1);
    expect([c[C.liveMappings], c[C.peakMappings]]).toEqual([1, 2]);
  });
});

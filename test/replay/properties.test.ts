/**
 * Invariants over random traces (fast-check): no strategy but native lets a device reach memory
 * its guest does not own; replay is deterministic; categories sum to the total; every map is
 * unmapped or reported live; strategies that tear mappings down leave none behind.
 */
import { describe, expect, it, vi, afterEach } from 'vitest';
import fc from 'fast-check';
import { replayText, trace } from '../helpers/replay-text.js';
import { Iommu } from '../../src/model/iommu/iommu.js';
import { MAX_IOVA_PAGES } from '../../src/model/iommu/page-table.js';
import { GUEST_SPACE_PAGES, pagesSpanned } from '../../src/types/event.js';

/** A guest owns its whole 52-bit guest-physical space: pages [0, 2^40). Buffers are drawn from
 * its low pages (RAM of 1 MiB = 256 pages, and a little past it: still its own) and from pages
 * around 2^40, where its space ends and the next guest's begins. */
const GUEST_PAGES = GUEST_SPACE_PAGES;
// Descriptor rings off: these properties are about buffers (a property below turns them on).
const SET = ['guest.memory_mib=1', 'iotlb.entries=8', 'iotlb.ways=2', 'hypercall.batch=4', 'device.ring_accesses=0'];

interface Op {
  kind: 'map' | 'unmap' | 'access';
  guest: number;
  page: number;
  offset: number;
  len: number;
  dir: number;
  pick: number;
  /** Further segments of a map (a scatter-gather DMA), each one page further on. */
  more: number;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op['kind']>('map', 'map', 'unmap', 'unmap', 'access'),
  guest: fc.integer({ min: 0, max: 1 }),
  page: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: GUEST_SPACE_PAGES - 12, max: GUEST_SPACE_PAGES + 12 })),
  offset: fc.integer({ min: 0, max: 4095 }),
  len: fc.integer({ min: 1, max: 3 * 4096 }),
  dir: fc.integer({ min: 0, max: 2 }),
  pick: fc.nat(),
  more: fc.constantFrom(0, 0, 0, 1, 2),
});

const DIRS = ['to_device', 'from_device', 'bidirectional'];

/** Turns random ops into a valid trace (unmaps pick a live handle of the same guest). */
function build(ops: Op[]): { csv: string; foreignPages: number; beyondIovaPages: number } {
  const live: { guest: number; handle: number; segs: { page: number; offset: number; len: number }[] }[] = [];
  const rows: string[] = [];
  let handle = 0;
  let ts = 0;
  let foreignPages = 0;
  // Pages IOVA = guest-physical strategies cannot map: beyond the 4-level tables' 48-bit width.
  let beyondIovaPages = 0;
  for (const o of ops) {
    ts += 1 + (o.pick % 3);
    const dev = `nic${o.guest}`;
    if (o.kind === 'map') {
      handle++;
      const segs = [];
      for (let k = 0; k <= o.more; k++) {
        const page = o.page + 5 * k;
        const addr = '0x' + (page * 4096 + o.offset).toString(16);
        rows.push(`${ts},${o.guest},${dev},net,map,${DIRS[o.dir]},${addr},${o.len},${handle},${o.pick % 5}`);
        segs.push({ page, offset: o.offset, len: o.len });
      }
      live.push({ guest: o.guest, handle, segs });
    } else if (o.kind === 'unmap') {
      const mine = live.filter((l) => l.guest === o.guest);
      if (mine.length === 0) continue;
      const l = mine[o.pick % mine.length];
      live.splice(live.indexOf(l), 1);
      rows.push(`${ts},${o.guest},${dev},net,unmap,,,,${l.handle},`);
      // the implicit device access of an unmapped buffer touches these pages
      for (const g of l.segs) {
        for (let p = 0; p < pagesSpanned(g.offset, g.len); p++) {
          if (g.page + p >= GUEST_PAGES) foreignPages++;
          if (g.page + p >= MAX_IOVA_PAGES) beyondIovaPages++;
        }
      }
    } else {
      // a device-initiated access to an arbitrary address (no handle)
      const addr = '0x' + (o.page * 4096 + o.offset).toString(16);
      rows.push(`${ts},${o.guest},${dev},net,access,${DIRS[o.dir]},${addr},${o.len},,`);
    }
  }
  return { csv: trace(...rows), foreignPages, beyondIovaPages };
}

afterEach(() => vi.restoreAllMocks());

describe('replay invariants', () => {
  it('no IOMMU strategy ever translates a device access into memory its guest does not own', async () => {
    const translated: [number, number][] = [];
    const original = Iommu.prototype.translate;
    vi.spyOn(Iommu.prototype, 'translate').mockImplementation(function (this: Iommu, domain: number, page: number, need: number) {
      const host = original.call(this, domain, page, need);
      translated.push([domain, host]);
      return host;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        translated.length = 0;
        await replayText(build(ops).csv, 'direct-map,single-use,shared,persistent', SET);
        for (const [domain, host] of translated) {
          if (host < 0) continue; // blocked
          const first = domain * GUEST_PAGES;
          expect(host).toBeGreaterThanOrEqual(first);
          expect(host).toBeLessThan(first + GUEST_PAGES);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('linux-strict, linux-lazy and shadow (per-device domains) never translate outside the guest either', async () => {
    const translated: number[] = [];
    const original = Iommu.prototype.translate;
    vi.spyOn(Iommu.prototype, 'translate').mockImplementation(function (this: Iommu, domain: number, page: number, need: number) {
      const host = original.call(this, domain, page, need);
      translated.push(host);
      return host;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(opArb.map((o) => ({ ...o, guest: 0 })), { minLength: 1, maxLength: 60 }), async (ops) => {
        translated.length = 0;
        await replayText(build(ops).csv, 'linux-strict,linux-lazy,shadow', SET);
        for (const host of translated) {
          if (host < 0) continue;
          expect(host).toBeGreaterThanOrEqual(0);
          expect(host).toBeLessThan(GUEST_PAGES); // guest 0's space: host pages [0, 2^40)
        }
      }),
      { numRuns: 60 },
    );
  });

  it('buffers a driver names outside its guest are blocked by every strategy but native', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb.filter((o) => o.kind !== 'access'), { minLength: 1, maxLength: 60 }), async (ops) => {
        const { csv, foreignPages, beyondIovaPages } = build(ops);
        const { by } = await replayText(csv, 'all', SET);
        expect(by.native.faults).toBe(0);
        for (const id of ['direct-map', 'single-use', 'shared', 'persistent', 'software', 'linux-strict', 'linux-lazy', 'shadow']) {
          // every foreign page of an accessed buffer faults (single-use, shared, persistent and
          // software refuse the whole map, so a buffer straddling the boundary faults in full);
          // strategies that map at IOVA = guest-physical address cannot map the guest's own pages
          // past the IOMMU's input width either
          const blocked = ['direct-map', 'shared', 'persistent'].includes(id) ? beyondIovaPages : foreignPages;
          expect(by[id].faults).toBeGreaterThanOrEqual(blocked);
          if (blocked === 0) expect(by[id].faults).toBe(0);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('is deterministic, sums categories to the total, and accounts for every map', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), async (ops) => {
        const { csv } = build(ops);
        const a = await replayText(csv, 'all', SET);
        const b = await replayText(csv, 'all', SET);
        expect(JSON.stringify(a.results)).toBe(JSON.stringify(b.results));
        for (const r of a.results) {
          const sum = Object.values(r.cycles.by_category).reduce((x, y) => x + y, 0);
          expect(sum).toBe(r.cycles.total);
          expect(r.dmas).toBe(r.counters.unmaps + r.live_at_end);
        }
        // strategies that tear mappings down leave none once every buffer is unmapped
        if (a.results[0].live_at_end === 0) {
          expect(a.by['single-use'].counters.live_mappings).toBe(0);
          expect(a.by.shared.counters.live_mappings).toBe(0);
          expect(a.by['single-use'].counters.in_flight_bytes).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('with descriptor rings on, no ring access ever faults: faults, hypercalls and PTE writes per run are those with rings off', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const { csv } = build(ops);
        const off = await replayText(csv, 'all', SET);
        const on = await replayText(csv, 'all', [...SET.filter((s) => !s.startsWith('device.ring_accesses')), 'device.ring_accesses=1']);
        for (const r of on.results) {
          const o = off.by[r.strategy];
          expect([r.strategy, r.faults, r.hypercalls, r.pt_updates]).toEqual([r.strategy, o.faults, o.hypercalls, o.pt_updates]);
          // one descriptor read per DMA posted, one write per DMA completed (refused maps post nothing)
          expect(r.counters.ring_accesses).toBeLessThanOrEqual(r.dmas + r.counters.unmaps);
          expect(r.counters.ring_accesses).toBeGreaterThanOrEqual(r.dmas + r.counters.unmaps - 2 * r.counters.maps_rejected);
        }
        expect(on.by.native.counters.ring_accesses).toBe(on.by.native.dmas + on.by.native.counters.unmaps);
      }),
      { numRuns: 40 },
    );
  });
});

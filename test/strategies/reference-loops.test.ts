/**
 * The flat loops against the readable reference loops (issue 17): every strategy's `consume`
 * has a flat fast loop for the common case and keeps its readable loop as the reference
 * (StrategyContext.reference, DMAREPLAY_REFERENCE=1). Both must give the same results to the
 * last bit: every counter (compared with Object.is, so -0 and NaN would show) and the full
 * results JSON, over every bundled trace under every bundled profile, and over a fuzzed corpus
 * of traces and profile settings chosen to reach the unusual paths (refused maps, explicit
 * accesses, scatter-gather lists, pages past the guest's space, tiny IOTLBs and flush queues,
 * bursts of DMAs of one unit that fands maps into one descriptor range).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { basename } from 'node:path';
import { replayTrace } from '../../src/replay/replay.js';
import { bundledTraces } from '../../src/replay/golden.js';
import { listProfileIds, resolveProfileByName } from '../../src/cost/profile.js';
import { STRATEGIES } from '../../src/strategies/index.js';
import { CANONICAL_HEADER_WITH_CPU } from '../../src/trace/canonical.js';
import { GUEST_SPACE_PAGES } from '../../src/types/event.js';
import type { RunResult } from '../../src/types/result.js';

async function both(path: string, profileId: string, set: string[] = [], source?: Buffer): Promise<[RunResult[], RunResult[]]> {
  const profile = resolveProfileByName(profileId, set);
  const run = (reference: boolean) =>
    replayTrace(path, { strategies: STRATEGIES, profile, reference, read: source ? { source: [source] } : undefined }).then((r) => r.results);
  return [await run(false), await run(true)];
}

/** Equal to the last bit: counters by Object.is, then the whole result as JSON. */
function expectSame(flat: RunResult[], reference: RunResult[], what: string): void {
  expect(flat.length).toBe(reference.length);
  for (let k = 0; k < flat.length; k++) {
    const f = flat[k];
    const r = reference[k];
    for (const name of Object.keys(r.counters)) {
      if (!Object.is(f.counters[name], r.counters[name])) {
        expect.fail(`${what}, ${r.strategy}: counter ${name} is ${f.counters[name]} with the flat loop, ${r.counters[name]} with the reference`);
      }
    }
    expect(JSON.stringify(f), `${what}, ${r.strategy}`).toBe(JSON.stringify(r));
  }
}

describe('flat loops give exactly the reference loops\' results', () => {
  for (const profileId of listProfileIds()) {
    for (const path of bundledTraces()) {
      it(`${basename(path)} under ${profileId}`, async () => {
        const [flat, reference] = await both(path, profileId);
        expectSame(flat, reference, `${basename(path)} under ${profileId}`);
      });
    }
  }

  it('DMAREPLAY_REFERENCE=1 selects the reference loops when the option is not given', async () => {
    const { useReferenceLoop } = await import('../../src/strategies/common.js');
    const ctx = { params: resolveProfileByName().params, slots: null as never };
    const before = process.env.DMAREPLAY_REFERENCE;
    try {
      process.env.DMAREPLAY_REFERENCE = '1';
      expect(useReferenceLoop(ctx)).toBe(true);
      expect(useReferenceLoop({ ...ctx, reference: false })).toBe(false);
      delete process.env.DMAREPLAY_REFERENCE;
      expect(useReferenceLoop(ctx)).toBe(false);
      expect(useReferenceLoop({ ...ctx, reference: true })).toBe(true);
    } finally {
      if (before === undefined) delete process.env.DMAREPLAY_REFERENCE;
      else process.env.DMAREPLAY_REFERENCE = before;
    }
  });

  it('a fuzzed corpus of traces and settings', async () => {
    await fc.assert(
      fc.asyncProperty(corpusArb, settingsArb, fc.constantFrom(...listProfileIds()), async (ops, set, profileId) => {
        const csv = build(ops);
        const [flat, reference] = await both('fuzz.csv', profileId, set, Buffer.from(csv));
        expectSame(flat, reference, `fuzzed trace under ${profileId} with ${set.join(' ')}\n${csv}`);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('a fuzzed corpus of longer traces (state that outgrows its first arrays)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 300, maxLength: 700 }), settingsArb, fc.constantFrom(...listProfileIds()), async (ops, set, profileId) => {
        const csv = build(ops);
        const [flat, reference] = await both('fuzz.csv', profileId, set, Buffer.from(csv));
        expectSame(flat, reference, `fuzzed trace under ${profileId} with ${set.join(' ')}`);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

interface FuzzOp {
  kind: 'map' | 'unmap' | 'access' | 'stray';
  guest: number;
  device: number;
  page: number;
  offset: number;
  len: number;
  dir: number;
  pick: number;
  more: number;
  burst: number;
  cpu: number;
  dt: number;
}

/** Pages: low RAM, the top of a 1 MiB RAM (the rings), around 2 MiB blocks, and the end of a
 * guest's space (refused maps). */
const pageArb = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  fc.integer({ min: 500, max: 530 }),
  fc.integer({ min: GUEST_SPACE_PAGES - 6, max: GUEST_SPACE_PAGES + 6 }),
);

const opArb: fc.Arbitrary<FuzzOp> = fc.record({
  kind: fc.constantFrom<FuzzOp['kind']>('map', 'map', 'map', 'unmap', 'unmap', 'unmap', 'access', 'stray'),
  guest: fc.integer({ min: 0, max: 2 }),
  device: fc.integer({ min: 0, max: 2 }),
  page: pageArb,
  offset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4095 })),
  len: fc.oneof(fc.constant(4096), fc.integer({ min: 1, max: 3 * 4096 }), fc.integer({ min: 1, max: 40 * 4096 })),
  dir: fc.integer({ min: 0, max: 2 }),
  pick: fc.nat(),
  more: fc.constantFrom(0, 0, 0, 0, 1, 3),
  burst: fc.constantFrom(0, 0, 0, 1, 2, 5),
  cpu: fc.integer({ min: 0, max: 3 }),
  dt: fc.constantFrom(0, 0, 1, 7, 1_000, 3_000_000, 20_000_000),
});

const corpusArb = fc.array(opArb, { minLength: 1, maxLength: 80 });

/** Profile settings that reach the models' corners: small caches, batching on and off, tiny
 * flush queues and timers, rings on and off, the invalidation hint, persistent capacity, fands'
 * descriptor ranges small (a DMA of more pages than the range is mapped as linux-strict maps it),
 * as large as a leaf table (its unmap frees the table), off, and without IH. */
const settingsArb: fc.Arbitrary<string[]> = fc
  .record({
    iotlb: fc.constantFrom('iotlb.entries=4,iotlb.ways=2', 'iotlb.entries=8,iotlb.ways=1', 'iotlb.entries=64,iotlb.ways=4', ''),
    batch: fc.constantFrom('hypercall.batch=1', 'hypercall.batch=3', ''),
    rings: fc.constantFrom('device.ring_accesses=0', 'device.ring_accesses=1', ''),
    fq: fc.constantFrom('linux.fq_size=2', 'linux.fq_size=4,linux.fq_per_cpu=0', 'linux.fq_timeout_ms=1', ''),
    ih: fc.constantFrom('iommu.ih=0', 'iommu.ih=1', ''),
    capacity: fc.constantFrom('persistent.capacity=3', ''),
    mem: fc.constantFrom('guest.memory_mib=1', 'guest.memory_mib=2', ''),
    iova: fc.constantFrom('iova.magazine_size=2,iova.depot_magazines=1', 'iova.cached_max_pages=1', ''),
    pwc: fc.constantFrom('iommu.pwc_pde_entries=0,iommu.pwc_pdpte_entries=0,iommu.pwc_pml4e_entries=0', ''),
    fands: fc.constantFrom('fands.batch_pages=1', 'fands.batch_pages=4', 'fands.batch_pages=512', 'fands.contiguous=0', 'fands.ih=0', 'fands.cached_max_pages=1', ''),
  })
  .map((r) => Object.values(r).flatMap((s) => (s === '' ? [] : s.split(','))));

const DIRS = ['to_device', 'from_device', 'bidirectional'];
const DEVICES = ['nic0', 'vda', 'nic1'];
const CLASSES = ['net', 'disk', 'net'];

/** Turns random ops into a valid trace with a cpu column: unmaps close a live DMA of the same
 * guest and device, accesses name a live DMA's page (or, `stray`, any address). */
function build(ops: FuzzOp[]): string {
  const live: { guest: number; device: number; handle: number; page: number; dir: number }[] = [];
  const rows: string[] = [CANONICAL_HEADER_WITH_CPU];
  let handle = 0;
  let ts = 0;
  for (const o of ops) {
    ts += o.dt;
    const dev = DEVICES[o.device];
    const cls = CLASSES[o.device];
    const addr = (page: number, offset: number) => '0x' + (page * 4096 + offset).toString(16);
    const unit = o.pick % 4 === 0 ? '' : String(o.pick % 3);
    if (o.kind === 'map') {
      // A burst: more DMAs posted right after, same guest, device and unit (one descriptor's
      // packets, which fands maps into one IOVA range), at the same page, the next ones, or
      // every other one.
      for (let m = 0; m <= o.burst; m++) {
        handle++;
        const page = o.page + m * (o.pick % 3);
        for (let k = 0; k <= o.more; k++) {
          rows.push(`${ts},${o.guest},${dev},${cls},map,${DIRS[o.dir]},${addr(page + 3 * k, k === 0 ? o.offset : 0)},${o.len},${handle},${unit},${o.cpu}`);
        }
        live.push({ guest: o.guest, device: o.device, handle, page, dir: o.dir });
      }
    } else if (o.kind === 'unmap' || o.kind === 'access') {
      const mine = live.filter((l) => l.guest === o.guest && l.device === o.device);
      if (mine.length === 0) continue;
      const l = mine[o.pick % mine.length];
      if (o.kind === 'unmap') {
        live.splice(live.indexOf(l), 1);
        rows.push(`${ts},${o.guest},${dev},${cls},unmap,,,,${l.handle},${unit},${o.cpu}`);
      } else {
        rows.push(`${ts},${o.guest},${dev},${cls},access,${DIRS[o.dir]},${addr(l.page + (o.pick % 2), o.offset)},${Math.min(o.len, 8192)},${l.handle},,${o.cpu}`);
      }
    } else {
      rows.push(`${ts},${o.guest},${dev},${cls},access,${DIRS[o.dir]},${addr(o.page, o.offset)},${Math.min(o.len, 8192)},,,${o.cpu}`);
    }
  }
  return rows.join('\n') + '\n';
}

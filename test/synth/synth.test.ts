/**
 * Synthetic workloads: deterministic for a seed, valid canonical traces that the reader gives back
 * exactly (synth -> CSV -> read), and each model's documented shape.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { synthesize, writeSynth, WORKLOAD_IDS, eventLine } from '../../src/synth/index.js';
import { CanonicalCsvReader } from '../../src/trace/csv-reader.js';
import { Diagnostics } from '../../src/trace/diagnostics.js';
import { replayText } from '../helpers/replay-text.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';
import type { SynthEvent } from '../../src/synth/types.js';

async function text(workload: string, opts: Parameters<typeof writeSynth>[2]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c) => chunks.push(c));
  await writeSynth(out, workload, opts);
  out.end();
  return Buffer.concat(chunks).toString();
}

describe('synth', () => {
  it('same workload, options and seed give byte-identical output; another seed differs', async () => {
    for (const w of WORKLOAD_IDS) {
      const a = await text(w, { dmas: 500, seed: 3, guests: 2 });
      const b = await text(w, { dmas: 500, seed: 3, guests: 2 });
      expect(a).toBe(b);
      if (w.startsWith('disk') || w === 'mixed') expect(await text(w, { dmas: 500, seed: 4, guests: 2 })).not.toBe(a);
    }
  });

  it('every workload gives a clean trace: time-ordered, every map unmapped, no problems in replay', async () => {
    for (const w of WORKLOAD_IDS) {
      const csv = await text(w, { dmas: 400, seed: 1 });
      const r = await replayText(csv, 'native');
      expect(r.diagnostics.total, w).toBe(0);
      expect(r.by.native.dmas, w).toBeGreaterThanOrEqual(400);
      expect(r.by.native.live_at_end, w).toBe(0);
    }
  });

  it('property: synth -> CSV -> read gives back the same events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WORKLOAD_IDS), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 300 }), async (w, seed, dmas) => {
        const events: SynthEvent[] = [...synthesize(w, { dmas, seed })];
        const csv = [CANONICAL_HEADER, ...events.map((e) => eventLine(e))].join('\n') + '\n';
        const reader = new CanonicalCsvReader('synth.csv', new Diagnostics(true), { source: [Buffer.from(csv)] });
        let k = 0;
        for await (const b of reader.batches()) {
          for (let i = 0; i < b.length; i++, k++) {
            const e = events[k];
            expect(b.ts[i]).toBe(e.ts);
            expect(b.guest[i]).toBe(e.guest);
            expect(reader.devices.names[b.device[i]]).toBe(e.device);
            expect(b.op[i]).toBe(e.op === 'map' ? 0 : e.op === 'unmap' ? 1 : 2);
            expect(b.page[i] * 4096 + b.offset[i]).toBe(e.addr);
            expect(b.len[i]).toBe(e.len);
            expect(b.handleHi[i] * 2 ** 32 + b.handleLo[i]).toBe(e.handle);
          }
        }
        expect(k).toBe(events.length);
      }),
      { numRuns: 25 },
    );
  });

  it('netperf-rx: a full ring at start, buffers refilled per poll and recycled', () => {
    const ev = [...synthesize('netperf-rx', { dmas: 2000, seed: 1 })];
    const maps = ev.filter((e) => e.op === 'map');
    expect(maps.filter((e) => e.ts === 0)).toHaveLength(256);
    expect(maps.every((e) => e.len === 2048 && e.dir === 'from_device' && e.device === 'nic0')).toBe(true);
    // refills come in groups of poll_frames (10) at one time
    const refillTimes = new Map<number, number>();
    for (const e of maps.filter((m) => m.ts > 0)) refillTimes.set(e.ts, (refillTimes.get(e.ts) ?? 0) + 1);
    // (the last poll may refill fewer: the budget ran out)
    expect([...refillTimes.values()].slice(0, -1).every((n) => n === 10)).toBe(true);
    // recycling: far fewer distinct buffers than maps
    expect(new Set(maps.map((m) => m.addr)).size).toBeLessThan(400);
  });

  it('netperf-tx: a 66-byte header and 32 KiB fragments per 64 KiB send, all unmapped together', () => {
    const ev = [...synthesize('netperf-tx', { dmas: 30, seed: 1 })];
    const first = ev.filter((e) => e.unit === 0);
    expect(first.filter((e) => e.op === 'map').map((e) => e.len)).toEqual([66, 32768, 32768]);
    expect(new Set(first.filter((e) => e.op === 'unmap').map((e) => e.ts)).size).toBe(1);
    // 1 Gb/s: 46 MSS frames of 1538 bytes on the wire per 64 KiB send
    const second = ev.find((e) => e.unit === 1 && e.op === 'map')!;
    expect(second.ts).toBe(Math.round((46 * 1538 * 8 * 1000) / 1000));
  });

  it('disk-rand-write: requests of 1-16 pages, at most 32 in flight, completing out of order', () => {
    const ev = [...synthesize('disk-rand-write', { dmas: 3000, seed: 2 })];
    let live = 0;
    let peak = 0;
    const units = new Set<number>();
    for (const e of ev) {
      if (e.op === 'map' && !units.has(e.unit)) {
        units.add(e.unit);
        live++;
      }
      peak = Math.max(peak, live);
      if (e.op === 'unmap' && ev.filter((x) => x.unit === e.unit && x.op === 'unmap').at(-1) === e) live--;
    }
    expect(peak).toBe(32);
    const unmapOrder = ev.filter((e) => e.op === 'unmap').map((e) => e.unit);
    expect(unmapOrder).not.toEqual([...unmapOrder].sort((a, b) => a - b));
  });

  it('given a disk workload, then each request is one scatter-gather DMA: DMAs equal requests, and linux-strict allocates one IOVA range per request', async () => {
    for (const w of ['disk-seq-read', 'disk-rand-write']) {
      const csv = await text(w, { dmas: 40, seed: 3 });
      const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','));
      const unmaps = rows.filter((r) => r[4] === 'unmap');
      // one unmap per request; every map row of a request shares its handle and time
      expect(new Set(unmaps.map((r) => r[9])).size).toBe(40);
      expect(unmaps.length).toBe(40);
      const { by } = await replayText(csv, 'linux-strict,single-use');
      const strict = by['linux-strict'];
      expect([strict.dmas, strict.units, strict.counters.iova_allocs, strict.iotlb.waits]).toEqual([40, 40, 40, 40]);
      expect(strict.segments).toBeGreaterThan(40);
      expect(by['single-use'].hypercalls).toBeLessThanOrEqual(80);
    }
    // disk-seq-read: 128 KiB readahead = 32 scattered pages per request
    const seq = [...synthesize('disk-seq-read', { dmas: 3, seed: 1 })].filter((e) => e.op === 'map');
    expect(seq.reduce((n, e) => n + e.len, 0)).toBe(3 * 128 * 1024);
  });

  it('rx-100g: 64-page descriptors per queue, one DMA per page under the descriptor\'s unit, a packet per page, ACKs on the TX side, the queue\'s CPU on every row', () => {
    const ev = [...synthesize('rx-100g', { dmas: 5 * 4 * 64 + 64, seed: 1 })];
    const maps = ev.filter((e) => e.op === 'map' && e.dir === 'from_device');
    // 5 queues x 4 descriptors (a 256-packet ring) posted at 0
    expect(maps.filter((e) => e.ts === 0).length).toBe(5 * 4 * 64);
    const firstWqe = maps.filter((e) => e.unit === 0);
    expect(firstWqe.length).toBe(64);
    expect(new Set(firstWqe.map((e) => e.cpu))).toEqual(new Set([0]));
    // packets arrive every 4000 x 8 / 100 Gb/s = 320 ns, round robin over the 5 queues
    const acc = ev.filter((e) => e.op === 'access');
    expect(acc.slice(0, 6).map((e) => [e.ts, e.cpu])).toEqual([[320, 0], [640, 1], [960, 2], [1280, 3], [1600, 4], [1920, 0]]);
    // ACKs: 0.044 per page, 66-byte to_device DMAs with no unit
    const acks = ev.filter((e) => e.op === 'map' && e.dir === 'to_device');
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((e) => e.len === 66 && e.unit === -1)).toBe(true);
    // every map is unmapped
    expect(ev.filter((e) => e.op === 'unmap').length).toBe(ev.filter((e) => e.op === 'map').length);
  });

  it('rejects unknown workloads and knobs, and a trace without a length', () => {
    expect(() => [...synthesize('netperf', { dmas: 1 })]).toThrow(/unknown workload 'netperf'.*valid: netperf-tx/);
    expect(() => [...synthesize('netperf-rx', { dmas: 1, knobs: { rign: 3 } })]).toThrow(/no knob 'rign' \(did you mean 'ring'\?\)/);
    expect(() => [...synthesize('netperf-rx', {})]).toThrow(/--dmas N or --duration-ms D/);
  });
});

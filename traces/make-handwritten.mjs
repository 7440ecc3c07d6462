#!/usr/bin/env node
// Writes the four small scenario traces described in traces/README.md ("Hand-written scenario
// traces"): scenario-rx-ring8.csv, scenario-tx-pool.csv, scenario-two-guests-shared.csv, scenario-disk-qd4.csv, into the directory of
// this script. Deterministic (a fixed-seed PRNG; no clock, no Math.random): running it again
// gives the same bytes. Each trace is checked before it is written (see check() below).
//
//   node traces/make-handwritten.mjs
//
// Plain Node (>= 20); it takes the tool's seeded PRNG (mulberry32, src/util/prng.ts) from the
// build, so run `npm run build` first. A one-off generator, not part of the tool.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../dist/util/prng.js';

const HEADER = 'ts_ns,guest,device,class,op,dir,addr,len,handle,unit';
const PAGE = 4096;
const GUEST_MEM = 0x40000000; // the model's default guest memory: 1 GiB
const US = 1000; // timestamps are written in ns, chosen in whole microseconds


/**
 * Collects rows; map() returns the map row, which unmap() takes back; mapList() makes one
 * scatter-gather DMA (a map row per segment, one handle; one unmap() takes it back). Handles are
 * given at the end, counting up from 1 per guest+device in time order, so they read like a
 * driver's descriptor sequence numbers.
 */
class Trace {
  rows = [];
  map(ts, guest, device, cls, dir, addr, len, unit = '') {
    const m = { ts, guest, device, cls, op: 'map', dir, addr, len, handle: 0, unit };
    this.rows.push(m);
    return m;
  }
  /** One DMA of one segment per address (each `len` bytes), as dma_map_sg maps a list. */
  mapList(ts, guest, device, cls, dir, addrs, len, unit = '') {
    const segs = addrs.map((addr) => ({ ts, guest, device, cls, op: 'map', dir, addr, len, handle: 0, unit }));
    for (const m of segs) m.list = segs;
    this.rows.push(...segs);
    return segs[0];
  }
  unmap(ts, m) {
    // The unmap of a plain buffer repeats its map's dir, addr and len (allowed, and easier to
    // read); that of a list leaves them empty (one unmap ends every segment).
    this.rows.push({ ts, op: 'unmap', of: m });
  }
  /** Stable sort by time (rows of one instant keep the order they were made in), then handles. */
  sorted() {
    const rows = this.rows.map((r, i) => [r, i]).sort((x, y) => x[0].ts - y[0].ts || x[1] - y[1]).map((x) => x[0]);
    const next = new Map();
    for (const r of rows) {
      if (r.op !== 'map' || (r.list && r.list[0] !== r)) continue;
      const key = `${r.guest}/${r.device}`;
      r.handle = next.get(key) ?? 1;
      next.set(key, r.handle + 1);
      if (r.list) for (const m of r.list) m.handle = r.handle;
    }
    return rows.map((r) => (r.op !== 'unmap' ? r : r.of.list ? { ...r.of, ts: r.ts, op: 'unmap', dir: '', addr: null, len: '', list: undefined } : { ...r.of, ts: r.ts, op: 'unmap' }));
  }
}

const hex = (a) => (a === null ? '' : '0x' + a.toString(16));
const line = (r) => [r.ts, r.guest, r.device, r.cls, r.op, r.dir, hex(r.addr), r.len, r.handle, r.unit].join(',');

/**
 * The rules a canonical trace must keep for the replay to accept every row, plus a few of our own
 * so the scenarios stay realistic: non-decreasing integer ts; addresses below 1 GiB; handles
 * unique among live maps of one guest+device; every unmap matching a live map (same geometry);
 * no two live buffers of one guest overlapping in bytes; nothing left mapped at the end.
 */
function check(name, rows) {
  let last = 0;
  const live = new Map();
  rows.forEach((r, i) => {
    const where = `${name}:${i + 2}`;
    if (!Number.isInteger(r.ts) || r.ts < last) throw new Error(`${where}: time goes backwards`);
    last = r.ts;
    if (r.op === 'map' && (r.addr < 0 || r.addr + r.len > GUEST_MEM || r.len <= 0)) throw new Error(`${where}: buffer outside guest memory`);
    const key = `${r.guest}/${r.device}/${r.handle}`;
    if (r.op === 'map' && r.list && r.list[0] !== r) {
      // A further segment of the list mapped by the rows just before it.
      if (rows[i - 1].handle !== r.handle || rows[i - 1].op !== 'map') throw new Error(`${where}: segment does not follow its list`);
      for (const o of live.values()) {
        if (o.guest === r.guest && r.addr < o.addr + o.len && o.addr < r.addr + r.len) throw new Error(`${where}: overlaps a live buffer (${o.device} handle ${o.handle})`);
      }
      live.set(`${key}/${r.addr}`, r);
      return;
    }
    if (r.op === 'map') {
      if (live.has(key)) throw new Error(`${where}: handle ${r.handle} already live`);
      for (const o of live.values()) {
        if (o.guest === r.guest && r.addr < o.addr + o.len && o.addr < r.addr + r.len) throw new Error(`${where}: overlaps a live buffer (${o.device} handle ${o.handle})`);
      }
      live.set(key, r);
    } else {
      const m = live.get(key);
      if (!m) throw new Error(`${where}: unmap with no live map`);
      if (m.list) {
        if (r.addr !== null || r.unit !== m.unit) throw new Error(`${where}: a list's unmap names no segment`);
        for (const seg of m.list.slice(1)) live.delete(`${key}/${seg.addr}`);
      } else if (m.addr !== r.addr || m.len !== r.len || m.dir !== r.dir || m.unit !== r.unit) throw new Error(`${where}: unmap geometry differs from its map`);
      live.delete(key);
    }
  });
  if (live.size > 0) throw new Error(`${name}: ${live.size} buffers still mapped at the end`);
}

// ---------------------------------------------------------------------------------------------
// 1. scenario-rx-ring8.csv: an 8-entry RX ring of 2 KiB buffers (two per page), recycled in place.
function rxRecycle() {
  const t = new Trace();
  const RING = 8;
  const BUF = 2048;
  const BASE = 0x2000000;
  const FRAMES = 96; // 12 trips round the ring
  const FRAME_GAP = 12; // us between frames: a 1538-byte wire frame at 1 Gb/s is 12.3 us
  const POLL_EVERY = 4; // frames per interrupt / NAPI poll
  const IRQ_US = 8; // frame arrival -> poll
  const addr = (slot) => BASE + slot * BUF;
  const posted = new Array(RING);
  // ifup: the driver fills the ring, all in one go. The unit of a buffer is the frame that will
  // land in it: the buffer of ring slot s receives frames s, s + 8, s + 16, ...
  for (let s = 0; s < RING; s++) posted[s] = t.map(0, 0, 'nic0', 'net', 'from_device', addr(s), BUF, s);
  let ts = 0;
  for (let first = 0; first < FRAMES; first += POLL_EVERY) {
    const lastFrame = first + POLL_EVERY - 1;
    const arrival = (10 + lastFrame * FRAME_GAP) * US;
    ts = arrival + IRQ_US * US;
    // The poll hands each frame up the stack: its buffer is unmapped, 1 us per frame...
    for (let n = first; n <= lastFrame; n++) {
      t.unmap(ts, posted[n % RING]);
      ts += US;
    }
    // ...then refills the emptied slots with the same buffers (recycled), in one batch. The last
    // refill's buffers receive no frame before ifdown: no unit.
    for (let n = first; n <= lastFrame; n++) {
      const next = n + RING;
      posted[n % RING] = t.map(ts, 0, 'nic0', 'net', 'from_device', addr(n % RING), BUF, next < FRAMES ? next : '');
    }
  }
  // ifdown 100 us later: the posted buffers are unmapped.
  ts += 100 * US;
  for (let s = 0; s < RING; s++) t.unmap(ts, posted[s]);
  return t.sorted();
}

// ---------------------------------------------------------------------------------------------
// 2. scenario-tx-pool.csv: TX packets of a 54-byte header plus 1-3 fragments from a recycled 16-page
//    pool, two of them 64 KiB TSO sends; completions in order a few microseconds after the wire.
function txMultipage() {
  const t = new Trace();
  const HDR = 54; // Ethernet 14 + IPv4 20 + TCP 20 (no TCP options)
  const MSS = 1460; // 1500-byte MTU - IPv4 20 - TCP 20
  const HDR_BASE = 0x3100000; // skb heads: 8 recycled kmalloc-512 objects, all in one page
  const POOL = 0x3000000; // page-frag pool: 16 pages, handed out in order and wrapped round
  const POOL_BYTES = 16 * PAGE;
  let cursor = 0xf00; // so the first fragment is 0x3000f00 + 1500: it spans two pages
  const frag = (len, align = 64) => {
    cursor = Math.ceil(cursor / align) * align;
    if (cursor + len > POOL_BYTES) cursor = 0;
    const a = POOL + cursor;
    cursor += len;
    return a;
  };
  // Payload fragment lengths of each packet; 'tso16' = 16 fragments of one page (64 KiB),
  // 'tso2' = two 32 KiB fragments (8 pages each).
  const packets = [
    [1500], [1460], [1460, 1460], [1000, 448], [1460],
    [512, 1460, 936], [1460], [1460, 1460, 1460], [200], 'tso16',
    [1460], [1460, 1460], [700, 748], [1460], [1500],
    [1460, 1460], [64], [1460, 1460, 1460], [1460], 'tso2',
    [1460], [1000, 1000, 1000], [1460, 1460], [1460], [300, 1148],
    [1460], [1460, 1460, 1460], [1460], [1460, 1000], [1460],
  ];
  const WIRE_NS_PER_BYTE = 8; // 1 Gb/s
  const OVERHEAD = 24; // preamble + FCS + inter-frame gap per frame
  const COMPLETE_US = 4; // last bit on the wire -> TX completion interrupt -> unmap
  const GAP_US = 6; // the sender produces a packet about every 6 us (faster than the wire)
  let now = 0; // when the next packet is mapped
  let wireFree = 0; // when the wire is done with the packets so far
  let lastDone = 0; // completion time of the previous packet (completions are in order)
  packets.forEach((p, unit) => {
    let lens;
    if (p === 'tso16') lens = Array(16).fill(PAGE);
    else if (p === 'tso2') lens = [32768, 32768];
    else lens = p;
    const tso = typeof p === 'string';
    // A 64 KiB send needs the whole pool: the socket waits for its earlier packets to complete
    // (send buffer full), and the packets after it wait for it.
    if (tso) {
      now = Math.max(now, lastDone + US);
      cursor = 0;
    }
    const hdr = t.map(now, 0, 'nic0', 'net', 'to_device', HDR_BASE + (unit % 8) * 512, HDR, unit);
    const bufs = [hdr, ...lens.map((len) => t.map(now, 0, 'nic0', 'net', 'to_device', frag(len, tso ? PAGE : 64), len, unit))];
    const bytes = HDR + lens.reduce((a, b) => a + b, 0);
    // TSO is on: the NIC cuts every packet into MSS-sized frames, each with a copy of the header.
    const frames = Math.ceil((bytes - HDR) / MSS);
    const wire = Math.ceil(((bytes - HDR) + frames * (HDR + OVERHEAD)) * WIRE_NS_PER_BYTE / US) * US;
    wireFree = Math.max(wireFree, now) + wire;
    const done = Math.max(lastDone, wireFree + COMPLETE_US * US);
    for (const b of bufs) t.unmap(done, b);
    lastDone = done;
    now += GAP_US * US;
    if (tso) now = Math.max(now, done + US);
  });
  return t.sorted();
}

// ---------------------------------------------------------------------------------------------
// 3. scenario-two-guests-shared.csv: guests 0 and 1 use the same guest-physical addresses at the same time.
function twoGuests() {
  const t = new Trace();
  const RING = 4;
  const BUF = 2048;
  const RX = 0x2000000; // both guests' RX rings are at this GPA
  const PC = 0x5000000; // guest 0's TX pages and guest 1's page-cache pages: the same GPAs
  const FRAMES = 10;
  const rings = [
    { guest: 0, device: 'nic0', offset: 0, posted: [] },
    { guest: 1, device: 'nic1', offset: 5, posted: [] }, // frames 5 us after guest 0's
  ];
  for (const r of rings) for (let s = 0; s < RING; s++) r.posted[s] = t.map(0, r.guest, r.device, 'net', 'from_device', RX + s * BUF, BUF, s);
  let end = 0;
  for (const r of rings) {
    for (let n = 0; n < FRAMES; n++) {
      // Frame n arrives every 10 us; the driver unmaps its buffer and posts the same buffer again.
      const ts = (20 + n * 10 + r.offset) * US;
      t.unmap(ts, r.posted[n % RING]);
      const next = n + RING;
      r.posted[n % RING] = t.map(ts + US, r.guest, r.device, 'net', 'from_device', RX + (n % RING) * BUF, BUF, next < FRAMES ? next : '');
      end = Math.max(end, ts + US);
    }
  }
  // Guest 0 sends three packets (54-byte header in one page, 1460 bytes of data in the next)...
  for (let k = 0; k < 3; k++) {
    const ts = (30 + k * 40) * US;
    const h = t.map(ts, 0, 'nic0', 'net', 'to_device', PC + k * 256, 54, 100 + k);
    const d = t.map(ts, 0, 'nic0', 'net', 'to_device', PC + PAGE + k * 1536, 1460, 100 + k);
    t.unmap(ts + 16 * US, h);
    t.unmap(ts + 16 * US, d);
  }
  // ...while guest 1 writes and reads two-page requests at those same GPAs: its own memory.
  const reqs = [
    { ts: 25, done: 140, dir: 'to_device', pages: [PC, PC + PAGE] },
    { ts: 60, done: 110, dir: 'from_device', pages: [PC + 2 * PAGE, PC + 3 * PAGE] },
    { ts: 150, done: 170, dir: 'to_device', pages: [PC, PC + PAGE] }, // rewrite: reuse in guest 1
  ];
  reqs.forEach((q, id) => {
    // One request = one scatter-gather DMA (dma_map_sg), one unmap for the list.
    t.unmap(q.done * US, t.mapList(q.ts * US, 1, 'vda', 'disk', q.dir, q.pages, PAGE, id));
  });
  // Both interfaces go down.
  for (const r of rings) for (const m of r.posted) t.unmap(end + 60 * US, m);
  return t.sorted();
}

// ---------------------------------------------------------------------------------------------
// 4. scenario-disk-qd4.csv: scatter-gather reads and writes of separate page-cache pages, up to 4 in
//    flight, completing out of order.
function diskSg() {
  const t = new Trace();
  const rnd = prng(20080601);
  const REGION = 0x10000000; // page-cache pages are drawn from 256 MiB of guest memory
  const REGION_PAGES = 0x10000;
  const used = new Set();
  const freshPage = () => {
    for (;;) {
      const p = Math.floor(rnd() * REGION_PAGES);
      if (!used.has(p)) {
        used.add(p);
        return REGION + p * PAGE;
      }
    }
  };
  // Request sizes in pages (4-32, most small: the file stays under 400 rows) and directions.
  const sizes = [8, 4, 4, 32, 4, 4, 6, 4, 4, 14, 4, 4, 4, 5, 4, 8, 4, 4, 4, 4,
                 4, 4, 6, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4];
  const writes = new Set([3, 5, 8, 12, 13, 17, 20, 24, 27, 30, 33, 36]);
  // Pages of completed requests: a write's first two pages are, half the time, such a page
  // dirtied again and written back (a file's tail page, a rewritten block): the little reuse.
  const donePages = [];
  const QD = 4;
  const inflight = []; // { done, maps, write }
  let now = 0;
  const retire = (until) => {
    inflight.sort((a, b) => a.done - b.done);
    while (inflight.length > 0 && inflight[0].done <= until) {
      const q = inflight.shift();
      t.unmap(q.done, q.dma);
      donePages.push(...q.pages); // may be dirtied and written back later
    }
  };
  sizes.forEach((n, id) => {
    if (id > 0) now += Math.floor(5 + rnd() * 40) * US; // the next request is issued 5-45 us later...
    retire(now);
    if (inflight.length >= QD) {
      // ...or, with the queue full, when the first of the in-flight requests completes.
      inflight.sort((a, b) => a.done - b.done);
      now = Math.max(now, inflight[0].done);
      retire(now);
    }
    const write = writes.has(id);
    const pages = [];
    for (let k = 0; k < n; k++) {
      if (write && k < 2 && donePages.length > 8 && rnd() < 0.5) {
        const i = Math.floor(rnd() * donePages.length);
        pages.push(donePages.splice(i, 1)[0]); // a page read or written earlier, dirty again
      } else pages.push(freshPage());
    }
    // One request = one scatter-gather DMA of its pages (dma_map_sg), one unmap for the list.
    const dma = t.mapList(now, 0, 'vda', 'disk', write ? 'to_device' : 'from_device', pages, PAGE, id);
    // Service: command overhead + a seek/rotation of 0.05-0.6 ms + 20 us per page transferred,
    // so completions come out of order (NCQ reorders requests).
    const service = 30 + Math.floor(rnd() * 550) + 20 * n;
    inflight.push({ done: now + service * US, dma, pages, write });
  });
  retire(Infinity);
  return t.sorted();
}

const here = dirname(fileURLToPath(import.meta.url));
for (const [name, make] of [
  ['scenario-rx-ring8.csv', rxRecycle],
  ['scenario-tx-pool.csv', txMultipage],
  ['scenario-two-guests-shared.csv', twoGuests],
  ['scenario-disk-qd4.csv', diskSg],
]) {
  const rows = make();
  check(name, rows);
  writeFileSync(join(here, name), [HEADER, ...rows.map(line)].join('\n') + '\n');
  const span = (rows[rows.length - 1].ts - rows[0].ts) / US;
  process.stdout.write(`${name}: ${rows.length} rows, ${span} us\n`);
}

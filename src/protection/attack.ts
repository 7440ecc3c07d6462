/**
 * Protection evaluation: misbehaving DMAs injected into a real replay.
 *
 *   pass 1  survey the trace: guests, pages ever mapped, candidate injection points
 *   choose  N points per scenario with a seeded PRNG (same seed, same points)
 *   pass 2  replay it one event at a time through every strategy (the same VMM / IOMMU /
 *           device models as `replay`), and at each chosen point inject the scenario's DMA
 *           into every strategy: it is blocked when the model faults it (or the VMM refuses),
 *           allowed when it reaches the target host page
 *   matrix  strategy x scenario x attacker: injected, allowed, outcome, bytes reachable
 *
 * A driver attack is an access through a descriptor the driver posts (the software strategy's
 * VMM validates those); a device attack is a DMA the device issues on its own. Both go through
 * the strategy's IOMMU when it has one.
 */
import { openTrace } from '../trace/open.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { BufferTracker } from '../replay/buffer-tracker.js';
import { replayTrace } from '../replay/replay.js';
import { C } from '../metrics/counters.js';
import { Dir, EventBatch, GUEST_SPACE_PAGES, MAX_GUESTS, Op, Origin, PAGE_SIZE } from '../types/event.js';
import { TripleKeyMap, hiOf } from '../util/triple-key-map.js';
import { VMM_BASE_PAGE, VMM_PAGES } from '../model/vmm/vmm.js';
import { SgList } from '../model/device/sg-list.js';
import type { ResolvedProfile } from '../cost/profile.js';
import type { AttackProbe, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { SCENARIOS, USE_AFTER_UNMAP_DELAYS_NS, type Attacker } from './scenarios.js';
import { UsageError } from '../util/errors.js';
import { prng } from '../util/prng.js';

export type Outcome = 'blocked' | 'allowed' | 'partly';

export interface MatrixCell {
  strategy: string;
  scenario: string;
  attacker: Attacker;
  injected: number;
  allowed: number;
  outcome: Outcome;
  /** Largest number of target bytes one allowed injection could reach (0 when none got through). */
  bytes_reachable: number;
}

export interface ExposureSummary {
  strategy: string;
  avg_bytes: number;
  max_bytes: number;
  /** Bytes of in-flight pages outside their buffers, on average (page-granular strategies). */
  subpage_avg_bytes: number;
  stale_window_ns: number;
  stale_hits: number;
  cycles_per_dma: number | null;
}

export interface AttackReport {
  trace: string;
  profile: string;
  seed: number;
  samples: number;
  matrix: MatrixCell[];
  exposure: ExposureSummary[];
}

export interface AttackOptions {
  strategies: readonly StrategyDefinition[];
  profile: ResolvedProfile;
  samples?: number;
  seed?: number;
  diagnostics?: Diagnostics;
  /** Progress through the injection pass, in bytes of the trace read. */
  onProgress?: (bytesRead: number) => void;
}

/** Picks up to n distinct items, in their original order. */
function pick<T>(items: T[], n: number, rand: () => number): T[] {
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, n).sort((a, b) => a - b).map((i) => items[i]);
}

interface Survey {
  events: number;
  /** Ordinals of map rows whose buffer has free bytes in its first page, or is to_device. */
  maps: { ordinal: number; subPage: boolean; toDevice: boolean }[];
  unmaps: number[];
  /** Guest pages any DMA used, keyed (guest, page high half, page low half): numbers, not a
   * string per page (a 4 GiB DMA made a million strings). */
  usedPages: TripleKeyMap;
  /** Time-average of bytes that share a page with an in-flight buffer but lie outside every
   * in-flight buffer: what any page-granular protection leaves reachable. */
  subpageAvgBytes: number;
}

async function survey(path: string, params: ResolvedProfile['params']): Promise<Survey> {
  const diagnostics = new Diagnostics();
  const reader = await openTrace(path, diagnostics);
  const tracker = new BufferTracker(path, diagnostics, reader.devices, { txRing: params['nic.tx_ring'], rxRing: params['nic.rx_ring'], diskQueue: params['disk.queue_depth'] });
  const s: Survey = { events: 0, maps: [], unmaps: [], usedPages: new TripleKeyMap(1024), subpageAvgBytes: 0 };
  // In-flight buffers per page, to integrate the co-located bytes over time.
  const perPage = new TripleKeyMap(1024);
  let pages = 0;
  let bytes = 0;
  let area = 0;
  let first = -1;
  let last = 0;
  const count = (g: number, page: number, delta: number) => {
    const n = perPage.get(g, hiOf(page), page >>> 0);
    const next = (n < 0 ? 0 : n) + delta;
    if (next === 0) perPage.delete(g, hiOf(page), page >>> 0);
    else perPage.set(g, hiOf(page), page >>> 0, next);
    if (n <= 0 && next > 0) pages++;
    if (n > 0 && next === 0) pages--;
  };
  const sg = new SgList();
  for await (const b of reader.batches()) {
    tracker.process(b);
    for (let i = 0; i < b.length; i++) {
      if (b.op[i] > Op.access) continue; // rejected rows, and segments (seen with their DMA's first row)
      const ts = b.ts[i];
      if (first < 0) first = ts;
      area += Math.max(0, pages * PAGE_SIZE - bytes) * (ts - last);
      last = ts;
      if (b.op[i] === Op.map || b.op[i] === Op.unmap) {
        const delta = b.op[i] === Op.map ? 1 : -1;
        sg.load(b, i, tracker);
        for (let p = 0; p < sg.totalPages; p++) count(b.guest[i], sg.gpn[p], delta);
        bytes += delta * sg.totalLen;
      }
      const ordinal = s.events++;
      if (b.op[i] === Op.map) {
        const end = b.offset[i] + b.len[i];
        s.maps.push({ ordinal, subPage: b.offset[i] > 0 || end < PAGE_SIZE, toDevice: b.dir[i] === Dir.to_device });
        for (let p = 0; p < sg.totalPages; p++) s.usedPages.set(b.guest[i], hiOf(sg.gpn[p]), sg.gpn[p] >>> 0, 1);
      } else if (b.op[i] === Op.unmap) s.unmaps.push(ordinal);
    }
  }
  s.subpageAvgBytes = last > first && first >= 0 ? Math.round((area / (last - first)) * 1000) / 1000 : 0;
  return s;
}

interface Injection {
  scenario: string;
  attacker: Attacker;
  guest: number;
  device: number;
  cls: number;
  /** Device-visible page per strategy (-1: the strategy refused the buffer: blocked). */
  pages: number[];
  offset: number;
  len: number;
  dir: number;
  ts: number;
  targetHost: number;
  bytes: number;
  /** Guest page the VMM reassigns first (reassigned scenario), else -1. */
  reassignGpn: number;
}

export async function runAttacks(path: string, options: AttackOptions): Promise<AttackReport> {
  const samples = options.samples ?? 16;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError('--samples must be a whole number >= 1');
  const params = options.profile.params;
  // Targets inside a guest are drawn from its RAM; another guest's and the VMM's pages are named
  // by their host pages, beyond the guest's own 52-bit space.
  const ramPages = params['guest.memory_mib'] * (1024 * 1024 / PAGE_SIZE);
  const rand = prng(seed);
  const s = await survey(path, params);

  // Chosen points, by ordinal, per scenario.
  const at = new Map<number, string[]>();
  const choose = (scenario: string, ordinals: number[]) => {
    for (const o of pick(ordinals, samples, rand)) at.set(o, [...(at.get(o) ?? []), scenario]);
  };
  const all = Array.from({ length: s.events }, (_, i) => i);
  choose('other-guest', all);
  choose('vmm', all);
  choose('never-used', all);
  choose('use-after-unmap', s.unmaps);
  choose('sub-page', s.maps.filter((m) => m.subPage).map((m) => m.ordinal));
  choose('reassigned', s.maps.map((m) => m.ordinal));
  choose('wrong-direction', s.maps.filter((m) => m.toDevice).map((m) => m.ordinal));

  const diagnostics = options.diagnostics ?? new Diagnostics();
  const reader = await openTrace(path, diagnostics, { onProgress: options.onProgress });
  const tracker = new BufferTracker(path, diagnostics, reader.devices, { txRing: params['nic.tx_ring'], rxRing: params['nic.rx_ring'], diskQueue: params['disk.queue_depth'] });
  const ctx = { params, slots: tracker };
  const runs: StrategyRun[] = options.strategies.map((d) => d.create(ctx));
  const probes: AttackProbe[] = runs.map((r) => r.probe());
  const cells = new Map<string, MatrixCell>();
  for (const d of options.strategies) {
    for (const sc of SCENARIOS) {
      for (const attacker of sc.attackers) cells.set(`${d.id}|${sc.id}|${attacker}`, { strategy: d.id, scenario: sc.id, attacker, injected: 0, allowed: 0, outcome: 'blocked', bytes_reachable: 0 });
    }
  }

  let one = new EventBatch(1);
  const inj = new EventBatch(1);
  const pending: Injection[] = [];
  const inject = (x: Injection) => {
    runs.forEach((run, k) => {
      const cell = cells.get(`${options.strategies[k].id}|${x.scenario}|${x.attacker}`)!;
      cell.injected++;
      const page = x.pages[k];
      if (page < 0) return; // the strategy refused this buffer: the device never got an address
      const probe = probes[k];
      if (x.reassignGpn >= 0 && !probe.reassign(x.guest, x.reassignGpn)) return; // refused: pinned
      const c = run.counters;
      const faults = c[C.faults];
      if (probe.iommu) probe.iommu.lastHostPage = -1;
      inj.length = 1;
      inj.ts[0] = x.ts;
      inj.guest[0] = x.guest;
      inj.device[0] = x.device;
      inj.cls[0] = x.cls;
      inj.op[0] = Op.access;
      inj.dir[0] = x.dir;
      inj.page[0] = page;
      inj.offset[0] = x.offset;
      inj.len[0] = x.len;
      inj.slot[0] = -1;
      inj.origin[0] = x.attacker === 'driver' ? Origin.driver : Origin.device;
      run.consume(inj);
      const reached = c[C.faults] === faults && (probe.iommu === null || probe.iommu.lastHostPage === x.targetHost);
      if (x.reassignGpn >= 0) probe.restore(x.guest, x.reassignGpn);
      if (reached) {
        cell.allowed++;
        cell.bytes_reachable = Math.max(cell.bytes_reachable, x.bytes);
      }
    });
  };
  const base = (g: number) => g * GUEST_SPACE_PAGES;

  let ordinal = 0;
  let lastTs = 0;
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.length; i++) {
      // One DMA at a time: a scatter-gather DMA's segment rows go with its first row.
      let end = i + 1;
      while (end < b.length && b.continuesMap(b, end - 1, end)) end++;
      if (one.capacity < end - i) one = new EventBatch(end - i);
      for (let r = i; r < end; r++) one.copyRow(b, r, r - i);
      one.length = end - i;
      i = end - 1;
      tracker.process(one);
      if (one.op[0] === Op.skip) continue;
      const ts = one.ts[0];
      // Scheduled use-after-unmap injections whose time has come go first.
      while (pending.length > 0 && pending[0].ts < ts) inject(pending.shift()!);
      lastTs = ts;
      const here = at.get(ordinal) ?? [];
      const g = one.guest[0];
      const slot = one.slot[0];
      const devPages = (dflt: (k: number) => number) => runs.map((_, k) => dflt(k));
      if (one.op[0] === Op.unmap && here.includes('use-after-unmap')) {
        // The address each device was given for this buffer, taken before the unmap.
        const pages = devPages((k) => probes[k].devicePage(slot));
        const offset = one.offset[0];
        const len = Math.min(64, PAGE_SIZE - offset);
        const attackDir = one.dir[0] === Dir.to_device ? Dir.to_device : Dir.from_device;
        for (const [j, delay] of USE_AFTER_UNMAP_DELAYS_NS.entries()) {
          for (const attacker of ['driver', 'device'] as const) {
            pending.push({ scenario: SCENARIOS[3 + j].id, attacker, guest: g, device: one.device[0], cls: one.cls[0], pages, offset, len, dir: attackDir, ts: ts + delay, targetHost: base(g) + one.page[0], bytes: PAGE_SIZE, reassignGpn: -1 });
          }
        }
        pending.sort((a, b2) => a.ts - b2.ts);
      }
      for (let k = 0; k < runs.length; k++) runs[k].consume(one);
      if (one.op[0] === Op.map) {
        const off = one.offset[0];
        const end = off + one.len[0];
        const pages = devPages((k) => probes[k].devicePage(slot));
        const common = { guest: g, device: one.device[0], cls: one.cls[0], pages, ts, targetHost: base(g) + one.page[0], reassignGpn: -1 };
        if (here.includes('sub-page')) {
          const offset = off > 0 ? 0 : end;
          const len = Math.min(64, off > 0 ? off : PAGE_SIZE - end);
          for (const attacker of ['driver', 'device'] as const) inject({ ...common, scenario: 'sub-page', attacker, offset, len, dir: one.dir[0], bytes: PAGE_SIZE - Math.min(one.len[0], PAGE_SIZE - off) });
        }
        if (here.includes('reassigned')) inject({ ...common, scenario: 'reassigned', attacker: 'device', offset: off, len: Math.min(one.len[0], PAGE_SIZE - off), dir: one.dir[0], bytes: PAGE_SIZE, reassignGpn: one.page[0] });
        if (here.includes('wrong-direction')) inject({ ...common, scenario: 'wrong-direction', attacker: 'device', offset: off, len: Math.min(one.len[0], PAGE_SIZE - off), dir: Dir.from_device, bytes: Math.min(one.len[0], PAGE_SIZE - off) });
      }
      // Address attacks: the attacker names a page by the address an unchecked DMA would use.
      const address = (scenario: string, targetHost: number) => {
        const gpa = targetHost - base(g);
        for (const attacker of ['driver', 'device'] as const) {
          inject({ scenario, attacker, guest: g, device: one.device[0], cls: one.cls[0], pages: runs.map(() => gpa), offset: 0, len: 64, dir: Dir.from_device, ts, targetHost, bytes: PAGE_SIZE, reassignGpn: -1 });
        }
      };
      if (here.includes('other-guest') && g + 1 < MAX_GUESTS) address('other-guest', base(g + 1) + Math.floor(rand() * ramPages));
      if (here.includes('vmm')) address('vmm', VMM_BASE_PAGE + Math.floor(rand() * VMM_PAGES));
      if (here.includes('never-used')) {
        let gpn = -1;
        for (let tries = 0; tries < 64 && gpn < 0; tries++) {
          const cand = Math.floor(rand() * ramPages);
          if (s.usedPages.get(g, hiOf(cand), cand >>> 0) < 0) gpn = cand;
        }
        if (gpn >= 0) address('never-used', base(g) + gpn);
      }
      ordinal++;
    }
  }
  // Injections scheduled past the end of the trace happen then, in time order.
  for (const x of pending) inject({ ...x, ts: Math.max(x.ts, lastTs) });

  const matrix = [...cells.values()].filter((c) => c.injected > 0);
  for (const c of matrix) c.outcome = c.allowed === 0 ? 'blocked' : c.allowed === c.injected ? 'allowed' : 'partly';

  const replayed = await replayTrace(path, { strategies: options.strategies, profile: options.profile });
  const exposure = replayed.results.map((r) => ({
    strategy: r.strategy,
    avg_bytes: r.exposure.avg_bytes,
    max_bytes: r.exposure.max_bytes,
    subpage_avg_bytes: options.strategies.find((d) => d.id === r.strategy)!.protection.intraGuest === 'byte' ? 0 : s.subpageAvgBytes,
    stale_window_ns: r.counters.stale_window_ns,
    stale_hits: r.counters.iotlb_stale_hits,
    cycles_per_dma: r.cycles.per_dma,
  }));
  return { trace: path, profile: options.profile.id, seed, samples, matrix, exposure };
}

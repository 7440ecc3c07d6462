/**
 * `native`: no protection; the baseline every overhead is measured against.
 *
 * Models: the driver maps and unmaps (driver work only); the device reaches physical memory
 * directly, nothing checks it.
 * Does not model: the VMM (a native machine has none; for a guest this is "no protection").
 * Cost charged: `driver` per map and unmap.
 * Exposure: with no IOMMU the device reaches all host memory (host.memory_mib): other guests'
 * and the VMM's as well as its own guest's; all of it beyond the buffers in flight is exposed.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaPhysical, sgPhysical } from '../model/device/dma-engine.js';
import { SgList, dmaLen } from '../model/device/sg-list.js';
import { Op, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, driverCosts, fixedProbe, type DriverCosts } from './common.js';
import { RingTraffic } from './ring-traffic.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class NativeRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly hostBytes: number;
  private started = false;
  private readonly sg = new SgList();
  private readonly rings: RingTraffic;

  private readonly slots: StrategyContext['slots'];

  constructor(ctx: StrategyContext) {
    this.slots = ctx.slots;
    this.driver = driverCosts(ctx.params);
    this.hostBytes = ctx.params['host.memory_mib'] * 1024 * 1024;
    this.rings = new RingTraffic(this.counters, ctx.params, null, null, 'no-iommu');
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  consume(b: EventBatch): void {
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (!this.started) {
        this.started = true;
        c[C.reachableBytes] += this.hostBytes;
      }
      if (op === Op.map) {
        chargeMap(c, this.driver, dmaLen(b, i, this.slots));
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        if (b.implicitAccess[i] === 1) {
          if (b.segs[i] === 1) dmaPhysical(c, b.offset[i], b.len[i]);
          else sgPhysical(c, this.sg.load(b, i, this.slots));
        }
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, b.len[i]);
      } else {
        dmaPhysical(c, b.offset[i], b.len[i]);
      }
    }
    this.costs.flush(c);
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /** Physical DMA, no VMM checks: reassigning a page in use stops nothing. */
  probe(): AttackProbe {
    return fixedProbe(null, (slot) => this.slots.pageOfSlot(slot));
  }
}

export const native: StrategyDefinition = {
  id: 'native',
  summary: 'no IOMMU, no checks: driver cost only (the baseline)',
  fromPaper: true,
  hasMappings: false,
  protection: {
    interGuest: 'none',
    intraGuest: 'none',
    enforcedOnDevice: false,
    note: 'the device reaches any host page, including other guests\' and the VMM\'s',
  },
  create: (ctx) => new NativeRun(ctx),
};


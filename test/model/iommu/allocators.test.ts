import { describe, expect, it } from 'vitest';
import { IovaAllocator, IOVA_BASE_PAGE } from '../../../src/model/iommu/iova-allocator.js';
import { LinuxIovaAllocator, DMA32_LIMIT_PAGE } from '../../../src/model/iommu/linux-iova.js';
import { FlushQueue, msecsToJiffies } from '../../../src/model/iommu/flush-queue.js';
import { ShadowPool } from '../../../src/model/iommu/shadow-pool.js';

describe('IovaAllocator (single-use)', () => {
  it('bumps from the base, reuses the last freed range of the same size first', () => {
    const a = new IovaAllocator();
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE);
    expect(a.alloc(2)).toBe(IOVA_BASE_PAGE + 1);
    a.free(IOVA_BASE_PAGE, 1);
    expect(a.alloc(2)).toBe(IOVA_BASE_PAGE + 3); // no free 2-page range
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE);
  });
});

describe('LinuxIovaAllocator (rcache)', () => {
  it('rounds cacheable sizes up to a power of two; a miss takes the slow path top-down, size-aligned', () => {
    const a = new LinuxIovaAllocator(2, 1, 32);
    expect(a.roundedSize(3)).toBe(4);
    expect(a.roundedSize(33)).toBe(33);
    expect(a.alloc(3)).toBe(DMA32_LIMIT_PAGE - 4);
    expect(a.lastAllocSlow).toBe(true);
  });

  it('frees go to the loaded magazine, then the previous one, then the depot, then the tree', () => {
    const a = new LinuxIovaAllocator(2, 1, 32);
    const got = [1, 2, 3, 4, 5, 6, 7].map(() => a.alloc(1));
    for (const g of got.slice(0, 6)) {
      a.free(g, 1);
      expect(a.lastFreeSlow).toBe(0); // 2 loaded + 2 prev + 2 in a depot magazine
    }
    a.free(got[6], 1); // both magazines full and the depot full: a magazine goes back to the tree
    expect(a.lastFreeSlow).toBe(2);
    // the next allocation is served from the cache, last freed first
    expect(a.alloc(1)).toBe(got[6]);
    expect(a.lastAllocSlow).toBe(false);
  });

  it('without magazines every call is slow', () => {
    const a = new LinuxIovaAllocator(0, 0, 32);
    const x = a.alloc(1);
    a.free(x, 1);
    expect(a.lastFreeSlow).toBe(1);
    expect(a.alloc(1)).toBe(x); // the tree gives the freed range back
    expect(a.lastAllocSlow).toBe(true);
  });
});

describe('FlushQueue', () => {
  it('msecs_to_jiffies rounds up: 10 ms is 3 jiffies at HZ 250, 10 at 1000, 1 at 100', () => {
    expect([msecsToJiffies(10, 250), msecsToJiffies(10, 1000), msecsToJiffies(10, 100)]).toEqual([3, 10, 1]);
  });

  it('the timer is armed once (not re-armed while pending) and fires at the third jiffy boundary after it was armed at HZ 250, plus the softirq latency', () => {
    const q = new FlushQueue(255, true, 3, 4_000_000);
    q.arm(5_000_000, 1);
    expect([q.deadline, q.timerCpu]).toEqual([16_000_000, 1]); // jiffy 1 + 3 = jiffy 4
    q.arm(9_000_000, 0);
    expect([q.deadline, q.timerCpu]).toEqual([16_000_000, 1]);
    const late = new FlushQueue(255, true, 3, 4_000_000, 500_000);
    late.arm(0, 0);
    expect(late.deadline).toBe(12_500_000);
  });

  it('one ring per CPU (or one for all); a ring is full at its size and keeps each range\'s guest pages', () => {
    const q = new FlushQueue(2, true, 3, 4_000_000);
    const r0 = q.ring(0);
    expect(q.ring(1)).not.toBe(r0);
    r0.push(10, 1, 0, Float64Array.of(0x100), 0);
    expect(r0.full).toBe(false);
    // A scatter-gather DMA of two scattered pages: one range, both pages.
    r0.push(11, 2, 0, Float64Array.of(0x300, 0x101, 0x999), 0);
    expect(r0.full).toBe(true);
    const s1 = r0.slot(1);
    expect([...r0.gpns.subarray(r0.gpnStart[s1], r0.gpnStart[s1] + r0.pages[s1])]).toEqual([0x300, 0x101]);
    r0.shift();
    expect([r0.length, r0.iova[r0.head]]).toEqual([1, 11]);
    const shared = new FlushQueue(2, false, 3, 4_000_000);
    expect(shared.ring(5)).toBe(shared.ring(0));
  });
});

describe('ShadowPool', () => {
  it('size classes from 64 B to 4 KiB, then page runs; a page is carved into buffers handed out in address order', () => {
    expect([1, 64, 65, 1500, 4096, 4097, 9000].map(ShadowPool.classOf)).toEqual([64, 64, 128, 2048, 4096, 8192, 16384]);
    const p = new ShadowPool();
    const a = p.take(1500);
    expect(p.lastGrowPages).toBe(1);
    const b = p.take(2000);
    expect(p.lastGrowPages).toBe(0);
    expect(b - a).toBe(2048);
    p.give(a, 1500);
    expect(p.take(100 + 1500)).toBe(a);
  });
});

/**
 * Descriptor rings as the device reaches them: NIC TX and RX descriptor rings, and an NVMe-style
 * disk's submission and completion queues, live in memory the driver allocated once (Linux:
 * dma_alloc_coherent) and mapped for the device for good; the device reads a descriptor (or a
 * submission entry) for every DMA the driver posts and writes one back (or a completion entry)
 * for every DMA it completes, each through the IOMMU like any DMA.
 *
 * Models: per device, its two rings laid out page after page (NIC: TX ring of nic.tx_ring
 * descriptors then RX ring of nic.rx_ring, nic.desc_bytes each; disk: submission queue of
 * disk.queue_depth entries of disk.sqe_bytes, then completion queue of disk.cqe_bytes entries);
 * each ring's producer and consumer walk it in order, wrapping. A post reads the descriptor at the
 * producer index; a completion writes the entry at the consumer index (for the disk, the
 * completion queue's).
 * Does not model: descriptor prefetch or write-back coalescing (one access per descriptor), head
 * write-back, doorbells and MSI-X writes (MMIO, not DMA through the IOMMU), out-of-order NIC
 * completions (the consumer index advances in completion order).
 * Cost charged: none here; strategies translate the pages it names through their IOMMU.
 */
import { DeviceClass, Dir, PAGE_SIZE } from '../../types/event.js';
import type { ResolvedParams } from '../../cost/schema.js';
import { growInt32 } from '../../util/grow.js';

export class DescriptorRings {
  private readonly descBytes: number;
  private readonly sqeBytes: number;
  private readonly cqeBytes: number;
  private readonly txRing: number;
  private readonly rxRing: number;
  private readonly diskQueue: number;
  /** Per device: first page of its ring area (-1: not laid out yet), and its pages. */
  private base = new Int32Array(16).fill(-1);
  private pages = new Int32Array(16);
  /** Per device and ring (0: TX or submission, 1: RX or completion): producer and consumer index. */
  private produced = new Int32Array(32);
  private consumed = new Int32Array(32);
  /** Pages of all ring areas so far. */
  totalPages = 0;
  /** Device whose ring area the last `pageOf*` call laid out (-1: none new). */
  newDevice = -1;

  constructor(params: ResolvedParams) {
    this.descBytes = params['nic.desc_bytes'];
    this.sqeBytes = params['disk.sqe_bytes'];
    this.cqeBytes = params['disk.cqe_bytes'];
    this.txRing = params['nic.tx_ring'];
    this.rxRing = params['nic.rx_ring'];
    this.diskQueue = params['disk.queue_depth'];
  }

  /** Bytes of ring `r` (0 or 1) of a device of class `cls`, and bytes per entry. */
  private ringBytes(cls: number, r: number): [number, number] {
    if (cls === DeviceClass.disk) return r === 0 ? [this.diskQueue * this.sqeBytes, this.sqeBytes] : [this.diskQueue * this.cqeBytes, this.cqeBytes];
    return r === 0 ? [this.txRing * this.descBytes, this.descBytes] : [this.rxRing * this.descBytes, this.descBytes];
  }

  private layOut(device: number, cls: number): void {
    if (device >= this.base.length) {
      let n = this.base.length;
      while (n <= device) n *= 2;
      this.base = growInt32(this.base, n, -1);
      this.pages = growInt32(this.pages, n);
      this.produced = growInt32(this.produced, 2 * n);
      this.consumed = growInt32(this.consumed, 2 * n);
    }
    this.base[device] = this.totalPages;
    const pages = Math.ceil(this.ringBytes(cls, 0)[0] / PAGE_SIZE) + Math.ceil(this.ringBytes(cls, 1)[0] / PAGE_SIZE);
    this.pages[device] = pages;
    this.totalPages += pages;
    this.newDevice = device;
  }

  /** First page of a device's ring area and how many pages it has (after a pageOf* call). */
  areaOf(device: number): [number, number] {
    return [this.base[device], this.pages[device]];
  }

  /** Page (in the ring areas' numbering) of the entry at `index` of ring `r` of `device`. */
  private page(device: number, cls: number, r: number, index: number): number {
    // ringBytes' numbers without its tuples (this runs twice per DMA): entries of the ring, bytes
    // per entry, and bytes of ring 0 (ring 1 starts on the page after it).
    const disk = cls === DeviceClass.disk;
    const entry = disk ? (r === 0 ? this.sqeBytes : this.cqeBytes) : this.descBytes;
    const count = disk ? this.diskQueue : r === 0 ? this.txRing : this.rxRing;
    const bytes0 = disk ? this.diskQueue * this.sqeBytes : this.txRing * this.descBytes;
    const offset = (r === 1 ? Math.ceil(bytes0 / PAGE_SIZE) * PAGE_SIZE : 0) + (index % count) * entry;
    return this.base[device] + Math.floor(offset / PAGE_SIZE);
  }

  /** The DMA just posted on `device`: the page of the descriptor (or submission entry) the device
   * reads. Sets `newDevice` when this is the device's first. */
  pageOfPost(device: number, cls: number, dir: number): number {
    this.newDevice = -1;
    if (device >= this.base.length || this.base[device] < 0) this.layOut(device, cls);
    const r = cls === DeviceClass.net && dir === Dir.from_device ? 1 : 0;
    return this.page(device, cls, r, this.produced[2 * device + r]++);
  }

  /** The DMA just completed on `device`: the page of the descriptor (or completion entry) the
   * device writes. */
  pageOfCompletion(device: number, cls: number, dir: number): number {
    this.newDevice = -1;
    if (device >= this.base.length || this.base[device] < 0) this.layOut(device, cls);
    // NIC: the descriptor written back is in the ring it was posted on; disk: the completion queue.
    const ring = cls === DeviceClass.disk || dir === Dir.from_device ? 1 : 0;
    return this.page(device, cls, ring, this.consumed[2 * device + ring]++);
  }
}

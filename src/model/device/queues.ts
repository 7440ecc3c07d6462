/**
 * Device queues: the NIC's TX and RX descriptor rings and the disk's scatter-gather request
 * queue.
 *
 * Models: how many descriptors (NIC: buffers; disk: requests, i.e. live units, or buffers when
 * the trace has no units) each queue holds while they are in flight, its peak, and every time a
 * trace holds more than the modelled queue can (an overflow: the capture came from a device
 * with a larger ring, or the trace is wrong).
 * Does not model: descriptor fetch timing, doorbells, interrupts or completion order (the
 * trace's unmaps give the order).
 * Cost charged: none; the DMA accesses themselves go through dma-engine.ts.
 */
import { DeviceClass, Dir } from '../../types/event.js';
import { growInt32, growUint8 } from '../../util/grow.js';

export interface QueueCapacities {
  txRing: number;
  rxRing: number;
  diskQueue: number;
}

/** Queue of a buffer: per device, TX (or disk) = 0 and RX = 1. */
export function queueOf(device: number, cls: number, dir: number): number {
  return device * 2 + (cls === DeviceClass.net && dir === Dir.from_device ? 1 : 0);
}

export class DeviceQueues {
  private occupancy = new Int32Array(16);
  private peakOccupancy = new Int32Array(16);
  private capacityOf = new Int32Array(16);
  /** 1 once a queue's first overflow is recorded. */
  private warned = new Uint8Array(16);
  /** 1 once a queue held a bidirectional buffer (see ringKnown). */
  private undirected = new Uint8Array(16);
  overflows = 0;
  /** First overflow per queue, for one warning each: [queue, line, occupancy]. */
  readonly firstOverflow: [number, number, number][] = [];

  constructor(private readonly caps: QueueCapacities) {}

  /** Records a posted descriptor; returns true when it overflowed the queue. */
  post(queue: number, cls: number, line: number, dir: number = Dir.to_device): boolean {
    if (queue >= this.occupancy.length) this.grow(queue);
    if (dir === Dir.bidirectional) this.undirected[queue] = 1;
    if (this.capacityOf[queue] === 0) {
      this.capacityOf[queue] = cls === DeviceClass.disk ? this.caps.diskQueue : (queue & 1) === 1 ? this.caps.rxRing : this.caps.txRing;
    }
    const occ = ++this.occupancy[queue];
    if (occ > this.peakOccupancy[queue]) this.peakOccupancy[queue] = occ;
    if (occ > this.capacityOf[queue]) {
      if (this.warned[queue] === 0) {
        this.warned[queue] = 1;
        this.firstOverflow.push([queue, line, occ]);
      }
      this.overflows++;
      return true;
    }
    return false;
  }

  complete(queue: number): void {
    this.occupancy[queue]--;
  }

  /**
   * Whether the trace shows the queue as one device's ring: every buffer on it went to, or came
   * from, the device. Bidirectional buffers are what an iommu:-only capture gives for everything
   * (ingest knows neither direction nor device there): they may be on a NIC's TX or RX ring, and
   * the one device name they carry stands for every device behind the IOMMU, so an overflow of
   * such a queue says nothing about any ring's size.
   */
  ringKnown(queue: number): boolean {
    return queue < this.undirected.length && this.undirected[queue] === 0;
  }

  peak(queue: number): number {
    return queue < this.peakOccupancy.length ? this.peakOccupancy[queue] : 0;
  }

  capacity(queue: number): number {
    return queue < this.capacityOf.length ? this.capacityOf[queue] : 0;
  }

  private grow(queue: number): void {
    let n = this.occupancy.length;
    while (n <= queue) n *= 2;
    this.occupancy = growInt32(this.occupancy, n);
    this.peakOccupancy = growInt32(this.peakOccupancy, n);
    this.capacityOf = growInt32(this.capacityOf, n);
    this.warned = growUint8(this.warned, n);
    this.undirected = growUint8(this.undirected, n);
  }
}

/**
 * The descriptor-ring accesses a strategy's device makes (model/device/rings.ts), through the
 * strategy's IOMMU when it has one: a read per DMA posted, a write per DMA completed.
 *
 * Where the rings are: in the top pages of the guest's RAM (ringReservePages), one device's rings
 * after another. Strategies that give each device a domain of its own (linux-*, shadow) map them
 * at IOVA pages from RING_IOVA_BASE_PAGE, once, when the device first posts (setup); so do the
 * VMM strategies that map buffers on request (single-use, shared, persistent), in the guest's
 * domain; direct-map reaches them at their guest-physical address, as all of the guest's RAM.
 * With no IOMMU (native, software) the accesses are counted and go straight to memory.
 * Cost charged: none directly; translations charge `iotlb-walk` through the IOMMU, setup PTE
 * writes go to the setup counters.
 */
import { C } from '../metrics/counters.js';
import { DescriptorRings } from '../model/device/rings.js';
import type { Iommu } from '../model/iommu/iommu.js';
import type { Vmm } from '../model/vmm/vmm.js';
import { Perm, type EventBatch } from '../types/event.js';
import type { ResolvedParams } from '../cost/schema.js';

/** IOVA page of the first ring page in domains that map rings apart (32 TiB: far above guest
 * RAM, below the shadow pools' and single-use's ranges). */
export const RING_IOVA_BASE_PAGE = 2 ** 33;
/** Pages at the top of each guest's RAM kept for the rings (1 MiB, or half of a RAM smaller than
 * 2 MiB); shadow pools lie below. */
export function ringReservePages(ramPages: number): number {
  return Math.min(256, Math.floor(ramPages / 2));
}

/** How a strategy's device reaches its rings. */
export type RingPlacement = 'device-domain' | 'guest-domain' | 'guest-physical' | 'no-iommu';

export class RingTraffic {
  private readonly rings: DescriptorRings;
  private readonly on: boolean;

  constructor(
    private readonly c: Float64Array,
    params: ResolvedParams,
    private readonly iommu: Iommu | null,
    private readonly vmm: Vmm | null,
    private readonly placement: RingPlacement,
  ) {
    this.rings = new DescriptorRings(params);
    this.on = params['device.ring_accesses'] === 1;
  }

  /** Guest-physical page of ring-area page `p` (top of RAM, counting down; past the reserve, the
   * rings of many devices wrap round it). */
  private gpaOf(p: number): number {
    const ram = this.vmm!.ramPages;
    return ram - 1 - (p % ringReservePages(ram));
  }

  private iovaOf(p: number): number {
    return this.placement === 'guest-physical' ? this.gpaOf(p) : RING_IOVA_BASE_PAGE + p;
  }

  /** The device reads the descriptor of the DMA posted at row i. */
  posted(b: EventBatch, i: number): void {
    if (!this.on) return;
    // No IOMMU: the access is only counted, and which page it reads changes nothing.
    if (this.iommu === null) {
      this.c[C.ringAccesses]++;
      return;
    }
    this.access(b, i, this.rings.pageOfPost(b.device[i], b.cls[i], b.dir[i]), Perm.read);
  }

  /** The device writes back the completion of the DMA unmapped at row i. */
  completed(b: EventBatch, i: number): void {
    if (!this.on) return;
    if (this.iommu === null) {
      this.c[C.ringAccesses]++;
      return;
    }
    this.access(b, i, this.rings.pageOfCompletion(b.device[i], b.cls[i], b.dir[i]), Perm.write);
  }

  private access(b: EventBatch, i: number, page: number, need: number): void {
    const c = this.c;
    c[C.ringAccesses]++;
    const iommu = this.iommu;
    if (iommu === null) return;
    const domain = this.placement === 'device-domain' ? b.device[i] : b.guest[i];
    if (this.rings.newDevice >= 0 && this.placement !== 'guest-physical') {
      const [first, pages] = this.rings.areaOf(this.rings.newDevice);
      for (let p = first; p < first + pages; p++) iommu.setupMapPage(domain, this.iovaOf(p), this.vmm!.hostPage(b.guest[i], this.gpaOf(p)), Perm.readWrite);
    }
    iommu.translate(domain, this.iovaOf(page), need);
  }
}

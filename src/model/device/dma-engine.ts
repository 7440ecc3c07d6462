/**
 * The device side of a DMA: a device reads or writes a buffer page by page, through the IOMMU
 * or straight to physical memory.
 *
 * Models: a buffer access touches every 4 KiB page it covers, one translation per page; a
 * faulting page is blocked and the device goes on with the next (as a device that reports the
 * fault and continues would). Does not model: bus timing, ATS, partial-page write masks.
 * Cost charged: none itself; translations charge `iotlb-walk` through the IOMMU.
 */
import { C } from '../../metrics/counters.js';
import { pagesSpanned } from '../../types/event.js';
import type { Iommu } from '../iommu/iommu.js';
import type { SgList } from './sg-list.js';

/**
 * Device access to `len` bytes at IOVA page `firstPage` + `offset` in `domain`, needing `need`.
 * @returns the number of pages that faulted.
 */
export function dmaThroughIommu(iommu: Iommu, c: Float64Array, domain: number, firstPage: number, offset: number, len: number, need: number): number {
  const pages = pagesSpanned(offset, len);
  c[C.deviceAccesses]++;
  c[C.pageAccesses] += pages;
  let faulted = 0;
  for (let p = 0; p < pages; p++) if (iommu.translate(domain, firstPage + p, need) < 0) faulted++;
  if (faulted === 0) c[C.bytesAccessed] += len;
  return faulted;
}

/** Device access with no IOMMU: nothing checks it. */
export function dmaPhysical(c: Float64Array, offset: number, len: number): void {
  c[C.deviceAccesses]++;
  c[C.pageAccesses] += pagesSpanned(offset, len);
  c[C.bytesAccessed] += len;
}

/** A device access to a buffer the driver never got a valid address for: blocked outright. */
export function dmaRefused(c: Float64Array, offset: number, len: number): void {
  const pages = pagesSpanned(offset, len);
  c[C.deviceAccesses]++;
  c[C.pageAccesses] += pages;
  c[C.faults] += pages;
  c[C.faultsNotPresent] += pages;
}

/**
 * Device access to every segment of a DMA whose pages were packed into one IOVA range from page
 * `firstIova` (single-use, linux-*: segment k starts at `firstIova + sg.firstPage[k]`).
 */
export function sgThroughIova(iommu: Iommu, c: Float64Array, domain: number, firstIova: number, sg: SgList, need: number): void {
  for (let k = 0; k < sg.count; k++) dmaThroughIommu(iommu, c, domain, firstIova + sg.firstPage[k], sg.offset[k], sg.len[k], need);
}

/** Device access to every segment of a DMA at IOVA = guest-physical address. */
export function sgThroughGpa(iommu: Iommu, c: Float64Array, domain: number, sg: SgList, need: number): void {
  for (let k = 0; k < sg.count; k++) dmaThroughIommu(iommu, c, domain, sg.page[k], sg.offset[k], sg.len[k], need);
}

/** Device access to every segment of a DMA with no IOMMU. */
export function sgPhysical(c: Float64Array, sg: SgList): void {
  for (let k = 0; k < sg.count; k++) dmaPhysical(c, sg.offset[k], sg.len[k]);
}

/** Device access to every segment of a DMA whose map was refused: all blocked. */
export function sgRefused(c: Float64Array, sg: SgList): void {
  for (let k = 0; k < sg.count; k++) dmaRefused(c, sg.offset[k], sg.len[k]);
}

/**
 * Every tunable number of the replay in one flat key space: CPU costs charged by category and
 * the sizes of the modelled hardware and strategies. A profile (profiles/*.json) gives each key
 * a value and its source; `--set key=value` overrides any of them. This table is the one list
 * of valid keys, their units and what they mean.
 */

export type ParamKind = 'cost' | 'model' | 'strategy';

export interface ParamSpec {
  key: string;
  unit: string;
  kind: ParamKind;
  doc: string;
  /** Only whole numbers are valid. */
  integer?: boolean;
  min?: number;
  /** Largest value accepted: beyond any hardware or cost the model stands for, and bounding
   * what a run allocates (an IOTLB of 2^30 entries, a flush queue of 10^15) or adds up. */
  max?: number;
  /** Must be a power of two (sizes of set-associative structures). */
  powerOfTwo?: boolean;
  /** Must be 0 (the structure is absent) or a power of two. */
  zeroOrPowerOfTwo?: boolean;
  /** Must be 0 or 1. */
  flag?: boolean;
}

export const PARAMS: readonly ParamSpec[] = [
  { key: 'cpu.hz', unit: 'Hz', kind: 'model', min: 1, max: 1e12, doc: 'CPU clock, to turn cycles into CPU utilization at the trace rate' },
  { key: 'driver.map_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'guest driver work per DMA map (DMA API call, descriptor write); charged by every strategy' },
  { key: 'driver.unmap_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'guest driver work per DMA unmap (completion handling); charged by every strategy' },
  { key: 'hypercall.cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'one hypercall round trip: guest -> VMM -> guest, excluding the per-page work done inside' },
  { key: 'validate.page_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'VMM check that one guest page belongs to the calling guest' },
  { key: 'refcount.update_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'one page reference-count update (pin/unpin, or a guest-side mapping refcount/lookup)' },
  { key: 'pt.update_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'one IOMMU page-table entry write (map, unmap or new-table link), including making it visible to the IOMMU' },
  { key: 'iotlb.invalidate_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'submitting one IOTLB invalidation descriptor (page, domain or global)' },
  { key: 'iotlb.wait_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'waiting synchronously for submitted invalidations to complete (once per batch)' },
  { key: 'iommu.walk_ref_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'one page-table memory reference during an IOTLB-miss walk (IOMMU time, not CPU time)' },
  { key: 'iova.alloc_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'allocating one IOVA range' },
  { key: 'iova.free_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'freeing one IOVA range (fast path: a per-CPU cache push)' },
  { key: 'iova.slow_alloc_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'linux-*: allocating an IOVA range from the allocator\'s rbtree (cache miss)' },
  { key: 'iova.slow_free_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'linux-*: returning one IOVA range to the rbtree (cache overflow)' },
  { key: 'copy.byte_cycles', unit: 'cycles/byte', kind: 'cost', min: 0, max: 1e6, doc: 'memcpy cost per byte (shadow buffers)' },
  { key: 'copy.call_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'fixed cost of one memcpy call' },
  { key: 'shadow.alloc_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'shadow: taking or returning one shadow buffer from its pool' },
  { key: 'linux.fq_push_cycles', unit: 'cycles', kind: 'cost', min: 0, max: 1e9, doc: 'linux-lazy: queuing one unmapped IOVA range in the flush queue' },
  { key: 'iommu.dma_latency_ns', unit: 'ns', kind: 'model', min: 0, max: 1e9, doc: 'throughput projection: time per 4 KiB page of DMA with no IOMMU work (F&S\'s l0)' },
  { key: 'iommu.read_latency_ns', unit: 'ns', kind: 'model', min: 0, max: 1e9, doc: 'throughput projection: time each IOMMU memory read adds per page, parallelism included (F&S\'s lm)' },
  { key: 'iotlb.entries', unit: 'entries', kind: 'model', integer: true, min: 1, powerOfTwo: true, max: 65536, doc: 'IOTLB capacity, shared by all devices' },
  { key: 'iotlb.ways', unit: 'ways', kind: 'model', integer: true, min: 1, powerOfTwo: true, max: 65536, doc: 'IOTLB associativity (entries/ways sets, LRU within a set)' },
  { key: 'iommu.pwc_pde_entries', unit: 'entries', kind: 'model', integer: true, min: 0, zeroOrPowerOfTwo: true, max: 65536, doc: 'paging-structure cache of PD entries (one per 2 MiB: a hit leaves 1 memory read of a 4 KiB walk); 0 = none' },
  { key: 'iommu.pwc_pdpte_entries', unit: 'entries', kind: 'model', integer: true, min: 0, zeroOrPowerOfTwo: true, max: 65536, doc: 'paging-structure cache of PDPT entries (one per 1 GiB: a hit leaves 2 reads); 0 = none' },
  { key: 'iommu.pwc_pml4e_entries', unit: 'entries', kind: 'model', integer: true, min: 0, zeroOrPowerOfTwo: true, max: 65536, doc: 'paging-structure cache of PML4 entries (one per 512 GiB: a hit leaves 3 reads); 0 = none' },
  { key: 'iommu.pwc_ways', unit: 'ways', kind: 'model', integer: true, min: 1, powerOfTwo: true, max: 65536, doc: 'associativity of each paging-structure cache (entries/ways sets, LRU within a set)' },
  { key: 'iommu.psi_walk_levels', unit: 'levels', kind: 'model', integer: true, min: 1, max: 3, doc: 'walk-cache levels, deepest first, whose entries for its range an IH-clear page-selective invalidation drops: 1 = PDE cache only, 3 = PDE, PDPTE and PML4E caches' },
  { key: 'iommu.ih', unit: 'flag', kind: 'model', integer: true, min: 0, flag: true, doc: 'page-selective invalidations set the invalidation hint when no page-table page was freed (1), so the walk caches survive them, or always clear it (0)' },
  { key: 'guest.memory_mib', unit: 'MiB', kind: 'model', integer: true, min: 1, max: 1048576, doc: 'RAM of each guest: what direct-map maps at guest start (IOVA = guest-physical address from 0) and what shadow takes its pools from; a guest owns any page of its 52-bit guest-physical space, whatever this is' },
  { key: 'host.memory_mib', unit: 'MiB', kind: 'model', integer: true, min: 1, max: 1073741824, doc: 'host memory: what a device reaches with no IOMMU (native, software), counted as their exposure' },
  { key: 'nic.tx_ring', unit: 'descriptors', kind: 'model', integer: true, min: 1, max: 65536, doc: 'NIC transmit descriptor ring size' },
  { key: 'nic.rx_ring', unit: 'descriptors', kind: 'model', integer: true, min: 1, max: 65536, doc: 'NIC receive descriptor ring size' },
  { key: 'nic.desc_bytes', unit: 'bytes', kind: 'model', integer: true, min: 1, max: 4096, doc: 'NIC TX and RX descriptor size (the device reads one per buffer posted and writes it back at completion)' },
  { key: 'disk.sqe_bytes', unit: 'bytes', kind: 'model', integer: true, min: 1, max: 4096, doc: 'disk submission-queue entry size (read by the device per request)' },
  { key: 'disk.cqe_bytes', unit: 'bytes', kind: 'model', integer: true, min: 1, max: 4096, doc: 'disk completion-queue entry size (written by the device per request completed)' },
  { key: 'device.ring_accesses', unit: 'flag', kind: 'model', integer: true, min: 0, flag: true, doc: 'devices read and write their descriptor rings through the IOMMU (1), or only the buffers are modelled (0)' },
  { key: 'disk.queue_depth', unit: 'requests', kind: 'model', integer: true, min: 1, max: 65536, doc: 'disk scatter-gather request queue depth (buffers in flight)' },
  { key: 'iova.magazine_size', unit: 'ranges', kind: 'model', integer: true, min: 0, max: 65536, doc: 'linux-*: IOVA ranges per per-CPU cache magazine; 0 = no cache (every allocation takes the slow path)' },
  { key: 'iova.depot_magazines', unit: 'magazines', kind: 'model', integer: true, min: 0, max: 65536, doc: 'linux-*: full magazines the global depot of each size holds' },
  { key: 'iova.cached_max_pages', unit: 'pages', kind: 'model', integer: true, min: 1, powerOfTwo: true, max: 65536, doc: 'linux-*: largest range size (pages) the IOVA caches hold; smaller sizes are rounded up to a power of two' },
  { key: 'persistent.capacity', unit: 'pages', kind: 'strategy', integer: true, min: 0, max: 2 ** 30, doc: 'persistent: most pages kept mapped (LRU eviction past it); 0 = unbounded' },
  { key: 'direct-map.page_kib', unit: 'KiB', kind: 'strategy', integer: true, min: 4, max: 1048576, doc: 'direct-map: IOMMU page size used to map guest memory: 4, 2048 (2 MiB) or 1048576 (1 GiB)' },
  { key: 'linux.fq_size', unit: 'entries', kind: 'strategy', integer: true, min: 1, max: 65536, doc: 'linux-lazy: unmapped ranges one flush queue holds; queuing on a full queue flushes the domain first' },
  { key: 'linux.fq_per_cpu', unit: 'flag', kind: 'strategy', integer: true, min: 0, flag: true, doc: 'linux-lazy: one flush queue per CPU (1) or one for all CPUs (0)' },
  { key: 'linux.fq_timeout_ms', unit: 'ms', kind: 'strategy', integer: true, min: 1, max: 1e9, doc: 'linux-lazy: flush timer timeout, turned into whole jiffies as msecs_to_jiffies does (rounding up) at linux.hz' },
  { key: 'linux.timer_latency_ns', unit: 'ns', kind: 'model', integer: true, min: 0, max: 1e12, doc: 'delay from a kernel timer\'s expiry tick to its handler running (softirq latency): the flush timer fires this much after its jiffy' },
  { key: 'linux.hz', unit: 'Hz', kind: 'model', integer: true, min: 1, max: 100000, doc: 'the kernel\'s timer tick (CONFIG_HZ): the flush timer fires at a jiffy boundary' },
  { key: 'fands.contiguous', unit: 'flag', kind: 'strategy', integer: true, min: 0, flag: true, doc: 'fands: the DMAs of one receive descriptor share one IOVA range, unmapped and invalidated once (1; 0 = ablation "Linux + A")' },
  { key: 'fands.ih', unit: 'flag', kind: 'strategy', integer: true, min: 0, flag: true, doc: 'fands: invalidations set the invalidation hint unless page-table pages were freed (1; 0 = ablation "Linux + B")' },
  { key: 'fands.batch_pages', unit: 'pages', kind: 'strategy', integer: true, min: 1, powerOfTwo: true, max: 65536, doc: 'fands: pages of one receive descriptor\'s IOVA range' },
  { key: 'fands.cached_max_pages', unit: 'pages', kind: 'strategy', integer: true, min: 1, powerOfTwo: true, max: 65536, doc: 'fands: largest range the IOVA caches hold (the patch raises Linux\'s 32 to 64)' },
  { key: 'hypercall.batch', unit: 'DMAs', kind: 'strategy', integer: true, min: 1, max: 65536, doc: 'single-use, shared, persistent, software: most DMAs posted together (same device and unit, or same timestamp) whose VMM work one hypercall carries; 1 = no batching' },
];

export type ParamKey = (typeof PARAMS)[number]['key'];

/** A profile resolved to plain numbers, once, before a run. */
export type ResolvedParams = Readonly<Record<string, number>>;

export const PARAM_KEYS: readonly string[] = PARAMS.map((p) => p.key);

/** Keys that were renamed, with what they are now (an old key is an error that says so). */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  'software.batch': 'hypercall.batch (it applies to every strategy that makes hypercalls)',
  'linux.fq_timeout_ns': 'linux.fq_timeout_ms (in whole milliseconds, rounded up to jiffies at linux.hz, as Linux does)',
};

export function paramSpec(key: string): ParamSpec | undefined {
  return PARAMS.find((p) => p.key === key);
}

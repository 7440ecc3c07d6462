/**
 * The self-describing counter registry: every number a strategy run accumulates has an integer
 * id (an index into one Float64Array per strategy run), a name, a unit and a description. Model
 * code increments `c[C.hypercalls]` directly: no objects or strings on the hot path.
 */

export interface CounterSpec {
  name: string;
  unit: string;
  doc: string;
}

const specs: CounterSpec[] = [];
function counter(name: string, unit: string, doc: string): number {
  specs.push({ name, unit, doc });
  return specs.length - 1;
}

/** Counter ids. */
export const C = {
  maps: counter('maps', 'DMAs', 'map requests replayed (one per DMA API call: a scatter-gather list counts once)'),
  unmaps: counter('unmaps', 'DMAs', 'unmap requests replayed'),
  deviceAccesses: counter('device_accesses', 'accesses', 'buffer accesses issued by devices (one per buffer access, explicit or implicit; one per segment of a scatter-gather DMA)'),
  pageAccesses: counter('page_accesses', 'pages', 'page-sized pieces of device accesses (each needs a translation when an IOMMU is used)'),
  ringAccesses: counter('ring_accesses', 'accesses', 'descriptor (or queue entry) reads and write-backs the device made in its rings, one per DMA posted and one per DMA completed'),
  bytesAccessed: counter('bytes_accessed', 'bytes', 'bytes of data the device moved to or from buffers (accesses not blocked; the per-page metrics divide by this / 4 KiB)'),
  hypercalls: counter('hypercalls', 'calls', 'guest -> VMM calls'),
  validations: counter('validations', 'pages', 'VMM ownership checks of guest pages'),
  refcountUpdates: counter('refcount_updates', 'updates', 'page reference-count updates (pins, unpins, guest-side mapping refcounts)'),
  ptUpdates: counter('pt_updates', 'PTE writes', 'IOMMU page-table entry writes (map, unmap, new-table links)'),
  ptTables: counter('pt_tables', 'tables', 'IOMMU page-table pages allocated'),
  ptTablesFreed: counter('pt_tables_freed', 'tables', 'IOMMU page-table pages freed by unmaps that covered their whole span'),
  ptTablesLive: counter('pt_tables_live', 'tables', 'IOMMU page-table pages allocated and not freed (gauge)'),
  ptTablesPeak: counter('pt_tables_peak', 'tables', 'most IOMMU page-table pages live at once'),
  iotlbHits: counter('iotlb_hits', 'lookups', 'translations served by the IOTLB'),
  iotlbMisses: counter('iotlb_misses', 'lookups', 'translations that needed a page walk'),
  iotlbEvictions: counter('iotlb_evictions', 'entries', 'valid IOTLB entries replaced by LRU'),
  iotlbInvalidations: counter('iotlb_invalidations', 'descriptors', 'IOTLB invalidation requests (page, domain or global)'),
  iotlbInvalidatedEntries: counter('iotlb_invalidated_entries', 'entries', 'valid IOTLB entries dropped by invalidations'),
  iotlbWaits: counter('iotlb_waits', 'waits', 'synchronous waits for invalidation completion'),
  iotlbStaleHits: counter('iotlb_stale_hits', 'lookups', 'translations served by an IOTLB entry whose mapping was already removed (lazy invalidation)'),
  walkRefs: counter('walk_refs', 'memory reads', 'page-table memory references made by IOMMU walks (after the walk caches)'),
  walkCacheHitsPde: counter('walk_cache_hits_pde', 'lookups', 'walks whose PDE (2 MiB) walk-cache lookup hit: one memory read left'),
  walkCacheMissesPde: counter('walk_cache_misses_pde', 'lookups', 'walks whose PDE walk-cache lookup missed'),
  walkCacheHitsPdpte: counter('walk_cache_hits_pdpte', 'lookups', 'walks whose PDPTE (1 GiB) walk-cache lookup hit (after a PDE miss)'),
  walkCacheMissesPdpte: counter('walk_cache_misses_pdpte', 'lookups', 'walks whose PDPTE walk-cache lookup missed'),
  walkCacheHitsPml4e: counter('walk_cache_hits_pml4e', 'lookups', 'walks whose PML4E (512 GiB) walk-cache lookup hit (after PDE and PDPTE misses)'),
  walkCacheMissesPml4e: counter('walk_cache_misses_pml4e', 'lookups', 'walks whose PML4E walk-cache lookup missed: a walk from the root'),
  walkCacheInvalidatedEntries: counter('walk_cache_invalidated_entries', 'entries', 'walk-cache entries dropped by invalidations'),
  faults: counter('faults', 'accesses', 'device accesses blocked by the IOMMU or refused by the VMM'),
  faultsNotPresent: counter('faults_not_present', 'accesses', 'blocked: no mapping for the address'),
  faultsPermission: counter('faults_permission', 'accesses', 'blocked: mapping lacks the needed read/write permission'),
  mapsRejected: counter('maps_rejected', 'DMAs', 'map requests refused (a page the guest does not own, or beyond what the IOMMU can translate)'),
  firstRejectedLine: counter('first_rejected_line', 'line', 'line of the trace holding the first refused map (0: none)'),
  mapReuses: counter('map_reuses', 'DMAs', 'map requests served entirely by existing mappings'),
  pagesMappedNew: counter('pages_mapped_new', 'pages', 'pages that needed a new (or upgraded) IOMMU mapping at map time'),
  iovaAllocs: counter('iova_allocs', 'ranges', 'IOVA ranges allocated'),
  iovaFrees: counter('iova_frees', 'ranges', 'IOVA ranges freed'),
  iovaDistinct: counter('iova_distinct', 'ranges', 'linux-lazy: distinct IOVA ranges (first pages) handed out over the trace'),
  iovaSlowAllocs: counter('iova_slow_allocs', 'ranges', 'IOVA allocations that missed the per-CPU caches'),
  iovaSlowFrees: counter('iova_slow_frees', 'ranges', 'IOVA frees that overflowed the caches back to the rbtree'),
  fandsRanges: counter('fands_ranges', 'ranges', 'fands: descriptor IOVA ranges unmapped whole (one invalidation each)'),
  flushQueueFlushes: counter('fq_flushes', 'flushes', 'linux-lazy: flush-queue flushes (queue full or timer)'),
  flushQueueTimeouts: counter('fq_timeouts', 'flushes', 'linux-lazy: flushes started by the timer'),
  staleBytes: counter('stale_bytes', 'bytes', 'bytes unmapped but not yet invalidated (gauge)'),
  staleArea: counter('stale_area', 'byte*ns', 'time integral of stale bytes'),
  staleWindow: counter('stale_window_ns', 'ns', 'time with at least one unmapped, not yet invalidated range'),
  staleRanges: counter('stale_ranges', 'ranges', 'unmapped ranges whose IOTLB invalidation is still deferred (gauge)'),
  // By Little's law the integral of stale_ranges is the sum, over deferred unmaps, of the time
  // each range stayed stale: divided by deferred_unmaps it is the mean stale time per unmap.
  staleRangeArea: counter('stale_range_ns', 'range*ns', 'time integral of stale_ranges: the time each deferred unmap stayed stale (until the flush that covered it, or the end of the trace), summed'),
  deferredUnmaps: counter('deferred_unmaps', 'DMAs', 'unmaps whose IOTLB invalidation was deferred to a later flush'),
  copyBytes: counter('copy_bytes', 'bytes', 'bytes copied to or from shadow buffers'),
  shadowPages: counter('shadow_pages', 'pages', 'pages in the permanently mapped shadow pools'),
  evictions: counter('mapping_evictions', 'pages', 'mappings evicted from a bounded mapping cache'),
  liveMappings: counter('live_mappings', 'PTEs', 'IOMMU leaf entries present now (gauge)'),
  peakMappings: counter('peak_mappings', 'PTEs', 'most IOMMU leaf entries present at once'),
  mappingArea: counter('mapping_area', 'PTE*ns', 'time integral of live mappings'),
  inFlightBytes: counter('in_flight_bytes', 'bytes', 'bytes of buffers mapped and not yet unmapped (gauge)'),
  reachableBytes: counter('reachable_bytes', 'bytes', 'guest memory a device can reach now (gauge)'),
  exposureArea: counter('exposure_area', 'byte*ns', 'time integral of reachable bytes beyond in-flight buffers'),
  exposureMax: counter('exposure_max', 'bytes', 'most bytes reachable beyond in-flight buffers at once'),
  setupCycles: counter('setup_cycles', 'cycles', 'one-time setup work (direct-map: mapping all guest memory), reported apart'),
  setupPtUpdates: counter('setup_pt_updates', 'PTE writes', 'page-table writes of the one-time setup'),
  // Cycle categories (DESIGN section 3). Their sum is the total; all but iotlb-walk are CPU time.
  cycDriver: counter('cycles.driver', 'cycles', 'guest driver DMA work'),
  cycHypercall: counter('cycles.hypercall', 'cycles', 'hypercall round trips'),
  cycValidate: counter('cycles.validate', 'cycles', 'VMM page ownership checks'),
  cycRefcount: counter('cycles.refcount', 'cycles', 'page reference counting'),
  cycPtUpdate: counter('cycles.pt-update', 'cycles', 'IOMMU page-table writes'),
  cycIotlbInvalidate: counter('cycles.iotlb-invalidate', 'cycles', 'IOTLB invalidation descriptors and waits'),
  cycIotlbWalk: counter('cycles.iotlb-walk', 'cycles', 'IOMMU page walks on IOTLB misses (IOMMU time that delays the DMA, not CPU time)'),
  cycIovaAlloc: counter('cycles.iova-alloc', 'cycles', 'IOVA allocation and free'),
  cycCopy: counter('cycles.copy', 'cycles', 'data copies'),
} as const;

export const COUNTER_SPECS: readonly CounterSpec[] = specs;
export const COUNTER_COUNT = specs.length;

/** The cost categories, in report order, with their counter ids. */
export const CATEGORIES = [
  { name: 'driver', id: C.cycDriver, cpu: true },
  { name: 'hypercall', id: C.cycHypercall, cpu: true },
  { name: 'validate', id: C.cycValidate, cpu: true },
  { name: 'refcount', id: C.cycRefcount, cpu: true },
  { name: 'pt-update', id: C.cycPtUpdate, cpu: true },
  { name: 'iotlb-invalidate', id: C.cycIotlbInvalidate, cpu: true },
  { name: 'iotlb-walk', id: C.cycIotlbWalk, cpu: false },
  { name: 'iova-alloc', id: C.cycIovaAlloc, cpu: true },
  { name: 'copy', id: C.cycCopy, cpu: true },
] as const;

export type CategoryName = (typeof CATEGORIES)[number]['name'];

export function newCounters(): Float64Array {
  return new Float64Array(COUNTER_COUNT);
}

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
  /** Must be a power of two (sizes of set-associative structures). */
  powerOfTwo?: boolean;
}

export const PARAMS: readonly ParamSpec[] = [
  { key: 'cpu.hz', unit: 'Hz', kind: 'model', min: 1, doc: 'CPU clock, to turn cycles into CPU utilization at the trace rate' },
  { key: 'driver.map_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'guest driver work per DMA map (DMA API call, descriptor write); charged by every strategy' },
  { key: 'driver.unmap_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'guest driver work per DMA unmap (completion handling); charged by every strategy' },
  { key: 'hypercall.cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'one hypercall round trip: guest -> VMM -> guest, excluding the per-page work done inside' },
  { key: 'validate.page_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'VMM check that one guest page belongs to the calling guest' },
  { key: 'refcount.update_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'one page reference-count update (pin/unpin, or a guest-side mapping refcount/lookup)' },
  { key: 'pt.update_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'one IOMMU page-table entry write (map, unmap or new-table link), including making it visible to the IOMMU' },
  { key: 'iotlb.invalidate_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'submitting one IOTLB invalidation descriptor (page, domain or global)' },
  { key: 'iotlb.wait_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'waiting synchronously for submitted invalidations to complete (once per batch)' },
  { key: 'iommu.walk_ref_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'one page-table memory reference during an IOTLB-miss walk (IOMMU time, not CPU time)' },
  { key: 'iova.alloc_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'allocating one IOVA range' },
  { key: 'iova.free_cycles', unit: 'cycles', kind: 'cost', min: 0, doc: 'freeing one IOVA range' },
  { key: 'iotlb.entries', unit: 'entries', kind: 'model', integer: true, min: 1, powerOfTwo: true, doc: 'IOTLB capacity, shared by all devices' },
  { key: 'iotlb.ways', unit: 'ways', kind: 'model', integer: true, min: 1, powerOfTwo: true, doc: 'IOTLB associativity (entries/ways sets, LRU within a set)' },
  { key: 'guest.memory_mib', unit: 'MiB', kind: 'model', integer: true, min: 1, doc: 'memory of each guest: guest-physical pages [0, size) are owned by it' },
  { key: 'nic.tx_ring', unit: 'descriptors', kind: 'model', integer: true, min: 1, doc: 'NIC transmit descriptor ring size' },
  { key: 'nic.rx_ring', unit: 'descriptors', kind: 'model', integer: true, min: 1, doc: 'NIC receive descriptor ring size' },
  { key: 'disk.queue_depth', unit: 'requests', kind: 'model', integer: true, min: 1, doc: 'disk scatter-gather request queue depth (buffers in flight)' },
  { key: 'persistent.capacity', unit: 'pages', kind: 'strategy', integer: true, min: 0, doc: 'persistent: most pages kept mapped (LRU eviction past it); 0 = unbounded' },
  { key: 'software.batch', unit: 'descriptors', kind: 'strategy', integer: true, min: 1, doc: 'software: most descriptors validated by one hypercall' },
];

export type ParamKey = (typeof PARAMS)[number]['key'];

/** A profile resolved to plain numbers, once, before a run. */
export type ResolvedParams = Readonly<Record<string, number>>;

export const PARAM_KEYS: readonly string[] = PARAMS.map((p) => p.key);

export function paramSpec(key: string): ParamSpec | undefined {
  return PARAMS.find((p) => p.key === key);
}

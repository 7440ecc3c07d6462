/**
 * The canonical trace format (DESIGN section 4): its columns, in order, and the words its
 * enumerated columns accept.
 */
export const CANONICAL_COLUMNS = ['ts_ns', 'guest', 'device', 'class', 'op', 'dir', 'addr', 'len', 'handle', 'unit'] as const;
export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];

/** Columns a file must have; the others default (guest 0, no unit). */
export const REQUIRED_COLUMNS: readonly CanonicalColumn[] = ['ts_ns', 'device', 'class', 'op', 'dir', 'addr', 'len', 'handle'];

export const CANONICAL_HEADER = CANONICAL_COLUMNS.join(',');

/** Optional columns the readers understand beyond the canonical ten: `cpu`, the CPU that issued
 * the DMA API call (ftrace gives it; Linux keeps IOVA caches and flush queues per CPU). */
export const OPTIONAL_COLUMNS = ['cpu'] as const;

/** The canonical header with the `cpu` column, as `ingest` writes it. */
export const CANONICAL_HEADER_WITH_CPU = `${CANONICAL_HEADER},cpu`;

/** Highest CPU number accepted in the `cpu` column. */
export const MAX_CPU = 65535;

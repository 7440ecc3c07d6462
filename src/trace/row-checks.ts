/**
 * What makes a canonical row acceptable, whatever format it came in: the CSV readers check the
 * text of a field, then these rules on its value; the Arrow reader, whose columns are already
 * numbers, checks the same rules on them. One list of limits and one wording for every reader, so
 * a value rejected in a CSV is rejected, in the same words, in an Arrow trace (and a line too long
 * to keep is reported in the same words by every reader of lines).
 */
import { MAX_GUESTS, PAGE_SIZE } from '../types/event.js';
import { MAX_CPU } from './canonical.js';

/** Largest timestamp: nanoseconds stay exact in a float64 up to 2^53 - 1 (104 days). */
export const MAX_TS = Number.MAX_SAFE_INTEGER;
/** Longest buffer accepted: 4 GiB - 1 (a DMA length is a 32-bit quantity in every API we read). */
export const MAX_LEN = 0xffffffff;
/** Pages of the 64-bit address space: a buffer's last page must be below this. */
export const ADDRESS_PAGES = 2 ** 52;

export function isTimestamp(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_TS;
}

export function isGuest(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < MAX_GUESTS;
}

export function isCpu(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_CPU;
}

export function isLength(v: number): boolean {
  return Number.isInteger(v) && v > 0 && v <= MAX_LEN;
}

/** Whether a buffer of `len` bytes at `offset` in page `page` ends past the last 64-bit address
 * (it would wrap around to address 0). */
export function wrapsAround(page: number, offset: number, len: number): boolean {
  return page + Math.floor((offset + len - 1) / PAGE_SIZE) >= ADDRESS_PAGES;
}

/** The reasons a row is rejected, as reported (`file:line: reason`). */
export const why = {
  timestamp: (text: string) => `ts_ns '${text}' is not a non-negative integer of nanoseconds`,
  guest: (text: string) => `guest '${text}' is not an integer in 0..${MAX_GUESTS - 1}`,
  op: (text: string) => `op '${text}' is not one of map, unmap, access`,
  cls: (text: string) => `class '${text}' is not one of net, disk`,
  dir: (text: string) => `dir '${text}' is not one of to_device, from_device, bidirectional`,
  emptyDevice: () => 'device is empty',
  length: (text: string) => `len '${text}' is not a positive whole number of bytes (at most ${MAX_LEN})`,
  emptyHandle: (op: string) => `handle is empty (a ${op} needs one to pair map and unmap)`,
  wraps: (addr: string, len: number) => `buffer at ${addr} of ${len} bytes runs past the end of the 64-bit address space`,
  classMismatch: (device: string, cls: string, earlier: string) => `device '${device}' is class ${cls} here but ${earlier} earlier`,
  cpu: (text: string) => `cpu '${text}' is not an integer in 0..${MAX_CPU}`,
  openQuote: () => 'a quoted field is not closed on this line (a row is one line: reading goes on with the next)',
  longLine: (maxBytes: number) => `line longer than ${maxBytes / 1048576} MiB: skipped up to its end`,
  fieldCount: (expected: number, found: number) =>
    found < expected ? `expected ${expected} fields, found ${found} (truncated line?)` : `expected ${expected} fields, found ${found} (a comma too many?)`,
};

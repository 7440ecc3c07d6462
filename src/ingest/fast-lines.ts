/**
 * The fast path of `ingest` for the lines that make up almost every raw trace: `iommu:map` and
 * `iommu:unmap` events and, on Linux >= 6.12, the single-buffer `dma:` events
 * (`dma_map_page`/`_phys`/`_resource` and their unmaps; scatter-gather lists are left out). It
 * reads a line's bytes in place, inside the buffer of whole lines that holds it (no string per
 * line; bytes read faster than a string's characters), for lines of ASCII text only (the
 * caller's rule), and gives what `parseLine` + `parsePayload` (kernel-events.ts) would give for
 * it, with addresses as numbers rather than text. When it is not sure -- any other event, a
 * comment, an odd prefix or payload, a size of 0, a direction other than the kernel's four, a
 * number too long to be exact as a double (an address of more than 13 hex digits, without
 * leading zeros; a size of more than 15 digits) -- it answers UNSURE and the caller hands the
 * line to those reference parsers, so every line ends up with the same result either way
 * (test/ingest/fast-path.test.ts checks this on fuzzed lines).
 */
import { Buffer } from 'node:buffer';
import { canonicalDir } from './kernel-events.js';

/** What `scanEventLine` found: the event, by the payload format it has. */
export const UNSURE = 0;
export const IOMMU_MAP = 1;
export const IOMMU_UNMAP = 2;
/** `dma_map_page`, `dma_map_phys`, `dma_map_resource` (one format). */
export const DMA_MAP = 3;
/** `dma_unmap_page`, `dma_unmap_phys`, `dma_unmap_resource`. */
export const DMA_UNMAP = 4;

/** A DMA direction as `canonicalDir` gives it (null for NONE: ingest skips such maps). */
export type FastDir = ReturnType<typeof canonicalDir>;

/** Results of the scanners, written into one reused object (no allocation per line). */
export interface FastFields {
  /** Line prefix: time stamp in ns (as `scanLine` computes it), the CPU (`[001]`), and where the payload starts. */
  tsNs: number;
  cpu: number;
  payload: number;
  /**
   * iommu: payload: addresses as numbers (exact: at most 2^52), `page` = the IOVA's 4 KiB page
   * (what ingest.ts's `pageOf` gives for its text), sizes.
   */
  iova: number;
  page: number;
  paddr: number;
  size: number;
  unmapped: number;
  /** dma: payload: the kernel's device name, direction, DMA and physical address (numbers, exact), `size`. */
  device: string;
  dir: FastDir;
  dmaAddr: number;
  phys: number;
  /** Device names met so far, so that a line's name costs no new string. */
  names: NameCache;
}

export function newFastFields(): FastFields {
  return { tsNs: 0, cpu: 0, payload: 0, iova: 0, page: 0, paddr: 0, size: 0, unmapped: 0, device: '', dir: null, dmaAddr: 0, phys: 0, names: new NameCache() };
}

/**
 * The ASCII line `b[start, end)` (no line end in it) as one of the events above: its code with
 * `f.tsNs`, `f.cpu` and `f.payload` set, or UNSURE. This is `scanLine` (kernel-events.ts) step for step,
 * on bytes (for ASCII, byte k is character k): whenever that function answers for a line, this
 * one gives the same time stamp and payload start, and it answers only for events of the group
 * they belong to (`iommu` for map/unmap, `dma` for the dma_ ones) or of none. Lines starting
 * with `#` are left to `parseLine`, which ignores them.
 */
export function scanEventLine(b: Uint8Array, start: number, end: number, f: FastFields): number {
  const n = end;
  if (n === start || b[start] === 35 /* # */) return UNSURE;
  // [cpu]: the first '[' followed by digits and ']' and a space, with a space before it.
  let i = byteAt(b, 91 /* [ */, start, n);
  let bracket = -1;
  let cpu = 0;
  while (i >= 0) {
    let j = i + 1;
    cpu = 0;
    while (j < n && isDigit(b[j])) cpu = cpu * 10 + b[j++] - 48;
    if (j > i + 1 && j < n - 1 && b[j] === 93 && b[j + 1] === 32 && i > start && b[i - 1] === 32) {
      bracket = i;
      i = j + 1;
      break;
    }
    i = byteAt(b, 91, i + 1, n);
  }
  if (bracket < 0) return UNSURE;
  // Before [cpu]: `task-pid` (ftrace) or `task pid` (perf), the task not empty.
  let k0 = bracket - 1;
  while (k0 >= start && b[k0] === 32) k0--;
  let d = k0;
  while (d >= start && isDigit(b[d])) d--;
  if (d === k0 || d < start + 1) return UNSURE;
  const sep = b[d];
  const perfShape = sep === 32;
  if (sep !== 45 /* - */ && !perfShape) return UNSURE;
  let t = d - 1;
  while (t >= start && b[t] === 32) t--;
  if (t < start) return UNSURE;
  // Then one or two tokens: optional flags, then secs.frac:
  for (let token = 0; token < 2; token++) {
    while (i < n && b[i] === 32) i++;
    const a0 = i;
    while (i < n && b[i] !== 32) i++;
    const e0 = i; // [a0, e0) is the token
    if (e0 - a0 >= 4 && b[e0 - 1] === 58 /* : */) {
      const dot = byteAt(b, 46 /* . */, a0, e0 - 1);
      if (dot < 0) return UNSURE;
      let secs = 0;
      for (let k = a0; k < dot; k++) {
        const c = b[k];
        if (c < 48 || c > 57) return UNSURE;
        secs = secs * 10 + c - 48;
      }
      let frac = 0;
      let digits = 0;
      for (let k = dot + 1; k < e0 - 1; k++) {
        const c = b[k];
        if (c < 48 || c > 57) return UNSURE;
        if (digits < 9) {
          frac = frac * 10 + c - 48;
          digits++;
        }
      }
      if (dot === a0 || digits === 0) return UNSURE;
      for (; digits < 9; digits++) frac *= 10;
      const tsNs = secs * 1e9 + frac;
      if (!Number.isSafeInteger(tsNs)) return UNSURE;
      // event, or group:event, then ':' and the payload
      let k = e0;
      if (k >= n || b[k] !== 32) return UNSURE;
      k++;
      const a = k;
      while (k < n && isWord(b[k])) k++;
      if (k === a || k >= n || b[k] !== 58) return UNSURE;
      let groupStart = -1;
      let groupEnd = -1;
      let eventStart = a;
      let eventEnd = k;
      k++;
      if (k < n && b[k] !== 32) {
        const second = k;
        while (k < n && isWord(b[k])) k++;
        if (k === second || k >= n || b[k] !== 58) return UNSURE;
        groupStart = eventStart;
        groupEnd = eventEnd;
        eventStart = second;
        eventEnd = k;
        k++;
      }
      if (k < n && b[k] !== 32) return UNSURE;
      if (perfShape && (groupStart < 0 || token === 1)) return UNSURE; // perf lines name the group, have no flags
      const kind = eventKind(b, eventStart, eventEnd);
      // An event in its own group only (`dma:map` is no iommu map; the reference path decides about it).
      if (kind === UNSURE || (groupStart >= 0 && !isGroupOf(kind, b, groupStart, groupEnd))) return UNSURE;
      f.tsNs = tsNs;
      f.cpu = cpu;
      f.payload = k;
      return kind;
    }
    // a flags field like "b..1." or "d.h1." comes first (ftrace); anything else: unsure
    if (token === 1 || e0 - a0 < 4 || e0 - a0 > 6) return UNSURE;
    for (let k = a0; k < e0; k++) if (!isWord(b[k]) && b[k] !== 46) return UNSURE;
  }
  return UNSURE;
}

/** The event named `b[s, e)`: its code, or UNSURE for any other name. */
function eventKind(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n === 3) return textAt(b, s, 'map') ? IOMMU_MAP : UNSURE;
  if (n === 5) return textAt(b, s, 'unmap') ? IOMMU_UNMAP : UNSURE;
  if (n < 12 || !textAt(b, s, 'dma_')) return UNSURE;
  if (textAt(b, s + 4, 'map_')) return isBufferKind(b, s + 8, e) ? DMA_MAP : UNSURE;
  if (textAt(b, s + 4, 'unmap_')) return isBufferKind(b, s + 10, e) ? DMA_UNMAP : UNSURE;
  return UNSURE;
}

/** Whether `b[s, e)` is `page`, `phys` or `resource`: the single-buffer dma_(un)map_ events, one format each. */
function isBufferKind(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 4) return textAt(b, s, 'page') || textAt(b, s, 'phys');
  return n === 8 && textAt(b, s, 'resource');
}

/** Whether `b[s, e)` names the group of event `kind`. */
function isGroupOf(kind: number, b: Uint8Array, s: number, e: number): boolean {
  if (kind === IOMMU_MAP || kind === IOMMU_UNMAP) return e - s === 5 && textAt(b, s, 'iommu');
  return e - s === 3 && textAt(b, s, 'dma');
}

/**
 * An `iommu:map` payload at `b[p, end)` (after `scanEventLine`), as the IOMMU_MAP expression
 * and `hexText` read it: `IOMMU: iova=0x.. [- 0x..] paddr=0x.. size=N`, anything after.
 * Sets `f.iova`, `f.page`, `f.paddr`, `f.size`; false when unsure (also for size 0, which is a
 * problem the reference path reports).
 */
export function parseIommuMapAt(b: Uint8Array, p: number, end: number, f: FastFields): boolean {
  p = iovaStart(b, p, end);
  if (p < 0) return false;
  const iovaEnd = hexRun(b, p, end);
  const iova = hexValue;
  if (iovaEnd < 0 || iova < 0) return false;
  const q = rangeEnd(b, iovaEnd, end);
  if (!textAt(b, q, ' paddr=0x') || q + 9 > end) return false;
  const paddrEnd = hexRun(b, q + 9, end);
  const paddr = hexValue;
  if (paddrEnd < 0 || paddr < 0) return false;
  if (!textAt(b, paddrEnd, ' size=') || paddrEnd + 6 > end) return false;
  const size = decimalAt(b, paddrEnd + 6, end);
  if (size <= 0) return false;
  f.iova = iova;
  // What ingest.ts's pageOf gives: the value of all hex digits but the last 3.
  f.page = Math.floor(iova / 4096);
  f.paddr = paddr;
  f.size = size;
  return true;
}

/** An `iommu:unmap` payload: `IOMMU: iova=0x.. [- 0x..] size=N unmapped_size=M`, anything after; sets `f.page`, `f.size`, `f.unmapped`. */
export function parseIommuUnmapAt(b: Uint8Array, p: number, end: number, f: FastFields): boolean {
  p = iovaStart(b, p, end);
  if (p < 0) return false;
  const iovaEnd = hexRun(b, p, end);
  const iova = hexValue;
  if (iovaEnd < 0 || iova < 0) return false;
  let q = rangeEnd(b, iovaEnd, end);
  if (!textAt(b, q, ' size=') || q + 6 > end) return false;
  q += 6;
  const size = decimalAt(b, q, end);
  if (size < 0) return false;
  q = decimalEnd;
  if (!textAt(b, q, ' unmapped_size=') || q + 15 > end) return false;
  const unmapped = decimalAt(b, q + 15, end);
  if (unmapped < 0) return false;
  f.page = Math.floor(iova / 4096);
  f.size = size;
  f.unmapped = unmapped;
  return true;
}

/**
 * A `dma:dma_map_page` (`_phys`, `_resource`) payload, as the DMA_MAP expression and `hexText`
 * read it: `device dir=D dma_addr=HEX size=N phys_addr=HEX`, anything after the last address.
 * Sets `f.device`, `f.dir`, `f.dmaAddr`, `f.size`, `f.phys`; false when unsure (also for size 0,
 * which is a problem the reference path reports).
 */
export function parseDmaMapAt(b: Uint8Array, p: number, end: number, f: FastFields): boolean {
  p = dmaAddrEnd(b, p, end, f);
  if (p < 0 || !textAt(b, p, ' size=') || p + 6 > end) return false;
  const size = decimalAt(b, p + 6, end);
  if (size <= 0) return false;
  p = decimalEnd;
  if (!textAt(b, p, ' phys_addr=') || p + 11 > end) return false;
  p = addressEnd(b, p + 11, end);
  // The expression's address is the whole run of [0-9a-fA-Fx]: an 'x' after the digits is one more.
  if (p < 0 || hexValue < 0 || (p < end && b[p] === 120)) return false;
  f.size = size;
  f.phys = hexValue;
  return true;
}

/** A `dma:dma_unmap_page` (`_phys`, `_resource`) payload: `device dir=D dma_addr=HEX size=N`, anything after; sets `f.device`, `f.dir`, `f.dmaAddr`. */
export function parseDmaUnmapAt(b: Uint8Array, p: number, end: number, f: FastFields): boolean {
  p = dmaAddrEnd(b, p, end, f);
  // The size is not used for an unmap, but the expression wants one digit at least.
  return p >= 0 && textAt(b, p, ' size=') && p + 7 <= end && isDigit(b[p + 6]);
}

/**
 * The part both dma: formats share, `device dir=D dma_addr=HEX`, after the payload's leading
 * spaces: where it ends, or -1. Sets `f.device`, `f.dir`, `f.dmaAddr`.
 */
function dmaAddrEnd(b: Uint8Array, p: number, end: number, f: FastFields): number {
  while (p < end && b[p] === 32) p++;
  // The device is the expression's \S+: here printable ASCII only (other bytes: unsure).
  const device = p;
  while (p < end && b[p] > 32 && b[p] < 127) p++;
  if (p === device || !textAt(b, p, ' dir=') || p + 5 > end) return -1;
  const deviceEnd = p;
  p = dirEnd(b, p + 5, end, f);
  if (p < 0 || !textAt(b, p, ' dma_addr=') || p + 10 > end) return -1;
  p = addressEnd(b, p + 10, end);
  if (p < 0 || hexValue < 0) return -1;
  f.dmaAddr = hexValue;
  f.device = f.names.text(b, device, deviceEnd);
  return p;
}

// The kernel's direction names (print fmt of the dma: events) and what ingest makes of them.
const DIRS = ['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'].map((name) => ({ name, dir: canonicalDir(name) }));

/** A direction at `p`, one of the kernel's four names ending the \w+ run: where it ends (`f.dir` set), or -1. */
function dirEnd(b: Uint8Array, p: number, end: number, f: FastFields): number {
  let k = p;
  while (k < end && isWord(b[k])) k++;
  for (const d of DIRS) {
    if (k - p === d.name.length && textAt(b, p, d.name)) {
      f.dir = d.dir;
      return k;
    }
  }
  return -1;
}

/**
 * An address as `hexText` reads it, with or without `0x`: the end of its 1 to 16 hex digits, or
 * -1; its value in `hexValue` (-1 there when not exact as a double).
 */
function addressEnd(b: Uint8Array, p: number, end: number): number {
  if (p + 1 < end && b[p] === 48 && b[p + 1] === 120 /* 0x */) p += 2;
  return hexRun(b, p, end);
}

/**
 * Device names met so far, as bytes and as their text (ASCII: one character a byte), so that a
 * line naming one of them makes no string. A trace names a handful of devices; past `MAX_NAMES`
 * a name is decoded each time it comes.
 */
export class NameCache {
  private bytes: Uint8Array[] = [];
  private texts: string[] = [];

  /** The text of the ASCII bytes `b[s, e)`. */
  text(b: Uint8Array, s: number, e: number): string {
    for (let i = 0; i < this.bytes.length; i++) if (sameBytes(this.bytes[i], b, s, e)) return this.texts[i];
    const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', s, e);
    if (this.bytes.length < MAX_NAMES) {
      this.bytes.push(b.slice(s, e));
      this.texts.push(text);
    }
    return text;
  }
}

const MAX_NAMES = 32;

/** Whether `name` holds the bytes `b[s, e)`. */
function sameBytes(name: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  if (name.length !== e - s) return false;
  for (let k = 0; k < name.length; k++) if (name[k] !== b[s + k]) return false;
  return true;
}

/** After the payload's leading spaces, `IOMMU: iova=0x`: where the IOVA's digits start, or -1. */
function iovaStart(b: Uint8Array, p: number, end: number): number {
  while (p < end && b[p] === 32) p++;
  // Other white space (which trimStart would skip too) is left to the reference path.
  return textAt(b, p, 'IOMMU: iova=0x') && p + 14 <= end ? p + 14 : -1;
}

/** Where the optional ` - 0x..` end of range (Linux >= 5.17) ends. */
function rangeEnd(b: Uint8Array, q: number, end: number): number {
  if (!textAt(b, q, ' - 0x') || q + 5 > end) return q;
  let k = q + 5;
  while (k < end && isHex(b[k])) k++;
  // ' - 0x' without digits: the expression matches no range here, and then fails on ' - '.
  return k > q + 5 ? k : q;
}

let hexValue = 0;
/**
 * The end of a run of 1 to 16 hex digits at `p` (hexText takes no more), or -1; its value in
 * `hexValue`, or -1 there when it is not exact as a double (over 13 digits after leading zeros).
 */
function hexRun(b: Uint8Array, p: number, end: number): number {
  let k = p;
  let v = 0;
  let significant = 0;
  for (; k < end; k++) {
    const c = b[k];
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if ((c | 32) >= 97 && (c | 32) <= 102) d = (c | 32) - 87;
    else break;
    if (significant > 0 || d !== 0) significant++;
    v = v * 16 + d;
  }
  if (k === p || k - p > 16) return -1;
  hexValue = significant > 13 ? -1 : v;
  return k;
}

let decimalEnd = 0;
/** A run of 1 to 15 decimal digits at `p` (exact as a double): its value, -1 otherwise. */
function decimalAt(b: Uint8Array, p: number, end: number): number {
  let v = 0;
  let k = p;
  while (k < end) {
    const c = b[k];
    if (c < 48 || c > 57) break;
    v = v * 10 + c - 48;
    k++;
  }
  if (k === p || k - p > 15) return -1;
  decimalEnd = k;
  return v;
}

/** The first `c` in `b[from, to)`, or -1 (a loop: lines are short, a call to indexOf costs more). */
function byteAt(b: Uint8Array, c: number, from: number, to: number): number {
  for (let k = from; k < to; k++) if (b[k] === c) return k;
  return -1;
}

/** Whether `b` holds the ASCII text `lit` at `p`. */
function textAt(b: Uint8Array, p: number, lit: string): boolean {
  if (p + lit.length > b.length) return false;
  for (let k = 0; k < lit.length; k++) if (b[p + k] !== lit.charCodeAt(k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Parsers for the canonical trace's fields that must not lose precision: 64-bit hex addresses
 * (split into a page number and an offset) and 64-bit ids (split into two 32-bit halves). They
 * write into a caller-owned scratch object and return an error text or null, so the reader's
 * per-row path throws nothing.
 */
import { PAGE_SHIFT } from '../types/event.js';

/** Result slots reused across calls. */
export interface ParsedAddress {
  page: number;
  offset: number;
}

export interface ParsedId {
  hi: number;
  lo: number;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * Parses `0x` followed by 1..16 hex digits into `out.page` (address >> 12, exact up to 52 bits)
 * and `out.offset` (address & 0xfff).
 * @returns null when valid, else the reason.
 * @example parseHexAddress('0x1000f', s) // s.page === 16, s.offset === 15
 */
export function parseHexAddress(text: string, out: ParsedAddress): string | null {
  const n = text.length;
  if (n < 3 || text.charCodeAt(0) !== 48 || (text.charCodeAt(1) | 32) !== 120) {
    return `address '${text}' is not hex (expected 0x...)`;
  }
  let start = 2;
  while (start < n - 1 && text.charCodeAt(start) === 48) start++; // leading zeros do not count
  if (n - start > 16) return `address '${text}' is wider than 64 bits`;
  // The last three hex digits are the page offset; the rest (<= 13 digits, 52 bits) the page.
  let page = 0;
  let offset = 0;
  const split = Math.max(start, n - 3);
  for (let i = start; i < n; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return `address '${text}' is not hex (expected 0x...)`;
    if (i < split) page = page * 16 + d;
    else offset = offset * 16 + d;
  }
  out.page = page;
  out.offset = offset;
  return null;
}

/** Formats a page number and offset back to the canonical `0x...` address text. */
export function formatHexAddress(page: number, offset: number): string {
  if (page === 0) return '0x' + offset.toString(16);
  return '0x' + page.toString(16) + offset.toString(16).padStart(3, '0');
}

const TWO_32 = 4294967296;

/**
 * Parses a plain decimal integer (digits only, at most 15 so it is exact in a float64).
 * @returns the value, or -1 when the text is empty or not all digits ("1e3", "0x10", " 7" are not).
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  if (n === 0 || n > 15) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * Parses an id (handle or unit): decimal or `0x` hex up to 64 bits, exact, into two halves.
 * Any other text is hashed to 64 bits (two 32-bit lanes), so ids of any form pair up
 * without an ever-growing intern table; two distinct texts collide with probability ~2^-64.
 * @returns true when the text was numeric, false when it was hashed.
 */
export function parseId(text: string, out: ParsedId): boolean {
  const n = text.length;
  if (n > 2 && text.charCodeAt(0) === 48 && (text.charCodeAt(1) | 32) === 120) {
    let start = 2;
    while (start < n - 1 && text.charCodeAt(start) === 48) start++;
    if (n - start <= 16) {
      let hi = 0;
      let lo = 0;
      const split = Math.max(start, n - 8);
      let ok = true;
      for (let i = start; i < n; i++) {
        const d = hexDigit(text.charCodeAt(i));
        if (d < 0) {
          ok = false;
          break;
        }
        if (i < split) hi = hi * 16 + d;
        else lo = lo * 16 + d;
      }
      if (ok) {
        out.hi = hi;
        out.lo = lo;
        return true;
      }
    }
  } else if (n > 0 && n <= 15) {
    let value = 0;
    let ok = true;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) {
        ok = false;
        break;
      }
      value = value * 10 + (c - 48);
    }
    if (ok) {
      out.hi = Math.floor(value / TWO_32);
      out.lo = value >>> 0;
      return true;
    }
  }
  hashId(text, out);
  return false;
}

/**
 * A 64-bit hash as two independent 32-bit lanes: FNV-1a (lo) and a Murmur3-style multiply-mix
 * with another seed (hi). Not cryptographic; it only has to make accidental collisions of id
 * texts vanishingly rare.
 */
function hashId(text: string, out: ParsedId): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  out.hi = (b ^ (b >>> 16)) >>> 0;
  out.lo = a >>> 0;
}

/** Formats an id's halves as hex text, as used in diagnostics. */
export function formatId(hi: number, lo: number): string {
  if (hi === 0) return '0x' + lo.toString(16);
  return '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseHexAddress, formatHexAddress, parseId, parseDecimal, formatId, type ParsedAddress, type ParsedId } from '../../src/trace/fields.js';

function addr(text: string): ParsedAddress | string {
  const a = { page: -1, offset: -1 };
  const err = parseHexAddress(text, a);
  return err ?? a;
}

function id(text: string): { numeric: boolean; hi: number; lo: number } {
  const out: ParsedId = { hi: -1, lo: -1 };
  const numeric = parseId(text, out);
  return { numeric, hi: out.hi, lo: out.lo };
}

describe('parseHexAddress: page / offset split', () => {
  it('splits the last three hex digits off as the offset and the rest as the 4 KiB page number', () => {
    expect(addr('0x1000f')).toEqual({ page: 16, offset: 15 });
    expect(addr('0x1000')).toEqual({ page: 1, offset: 0 });
    expect(addr('0xfff')).toEqual({ page: 0, offset: 0xfff });
    expect(addr('0x7')).toEqual({ page: 0, offset: 7 });
    expect(addr('0x0')).toEqual({ page: 0, offset: 0 });
    expect(addr('0x12345678abc')).toEqual({ page: 0x12345678, offset: 0xabc });
    expect(addr('0xdeadbeef')).toEqual({ page: 0xdeadb, offset: 0xeef });
  });

  it('parses the largest 64-bit address exactly: 0xffffffffffffffff -> page 0xfffffffffffff (2^52 - 1), offset 0xfff', () => {
    const a = addr('0xffffffffffffffff') as ParsedAddress;
    expect(a).toEqual({ page: 0xfffffffffffff, offset: 0xfff });
    expect(a.page).toBe(2 ** 52 - 1);
    expect(Number.isSafeInteger(a.page)).toBe(true);
  });

  it('parses 16-digit addresses exactly where a float64 of the whole address would round', () => {
    // 0x8000000000000001 is not representable as a double, but page and offset are
    expect(addr('0x8000000000000001')).toEqual({ page: 2 ** 51, offset: 1 });
    expect(addr('0x1234567890abcdef')).toEqual({ page: 0x1234567890abc, offset: 0xdef });
  });

  it('does not count leading zeros toward the 16-digit limit', () => {
    expect(addr('0x0000000000000000001')).toEqual({ page: 0, offset: 1 });
    expect(addr('0x00000000000000000000')).toEqual({ page: 0, offset: 0 });
    expect(addr('0x000ffffffffffffffff')).toEqual({ page: 0xfffffffffffff, offset: 0xfff });
    expect(addr('0x00001000')).toEqual({ page: 1, offset: 0 });
  });

  it('rejects 17 significant digits as wider than 64 bits', () => {
    expect(addr('0x10000000000000000')).toBe("address '0x10000000000000000' is wider than 64 bits");
    expect(addr('0x1ffffffffffffffff')).toMatch(/wider than 64 bits/);
    expect(addr('0x0010000000000000000')).toMatch(/wider than 64 bits/);
  });

  it('accepts uppercase digits and an uppercase X, with the same result as lowercase', () => {
    expect(addr('0xABCDEF')).toEqual({ page: 0xabc, offset: 0xdef });
    expect(addr('0XABCDEF')).toEqual({ page: 0xabc, offset: 0xdef });
    expect(addr('0xAbCdEf')).toEqual(addr('0xabcdef'));
    expect(addr('0xFFFFFFFFFFFFFFFF')).toEqual({ page: 0xfffffffffffff, offset: 0xfff });
  });

  it('rejects text that is not 0x followed by hex digits, naming the text', () => {
    expect(addr('4096')).toBe("address '4096' is not hex (expected 0x...)");
    expect(addr('0x')).toMatch(/not hex/);
    expect(addr('0x12g')).toBe("address '0x12g' is not hex (expected 0x...)");
    expect(addr('0xg12')).toMatch(/not hex/);
    expect(addr('0x-1')).toMatch(/not hex/);
    expect(addr(' 0x10')).toMatch(/not hex/);
    expect(addr('0x10 ')).toMatch(/not hex/);
    expect(addr('1x10')).toMatch(/not hex/);
    expect(addr('0y10')).toMatch(/not hex/);
    expect(addr('')).toMatch(/not hex/);
  });

  it('leaves the scratch object untouched on an error', () => {
    const a = { page: 5, offset: 6 };
    expect(parseHexAddress('0xzz', a)).not.toBeNull();
    expect(a).toEqual({ page: 5, offset: 6 });
  });
});

describe('formatHexAddress', () => {
  it('formats canonical lowercase text without leading zeros, padding the offset to 3 digits after a page', () => {
    expect(formatHexAddress(0, 0)).toBe('0x0');
    expect(formatHexAddress(0, 0xabc)).toBe('0xabc');
    expect(formatHexAddress(1, 0)).toBe('0x1000');
    expect(formatHexAddress(16, 15)).toBe('0x1000f');
    expect(formatHexAddress(0xfffffffffffff, 0xfff)).toBe('0xffffffffffffffff');
  });

  it('property: parse(format(page, offset)) gives back page and offset for every page < 2^52 and offset < 4096', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 - 1 }), fc.integer({ min: 0, max: 4095 }), (page, offset) => {
        expect(addr(formatHexAddress(page, offset))).toEqual({ page, offset });
      }),
      { numRuns: 500 },
    );
  });

  it('property: for any 64-bit address x, parse gives page = x >> 12 and offset = x & 0xfff exactly, and format gives back the text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(4), fc.boolean(), (x, zeros, upper) => {
        const hex = x.toString(16);
        const text = '0x' + '0'.repeat(zeros) + (upper ? hex.toUpperCase() : hex);
        const a = addr(text) as ParsedAddress;
        expect(BigInt(a.page)).toBe(x >> 12n);
        expect(BigInt(a.offset)).toBe(x & 0xfffn);
        expect(formatHexAddress(a.page, a.offset)).toBe('0x' + hex);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseId', () => {
  it('decimal ids split exactly into hi and lo 32-bit halves', () => {
    expect(id('0')).toEqual({ numeric: true, hi: 0, lo: 0 });
    expect(id('17')).toEqual({ numeric: true, hi: 0, lo: 17 });
    expect(id('4294967295')).toEqual({ numeric: true, hi: 0, lo: 0xffffffff });
    expect(id('4294967296')).toEqual({ numeric: true, hi: 1, lo: 0 });
    expect(id('4294967297')).toEqual({ numeric: true, hi: 1, lo: 1 });
    // 15 digits is the longest decimal taken as a number
    expect(id('999999999999999')).toEqual({ numeric: true, hi: 232830, lo: 2764472319 });
  });

  it('hex ids up to 16 digits split exactly: the last 8 digits are lo', () => {
    expect(id('0x0')).toEqual({ numeric: true, hi: 0, lo: 0 });
    expect(id('0xff')).toEqual({ numeric: true, hi: 0, lo: 255 });
    expect(id('0xffffffff')).toEqual({ numeric: true, hi: 0, lo: 0xffffffff });
    expect(id('0x100000000')).toEqual({ numeric: true, hi: 1, lo: 0 });
    expect(id('0xffffffff00000002')).toEqual({ numeric: true, hi: 0xffffffff, lo: 2 });
    expect(id('0xffffffffffffffff')).toEqual({ numeric: true, hi: 0xffffffff, lo: 0xffffffff });
    expect(id('0x123456789abcdef0')).toEqual({ numeric: true, hi: 0x12345678, lo: 0x9abcdef0 });
    expect(id('0XDEADBEEFCAFE')).toEqual({ numeric: true, hi: 0xdead, lo: 0xbeefcafe });
    expect(id('0x00000000000000000000001')).toEqual({ numeric: true, hi: 0, lo: 1 }); // leading zeros do not count
  });

  it('the decimal and hex forms of one value give the same halves', () => {
    expect(id('255')).toEqual(id('0xff'));
    expect(id('4294967297')).toEqual(id('0x100000001'));
    expect(id('999999999999999')).toEqual(id('0x38d7ea4c67fff'));
  });

  it('property: any 64-bit hex id gives hi * 2^32 + lo equal to the value, both halves uint32', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (x) => {
        const r = id('0x' + x.toString(16));
        expect(r.numeric).toBe(true);
        expect(BigInt(r.hi)).toBe(x >> 32n);
        expect(BigInt(r.lo)).toBe(x & 0xffffffffn);
        expect(formatId(r.hi, r.lo)).toBe('0x' + x.toString(16));
      }),
      { numRuns: 500 },
    );
  });

  it('property: any decimal id of at most 15 digits gives hi * 2^32 + lo equal to the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999999999999999 }), (v) => {
        const r = id(String(v));
        expect(r.numeric).toBe(true);
        expect(r.hi * 2 ** 32 + r.lo).toBe(v);
        expect(r.lo).toBeLessThan(2 ** 32);
      }),
      { numRuns: 500 },
    );
  });

  it('other text is hashed (returns false): 17+ hex digits, 16+ decimal digits, non-digits, empty', () => {
    for (const t of ['0x10000000000000000', '1000000000000000', '18446744073709551615', 'rx-17', '0x', '0xg', '-1', ' 7', '']) {
      const r = id(t);
      expect(r.numeric, t).toBe(false);
      expect(Number.isInteger(r.hi) && r.hi >= 0 && r.hi < 2 ** 32, t).toBe(true);
      expect(Number.isInteger(r.lo) && r.lo >= 0 && r.lo < 2 ** 32, t).toBe(true);
    }
  });

  it('the lo lane of a hashed id is 32-bit FNV-1a (standard test vectors)', () => {
    expect(id('').lo).toBe(0x811c9dc5);
    expect(id('a').lo).toBe(0xe40c292c);
    expect(id('foobar').lo).toBe(0xbf9cf968);
  });

  it('the same text always hashes to the same halves; near-identical texts do not collide', () => {
    expect(id('rx-17')).toEqual(id('rx-17'));
    expect(id('ring0/slot12')).toEqual(id('ring0/slot12'));
    const texts = ['rx-17', 'rx-18', 'rx-71', 'tx-17', 'Rx-17', 'rx-17 ', 'ab', 'ba'];
    const keys = new Set(texts.map((t) => {
      const r = id(t);
      return `${r.hi}:${r.lo}`;
    }));
    expect(keys.size).toBe(texts.length);
  });
});

describe('formatId and parseDecimal', () => {
  it('formatId writes lo padded to 8 digits after a non-zero hi', () => {
    expect(formatId(0, 0)).toBe('0x0');
    expect(formatId(0, 0x10)).toBe('0x10');
    expect(formatId(1, 0)).toBe('0x100000000');
    expect(formatId(0xffffffff, 2)).toBe('0xffffffff00000002');
  });

  it('parseDecimal takes 1..15 plain digits only', () => {
    expect([parseDecimal('0'), parseDecimal('123'), parseDecimal('999999999999999')]).toEqual([0, 123, 999999999999999]);
    expect([parseDecimal(''), parseDecimal('1e3'), parseDecimal(' 1'), parseDecimal('0x10'), parseDecimal('-1'), parseDecimal('1.5'), parseDecimal('1234567890123456')]).toEqual([-1, -1, -1, -1, -1, -1, -1]);
  });
});

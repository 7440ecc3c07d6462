import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseHexAddress, formatHexAddress, parseId, parseDecimal, formatId } from '../../src/trace/fields.js';

describe('fields', () => {
  it('64-bit hex addresses split exactly into page and offset', () => {
    const a = { page: 0, offset: 0 };
    expect(parseHexAddress('0x1000f', a)).toBeNull();
    expect(a).toEqual({ page: 16, offset: 15 });
    expect(parseHexAddress('0xffffffffffffffff', a)).toBeNull();
    expect(a).toEqual({ page: 0xfffffffffffff, offset: 0xfff });
    expect(parseHexAddress('0x0000000000000000001', a)).toBeNull(); // leading zeros do not count
    expect(a).toEqual({ page: 0, offset: 1 });
    expect(parseHexAddress('0x1ffffffffffffffff', a)).toMatch(/wider than 64 bits/);
    expect(parseHexAddress('0xABCdef', a)).toBeNull();
    expect(parseHexAddress('4096', a)).toMatch(/not hex/);
    expect(parseHexAddress('0x12g', a)).toMatch(/not hex/);
  });

  it('property: format(parse(x)) is x for any 64-bit address', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (x) => {
        const a = { page: 0, offset: 0 };
        expect(parseHexAddress('0x' + x.toString(16), a)).toBeNull();
        expect(formatHexAddress(a.page, a.offset)).toBe('0x' + x.toString(16));
      }),
    );
  });

  it('ids: decimal and hex exactly as two halves; other text hashed the same way every time', () => {
    const id = { hi: 0, lo: 0 };
    expect(parseId('4294967297', id)).toBe(true);
    expect(id).toEqual({ hi: 1, lo: 1 });
    expect(parseId('0xffffffff00000002', id)).toBe(true);
    expect(id).toEqual({ hi: 0xffffffff, lo: 2 });
    expect(formatId(id.hi, id.lo)).toBe('0xffffffff00000002');
    expect(parseId('rx-17', id)).toBe(false);
    const first = { ...id };
    parseId('rx-17', id);
    expect(id).toEqual(first);
    parseId('rx-18', id);
    expect(id).not.toEqual(first);
  });

  it('plain decimals only', () => {
    expect([parseDecimal('0'), parseDecimal('123'), parseDecimal(''), parseDecimal('1e3'), parseDecimal(' 1'), parseDecimal('0x10'), parseDecimal('1234567890123456')]).toEqual([0, 123, -1, -1, -1, -1, -1]);
  });
});

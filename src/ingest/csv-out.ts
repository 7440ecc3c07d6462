/**
 * The canonical CSV text `ingest` yields, written as bytes into one growing buffer rather than
 * as a string per row (`${ts},${guest},...` makes a dozen short-lived strings a row, and the
 * garbage collector then costs more than the parsing). Text is ASCII in practice; a field that
 * is not (a device name from the trace, say) is kept as the string it is, so the text given back
 * is exactly the rows joined, whatever characters they hold.
 */
export class CsvOut {
  private buf = Buffer.allocUnsafe(1 << 18);
  private pos = 0;
  /** Text before `buf`, when a non-ASCII field came (rare): the buffer's bytes, then that field. */
  private parts: string[] = [];
  /** Lines written since the last `take` (the header counts as one). */
  lines = 0;

  /** A whole line (no line end in it). */
  line(text: string): void {
    this.str(text);
    this.endLine();
  }

  endLine(): void {
    this.room(1);
    this.buf[this.pos++] = 10;
    this.lines++;
  }

  comma(): void {
    this.room(1);
    this.buf[this.pos++] = 44;
  }

  str(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        // Keep the rest as a string (no encoding: lone surrogates and all stay as they are).
        this.pos = pos;
        this.flushBytes();
        this.parts.push(s.slice(i));
        return;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
  }

  /** A number as `${n}` writes it; integers from 0 to 2^53 without making a string. */
  num(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) return this.str(String(n));
    this.room(16);
    if (n < 1e9) return this.digits(n, 0);
    // Above 32 bits: the high part, then the low 9 digits zero-padded (both in 32-bit arithmetic).
    const high = Math.floor(n / 1e9);
    this.digits(high, 0);
    this.digits(n - high * 1e9, 9);
  }

  /** Decimal digits of an integer below 2^31, at least `width` of them. */
  private digits(v: number, width: number): void {
    let count = 1;
    for (let x = v; x >= 10; x = (x / 10) | 0) count++;
    if (count < width) count = width;
    let p = this.pos + count;
    this.pos = p;
    for (let k = 0; k < count; k++) {
      const q = (v / 10) | 0;
      this.buf[--p] = 48 + v - q * 10;
      v = q;
    }
  }

  /** `0x` + hex digits, lower case, no leading zeros (`hexText`'s form), for 0 <= v <= 2^53. */
  hex(v: number): void {
    this.room(18);
    this.buf[this.pos++] = 48;
    this.buf[this.pos++] = 120;
    if (v >= 0x100000000) {
      this.hexDigits(Math.floor(v / 0x100000000), 0);
      this.hexDigits(v % 0x100000000, 8);
    } else this.hexDigits(v, 0);
  }

  /** The text written since the last call (all lines end in `\n`), or '' for none. */
  take(): string {
    let text: string;
    if (this.parts.length > 0) {
      this.flushBytes();
      text = this.parts.join('');
      this.parts = [];
    } else text = this.buf.toString('latin1', 0, this.pos);
    this.pos = 0;
    this.lines = 0;
    return text;
  }

  /** Hex digits of a 32-bit value, at least `width` of them. */
  private hexDigits(v: number, width: number): void {
    let digits = 1;
    while (digits < 8 && v >>> (digits * 4) !== 0) digits++;
    if (digits < width) digits = width;
    let p = this.pos + digits;
    this.pos = p;
    for (let k = 0; k < digits; k++, v >>>= 4) this.buf[--p] = HEX[v & 15];
  }

  private flushBytes(): void {
    if (this.pos > 0) this.parts.push(this.buf.toString('latin1', 0, this.pos));
    this.pos = 0;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

const HEX = Buffer.from('0123456789abcdef');

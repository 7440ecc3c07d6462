/**
 * Writing canonical CSV traces: from plain event objects (tests, synthesis, ingest), one line
 * per event, with the exact canonical header. Addresses are given as bigint or `0x` text so
 * 64-bit values never pass through a lossy JS number.
 */
import { CANONICAL_HEADER } from './canonical.js';

export interface CanonicalEvent {
  ts_ns: number;
  guest?: number;
  device: string;
  class: 'net' | 'disk';
  op: 'map' | 'unmap' | 'access';
  dir: 'to_device' | 'from_device' | 'bidirectional' | '';
  /** `0x...` text or a bigint; '' allowed for an unmap. */
  addr: string | bigint;
  len: number | '';
  handle: string | number | bigint;
  unit?: string | number | bigint;
}

function quote(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatEventLine(e: CanonicalEvent): string {
  const addr = typeof e.addr === 'bigint' ? '0x' + e.addr.toString(16) : e.addr;
  const handle = typeof e.handle === 'bigint' ? '0x' + e.handle.toString(16) : String(e.handle);
  const unit = e.unit === undefined ? '' : typeof e.unit === 'bigint' ? '0x' + e.unit.toString(16) : String(e.unit);
  return [String(e.ts_ns), String(e.guest ?? 0), quote(e.device), e.class, e.op, e.dir, addr, String(e.len), quote(handle), quote(unit)].join(',');
}

/** The whole trace as text (small traces; stream with CanonicalCsvWriter for large ones). */
export function toCanonicalCsv(events: Iterable<CanonicalEvent>): string {
  const lines = [CANONICAL_HEADER];
  for (const e of events) lines.push(formatEventLine(e));
  return lines.join('\n') + '\n';
}

/** Streams events to a writable, respecting back-pressure. */
export class CanonicalCsvWriter {
  private started = false;
  constructor(private readonly out: NodeJS.WritableStream) {}

  async write(e: CanonicalEvent): Promise<void> {
    let text = formatEventLine(e) + '\n';
    if (!this.started) {
      text = CANONICAL_HEADER + '\n' + text;
      this.started = true;
    }
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  async end(): Promise<void> {
    if (!this.started) this.out.write(CANONICAL_HEADER + '\n');
    await new Promise<void>((resolve) => this.out.end(() => resolve()));
  }
}

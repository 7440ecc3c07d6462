import { statSync } from 'node:fs';

/** A file's size in bytes for a progress total (0 when it cannot be read: the error comes later). */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * A one-line progress indicator on stderr, shown only when stderr is a terminal, redrawn at most
 * ten times a second and erased when done.
 */
export class Progress {
  /** Whether anything is drawn: stderr is a terminal and CI is not set. */
  readonly enabled: boolean;
  private last = 0;
  private label = '';
  private total = 0;
  private bytes = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = Boolean(stream.isTTY) && !process.env.CI;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  start(label: string, totalBytes: number): void {
    this.label = label;
    this.total = totalBytes;
    this.last = 0;
    this.bytes = 0;
    this.update(0, true);
  }

  /** A line of its own about what is being done (kept on screen), only when the bar is shown. */
  note(text: string): void {
    if (!this.enabled) return;
    this.stream.write(`\r\x1b[2K${text}\n`);
  }

  /** A new label for the same bar (e.g. a count of files done), drawn at once. */
  relabel(label: string): void {
    this.label = label;
    this.update(this.bytes, true);
  }

  update(bytes: number, force = false): void {
    this.bytes = bytes;
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const pct = this.total > 0 ? Math.min(100, (bytes / this.total) * 100) : 0;
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const mb = (bytes / 1e6).toFixed(1);
    this.stream.write(`\r\x1b[2K${this.label} [${bar}] ${pct.toFixed(0).padStart(3)}% ${mb} MB`);
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}

/**
 * Side files read whole (profiles, device lists, result files): at most a set number of bytes is
 * read, so `-p /dev/zero` or a FIFO that never ends is one error line instead of a process that
 * fills its memory until it dies.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors.js';

/** Bytes read at most from a side file unless the caller says otherwise. */
export const SMALL_FILE_BYTES = 16 << 20;

/**
 * The text of `path`; `what` names the kind of file in errors ("profile", "device list").
 * @throws InputError (one line naming the file) when it is missing, unreadable, a directory, or
 * longer than `maxBytes`.
 */
export function readSmallFile(path: string, what: string, maxBytes = SMALL_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: ${reasonOf(e)}`);
  }
  try {
    const s = fstatSync(fd);
    if (s.isDirectory()) throw new InputError(`${path}: is a directory, not a ${what} file`);
    // One byte more than allowed: reading it means the file is too long (devices and FIFOs have
    // no size to check up front).
    const buf = Buffer.alloc(s.isFile() ? Math.min(maxBytes, s.size) + 1 : maxBytes + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > maxBytes) throw new InputError(`${path}: too long for a ${what} file (more than ${formatMiB(maxBytes)})`);
      if (got === buf.length) break;
    }
    return buf.toString('utf8', 0, got);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: ${reasonOf(e)}`);
  } finally {
    closeSync(fd);
  }
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot read (${(e as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')})`;
}

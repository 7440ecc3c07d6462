/**
 * Output files and directories named on the command line (-o, --figures-dir): a failure to write
 * one becomes a single InputError line naming the path the user gave, e.g.
 * `/nonexist/x.json: cannot write (no such directory)`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError, UsageError } from '../util/errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a parent is not a directory',
  EEXIST: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'name too long',
};

/** A short reason for a Node I/O error: ours for common codes, else Node's text without the path. */
export function ioReason(e: NodeJS.ErrnoException): string {
  return (e.code && REASONS[e.code]) ?? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

/** Whether `e` is a Node I/O error (it has an errno code and a syscall). */
export function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** The error to report when writing `path` failed with `e`: one line for an I/O error, else `e`. */
export function cannotWrite(path: string, e: unknown): unknown {
  if (e instanceof InputError || e instanceof UsageError || !isIoError(e)) return e;
  return new InputError(`${path}: cannot write (${ioReason(e)})`);
}

/** Runs `write`, turning an I/O error into one line naming `path`. */
export async function writing<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw cannotWrite(path, e);
  }
}

/**
 * Creates the parent directory and opens `path` for writing, reporting failure as one line before
 * anything is written. A later write error is kept and rethrown by `closeOutput`.
 */
export async function openOutput(path: string): Promise<WriteStream> {
  return writing(path, async () => {
    await mkdir(dirname(path), { recursive: true });
    const out = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    out.on('error', () => {}); // reported by closeOutput (the stream keeps the error)
    return out;
  });
}

/** Ends a stream from openOutput, rethrowing any write error as one line naming `path`. */
export async function closeOutput(path: string, out: WriteStream): Promise<void> {
  await writing(path, () => new Promise<void>((resolve, reject) => {
    if (out.errored) return reject(out.errored);
    out.end((err?: Error | null) => (err ? reject(err) : out.errored ? reject(out.errored) : resolve()));
  }));
}

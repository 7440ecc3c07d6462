/**
 * Output files and directories named on the command line (-o, --figures-dir): each is replaced
 * whole, only when complete (util/atomic-file.ts), and a failure to write one becomes a single
 * InputError line naming the path the user gave, e.g. `/nonexist/x.json: cannot write (no such
 * directory)`.
 */
import { AtomicFile, writeFileAtomic, type AtomicOptions } from '../util/atomic-file.js';
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
  ENXIO: 'a FIFO that no process reads',
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

/** Opens an output that replaces `path` whole on commit (util/atomic-file.ts); failure to open is
 * one line naming `path`. The caller ends with `commitOutput` or `file.abort()`. */
export async function openOutput(path: string, options: AtomicOptions = {}): Promise<AtomicFile> {
  return writing(path, () => AtomicFile.open(path, options));
}

/** Puts an output from openOutput in place, rethrowing a write error as one line naming its path. */
export async function commitOutput(file: AtomicFile): Promise<void> {
  await writing(file.path, () => file.commit());
}

/** Writes a whole output file in one go (temporary file + rename), errors as one line. */
export async function writeOutput(path: string, content: string | Uint8Array, options: AtomicOptions = {}): Promise<void> {
  await writing(path, () => writeFileAtomic(path, content, options));
}

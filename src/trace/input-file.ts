/**
 * Input files as every reader opens them: checks before reading (missing, a directory, not
 * readable), and the errors a read can end with (I/O, a damaged or truncated gzip stream) as one
 * line naming the file.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../util/errors.js';

/** Fails with one clear line for a path that is missing, a directory, or unreadable. */
export async function checkReadable(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InputError(`${path}: is a directory, not a trace file`);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: no such file`);
    if (code === 'EACCES') throw new InputError(`${path}: permission denied`);
    throw new InputError(`${path}: cannot read (${(e as Error).message})`);
  }
}

/** Whether `path` is a regular file (one that can be read twice); false for FIFOs and devices. */
export async function isRegularFile(path: string): Promise<boolean> {
  return (await stat(path)).isFile();
}

/**
 * The error a read of `file` ended with, as one line: a gzip stream that stops early or is not
 * gzip at all, or an I/O error. Errors that are already one line (InputError) pass through, and
 * so does anything else (a bug is not dressed up as bad input).
 */
export function readError(file: string, e: unknown): Error {
  if (e instanceof InputError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'Z_BUF_ERROR' || err?.message === 'unexpected end of file') return new InputError(`${file}: truncated gzip file (unexpected end of file)`);
  if (typeof err?.code === 'string' && err.code.startsWith('Z_')) return new InputError(`${file}: not a valid gzip file (${err.message})`);
  if (typeof err?.code === 'string' && typeof err.syscall === 'string') return new InputError(`${file}: cannot read (${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')})`);
  return e as Error;
}

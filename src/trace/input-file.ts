/**
 * Input files as every reader opens them: checks before reading (missing, a directory, not
 * readable), and the errors a read can end with (I/O, a damaged or truncated gzip stream) as one
 * line naming the file.
 */
import { createReadStream, open, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { PassThrough, pipeline, type Readable } from 'node:stream';
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

/**
 * A stream of the bytes of `path`. A FIFO is read through the event loop (as a pipe) instead of
 * by blocking reads on libuv's thread pool: a read waiting on a FIFO whose writer stays open holds
 * a pool thread that the process's exit then waits for, so a command interrupted there (Ctrl-C)
 * removed its temporary output but never exited.
 */
export function openReadStream(path: string, highWaterMark?: number): Readable {
  let fifo = false;
  try {
    fifo = statSync(path).isFIFO();
  } catch {
    // the read stream reports it
  }
  if (!fifo) return createReadStream(path, highWaterMark ? { highWaterMark } : {});
  const out = new PassThrough(highWaterMark ? { highWaterMark } : {});
  // Opening for reading waits for a writer; only that wait is on the thread pool.
  open(path, 'r', (err, fd) => {
    if (err) return void out.destroy(err);
    pipeline(new Socket({ fd, readable: true, writable: false }), out, () => {});
  });
  return out;
}

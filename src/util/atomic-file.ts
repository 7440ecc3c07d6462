/**
 * Output files that are replaced whole or not at all. Every output is written to a temporary file
 * in the target's own directory (same file system, so the final rename is atomic) and renamed onto
 * the target only when it is complete; a command that fails, or is interrupted (SIGINT, SIGTERM,
 * SIGHUP), removes its temporary files and leaves whatever was at the target as it was.
 *
 * Two things are never overwritten:
 *   - an input of the running command (`protectInputs`): writing results over the trace they
 *     came from is a usage error, found by file identity (device + inode), so a symbolic or hard
 *     link to the input counts too;
 *   - a target that exists and is not a regular file (/dev/null, a FIFO, a terminal): it cannot be
 *     replaced, so it is written directly; a FIFO nobody reads is an error, not a wait forever.
 */
import { createWriteStream, constants as FS, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { chmod, lstat, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors.js';
import { makeDirs } from './make-dirs.js';

/** Inputs of the running command, by file identity: outputs must not land on them. */
const inputs = new Map<string, string>();

/** Marks files the command reads: an output that is one of them is refused (see `checkNotInput`). */
export function protectInputs(paths: readonly string[]): void {
  for (const p of paths) {
    const id = identity(p);
    if (id !== null && !inputs.has(id)) inputs.set(id, p);
  }
}

/** @throws UsageError when `path` is (a link to) one of the protected inputs. */
export function checkNotInput(path: string): void {
  const id = identity(path);
  const input = id === null ? undefined : inputs.get(id);
  if (input !== undefined) throw new UsageError(`${path}: is the same file as the input ${input}; write the output to another file`, path);
}

function identity(path: string): string | null {
  try {
    const s = statSync(path);
    return s.isFile() ? `${s.dev}:${s.ino}` : null;
  } catch {
    return null; // does not exist (yet): not an input
  }
}

/** Temporary files not yet committed or aborted, removed if the process ends first. */
const pending = new Set<string>();
let cleanupInstalled = false;

function removePendingSync(): void {
  for (const p of pending) {
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
  }
  pending.clear();
}

/**
 * On the first temporary file: remove them all when the process exits, and turn the usual
 * interrupting signals into an exit (128 + signal number, as a shell reports it) that does so.
 */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', removePendingSync);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      removePendingSync();
      process.exit(code);
    });
  }
}

export interface AtomicOptions {
  /** Create missing parent directories first (default false: a missing one is an error). */
  makeParents?: boolean;
}

/** An output being written: `stream` takes the bytes; `commit` puts them in place, `abort` drops them. */
export class AtomicFile {
  private finished = false;

  private constructor(
    /** The path the user named. */
    readonly path: string,
    readonly stream: WriteStream,
    /** The temporary file, or null when writing straight to a device or FIFO. */
    private readonly temp: string | null,
    private readonly target: string,
  ) {}

  /**
   * Opens `path` for replacing. The caller must end with `commit()` or `abort()`.
   * @throws UsageError when the path is an input; the I/O error when it cannot be created.
   */
  static async open(path: string, options: AtomicOptions = {}): Promise<AtomicFile> {
    checkNotInput(path);
    const existing = await stat(path).catch(() => null);
    if (existing && existing.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR', syscall: 'open', path });
    if (existing && !existing.isFile()) return AtomicFile.openDirect(path, existing.isFIFO());
    // Through a symbolic link: replace the file it names, not the link.
    const target = (await lstat(path).catch(() => null))?.isSymbolicLink() ? await realpath(path).catch(() => path) : path;
    if (options.makeParents) await makeDirs(dirname(target));
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    installCleanup();
    pending.add(temp);
    try {
      const stream = await opened(createWriteStream(temp, { flags: 'wx' }));
      // The replacement keeps the permissions of the file it replaces.
      if (existing) await chmod(temp, existing.mode & 0o7777).catch(() => undefined);
      return new AtomicFile(path, stream, temp, target);
    } catch (e) {
      pending.delete(temp);
      throw e;
    }
  }

  /** A device or FIFO: written in place. A FIFO is probed without blocking first, so one that no
   * process reads fails at once (ENXIO) instead of waiting for a reader forever. */
  private static async openDirect(path: string, fifo: boolean): Promise<AtomicFile> {
    if (fifo) await (await open(path, FS.O_WRONLY | FS.O_NONBLOCK)).close();
    const stream = await opened(createWriteStream(path, { flags: 'w' }));
    return new AtomicFile(path, stream, null, path);
  }

  /** Ends the stream and renames the temporary file onto the target. @throws the write error. */
  async commit(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await endStream(this.stream);
      if (this.temp !== null) await rename(this.temp, this.target);
    } catch (e) {
      await this.removeTemp();
      throw e;
    }
    if (this.temp !== null) pending.delete(this.temp);
  }

  /** Drops what was written; the target keeps its old content. Never throws. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.stream.destroy();
    await this.removeTemp();
  }

  private async removeTemp(): Promise<void> {
    if (this.temp === null) return;
    await unlink(this.temp).catch(() => undefined);
    pending.delete(this.temp);
  }
}

/** Writes a whole file through a temporary file (see AtomicFile). */
export async function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicOptions = {}): Promise<void> {
  const f = await AtomicFile.open(path, options);
  try {
    await new Promise<void>((resolve, reject) => f.stream.write(content, (e) => (e ? reject(e) : resolve())));
    await f.commit();
  } finally {
    await f.abort();
  }
}

/** Resolves once the stream's file is open; a later write error stays on the stream (`errored`). */
function opened(stream: WriteStream): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    stream.once('open', () => {
      stream.off('error', reject);
      stream.on('error', () => {}); // kept in stream.errored, thrown by commit
      resolve(stream);
    });
    stream.once('error', reject);
  });
}

function endStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.errored) return reject(stream.errored);
    stream.end((err?: Error | null) => (err ? reject(err) : stream.errored ? reject(stream.errored) : resolve()));
  });
}

/**
 * `mkdir -p` that always ends. Node's own `mkdir(dir, { recursive: true })` loops forever when a
 * parent exists but refuses new entries in a way it does not expect (under /proc: mkdir gives
 * ENOENT while the parent is there, so it retries the parent, then the child, ...): here each
 * missing directory is made once, top down, and any refusal is thrown as it is.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      const s = await stat(d);
      if (!s.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: dir });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw e;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      // Made by someone else meanwhile: fine. Any other refusal ends here, once.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

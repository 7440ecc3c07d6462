/**
 * Temporary directories for a test file, removed when the file's tests are done: every test
 * file that imports this gets one afterAll that removes what it made (modules are evaluated
 * afresh for each test file). The suite's global setup fails the run if any are left behind.
 */
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the OS temporary directory, removed after this file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

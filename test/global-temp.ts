/**
 * Global setup: the suite runs with its own temporary directory (TMPDIR, inherited by the test
 * workers and every CLI they start), and fails if a test leaves a `dmareplay-*` entry in it.
 * A private directory, not /tmp itself, so that other runs on the same machine neither hide a
 * leak nor cause a false one.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'vitest-of-dmareplay-'));
  process.env.TMPDIR = dir;
  return () => {
    const left = readdirSync(dir).filter((f) => f.startsWith('dmareplay-'));
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
    if (left.length === 0) return;
    // (an error thrown here is printed but leaves vitest's exit code at 0: set it instead)
    process.stderr.write(`\nFAIL: the tests left ${left.length} temporary director${left.length === 1 ? 'y' : 'ies'} behind: ${left.sort().join(', ')} (use tempDir() or scratchDir() from test/helpers, which remove theirs)\n`);
    process.exitCode = 1;
  };
}

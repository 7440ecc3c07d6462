/** Runs the built CLI as a user would (bin/run.js, no colour) and writes input files for it. */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tempDir } from './temp-dir.js';

export function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/run.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory (removed after the file's tests) and a function writing named files into it. */
export function scratchDir(prefix: string): { dir: string; file: (name: string, content: string | Buffer) => string; remove: () => void } {
  const dir = tempDir(prefix);
  return {
    dir,
    file: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Preloaded into the child by `cliChild`: writes its peak RSS (KiB) to $DMAREPLAY_RSS_FILE at exit. */
const RSS_HOOK = resolve('test/helpers/report-rss.mjs');

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed at `timeoutMs`: a hang (a generous limit, only there so a hang cannot stall the suite). */
  timedOut: boolean;
  /** The child's peak resident set, MiB, as it measured it itself (null when it did not exit). */
  maxRssMb: number | null;
}

export interface ChildOptions {
  timeoutMs?: number;
  /** stdout of the child: a pipe (default) or an open file descriptor, e.g. of /dev/full. */
  stdout?: number;
  env?: Record<string, string>;
  /** Extra node options, e.g. --max-old-space-size=128. */
  nodeArgs?: string[];
  /** Called with the child once it runs (e.g. to signal it). */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
}

/**
 * Runs the CLI in a child process without blocking the test's event loop, kills it after
 * `timeoutMs` (hang detection, not a timed assertion) and reports the child's own peak RSS.
 */
export function cliChild(args: string[], options: ChildOptions = {}): Promise<ChildRun> {
  const rssDir = mkdtempSync(join(tmpdir(), 'dmareplay-rss-'));
  const rssFile = join(rssDir, 'rss');
  return new Promise((done) => {
    const stdio: StdioOptions = ['ignore', options.stdout ?? 'pipe', 'pipe'];
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', RSS_HOOK, 'bin/run.js', ...args], {
      stdio,
      env: { ...process.env, NO_COLOR: '1', DMAREPLAY_RSS_FILE: rssFile, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    options.onSpawn?.(child);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssMb: number | null = null;
      try {
        maxRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // killed before it could write: no figure
      }
      rmSync(rssDir, { recursive: true, force: true });
      done({ code, signal, stdout, stderr, timedOut, maxRssMb });
    });
  });
}

/** Lines of text that look like a JavaScript stack trace or a raw exception dump. */
export function stackTraceLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+at .+(\(.*:\d+:\d+\)|:\d+:\d+)$/.test(l) || /^\s*(Type|Range|Reference|Syntax)?Error: /.test(l) || /^node:internal|^Node\.js v\d/.test(l) || /^\s*Code: [A-Z_]+$/.test(l));
}

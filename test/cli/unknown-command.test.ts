/**
 * Failures outside a command's own flags keep the one error format: an unknown command is one
 * `error:` line and exit 2 (not oclif's warning box), and a replay that could read no trace at
 * all is an error object under --json (not an empty result list).
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('an unknown command', () => {
  it('given a misspelled command, then one line naming it and the closest command, exit 2, nothing on stdout', () => {
    const r = cli('replai', 'traces/netperf-rx.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown command 'replai' (did you mean 'replay'?); see dmareplay --help\n");
    expect(r.stdout).toBe('');
  });

  it('given --json, then the usage error object on stdout and nothing on stderr', () => {
    const r = cli('frobnicate', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'usage', message: "unknown command 'frobnicate'; see dmareplay --help", file: null } });
    expect(r.stderr).toBe('');
  });
});

describe('replay or sweep of a trace that does not exist', () => {
  it('given --json, then an input error object naming the file, exit 1', () => {
    const r = cli('replay', 'missing.csv', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'input', message: 'missing.csv: no such file', file: 'missing.csv' } });
  });

  it('given sweep --json, then the same error object', () => {
    const r = cli('sweep', 'missing.csv', '--grid', 'iotlb.entries=8', '--no-figures', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'input', message: 'missing.csv: no such file', file: 'missing.csv' } });
  });

  it('given two missing traces as text, then one error line each, in order, exit 1', () => {
    const r = cli('replay', 'missing.csv', 'nope.csv');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: missing.csv: no such file\nerror: nope.csv: no such file\n');
  });
});

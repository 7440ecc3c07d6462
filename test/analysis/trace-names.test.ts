/** Trace names in tables: shortened to what tells them apart. */
import { describe, expect, it } from 'vitest';
import { shortTraceNames } from '../../src/analysis/trace-names.js';

describe('short trace names', () => {
  it('given traces in one directory, then their file names without directory or extension', () => {
    const m = shortTraceNames(['traces/qemu612-e1000-strict.csv.gz', 'traces/qemu612-e1000-lazy.csv.gz', '/abs/rx.arrow']);
    expect([...m.values()]).toEqual(['qemu612-e1000-strict', 'qemu612-e1000-lazy', 'rx']);
  });

  it('given two traces of one name in different directories, then the directory that tells them apart', () => {
    const m = shortTraceNames(['run1/rx.csv', 'run2/rx.csv', 'tx.csv']);
    expect([...m.values()]).toEqual(['run1/rx', 'run2/rx', 'tx']);
  });

  it('given the same trace as CSV and Arrow, then both keep their extension', () => {
    expect([...shortTraceNames(['a/rx.csv', 'a/rx.arrow']).values()]).toEqual(['a/rx.csv', 'a/rx.arrow']);
  });

  it('given a generated trace, then its synth: name as it is', () => {
    expect(shortTraceNames(['synth:rx-100g']).get('synth:rx-100g')).toBe('synth:rx-100g');
  });
});

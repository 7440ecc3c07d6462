/**
 * Raw kernel text replayed or inspected directly tells the user what `ingest` tells about the
 * same file: the same rejected lines (file:line), the same notes (as warnings), and --strict
 * stops at the first rejected line in every command alike. And a ring-overflow warning names only
 * a ring the trace shows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cli, scratchDir } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-raw-diag-');
afterAll(() => scratch.remove());

const task = '            dd-169     [001] .....';
const raw = scratch.file('capture.txt', [
  `${task}     6.047512: dma_map_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=4096 phys_addr=6f9a000 attrs=`,
  `${task}     6.047513: dma_map_page: 0000:00:03.0 dir=NONE dma_addr=fff90000 size=4096 phys_addr=6f9b000 attrs=`,
  `${task}     6.047514: dma_map_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=4096 phys_addr=6f9c000 attrs=`,
  `${task}     6.047515: sched_switch: prev_comm=dd prev_pid=169`,
  `${task}     6.047516: dma_unmap_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=4096 attrs=`,
  '',
].join('\n'));
const DIR_NONE = `${raw}:2: dma map of 0000:00:03.0 with dir=NONE: the DMA API maps no buffer without a direction`;
const NOTES = [
  "device '0000:00:03.0': class unknown, taken as net (give --class or a --devices file)",
  '1 line of other events (not an iommu: or dma: map or unmap) skipped',
  '1 map reused an address still mapped on its device with no unmap in the trace between (an unmap event lost?): the earlier DMA was taken as unmapped there',
];

describe('raw kernel text with a DMA_NONE map, an unrelated event and a map without its unmap', () => {
  it('given ingest, then the DMA_NONE line is a problem and each skipped kind has its note', () => {
    const r = cli('ingest', raw, '-o', scratch.file('out.csv', ''));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${DIR_NONE}\n`);
    expect(r.stderr).toContain('1 problem (rows skipped): 1 dir-none');
    for (const n of NOTES) expect(r.stderr).toContain(`note: ${n}\n`);
  });

  it('given inspect, then the same problem (not "problems none") and the same notes', () => {
    const r = cli('inspect', raw, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.problems).toEqual({ total: 1, by_kind: { 'dir-none': 1 }, first: [DIR_NONE] });
    expect(s.warnings).toEqual(NOTES.map((n) => `${raw}: ${n}`));
  });

  it('given replay, then the same problem and notes on stderr and in --json warnings', () => {
    const r = cli('replay', raw, '-s', 'native', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${DIR_NONE}\n`);
    for (const n of NOTES) expect(r.stderr).toContain(`warning: ${raw}: ${n}\n`);
    const warnings: string[] = JSON.parse(r.stdout).warnings;
    for (const n of NOTES) expect(warnings).toContain(`${raw}: ${n}`);
  });

  it('given attack --trace, then the same problem and notes on stderr', () => {
    const r = cli('attack', '--trace', raw, '-s', 'native', '--samples', '1', '--no-figures');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${DIR_NONE}\n`);
    for (const n of NOTES) expect(r.stderr).toContain(`warning: ${raw}: ${n}\n`);
  });

  for (const command of [['ingest', raw, '-o', scratch.file('strict.csv', '')], ['replay', raw, '-s', 'native'], ['inspect', raw]]) {
    it(`given ${command[0]} --strict, then exit 1 at the DMA_NONE line`, () => {
      const r = cli(...command, '--strict');
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').pop()).toBe(`error: ${DIR_NONE}`);
    });
  }
});

describe('ring-overflow warnings only for a ring the trace shows', () => {
  it('given an iommu:-only capture (every buffer bidirectional, one device name for all), then no "NIC TX ring" overflow', () => {
    const r = cli('replay', 'traces/capture/qemu-e1000-strict.txt.gz', '-s', 'native');
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/exceed the modelled/);
  });

  it('given a receive trace whose RX ring is modelled smaller than it holds, then the RX ring warning, naming the line', () => {
    const r = cli('replay', 'traces/scenario-rx-ring8.csv', '-s', 'native', '--set', 'nic.rx_ring=4');
    expect(r.stderr).toContain('warning: traces/scenario-rx-ring8.csv:6: nic0: 5 descriptors in flight exceed the modelled NIC RX ring of 4 (--set nic.rx_ring=N to model a larger one); replay goes on');
    expect(r.stderr).not.toContain('TX ring');
  });
});

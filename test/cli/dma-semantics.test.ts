/**
 * What a user sees of the DMA semantics: refused maps are a warning naming the first line and a
 * footnote under the table; inspect counts scatter-gather DMAs and says what a capture without
 * dma: events cannot tell.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { cli, scratchDir } from '../helpers/cli.js';
import { HEADER, NOT_OWNED } from '../helpers/replay-text.js';

const { dir, file } = scratchDir('dmareplay-sem-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('refused maps', () => {
  const t = file('refused.csv', [HEADER, '0,0,nic0,net,map,to_device,0x5000,64,1,', `5,0,nic0,net,map,to_device,${NOT_OWNED},64,2,`, '9,0,nic0,net,unmap,,,,1,', '9,0,nic0,net,unmap,,,,2,'].join('\n') + '\n');

  it('given a map of a page the guest does not own, then stderr warns with the count per strategy and the first line, and the table has a footnote', () => {
    const r = cli('replay', t, '-s', 'single-use,software');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: ${t}:3: maps refused (single-use 1, software 1)`);
    expect(r.stdout).toContain('refused maps (counted in faults): single-use 1, software 1; see the warning for the first line');
  });

  it('--json carries the warning', () => {
    const r = cli('replay', t, '-s', 'single-use', '--json');
    expect(JSON.parse(r.stdout).warnings.some((w: string) => w.startsWith(`${t}:3: maps refused (single-use 1)`))).toBe(true);
  });

  it('given guests at 64-128 GiB, then nothing is refused and there is no such warning', () => {
    const big = file('big.csv', [HEADER, '0,0,nic0,net,map,to_device,0x1000000000,64,1,', '0,1,nic1,net,map,to_device,0x1fff000000,64,1,', '9,0,nic0,net,unmap,,,,1,', '9,1,nic1,net,unmap,,,,1,'].join('\n') + '\n');
    const r = cli('replay', big, '--json');
    expect(r.stderr).not.toContain('refused');
    expect(JSON.parse(r.stdout).results.every((x: { faults: number }) => x.faults === 0)).toBe(true);
  });
});

describe('inspect', () => {
  it('given a scatter-gather DMA, then it counts one DMA of its segments, and DMA sizes are whole lists', () => {
    const t = file('sg.csv', [HEADER, '0,0,vda,disk,map,from_device,0x10000,4096,7,', '0,0,vda,disk,map,from_device,0x23000,8192,7,', '9,0,vda,disk,unmap,,,,7,'].join('\n') + '\n');
    const s = JSON.parse(cli('inspect', t, '--json').stdout);
    expect([s.maps, s.segments, s.scatter_gather_dmas, s.pages_mapped, s.devices[0].maps, s.devices[0].bytes]).toEqual([1, 2, 1, 3, 1, 12288]);
    expect(s.buffer_sizes.find((b: { le_bytes: number }) => b.le_bytes === 16384).count).toBe(1);
    expect(cli('inspect', t).stdout).toContain('1 scatter-gather DMA: 2 segments in all');
  });

  it('given a trace like an iommu:-only capture (all bidirectional, whole pages), then it says direction and length are unknown and what that does', () => {
    const t = file('iommu-only.csv', [HEADER, '0,0,eth0,net,map,bidirectional,0x10000,4096,0xfff00000,', '9,0,eth0,net,unmap,,,,0xfff00000,'].join('\n') + '\n');
    expect(JSON.parse(cli('inspect', t, '--json').stdout).notes[0]).toMatch(/direction and byte length are unknown, so shadow copies whole pages both ways .* wrong-direction scenario has nothing to test/);
    const known = file('known.csv', [HEADER, '0,0,eth0,net,map,from_device,0x10000,1522,0xfff00000,', '9,0,eth0,net,unmap,,,,0xfff00000,'].join('\n') + '\n');
    expect(JSON.parse(cli('inspect', known, '--json').stdout).notes).toEqual([]);
  });
});

/**
 * The real commands, run as a user runs them (`node bin/run.js ...` on the built code), with
 * their --json output parsed and their exit codes checked.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '../helpers/replay-text.js';
import { cli, scratchDir } from '../helpers/cli.js';
import { expectRunResultShape } from '../helpers/validate-result.js';
import { STRATEGY_IDS } from '../../src/strategies/index.js';

const { dir, file } = scratchDir('dmareplay-cli-');

const good = file(
  'good.csv',
  trace(
    '0,0,nic0,net,map,from_device,0x2000000,2048,1,1',
    '10,0,nic0,net,map,from_device,0x2000800,2048,2,2',
    '20,0,nic0,net,unmap,,,,1,1',
    '30,0,nic0,net,map,from_device,0x2000000,2048,3,3',
    '40,0,nic0,net,unmap,,,,2,2',
    '50,0,nic0,net,unmap,,,,3,3',
  ),
);
const bad = file('bad.csv', trace('0,0,nic0,net,map,from_device,0xnothex,2048,1,', '5,0,nic0,net,map,from_device,0x3000,64,2,', '9,0,nic0,net,unmap,,,,2,'));

describe('dmareplay replay', () => {
  it('--json prints one result per strategy in the documented shape', () => {
    const r = cli('replay', good, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results.map((x: { strategy: string }) => x.strategy)).toEqual(STRATEGY_IDS);
    for (const x of out.results) expectRunResultShape(x);
    expect(out.warnings).toEqual([]);
    const single = out.results.find((x: { strategy: string }) => x.strategy === 'single-use');
    expect(single.dmas).toBe(3);
    expect(single.hypercalls).toBe(6);
    expect(single.reuse_rate).toBe(0);
  });

  it('prints an aligned table per trace with a row per selected strategy', () => {
    const r = cli('replay', good, '--strategy', 'single-use,persistent');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('good  [profile xen-2008]'); // the trace's short name
    // (every DMA its own unit: no cycles/unit column)
    expect(lines[1]).toMatch(/^strategy\s+DMAs\s+cycles\/DMA\s+p50\s+p90\s+p99\s+CPU cyc\/DMA\s+CPU vs native\s+hcalls\/DMA\s+PTEs\/DMA\s+invals\/DMA\s+IOTLB miss %\s+reuse %\s+peak maps \(pages\)\s+faults \(accesses\)$/);
    expect(lines.slice(3, 5).map((l) => l.split(/\s+/)[0])).toEqual(['single-use', 'persistent']);
    expect(lines[5]).toMatch(/^per DMA = per DMA API call; /);
  });

  it('-o writes CSV and JSON result files', () => {
    const csv = join(dir, 'out.csv');
    const json = join(dir, 'out.json');
    expect(cli('replay', good, '-o', csv).code).toBe(0);
    expect(cli('replay', good, '-s', 'native', '-o', json).code).toBe(0);
    const header = readFileSync(csv, 'utf8').split('\n')[0];
    expect(header.startsWith('trace,strategy,profile,dmas,segments,pages,units,duration_ns,cycles_total')).toBe(true);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(1 + STRATEGY_IDS.length);
    expect(JSON.parse(readFileSync(json, 'utf8')).results).toHaveLength(1);
  });

  it('bad rows: reported as file:line on stderr, the rest replayed, exit 0', () => {
    const r = cli('replay', bad, '-s', 'native', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${bad}:2: address '0xnothex' is not hex (expected 0x...)`);
    expect(r.stderr).toContain('1 problem (rows skipped): 1 bad-address');
    expect(JSON.parse(r.stdout).results[0].dmas).toBe(1);
  });

  it('--strict: the first bad row exits 1 with one line naming file:line', () => {
    const r = cli('replay', bad, '--strict');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${bad}:2: address '0xnothex' is not hex (expected 0x...)`);
  });

  it('a missing trace fails with exit 1 but the others are still replayed', () => {
    const r = cli('replay', join(dir, 'missing.csv'), good, '-s', 'native', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${join(dir, 'missing.csv')}: no such file`);
    expect(JSON.parse(r.stdout).results).toHaveLength(1);
  });

  it('usage errors exit 2 with one line naming the valid choices', () => {
    const s = cli('replay', good, '--strategy', 'singel-use');
    expect(s.code).toBe(2);
    expect(s.stderr.trim()).toBe("error: unknown strategy 'singel-use' (did you mean 'single-use'?); valid: native, direct-map, single-use, shared, persistent, software, linux-strict, linux-lazy, shadow, fands, all");
    const p = cli('replay', good, '--profile', 'xen-2009');
    expect(p.code).toBe(2);
    expect(p.stderr.trim()).toBe("error: unknown profile 'xen-2009' (did you mean 'xen-2008'?); valid: modern-vtd, xen-2008");
    const k = cli('replay', good, '--set', 'iotlb.entrys=8');
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/^error: --set: unknown key 'iotlb.entrys' \(did you mean 'iotlb.entries'\?\); valid: cpu.hz, /);
    expect(cli('replay').code).toBe(2);
  });

  it('--set changes the run and is echoed in the table heading', () => {
    const r = cli('replay', good, '-s', 'persistent', '--set', 'iotlb.entries=8', '--set', 'iotlb.ways=8');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[profile xen-2008 (iotlb.entries=8, iotlb.ways=8)]');
  });

  it('--help teaches by example', () => {
    const r = cli('replay', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('EXAMPLES');
    expect(r.stdout).toContain('dmareplay replay traces/scenario-rx-recycle.csv');
  });
});

describe('dmareplay strategies / profiles / inspect', () => {
  it('strategies --json lists every strategy with its protection', () => {
    const r = cli('strategies', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).strategies;
    expect(s.map((x: { id: string }) => x.id)).toEqual(STRATEGY_IDS);
    expect(s.find((x: { id: string }) => x.id === 'direct-map')).toMatchObject({ inter_guest: 'full', intra_guest: 'none', enforced_on_device: true });
    expect(s.find((x: { id: string }) => x.id === 'software')).toMatchObject({ inter_guest: 'driver-only', enforced_on_device: false });
  });

  it('profiles lists xen-2008; profiles xen-2008 shows every key with its basis', () => {
    expect(cli('profiles').stdout).toContain('xen-2008');
    const r = cli('profiles', 'xen-2008');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hypercall\.cycles\s+1,100\s+cycles\s+assumption/);
    expect(r.stdout).toMatch(/copy\.byte_cycles\s+0\.75\s+cycles\/byte\s+assumption/); // not rounded to 1
    expect(r.stdout).toContain('LKML');
  });

  it('inspect --json summarizes events, devices, units and problems', () => {
    const r = cli('inspect', bad, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ rows: 3, events: 2, maps: 1, unmaps: 1, guests: [0], units: 0, live_at_end: 0 });
    expect(s.devices).toEqual([{ name: 'nic0', class: 'net', maps: 1, bytes: 64, by_dir: { to_device: 0, from_device: 1, bidirectional: 0 }, peak_queue: { tx_or_disk: 0, rx: 1 } }]);
    expect(s.problems.by_kind).toEqual({ 'bad-address': 1 });
  });
});

describe('dmareplay inspect: accesses to handles that are not mapped', () => {
  it('given an access naming a handle after its unmap, then inspect counts it and says how it is replayed', () => {
    const t = file('late-access.csv', trace('0,0,nic0,net,map,from_device,0x2000000,2048,1,', '10,0,nic0,net,unmap,,,,1,', '20,0,nic0,net,access,from_device,0x2000000,64,1,'));
    expect(JSON.parse(cli('inspect', t, '--json').stdout).accesses_to_unmapped_handles).toBe(1);
    expect(cli('inspect', t).stdout).toContain('1 access names a handle not mapped at the time: replayed as raw device addresses');
  });
});

describe('dmareplay attack', () => {
  it('given an RX-only trace, when the matrix is printed, then wrong-direction shows - and the legend says why', () => {
    const r = cli('attack', '--trace', 'traces/scenario-rx-recycle.csv', '-s', 'single-use', '--samples', '2', '--no-figures');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toBe('- = the trace offers no injection point for it (wrong-direction needs a buffer the device may only read)');
    const device = lines.indexOf('attacker: device');
    expect(lines[device + 1]).toMatch(/wrong-direction$/);
    expect(lines[device + 3]).toMatch(/^single-use .* -$/);
  });
});

describe('dmareplay ingest', () => {
  it('several inputs need -o DIR and become one CSV each; a missing one fails the run but not the others', () => {
    const out = join(dir, 'ingested');
    expect(cli('ingest', 'test/fixtures/kernel/perf-script.txt', 'test/fixtures/kernel/ftrace-iommu.txt').code).toBe(2);
    const r = cli('ingest', 'test/fixtures/kernel/perf-script.txt', join(dir, 'missing.txt'), 'test/fixtures/kernel/ftrace-iommu.txt', '--device', 'eth0', '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${join(dir, 'missing.txt')}: no such file`);
    expect(readFileSync(join(out, 'perf-script.csv'), 'utf8').split('\n')[1]).toBe('0,0,eth0,net,map,bidirectional,0x2329000,4096,0xffefc000,,0');
    expect(readFileSync(join(out, 'ftrace-iommu.csv'), 'utf8').trim().split('\n')).toHaveLength(7);
  });

  it('several inputs with --to arrow become one Arrow trace each, which replay reads as it reads the CSV', () => {
    const inputs = ['test/fixtures/kernel/perf-script.txt', 'test/fixtures/kernel/ftrace-iommu.txt'];
    const asDir = join(dir, 'ingested.arrow');
    const refused = cli('ingest', ...inputs, '--device', 'eth0', '-o', asDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`error: several inputs: -o ${asDir} names a directory; to write one Arrow trace per input into it, add --to arrow\n`);
    const csvDir = join(dir, 'as-csv');
    const arrowDir = join(dir, 'as-arrow');
    expect(cli('ingest', ...inputs, '--device', 'eth0', '-o', csvDir).code).toBe(0);
    expect(cli('ingest', ...inputs, '--device', 'eth0', '-o', arrowDir, '--to', 'arrow').code).toBe(0);
    expect(readdirSync(arrowDir).sort()).toEqual(['ftrace-iommu.arrow', 'perf-script.arrow']);
    const results = (path: string) => (JSON.parse(cli('replay', path, '--json').stdout).results as { trace: string }[]).map((r) => ({ ...r, trace: '' }));
    for (const name of ['ftrace-iommu', 'perf-script']) expect(results(join(arrowDir, `${name}.arrow`))).toEqual(results(join(csvDir, `${name}.csv`)));
  });
});

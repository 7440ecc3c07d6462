/**
 * The optional `cpu` column: read by the fast scanner and by csv-parse alike, checked, kept by
 * Arrow traces, and 0 when absent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CanonicalCsvReader } from '../../src/trace/csv-reader.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { writeArrowTrace } from '../../src/trace/arrow-trace.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-cpu-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WITH_CPU = ['ts_ns,guest,device,class,op,dir,addr,len,handle,unit,cpu', '0,0,nic0,net,map,to_device,0x1000,64,1,,3', '5,0,nic0,net,unmap,,,,1,,1', '6,0,nic0,net,map,to_device,0x2000,64,2,,', '7,0,nic0,net,map,to_device,0x3000,64,3,,x'].join('\n') + '\n';

async function read(text: string, fast: boolean, path = 't.csv'): Promise<{ cpus: number[]; problems: string[] }> {
  const diagnostics = new Diagnostics();
  const reader = new CanonicalCsvReader(path, diagnostics, { source: [Buffer.from(text)], fast });
  const cpus: number[] = [];
  for await (const b of reader.batches()) for (let i = 0; i < b.length; i++) cpus.push(b.cpu[i]);
  return { cpus, problems: diagnostics.problems.map(formatProblem) };
}

describe('the cpu column', () => {
  for (const fast of [true, false]) {
    it(`given a trace with a cpu column, when read ${fast ? 'by the fast scanner' : 'by csv-parse'}, then each row has its CPU, an empty one is 0, and a bad one is a file:line problem`, async () => {
      expect(await read(WITH_CPU, fast)).toEqual({ cpus: [3, 1, 0], problems: ["t.csv:5: cpu 'x' is not an integer in 0..65535"] });
    });
  }

  it('given no cpu column, then every row is CPU 0, whatever the batch held before', async () => {
    const text = 'ts_ns,guest,device,class,op,dir,addr,len,handle,unit\n0,0,nic0,net,map,to_device,0x1000,64,1,\n';
    expect((await read(text, true)).cpus).toEqual([0]);
  });

  it('an Arrow trace keeps the CPUs', async () => {
    const src = join(dir, 'c.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(src, WITH_CPU);
    const reader = new CanonicalCsvReader(src, new Diagnostics());
    const out = join(dir, 'c.arrow');
    await writeArrowTrace(out, reader.batches(), reader.devices);
    const back = new CanonicalCsvReader(out, new Diagnostics());
    const cpus: number[] = [];
    for await (const b of back.batches()) for (let i = 0; i < b.length; i++) cpus.push(b.cpu[i]);
    expect(cpus).toEqual([3, 1, 0]);
  });
});

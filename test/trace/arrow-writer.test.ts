/**
 * The Arrow trace writer encodes its messages itself (arrow-encode.ts; apache-arrow wrote them
 * before issue 17). Its files must be Arrow that other readers take: apache-arrow, an independent
 * decoder, reads here every column with its type and every value, batch by batch, and its
 * dictionary of device names growing as ingest meets them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { RecordBatchReader } from 'apache-arrow';
import { writeArrowTrace } from '../../src/trace/arrow-trace.js';
import { CanonicalCsvReader } from '../../src/trace/csv-reader.js';
import { Diagnostics } from '../../src/trace/diagnostics.js';
import { scratchDir } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-arrow-writer-');
afterAll(() => scratch.remove());

const CSV = [
  'ts_ns,guest,device,class,op,dir,addr,len,handle,unit,cpu',
  '0,0,nic0,net,map,to_device,0x1234,64,0x100000002,7,3',
  '5,0,nic0,net,unmap,,,,0x100000002,7,3',
  '6,1,vda,disk,map,from_device,0xfffffffffffff000,4096,0x42,,0',
  '7,1,vda,disk,access,from_device,0xfffffffffffff000,16,,,1',
].join('\n') + '\n';

async function written(csv: string, name: string, batchCapacity?: number): Promise<string> {
  const src = scratch.file(`${name}.csv`, csv);
  const reader = new CanonicalCsvReader(src, new Diagnostics(), batchCapacity ? { batchCapacity } : {});
  const out = scratch.file(`${name}.arrow`, '');
  await writeArrowTrace(out, reader.batches(), reader.devices);
  return out;
}

describe('files the writer makes, as apache-arrow reads them', () => {
  it('given 4 rows in batches of 2, then the schema, 2 batches of every column, and the device names so far in each', async () => {
    const path = await written(CSV, 'two', 2);
    const batches = [...RecordBatchReader.from(readFileSync(path))];
    expect(batches[0].schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      'ts_ns:Float64:false', 'guest:Int32:false', 'device:Dictionary<Int32, Utf8>:false', 'class:Uint8:false', 'op:Uint8:false', 'dir:Uint8:false',
      'page:Float64:false', 'offset:Int32:false', 'len:Float64:false', 'has_handle:Uint8:false', 'handle_hi:Uint32:false', 'handle_lo:Uint32:false',
      'has_unit:Uint8:false', 'unit_hi:Uint32:false', 'unit_lo:Uint32:false', 'cpu:Int32:false',
    ]);
    const rows = batches.flatMap((b) => b.toArray().map((r) => JSON.stringify(r.toJSON())));
    expect(batches.map((b) => b.numRows)).toEqual([2, 2]);
    expect(rows).toEqual([
      '{"ts_ns":0,"guest":0,"device":"nic0","class":0,"op":0,"dir":0,"page":1,"offset":564,"len":64,"has_handle":1,"handle_hi":1,"handle_lo":2,"has_unit":1,"unit_hi":0,"unit_lo":7,"cpu":3}',
      '{"ts_ns":5,"guest":0,"device":"nic0","class":0,"op":1,"dir":0,"page":0,"offset":0,"len":0,"has_handle":1,"handle_hi":1,"handle_lo":2,"has_unit":1,"unit_hi":0,"unit_lo":7,"cpu":3}',
      '{"ts_ns":6,"guest":1,"device":"vda","class":1,"op":0,"dir":1,"page":4503599627370495,"offset":0,"len":4096,"has_handle":1,"handle_hi":0,"handle_lo":66,"has_unit":0,"unit_hi":0,"unit_lo":0,"cpu":0}',
      '{"ts_ns":7,"guest":1,"device":"vda","class":1,"op":2,"dir":1,"page":4503599627370495,"offset":0,"len":16,"has_handle":0,"handle_hi":4294967295,"handle_lo":4294967295,"has_unit":0,"unit_hi":0,"unit_lo":0,"cpu":1}',
    ]);
    // Each batch carries every name met so far: indices are stable device ids.
    expect(batches.map((b) => b.getChild('device')!.data[0].dictionary!.toArray())).toEqual([['nic0'], ['nic0', 'vda']]);
  });

  it('given a trace of no rows, then no bytes at all (as before: an empty .arrow is refused on reading)', async () => {
    const path = await written('ts_ns,guest,device,class,op,dir,addr,len,handle,unit\n', 'none');
    expect(statSync(path).size).toBe(0);
  });
});

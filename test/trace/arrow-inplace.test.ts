/**
 * The Arrow reader decodes trace messages itself (issue 17): column bodies read in place as typed
 * arrays over the file's chunks, copied only when a message straddles two chunks or would be
 * misaligned; the errors apache-arrow's decode gave kept word for word (the hostile corpus runs
 * every command over damaged files; these pin the framing's words and the new refusals).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBatchFileWriter, tableFromIPC } from 'apache-arrow';
import { CompressionType, float64, setCompressionCodec, tableFromArrays, tableToIPC } from '@uwdata/flechette';
import { ArrowMessages } from '../../src/trace/arrow-messages.js';
import { CanonicalCsvReader } from '../../src/trace/csv-reader.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { arrowTrace, MAP, UNMAP } from '../helpers/arrow-file.js';
import { scratchDir } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-arrow-inplace-');
afterAll(() => scratch.remove());

/** Every row of the trace at `path` (its columns, as the replay sees them) and the problems. */
async function rows(path: string) {
  const diagnostics = new Diagnostics();
  const reader = new CanonicalCsvReader(path, diagnostics);
  const out: string[] = [];
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.length; i++) out.push([b.line[i], b.ts[i], b.guest[i], reader.devices.names[b.device[i]], b.cls[i], b.op[i], b.dir[i], b.page[i], b.offset[i], b.len[i], b.handleHi[i], b.handleLo[i], b.hasUnit[i], b.unitHi[i], b.unitLo[i], b.cpu[i]].join(','));
  }
  return { rows: out, problems: diagnostics.problems.map(formatProblem) };
}

async function* chunksOf(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

async function failure(path: string): Promise<string> {
  try {
    await rows(path);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

const four = [MAP, UNMAP, { ...MAP, ts_ns: 20, handle_lo: 2, page: 0x300, device: 1, cpu: 3 }, { ...UNMAP, ts_ns: 30, handle_lo: 2, device: 1 }];

describe('message bodies are read in place', () => {
  it('given a stream in one chunk, then every record batch body is a view on that chunk', async () => {
    const bytes = Buffer.from(arrowTrace(four, ['nic0', 'nic1']));
    const chunk = Buffer.alloc(bytes.length);
    bytes.copy(chunk);
    const messages = new ArrowMessages(chunksOf([chunk]));
    const kinds: string[] = [];
    for (let m = await messages.next(); m !== null; m = await messages.next()) {
      const body = await messages.body(m.bodyLength);
      kinds.push(`${m.type}:${m.bodyLength}:${body.length === 0 ? 'empty' : body.buffer === chunk.buffer ? 'view' : 'copy'}`);
    }
    expect(kinds).toEqual(['1:0:empty', '2:24:view', '3:264:view']);
  });

  it('given the same stream cut into 7-byte chunks, then bodies are copies, 8-byte aligned, with the same bytes', async () => {
    const bytes = Buffer.from(arrowTrace(four, ['nic0', 'nic1']));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, k) => Buffer.from(bytes.subarray(7 * k, 7 * k + 7)));
    const whole = new ArrowMessages(chunksOf([Buffer.from(bytes)]));
    const cut = new ArrowMessages(chunksOf(chunks));
    for (let m = await cut.next(), w = await whole.next(); m !== null && w !== null; m = await cut.next(), w = await whole.next()) {
      const body = await cut.body(m.bodyLength);
      expect(body.byteOffset % 8).toBe(0);
      expect(Buffer.from(body).equals(Buffer.from(await whole.body(w.bodyLength)))).toBe(true);
    }
  });
});

describe('what is read', () => {
  it('given a trace of two devices, then each row as written, its device by name and its CPU', async () => {
    const path = scratch.file('two.arrow', Buffer.from(arrowTrace(four, ['nic0', 'nic1'])));
    expect(await rows(path)).toEqual({
      rows: ['1,0,0,nic0,0,0,1,512,0,2048,0,1,0,0,0,0', '2,10,0,nic0,0,1,0,0,0,0,0,1,0,0,0,0', '3,20,0,nic1,0,0,1,768,0,2048,0,2,0,0,0,3', '4,30,0,nic1,0,1,0,0,0,0,0,2,0,0,0,0'],
      problems: [],
    });
  });

  it('given the same trace as an Arrow IPC file (magic, stream, footer), then the same rows', async () => {
    const stream = scratch.file('s.arrow', Buffer.from(arrowTrace(four, ['nic0', 'nic1'])));
    const file = RecordBatchFileWriter.writeAll(tableFromIPC(Buffer.from(arrowTrace(four, ['nic0', 'nic1'])))).toUint8Array(true);
    const path = scratch.file('f.arrow', Buffer.from(file));
    expect(Buffer.from(file).subarray(0, 6).toString()).toBe('ARROW1');
    expect(await rows(path)).toEqual(await rows(stream));
  });
});

describe('refusals, one line each', () => {
  const good = Buffer.from(arrowTrace(four, ['nic0', 'nic1']));

  it('given a stream cut inside a metadata block, then apache-arrow\'s words: how many bytes were expected and read', async () => {
    // 8 bytes of framing, then the schema's metadata.
    const length = good.readInt32LE(4);
    expect(await failure(scratch.file('cut-meta.arrow', good.subarray(0, 8 + 100)))).toBe(`${scratch.dir}/cut-meta.arrow: not an Arrow IPC stream (Expected to read ${length} metadata bytes, but only read 100.)`);
  });

  it('given a stream cut inside the last record batch body, then how many body bytes were expected and read', async () => {
    // The stream ends with the 264-byte body, then the 8-byte end-of-stream marker.
    expect(await failure(scratch.file('cut-body.arrow', good.subarray(0, good.length - 8 - 64)))).toBe(`${scratch.dir}/cut-body.arrow: not an Arrow IPC stream (Expected to read 264 bytes for message body, but only read 200.)`);
  });

  it('given a stream cut between two messages, then truncated', async () => {
    expect(await failure(scratch.file('cut-end.arrow', good.subarray(0, good.length - 8)))).toBe(`${scratch.dir}/cut-end.arrow: truncated Arrow stream (no end-of-stream marker: the writer did not finish)`);
  });

  it('given an Arrow IPC file without its footer, then said so (apache-arrow failed on a null schema here)', async () => {
    expect(await failure(scratch.file('no-footer.arrow', Buffer.concat([Buffer.from('ARROW1\0\0'), good])))).toBe(`${scratch.dir}/no-footer.arrow: not an Arrow IPC stream (an Arrow IPC file without its footer)`);
  });

  it('given record batches with compressed bodies, then refused as compressed, not misread', async () => {
    // An identity "codec": the batch is marked compressed, whatever its bytes.
    setCompressionCodec(CompressionType.LZ4_FRAME, { encode: (b: Uint8Array) => b, decode: (b: Uint8Array) => b });
    const table = tableFromArrays({ ts_ns: new Float64Array([1, 2]) });
    const path = scratch.file('lz4.arrow', Buffer.from(tableToIPC(table, { format: 'stream', codec: CompressionType.LZ4_FRAME })!));
    expect(await failure(path)).toBe(`${path}: a compressed Arrow record batch (a trace's batches are written uncompressed; write it without compression)`);
  });

  it('given a schema without the trace columns and no batch, then the first missing column is named', async () => {
    const path = scratch.file('other.arrow', Buffer.from(tableToIPC(tableFromArrays({ ts_ns: new Float64Array(0) }, { types: { ts_ns: float64() } }), { format: 'stream' })!));
    expect(await failure(path)).toBe(`${path}: no column 'device' (not a dmareplay Arrow trace)`);
  });
});

describe('a device dictionary that grows batch by batch (as ingest writes it)', () => {
  it('given 3 batches naming 1, 2 then 3 devices, then every row keeps its own device', async () => {
    const { writeArrowTrace } = await import('../../src/trace/arrow-trace.js');
    const csv = scratch.file(
      'grow.csv',
      ['ts_ns,guest,device,class,op,dir,addr,len,handle,unit', '0,0,a,net,map,to_device,0x1000,64,1,', '1,0,a,net,unmap,,,,1,', '2,0,b,disk,map,to_device,0x2000,64,2,', '3,0,b,disk,unmap,,,,2,', '4,0,c,net,map,to_device,0x3000,64,3,', '5,0,c,net,unmap,,,,3,'].join('\n') + '\n',
    );
    // Two rows (one DMA) per batch: the writer's dictionary grows with each.
    const reader = new CanonicalCsvReader(csv, new Diagnostics(), { batchCapacity: 2 });
    const path = scratch.file('grow.arrow', '');
    await writeArrowTrace(path, reader.batches(), reader.devices);
    const back = await rows(path);
    expect(back.rows.map((r) => r.split(',')[3])).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    expect(back.problems).toEqual([]);
  });
});

// The bench's input files, made once in the OS temp directory and checked by content on every
// run: each file has a sidecar (<file>.meta.json) with its SHA-256, its row count and the
// identity of what made it (the generator's code and arguments). A file whose bytes no longer
// hash to its sidecar (truncated, overwritten by another version of the bench) or whose
// generator changed is made again, so a figure is never taken on a stale or damaged trace.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const DIST = new URL('../dist/', import.meta.url);
/** Where the bench's traces live (made by benchTraces; the other bench scripts default to them). */
export const BENCH_DIR = join(tmpdir(), 'dmareplay-bench-v3');

/** SHA-256 and line count of a file, read once. */
export async function hashFile(path) {
  const h = createHash('sha256');
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk);
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { sha256: h.digest('hex'), lines };
}

/** Identity of the code that makes the traces: the built synth and ingest modules, hashed. */
function generatorIdentity(extra) {
  const h = createHash('sha256');
  for (const sub of ['synth', 'ingest', 'trace']) {
    const dir = new URL(sub + '/', DIST);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) h.update(f).update(readFileSync(new URL(f, dir)));
  }
  return h.update(JSON.stringify(extra)).digest('hex').slice(0, 16);
}

/**
 * `path`, made by `make(tmpPath)` unless it exists, hashes to its sidecar and was made by the
 * same generator. Returns its sidecar ({ sha256, lines, generator }).
 */
export async function ensureFile(path, extra, make) {
  const generator = generatorIdentity(extra);
  const metaPath = `${path}.meta.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    if (meta.generator === generator) {
      const now = await hashFile(path);
      if (now.sha256 === meta.sha256) return meta;
      process.stderr.write(`${path}: content does not match its recorded hash: making it again\n`);
    }
  }
  process.stderr.write(`making ${path} ...\n`);
  const tmp = `${path}.${process.pid}.tmp`;
  await make(tmp);
  const meta = { ...(await hashFile(tmp)), generator };
  renameSync(tmp, path); // whole files only: another bench running at once sees old or new
  writeFileSync(metaPath, JSON.stringify(meta));
  return meta;
}

/** Rows per DMA of the mixed workload (a disk request is one DMA of many segment rows). */
const MIXED_ROWS_PER_DMA = 2.066;

/** The 2 M-event (or `events`) mixed trace as CSV and Arrow, and raw ftrace text for ingest. */
export async function benchTraces(events) {
  const dir = BENCH_DIR;
  mkdirSync(dir, { recursive: true });
  const { writeSynth, synthesize } = await import(new URL('synth/index.js', DIST));
  const csv = join(dir, `mixed-${events}.csv`);
  const csvMeta = await ensureFile(csv, { events, workload: 'mixed', seed: 1 }, async (tmp) => {
    const out = createWriteStream(tmp);
    await writeSynth(out, 'mixed', { dmas: Math.ceil(events / MIXED_ROWS_PER_DMA), guests: 2, seed: 1 });
    await new Promise((r) => out.end(r));
  });
  const arrow = join(dir, `mixed-${events}.arrow`);
  const arrowMeta = await ensureFile(arrow, { from: csvMeta.sha256 }, async (tmp) => {
    const r = spawnSync(process.execPath, ['bin/run.js', 'ingest', csv, '-o', `${tmp}.arrow`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    renameSync(`${tmp}.arrow`, tmp);
  });
  const raw = {};
  for (const withDma of [false, true]) {
    const path = join(dir, `ftrace-${withDma ? 'dma-' : ''}${events / 4}.txt`);
    const meta = await ensureFile(path, { events, withDma }, (tmp) => writeRawText(tmp, withDma, events, synthesize));
    raw[withDma ? 'dma' : 'iommu'] = { path, ...meta };
  }
  return { dir, csv: { path: csv, ...csvMeta, rows: csvMeta.lines - 1 }, arrow: { path: arrow, ...arrowMeta }, raw };
}

/**
 * Raw ftrace text of a NIC receiving (netperf-rx), events/4 lines: iommu: events only, as kernels
 * before 6.12 write them (`withDma` false), or each DMA as a dma: line and an iommu: line, as 6.12
 * and later write them with both event groups on (`withDma` true; ingest keeps the dma: ones).
 */
async function writeRawText(path, withDma, events, synthesize) {
  const out = createWriteStream(path);
  const live = new Map();
  const hex = (v) => v.toString(16).padStart(16, '0');
  let lines = [];
  for (const e of synthesize('netperf-rx', { dmas: Math.ceil(events / (withDma ? 16 : 8)), seed: 1 })) {
    const t = (3 + e.ts / 1e9).toFixed(6);
    if (e.op === 'map') {
      const iova = 0xff000000 + (e.handle % 65536) * 4096;
      const paddr = e.addr - (e.addr % 4096);
      live.set(e.handle, iova);
      if (withDma) lines.push(`          <idle>-0       [000] ..s1.  ${t.padStart(12)}: dma_map_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=${iova.toString(16)} size=${e.len} phys_addr=${e.addr.toString(16)} attrs=`);
      lines.push(`          <idle>-0       [000] ..s1.  ${t.padStart(12)}: map: IOMMU: iova=0x${hex(iova)} - 0x${hex(iova + 4096)} paddr=0x${hex(paddr)} size=4096`);
    } else {
      const iova = live.get(e.handle);
      live.delete(e.handle);
      lines.push(`          <idle>-0       [000] d.h1.  ${t.padStart(12)}: unmap: IOMMU: iova=0x${hex(iova)} - 0x${hex(iova + 4096)} size=4096 unmapped_size=4096`);
      if (withDma) lines.push(`          <idle>-0       [000] d.h1.  ${t.padStart(12)}: dma_unmap_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=${iova.toString(16)} size=${e.len} attrs=`);
    }
    if (lines.length >= 8192) {
      out.write(lines.join('\n') + '\n');
      lines = [];
    }
  }
  out.write(lines.join('\n') + '\n');
  await new Promise((r) => out.end(r));
}

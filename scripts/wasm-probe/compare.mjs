#!/usr/bin/env node
// Times the same N single-use DMAs' IOMMU work in the TypeScript model (dist/model/iommu, as the
// replay runs it) and in the AssemblyScript probe (probe.ts), and prints ns per DMA for both.
//   npm run build
//   npx -y -p assemblyscript@0.28 asc scripts/wasm-probe/probe.ts -O3 --runtime stub \
//     --uncheckedBehavior always --noAssert -o /tmp/wasm-probe.wasm
//   node scripts/wasm-probe/compare.mjs /tmp/wasm-probe.wasm
// (Without --uncheckedBehavior always, every typed-array access is bounds-checked and the wasm
// is about 1.4x slower than the TypeScript.)
import { readFileSync } from 'node:fs';
import { Iommu } from '../../dist/model/iommu/iommu.js';
import { resolveProfileByName } from '../../dist/cost/profile.js';
import { newCounters } from '../../dist/metrics/counters.js';

const N = 2_000_000;
const LIVE = 64; // IOVAs in flight, reused in turn (the allocator's stack in single-use)
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2] ?? '/tmp/wasm-probe.wasm'), { env: { abort() { throw new Error('abort'); } } });
const params = resolveProfileByName().params;

function typescriptRun(n, live) {
  const c = newCounters();
  const iommu = new Iommu(c, params);
  for (let k = 0; k < n; k++) {
    const iova = 0xff000 + (k % live);
    const host = 0x40000 + ((k * 7919) % 100000);
    iommu.mapPage(1, iova, host, 2);
    iommu.translate(1, iova, 2);
    iommu.unmapPage(1, iova);
    iommu.invalidatePage(1, iova);
    iommu.waitForInvalidations();
  }
  return c;
}

for (let rep = 0; rep < 4; rep++) {
  let t = performance.now();
  typescriptRun(N, LIVE);
  const ts = performance.now() - t;
  t = performance.now();
  instance.exports.run(N, LIVE);
  const wasm = performance.now() - t;
  console.log(`TypeScript ${((ts * 1e6) / N).toFixed(1)} ns/DMA   wasm ${((wasm * 1e6) / N).toFixed(1)} ns/DMA   ${(ts / wasm).toFixed(2)}x`);
}

// The WebAssembly probe for issue #8 (docs/performance.md, "What a WebAssembly core would give"):
// the IOMMU work of one single-use DMA -- PTE write, translation through the IOTLB with a walk on a
// miss, PTE clear, page invalidation, wait -- written in AssemblyScript with the algorithms of
// src/model/iommu (4-level tables with the leaf-table cache, 64-entry 4-way LRU IOTLB), to measure
// what moving the models to wasm would buy. Not part of the product; it skips a few checks the
// TypeScript model makes (superpage levels, revoked hosts, gauges), so it flatters wasm a little.
// Build and run: see compare.mjs.
const ENTRIES: i32 = 512;
const LEAF_CACHE: i32 = 256;
let tables = new Float64Array(ENTRIES * 64);
let tableCount: i32 = 1;
const roots = new Int32Array(64);
const cacheDomain = new Int32Array(LEAF_CACHE).fill(-1);
const cacheBlock = new Int32Array(LEAF_CACHE);
const cacheTable = new Int32Array(LEAF_CACHE);
let leaves: i32 = 0;
let lastWalkRefs: i32 = 0;
const c = new Float64Array(64);
// IOTLB 64 entries, 4 ways
const WAYS: i32 = 4;
const SETS: i32 = 16;
const tagKey = new Int32Array(64).fill(-1);
const tagPage = new Float64Array(64);
const value = new Float64Array(64);
const stamp = new Float64Array(64);
let clock: f64 = 0;
let missVictim: i32 = 0;

function newTable(): i32 {
  if ((tableCount + 1) * ENTRIES > tables.length) {
    const t = new Float64Array(tables.length * 2);
    t.set(tables);
    tables = t;
  }
  return tableCount++;
}
function indexAt(page: f64, level: i32): i32 {
  const lo = <u32>(<u64>page);
  if (level == 0) return <i32>(lo & 511);
  if (level == 1) return <i32>((lo >>> 9) & 511);
  if (level == 2) return <i32>((lo >>> 18) & 511);
  return <i32>(((lo >>> 27) | (<u32>(<u64>page >> 32) << 5)) & 511);
}
function cacheKey(domain: i32, block: i32): i32 { return (block ^ (domain * 0x9e3779b1)) & (LEAF_CACHE - 1); }
function cachedLeafTable(domain: i32, page: f64): i32 {
  const block = <i32>(<i64>page >> 9);
  const k = cacheKey(domain, block);
  return cacheDomain[k] == domain && cacheBlock[k] == block ? cacheTable[k] : 0;
}
function cacheLeaf(domain: i32, page: f64, table: i32): void {
  const block = <i32>(<i64>page >> 9);
  const k = cacheKey(domain, block);
  cacheDomain[k] = domain; cacheBlock[k] = block; cacheTable[k] = table;
}
function ptMap(domain: i32, page: f64, host: f64, perms: i32): i32 {
  const lt = cachedLeafTable(domain, page);
  if (lt > 0) {
    const slot = lt * ENTRIES + indexAt(page, 0);
    if (tables[slot] == 0) leaves++;
    tables[slot] = -(host * 4 + perms);
    return 1;
  }
  let table = roots[domain];
  let writes = 0;
  if (table == 0) { table = newTable(); roots[domain] = table; }
  for (let l = 3; l > 0; l--) {
    const slot = table * ENTRIES + indexAt(page, l);
    let next = <i32>tables[slot];
    if (next <= 0) { next = newTable(); tables[slot] = next; writes++; }
    table = next;
  }
  cacheLeaf(domain, page, table);
  const slot = table * ENTRIES + indexAt(page, 0);
  if (tables[slot] >= 0) leaves++;
  tables[slot] = -(host * 4 + perms);
  return writes + 1;
}
function ptUnmap(domain: i32, page: f64): i32 {
  const lt = cachedLeafTable(domain, page);
  if (lt > 0) {
    const slot = lt * ENTRIES + indexAt(page, 0);
    if (tables[slot] == 0) return 0;
    tables[slot] = 0; leaves--; return 1;
  }
  let table = roots[domain];
  for (let l = 3; l >= 0; l--) {
    const slot = table * ENTRIES + indexAt(page, l);
    const e = tables[slot];
    if (e == 0) return 0;
    if (e < 0) { tables[slot] = 0; leaves--; return 1; }
    table = <i32>e;
  }
  return 0;
}
function ptWalk(domain: i32, page: f64): f64 {
  let table = roots[domain];
  lastWalkRefs = 0;
  if (table == 0) return 0;
  const lt = cachedLeafTable(domain, page);
  if (lt > 0) { lastWalkRefs = 4; return tables[lt * ENTRIES + indexAt(page, 0)]; }
  for (let l = 3; l >= 0; l--) {
    if (l == 0) cacheLeaf(domain, page, table);
    const e = tables[table * ENTRIES + indexAt(page, l)];
    lastWalkRefs++;
    if (e <= 0) return e;
    table = <i32>e;
  }
  return 0;
}
function setOf(domain: i32, page: f64): i32 { return (<i32>(<u32>(<u64>page)) ^ (domain * 0x9e3779b1)) & (SETS - 1); }
function lookup(domain: i32, page: f64): f64 {
  const base = setOf(domain, page) * WAYS;
  const key0 = domain * 4;
  let victim = base; let invalidFound = false;
  for (let w = base; w < base + WAYS; w++) {
    const key = tagKey[w];
    if (key == key0 && tagPage[w] == page) { stamp[w] = ++clock; return value[w]; }
    if (!invalidFound) {
      if (key < 0) { victim = w; invalidFound = true; } else if (stamp[w] < stamp[victim]) victim = w;
    }
  }
  missVictim = victim;
  return 0;
}
function invalidatePage(domain: i32, page: f64): i32 {
  let dropped = 0;
  const base = setOf(domain, page) * WAYS;
  for (let w = base; w < base + WAYS; w++) if (tagKey[w] == domain * 4 && tagPage[w] == page) { tagKey[w] = -1; dropped++; }
  return dropped;
}
function translate(domain: i32, page: f64, need: i32): f64 {
  let leaf = lookup(domain, page);
  if (leaf != 0) c[0]++;
  else {
    c[1]++;
    leaf = ptWalk(domain, page);
    c[2] += lastWalkRefs; c[3] += lastWalkRefs * 100;
    if (leaf == 0) { c[4]++; return -1; }
    const w = missVictim;
    c[5] += tagKey[w] < 0 ? 0 : 1;
    tagKey[w] = domain * 4; tagPage[w] = page; value[w] = leaf; stamp[w] = ++clock;
  }
  const v = -leaf;
  const perms = <i32>(v - Math.floor(v / 4) * 4);
  if ((perms & need) != need) { c[6]++; return -1; }
  return Math.floor(v / 4);
}
// N single-use DMAs over a stack of `live` IOVAs (one page each).
export function run(n: i32, live: i32): f64 {
  for (let k = 0; k < n; k++) {
    const iova: f64 = 0xff000 + <f64>(k % live);
    const host: f64 = 0x40000 + <f64>((k * 7919) % 100000);
    const w = ptMap(1, iova, host, 2);
    c[7] += w; c[8] += w * 60; c[9] = <f64>leaves;
    translate(1, iova, 2);
    const u = ptUnmap(1, iova);
    c[7] += u; c[8] += u * 60;
    c[10]++; c[11] += 200; c[12] += <f64>invalidatePage(1, iova);
    c[13]++; c[11] += 800;
  }
  let h: f64 = 0;
  for (let i = 0; i < 14; i++) h = h * 31 + c[i];
  return h;
}

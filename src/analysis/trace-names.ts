/**
 * Trace names for tables, shortened to what tells them apart: the file name without its
 * directory and its trace extension (.csv, .csv.gz, .arrow, .txt, .gz), with as many parent
 * directories as it takes to keep two traces of the same name apart. `synth:<workload>` and
 * anything else without a directory stay as they are.
 */
const EXTENSION = /(\.csv\.gz|\.csv|\.arrow|\.txt\.gz|\.txt|\.gz)$/;

export function shortTraceNames(paths: readonly string[]): Map<string, string> {
  const unique = [...new Set(paths)];
  const parts = unique.map((p) => p.replace(EXTENSION, '').split('/').filter((s) => s !== '' && s !== '.'));
  const depth = unique.map(() => 1);
  const name = (i: number) => parts[i].slice(-depth[i]).join('/') || unique[i];
  // Lengthen the names that collide until none does (or they are whole).
  for (let round = 0; round < 64; round++) {
    const seen = new Map<string, number[]>();
    unique.forEach((_, i) => seen.set(name(i), [...(seen.get(name(i)) ?? []), i]));
    let grew = false;
    for (const group of seen.values()) {
      if (group.length < 2) continue;
      for (const i of group) {
        if (depth[i] < parts[i].length) {
          depth[i]++;
          grew = true;
        }
      }
    }
    if (!grew) break;
  }
  // Two paths that differ only in their extension (x.csv, x.arrow) keep it.
  const out = new Map<string, string>();
  const counts = new Map<string, number>();
  unique.forEach((_, i) => counts.set(name(i), (counts.get(name(i)) ?? 0) + 1));
  unique.forEach((p, i) => out.set(p, counts.get(name(i))! > 1 ? p : name(i)));
  return out;
}

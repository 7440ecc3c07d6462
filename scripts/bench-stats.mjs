// Summaries of repeated measurements for `npm run bench`: the bench runs every measurement once
// per round, rounds interleaved (round 1 measures everything, then round 2 ...), so a slow spell
// on a shared machine hits all rows of a round rather than all rounds of one row; ratios between
// rows are taken within a round, then summarized.

export const min = (xs) => Math.min(...xs);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');

/** `a / b` per round, for rounds where both were measured. */
export function perRound(rounds, a, b) {
  return rounds.filter((r) => r[a] && r[b]).map((r) => r[a].seconds / r[b].seconds);
}

/** Prints rows (arrays of strings) as an aligned table, first column left-aligned. */
export function printTable(rows) {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((row) => String(row[j]).length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

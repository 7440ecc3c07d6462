/**
 * Aligned plain-text tables for the terminal: a header row, a rule, right-aligned numbers and
 * left-aligned text.
 */
export interface Column<T> {
  title: string;
  value: (row: T) => string | number | null;
  /** Decimal places for numbers (default 0). */
  digits?: number;
  /** Print numbers as percentages of a fraction. */
  percent?: boolean;
  /** Print numbers with as many decimals as they have (up to 6), not a fixed number. */
  exact?: boolean;
}

export function formatCell(v: string | number | null, digits = 0, percent = false, exact = false): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  const x = percent ? v * 100 : v;
  return numberFormat(exact ? -1 : digits).format(x) + (percent ? '%' : '');
}

/** One formatter per number of decimals (-1: as many as the value has, up to 6). The same text
 * as toLocaleString('en-US', ...), which builds a formatter per call: 70x slower, minutes for a
 * table of 200,000 devices. */
const formats = new Map<number, Intl.NumberFormat>();
function numberFormat(digits: number): Intl.NumberFormat {
  let f = formats.get(digits);
  if (!f) formats.set(digits, (f = new Intl.NumberFormat('en-US', digits < 0 ? { maximumFractionDigits: 6 } : { minimumFractionDigits: digits, maximumFractionDigits: digits })));
  return f;
}

export function textTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => formatCell(c.value(r), c.digits, c.percent, c.exact)));
  // Right-aligned unless the column holds text: a column of numbers and missing values ('-'),
  // or of missing values only, aligns its '-' with where the numbers would be.
  const numeric = columns.map((c) => !rows.some((r) => typeof c.value(r) === 'string'));
  // A loop, not Math.max(...cells): 200,000 rows are too many arguments for one call.
  const widths = columns.map((c, j) => cells.reduce((w, row) => Math.max(w, row[j].length), c.title.length));
  const pad = (s: string, j: number) => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]));
  const lines = [columns.map((c, j) => pad(c.title, j)).join('  '), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) lines.push(row.map((s, j) => pad(s, j)).join('  ').trimEnd());
  return lines.map((l) => l.trimEnd()).join('\n');
}

/**
 * Problems found in input files, as `file:line: reason` lines. The rest of the file is still
 * read; a summary counts what was skipped by kind. Under --strict the first problem throws.
 */
import { StrictInputError } from '../util/errors.js';

export interface Problem {
  file: string;
  /** 1-based line (or row: see `unit`), or 0 when the problem concerns the whole file. */
  line: number;
  kind: string;
  message: string;
  /** 'row' for files of records rather than lines (Arrow traces): `file:row N: reason`. */
  unit?: 'row';
}

export class Diagnostics {
  /** The first `keep` problems, in order; the rest are only counted. */
  readonly problems: Problem[] = [];
  readonly countsByKind = new Map<string, number>();
  /** Whole-file warnings (extra columns, ...) that skip nothing. */
  readonly warnings: string[] = [];
  total = 0;
  /** Files whose positions are rows, not lines (see countInRows). */
  private readonly rowFiles = new Set<string>();

  constructor(
    readonly strict = false,
    readonly keep = 1000,
    /** Called for each kept problem as it is found (e.g. to print it at once). */
    readonly onProblem?: (p: Problem) => void,
  ) {}

  /** Problems of `file` name rows (`file:row N`), not lines: it is a file of records (Arrow). */
  countInRows(file: string): void {
    this.rowFiles.add(file);
  }

  report(file: string, line: number, kind: string, message: string, unit?: 'row'): void {
    this.total++;
    this.countsByKind.set(kind, (this.countsByKind.get(kind) ?? 0) + 1);
    const p: Problem = unit === 'row' || this.rowFiles.has(file) ? { file, line, kind, message, unit: 'row' } : { file, line, kind, message };
    if (this.strict) throw new StrictInputError(formatProblem(p));
    if (this.problems.length < this.keep) {
      this.problems.push(p);
      this.onProblem?.(p);
    }
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** "3 lines skipped: 2 bad-address, 1 unmatched-unmap" or "" when clean. */
  summary(): string {
    if (this.total === 0) return '';
    const parts = [...this.countsByKind.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return `${this.total} problem${this.total === 1 ? '' : 's'} (rows skipped): ${parts.map(([k, n]) => `${n} ${k}`).join(', ')}`;
  }
}

export function formatProblem(p: Problem): string {
  return p.line > 0 ? `${p.file}:${p.unit === 'row' ? 'row ' : ''}${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}

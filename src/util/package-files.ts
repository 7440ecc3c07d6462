/**
 * Files that ship with the package (the bundled traces), found from this module's own location
 * rather than the working directory: `dmareplay figures` or `attack` run from any directory, and
 * the library imported from any project, find them where the package is installed.
 */
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's directory: two levels above this module (src/util/ or dist/util/). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A path inside the package, as it is best shown: relative to the working directory when that is
 * the package's own (so results keep naming `traces/netperf-rx.csv` in a clone), else absolute.
 */
export function packagePath(...parts: string[]): string {
  const full = join(PACKAGE_ROOT, ...parts);
  const rel = relative(process.cwd(), full);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : full;
}

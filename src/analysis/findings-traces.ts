import { packagePath } from '../util/package-files.js';

/** The traces docs/findings.md is made from: the bundled synthetic workloads and real captures
 * (in the package's traces/, whatever the working directory). */
export const FINDINGS_SYNTHETIC = ['netperf-tx.csv', 'netperf-rx.csv', 'disk-seq-read.csv', 'disk-rand-write.csv', 'mixed.csv'].map((f) => packagePath('traces', f));
/** Strict-mode captures (lazy ones hold the same DMAs; only the IOVAs the kernel chose differ). */
export const FINDINGS_CAPTURES = ['qemu-e1000-strict.csv.gz', 'qemu-nvme-strict.csv.gz', 'qemu612-e1000-strict.csv.gz', 'qemu612-nvme-strict.csv.gz', 'qemu612-both-strict.csv.gz'].map((f) => packagePath('traces', f));

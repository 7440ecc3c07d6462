/** The traces docs/findings.md is made from: the bundled synthetic workloads and real captures. */
export const FINDINGS_SYNTHETIC = ['traces/netperf-tx.csv', 'traces/netperf-rx.csv', 'traces/disk-seq-read.csv', 'traces/disk-rand-write.csv', 'traces/mixed.csv'] as const;
/** Strict-mode captures (lazy ones hold the same DMAs; only the IOVAs the kernel chose differ). */
export const FINDINGS_CAPTURES = ['traces/qemu-e1000-strict.csv.gz', 'traces/qemu-nvme-strict.csv.gz', 'traces/qemu612-e1000-strict.csv.gz', 'traces/qemu612-nvme-strict.csv.gz', 'traces/qemu612-both-strict.csv.gz'] as const;

/** The traces docs/findings.md is made from: the bundled synthetic workloads and real captures. */
export const FINDINGS_SYNTHETIC = ['traces/netperf-tx.csv', 'traces/netperf-rx.csv', 'traces/disk-seq-read.csv', 'traces/disk-rand-write.csv', 'traces/mixed.csv'] as const;
export const FINDINGS_CAPTURES = ['traces/qemu-e1000-strict.csv.gz', 'traces/qemu-nvme-strict.csv.gz'] as const;

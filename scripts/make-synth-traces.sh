#!/usr/bin/env bash
# Regenerates the bundled synthetic traces (traces/README.md lists them). Deterministic: the same
# code and seeds give byte-identical files.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
run() { node bin/run.js synth "$@"; }
run netperf-tx      --dmas 30000 --seed 1 -o traces/netperf-tx.csv
run netperf-rx      --dmas 30000 --seed 1 -o traces/netperf-rx.csv
run disk-seq-read   --dmas 500   --seed 1 -o traces/disk-seq-read.csv
run disk-rand-write --dmas 2500  --seed 1 -o traces/disk-rand-write.csv
run mixed           --dmas 30000 --seed 1 --guests 2 -o traces/mixed.csv

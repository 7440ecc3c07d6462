#!/usr/bin/env bash
# Executes every notebook headless and offline with the Deno Jupyter kernel (npm package `deno`)
# and Debian's jupyter-nbconvert; executed copies go to out/notebooks/. Exits 3 when jupyter is
# not installed (the test that calls this then reports itself as skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
  echo "jupyter nbconvert not found: apt-get install -y jupyter-nbconvert jupyter-client python3-ipykernel" >&2
  exit 3
fi
npm run build --silent
./node_modules/.bin/deno jupyter --install --force >/dev/null 2>&1
mkdir -p out/notebooks
export PYDEVD_DISABLE_FILE_VALIDATION=1
jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=deno --output-dir out/notebooks notebooks/*.ipynb

#!/usr/bin/env bash
# GPU throughput check (issue #18 item 5): each architecture trained for one epoch on DeMo's GATA1 set,
# saliency / ISM / DeepLIFT-SHAP timed, device vs CPU test AUROC compared (benchmarks/gpu_check.py says
# what each column is). Prints to stdout and, where $OUT is set, also to $OUT/gpu_check.txt. Exit status 1
# where the device's AUROC and the CPU's disagree.
#
#   benchmarks/gpu_check.sh [--device auto] [--small N] [--archs cnn rnn cnnrnn]
#   benchmarks/gpu_check.sh --device cpu --small 300    # a quick CPU run: the script works
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$PWD/.cache/numba}
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  "$PY" benchmarks/gpu_check.py "$@" | tee "$OUT/gpu_check.txt"
else
  "$PY" benchmarks/gpu_check.py "$@"
fi

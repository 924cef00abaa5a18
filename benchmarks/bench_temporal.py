"""Speed of the temporal output scores: ``temporal_scores`` (fast, exact) against two references, per
architecture at the default model sizes (``deepmotif.config.DEFAULTS["models"]``), untrained, on random
one-hot sequences:

* ``original``: ``temporal_scores_naive`` with ``batch_size=1``, i.e. one forward pass per prefix of one
  sequence, as the original DeMo code did (``temporal_output_values.lua``: a loop over test sequences, and
  for each one ``model:forward(X[{{1,1},{1,i}}])`` for every prefix length i). Timed on the first
  ``--n-original`` sequences (default 50) and scaled to ``--n`` (its time is linear in the number of
  sequences);
* ``batched``: ``temporal_scores_naive`` with all ``--n`` sequences in one batch per prefix length (the
  reference of the tests, and the stronger baseline on a CPU).

Prints, per architecture and direction, the seconds for ``--n`` sequences of the three, the ratios
original / fast and batched / fast, and the largest absolute difference of the score matrices (must stay
below 1e-5).

Run from the repository root::

    .venv/bin/python benchmarks/bench_temporal.py [--n 1000] [--n-original 50] [--length 101] [--threads 1]
        [--device cpu] [--archs cnn rnn cnnrnn] [--directions forward backward]

``--threads`` sets torch's intra-op threads (default 1: on a shared 2-core machine single-threaded timings
are the repeatable ones; CPU seconds are reported too because they do not depend on other processes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from deepmotif.config import DEFAULTS
from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.interpret.temporal import temporal_scores, temporal_scores_naive
from deepmotif.models import build_model


def _timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-original", type=int, default=50, help="sequences timed for the original reference")
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--archs", nargs="+", default=["cnn", "rnn", "cnnrnn"])
    ap.add_argument("--directions", nargs="+", default=["forward", "backward"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X = codes_to_one_hot(np.random.default_rng(0).integers(0, 4, (args.n, args.length)))
    n_orig = min(args.n_original, args.n)
    print(f"{args.n} x {args.length} bp, device {args.device}, {torch.get_num_threads()} thread(s), torch "
          f"{torch.__version__}; original reference timed on {n_orig} sequences and scaled to {args.n}")
    print(f"{'arch':7s} {'direction':9s} {'fast s':>7s} {'original s':>10s} {'ratio':>6s} {'batched s':>9s} "
          f"{'ratio':>6s} {'fast cpu':>8s} {'batched cpu':>11s} {'max |diff|':>10s}")
    for arch in args.archs:
        model = build_model(arch, **DEFAULTS["models"][arch]).to(args.device).eval()
        temporal_scores(model, X[:8], "forward")  # warm-up (allocator, oneDNN primitives)
        for direction in args.directions:
            fast, fw, fc = _timed(temporal_scores, model, X, direction)
            batched, bw, bc = _timed(temporal_scores_naive, model, X, direction, batch_size=args.n)
            original, ow, _ = _timed(temporal_scores_naive, model, X[:n_orig], direction, batch_size=1)
            ow *= args.n / n_orig
            diff = max(np.abs(fast - batched).max(), np.abs(fast[:n_orig] - original).max())
            print(f"{arch:7s} {direction:9s} {fw:7.2f} {ow:10.2f} {ow / fw:6.1f} {bw:9.2f} {bw / fw:6.1f} "
                  f"{fc:8.2f} {bc:11.2f} {diff:10.1e}", flush=True)

if __name__ == "__main__":
    main()

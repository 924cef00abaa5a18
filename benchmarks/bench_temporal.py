"""Speed of the temporal output scores: ``temporal_scores`` (fast, exact) against ``temporal_scores_naive``
(one forward pass per prefix length, the reference), per architecture at the default model sizes
(``deepmotif.config.DEFAULTS["models"]``), untrained, on random one-hot sequences.

Prints, per architecture and direction, the wall-clock and CPU seconds of both, their ratios naive / fast,
and the largest absolute difference of the two score matrices (must stay below 1e-5).

Run from the repository root::

    .venv/bin/python benchmarks/bench_temporal.py [--n 1000] [--length 101] [--threads 1] [--device cpu]
        [--archs cnn rnn cnnrnn] [--directions forward backward]

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
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--archs", nargs="+", default=["cnn", "rnn", "cnnrnn"])
    ap.add_argument("--directions", nargs="+", default=["forward", "backward"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X = codes_to_one_hot(np.random.default_rng(0).integers(0, 4, (args.n, args.length)))
    print(f"{args.n} x {args.length} bp, device {args.device}, {torch.get_num_threads()} thread(s), torch "
          f"{torch.__version__}")
    print(f"{'arch':7s} {'direction':9s} {'naive s':>8s} {'fast s':>7s} {'ratio':>6s} {'naive cpu':>9s} "
          f"{'fast cpu':>8s} {'cpu ratio':>9s} {'max |diff|':>10s}")
    for arch in args.archs:
        model = build_model(arch, **DEFAULTS["models"][arch]).to(args.device).eval()
        temporal_scores(model, X[:8], "forward")  # warm-up (allocator, oneDNN primitives)
        for direction in args.directions:
            fast, fw, fc = _timed(temporal_scores, model, X, direction)
            naive, nw, nc = _timed(temporal_scores_naive, model, X, direction, batch_size=args.n)
            print(f"{arch:7s} {direction:9s} {nw:8.2f} {fw:7.2f} {nw / fw:6.1f} {nc:9.2f} {fc:8.2f} "
                  f"{nc / fc:9.1f} {np.abs(fast - naive).max():10.1e}", flush=True)


if __name__ == "__main__":
    main()

"""Throughput (sequences/s) of every attribution method on the default CNN and RNN (untrained: the weights
do not change the cost), on random 101 bp one-hot sequences.

Methods: saliency, corrected saliency, in-silico mutagenesis (3 L mutants per sequence; ``ism`` recomputes
only the columns a mutation changes where it can, the CNN; ``ism_full`` scores every mutant in full), integrated
gradients (4 dinucleotide-shuffled references x 32 steps), DeepLIFT-SHAP (10 shuffled references), temporal
output scores fast (``temporal_scores``) and naive (``temporal_scores_naive``), each for both directions.

Run from the repository root::

    NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_attribution.py [--n 200] [--threads 1]
        [--device cpu] [--archs cnn rnn] [--methods saliency corrected ism ism_full ig deeplift_shap temporal temporal_naive]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from deepmotif.config import DEFAULTS
from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.interpret.attribution import corrected_saliency, deep_lift_shap, integrated_gradients
from deepmotif.interpret.ism import _full_ism, ism
from deepmotif.interpret.saliency import saliency
from deepmotif.interpret.temporal import temporal_scores, temporal_scores_naive
from deepmotif.models import build_model

METHODS = {
    "saliency": lambda m, X: saliency(m, X),
    "corrected": lambda m, X: corrected_saliency(m, X),
    "ism": lambda m, X: ism(m, X),
    "ism_full": lambda m, X: _full_ism(m, X, 1024, torch.device(next(m.parameters()).device)),
    "ig": lambda m, X: integrated_gradients(m, X, n_shuffles=4, n_steps=32),
    "deeplift_shap": lambda m, X: deep_lift_shap(m, X, n_shuffles=10),
    "temporal": lambda m, X: (temporal_scores(m, X, "forward"), temporal_scores(m, X, "backward")),
    "temporal_naive": lambda m, X: (temporal_scores_naive(m, X, "forward"), temporal_scores_naive(m, X, "backward")),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--archs", nargs="+", default=["cnn", "rnn"])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X = codes_to_one_hot(np.random.default_rng(0).integers(0, 4, (args.n, args.length)))
    print(f"{args.n} x {args.length} bp, device {args.device}, {torch.get_num_threads()} thread(s)")
    print(f"{'arch':7s} {'method':15s} {'seconds':>8s} {'seq/s':>9s}")
    for arch in args.archs:
        model = build_model(arch, **DEFAULTS["models"][arch]).to(args.device).eval()
        for name in args.methods:
            METHODS[name](model, X[:4])  # warm-up: numba cache load (shuffles), oneDNN primitives
            t0 = time.perf_counter()
            METHODS[name](model, X)
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            print(f"{arch:7s} {name:15s} {dt:8.2f} {args.n / dt:9.1f}", flush=True)


if __name__ == "__main__":
    main()

"""Throughput of every attribution method on the default architectures (untrained: the weights do not change
the cost), and our time against tangermeme's on the same model, sequences and thread count (the ``bench``
extra: ``.venv/bin/pip install --no-deps tangermeme==1.6.0 figwig==0.2.0``; without ``--no-deps`` pip may
pull another torch).

Sequences: the first ``--n`` of DeMo's GATA1 K562 test set (``../shared/data``), else random 101 bp ones.

Methods: saliency, corrected saliency, in-silico mutagenesis (3 L mutants per sequence; ``ism`` recomputes
only the columns a mutation changes where it can, the CNN; ``ism_full`` scores every mutant in full), integrated
gradients (4 dinucleotide-shuffled references x 32 steps), DeepLIFT-SHAP (10 shuffled references;
``deeplift_shap_captum`` is the same through Captum's DeepLift, the previous implementation, and its
``max|diff|`` is against ``deeplift_shap``), temporal output scores fast (``temporal_scores``) and naive
(``temporal_scores_naive``), each for both directions.

tangermeme 1.6 (where installed; the table says when it is not) is timed for the methods it has, called as
its documentation shows with its default batch sizes, on a wrapper that gives our (N,) score the (N, 1)
shape it wants; ``ratio`` is ours / tangermeme, ``max|diff|`` the largest difference of the two maps where
they compute the same quantity:

* ``saliency``: ours |gradient| x input; tangermeme's (no gradient correction) gradient x input, compared
  as its absolute value;
* ``ism``: ours with ``center=True`` (mean over the 4 bases subtracted at every position), tangermeme's
  ``saturation_mutagenesis(hypothetical=True)``, the same normalisation;
* ``deeplift_shap``: tangermeme is given our references (so its time leaves out the shuffling ours does).
  Same quantity, but tangermeme's max-pool rule differs from Captum's (ours) where a pooled input does not
  change (see :mod:`deepmotif.interpret.attribution`): the CNN's maps differ, a model without max-pool's agree.
  The default RNN scores both strands (``strands: mean``): ours explains each strand's network and averages
  the maps, tangermeme explains the combined score as one network.

Run from the repository root::

    NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_attribution.py [--n 200] [--threads 1]
        [--device cpu] [--archs cnn rnn] [--methods saliency corrected ism ism_full ig deeplift_shap
        deeplift_shap_captum temporal temporal_naive] [--random] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from deepmotif.config import DEFAULTS
from deepmotif.data.onehot import codes_to_one_hot, one_hot_encode
from deepmotif.data.readers import read_fasta
from deepmotif.interpret.attribution import _attribute, corrected_saliency, deep_lift_shap, integrated_gradients
from deepmotif.interpret.ism import _full_ism, ism
from deepmotif.interpret.saliency import saliency
from deepmotif.interpret.temporal import temporal_scores, temporal_scores_naive
from deepmotif.models import build_model

GATA1_TEST = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "deepmotif-k562"
              / "GATA1_K562_GATA-1_USC" / "test.fa")
N_SHUFFLES = 10


def _captum_deep_lift_shap(m, X):
    from captum.attr import DeepLift

    return _attribute(DeepLift, m, X, "shuffle", N_SHUFFLES, 64, None, 0, per_strand=True)


METHODS = {
    "saliency": lambda m, X: saliency(m, X),
    "corrected": lambda m, X: corrected_saliency(m, X),
    "ism": lambda m, X: ism(m, X, center=True),
    "ism_full": lambda m, X: _full_ism(m, X, 1024, torch.device(next(m.parameters()).device)),
    "ig": lambda m, X: integrated_gradients(m, X, n_shuffles=4, n_steps=32),
    "deeplift_shap": lambda m, X: deep_lift_shap(m, X, n_shuffles=N_SHUFFLES),
    "deeplift_shap_captum": _captum_deep_lift_shap,
    "temporal": lambda m, X: (temporal_scores(m, X, "forward"), temporal_scores(m, X, "backward")),
    "temporal_naive": lambda m, X: (temporal_scores_naive(m, X, "forward"), temporal_scores_naive(m, X, "backward")),
}


class _Targets(torch.nn.Module):
    """Our model with the (N, 1) output tangermeme requires."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)[:, None]


def _tangermeme_methods():
    """Method name → (tangermeme call, what to compare with our map), or None where it is not installed."""
    try:
        from tangermeme.deep_lift_shap import deep_lift_shap as t_dls
        from tangermeme.saliency import saliency as t_saliency
        from tangermeme.saturation_mutagenesis import saturation_mutagenesis as t_ism
    except ImportError:
        return None
    from deepmotif.data.shuffle import dinucleotide_shuffle

    def dls(m, X, device):
        # our references (deep_lift_shap's: shuffles of the repeated sequences, seed 0), as (N, S, 4, L)
        ref = dinucleotide_shuffle(np.repeat(X, N_SHUFFLES, axis=0), random_state=0).astype(np.float32)
        ref = torch.from_numpy(ref.reshape(len(X), N_SHUFFLES, *X.shape[1:]))
        with warnings.catch_warnings():  # its convergence-delta warnings: the CNN's global max has no rule
            warnings.simplefilter("ignore", RuntimeWarning)
            return t_dls(m, torch.from_numpy(X), references=ref, device=device).numpy()

    return {
        "saliency": lambda m, X, device: np.abs(t_saliency(m, torch.from_numpy(X), gradient_correction=False,
                                                           device=device).numpy()),
        "ism": lambda m, X, device: t_ism(m, torch.from_numpy(X), hypothetical=True, device=device).numpy(),
        "deeplift_shap": dls,
    }


def _sequences(n: int, length: int, random: bool) -> tuple[np.ndarray, str]:
    if not random and GATA1_TEST.is_file():
        seqs = read_fasta(GATA1_TEST, label_headers=True).seqs[:n]
        return one_hot_encode(seqs), f"GATA1 K562 test set, first {len(seqs)}"
    return codes_to_one_hot(np.random.default_rng(0).integers(0, 4, (n, length))), "random"


def _timed(fns, repeat: int):
    """The shortest of ``repeat`` runs of each function (5 x ``repeat`` where a run takes under half a second,
    so that the machine's load changes average out) and its output; the functions take turns, so that a
    shared machine's load changes fall on both."""
    best, outs = [float("inf")] * len(fns), [None] * len(fns)
    run = 0
    while run < repeat or (run < 5 * repeat and max(best) < 0.5):
        run += 1
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            outs[i] = fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best, outs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--length", type=int, default=101, help="length of the random sequences")
    ap.add_argument("--random", action="store_true", help="random sequences even where the GATA1 set is present")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--archs", nargs="+", default=["cnn", "rnn"])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--repeat", type=int, default=3,
                    help="time the best of this many runs of each (5 x as many for runs under 0.5 s)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X, source = _sequences(args.n, args.length, args.random)
    theirs = _tangermeme_methods()
    print(f"{len(X)} x {X.shape[2]} bp ({source}), device {args.device}, {torch.get_num_threads()} thread(s), "
          f"best of {args.repeat} runs ({5 * args.repeat} under 0.5 s)")
    if theirs is None:
        print("tangermeme is not installed (.venv/bin/pip install --no-deps tangermeme==1.6.0 figwig==0.2.0): "
              "its columns are left out")
    print(f"{'arch':7s} {'method':21s} {'seconds':>8s} {'seq/s':>9s} {'tangermeme':>10s} {'ratio':>6s} "
          f"{'max|diff|':>9s}")
    for arch in args.archs:
        model = build_model(arch, **DEFAULTS["models"][arch]).to(args.device).eval()
        ours_dls = None
        for name in args.methods:
            fns = [lambda x: METHODS[name](model, x)]
            if theirs is not None and name in theirs:
                wrapped = _Targets(model).eval()
                fns.append(lambda x: theirs[name](wrapped, x, args.device))
            for fn in fns:  # warm-up: numba cache load (shuffles), oneDNN primitives
                fn(X[:4])
            (dt, *dt_t), (ours, *ref) = _timed([lambda fn=fn: fn(X) for fn in fns], args.repeat)
            row = f"{arch:7s} {name:21s} {dt:8.2f} {len(X) / dt:9.1f}"
            if name == "deeplift_shap":
                ours_dls = ours
            if ref:
                row += f" {dt_t[0]:10.2f} {dt / dt_t[0]:6.2f} {np.abs(ours - ref[0]).max():9.2e}"
            elif name == "deeplift_shap_captum" and ours_dls is not None:
                row += f" {'':10s} {'':6s} {np.abs(ours - ours_dls).max():9.2e}"
            print(row, flush=True)


if __name__ == "__main__":
    main()

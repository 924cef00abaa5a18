"""GPU throughput check (issue #18 item 5), run by ``benchmarks/gpu_check.sh``: every architecture trained for
one epoch on DeMo's GATA1 K562 set on the device, then saliency, ISM and DeepLIFT-SHAP timed there on the first
``--n-interpret`` test sequences, and the trained model's test AUROC on the device compared with the same
weights' on the CPU.

One row per architecture: training seconds and sequences/s, test AUROC on the device and on the CPU and their
difference (exit status 1 where it exceeds ``--tolerance``), the largest logit difference, and the seconds of
each interpretation method. ``--small N`` keeps N sequences of each split (a quick run that shows the script
works, e.g. on a CPU); the default is the whole set (~ 4 min on one modern GPU is the goal: under 5).

Run from the repository root: ``benchmarks/gpu_check.sh [--device auto] [--small 0] [--archs cnn rnn cnnrnn]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from deepmotif.architectures import ARCHITECTURES
from deepmotif.config import DEFAULTS, train_options
from deepmotif.evaluate import auroc_aupr, predict
from deepmotif.interpret.attribution import deep_lift_shap
from deepmotif.interpret.ism import ism
from deepmotif.interpret.saliency import saliency
from deepmotif.train import fit, load_model, pick_device

from gata1_architectures import load_gata1

METHODS = {"saliency": saliency, "ism": ism, "deeplift": deep_lift_shap}


def _seconds(fn, device: torch.device) -> float:
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--small", type=int, default=0, help="keep this many sequences of each split (0: all)")
    ap.add_argument("--archs", nargs="+", default=list(ARCHITECTURES), choices=list(ARCHITECTURES))
    ap.add_argument("--n-interpret", type=int, default=200, help="test sequences each method explains")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (the CPU AUROC; a CPU run)")
    ap.add_argument("--tolerance", type=float, default=1e-3, help="largest accepted |AUROC device - CPU|")
    args = ap.parse_args()
    device = pick_device(args.device)
    t_start = time.perf_counter()
    data = load_gata1()
    if args.small:
        rng = np.random.default_rng(0)  # both classes in every split: a random subset, not the first N
        data = {s: tuple(a[np.sort(rng.permutation(len(X))[:args.small])] for a in (X, y))
                for s, (X, y) in data.items()}
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {device} ({name}); train/valid/test {', '.join(str(len(data[s][0])) for s in data)} "
          f"sequences; {args.n_interpret} explained per method")
    print(f"{'arch':7s} {'train s':>8s} {'seq/s':>8s} {'AUROC dev':>9s} {'AUROC cpu':>9s} {'|diff|':>8s} "
          f"{'max|dlogit|':>11s} " + " ".join(f"{m + ' s':>10s}" for m in METHODS), flush=True)
    ok = True
    X_test, y_test = data["test"]
    X_top = X_test[:args.n_interpret]
    for arch in args.archs:
        # the architecture's own options (the RNN's batch size...), one epoch
        cfg = dict(train_options(DEFAULTS, arch), epochs=1, min_epochs=0, device=str(device), threads=args.threads)
        with tempfile.TemporaryDirectory() as tmp:
            m = fit(arch, DEFAULTS["models"][arch], data, tmp, cfg, progress=False)
            model, _ = load_model(Path(tmp) / "best.pt", device)
            cpu_model, _ = load_model(Path(tmp) / "best.pt", "cpu")
        logits_dev = predict(model, X_test, device=device)
        logits_cpu = predict(cpu_model, X_test)
        auroc_dev, auroc_cpu = (auroc_aupr(y_test, s)["auroc"] for s in (logits_dev, logits_cpu))
        diff = abs(auroc_dev - auroc_cpu)
        ok &= diff <= args.tolerance
        seconds = m["history"][0]["seconds"]
        for fn in METHODS.values():  # warm-up: numba's cache (the shuffles), kernels' first launch
            fn(model, X_top[:2], device=device)
        times = [_seconds(lambda: fn(model, X_top, device=device), device) for fn in METHODS.values()]
        print(f"{arch:7s} {seconds:8.1f} {m['n_train'] / seconds:8.0f} {auroc_dev:9.4f} {auroc_cpu:9.4f} "
              f"{diff:8.1e} {np.abs(logits_dev - logits_cpu).max():11.2e} "
              + " ".join(f"{t:10.2f}" for t in times), flush=True)
    print(f"total {time.perf_counter() - t_start:.0f} s; AUROC device vs CPU within {args.tolerance}: "
          f"{'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

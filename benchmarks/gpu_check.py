"""GPU throughput check (issue #18 item 5), run by ``benchmarks/gpu_check.sh``: every architecture trained for
one epoch on DeMo's GATA1 K562 set on the device, then saliency, ISM and DeepLIFT-SHAP timed there on the first
``--n-interpret`` test sequences, and the trained model's test AUROC on the device compared with the same
weights' on the CPU.

One row per architecture: training seconds and sequences/s, test AUROC on the device and on the CPU and their
difference (exit status 1 where it exceeds ``--tolerance``), the largest logit difference, and the seconds of
each interpretation method. Then the CNN's three sizes (``models.sizes``) one epoch each, trained one after
another and together in one job (``deepmotif.train.train_sizes``: a process per size on the one device, as
``resources.train_sizes_in_one_job`` does), with the ratio together / one by one. ``--small N`` keeps N
sequences of each split (a quick run that shows the script
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
from deepmotif.data.prepare import save_dataset
from deepmotif.train import fit, load_model, pick_device, train_from_config, train_sizes

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
    one_by_one, together = sizes_in_one_job(data, device, args.threads)
    print(f"cnn sizes {', '.join(DEFAULTS['models']['sizes'])}, one epoch each: one by one {one_by_one:.1f} s, "
          f"together in one job {together:.1f} s, ratio {together / one_by_one:.2f}")
    print(f"total {time.perf_counter() - t_start:.0f} s; AUROC device vs CPU within {args.tolerance}: "
          f"{'yes' if ok else 'NO'}")
    return 0 if ok else 1


def sizes_in_one_job(data: dict, device: torch.device, threads: int) -> tuple[float, float]:
    """Seconds to train the CNN's sizes one after another, then together (one process each)."""
    sizes = list(DEFAULTS["models"]["sizes"])
    cfg = {**DEFAULTS, "train": {**DEFAULTS["train"], "epochs": 1, "device": str(device), "resume": False}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        save_dataset(path, {f"{s}_{k}": a for s, (X, y) in data.items()
                            for k, a in (("codes", X.argmax(axis=1).astype(np.uint8)), ("y", y.astype(np.int64)))})
        t0 = time.perf_counter()
        for size in sizes:
            train_from_config(cfg, "cnn", path, Path(tmp) / "alone" / size, size=size, threads=threads,
                              progress=False)
        t1 = time.perf_counter()
        train_sizes(cfg, "cnn", path, Path(tmp) / "together", sizes, threads=threads)
        return t1 - t0, time.perf_counter() - t1


if __name__ == "__main__":
    sys.exit(main())

"""Train every architecture on DeMo's GATA1 K562 data (../shared/data) on CPU or GPU and print test AUROC,
training and saliency throughput (sequences/s) next to the JASPAR PWM scan baseline.

Usage: python benchmarks/gata1_architectures.py [--epochs 20] [--device auto] [--archs cnn rnn cnnrnn]
Runs unchanged on CPU and GPU; the device is printed with every row.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from deepmotif.config import DEFAULTS
from deepmotif.data.prepare import prepare
from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.evaluate import auroc_aupr, pwm_scan
from deepmotif.interpret.saliency import saliency
from deepmotif.memeio import read_meme
from deepmotif.train import fit, load_model

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_gata1() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """DeMo's GATA1 K562 set as ``{"train"|"valid"|"test": (X, y)}``, prepared as the workflow does."""
    folder = DATA / "deepmotif-k562" / "GATA1_K562_GATA-1_USC"
    if not folder.is_dir():
        raise SystemExit(f"{folder} not found: this benchmark needs ../shared/data")
    arrays = prepare({"name": "GATA1", "source": "deepmotif_fasta", "train": str(folder / "train.fa"),
                      "test": str(folder / "test.fa")}, DEFAULTS["data"])
    return {s: (codes_to_one_hot(arrays[f"{s}_codes"]), arrays[f"{s}_y"].astype(np.float32))
            for s in ("train", "valid", "test")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--archs", nargs="+", default=["cnn", "rnn", "cnnrnn"])
    args = ap.parse_args()
    data = load_gata1()
    gata = next(m for m in read_meme(DATA / "jaspar" / "JASPAR2020_CORE_vertebrates_non-redundant_pfms.meme")
                if m.id == "MA0035.4")
    base = auroc_aupr(data["test"][1], pwm_scan(data["test"][0], gata.pwm))["auroc"]
    print(f"PWM MA0035.4 scan: test AUROC {base:.4f}")
    for arch in args.archs:
        cfg = dict(DEFAULTS["train"], epochs=args.epochs, device=args.device, threads=args.threads,
                   patience=args.epochs)
        with tempfile.TemporaryDirectory() as tmp:
            m = fit(arch, DEFAULTS["models"][arch], data, tmp, cfg, progress=False)
            model, _ = load_model(Path(tmp) / "best.pt", m["device"])
        train_rate = m["n_train"] * m["epochs_run"] / sum(h["seconds"] for h in m["history"])
        X = data["test"][0]
        t0 = time.time()
        saliency(model, X, device=m["device"])
        sal_rate = len(X) / (time.time() - t0)
        print(f"{arch:7s} test AUROC {m['test_auroc']:.4f} (valid {m['valid_auroc']:.4f}, best epoch "
              f"{m['best_epoch']}/{m['epochs_run']}) | train {train_rate:,.0f} seq/s | saliency {sal_rate:,.0f} "
              f"seq/s | {m['device']} | {m['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()

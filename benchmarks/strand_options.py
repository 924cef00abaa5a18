"""Both strands (#16): test AUROC of each architecture with and without reverse-complement augmentation
(``train.rc_augment``) and strand-combined scoring (``models.<arch>.strands``), over several seeds, and on
synthetic data the AUROC of the positives whose planted site is on the plus strand and of those on the minus
strand (each against all test negatives): a model that reads one orientation only scores one group at chance.

    python benchmarks/strand_options.py DATA.npz [DATA.npz ...] [--archs rnn] [--seeds 1 2 3]
        [--options single rc mean rc+mean] [--jobs 2] [--set '{"train": {...}, "models": {...}}']

Each DATA.npz is a prepared data set (``results/<tf>/data.npz`` of a workflow run). Settings: the package
defaults (``deepmotif.config.DEFAULTS``, with its per-architecture training options), overridden by
``--set``. Printed: one row per data set × architecture × option × seed, then per data set × architecture ×
option the mean, the seed spread (max - min) of test AUROC and the largest plus/minus gap. ``learnt_epoch``: the first epoch whose validation AUROC
reached 0.75 (the biLSTM sits at chance for many epochs before it finds a motif).
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

#: option name → (train.rc_augment, models.<arch>.strands)
OPTIONS = {"single": (False, "single"), "rc": (True, "single"), "mean": (False, "mean"), "rc+mean": (True, "mean"),
           "max": (False, "max"), "rc+max": (True, "max")}
#: validation AUROC from which a model counts as having left chance (``learnt_epoch``: the first epoch there)
LEARNT = 0.75


def strand_aurocs(data_file: Path, model) -> dict:
    """Test AUROC of all positives, and of the plus- / minus-strand planted positives (synthetic sources)."""
    from deepmotif.data.prepare import load_split
    from deepmotif.evaluate import auroc_aupr, predict

    X, y = load_split(data_file, "test")
    scores = predict(model, X)
    out = {"test_auroc": auroc_aupr(y, scores)["auroc"]}
    with np.load(data_file) as z:
        strand = z["test_motif_strand"] if "test_motif_strand" in z.files else None
    if strand is not None:
        for name, sign in (("plus_auroc", 1), ("minus_auroc", -1)):
            keep = (y == 0) | (strand == sign)
            out[name] = auroc_aupr(y[keep], scores[keep])["auroc"]
    return out


def run_one(data_file: str, arch: str, option: str, seed: int, overrides: dict) -> dict:
    import torch

    from deepmotif.config import DEFAULTS, merge, model_params, train_options
    from deepmotif.train import fit, training_data

    torch.set_num_threads(1)
    config = merge(DEFAULTS, overrides)
    rc_augment, strands = OPTIONS[option]
    train_cfg = {**train_options(config, arch), "rc_augment": rc_augment, "seed": seed, "threads": 1}
    params = {**model_params(config, arch), "strands": strands}
    data, params = training_data(data_file, params)
    with tempfile.TemporaryDirectory() as out:
        metrics = fit(arch, params, data, out, train_cfg, progress=False)
        from deepmotif.train import load_model

        model, _ = load_model(Path(out) / "best.pt")
        row = strand_aurocs(Path(data_file), model)
    return {"data": Path(data_file).parent.name, "arch": arch, "option": option, "seed": seed, **row,
            "epochs": metrics["epochs_run"], "best_epoch": metrics["best_epoch"],
            "learnt_epoch": next((h["epoch"] for h in metrics["history"] if h["valid_auroc"] >= LEARNT), None),
            "seconds": metrics["wall_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="+")
    parser.add_argument("--archs", nargs="+", default=["rnn"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--options", nargs="+", default=["single", "rc", "mean", "rc+mean"], choices=list(OPTIONS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", default="{}", help="JSON config overrides (train, models sections)")
    args = parser.parse_args()
    overrides = json.loads(args.set)
    runs = list(itertools.product(args.data, args.archs, args.options, args.seeds))
    rows = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for row in pool.map(run_one, *zip(*runs), itertools.repeat(overrides)):
            print(json.dumps(row), flush=True)  # each run as it ends: a long benchmark shows its progress
            rows.append(row)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    agg = {"test_auroc": ["mean", lambda s: s.max() - s.min()]}
    if "plus_auroc" in table:
        table["strand_gap"] = (table["plus_auroc"] - table["minus_auroc"]).abs()
        agg["strand_gap"] = ["max"]
    summary = table.groupby(["data", "arch", "option"], sort=False).agg(agg)
    summary.columns = ["mean_test_auroc", "seed_spread", *(["max_strand_gap"] if "strand_gap" in table else [])]
    print()
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()

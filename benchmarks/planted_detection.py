"""Which planted motifs a trained ground-truth model detects at all: for each planted motif, the test AUROC of
the test positives that carry that motif alone against the test negatives (and of every positive carrying it).

A motif the model does not detect cannot be discovered in its attribution maps by any method, so this tells a
miss of the model from a miss of motif discovery. Run it on a finished ground-truth working directory (e.g.
``snakemake --configfile config/groundtruth.yaml`` in DIR):

    python benchmarks/planted_detection.py DIR [--tf KOO12] [--arch cnn_exp]

Printed: one row per planted motif (name, n single-motif positives, their AUROC, AUROC of all its positives)
and the ratio of motifs detected (single-motif AUROC >= 0.75) to planted ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from deepmotif.data.prepare import load_split, load_task_labels
from deepmotif.evaluate import predict
from deepmotif.train import load_model

DETECTED = 0.75  # single-motif AUROC at or above which a motif counts as detected


def detection_table(data_file: Path, model_file: Path, split: str = "test") -> pd.DataFrame:
    """Per planted motif: positives carrying it alone / at all, and the AUROC of each group against the
    negatives of ``split``."""
    X, y = load_split(data_file, split)
    carries_motif = load_task_labels(data_file, split).astype(bool)  # (N, planted motifs)
    with np.load(data_file) as z:
        names = list(z["meta_planted_names"])
    model, _ = load_model(model_file)
    scores = predict(model, X)
    negatives = scores[y == 0]

    def auroc(mask):
        labels = np.r_[np.ones(mask.sum()), np.zeros(len(negatives))]
        return roc_auc_score(labels, np.r_[scores[mask], negatives]) if mask.any() else float("nan")

    alone_rows = carries_motif.sum(axis=1) == 1
    rows = []
    for k, name in enumerate(names):
        carries = (y == 1) & carries_motif[:, k]
        alone = carries & alone_rows
        rows.append({"motif": name, "n_alone": int(alone.sum()), "auroc_alone": auroc(alone),
                     "n_any": int(carries.sum()), "auroc_any": auroc(carries)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--tf", default="KOO12")
    parser.add_argument("--arch", default="cnn_exp")
    args = parser.parse_args()
    results = args.workdir / "results" / args.tf
    table = detection_table(results / "data.npz", results / args.arch / "best.pt")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    detected = int((table["auroc_alone"] >= DETECTED).sum())
    print(f"detected (single-motif AUROC >= {DETECTED}): {detected}/{len(table)} = {detected / len(table):.2f}")


if __name__ == "__main__":
    main()

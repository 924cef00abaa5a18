"""DeepResolve on a freshly trained multi-task model of known motif logic: the shipped LOGIC tasks of
config/deepresolve.yaml (AND, OR, NOT, one motif, and two tasks that share a motif while their labels
anti-correlate), planted at small size (20,000 sequences of 100 bp, a 32-filter exponential CNN; about 45 s).

A channel is a first-layer filter; its motif is the planted motif at whose sites it fires most (in standard
deviations of its output above background, at least 1), i.e. the truth the synthetic set knows.

What is asserted was measured on data and training seeds 1, 2 and 3 (3 of 3 each; see the closing note of
#17 for the table): the AND task's two motifs and the OR task's two motifs are among their task's top
channels; the OR task's channels are flagged non-additive (either motif suffices, so the starts' optima
lean on one or the other: DeepResolve's inconsistency), the one-motif task's motif tops it, SP1 counts
against MAFK_not_SP1, and the two NFYB tasks have the most similar OFIVs of all pairs although their labels
correlate -0.2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from deepmotif.config import load_config, tf_row
from deepmotif.data.prepare import write_prepared
from deepmotif.evaluate import auroc_aupr, predict
from deepmotif.interpret.resolve import feature_split, ofiv_ranks, resolve, similarity_order, task_similarity
from deepmotif.train import fit, load_model, training_data

ROOT = Path(__file__).resolve().parents[1]
SEED = 1
TOP = 5  # of 32 channels
SIZES = {"seq_len": 100, "seed": SEED, "synthetic": {"n_train": 20000, "n_test": 1000}}
MODEL = {"filters": 32, "kernels": [15, 5], "pool": 4, "dropout": 0.2, "activation": "exp", "batchnorm": True,
         "tasks": "planted"}
TRAIN = {"epochs": 25, "patience": 5, "lr": 0.003, "batch_size": 128, "threads": 2, "seed": SEED}
ASCENT = {"starts": 20, "max_steps": 1500}


def channel_motifs(model, X: np.ndarray, planted: np.ndarray, n_motifs: int) -> np.ndarray:
    """(C,) planted motif each first-layer channel fires at most (its mean output at the motif's sites above
    its mean over background positions, in its standard deviations; -1 below 1)."""
    features, _ = feature_split(model)
    with torch.no_grad():
        h = features(torch.as_tensor(X)).numpy()  # (N, C, P) after pooling
    step = X.shape[2] // h.shape[2]
    site = planted[:, ::step][:, :h.shape[2]]
    per_channel = h.transpose(1, 0, 2)  # (C, N, P)
    background = per_channel[:, site < 0].mean(axis=1)
    excess = np.stack([per_channel[:, site == m].mean(axis=1) - background for m in range(n_motifs)], 1)
    excess /= h.std(axis=(0, 2))[:, None] + 1e-9
    return np.where(excess.max(axis=1) >= 1, excess.argmax(axis=1), -1)


@pytest.fixture(scope="module")
def logic(tmp_path_factory):
    cfg = load_config(ROOT / "config" / "deepresolve.yaml")
    cfg["tfs"] = str(ROOT / cfg["tfs"])
    row = tf_row(cfg, "LOGIC")
    tasks = cfg["data"]["synthetic"]["logic"]
    syn = {**cfg["data"]["synthetic"], **SIZES["synthetic"]}
    cfg = {**cfg, "data": {**cfg["data"], **SIZES, "synthetic": syn}}
    out = tmp_path_factory.mktemp("logic")
    write_prepared("LOGIC", row, cfg, out / "data.npz")
    data, params = training_data(out / "data.npz", MODEL)
    fit("cnn", params, data, out / "model", TRAIN, progress=False)
    model, _ = load_model(out / "model" / "best.pt")
    X, Y = data["test"]
    with np.load(out / "data.npz") as z:
        planted, names = z["test_planted"], [str(n) for n in z["meta_planted_names"]]
        labels = np.corrcoef(z["train_tasks"].T)
    logits = predict(model, X, tasks=True)
    results = resolve(model, X, {**cfg["deepresolve"], **ASCENT})
    return {"tasks": {t["name"]: (t, r) for t, r in zip(tasks, results)}, "names": [n.upper() for n in names],
            "channels": channel_motifs(model, X, planted, len(names)), "labels": labels,
            "auroc": {t["name"]: auroc_aupr(Y[:, k], logits[:, k])["auroc"] for k, t in enumerate(tasks)}}


def _channels(logic, motif: str) -> np.ndarray:
    found = np.flatnonzero(logic["channels"] == logic["names"].index(motif.upper()))
    assert len(found), f"no first-layer channel learnt {motif}"
    return found


def test_every_task_is_learnt(logic):
    assert min(logic["auroc"].values()) > 0.85, logic["auroc"]


def test_and_and_or_motifs_are_top_channels_and_only_or_is_inconsistent(logic):
    for task, r in logic["tasks"].values():
        motifs = task.get("all") if len(task.get("all") or []) > 1 else task.get("any") or []
        if len(motifs) < 2 or task.get("none"):
            continue
        rank = ofiv_ranks(r["ofiv"])
        for m in motifs:  # the best-ranked channel of each motif
            assert rank[_channels(logic, m)].min() <= TOP, (task["name"], m, rank[_channels(logic, m)])
        if task.get("any"):  # either suffices: each motif's channel varies across the starts' optima
            assert all(r["non_additive"][_channels(logic, m)].any() for m in motifs), task["name"]


def test_one_motif_task_and_the_negative_motif(logic):
    _, r = logic["tasks"]["MAFK"]
    assert ofiv_ranks(r["ofiv"])[_channels(logic, "MAFK")].min() <= 3
    # SP1 makes a sequence negative for MAFK_not_SP1: its channel counts against the task, among the task's
    # lowest. (NFYB_not_GATA1's GATA1 channels stay near zero: the model's GATA1 detector is a ReLU unit
    # that the ascent only needs to switch off, not push down; the note of #17 reports it.)
    _, r = logic["tasks"]["MAFK_not_SP1"]
    sp1 = _channels(logic, "SP1")
    assert r["ofiv"][sp1].min() < 0 and ofiv_ranks(r["ofiv"])[sp1].max() > len(r["ofiv"]) - TOP


def test_tasks_sharing_a_motif_are_most_similar_though_their_labels_are_not(logic):
    names = list(logic["tasks"])
    a, b = names.index("NFYB_and_GATA1"), names.index("NFYB_not_GATA1")
    assert logic["labels"][a, b] < 0.2  # by design: exclusive labels
    sim = task_similarity(np.stack([r["ofiv"] for _, r in logic["tasks"].values()]))
    others = [k for k in range(len(names)) if k not in (a, b)]
    assert sim[a, b] > 0.4 and sim[a, b] > max(sim[a, others].max(), sim[b, others].max()), sim.round(2)
    order = list(similarity_order(sim))
    assert abs(order.index(a) - order.index(b)) == 1

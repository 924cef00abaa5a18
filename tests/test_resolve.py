"""DeepResolve (deepmotif.interpret.resolve): the split of a model at the optimised feature map, and the
gradient ascent's importance, inconsistency and non-additivity on heads whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmotif.interpret.resolve import (feature_split, non_additive_channels, optimise_maps, overall_importance,
                                         resolve, similarity_order, task_similarity)
from deepmotif.models import build_model

FAST = {"starts": 12, "lr": 0.5, "l2": 0.05, "max_steps": 400, "anneal_after": 200, "seed": 3}


@pytest.mark.parametrize("arch, params", [
    ("cnn", {"filters": 6, "kernels": [5, 3, 3], "pool": 2, "tasks": 3}),
    ("cnn", {"filters": 6, "kernels": [5], "tasks": 2, "activation": "exp"}),
    ("cnnrnn", {"filters": 6, "kernel": 5, "conv_pool": 2, "hidden": 4, "tasks": 3}),
])
def test_split_reproduces_the_task_logits(arch, params):
    torch.manual_seed(0)
    model = build_model(arch, **params).eval()
    features, head = feature_split(model)
    X = torch.nn.functional.one_hot(torch.randint(0, 4, (5, 40)), 4).float().transpose(1, 2)
    with torch.no_grad():
        h = features(X)
        assert h.shape[1] == 6  # one channel per first-layer filter
        torch.testing.assert_close(head(h), model.task_logits(X))


def test_rnn_has_no_feature_map_to_resolve():
    with pytest.raises(ValueError, match="convolutional first layer"):
        feature_split(build_model("rnn", hidden=4))


def _ascent(head, channels=4, positions=5):
    maps, scores = optimise_maps(head, (channels, positions), 0, FAST)
    return overall_importance(maps.mean(axis=2), scores)


def test_additive_channels_are_consistent_and_weighted_by_their_effect():
    w = torch.tensor([2.0, 1.0, 0.0, -1.0])
    r = _ascent(lambda h: (h.mean(dim=2) @ w)[:, None])
    assert not r["non_additive"].any() and r["n_components"] == 1
    assert r["ofiv"][0] > r["ofiv"][1] > 0 and r["ofiv"][3] < 0  # the negative channel counts against
    assert abs(r["ofiv"][2]) < 0.05 * r["ofiv"][0]
    np.testing.assert_allclose(r["ofiv"] / r["ofiv"][0], (w / w[0]).numpy(), atol=0.02)  # optimum = w / 2 l2


def test_channels_that_stand_in_for_each_other_are_inconsistent():
    """Either channel 0 or 1 suffices (a max of the two): each start's optimum uses the one it started
    nearer, so both vary across starts and are flagged non-additive; channel 2 adds the same from every
    start."""
    r = _ascent(lambda h: (torch.maximum(h[:, 0].mean(1), h[:, 1].mean(1)) + 0.5 * h[:, 2].mean(1))[:, None])
    assert r["non_additive"].tolist() == [True, True, False, False] and r["n_components"] >= 2
    assert r["variance"][:2].min() > 10 * r["variance"][2:].max()
    assert min(r["ofiv"][:2]) > r["ofiv"][2] > 0  # counted where used: the positive optima only


def test_channels_needed_together_are_consistent():
    """Both channels needed (a min of the two): every optimum raises both alike."""
    r = _ascent(lambda h: torch.minimum(h[:, 0].mean(1), h[:, 1].mean(1))[:, None])
    assert not r["non_additive"].any()
    assert r["ofiv"][0] == pytest.approx(r["ofiv"][1], rel=0.05) and r["ofiv"][0] > 5 * abs(r["ofiv"][2:]).max()


def test_mixture_flags_only_the_high_variance_group():
    flags, k = non_additive_channels(np.r_[np.full(10, 0.01), 5.0, 5.2, 4.9], max_components=3)
    assert flags.tolist() == [False] * 10 + [True] * 3 and k >= 2
    assert non_additive_channels(np.full(8, 0.3))[0].sum() == 0  # all alike: one component, nothing flagged


def test_task_similarity_and_order():
    ofivs = np.array([[1, 2, 0, 0], [2, 4, 0.1, 0], [0, 0, 3, 1], [0, 0, 6, 2.2]], dtype=float)
    r = task_similarity(ofivs)
    assert r.shape == (4, 4) and np.allclose(np.diag(r), 1) and np.allclose(r, r.T)
    assert r[0, 1] > 0.99 and r[2, 3] > 0.99 and r[0, 2] < 0
    order = list(similarity_order(r))
    assert abs(order.index(0) - order.index(1)) == 1 and abs(order.index(2) - order.index(3)) == 1
    assert task_similarity(np.array([[1.0, 1, 1], [1, 2, 3]]))[0, 1] == 0  # a flat OFIV correlates with nothing


def test_resolve_a_multi_task_cnn_end_to_end():
    torch.manual_seed(1)
    model = build_model("cnn", filters=5, kernels=[5, 3], pool=2, tasks=2)
    X = np.eye(4, dtype=np.float32)[:, np.random.default_rng(0).integers(0, 4, (20, 30))].transpose(1, 0, 2)
    out = resolve(model, X, {**FAST, "max_steps": 50})
    assert len(out) == 2
    for r in out:
        assert r["fivs"].shape == (FAST["starts"], 5) and r["scores"].shape == (FAST["starts"],)
        assert r["ofiv"].shape == r["variance"].shape == r["non_additive"].shape == (5,)
    assert all(p.requires_grad is False for p in model.parameters())  # the weights are never optimised


def test_resolve_command_writes_both_tables(tmp_path, capsys):
    """`deepmotif resolve` on a multi-task CNN of a synthetic_multi set: one row per task × channel with the
    planted motifs as task names and the channel's filter match joined from the motif table; one row per
    pair of tasks with their label correlation."""
    import json

    import pandas as pd

    from deepmotif.cli import main
    from deepmotif.train import save_model

    (tmp_path / "tfs.tsv").write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\n"
                                      "K3\tsynthetic_multi\t\t\t\tCEBPB,MAFK,NFYB\n")
    c = ["--config", str(tmp_path / "config.yaml")]
    (tmp_path / "config.yaml").write_text(json.dumps({
        "tfs": str(tmp_path / "tfs.tsv"), "data": {"seq_len": 60, "synthetic": {"n_train": 200, "n_test": 50}},
        "deepresolve": {**FAST, "max_steps": 30}}))
    assert main(["prepare", *c, "--tf", "K3", "--out", str(tmp_path / "data.npz")]) == 0
    params = {"arch": "cnn", "filters": 4, "kernels": [7, 3], "pool": 2, "tasks": 3}
    save_model(tmp_path / "best.pt", build_model("cnn", **params), "cnn", params)
    pd.DataFrame({"motif_id": ["K3.cnn.filter2", "K3.cnn.filter3", "K3.cnn.saliency.m1"],
                  "status": ["matched", "no match", "matched"], "hit1_id": ["MA0466.4", "MA0496.4", "MA0502.3"],
                  "hit1_name": ["CEBPB", "MAFK", "NFYB"], "hit1_q": [1e-5, 0.2, 1e-4]}
                 ).to_csv(tmp_path / "motifs.tsv", sep="\t", index=False)
    fiv, sim = tmp_path / "fiv.tsv", tmp_path / "sim.tsv"
    assert main(["resolve", *c, "--tf", "K3", "--arch", "cnn", "--data", str(tmp_path / "data.npz"),
                 "--model", str(tmp_path / "best.pt"), "--motif-table", str(tmp_path / "motifs.tsv"),
                 "--fiv", str(fiv), "--similarity", str(sim), "--png", str(tmp_path / "dr.png")]) == 0
    assert (tmp_path / "dr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    f = pd.read_csv(fiv, sep="\t")
    assert list(f["task"].unique()) == ["CEBPB", "MAFK", "NFYB"] and len(f) == 3 * 4
    assert sorted(f.groupby("task")["rank"].apply(sorted).iloc[0]) == [1, 2, 3, 4]
    two, three = (f[(f["task"] == "CEBPB") & (f["channel"] == k)].iloc[0] for k in (2, 3))
    assert two["filter_id"] == "K3.cnn.filter2" and two["match_name"] == "CEBPB" and two["match_q"] == 1e-5
    assert three["filter_id"] == "K3.cnn.filter3" and pd.isna(three["match_id"])  # no significant hit
    s = pd.read_csv(sim, sep="\t")
    diagonal = s.loc[s["task_a"] == s["task_b"], ["ofiv_correlation", "label_correlation"]]
    assert len(s) == 9 and np.allclose(diagonal, 1)
    assert s["label_correlation"].between(-1, 1).all() and sorted(s["order_a"].unique()) == [0, 1, 2]
    assert "3 task(s)" in capsys.readouterr().err

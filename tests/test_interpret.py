"""Interpretation methods: temporal output scores, ISM, class optimisation, filter PWMs, attributions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from conftest import LinearModel

from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.interpret.attribution import (correct_gradients, corrected_saliency, deep_lift_shap,
                                             integrated_gradients)
from deepmotif.interpret.class_optimization import class_optimize, optimised_sequences
from deepmotif.interpret.filters import conv_activation_windows, filter_motifs
from deepmotif.interpret.ism import ism
from deepmotif.interpret.temporal import temporal_scores, temporal_scores_naive
from deepmotif.models import build_model
from deepmotif.motifs import best_windows

GATA = [2, 0, 3, 0]


pytestmark = pytest.mark.usefixtures("one_thread")


def _random_one_hot(n, length, seed):
    return codes_to_one_hot(np.random.default_rng(seed).integers(0, 4, (n, length)))


def _randomise_batchnorm(model, seed):
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=gen) - 0.5)


def _gata_cnn(activation="relu", bias=-2.0, extra_filters=0, seed=0):
    """One-layer CNN whose filter 0 scores GATA: weights one-hot(GATA), so an exact match gives 4 + bias."""
    torch.manual_seed(seed)
    model = build_model("cnn", filters=1 + extra_filters, kernels=[4], batchnorm=False, dropout=0.0,
                        activation=activation)
    with torch.no_grad():
        conv = model.features[0]
        conv.weight[0] = torch.tensor(np.eye(4, dtype=np.float32)[:, GATA])
        conv.bias[0] = bias
        model.linear.weight.zero_()
        model.linear.weight[0, 0] = 1.0
        model.linear.bias.zero_()
    return model.eval()


TEMPORAL_MODELS = {
    "cnn": [{"filters": 8, "kernels": [9, 5, 3]}, {"filters": 6, "kernels": [4, 3], "pool": 3, "activation": "exp"}],
    "rnn": [{"hidden": 5}, {"hidden": 4, "pool": "mean"}],
    "cnnrnn": [{"filters": 6, "kernel": 9, "hidden": 5, "conv_pool": 2},
               {"filters": 5, "kernel": 4, "hidden": 3, "conv_pool": 3, "pool": "mean"}],
}


@pytest.mark.parametrize("arch", ["cnn", "rnn", "cnnrnn"])
def test_temporal_fast_equals_naive(arch):
    for k, params in enumerate(TEMPORAL_MODELS[arch]):
        torch.manual_seed(k)
        model = build_model(arch, **params)
        _randomise_batchnorm(model, k)
        model.train()  # both functions must switch to eval mode (dropout off, batch-norm running stats)
        for length in (1, 2, 7, 20):
            X = _random_one_hot(5, length, seed=length)
            for direction in ("forward", "backward"):
                naive = temporal_scores_naive(model, X, direction)
                fast = temporal_scores(model, X, direction, batch_size=2)
                assert fast.shape == (5, length) and fast.dtype == np.float32
                assert np.abs(fast - naive).max() <= 1e-5, (arch, params, length, direction)
        X = _random_one_hot(3, 12, seed=3)
        whole = torch.sigmoid(model(torch.from_numpy(X))).detach().numpy()
        fwd, bwd = temporal_scores(model, X, "forward"), temporal_scores(model, X, "backward")
        assert np.allclose(fwd[:, -1], whole, atol=1e-6) and np.allclose(bwd[:, 0], whole, atol=1e-6)


def test_temporal_definitions_and_errors():
    model = build_model("rnn", hidden=3, layers=2).eval()  # two LSTM layers: falls back to the naive path
    X = _random_one_hot(2, 6, seed=1)
    fwd = temporal_scores(model, X, "forward")
    with torch.no_grad():
        assert np.allclose(fwd[:, 2], torch.sigmoid(model(torch.from_numpy(X[:, :, :3]))).numpy(), atol=1e-6)
        bwd = temporal_scores(model, X, "backward")
        assert np.allclose(bwd[:, 2], torch.sigmoid(model(torch.from_numpy(X[:, :, 2:]))).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="direction must be one of"):
        temporal_scores(model, X, "sideways")
    with pytest.raises(ValueError, match=r"X must be \(N, 4, L\)"):
        temporal_scores_naive(model, X[:, :3])


def test_ism_is_exact_on_a_linear_model():
    rng = np.random.default_rng(0)
    W = (rng.integers(-16, 17, (4, 30)) / 8).astype(np.float32)  # dyadic: every sum is exact in float32
    X = _random_one_hot(7, 30, seed=2)
    X[0, :, 5] = 0  # an N column: all four bases are mutations
    out = ism(LinearModel(W), X, batch_size=13)
    ref = np.argmax(X, axis=1)
    expected = W[None] - W[ref, np.arange(30)][:, None, :]
    expected[0, :, 5] = W[:, 5]
    assert out.shape == X.shape and np.array_equal(out, expected)
    assert np.all(out[X == 1] == 0)
    centred = ism(LinearModel(W), X, center=True)
    assert np.allclose(centred.sum(axis=1), 0, atol=1e-5)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        ism(LinearModel(W), X, batch_size=0)


@pytest.mark.parametrize("strands", ["single", "mean", "max"])
@pytest.mark.parametrize("settings", [{"filters": 6, "kernels": [9, 5, 3]}, {"filters": 5, "kernels": [4, 3], "activation": "exp"},
                                      {"filters": 4, "kernels": [7, 3], "batchnorm": False, "first_pool": 3},
                                      {"filters": 4, "kernels": [6], "pool": 3}])
def test_windowed_ism_of_a_cnn_equals_scoring_every_mutant_in_full(settings, strands):
    from deepmotif.interpret.ism import _full_ism

    torch.manual_seed(1)
    model = build_model("cnn", strands=strands, **settings).eval()
    _randomise_batchnorm(model, 2)
    X = _random_one_hot(9, 37, seed=3)
    X[1, :, 0] = X[2, :, 20] = X[3, :, 36] = 0  # N columns at both ends and inside: four mutants each
    fast = ism(model, X, batch_size=8)  # two sequences per pass: several chunks
    full = _full_ism(model, X, 1024, torch.device("cpu"))
    assert np.abs(full).max() > 1e-3
    np.testing.assert_allclose(fast, full, atol=1e-5)
    assert np.all(fast[X == 1] == 0)


@pytest.mark.parametrize("mode", ["onehot", "softmax", "l2"])
def test_class_optimisation_climbs_and_returns_a_pwm_per_restart(mode):
    model = _gata_cnn(activation="relu" if mode == "l2" else "exp", bias=0.0)
    pwms, trace = class_optimize(model, 12, n_restarts=4, steps=80, lr=0.1, l2=1e-2, mode=mode, seed=1)
    assert pwms.shape == (4, 4, 12) and np.allclose(pwms.sum(axis=1), 1) and np.all(pwms >= 0)
    assert trace.shape == (4, 81)
    assert np.all(np.diff(trace[:, -1]) <= 0)  # best restart first
    mean = trace.mean(axis=0)
    smooth = np.convolve(mean, np.ones(10) / 10, mode="valid")
    assert mean[-1] > mean[0] + 1.0
    assert np.all(np.diff(smooth) >= -1e-3 * np.abs(smooth[:-1]).max())
    sequences = optimised_sequences(pwms)
    assert sequences.shape == pwms.shape and np.all(sequences.sum(axis=1) == 1)
    if mode == "onehot":  # the trace scores sequences: each restart's final one is its PWM's consensus
        with torch.no_grad():
            np.testing.assert_allclose(trace[:, -1], model(torch.from_numpy(sequences)).numpy(), atol=1e-5)
    if mode != "l2":
        assert "GATA" in "".join("ACGT"[i] for i in pwms[0].argmax(axis=0))
    with pytest.raises(ValueError, match="mode must be one of"):
        class_optimize(model, 12, mode="adam")


def test_class_optimisation_motif_is_discovered_on_the_optimised_sequences():
    """The classopt motif is what the restarts' optimised sequences share where their ISM says the model
    looks: the GATA the model scores, trimmed of the filler around it."""
    from deepmotif.config import DEFAULTS, merge
    from deepmotif.interpret import compute_methods
    from deepmotif.motifs import extract_motifs

    class GataAndFiller(nn.Module):  # the GATA filter's global max, plus a weak linear preference everywhere
        def __init__(self):
            super().__init__()
            self.gata = _gata_cnn(activation="exp", bias=0.0)
            self.filler = LinearModel(0.05 * np.random.default_rng(0).standard_normal((4, 40)).astype(np.float32))

        def forward(self, x):
            return self.gata(x) + self.filler(x)

    model = GataAndFiller().eval()
    X = _random_one_hot(5, 40, seed=2)
    cfg = merge(DEFAULTS["interpret"], {"methods": ["classopt"], "classopt": {"steps": 60}})
    extra = compute_methods(model, "cnn", X, cfg)
    assert extra["classopt_optima"].shape == (32, 4, 40) and extra["classopt_ism"].shape == (32, 4, 40)
    np.testing.assert_array_equal(extra["classopt_optima"][0], np.eye(4)[:, extra["classopt_pwm"].argmax(axis=0)])
    motifs, _, info, cwms = extract_motifs("GATA1", "cnn", X, np.zeros_like(X), extra, DEFAULTS["motifs"])
    found = [m for m in motifs if m.id.startswith("GATA1.cnn.classopt.m")]
    assert found and found[0].id == "GATA1.cnn.classopt.m1"
    consensus = "".join("ACGT"[i] for i in found[0].pwm.argmax(axis=0))
    assert consensus in ("GATA", "TATC"), consensus  # the core only, on either strand
    row = info.set_index("motif_id").loc["GATA1.cnn.classopt.m1"]
    assert row["method"] == "classopt" and row["n_seqlets"] >= DEFAULTS["motifs"]["discover"]["min_seqlets"]
    assert 0 < row["support"] <= 1 and cwms[f"cwm_{motifs.index(found[0])}"].shape == found[0].pwm.shape


def _gata_data(n=200, length=30, seed=0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length))
    sites = rng.integers(0, length - 3, n)
    planted = np.arange(n) % 2 == 0
    for i in np.flatnonzero(planted):
        codes[i, sites[i]:sites[i] + 4] = GATA
    return codes, sites, planted


def test_filter_motifs_recover_a_gata_filter_and_activation_windows():
    codes, sites, planted = _gata_data()
    X = codes_to_one_hot(codes)
    model = _gata_cnn(extra_filters=3)
    motifs = filter_motifs(model, X, prefix="GATA1.cnn", batch_size=64)
    gata = {m.id: m for m in motifs}["GATA1.cnn.filter0"]
    assert "".join("ACGT"[i] for i in gata.pwm.argmax(axis=0)) == "GATA"
    text = ["".join("ACGT"[c] for c in row) for row in codes]
    occurrences = sum(sum(s[i:i + 4] == "GATA" for i in range(len(s) - 3)) for s in text)
    assert gata.nsites == occurrences and np.allclose(gata.pwm.max(axis=0), 1)
    assert all(m.pwm.shape == (4, 4) and m.nsites >= 10 for m in motifs)
    starts = conv_activation_windows(_gata_cnn(), X, width=8)
    ok = starts[planted] == np.clip(sites[planted] - 2, 0, 30 - 8)
    assert ok.mean() > 0.9  # a chance GATA earlier in the sequence can win the tie
    with pytest.raises(ValueError, match="RNN architecture reads the bases directly"):
        filter_motifs(build_model("rnn", hidden=4), X)
    cnnrnn = build_model("cnnrnn", filters=4, kernel=5, hidden=3)
    assert all(m.pwm.shape == (4, 5) for m in filter_motifs(cnnrnn, X, min_sites=1))


@pytest.mark.parametrize("method, share", [("ig-shuffle", 0.6), ("ig-zeros", 0.99), ("dls", 0.8)])
def test_attributions_concentrate_on_a_planted_motif(method, share):
    rng = np.random.default_rng(3)
    codes = rng.choice([1, 3], size=(12, 40))  # C/T background: no partial GATA match above threshold
    sites = rng.integers(0, 36, 12)
    for i, s in enumerate(sites):
        codes[i, s:s + 4] = GATA
    X = codes_to_one_hot(codes)
    model = _gata_cnn()  # logit = relu(GATA match - 2): 2 at the site, 0 without it
    if method == "ig-shuffle":
        attr = integrated_gradients(model, X, n_shuffles=3, n_steps=24, batch_size=5)
    elif method == "ig-zeros":
        attr = integrated_gradients(model, X, baseline="zeros", n_shuffles=1, n_steps=24, batch_size=5)
        assert np.allclose(attr.sum(axis=(1, 2)), 2.0, atol=0.02)  # completeness: f(x) - f(0)
    else:
        attr = deep_lift_shap(model, X, n_shuffles=5, batch_size=5)
    assert attr.shape == X.shape and attr.dtype == np.float32 and np.all(attr[X == 0] == 0)
    per_pos = attr.sum(axis=1)
    inside = np.array([per_pos[i, s:s + 4].sum() for i, s in enumerate(sites)])
    # shuffled references can hold a partial GATA elsewhere: IG gives those columns (small) negative scores
    assert np.all(inside >= share * np.abs(per_pos).sum(axis=1)), inside / np.abs(per_pos).sum(axis=1)
    assert np.array_equal(best_windows(attr, 4), sites)


def test_corrected_gradients_sum_to_zero_per_position():
    g = np.random.default_rng(0).normal(size=(3, 4, 10)).astype(np.float32)
    c = correct_gradients(g)
    assert np.allclose(c.sum(axis=1), 0, atol=1e-6) and np.allclose(c - g, (c - g)[:, :1])
    X = _random_one_hot(4, 20, seed=5)
    model = build_model("cnn", filters=4, kernels=[5])
    sal = corrected_saliency(model, X)
    assert sal.shape == X.shape and np.all(sal[X == 0] == 0) and np.all(sal >= 0)
    signed = corrected_saliency(model, X, absolute=False)
    assert np.allclose(np.abs(signed), sal)
    with pytest.raises(ValueError, match=r"grads must be \(N, 4, L\)"):
        correct_gradients(g[:, :2])


@pytest.mark.parametrize("arch, settings", [
    ("cnn", {"filters": 6, "kernels": [9, 5, 3]}),
    ("cnn", {"filters": 5, "kernels": [7, 3], "activation": "exp", "first_pool": 3, "strands": "max"}),
    ("cnn", {"filters": 4, "kernels": [5, 3], "batchnorm": False, "strands": "mean"}),
    ("cnnrnn", {"filters": 5, "kernel": 7, "conv_pool": 2, "hidden": 4}),
    ("rnn", {"hidden": 4})])
def test_deeplift_rules_equal_captums_deeplift(arch, settings):
    # deep_lift_shap applies Captum's rescale / max-pool rules itself; Captum's DeepLift is the reference
    from captum.attr import DeepLift

    from deepmotif.interpret.attribution import _attribute, _rescale_modules

    torch.manual_seed(4)
    model = build_model(arch, **settings).eval()
    _randomise_batchnorm(model, 5)
    assert _rescale_modules(model) is not None  # the fast path, not Captum, is what is compared
    X = _random_one_hot(6, 33, seed=6)
    fast = deep_lift_shap(model, X, n_shuffles=3, batch_size=4)
    captum = _attribute(DeepLift, model, X, "shuffle", 3, 1, None, 0, per_strand=True)
    assert np.abs(captum).max() > 1e-3
    np.testing.assert_allclose(fast, captum, rtol=0, atol=1e-5)
    # a nonlinear module the fast path does not know: Captum runs
    assert _rescale_modules(nn.Sequential(nn.Conv1d(4, 2, 3), nn.Sigmoid())) is None


@pytest.mark.parametrize("arch, settings, length", [
    ("cnn", {"filters": 6, "kernels": [9, 5, 3]}, 41), ("cnn", {"filters": 6, "kernels": [9, 5, 3]}, 40),
    ("cnn", {"filters": 5, "kernels": [5, 3], "first_pool": 3, "strands": "mean"}, 37),
    ("cnnrnn", {"filters": 5, "kernel": 7, "conv_pool": 2, "hidden": 4}, 33)])
def test_input_gradients_equal_autograds_through_the_model(arch, settings, length):
    # input_gradients runs width-2 max-pools as strided views (saliency.pool2): the gradients must not change
    from deepmotif.interpret.saliency import input_gradients

    torch.manual_seed(7)
    model = build_model(arch, **settings).eval()
    _randomise_batchnorm(model, 8)
    for m in model.modules():
        if isinstance(m, nn.MaxPool1d) and length == 40:
            m.ceil_mode = False  # an even length, and floor mode: every case of the strided views
    X = _random_one_hot(9, length, seed=9)
    x = torch.from_numpy(X).requires_grad_(True)
    expected = torch.autograd.grad(model(x).sum(), x)[0].numpy()
    got = input_gradients(model, X, batch_size=4)
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert all("forward" not in vars(m) for m in model.modules())  # the model is left as it was


@pytest.mark.parametrize("strands", ["single", "mean"])
def test_per_task_maps_explain_each_tasks_own_logit(strands):
    """interpret.per_task: each task's maps are those of its own logit, on the positives labelled for it
    that score highest on it; the model scores with any task again afterwards."""
    from deepmotif.interpret import task_maps
    from deepmotif.interpret.saliency import saliency
    from deepmotif.models import explaining_task

    torch.manual_seed(0)
    model = build_model("cnn", filters=6, kernels=[7, 3], pool=2, activation="exp", tasks=3, strands=strands).eval()
    X = _random_one_hot(40, 30, 1)
    labels = np.zeros((40, 3), np.float32)
    labels[:15, 0], labels[10:25, 1], labels[5:8, 2] = 1, 1, 1  # rows may carry several tasks
    x = torch.from_numpy(X)
    with torch.no_grad():
        logits, score = model.task_logits(x).numpy(), model(x).numpy()
        with explaining_task(model, 1):
            assert np.allclose(model(x).numpy(), logits[:, 1], atol=1e-5)
        assert np.allclose(model(x).numpy(), score)  # any-task score again
    out = task_maps(model, X, labels, {"methods": ["saliency", "ism"], "per_task": {"n_top": 10}})
    assert set(out) == {"task_index", "task_task", "task_logits", "task_saliency", "task_ism"}
    assert np.bincount(out["task_task"]).tolist() == [10, 10, 3]
    for k in range(3):
        rows = out["task_index"][out["task_task"] == k]
        pos = np.flatnonzero(labels[:, k])
        assert set(rows) <= set(pos) and len(rows) == min(10, len(pos))
        assert logits[rows, k].min() >= np.sort(logits[pos, k])[::-1][len(rows) - 1] - 1e-6  # the top ones
        with explaining_task(model, k):
            np.testing.assert_allclose(out["task_saliency"][out["task_task"] == k], saliency(model, X[rows]),
                                       atol=1e-5)
            np.testing.assert_allclose(out["task_ism"][out["task_task"] == k], ism(model, X[rows]), atol=1e-4)
    np.testing.assert_allclose(out["task_logits"], logits[out["task_index"], out["task_task"]], atol=1e-5)
    # ISM of a task is the change of that task's logit: one mutant checked in full
    i, j = out["task_index"][0], 4
    mut = X[i:i + 1].copy()
    b = int(np.argmax(mut[0, :, j]) + 1) % 4
    mut[0, :, j] = 0
    mut[0, b, j] = 1
    with torch.no_grad():
        change = model.task_logits(torch.from_numpy(mut))[0, 0].item() - logits[i, 0]
    assert out["task_ism"][0, b, j] == pytest.approx(change, abs=1e-4)
    with pytest.raises(ValueError, match="task must be in"):
        with explaining_task(model, 3):
            pass


def test_per_task_maps_reach_the_motifs_stage(tmp_path):
    """The interpret stage of a multi-task model with interpret.per_task stores each task's maps (rows of
    the split that carry the task's motif); the motifs stage discovers in them; a one-task model stores
    none."""
    from deepmotif.config import DEFAULTS
    from deepmotif.data.prepare import load_task_labels, prepare, save_dataset
    from deepmotif.interpret import write_interpretation
    from deepmotif.motifs import write_motifs
    from deepmotif.train import save_model

    words = ([2, 0, 3, 0, 0, 2, 1, 0], [1, 1, 0, 0, 3, 2, 2, 3], [0, 1, 2, 3, 3, 2, 1, 0])
    cfg = {"seq_len": 60, "seed": 2, "synthetic": {"n_train": 40, "n_test": 60, "min_motifs": 1, "max_motifs": 2}}
    data = tmp_path / "data.npz"
    save_dataset(data, prepare({"name": "K3", "source": "synthetic_multi"}, cfg, [np.eye(4)[:, w] for w in words]),
                 planted_names=np.array(["a", "b", "c"]))
    settings = {"n_top": 20, "methods": ["saliency", "ism"], "per_task": {"enabled": True, "n_top": 8}}
    labels = load_task_labels(data, "test")
    for tasks in (3, 1):
        params = {"filters": 4, "kernels": [5], "tasks": tasks}
        torch.manual_seed(0)
        save_model(tmp_path / "best.pt", build_model("cnn", **params), "cnn", params)
        write_interpretation(tmp_path / "best.pt", data, settings, tmp_path / "saliency.npz", tmp_path / "interpret.npz")
        with np.load(tmp_path / "interpret.npz") as z:
            if tasks == 1:
                assert not [k for k in z.files if k.startswith("task_")]
                continue
            assert z["task_saliency"].shape == (24, 4, 60) and z["task_ism"].shape == (24, 4, 60)
            assert labels[z["task_index"], z["task_task"]].all()  # every row carries the task it explains
        info = tmp_path / "info.tsv"
        write_motifs("K3", "cnn", data, tmp_path / "saliency.npz", tmp_path / "interpret.npz", DEFAULTS["motifs"],
                     tmp_path / "motifs.meme", info_out=info)
        assert {"saliency", "ism"} <= set(np.loadtxt(info, dtype=str, skiprows=1, usecols=3, ndmin=1))

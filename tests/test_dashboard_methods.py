"""The pieces that wire the dashboard's methods into the workflow: ISM importance, motif cores for the
per-window measure, batched window matching, the filters row of the match table, running the configured
methods on a model, and logo heights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.data.synthetic import markov_background, plant_motifs
from deepmotif.interpret import compute_methods
from deepmotif.match import SUMMARY_COLUMNS, summarise_filters
from deepmotif.methods import METHODS
from deepmotif.models import build_model
from deepmotif.motifs import (core_starts, cut_windows, informative_offset, ism_importance, window_match_fraction,
                              window_match_fractions, window_motif)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_ism_importance_is_the_observed_base_effect():
    X = codes_to_one_hot(np.array([[0, 1, 2, 3]]))
    ism = np.zeros((1, 4, 4), dtype=np.float32)
    ism[0, 1:, 0] = [-3, -3, -3]    # any mutation of the A at 0 costs 3
    ism[0, [0, 2, 3], 1] = [1, 1, 1]  # mutating the C at 1 helps: no evidence
    ism[0, [0, 1, 3], 2] = [-6, 0, 0]  # one of three mutations of the G at 2 costs 6: mean 2
    X[0, :, 3] = 0                  # an N at 3
    ism[0, :, 3] = -5
    imp = ism_importance(ism, X)
    assert imp.shape == X.shape and np.all(imp[X == 0] == 0)
    assert np.allclose(imp.sum(axis=1)[0], [3, 0, 2, 0])


def test_core_starts_cut_the_informative_core_on_both_strands():
    pwm = np.full((4, 10), 0.25)
    pwm[:, 6:9] = np.eye(4)[:, [0, 1, 2]]  # informative columns 6..8
    assert informative_offset(pwm, 3) == 6 and informative_offset(pwm, 12) == 0
    starts = core_starts(np.array([20, 20]), np.array([1, -1]), 10, pwm, 3)
    # + strand: columns 26..28; - strand (window used reverse-complemented): 20 + 10 - 6 - 3
    assert starts.tolist() == [26, 21]
    assert core_starts(np.array([20]), np.array([1]), 10, pwm, 14).tolist() == [18]  # wider: centred


def test_window_motif_counts_aligned_windows():
    codes = np.full((6, 30), 1)
    codes[:, 10:14] = [2, 0, 3, 0]
    X = codes_to_one_hot(codes)
    motif, aligned, strands = window_motif(X, np.full(6, 8), 8, motif_id="t.cnn.m", max_shift=1)
    assert motif.id == "t.cnn.m" and motif.nsites == 6 and motif.pwm.shape == (4, 8)
    assert np.all(strands == strands[0]) and np.all(aligned == aligned[0])


def test_window_match_fractions_in_one_call_equal_one_by_one():
    from deepmotif.jaspar import fetch_collection, find_motif

    targets = fetch_collection("JASPAR2024")
    own, _ = find_motif("JASPAR2024", name="GATA1")
    codes, starts, _ = plant_motifs(markov_background(40, 80, 3), own.pwm, 1.0, 4)
    X = codes_to_one_hot(codes)
    sets = {"sites": (X, starts), "elsewhere": (X[:20], (starts[:20] + 35) % (80 - own.width))}
    got = window_match_fractions(sets, own.width, own, targets)
    assert got["sites"] >= 0.4 and got["elsewhere"] <= 0.1, got
    one = {k: window_match_fraction(x, s, own.width, own, targets) for k, (x, s) in sets.items()}
    assert got == pytest.approx(one, abs=0.05)  # q-values' bootstrap stream differs between the two calls
    with pytest.raises(ValueError, match="is not among the"):
        window_match_fractions(sets, own.width, own, targets[:5])


def test_summarise_filters_keeps_one_row_per_model():
    rows = []
    for arch, qs in (("cnn", [0.5, 0.01, 0.2]), ("cnnrnn", [0.3])):
        rows.append({"tf": "T", "architecture": arch, "method": "saliency", "motif_id": f"T.{arch}.saliency",
                     "q_value": 0.001, "p_value": 1e-6, "recovered": True, "family_recovered": True,
                     "top_in_family": True})
        for f, q in enumerate(qs):
            rows.append({"tf": "T", "architecture": arch, "method": f"filter{f}", "motif_id": f"T.{arch}.filter{f}",
                         "q_value": q, "p_value": q / 100, "recovered": q < 0.05, "family_recovered": q < 0.05,
                         "top_in_family": q < 0.05})
    table = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    table["_significant"] = table["q_value"] <= 0.05
    out = summarise_filters(table)
    assert out["method"].tolist() == ["saliency", "filters", "saliency", "filters"]
    cnn = out.iloc[1]
    assert cnn["motif_id"] == "T.cnn.filter1" and cnn["n_filters"] == 3 and cnn["recovered"]
    assert cnn["filter_match_fraction"] == pytest.approx(1 / 3) and cnn["filter_family_fraction"] == pytest.approx(1 / 3)
    assert out.iloc[3]["filter_match_fraction"] == 0 and not out.iloc[3]["recovered"]


@pytest.mark.parametrize("arch", ["cnn", "rnn"])
def test_compute_methods_runs_the_configured_methods(arch):
    params = {"cnn": dict(filters=6, kernels=[5, 3]), "rnn": dict(hidden=3)}[arch]
    torch.manual_seed(0)
    model = build_model(arch, **params).eval()
    X = codes_to_one_hot(np.random.default_rng(0).integers(0, 4, (5, 24)))
    cfg = {"batch_size": 4, "methods": ["saliency", "temporal", "classopt", "ism", "convact", "filters"],
           "classopt": {"steps": 3, "restarts": 2}, "filters": {"threshold": 0.0, "min_sites": 1}}
    out = compute_methods(model, arch, X, cfg)
    conv = arch == "cnn"
    ran = {"temporal", "classopt", "ism"} | ({"convact", "filters"} if conv else set())
    expected = [m for m in METHODS if m in ran]  # in the registry's order
    assert out["methods"].tolist() == expected
    assert out["temporal_forward"].shape == out["temporal_backward"].shape == (5, 24)
    assert out["classopt_pwm"].shape == (4, 24) and np.allclose(out["classopt_pwm"].sum(axis=0), 1)
    assert out["ism"].shape == X.shape
    if conv:
        assert out["convact_start"].shape == (5,) and int(out["convact_kernel"]) == 5
        assert out["filters_pwm"].shape[1:] == (4, 5) and len(out["filters_index"]) == len(out["filters_nsites"])
    else:
        assert "convact_start" not in out and "filters_pwm" not in out
    with pytest.raises(ValueError, match="unknown interpret method"):
        compute_methods(model, arch, X, {"methods": ["saliency", "gradcam"]})


def test_information_heights_match_logomaker():
    import logomaker

    from deepmotif.report import information_heights

    rng = np.random.default_rng(1)
    pwm = rng.dirichlet(np.ones(4) * 0.5, size=9).T
    pwm[:, 0] = [1, 0, 0, 0]
    frame = pd.DataFrame(pwm.T, columns=list("ACGT"))
    want = logomaker.transform_matrix(frame, from_type="probability", to_type="information").to_numpy().T
    assert np.allclose(information_heights(pwm), want, atol=1e-6)
    assert np.allclose(cut_windows(np.ones((1, 4, 3)), np.array([2]), 2)[0, :, 1], 0)  # past the end: N


def test_the_schema_offers_exactly_the_registered_methods():
    """deepmotif.methods.REGISTRY is the one list of methods: the config schema's enum is held to it, and the
    motif views, their labels and the conv-only methods all come from it."""
    import yaml

    from deepmotif.methods import CONV_METHODS, MAP_VIEWS, MOTIF_VIEWS, REGISTRY, VIEW_LABELS

    root = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((root / "workflow" / "schemas" / "config.schema.yaml").read_text())
    enum = schema["properties"]["interpret"]["properties"]["methods"]["items"]["enum"]
    assert enum == list(METHODS)
    assert set(CONV_METHODS) == {"convact", "filters"}
    assert set(MAP_VIEWS) < set(MOTIF_VIEWS) < set(VIEW_LABELS)
    assert all(m.compute is not None for name, m in REGISTRY.items() if name != "saliency")

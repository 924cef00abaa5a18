"""Ground-truth benchmark: the multi-motif synthetic source's truth, the attribution AUROC, model variants, and a
small end-to-end run (prepare → train → interpret → motifs → match → groundtruth) through the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from torch import nn

from conftest import LinearModel

from deepmotif.cli import main
from deepmotif.config import DEFAULTS, check_architectures, check_sheet, merge, model_params, read_sheet
from deepmotif.data.prepare import prepare, save_dataset
from deepmotif.errors import InputError
from deepmotif.groundtruth import attribution_auroc, groundtruth_tables, position_scores
from deepmotif.interpret.ism import ism
from deepmotif.interpret.temporal import temporal_scores, temporal_scores_naive
from deepmotif.jaspar import find_motifs
from deepmotif.models import CNN, build_model

pytestmark = pytest.mark.usefixtures("one_thread")

RELEASE = "JASPAR2024"
KOO12 = "Arid3a,CEBPB,FOSL1,Gabpa,MAFK,MAX,MEF2A,NFYB,SP1,SRF,STAT1,YY1"


@pytest.fixture(scope="module")
def koo12():
    return [m for m, _ in find_motifs(RELEASE, None, KOO12)]


def test_multi_source_mask_marks_exactly_the_planted_bases(koo12):
    cfg = {"seq_len": 200, "valid_fraction": 0.1, "seed": 3,
           "synthetic": {"n_train": 120, "n_test": 60, "min_motifs": 1, "max_motifs": 3}}
    arrays = prepare({"name": "KOO12", "source": "synthetic_multi"}, cfg, [m.pwm for m in koo12])
    widths = np.array([m.width for m in koo12])
    counts = np.zeros(3, dtype=int)
    for split in ("train", "valid", "test"):
        codes, y, planted = arrays[f"{split}_codes"], arrays[f"{split}_y"], arrays[f"{split}_planted"]
        motif, start, strand = (arrays[f"{split}_sites_{k}"] for k in ("motif", "start", "strand"))
        assert planted.shape == codes.shape and planted.dtype == np.int8
        assert (planted[y == 0] == -1).all() and (motif[y == 0] == -1).all()
        expected = np.full(codes.shape, -1, dtype=np.int8)
        for i in np.flatnonzero(y == 1):
            sites = np.flatnonzero(motif[i] >= 0)
            counts[len(sites) - 1] += 1
            assert len(set(motif[i, sites])) == len(sites)  # distinct motifs per sequence
            for j in sites:
                m, s, w = motif[i, j], start[i, j], widths[motif[i, j]]
                assert (expected[i, s:s + w] == -1).all()  # no overlap
                expected[i, s:s + w] = m
                inst = codes[i, s:s + w] if strand[i, j] > 0 else 3 - codes[i, s:s + w][::-1]
                # every planted base is one the motif's PWM allows at that column (JASPAR matrices have zeros,
                # which background sequence hits within a few sites)
                assert (koo12[m].pwm[inst, np.arange(w)] > 0).all()
        assert np.array_equal(planted, expected)
    assert (counts > 0).all()  # 1, 2 and 3 motifs per positive all occur
    # same seed, same data; the single-motif source records the same kind of mask
    again = prepare({"name": "KOO12", "source": "synthetic_multi"}, cfg, [m.pwm for m in koo12])
    assert np.array_equal(again["test_codes"], arrays["test_codes"])
    single = prepare({"name": "NFYB", "source": "synthetic"}, cfg, koo12[7].pwm)
    for split in ("train", "test"):
        s, mask = single[f"{split}_motif_start"], single[f"{split}_planted"]
        assert np.array_equal((mask >= 0).sum(axis=1), np.where(s >= 0, koo12[7].width, 0))
        rows = np.flatnonzero(s >= 0)
        assert all((mask[r, s[r]:s[r] + koo12[7].width] == 0).all() for r in rows)


def _auroc_by_pairs(scores, truth):
    """AUROC as the probability that a planted base outscores a background one (ties count half)."""
    pos, neg = scores[truth][:, None], scores[~truth][None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


def test_attribution_auroc_matches_the_pairwise_definition_and_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    planted = np.full((6, 40), -1, dtype=np.int8)
    planted[0, 5:12] = 0
    planted[1, 30:38] = 3
    planted[1, 2:6] = 1
    planted[2, :] = 2  # all planted: no background, left out
    planted[4, 10:20] = 0
    scores = rng.normal(size=(6, 40)).round(1)  # ties
    scores[4, 10:20] += 5  # perfectly separated
    per = attribution_auroc(scores, planted)
    assert per["sequence"].tolist() == [0, 1, 4]  # rows 3 and 5 have no planted base, row 2 no background
    for _, row in per.iterrows():
        i = int(row["sequence"])
        truth = planted[i] >= 0
        assert row["auroc"] == pytest.approx(_auroc_by_pairs(scores[i], truth), abs=1e-12)
        assert row["auroc"] == pytest.approx(roc_auc_score(truth, scores[i]))
        assert row["planted_fraction"] == pytest.approx(truth.mean())
    assert np.allclose(per.loc[per["sequence"] == 4, ["auroc", "aupr"]].to_numpy(), 1.0)
    with pytest.raises(InputError, match="field 'planted'.*shape"):
        attribution_auroc(scores, planted[:, :39])
    with pytest.raises(InputError, match="field 'scores'"):
        attribution_auroc(scores[0], planted[0])


def test_ism_position_score_is_the_exact_observed_base_effect():
    # ism() itself is exact on a linear model (tests/test_interpret.py); its per-base score must then be
    # W[observed] - mean of W over the three other bases
    rng = np.random.default_rng(1)
    W = (rng.integers(-16, 17, (4, 25)) / 8).astype(np.float32)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (5, 25))].transpose(0, 2, 1)
    score = position_scores("ism", {"ism": ism(LinearModel(W), X)}, X)
    obs = X.argmax(axis=1)
    expected = W[obs, np.arange(25)] - (W.sum(axis=0)[None, :] - W[obs, np.arange(25)]) / 3
    assert np.allclose(score, expected, atol=1e-6)
    with pytest.raises(InputError, match="field 'ism'"):
        position_scores("ism", {"ism": np.zeros((5, 4, 24))}, X)


def test_named_variants_and_first_pool(tmp_path):
    cfg = merge(DEFAULTS, {"architectures": ["cnn", "cnn_exp", "cnn25"],
                           "models": {"cnn_exp": {"arch": "cnn", "activation": "exp"},
                                      "cnn25": {"arch": "cnn", "first_pool": 25, "kernels": [19, 5]}}})
    check_architectures(cfg)
    params = model_params(cfg, "cnn25")
    assert params["arch"] == "cnn" and params["first_pool"] == 25 and params["filters"] == 128
    assert "first_pool" not in model_params(cfg, "cnn")  # None defaults are left out: old checkpoints load
    model = build_model("cnn25", **params)
    pools = [m.kernel_size for m in model.features if isinstance(m, nn.MaxPool1d)]
    assert isinstance(model, CNN) and pools == [25]
    X = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (3, 200))].transpose(0, 2, 1)
    model.eval()
    assert np.allclose(temporal_scores(model, X, "backward"), temporal_scores_naive(model, X, "backward"),
                       atol=1e-5)
    bad = merge(cfg, {"architectures": ["cnn", "cnn_big"]})
    with pytest.raises(InputError, match="field 'architectures'.*cnn_big"):
        check_architectures(bad, "my.yaml")
    bad = merge(cfg, {"models": {"cnn_exp": {"arch": "cnn", "hidden": 4}}})
    bad["architectures"] = ["cnn_exp"]
    with pytest.raises(InputError, match="my.yaml, field 'models.cnn_exp.hidden'"):
        check_architectures(bad, "my.yaml")


def test_bad_input_names_file_line_and_field(tmp_path, koo12):
    sheet = tmp_path / "tfs.tsv"
    sheet.write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\n"
                     "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\n"
                     "KOO\tsynthetic_multi\t\t\t\tSP1,NOTAMOTIF,YY1\n")
    with pytest.raises(InputError, match=r"tfs.tsv, line 3, field 'jaspar_name'.*'NOTAMOTIF'"):
        check_sheet(read_sheet(sheet), sheet, RELEASE)
    sheet.write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\nX\tsynthetic\t\t\t\tSP1,YY1\n")
    with pytest.raises(InputError,
                       match=r"line 2, field 'jaspar_name'.*only for sources synthetic_multi and synthetic_logic"):
        check_sheet(read_sheet(sheet), sheet, RELEASE)
    # a mask that does not fit its sequences
    arrays = prepare({"name": "K", "source": "synthetic_multi"},
                     {"seq_len": 60, "seed": 1, "synthetic": {"n_train": 20, "n_test": 20}}, [m.pwm for m in koo12])
    arrays["test_planted"] = arrays["test_planted"][:, :59]
    data = tmp_path / "data.npz"
    save_dataset(data, arrays, tf="K", planted_ids=[m.id for m in koo12])
    with pytest.raises(InputError, match=r"data.npz, field 'test_planted'.*\(40, 59\).*\(40, 60\)"):
        groundtruth_tables("K", data, [], [], [], None, None, merge(DEFAULTS, {}))


def _train_multi_motif_cnn(tmp_path, name: str, motifs: str, n_train: int, n_test: int, epochs: int,
                           interpret: dict):
    """A synthetic_multi TF planting ``motifs`` (200 bp, 1-3 per positive) and a small exponential-activation
    CNN trained on it through the command line; returns (config arguments, model dir, data file, JASPAR
    file to write)."""
    sheet = tmp_path / "tfs.tsv"
    sheet.write_text(f"name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\n{name}\tsynthetic_multi\t\t\t\t{motifs}\n")
    cfg = {"tfs": str(sheet), "jaspar": {"release": RELEASE},
           "data": {"seq_len": 200, "seed": 1, "synthetic": {"n_train": n_train, "n_test": n_test}},
           "architectures": ["cnn_exp"],
           "models": {"cnn_exp": {"arch": "cnn", "filters": 32, "kernels": [19, 5], "pool": 4, "dropout": 0.2,
                                  "activation": "exp"}},
           "train": {"epochs": epochs, "patience": 4, "lr": 0.005, "device": "cpu"},
           "interpret": interpret, "groundtruth": {"enabled": True, "e_value": 0.1}}
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps(cfg))
    run, data = tmp_path / name / "cnn_exp", tmp_path / name / "data.npz"
    c = ["--config", str(config)]
    assert main(["prepare", *c, "--tf", name, "--out", str(data)]) == 0
    assert main(["train", *c, "--data", str(data), "--arch", "cnn_exp", "--out-dir", str(run), "--quiet"]) == 0
    return c, run, data, tmp_path / "jaspar.meme"


def test_small_groundtruth_run_through_the_command_line(tmp_path, capsys):
    """KOO12-like data (the 12 motifs, 200 bp, 1-3 per positive), a small CNN trained a few epochs, then the
    workflow's commands: saliency's attribution AUROC on planted bases must be well above chance."""
    c, run, data, jaspar = _train_multi_motif_cnn(
        tmp_path, "KOO", KOO12, n_train=3000, n_test=150, epochs=12,
        interpret={"n_top": 60, "methods": ["saliency", "ism", "filters"], "filters": {"min_sites": 5}})
    assert json.loads((run / "metrics.json").read_text())["test_auroc"] > 0.7  # 1-3 motifs vs shuffles: a hard task
    assert main(["interpret", *c, "--data", str(data), "--model", str(run / "best.pt"),
                 "--out", str(run / "saliency.npz"), "--methods-out", str(run / "interpret.npz")]) == 0
    assert main(["filter-motifs", "--tf", "KOO", "--arch", "cnn_exp", "--interpret", str(run / "interpret.npz"),
                 "--out", str(run / "filters.meme")]) == 0
    assert main(["motifs", *c, "--tf", "KOO", "--arch", "cnn_exp", "--data", str(data),
                 "--saliency", str(run / "saliency.npz"), "--interpret", str(run / "interpret.npz"),
                 "--out", str(run / "motifs.meme"), "--windows", str(run / "windows.npz"),
                 "--info", str(run / "info.tsv")]) == 0
    assert main(["jaspar", "--release", RELEASE, "--out", str(jaspar)]) == 0
    assert main(["match", *c, "--motifs", str(run / "motifs.meme"), str(run / "filters.meme"),
                 "--windows", str(run / "windows.npz"), "--info", str(run / "info.tsv"), "--data", str(data),
                 "--jaspar", str(jaspar),
                 "--hits", str(tmp_path / "hits.tsv"), "--motif-table", str(tmp_path / "motifs.tsv"),
                 "--out", str(tmp_path / "matches.tsv")]) == 0
    out = {k: tmp_path / f"gt_{k}.tsv" for k in ("attribution", "filters", "recovery")}
    assert main(["groundtruth", *c, "--tf", "KOO", "--data", str(data), "--saliency", str(run / "saliency.npz"),
                 "--interpret", str(run / "interpret.npz"), "--filters", str(run / "filters.meme"),
                 "--matches", str(tmp_path / "motifs.tsv"), "--jaspar", str(jaspar),
                 "--attribution", str(out["attribution"]), "--filter-table", str(out["filters"]),
                 "--recovery", str(out["recovery"])]) == 0
    attribution = pd.read_csv(out["attribution"], sep="\t").set_index("method")
    assert set(attribution.index) == {"saliency", "saliency_corrected", "ism"}
    assert (attribution["architecture"] == "cnn_exp").all() and (attribution["n_sequences"] == 60).all()
    assert attribution.loc["saliency", "auroc"] > 0.7, attribution
    assert (attribution["aupr"] > attribution["planted_fraction"]).all()
    filters = pd.read_csv(out["filters"], sep="\t", keep_default_na=False)
    assert len(filters) == 1 and filters.loc[0, "n_planted"] == 12 and filters.loc[0, "n_filters"] > 0
    assert 0 <= filters.loc[0, "filter_match_fraction"] <= filters.loc[0, "filter_family_fraction"] <= 1
    recovery = pd.read_csv(out["recovery"], sep="\t", keep_default_na=False)
    assert {"saliency", "ism", "filters"} <= set(recovery["method"])
    assert recovery["n_planted"].eq(12).all()
    # a map of another length: one error line naming the file and field, exit status 2
    with np.load(run / "saliency.npz") as z:
        short = {k: z[k] for k in z.files}
    short["saliency"] = short["saliency"][:, :, :150]
    np.savez(tmp_path / "short.npz", **short)
    capsys.readouterr()
    assert main(["groundtruth", *c, "--tf", "KOO", "--data", str(data), "--saliency", str(tmp_path / "short.npz"),
                 "--matches", str(tmp_path / "motifs.tsv"), "--jaspar", str(jaspar),
                 "--attribution", str(out["attribution"]), "--filter-table", str(out["filters"]),
                 "--recovery", str(out["recovery"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "short.npz, field 'saliency'" in err[0] and "length 150" in err[0], err


FOUR = "CEBPB,Gabpa,MAFK,NFYB"


def test_four_planted_motifs_are_found_as_distinct_motifs(tmp_path):
    """The small KOO12: four planted JASPAR motifs (1-3 per positive, 200 bp), an exponential-activation CNN,
    then motifs → match → groundtruth through the command line: all four come back as distinct discovered
    motifs, each with the planted matrix among its top 3 JASPAR hits (q < 0.05)."""
    c, run, data, jaspar = _train_multi_motif_cnn(tmp_path, "K4", FOUR, n_train=4000, n_test=400, epochs=10,
                                                  interpret={"n_top": 300, "methods": ["saliency", "ism"]})
    assert main(["interpret", *c, "--data", str(data), "--model", str(run / "best.pt"),
                 "--out", str(run / "saliency.npz"), "--methods-out", str(run / "interpret.npz")]) == 0
    assert main(["motifs", *c, "--tf", "K4", "--arch", "cnn_exp", "--data", str(data),
                 "--saliency", str(run / "saliency.npz"), "--interpret", str(run / "interpret.npz"),
                 "--out", str(run / "motifs.meme"), "--info", str(run / "info.tsv")]) == 0
    assert main(["jaspar", "--release", RELEASE, "--out", str(jaspar)]) == 0
    assert main(["match", *c, "--motifs", str(run / "motifs.meme"), "--info", str(run / "info.tsv"),
                 "--jaspar", str(jaspar), "--hits", str(tmp_path / "hits.tsv"),
                 "--motif-table", str(tmp_path / "motifs.tsv"), "--out", str(tmp_path / "matches.tsv")]) == 0
    out = {k: tmp_path / f"gt_{k}.tsv" for k in ("attribution", "filters", "recovery")}
    assert main(["groundtruth", *c, "--tf", "K4", "--data", str(data), "--saliency", str(run / "saliency.npz"),
                 "--interpret", str(run / "interpret.npz"), "--matches", str(tmp_path / "motifs.tsv"),
                 "--jaspar", str(jaspar), "--attribution", str(out["attribution"]),
                 "--filter-table", str(out["filters"]), "--recovery", str(out["recovery"])]) == 0
    recovery = pd.read_csv(out["recovery"], sep="\t", keep_default_na=False).set_index("method")
    motifs = pd.read_csv(tmp_path / "motifs.tsv", sep="\t")
    assert recovery["n_planted"].eq(4).all()
    assert recovery["n_found"].max() == 4, (recovery.to_string(), motifs[["motif_id", "n_seqlets", "consensus", "hit1_name",
                                                                    "hit1_q", "hit2_name"]].to_string())
    assert sorted(recovery.loc[recovery["n_found"].idxmax(), "found"].upper().split(",")) == sorted(FOUR.upper().split(","))

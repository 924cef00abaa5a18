"""Model comparison statistics against scipy, size selection on validation AUROC (never test), and the clear
errors for bad input (missing columns, unknown size names)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from deepmotif.cli import main
from deepmotif.compare import (compare_models, paired_tests, read_performance_table, select_size,
                               write_performance_figure, write_selected_size)
from deepmotif.config import DEFAULTS, check_sizes, merge, sized_model_params
from deepmotif.errors import InputError
from deepmotif.models import build_model
from deepmotif.train import load_model, save_model

pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = Path(__file__).resolve().parents[1]
MODELS = ["cnn", "rnn", "cnnrnn", "pwm"]


def _table(n_tfs: int = 7, seed: int = 3) -> pd.DataFrame:
    """A performance table as auroc_table writes it, with made-up numbers: cnn a bit above rnn, pwm below."""
    rng = np.random.default_rng(seed)
    base = {"cnn": 0.9, "rnn": 0.87, "cnnrnn": 0.89, "pwm": 0.75}
    rows = []
    for i in range(n_tfs):
        for arch, mean in base.items():
            auroc = float(np.clip(mean + rng.normal(0, 0.03), 0, 1))
            rows.append({"tf": f"TF{i}", "architecture": arch, "test_auroc": round(auroc, 4),
                         "test_aupr": round(float(np.clip(auroc - 0.05 + rng.normal(0, 0.02), 0, 1)), 4),
                         "valid_auroc": None if arch == "pwm" else round(auroc + 0.01, 4)})
    return pd.DataFrame(rows)


def test_comparison_matches_scipy(tmp_path):
    table = _table()
    path = tmp_path / "auroc.tsv"
    table.to_csv(path, sep="\t", index=False)
    out = compare_models(read_performance_table(path), MODELS, path=path)
    assert len(out) == 2 * 6
    assert list(zip(out["model_a"], out["model_b"]))[:6] == list(combinations(MODELS, 2))
    for metric, col in (("auroc", "test_auroc"), ("aupr", "test_aupr")):
        wide = table.pivot(index="tf", columns="architecture", values=col)
        for a, b in combinations(MODELS, 2):
            row = out[(out["metric"] == metric) & (out["model_a"] == a) & (out["model_b"] == b)].iloc[0]
            t = stats.ttest_rel(wide[a], wide[b])
            w = stats.wilcoxon(wide[a], wide[b])
            assert row["n_tfs"] == 7
            assert row["mean_a"] == pytest.approx(wide[a].mean()) and row["mean_b"] == pytest.approx(wide[b].mean())
            assert row["mean_diff"] == pytest.approx((wide[a] - wide[b]).mean())
            assert row["t_statistic"] == pytest.approx(t.statistic) and row["t_pvalue"] == pytest.approx(t.pvalue)
            assert row["wilcoxon_statistic"] == pytest.approx(w.statistic)
            assert row["wilcoxon_pvalue"] == pytest.approx(w.pvalue)
            assert row["better"] == (a if wide[a].mean() > wide[b].mean() else b)
    # every CNN beats its PWM baseline here: the sign test side of Wilcoxon is exact, 2 / 2**7
    cnn_pwm = out[(out["metric"] == "auroc") & (out["model_a"] == "cnn") & (out["model_b"] == "pwm")].iloc[0]
    assert cnn_pwm["wilcoxon_pvalue"] == pytest.approx(2 / 2 ** 7) and cnn_pwm["better"] == "cnn"


def test_pairs_use_only_tfs_both_models_have_and_degenerate_cases_are_noted():
    table = _table(n_tfs=4)
    table = table[~((table["architecture"] == "rnn") & (table["tf"] != "TF0"))]  # rnn on one TF only
    same = table[table["architecture"] == "cnn"].assign(architecture="cnn_copy")
    out = compare_models(pd.concat([table, same]), ["cnn", "rnn", "cnn_copy", "pwm"])
    row = out[(out["model_a"] == "cnn") & (out["model_b"] == "rnn")].iloc[0]
    assert row["n_tfs"] == 1 and np.isnan(row["t_pvalue"]) and np.isnan(row["wilcoxon_pvalue"])
    assert "at least 2" in row["note"]
    row = out[(out["model_a"] == "cnn") & (out["model_b"] == "cnn_copy")].iloc[0]
    assert row["n_tfs"] == 4 and np.isnan(row["t_pvalue"]) and np.isnan(row["wilcoxon_pvalue"])
    assert row["better"] == "tie" and "all differences are zero" in row["note"]
    row = out[(out["model_a"] == "cnn") & (out["model_b"] == "pwm")].iloc[0]
    assert row["wilcoxon_pvalue"] == pytest.approx(stats.wilcoxon(
        *(table[table["architecture"] == m].sort_values("tf")["test_auroc"] for m in ("cnn", "pwm"))).pvalue)
    assert "cannot fall below 0.05" in row["note"]  # 4 TFs: the smallest exact p is 2 / 16
    res = paired_tests([0.9, 0.8, 0.7], [0.8, 0.7, 0.6])
    assert "differences all equal" in res["note"]


@pytest.mark.parametrize("drop, field", [("test_aupr", "test_aupr"), ("architecture", "architecture")])
def test_missing_column_names_file_and_field(tmp_path, capsys, drop, field):
    path = tmp_path / "auroc.tsv"
    _table(3).drop(columns=drop).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError) as err:
        read_performance_table(path)
    assert str(path) in str(err.value) and f"field '{field}'" in str(err.value) and "missing column" in str(err.value)
    assert main(["compare", "--auroc", str(path), "--out", str(tmp_path / "out.tsv")]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith("deepmotif compare: error:") and str(path) in line
    assert not (tmp_path / "out.tsv").exists()


def test_bad_values_and_unknown_models_name_file_line_and_field(tmp_path):
    table = _table(3)
    table.loc[5, "test_auroc"] = 1.7
    path = tmp_path / "auroc.tsv"
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"auroc\.tsv, line 7, field 'test_auroc': needs a number in \[0, 1\]"):
        read_performance_table(path)
    _table(3).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"field 'architecture': architecture\(s\) lstm not in the table"):
        compare_models(read_performance_table(path), ["cnn", "lstm"], path=path)


def test_tfs_without_a_known_motif_are_left_out_of_their_pairs_and_counted(tmp_path):
    """A TF with no known motif has a PWM row with empty metrics and the note "no known motif" (as
    deepmotif evaluate writes it): accepted, left out of the pairs with pwm, said in their note; an empty
    metric without that note is still an error naming line and field."""
    table = _table(8).assign(note="")
    unknown = (table["architecture"] == "pwm") & table["tf"].isin(["TF1", "TF4"])
    table.loc[unknown, ["test_auroc", "test_aupr"]] = np.nan
    table.loc[unknown, "note"] = "no known motif"
    path = tmp_path / "auroc.tsv"
    table.to_csv(path, sep="\t", index=False)
    out = compare_models(read_performance_table(path), MODELS, path=path)
    with_pwm = out[out["model_b"] == "pwm"]
    assert (with_pwm["n_tfs"] == 6).all() and with_pwm["note"].str.startswith("2 TF(s) without a value left out").all()
    others = out[out["model_b"] != "pwm"]
    assert (others["n_tfs"] == 8).all() and not others["note"].str.contains("left out").any()
    kept = table[~table["tf"].isin(["TF1", "TF4"])]
    wide = kept.pivot(index="tf", columns="architecture", values="test_auroc")
    row = out[(out["metric"] == "auroc") & (out["model_a"] == "cnn") & (out["model_b"] == "pwm")].iloc[0]
    assert row["wilcoxon_pvalue"] == pytest.approx(stats.wilcoxon(wide["cnn"], wide["pwm"]).pvalue)
    write_performance_figure(read_performance_table(path), tmp_path / "a.png")
    table.loc[unknown, "note"] = ""
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"line \d+, field 'test_auroc': needs a number in \[0, 1\]"):
        read_performance_table(path)


def test_compare_cli_writes_table_and_figures(tmp_path):
    path = tmp_path / "auroc.tsv"
    _table(5).to_csv(path, sep="\t", index=False)
    out, png, svg = tmp_path / "cmp.tsv", tmp_path / "fig" / "a.png", tmp_path / "fig" / "a.svg"
    assert main(["compare", "--auroc", str(path), "--models", *MODELS, "--out", str(out), "--png", str(png),
                 "--svg", str(svg)]) == 0
    table = pd.read_csv(out, sep="\t")
    assert set(zip(table["model_a"], table["model_b"])) == set(combinations(MODELS, 2))
    assert set(table["metric"]) == {"auroc", "aupr"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in svg.read_text()[:1000]


# ------------------------------------------------------------------------------------------ sizes

def _size_run(folder: Path, size: str, scale: float, valid: float, test: float, filters: int) -> Path:
    """A trained size as the train rule leaves it: a real checkpoint and a metrics.json (numbers given)."""
    folder.mkdir(parents=True)
    params = {"filters": filters, "kernels": [5], "pool": 2, "dropout": 0.0}
    save_model(folder / "best.pt", build_model("cnn", **params), "cnn", params)
    metrics = {"architecture": "cnn", "params": params, "size": size, "scale": scale, "valid_auroc": valid,
               "test_auroc": test, "valid_aupr": valid - 0.02, "test_aupr": test - 0.02}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder / "metrics.json"


def test_select_size_uses_validation_not_test(tmp_path):
    runs = [_size_run(tmp_path / "sizes" / "small", "small", 0.5, valid=0.80, test=0.95, filters=2),
            _size_run(tmp_path / "sizes" / "medium", "medium", 1.0, valid=0.91, test=0.70, filters=4),
            _size_run(tmp_path / "sizes" / "large", "large", 2.0, valid=0.85, test=0.99, filters=8)]
    best, records = select_size(runs)
    assert records[best]["size"] == "medium"  # test AUROC would have picked large
    m = write_selected_size(runs, tmp_path / "best.pt", tmp_path / "metrics.json")
    assert (tmp_path / "best.pt").read_bytes() == (tmp_path / "sizes" / "medium" / "best.pt").read_bytes()
    model, arch = load_model(tmp_path / "best.pt")
    assert arch == "cnn" and model.features[0].out_channels == 4
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(m))
    assert saved["size"] == "medium" and saved["test_auroc"] == 0.70 and saved["sizes"]["chosen"] == "medium"
    assert {c["size"]: (c["valid_auroc"], c["test_auroc"]) for c in saved["sizes"]["candidates"]} == {
        "small": (0.80, 0.95), "medium": (0.91, 0.70), "large": (0.85, 0.99)}
    assert not list(tmp_path.glob(".best.pt.*")) and not list(tmp_path.glob(".metrics.json.*"))


def test_select_size_of_multitask_models_uses_their_mean_task_auroc(tmp_path):
    runs = [_size_run(tmp_path / "small", "small", 0.5, valid=0.90, test=0.9, filters=2),
            _size_run(tmp_path / "medium", "medium", 1.0, valid=0.85, test=0.9, filters=4)]
    for run, task in zip(runs, (0.70, 0.80)):
        m = json.loads(run.read_text())
        run.write_text(json.dumps({**m, "selected_on": "valid_task_auroc", "valid_task_auroc": task}))
    best, records = select_size(runs)
    assert records[best]["size"] == "medium"  # the score's AUROC would have picked small
    assert write_selected_size(runs, tmp_path / "best.pt", tmp_path / "m.json")["sizes"]["selected_on"] == \
        "valid_task_auroc"
    plain = _size_run(tmp_path / "large", "large", 2.0, valid=0.99, test=0.9, filters=8)
    with pytest.raises(InputError, match="selected on 'valid_auroc'"):
        select_size([*runs, plain])


def test_select_size_ties_go_to_the_smaller_model(tmp_path):
    runs = [_size_run(tmp_path / "large", "large", 2.0, valid=0.9, test=0.9, filters=8),
            _size_run(tmp_path / "small", "small", 0.5, valid=0.9, test=0.8, filters=2)]
    best, records = select_size(runs)
    assert records[best]["size"] == "small"


def test_select_size_errors_name_file_and_field(tmp_path, capsys):
    ok = _size_run(tmp_path / "a", "small", 0.5, valid=0.8, test=0.8, filters=2)
    bad = _size_run(tmp_path / "b", "large", 2.0, valid=0.8, test=0.8, filters=8)
    m = json.loads(bad.read_text())
    del m["valid_auroc"]
    bad.write_text(json.dumps(m))
    with pytest.raises(InputError, match=r"b/metrics\.json, field 'valid_auroc': needs a finite number"):
        select_size([ok, bad])
    assert main(["select-size", "--metrics", str(ok), str(bad), "--out-model", str(tmp_path / "x.pt"),
                 "--out-metrics", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "deepmotif select-size: error:" in err and str(bad) in err and "valid_auroc" in err
    assert not (tmp_path / "x.pt").exists() and not (tmp_path / "x.json").exists()


def test_sizes_scale_filters_and_hidden(tmp_path):
    cfg = merge(DEFAULTS, {"models": {"cnnrnn": {"filters": 10, "hidden": 3}, "sizes": {"tiny": 0.1}}})
    given = {k: v for k, v in cfg["models"]["cnnrnn"].items() if v is not None}  # None: the model's default
    assert sized_model_params(cfg, "cnnrnn", "small") == {**given, "filters": 5, "hidden": 2}
    assert sized_model_params(cfg, "cnnrnn", "large")["filters"] == 20
    assert sized_model_params(cfg, "cnnrnn", "tiny")["hidden"] == 1  # rounded, at least 1
    assert sized_model_params(cfg, "cnnrnn", None) == given
    with pytest.raises(InputError, match=r"cfg\.yaml, field 'models\.sizes': unknown model size 'huge'"):
        sized_model_params(cfg, "cnn", "huge", path="cfg.yaml")


def test_unknown_size_name_names_config_file_line_and_field(tmp_path, capsys):
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text("tfs: tfs.tsv\ntrain:\n  epochs: 1\n  sizes: [medium, huge]\n")
    cfg = merge(DEFAULTS, {"train": {"sizes": ["medium", "huge"]}})
    with pytest.raises(InputError) as err:
        check_sizes(cfg, [ROOT / "config" / "config.yaml", cfg_file])
    assert str(err.value).startswith(f"{cfg_file}, line 4, field 'train.sizes': unknown model size(s) 'huge'")
    assert main(["train", "--config", str(cfg_file), "--data", str(tmp_path / "none.npz"), "--arch", "cnn",
                 "--size", "huge", "--out-dir", str(tmp_path / "out")]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("deepmotif train: error:") and str(cfg_file) in line and "huge" in line


def _tiny_data(path: Path, n: int = 160, length: int = 24, seed: int = 0) -> None:
    """A tiny learnable data set as the prepare stage saves it: positives carry GATAA at a random place."""
    from deepmotif.data.prepare import save_dataset

    rng = np.random.default_rng(seed)
    arrays = {}
    for split in ("train", "valid", "test"):
        codes = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
        y = np.tile([1, 0], n // 2)
        for i in np.flatnonzero(y):
            at = rng.integers(0, length - 5)
            codes[i, at:at + 5] = [2, 0, 3, 0, 0]
        arrays[f"{split}_codes"], arrays[f"{split}_y"] = codes, y.astype(np.int8)
    save_dataset(path, arrays, tf="TINY", source="synthetic")


def test_train_sizes_then_select_from_the_command_line(tmp_path):
    """Real training of two sizes (one epoch each), then select-size picks the higher validation AUROC."""
    data = tmp_path / "data.npz"
    _tiny_data(data)
    settings = json.dumps({"models": {"cnn": {"filters": 4, "kernels": [5], "dropout": 0.0}},
                           "train": {"epochs": 1, "batch_size": 32, "device": "cpu"}})
    metrics = []
    for size in ("small", "large"):
        out = tmp_path / "cnn" / "sizes" / size
        assert main(["train", "--set", settings, "--data", str(data), "--arch", "cnn", "--size", size,
                     "--out-dir", str(out), "--quiet"]) == 0
        metrics.append(out / "metrics.json")
        assert (out / "last.pt").is_file()  # resumable per size
    small, large = (json.loads(m.read_text()) for m in metrics)
    assert small["params"]["filters"] == 2 and large["params"]["filters"] == 8
    assert (small["size"], small["scale"], large["size"], large["scale"]) == ("small", 0.5, "large", 2.0)
    assert main(["select-size", "--metrics", *map(str, metrics), "--out-model", str(tmp_path / "cnn" / "best.pt"),
                 "--out-metrics", str(tmp_path / "cnn" / "metrics.json")]) == 0
    chosen = json.loads((tmp_path / "cnn" / "metrics.json").read_text())
    want = "large" if large["valid_auroc"] > small["valid_auroc"] else "small"
    assert chosen["size"] == want and chosen["valid_auroc"] == max(small["valid_auroc"], large["valid_auroc"])
    assert (tmp_path / "cnn" / "best.pt").read_bytes() == (tmp_path / "cnn" / "sizes" / want / "best.pt").read_bytes()
    # the report's performance table records the chosen size
    from deepmotif.report import auroc_table

    assert auroc_table([tmp_path / "cnn" / "metrics.json"])["size"].tolist() == [want]


def test_workflow_stops_on_an_unknown_size_before_any_job(tmp_path):
    (tmp_path / "tfs.tsv").write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
                                      "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n")
    (tmp_path / "config.yaml").write_text("tfs: tfs.tsv\ntrain:\n  sizes: [small, huge]\n")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
                           "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml"), "-n",
                           "--cores", "1"], env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "config.yaml, line 3, field 'train.sizes'" in out and "huge" in out, out[-2000:]
    assert not (tmp_path / "results").exists()

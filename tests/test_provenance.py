"""Every output a subcommand writes gets a provenance record beside it: command line, configuration, seeds,
inputs and software versions."""

from __future__ import annotations

import json
import subprocess
import sys

from deepmotif.config import DEFAULTS, validate_config
from deepmotif.provenance import git_commit, seeds

HEAD = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"


def test_prepare_and_train_outputs_have_provenance(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "X\tsynthetic\t\t\tMA0035.5\t\tK562\n")
    settings = {"tfs": "tfs.tsv", "data": {"seed": 7, "synthetic": {"n_train": 200, "n_test": 100}},
                "models": {"cnn": {"filters": 4}}, "train": {"epochs": 1, "seed": 3}}
    for args in (["prepare", "--tf", "X", "--out", "out/data.npz"],
                 ["train", "--data", "out/data.npz", "--arch", "cnn", "--out-dir", "out/cnn", "--quiet"]):
        proc = subprocess.run([sys.executable, "-m", "deepmotif.cli", *args, "--set", json.dumps(settings)],
                              cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "out" / "provenance" / "data.npz.json").read_text())
    assert data["command"] == "deepmotif prepare" and data["outputs"] == ["out/data.npz"]
    assert data["seeds"]["data.seed"] == 7 and data["config"]["data"]["synthetic"]["n_train"] == 200
    assert data["versions"]["torch"] and data["versions"]["deepmotif"] and data["versions"]["python"]
    assert [i["path"] for i in data["inputs"]] == []  # a synthetic TF reads no file

    model = json.loads((tmp_path / "out" / "cnn" / "provenance" / "best.pt.json").read_text())
    assert model["seeds"]["train.seed"] == 3 and model["argv"][0] == "train"
    assert {"out/cnn/best.pt", "out/cnn/metrics.json", "out/cnn/last.pt"} <= set(model["outputs"])
    (inp,) = model["inputs"]
    assert inp["path"] == "out/data.npz" and len(inp["sha256"]) == 64
    assert json.loads((tmp_path / "out" / "cnn" / "provenance" / "metrics.json.json").read_text()) == model


def test_failed_command_writes_no_provenance(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "X\tsynthetic\t\t\tMA9999.1\t\tK562\n")
    proc = subprocess.run([sys.executable, "-m", "deepmotif.cli", "prepare", "--set", '{"tfs": "tfs.tsv"}',
                           "--tf", "X", "--out", "out/data.npz"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert not (tmp_path / "out").exists()


def test_seeds_and_commit():
    assert seeds({"data": {"seed": 1}, "interpret": {"classopt": {"seed": 5}}, "seed": "x"}) == \
        {"data.seed": 1, "interpret.classopt.seed": 5}
    commit = git_commit()
    assert commit is None or len(commit) == 40


def test_defaults_satisfy_the_schema():
    validate_config(DEFAULTS)


def test_each_call_of_main_records_only_its_own_outputs(tmp_path, monkeypatch):
    from deepmotif.cli import main

    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        (tmp_path / f"{name}.tsv").write_text(f"x\n{name}\n")
    assert main(["concat-tables", "--tables", "a.tsv", "--out", "out/first.tsv"]) == 0
    assert main(["concat-tables", "--tables", "b.tsv", "--out", "out/second.tsv"]) == 0
    first = json.loads((tmp_path / "out" / "provenance" / "first.tsv.json").read_text())
    second = json.loads((tmp_path / "out" / "provenance" / "second.tsv.json").read_text())
    assert first["outputs"] == ["out/first.tsv"] and "a.tsv" in first["argv"]
    assert second["outputs"] == ["out/second.tsv"] and "b.tsv" in second["argv"]

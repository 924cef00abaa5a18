"""A training job killed with SIGKILL resumes from its last checkpoint and ends with exactly the metrics of
an uninterrupted run with the same seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

HEAD = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
SETTINGS = json.dumps({"tfs": "tfs.tsv", "data": {"synthetic": {"n_train": 1500, "n_test": 200}},
                       "models": {"cnn": {"filters": 32}},
                       "train": {"epochs": 6, "patience": 6, "lr": 0.01}})


def deepmotif(cwd, *args, wait=True):
    cmd = [sys.executable, "-m", "deepmotif.cli", *args]
    if wait:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "MAFK\tsynthetic\t\t\tMA0496.4\tMAFK\tK562\n")
    deepmotif(tmp_path, "prepare", "--set", SETTINGS, "--tf", "MAFK", "--out", "data.npz")
    train = ("train", "--set", SETTINGS, "--data", "data.npz", "--arch", "cnn", "--quiet")
    deepmotif(tmp_path, *train, "--out-dir", "straight")

    job = deepmotif(tmp_path, *train, "--out-dir", "killed", wait=False)
    last = tmp_path / "killed" / "last.pt"
    deadline = time.time() + 300
    while not last.exists() and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    assert job.poll() is None, "training finished before it could be killed; make it longer"
    time.sleep(0.3)  # somewhere inside a later epoch
    os.kill(job.pid, signal.SIGKILL)
    job.wait()
    assert not (tmp_path / "killed" / "metrics.json").exists()

    resumed = deepmotif(tmp_path, *train, "--out-dir", "killed")
    assert "resuming cnn from epoch" in resumed.stderr
    assert not [p for p in (tmp_path / "killed").iterdir() if p.name.startswith(".")], "temporary files left"
    a = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    b = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    for key in ("train_auroc", "valid_auroc", "test_auroc", "test_aupr", "best_epoch", "epochs_run"):
        assert a[key] == b[key], key
    assert [h["loss"] for h in a["history"]] == [h["loss"] for h in b["history"]]

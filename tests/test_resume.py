"""A training job killed with SIGKILL resumes from its last checkpoint and ends with exactly the metrics of
an uninterrupted run with the same seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

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


def _session_processes(sid: int, *words: str) -> list[int]:
    """Processes of session ``sid`` whose command line contains every one of ``words``."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and all(w in cmdline for w in words):
            pids.append(int(stat.parent.name))
    return pids


@pytest.mark.slow
def test_killed_snakemake_and_killed_job_rerun_and_resume(tmp_path):
    """Snakemake's handling of killed jobs, on the real workflow. (1) SIGKILL the whole Snakemake process
    group while a train job runs: no output of that job exists afterwards, the next run asks for
    `--unlock`, and after it the job resumes from its last epoch checkpoint. (2) SIGKILL only the train job
    (an out-of-memory kill or a node failure): Snakemake reports the failed job and the rerun resumes
    again, ending with every epoch in the history."""
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "tfs.tsv").write_text(HEAD + "MAFK\tsynthetic\t\t\tMA0496.4\tMAFK\tK562\n")
    settings = json.loads(SETTINGS)
    settings["data"]["synthetic"]["n_train"] = 3000
    settings["train"]["epochs"] = settings["train"]["patience"] = 10
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**settings, "architectures": ["cnn"]}))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(root / "workflow" / "Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml"), "--cores", "1"]
    target = "results/MAFK/cnn/metrics.json"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "results" / "MAFK" / "cnn"

    def start():
        return subprocess.Popen([*cmd, target], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)

    def wait_for_new_checkpoint(job, after=0.0):
        deadline = time.time() + 300
        while time.time() < deadline and job.poll() is None:
            if any(p.stat().st_mtime > after for p in out.rglob("last.pt")):
                return
            time.sleep(0.05)
        raise AssertionError("the workflow ended before it could be killed; make training longer")

    def train_log():
        return "".join(p.read_text() for p in (tmp_path / "logs" / "train").glob("MAFK_cnn*.log"))

    job = start()
    wait_for_new_checkpoint(job)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    assert not list(out.rglob("best.pt")) and not list(out.rglob("metrics.json"))
    locked = subprocess.run([*cmd, target], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert locked.returncode != 0 and "--unlock" in locked.stderr
    subprocess.run([*cmd, "--unlock"], cwd=tmp_path, env=env, capture_output=True, check=True)

    job = start()
    deadline = time.time() + 300
    while "resuming cnn from epoch" not in train_log() and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    first_resume = train_log()
    assert "resuming cnn from epoch" in first_resume, first_resume[-2000:]
    wait_for_new_checkpoint(job, after=max(p.stat().st_mtime for p in out.rglob("last.pt")))
    train = _session_processes(job.pid, "deepmotif", "train")  # the job's shell and its python
    assert train
    for pid in train:
        os.kill(pid, signal.SIGKILL)
    assert job.wait() != 0
    assert "Error in rule train" in job.stderr.read()
    assert not list(out.rglob("best.pt")) and not list(out.rglob("metrics.json"))

    proc = subprocess.run([*cmd, target], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming cnn from epoch" in train_log(), train_log()[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [h["epoch"] for h in metrics["history"]] == list(range(1, len(metrics["history"]) + 1))
    assert metrics["epochs_run"] == len(metrics["history"]) >= 3
    assert not [p for p in out.rglob(".*")], "temporary files left"


def test_a_second_snakemake_on_a_running_folder_is_refused_and_changes_nothing(tmp_path):
    """Two runs on one results folder: while one Snakemake runs (held still with SIGSTOP once it has taken its
    lock), a second one on the same working directory stops with Snakemake's lock message and writes no file;
    the first then completes."""
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "tfs.tsv").write_text(HEAD + "MAFK\tsynthetic\t\t\tMA0496.4\tMAFK\tK562\n")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**json.loads(SETTINGS), "architectures": ["cnn"]}))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(root / "workflow" / "Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml"), "--cores", "1"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    locks = tmp_path / ".snakemake" / "locks"
    first = subprocess.Popen([*cmd, "results/MAFK/data.npz"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    while not (locks.is_dir() and any(locks.iterdir())) and time.time() < deadline and first.poll() is None:
        time.sleep(0.01)
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        assert first.poll() is None, "the first run ended before it could be held; give it more work"

        def files():
            return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")
                    if p.is_file() and ".snakemake/log" not in str(p)}

        before = files()
        second = subprocess.run([*cmd, "results/MAFK/data.npz"], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=300)
        assert second.returncode != 0
        assert "Directory cannot be locked" in second.stderr, second.stderr[-2000:]
        assert files() == before
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0, first.stderr.read()[-2000:]
    assert (tmp_path / "results" / "MAFK" / "data.npz").is_file()

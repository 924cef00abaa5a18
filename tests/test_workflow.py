"""The real Snakemake workflow end to end on a small synthetic config: every stage runs, the CNN's saliency
motif of each planted TF comes back from Tomtom, a rerun has nothing to do, and the motif table can be
regenerated without retraining."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHEET = ("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
         "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n"
         "MAFK\tsynthetic\t\t\tMA0496.4\tMAFK\tK562\n"
         "NFYB\tsynthetic\t\t\tMA0502.3\tNFYB\tK562\n")
# Small sizes that still let a CNN learn each planted motif (about a minute on 2 cores).
CONFIG = """tfs: tfs.tsv
architectures: [cnn, rnn, cnnrnn]
data: {synthetic: {n_train: 1500, n_test: 300}}
models:
  cnn: {filters: 32, dropout: 0.2}
  rnn: {hidden: 8}
  cnnrnn: {filters: 16, hidden: 8, conv_pool: 2}
train: {epochs: 10, lr: 0.01, patience: 8}
interpret: {n_top: 100}
"""


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("wf")
    (workdir / "tfs.tsv").write_text(SHEET)
    (workdir / "config.yaml").write_text(CONFIG)
    proc = snakemake(workdir)
    (workdir / "snakemake.out").write_text(proc.stdout + proc.stderr)
    return workdir


@pytest.mark.slow
def test_tables_are_complete(run):
    auroc = pd.read_csv(run / "results/tables/auroc.tsv", sep="\t")
    assert len(auroc) == 12 and set(auroc["architecture"]) == {"cnn", "rnn", "cnnrnn", "pwm"}
    matches = pd.read_csv(run / "results/tables/motif_matches.tsv", sep="\t")
    assert len(matches) == 9 and set(matches["method"]) == {"saliency"}
    assert (run / "results/tables/tomtom_hits.tsv").stat().st_size > 0
    page = (run / "results/report.html").read_text()
    assert page.count("<img") >= 9 and "motif_id" in page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="checks the CPU-only case")
def test_gpu_auto_takes_no_gpu_token_without_gpu(run):
    """resources.gpu: auto on a machine without GPU: train/saliency jobs ask for gpu=0, so the workstation
    profile's single gpu token does not serialise them."""
    log = (run / "snakemake.out").read_text()
    train = re.findall(r"localrule (?:train|saliency):\n(?:    .*\n)*?    resources: (.*)", log)
    assert len(train) == 18 and all("gpu=0" in r for r in train), train[:3]


@pytest.mark.slow
def test_cnn_saliency_recovers_each_planted_motif(run):
    matches = pd.read_csv(run / "results/tables/motif_matches.tsv", sep="\t")
    cnn = matches[matches["architecture"] == "cnn"].set_index("tf")
    for tf in ("GATA1", "MAFK", "NFYB"):
        row = cnn.loc[tf]
        assert row["top_in_family"] and row["q_value"] < 0.05, (
            f"{tf}: best hit {row['best_id']} {row['best_name']} q={row['q_value']}, own rank {row['own_rank']}")


@pytest.mark.slow
def test_rerun_has_nothing_to_do_and_motif_table_regenerates_without_training(run):
    dry = snakemake(run, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    model = run / "results/GATA1/cnn/best.pt"
    table = run / "results/tables/motif_matches.tsv"
    before_model, before_table = model.stat().st_mtime_ns, table.stat().st_mtime_ns
    snakemake(run, "motif_table", "--forcerun", "match")
    assert table.stat().st_mtime_ns > before_table
    assert model.stat().st_mtime_ns == before_model


def test_malformed_sheet_stops_before_any_job(tmp_path):
    (tmp_path / "tfs.tsv").write_text(SHEET.replace("MAFK\tsynthetic", "MAFK\tsynthtic"))
    (tmp_path / "config.yaml").write_text(CONFIG)
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "tfs.tsv" in out and "source" in out and not (tmp_path / "results").exists(), out[-2000:]

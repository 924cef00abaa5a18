"""The encode multi-task source end to end through the real Snakemake workflow: three encode rows' peak files
and a small generated genome served over HTTP from 127.0.0.1, one `encode_multi` row uniting their windows,
one multi-task CNN (an output per TF) trained on it, explained, and analysed by DeepResolve."""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest
import torch

from fault_server import FaultServer, fasta_text, narrowpeak_line, random_genome
from test_encode_workflow import HEAD, snakemake

CHROMS = {"chr1": 130_000, "chr2": 80_000, "chr3": 80_000}
TASKS = ("GATA1", "MAFK", "NFYB")
CONFIG = """tfs: tfs.tsv
architectures: [cnn]
genome: {{name: tiny, url: {genome_url}}}
download: {{retries: 2, backoff: 0.05, timeout: 10}}
data:
  seq_len: 101
  split: chromosome
  holdout: {{test: [chr3], valid: [chr2]}}
  windows: {{top_n: 200}}
models:
  cnn: {{filters: 8, kernels: [9, 3], tasks: planted}}
train: {{epochs: 2, batch_size: 32}}
interpret: {{n_top: 40, methods: [saliency, ism, filters], per_task: {{n_top: 20}}}}
deepresolve: {{enabled: true, starts: 3, max_steps: 30, anneal_after: 10}}
"""


def peak_files(genome: dict[str, str], seed: int = 3) -> tuple[dict[str, str], dict]:
    """narrowPeak text of the three TFs: 60 sites of their own each, and 30 sites GATA1 and MAFK share (the
    same peak in both files); where each site is."""
    rng = np.random.default_rng(seed)
    lines = {tf: [] for tf in TASKS}
    where: dict[str, list] = {"shared": [], **{tf: [] for tf in TASKS}}
    # one site per 1-kb slot (slots shuffled): sites far apart, room left for background windows
    slots = [(c, s) for c, size in CHROMS.items() for s in range(400, size - 600, 1000)]
    slots = [slots[i] for i in rng.permutation(len(slots))]
    for kind in ("shared", *TASKS):
        for _ in range(30 if kind == "shared" else 60):
            chrom, start = slots.pop()
            where[kind].append((chrom, start + 100))  # the summit
            for tf in ("GATA1", "MAFK") if kind == "shared" else (kind,):
                lines[tf].append(narrowpeak_line(chrom, start, start + 200, round(float(rng.uniform(5, 500)), 2),
                                                 100))
    return {tf: "".join(ls) for tf, ls in lines.items()}, where


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    seqs = random_genome(CHROMS, seed=5)
    peaks, where = peak_files(seqs)
    with FaultServer() as srv:
        srv.add("/hg/tiny.fa.gz", gzip.compress(fasta_text(seqs, 60).encode()))
        rows = []
        for tf in TASKS:
            srv.add(f"/peaks/{tf}.narrowPeak.gz", gzip.compress(peaks[tf].encode()))
            rows.append(f"{tf}\tencode\t\t\t\t\tK562\t{srv.url(f'/peaks/{tf}.narrowPeak.gz')}\t\t\n")
        wd = tmp_path_factory.mktemp("encode_multi")
        (wd / "config.yaml").write_text(CONFIG.format(genome_url=srv.url("/hg/tiny.fa.gz")))
        (wd / "tfs.tsv").write_text(HEAD.rstrip("\n") + "\ttasks\n" + "".join(rows)
                                    + "MULTI\tencode_multi\t\t\t\t\tK562\t\t\tGATA1,MAFK,NFYB\n")
        snakemake(wd, "results/MULTI/cnn/deepresolve_fiv.tsv")
        yield {"dir": wd, "where": where, "peaks": peaks}


@pytest.mark.slow
def test_windows_are_the_union_labelled_by_peak_overlap(run):
    wd, where = run["dir"], run["where"]
    qc = json.loads((wd / "results/MULTI/qc.json").read_text())
    assert list(qc["tasks"]) == list(TASKS) and qc["windows"] == 30 + 3 * 60
    assert qc["same_site_left_out"] == 30  # a shared site is one window, not one per TF
    label_of = {**{s: (1, 1, 0) for s in where["shared"]},
                **{s: tuple(int(tf == t) for t in TASKS) for tf in TASKS for s in where[tf]}}
    peaks = [pd.read_csv(io.StringIO(run["peaks"][tf]), sep="\t", header=None) for tf in TASKS]
    with np.load(wd / "results/MULTI/data.npz") as data:
        assert list(data["meta_task_names"]) == list(TASKS)
        for split, chrom in (("train", "chr1"), ("valid", "chr2"), ("test", "chr3")):
            tasks, y = data[f"{split}_tasks"], data[f"{split}_y"]
            starts, chroms = data[f"{split}_start"], data[f"{split}_chrom"]
            assert tasks.shape == (len(y), 3) and set(chroms) == {chrom}
            assert np.array_equal(y, tasks.max(axis=1))  # a window is positive for >= 1 TF, a background for none
            for i in np.flatnonzero(y == 1):
                assert tuple(tasks[i].astype(int)) == label_of[(str(chroms[i]), int(starts[i]) + 50)]
            for i in np.flatnonzero(y == 0):  # background windows overlap no peak of any TF
                for p in peaks:
                    on = p[p[0] == chroms[i]]
                    assert not ((on[1] < starts[i] + 101) & (on[2] > starts[i])).any()


@pytest.mark.slow
def test_one_multi_task_model_and_its_deepresolve_tables(run):
    wd = run["dir"]
    metrics = json.loads((wd / "results/MULTI/cnn/metrics.json").read_text())
    assert "valid_task_auroc" in metrics
    state = torch.load(wd / "results/MULTI/cnn/best.pt", weights_only=False)["state_dict"]
    assert state["linear.weight"].shape[0] == 3  # one output per TF
    fiv = pd.read_csv(wd / "results/MULTI/cnn/deepresolve_fiv.tsv", sep="\t")
    assert sorted(fiv["task"].unique()) == sorted(TASKS) and len(fiv) == 3 * 8  # task × first-layer channel
    similarity = pd.read_csv(wd / "results/MULTI/cnn/deepresolve_similarity.tsv", sep="\t")
    assert {"ofiv_correlation", "label_correlation"} <= set(similarity.columns)
    assert (wd / "results/MULTI/cnn/deepresolve.png").stat().st_size > 0


@pytest.mark.parametrize("rows, line, what", [
    ("MULTI\tencode_multi\t\t\t\t\tK562\t\t\tGATA1,FOXP9\n", 4, "'FOXP9' not an encode row of this sheet"),
    ("MULTI\tencode_multi\t\t\t\t\tK562\t\t\tGATA1,GATA1\n", 4, "at least two distinct encode rows"),
    ("MULTI\tencode_multi\t\t\t\t\tK562\t\t\t\n", 4, "needs a `tasks` column"),
    ("NFYB\tsynthetic\t\t\tMA0502.3\t\tK562\t\t\tGATA1,MAFK\n", 4, "only for source encode_multi"),
])
def test_sheet_errors_of_multi_rows_name_line_and_field(tmp_path, rows, line, what):
    from deepmotif.config import check_sheet, read_sheet
    from deepmotif.errors import InputError

    path = tmp_path / "tfs.tsv"
    path.write_text(HEAD.rstrip("\n") + "\ttasks\n" + "GATA1\tencode\t\t\t\t\tK562\thttps://x.org/g.gz\t\t\n"
                    "MAFK\tencode\t\t\t\t\tK562\thttps://x.org/m.gz\t\t\n" + rows)
    with pytest.raises(InputError) as err:
        check_sheet(read_sheet(path), path)
    assert f"tfs.tsv, line {line}, field 'tasks'" in str(err.value) and what in str(err.value), str(err.value)

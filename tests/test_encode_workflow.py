"""The real Snakemake data rules end to end on encode rows: a small generated genome (chr1-3 + chrM) and
narrowPeak files served over HTTP from 127.0.0.1, with faults injected — the genome's connection dropped
half-way, HTTP 500 twice for a peak file, a wrong checksum, a truncated gzip. Retries succeed, the failures
name their URL and leave nothing partial in resources/ or results/, and a rerun downloads nothing that is
already there."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fault_server import FaultServer, fasta_text, random_genome, random_peaks

ROOT = Path(__file__).resolve().parents[1]
CHROMS = {"chr1": 50_000, "chr2": 40_000, "chr3": 40_000}
HEAD = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\tpeaks\tpeaks_checksum\n"
CONFIG = """tfs: tfs.tsv
architectures: [cnn]
genome:
  name: tiny
  url: {genome_url}
  chromosomes: [chr1, chr2, chr3]
download: {{retries: 3, backoff: 0.05, timeout: 10}}
data:
  seq_len: 101
  split: chromosome
  holdout: {{test: [chr3], valid: [chr2]}}
  windows: {{top_n: 140, max_n_fraction: 0.05}}
grammar: {{max_motifs: 2, effects: {{backgrounds: 10, positions: 1}}, pairs: {{max_spacing: 5, max_pairs: 1}}}}
"""


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), "--cores", "2",
           "--show-failed-logs", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=workdir)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def partial_files(workdir: Path) -> list[str]:
    """Temporary or partial files under resources/ and results/ (atomic writes use hidden '.name.*')."""
    out = []
    for top in ("resources", "results"):
        for p in (workdir / top).rglob("*") if (workdir / top).exists() else []:
            if p.is_file() and (p.name.startswith(".") or p.suffix in (".part", ".tmp")):
                out.append(str(p.relative_to(workdir)))
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The HTTP server with the genome and three TFs' peak files, and a working directory."""
    seqs = random_genome({**CHROMS, "chrM": 5_000}, seed=11, n_blocks={"chr1": [(20_000, 20_300)]})
    peaks = {tf: gzip.compress(random_peaks({c: seqs[c] for c in CHROMS}, 150, seed=i).encode())
             for i, tf in enumerate(("GATA1", "MAFK", "NFYB"))}
    with FaultServer() as srv:
        srv.add("/hg/tiny.fa.gz", gzip.compress(fasta_text(seqs, 50).encode()), faults=["drop"])
        srv.add("/peaks/GATA1.narrowPeak.gz", peaks["GATA1"], faults=["500", "500"])
        srv.add("/peaks/MAFK.narrowPeak.gz", peaks["MAFK"])
        srv.add("/peaks/NFYB.narrowPeak.gz", peaks["NFYB"][:-300])  # truncated at the source
        workdir = tmp_path_factory.mktemp("encode_wf")
        (workdir / "config.yaml").write_text(CONFIG.format(genome_url=srv.url("/hg/tiny.fa.gz")))
        yield {"srv": srv, "dir": workdir, "seqs": seqs, "peaks": peaks}


def sheet(site, mafk_checksum: str) -> str:
    url = site["srv"].url
    return (HEAD + f"GATA1\tencode\t\t\tMA0035.5\t\tK562\t{url('/peaks/GATA1.narrowPeak.gz')}\t\n"
            f"MAFK\tencode\t\t\tMA0496.4\t\tK562\t{url('/peaks/MAFK.narrowPeak.gz')}\t{mafk_checksum}\n"
            f"NFYB\tencode\t\t\tMA0502.3\t\tK562\t{url('/peaks/NFYB.narrowPeak.gz')}\t\n")


@pytest.fixture(scope="module")
def first_run(site):
    """GATA1 through the faults: dropped genome download, HTTP 500 twice."""
    wd = site["dir"]
    (wd / "tfs.tsv").write_text(sheet(site, "md5:" + "0" * 32))
    snakemake(wd, "results/GATA1/data.npz")
    return site


@pytest.mark.slow
def test_data_stage_through_faults(first_run):
    wd, srv = first_run["dir"], first_run["srv"]
    genome_requests = srv.requests("/hg/tiny.fa.gz")
    assert len(genome_requests) == 2 and genome_requests[1]["range"].startswith("bytes=")  # resumed
    assert [r["fault"] for r in srv.requests("/peaks/GATA1.narrowPeak.gz")] == ["500", "500", None]
    res = wd / "resources"
    for name in ("genome/tiny.fa.gz", "genome/tiny.fa.gz.sha256", "genome/tiny.fa", "genome/tiny.fa.fai",
                 "genome/tiny.chrom.sizes", "peaks/GATA1.narrowPeak.gz", "peaks/GATA1.narrowPeak.gz.sha256"):
        assert (res / name).is_file(), name
    assert [line.split("\t")[0] for line in (res / "genome/tiny.fa.fai").read_text().splitlines()] == list(CHROMS)
    assert "chrM\t5000" in (res / "genome/tiny.chrom.sizes").read_text()
    with np.load(wd / "results/GATA1/data.npz") as data:
        for split, chrom in (("test", "chr3"), ("valid", "chr2"), ("train", "chr1")):
            assert data[f"{split}_codes"].shape[1] == 101 and set(data[f"{split}_chrom"]) == {chrom}
            assert data[f"{split}_y"].sum() * 2 == len(data[f"{split}_y"])
    qc = json.loads((wd / "results/GATA1/qc.json").read_text())
    assert qc["dropped"]["excluded_contig"] == 1  # the chrM peak: in the original genome, cut away
    assert qc["peaks"] == 151 and qc["windows"] + sum(qc["dropped"].values()) == 151  # every drop counted
    assert qc["dropped"]["beyond_top_n"] > 0
    assert qc["windows"] == 140 and qc["split"]["scheme"] == "chromosome"
    log = (wd / "logs/fetch/genome.log").read_text()
    assert "connection closed after" in log and "resuming at byte" in log, log
    assert "HTTP 500" in (wd / "logs/fetch/peaks_GATA1.log").read_text()
    assert partial_files(wd) == []


@pytest.mark.slow
def test_download_settings_reach_fetch_and_rerun_nothing(first_run):
    """Config `download` reaches `deepmotif fetch` as the fetch rules' `download` resource: a changed
    setting is what the next fetch job runs with, yet it reruns no finished download (a param would)."""
    wd = first_run["dir"]
    config = (wd / "config.yaml").read_text()
    try:
        (wd / "config.yaml").write_text(config.replace("retries: 3,", "retries: 4,"))
        assert "Nothing to be done" in snakemake(wd, "-n", "results/GATA1/data.npz").stdout
        forced = snakemake(wd, "-n", "-p", "resources/peaks/GATA1.narrowPeak.gz",
                           "--forcerun", "resources/peaks/GATA1.narrowPeak.gz").stdout
        assert "--retries 4 --backoff 0.05 --timeout 10 --partial-dir .cache/downloads" in forced, forced
    finally:
        (wd / "config.yaml").write_text(config)


@pytest.mark.slow
def test_checksum_and_gzip_failures_then_rerun_resumes(first_run):
    wd, srv = first_run["dir"], first_run["srv"]
    n_genome = len(srv.requests("/hg/tiny.fa.gz"))
    data_mtime = (wd / "results/GATA1/data.npz").stat().st_mtime_ns
    proc = snakemake(wd, "--keep-going", "results/MAFK/data.npz", "results/NFYB/data.npz", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    mafk_url, nfyb_url = srv.url("/peaks/MAFK.narrowPeak.gz"), srv.url("/peaks/NFYB.narrowPeak.gz")
    mafk_log = (wd / "logs/fetch/peaks_MAFK.log").read_text()
    assert f"deepmotif fetch: error: {mafk_url}: md5 checksum mismatch" in mafk_log, mafk_log
    assert f"deepmotif fetch: error: {nfyb_url}: not a valid gzip file" in \
        (wd / "logs/fetch/peaks_NFYB.log").read_text()
    assert "checksum mismatch" in out and "not a valid gzip file" in out  # shown by --show-failed-logs
    for tf in ("MAFK", "NFYB"):
        assert not list((wd / "resources/peaks").glob(f"{tf}*")) and not (wd / "results" / tf).exists()
    assert partial_files(wd) == []
    assert len(srv.requests("/hg/tiny.fa.gz")) == n_genome  # the finished genome is not fetched again

    # Fix the checksum: MAFK completes; nothing finished is downloaded or rebuilt again.
    good = hashlib.md5(first_run["peaks"]["MAFK"]).hexdigest()
    (wd / "tfs.tsv").write_text(sheet(first_run, good))
    snakemake(wd, "results/MAFK/data.npz", "results/GATA1/data.npz")
    assert (wd / "results/MAFK/qc.json").is_file() and partial_files(wd) == []
    assert len(srv.requests("/hg/tiny.fa.gz")) == n_genome
    assert (wd / "results/GATA1/data.npz").stat().st_mtime_ns == data_mtime
    dry = snakemake(wd, "-n", "results/MAFK/data.npz", "results/GATA1/data.npz")
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_config_without_encode_tfs_needs_no_genome(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "GATA1\tsynthetic\t\t\tMA0035.5\t\tK562\t\t\n")
    (tmp_path / "config.yaml").write_text("tfs: tfs.tsv\ngenome: {url: http://127.0.0.1:9/unreachable.fa.gz}\n")
    dry = snakemake(tmp_path, "-n", "results/GATA1/data.npz")
    out = dry.stdout + dry.stderr
    assert "prepare" in out and "fetch_genome" not in out and "genome_fasta" not in out, out


def test_encode_row_without_peaks_stops_before_any_job(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "GATA1\tencode\t\t\tMA0035.5\t\tK562\t\t\n")
    (tmp_path / "config.yaml").write_text("tfs: tfs.tsv\n")
    proc = snakemake(tmp_path, "-n", "results/GATA1/data.npz", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "tfs.tsv, line 2, field 'peaks'" in out, out[-2000:]


def test_shipped_encode_config_is_valid_and_plans_downloads(tmp_path):
    """config/encode_hg19.yaml and its sheet pass every check (JASPAR ids included) and a dry run plans the
    downloads; nothing is fetched."""
    import yaml
    from snakemake.utils import validate

    from deepmotif.config import check_sheet, load_config, read_sheet

    cfg = load_config(ROOT / "config/encode_hg19.yaml")
    validate(cfg, str(ROOT / "workflow/schemas/config.schema.yaml"))
    sheet = read_sheet(ROOT / cfg["tfs"])
    check_sheet(sheet, ROOT / cfg["tfs"], cfg["jaspar"]["release"])
    assert len(sheet) >= 13 and {"GATA1", "MAFK", "NFYB"} <= set(sheet["name"])
    assert (sheet["source"] == "encode").all() and sheet["peaks"].str.startswith("https://").all()
    assert yaml.safe_load((ROOT / "config/encode_hg19.yaml").read_text())["genome"]["chromosomes"][-1] == "chrX"
    (tmp_path / "config").mkdir()
    for name in ("encode_hg19.yaml", "tfs_encode_hg19.tsv"):
        (tmp_path / "config" / name).write_text((ROOT / "config" / name).read_text())
    (tmp_path / "config.yaml").write_text("{}\n")
    proc = snakemake(tmp_path, "-n", "results/GATA1/data.npz", "--configfile", "config/encode_hg19.yaml",
                     check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    for rule in ("fetch_genome", "genome_fasta", "fetch_peaks", "fetch_blacklist", "prepare_encode"):
        assert f"rule {rule}:" in out, rule


@pytest.mark.parametrize("peaks, checksum, field, what", [
    ("", "", "peaks", "needs the URL or path of a narrowPeak file"),
    ("s3://bucket/x.gz", "", "peaks", "unsupported URL scheme 's3'"),
    ("missing.narrowPeak.gz", "", "peaks", "not found"),
    ("https://example.org/x.gz", "md5:123", "peaks_checksum", "is not 'md5:"),
])
def test_encode_sheet_errors_name_line_and_field(tmp_path, peaks, checksum, field, what):
    from deepmotif.config import check_sheet, read_sheet
    from deepmotif.errors import InputError

    path = tmp_path / "tfs.tsv"
    path.write_text(HEAD + f"GATA1\tencode\t\t\tMA0035.5\t\tK562\t{peaks}\t{checksum}\n")
    with pytest.raises(InputError) as err:
        check_sheet(read_sheet(path), path)
    assert f"tfs.tsv, line 2, field '{field}'" in str(err.value) and what in str(err.value), str(err.value)

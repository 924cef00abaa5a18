"""The full benchmark's own configs and sheet rows at test sizes: four rows of config/tfs_encode_uniform.tsv,
one of each kind the 690 rows hold — a TF with a JASPAR matrix, one without (a third of the sheet), a name
made unique from a collision, a treatment (with a dot in its name) — run through the default target with
`--configfile config/encode_hg19.yaml config/encode_uniform.yaml` plus a file of test sizes, on a generated
genome and peak files served from 127.0.0.1; then `snakemake --report`. A row kind that breaks the tables,
the comparison or the report fails here, not on a cluster after a day of GPU time."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
import yaml

from fault_server import FaultServer, fasta_text, random_genome, random_peaks

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "config" / "tfs_encode_uniform.tsv"
CONFIGS = [ROOT / "config" / "encode_hg19.yaml", ROOT / "config" / "encode_uniform.yaml"]
#: the rows taken, by what they stand for
ROWS = {"CTCF_GM12878_Broad": "JASPAR matrix", "EZH2_GM12878_Broad": "no known motif",
        "EP300_GM12878_Sydh_SydhGm12878P300b": "name made unique", "ATF3_A549_Haib_EtOH_0.02pct": "treatment"}
CHROMS = {"chr1": 60_000, "chr2": 40_000, "chr3": 40_000}
#: what the test changes of the shipped configs: the served genome and test sizes
TEST_SIZES = {
    "tfs": "tfs.tsv",
    "architectures": ["cnn"],
    "genome": {"name": "tiny", "chromosomes": list(CHROMS)},
    "download": {"retries": 1, "backoff": 0.05, "timeout": 10},
    "data": {"windows": {"top_n": 120, "blacklist": None}},
    "models": {"cnn": {"filters": 8, "kernels": [9, 3]}},
    "train": {"epochs": 1, "sizes": ["small", "medium"]},
    "interpret": {"n_top": 20, "methods": ["saliency", "filters"]},
    "grammar": {"max_motifs": 2, "effects": {"backgrounds": 10, "positions": 1},
                "pairs": {"max_spacing": 5, "max_pairs": 1}},
    "resources": {"gpu": 0},
}


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(workdir), "--configfile", *map(str, CONFIGS), str(workdir / "test.yaml"),
           "--cores", "2", "--show-failed-logs", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=workdir)
    assert proc.returncode == 0, f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sheet = pd.read_csv(SHEET, sep="\t", comment="#", dtype=str, keep_default_na=False)
    rows = sheet[sheet["name"].isin(ROWS)].copy()
    assert sorted(rows["name"]) == sorted(ROWS), "a sample row is no longer in the shipped sheet"
    seqs = random_genome({**CHROMS, "chrM": 5_000}, seed=7)  # chrM: in the genome, cut away (as hg19's)
    wd = tmp_path_factory.mktemp("uniform")
    with FaultServer() as srv:
        srv.add("/hg/tiny.fa.gz", gzip.compress(fasta_text(seqs, 60).encode()))
        for i, name in enumerate(rows["name"]):
            path = f"/peaks/{quote(name)}.narrowPeak.gz"
            srv.add(path, gzip.compress(random_peaks({c: seqs[c] for c in CHROMS}, 130, seed=20 + i).encode()))
            rows.loc[rows["name"] == name, ["peaks", "peaks_checksum"]] = [srv.url(path), ""]
        rows.to_csv(wd / "tfs.tsv", sep="\t", index=False)
        cfg = {**TEST_SIZES, "genome": {**TEST_SIZES["genome"], "url": srv.url("/hg/tiny.fa.gz")}}
        (wd / "test.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        snakemake(wd)
        snakemake(wd, "--report", "results/snakemake_report.zip")
    return wd


@pytest.mark.slow
def test_every_row_kind_reaches_the_tables(run):
    auroc = pd.read_csv(run / "results/tables/auroc.tsv", sep="\t", keep_default_na=False, na_values=[""])
    assert sorted(auroc["tf"].unique()) == sorted(ROWS) and set(auroc["architecture"]) == {"cnn", "pwm"}
    pwm = auroc[auroc["architecture"] == "pwm"].set_index("tf")
    no_motif = [tf for tf in ROWS if tf.startswith(("EZH2", "EP300"))]  # no JASPAR2024 CORE matrix
    assert pwm.loc[no_motif, "test_auroc"].isna().all() and (pwm.loc[no_motif, "note"] == "no known motif").all()
    assert pwm.drop(index=no_motif)["test_auroc"].between(0, 1).all()
    comparison = pd.read_csv(run / "results/tables/model_comparison.tsv", sep="\t", keep_default_na=False)
    assert (comparison["n_tfs"] == 2).all()
    assert comparison["note"].str.startswith("2 TF(s) without a value left out").all(), comparison["note"]
    matches = pd.read_csv(run / "results/tables/motif_matches.tsv", sep="\t", keep_default_na=False,
                          na_values=[""])
    assert sorted(matches["tf"].unique()) == sorted(ROWS) and {"shared_by", "attractor"} <= set(matches.columns)
    unknown = matches[matches["tf"].isin(no_motif)]
    assert (unknown["own_name"] == "no known motif").all()
    assert unknown[["top_in_family", "recovered", "family_recovered"]].isna().all().all()  # no verdict
    known = matches[~matches["tf"].isin(no_motif)]
    assert known[["recovered", "family_recovered"]].notna().all().all()
    assert set(known.loc[known["tf"] == "CTCF_GM12878_Broad", "own_id"]) == {"MA0139.2"}


@pytest.mark.slow
def test_grammar_of_every_row_kind_and_instances_in_genome_coordinates(run):
    """A TF without a known motif pairs its first motif (no reference row); every encode row's instances
    land in BED9 on the test windows' chromosomes, inside the genome's records."""
    verdicts = pd.read_csv(run / "results/tables/pair_verdicts.tsv", sep="\t")
    assert sorted(verdicts["tf"].unique()) == sorted(ROWS)
    effects = pd.read_csv(run / "results/tables/effects.tsv", sep="\t")
    no_motif = [tf for tf in ROWS if tf.startswith(("EZH2", "EP300"))]
    assert not effects.loc[effects["tf"].isin(no_motif), "reference"].any()
    assert effects.loc[effects["tf"] == "CTCF_GM12878_Broad", "motif_id"].eq("MA0139.2").any()
    for tf in ROWS:
        sites = pd.read_csv(run / "results" / tf / "cnn" / "instances.tsv", sep="\t")
        bed = (run / "results" / tf / "cnn" / "instances.bed").read_text().splitlines()
        assert bed[0].startswith("track ") and len(bed) == len(sites) + 1, tf
        rows = [line.split("\t") for line in bed[1:]]
        assert all(len(r) == 9 and r[0] in CHROMS and int(r[1]) < int(r[2]) for r in rows), rows[:3]


@pytest.mark.slow
def test_report_pages_of_every_row_kind(run):
    index = (run / "results/report/index.html").read_text()
    for tf in ROWS:
        assert f'href="tf/{quote(tf)}.html"' in index, tf
        assert (run / "results/report/tf" / f"{tf}.html").is_file()
        assert (run / "results" / tf / "dashboard.png").stat().st_size > 0
    assert "no known motif" in index and "Attractor matrices" in index
    page = (run / "results/report/tf/ATF3_A549_Haib_EtOH_0.02pct.html").read_text()
    assert "EtOH_0.02pct" in page and "Haib" in page  # the sheet's descriptive columns
    with zipfile.ZipFile(run / "results/snakemake_report.zip") as z:
        names = z.namelist()
    assert any(n.endswith("motif_matches.tsv") for n in names) and any(n.endswith("report.html") for n in names)

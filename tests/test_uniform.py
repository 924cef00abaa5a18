"""The full-benchmark sheet (config/tfs_encode_uniform.tsv): every experiment of the ENCODE uniform TFBS
collection as an encode row, made by `deepmotif encode-sheet` from the collection's metadata table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from deepmotif.config import check_sheet, read_sheet
from deepmotif.data.uniform import row_name
from deepmotif.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "config" / "tfs_encode_uniform.tsv"
METADATA = ROOT.parent / "shared" / "data" / "encode-uniform-tfbs" / "uniform_tfbs.tsv"
RELEASE = "JASPAR2024"
OWN = {"GATA1": "MA0035.5", "MAFK": "MA0496.4", "NFYB": "MA0502.3", "CTCF": "MA0139.2"}


def test_the_sheet_passes_the_checks_and_maps_the_case_studies_to_their_matrices():
    sheet = read_sheet(SHEET)
    check_sheet(sheet, SHEET, RELEASE)  # names, sources, URLs, checksums, every JASPAR ID in the release
    assert len(sheet) == 690 and sheet["name"].is_unique and set(sheet["source"]) == {"encode"}
    assert sheet["peaks_checksum"].str.fullmatch(r"md5:[0-9a-f]{32}").all()
    assert sheet["experiment"].str.fullmatch(r"wgEncodeAwgTfbs\w+UniPk").all()
    for tf, matrix in OWN.items():
        rows = sheet[sheet["name"].str.startswith(tf + "_")]
        assert len(rows) >= 1 and set(rows["jaspar_id"]) == {matrix}, (tf, rows[["name", "jaspar_id"]])
    assert (sheet["jaspar_id"] != "").sum() == 459
    assert (sheet.loc[sheet["name"].str.startswith("POLR2A_"), "jaspar_id"] == "").all()  # no motif: blank


def test_the_mapping_agrees_with_the_hand_curated_hg19_sheet():
    """Every TF of config/tfs_encode_hg19.tsv (IDs chosen by hand) gets the same matrix here."""
    curated = read_sheet(ROOT / "config" / "tfs_encode_hg19.tsv").set_index("name")["jaspar_id"]
    sheet = read_sheet(SHEET)
    sheet["target"] = sheet["name"].str.split("_").str[0]
    for tf, matrix in curated.items():
        got = set(sheet.loc[sheet["target"] == tf, "jaspar_id"])
        assert got <= {matrix}, (tf, got, matrix)


def test_the_sheet_is_what_encode_sheet_makes_from_the_metadata(tmp_path):
    if not METADATA.is_file():
        pytest.skip("../shared/data/encode-uniform-tfbs not present (the metadata table is kept outside the repo)")
    out = tmp_path / "tfs.tsv"
    proc = subprocess.run([sys.executable, "-m", "deepmotif.cli", "encode-sheet", "--metadata", str(METADATA),
                           "--release", RELEASE, "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == SHEET.read_text()


def test_names_and_a_bad_metadata_table(tmp_path):
    assert row_name({"target": "GRp20", "cell_line": "A549", "lab_code": "Haib", "treatment": "DEX_100nM"}) == \
        "GRp20_A549_Haib_DEX_100nM"
    assert row_name({"target": "POL2(b)", "cell_line": "K562", "lab_code": "Uw", "treatment": "None"}) == \
        "POL2-b-_K562_Uw"
    from deepmotif.data.uniform import read_metadata

    bad = tmp_path / "meta.tsv"
    pd.DataFrame({"experiment": ["x"]}).to_csv(bad, sep="\t", index=False)
    with pytest.raises(InputError, match="missing column"):
        read_metadata(bad)

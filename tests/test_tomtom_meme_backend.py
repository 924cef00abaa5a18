"""The 'meme' Tomtom backend: command line, parsing of tomtom's -text output, missing binary, real binary."""

from __future__ import annotations

import json
import shutil
import stat
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmotif.errors import InputError
from deepmotif.memeio import Motif, read_meme
from deepmotif.tomtom import TOMTOM_COLUMNS, parse_tomtom_text, read_tomtom_tsv, tomtom

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REF = SHARED / "tomtom-reference"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason=f"{SHARED} not present (real test data is kept outside the repository)")
QUERY4 = REF / "query4_JASPAR2020_CTCF_GATA1_MAFK_NFYB.meme"
JASPAR2014 = SHARED / "jaspar" / "JASPAR_CORE_2014_vertebrates.meme"

FAKE_TOMTOM = '''#!{python}
"""Stand-in for MEME's tomtom: records argv and its two motif files, prints a stored tomtom output."""
import json, sys
from pathlib import Path
record = {{"argv": sys.argv, "files": [Path(a).read_text() for a in sys.argv[-2:] if Path(a).is_file()]}}
Path({record!r}).write_text(json.dumps(record))
sys.stdout.write(Path({output!r}).read_text())
sys.stderr.write({stderr!r})
sys.exit({code})
'''


def _fake_tomtom(tmp_path: Path, output: Path, code: int = 0, stderr: str = "") -> tuple[Path, Path]:
    exe, record = tmp_path / "bin" / "tomtom", tmp_path / "argv.json"
    exe.parent.mkdir()
    exe.write_text(FAKE_TOMTOM.format(python=sys.executable, record=str(record), output=str(output),
                                      stderr=stderr, code=code))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe, record


@needs_shared
def test_default_command_and_parsed_output(tmp_path, monkeypatch):
    ref_file = REF / "tomtom_default__query4_vs_JASPAR2014.tsv"
    exe, record = _fake_tomtom(tmp_path, ref_file)
    monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")  # found on PATH, as 'tomtom'
    queries, targets = read_meme(QUERY4), read_meme(JASPAR2014)
    table = tomtom(queries, targets, backend="meme")

    rec = json.loads(record.read_text())
    argv = rec["argv"]
    assert Path(argv[0]).name == "tomtom"
    assert argv[1:-2] == ["-no-ssc", "-text", "-verbosity", "1", "-dist", "ed", "-min-overlap", "1",
                          "-thresh", "0.5"]
    assert [Path(a).name for a in argv[-2:]] == ["query.meme", "target.meme"]
    # the motif files handed to tomtom are MEME minimal format holding the motifs given
    query_copy, target_copy = tmp_path / "q.meme", tmp_path / "t.meme"
    query_copy.write_text(rec["files"][0])
    target_copy.write_text(rec["files"][1])
    assert [m.id for m in read_meme(query_copy)] == [m.id for m in queries]
    back = read_meme(target_copy)
    assert [(m.id, m.name, m.nsites) for m in back] == [(m.id, m.name, m.nsites) for m in targets]
    np.testing.assert_allclose(back[7].pwm, targets[7].pwm, atol=1e-6)

    expected = read_tomtom_tsv(ref_file)
    assert list(table.columns) == TOMTOM_COLUMNS + ["Query_name", "Target_name"]
    pd.testing.assert_frame_equal(table[TOMTOM_COLUMNS], expected)
    assert len(table) == 42 and table["Optimal_offset"].dtype == np.int64
    assert table.loc[0, ["Query_ID", "Target_ID", "p-value", "Query_name", "Target_name"]].tolist() == [
        "MA0139.1", "MA0139.1", 0.0, "CTCF", "CTCF"]


@needs_shared
def test_options_are_passed(tmp_path):
    ref_file = REF / "tomtom_minov5_evalue10__query4_vs_JASPAR2014.tsv"
    exe, record = _fake_tomtom(tmp_path, ref_file)
    table = tomtom(read_meme(QUERY4), read_meme(JASPAR2014), backend="meme", tomtom_bin=str(exe),
                   dist="pearson", min_overlap=5, evalue=True, thresh=10)
    argv = json.loads(record.read_text())["argv"]
    assert argv[0] == str(exe)
    assert argv[1:-2] == ["-no-ssc", "-text", "-verbosity", "1", "-dist", "pearson", "-min-overlap", "5",
                          "-evalue", "-thresh", "10.0"]
    pd.testing.assert_frame_equal(table[TOMTOM_COLUMNS], read_tomtom_tsv(ref_file))
    assert len(table) == 70


@needs_shared
def test_thresh_none_keeps_everything(tmp_path):
    exe, record = _fake_tomtom(tmp_path, REF / "tomtom_default__query4_vs_JASPAR2014.tsv")
    tomtom(read_meme(QUERY4), read_meme(JASPAR2014), backend="meme", tomtom_bin=str(exe), thresh=None)
    argv = json.loads(record.read_text())["argv"]
    assert argv[-5:-2] == ["-evalue", "-thresh", "206.0"]  # E <= n_targets always


def _tiny():
    return [Motif("m1", "one", np.full((4, 3), 0.25))]


def test_missing_binary_raises_clear_error(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(RuntimeError) as info:
        tomtom(_tiny(), _tiny(), backend="meme")
    message = str(info.value)
    assert "conda install -c bioconda meme" in message
    assert "./configure --enable-serial && make tomtom" in message
    with pytest.raises(RuntimeError, match="not an executable"):
        tomtom(_tiny(), _tiny(), backend="meme", tomtom_bin=str(tmp_path / "no-such-tomtom"))


def test_failing_binary_reports_stderr(tmp_path):
    out = tmp_path / "empty.txt"
    out.write_text("")
    exe, _ = _fake_tomtom(tmp_path, out, code=1, stderr="Option -thresh was not a number")
    with pytest.raises(RuntimeError, match="exit 1.*Option -thresh was not a number"):
        tomtom(_tiny(), _tiny(), backend="meme", tomtom_bin=str(exe))


def test_no_matches_gives_empty_table(tmp_path):
    out = tmp_path / "header_only.tsv"
    out.write_text("\t".join(TOMTOM_COLUMNS) + "\n\n# Tomtom (Motif Comparison Tool): Version 5.5.8\n")
    exe, _ = _fake_tomtom(tmp_path, out)
    table = tomtom(_tiny(), _tiny(), backend="meme", tomtom_bin=str(exe))
    assert table.empty and list(table.columns) == TOMTOM_COLUMNS + ["Query_name", "Target_name"]


# ------------------------------------------------------------------------------------------ TSV parser


@needs_shared
@pytest.mark.parametrize("name, rows", [
    ("tomtom_default__query4_vs_JASPAR2024.tsv", 80), ("tomtom_default__query4_vs_JASPAR2014.tsv", 42),
    ("tomtom_minov5_evalue10__query4_vs_JASPAR2024.tsv", 75),
    ("tomtom_minov5_evalue10__query4_vs_JASPAR2014.tsv", 70),
    ("meme-tests/tomtom.complete.out.ed.tsv", 25), ("meme-tests/tomtom.out.pearson.tsv", 15),
    ("meme-tests/tomtom.dna_with_covalent.tsv", 24),
])
def test_read_reference_tsvs(name, rows):
    table = read_tomtom_tsv(REF / name)
    assert list(table.columns) == TOMTOM_COLUMNS and len(table) == rows
    assert set(table["Orientation"]) <= {"+", "-"}
    assert table["p-value"].dtype == np.float64 and table["Overlap"].dtype == np.int64


def test_parser_errors_name_line():
    header = "\t".join(TOMTOM_COLUMNS)
    good = "q\tt\t0\t0.1\t1\t0.2\t5\tACGTA\tACGTA\t+"
    assert len(parse_tomtom_text(f"# comment\n\n{header}\n{good}\n\n# cmd\n", "x.tsv")) == 1
    with pytest.raises(InputError, match=r"x\.tsv, line 1: not a tomtom TSV"):
        parse_tomtom_text("Query\tTarget\n", "x.tsv")
    with pytest.raises(InputError, match=r"line 3: expected 10 tab-separated fields, got 9"):
        parse_tomtom_text(f"{header}\n{good}\n{good.rsplit(chr(9), 1)[0]}\n", "x.tsv")
    with pytest.raises(InputError, match=r"line 2, field 'p-value': 'abc' is not a number"):
        parse_tomtom_text(f"{header}\n{good.replace('0.1', 'abc')}\n", "x.tsv")
    with pytest.raises(InputError, match="no header"):
        parse_tomtom_text("", "x.tsv")


def test_ids_stay_strings():
    header = "\t".join(TOMTOM_COLUMNS)
    table = parse_tomtom_text(f"{header}\n1\t007\t-2\t1e-5\t0.001\t0.002\t4\tACGT\tACGT\t-\n")
    assert table.loc[0, "Query_ID"] == "1" and table.loc[0, "Target_ID"] == "007"


# ------------------------------------------------------------------------------------------ real MEME


#: MEME's tomtom: on PATH, else the reference build kept beside the repository (../shared/tools)
SHARED_TOMTOM = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "meme-5.5.8" / "tomtom"
REAL_TOMTOM = shutil.which("tomtom") or (str(SHARED_TOMTOM) if SHARED_TOMTOM.is_file() else None)


@needs_shared
@pytest.mark.skipif(REAL_TOMTOM is None, reason=f"MEME's tomtom is neither on PATH nor at {SHARED_TOMTOM}")
def test_backends_agree_with_real_tomtom():
    queries, targets = read_meme(QUERY4), read_meme(JASPAR2014)
    meme = tomtom(queries, targets, backend="meme", tomtom_bin=REAL_TOMTOM)
    lite = tomtom(queries, targets, backend="memelite")
    assert meme[["Query_ID", "Target_ID"]].values.tolist() == lite[["Query_ID", "Target_ID"]].values.tolist()
    for col in ("Optimal_offset", "Overlap", "Orientation", "Query_consensus", "Target_consensus",
                "Query_name", "Target_name"):
        assert meme[col].tolist() == lite[col].tolist(), col
    for col in ("p-value", "E-value", "q-value"):
        np.testing.assert_allclose(lite[col], meme[col], rtol=1e-2, err_msg=col)

"""The command line: bad input ends with exit status 2 and one line naming the file and line/field."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAD = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"


def deepmotif(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "deepmotif.cli", *args], capture_output=True, text=True, cwd=cwd)


def _prepare_with_fasta(tmp_path, text: str):
    (tmp_path / "train.fa").write_text(text)
    (tmp_path / "tfs.tsv").write_text(HEAD + "X\tdeepmotif_fasta\ttrain.fa\t\t\tGATA1\tK562\n")
    return deepmotif("prepare", "--set", '{"tfs": "tfs.tsv"}', "--tf", "X", "--out", "out/data.npz", cwd=tmp_path)


@pytest.mark.parametrize("text, where, what", [
    (">1\n" + "A" * 101 + "\n>0\n" + "ACGU" + "A" * 97 + "\n", "train.fa, line 4", "other than A, C, G, T, N"),
    (">1\n" + "A" * 101 + "\n>0\n" + "A" * 99 + "\n", "train.fa, line 3", "99 bp, expected 101"),
    ("", "train.fa", "no sequences found"),
])
def test_bad_fasta_gives_one_clear_line(tmp_path, text, where, what):
    proc = _prepare_with_fasta(tmp_path, text)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepmotif prepare: error:"), proc.stderr
    assert where in lines[0] and what in lines[0], lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unknown_jaspar_name(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "X\tsynthetic\t\t\t\tNOSUCHTF\tK562\n")
    proc = deepmotif("prepare", "--set", '{"tfs": "tfs.tsv"}', "--tf", "X", "--out", "d.npz", cwd=tmp_path)
    assert proc.returncode == 2 and "no JASPAR motif named 'NOSUCHTF'" in proc.stderr, proc.stderr


def test_unknown_tf_and_bad_json(tmp_path):
    (tmp_path / "tfs.tsv").write_text(HEAD + "X\tsynthetic\t\t\tMA0035.5\t\tK562\n")
    proc = deepmotif("prepare", "--set", '{"tfs": "tfs.tsv"}', "--tf", "Y", "--out", "d.npz", cwd=tmp_path)
    assert proc.returncode == 2 and "TF 'Y' is not in the sheet" in proc.stderr
    proc = deepmotif("prepare", "--set", "{tfs", "--tf", "X", "--out", "d.npz", cwd=tmp_path)
    assert proc.returncode == 2 and "--set is not valid JSON" in proc.stderr

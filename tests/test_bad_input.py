"""The bad-input suite: every case runs a real ``deepmotif`` subcommand on a broken input and must end with
exit status 2 and exactly one line ``deepmotif <command>: error: <file>, line <n>, field '<f>': <what>``,
leaving no output behind that looks complete.

Each case builds its input in a fresh folder and returns the command line and the fragments the one line
must contain (the file, the line or field, and what is wrong)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fault_server import narrowpeak_line, random_genome, write_fasta

HEAD = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
ENCODE_HEAD = HEAD.rstrip("\n") + "\tpeaks\n"
SEQ = "ACGT" * 25 + "A"  # 101 bp
SMALL = {"data": {"synthetic": {"n_train": 200, "n_test": 100}}}


def deepmotif(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deepmotif.cli", *args], cwd=cwd, capture_output=True, text=True)


def check_one_line(proc: subprocess.CompletedProcess, command: str, *fragments: str) -> str:
    """``proc`` ended with exit status 2 and one line ``deepmotif <command>: error: ...`` holding every
    fragment; returns the line."""
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith(f"deepmotif {command}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def random_seq(seed: int, length: int = 101) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), length))


def fasta(records) -> str:
    return "".join(f">{label}\n{seq}\n" for label, seq in records)


def prepare_fasta(tmp: Path, train: str, test: str | None = None) -> tuple[list[str], None]:
    """A deepmotif_fasta row reading ``train`` (and ``test``) written into ``tmp``."""
    (tmp / "train.fa").write_text(train)
    if test is not None:
        (tmp / "test.fa").write_text(test)
    (tmp / "tfs.tsv").write_text(HEAD + f"X\tdeepmotif_fasta\ttrain.fa\t{'test.fa' if test else ''}\t\tGATA1\tK562\n")
    return ["prepare", "--set", json.dumps({"tfs": "tfs.tsv"}), "--tf", "X", "--out", "out/data.npz"]


def prepare_sheet(tmp: Path, rows: str, **settings) -> list[str]:
    (tmp / "tfs.tsv").write_text(HEAD + rows)
    return ["prepare", "--set", json.dumps({"tfs": "tfs.tsv", **SMALL, **settings}), "--tf", "X",
            "--out", "out/data.npz"]


def prepare_encode(tmp: Path, peaks: str, n_blocks=None, **data) -> list[str]:
    """An encode row over a small generated genome (chr1, chr2) and the narrowPeak text ``peaks``."""
    from deepmotif.data.genome import write_genome

    src = write_fasta(tmp / "src.fa", random_genome({"chr1": 30_000, "chr2": 30_000}, n_blocks=n_blocks))
    write_genome(src, tmp / "genome.fa", sizes=tmp / "genome.sizes")
    (tmp / "tf.narrowPeak").write_text(peaks)
    (tmp / "tfs.tsv").write_text(ENCODE_HEAD + "X\tencode\t\t\tMA0035.5\t\tK562\ttf.narrowPeak\n")
    settings = {"tfs": "tfs.tsv", "data": {"split": "chromosome", "holdout": {"test": ["chr2"]}, **data}}
    return ["prepare", "--set", json.dumps(settings), "--tf", "X", "--genome", "genome.fa", "--sizes",
            "genome.sizes", "--peaks", "tf.narrowPeak", "--out", "out/data.npz"]


def peaks_at(chrom: str, starts) -> str:
    return "".join(narrowpeak_line(chrom, s, s + 200, 100.0 - i, 100) for i, s in enumerate(starts))


def train_with_checkpoint_of(tmp: Path, arch: str, ckpt: bytes | None = None) -> list[str]:
    """Train ``cnn`` into a folder whose last.pt comes from ``arch`` (or holds the bytes ``ckpt``)."""
    deepmotif_ok(tmp, *prepare_sheet(tmp, "X\tsynthetic\t\t\tMA0035.5\t\tK562\n"))
    small = json.dumps({"models": {"cnn": {"filters": 4}, "rnn": {"hidden": 4}}, "train": {"epochs": 1}})
    if ckpt is None:
        deepmotif_ok(tmp, "train", "--set", small, "--data", "out/data.npz", "--arch", arch, "--out-dir", "m",
                     "--quiet")
        (tmp / "m" / "best.pt").unlink()
        (tmp / "m" / "metrics.json").unlink()
    else:
        (tmp / "m").mkdir()
        (tmp / "m" / "last.pt").write_bytes(ckpt)
    return ["train", "--set", small, "--data", "out/data.npz", "--arch", "cnn", "--out-dir", "m", "--quiet"]


def write(path: Path, text: str) -> None:
    path.write_text(text)


def prepare_config(tmp: Path, yaml_text: str) -> list[str]:
    """`deepmotif prepare` with the config file c.yaml holding ``yaml_text``."""
    write(tmp / "c.yaml", yaml_text)
    return ["prepare", "--config", "c.yaml", "--tf", "X", "--out", "out/data.npz"]


def deepmotif_ok(tmp: Path, *args: str) -> None:
    proc = deepmotif(tmp, *args)
    assert proc.returncode == 0, proc.stderr[-2000:]


# id → builder(tmp) returning (argv, fragments the error line must contain). The ids are the cases listed in
# the closing note of issue #8.
CASES = {
    "fasta_sequence_before_header": lambda t: (
        prepare_fasta(t, SEQ + "\n" + fasta([(1, SEQ), (0, SEQ)])),
        ["train.fa, line 1", "sequence line before the first '>' header"]),
    "fasta_non_acgtn_letter": lambda t: (
        prepare_fasta(t, fasta([(1, SEQ), (0, "ACGU" + SEQ[4:])])),
        ["train.fa, line 4", "other than A, C, G, T, N"]),
    "fasta_wrong_length": lambda t: (
        prepare_fasta(t, fasta([(1, SEQ), (0, SEQ[:99])])),
        ["train.fa, line 3", "99 bp, expected 101"]),
    "fasta_empty": lambda t: (prepare_fasta(t, ""), ["train.fa", "no sequences found"]),
    "test_file_with_one_class": lambda t: (
        prepare_fasta(t, fasta([(1 - i % 2, random_seq(i)) for i in range(60)]), fasta([(0, SEQ)] * 5)),
        ["test.fa", "test set needs both classes, has 0 positives and 5 negatives"]),
    "sheet_duplicate_tf_name": lambda t: (
        prepare_sheet(t, "X\tsynthetic\t\t\tMA0035.5\t\tK562\nX\tsynthetic\t\t\tMA0496.4\t\tK562\n"),
        ["tfs.tsv, line 3, field 'name'", "duplicate TF name 'X' (first on line 2)"]),
    "sheet_unknown_jaspar_id": lambda t: (
        prepare_sheet(t, "X\tsynthetic\t\t\tMA9999.1\t\tK562\n"),
        ["tfs.tsv, line 2, field 'jaspar_id'", "'MA9999.1' is not in JASPAR2024"]),
    "sheet_unknown_jaspar_name": lambda t: (
        prepare_sheet(t, "X\tsynthetic\t\t\t\tNOSUCHTF\tK562\n"),
        ["tfs.tsv, line 2, field 'jaspar_name'", "no JASPAR motif named 'NOSUCHTF'"]),
    "sheet_unknown_source": lambda t: (
        prepare_sheet(t, "X\tsynthetc\t\t\tMA0035.5\t\tK562\n"),
        ["tfs.tsv, line 2, field 'source'", "synthetc"]),
    "sheet_missing_input_file": lambda t: (
        prepare_sheet(t, "X\tfasta\tnowhere.fa\t\tMA0035.5\t\tK562\n"),
        ["tfs.tsv, line 2, field 'train'", "nowhere.fa"]),
    "config_wrong_type": lambda t: (
        prepare_config(t, "tfs: tfs.tsv\ntrain:\n  epochs: ten\n"),
        ["c.yaml, line 3, field 'train.epochs'", "'ten' is not of type 'integer'"]),
    "config_unknown_key": lambda t: (
        prepare_config(t, "tfs: tfs.tsv\ndata:\n  seq_len: 101\n  seq_length: 100\n"),
        ["c.yaml, line 4, field 'data.seq_length'", "unknown key (allowed: "]),
    "config_unknown_per_architecture_option": lambda t: (
        prepare_config(t, "tfs: tfs.tsv\ntrain:\n  per_architecture:\n    rnn: {epoch: 30}\n"),
        ["c.yaml, line 4, field 'train.per_architecture.rnn.epoch'", "unknown key (allowed: batch_size, epochs"]),
    "config_bad_yaml": lambda t: (
        prepare_config(t, "tfs: tfs.tsv\ntrain: {epochs: 3\n"),
        ["c.yaml, line 3", "not valid YAML"]),
    "tf_not_in_sheet": lambda t: (
        prepare_sheet(t, "Y\tsynthetic\t\t\tMA0035.5\t\tK562\n"), ["tfs.tsv", "TF 'X' is not in the sheet (has: Y)"]),
    "set_not_json": lambda t: (
        ["prepare", "--set", "{tfs", "--tf", "X", "--out", "out/data.npz"], ["--set is not valid JSON"]),
    "narrowpeak_bad_field": lambda t: (
        prepare_encode(t, peaks_at("chr1", [1000]) + narrowpeak_line("chr1", 2000, "22x", 5.0, 100)),
        ["tf.narrowPeak, line 2, field 'chromEnd'", "chromEnd must be an integer"]),
    "narrowpeak_summit_outside_peak": lambda t: (
        prepare_encode(t, peaks_at("chr1", [1000]) + narrowpeak_line("chr1", 2000, 2200, 5.0, 500)),
        ["tf.narrowPeak, line 2, field 'peak'"]),
    "genome_missing_holdout_chromosome": lambda t: (
        prepare_encode(t, peaks_at("chr1", range(1000, 20000, 400)), holdout={"test": ["chr9"]}),
        ["field 'data.holdout.test'", "chr9 not in the genome"]),
    "zero_positives_after_filtering": lambda t: (
        prepare_encode(t, "".join(narrowpeak_line("chr1", 0, 100, 50.0 - i, 10 + i) for i in range(5))),
        ["tf.narrowPeak", "no peak window left after filtering", "'chrom_end': 5"]),
    "all_n_windows": lambda t: (
        prepare_encode(t, peaks_at("chr1", range(1000, 9000, 400)), n_blocks={"chr1": [(0, 10_000)]}),
        ["tf.narrowPeak", "no peak window left after filtering", "'too_many_n': 20"]),
    "checkpoint_of_other_architecture": lambda t: (
        train_with_checkpoint_of(t, "rnn"),
        ["m/last.pt", "checkpoint is of architecture 'rnn', expected 'cnn'"]),
    "checkpoint_corrupt": lambda t: (
        train_with_checkpoint_of(t, "cnn", b"PK\x03\x04 half a zip"),
        ["m/last.pt", "cannot resume from checkpoint"]),
    "output_folder_is_a_file": lambda t: (
        write(t / "out", "") or prepare_sheet(t, "X\tsynthetic\t\t\tMA0035.5\t\tK562\n"),
        ["out/data.npz", "cannot write output: out is a file, not a folder"]),
    "model_file_not_a_checkpoint": lambda t: (
        deepmotif_ok(t, *prepare_sheet(t, "X\tsynthetic\t\t\tMA0035.5\t\tK562\n")) or
        write(t / "best.pt", "weights") or
        ["interpret", "--data", "out/data.npz", "--model", "best.pt", "--out", "sal/saliency.npz"],
        ["best.pt", "not a usable deepmotif checkpoint"]),
    "metrics_file_not_json": lambda t: (
        write(t / "metrics.json", "{truncated") or
        ["auroc-table", "--metrics", "metrics.json", "--out", "tables/auroc.tsv"],
        ["metrics.json", "unreadable metrics file"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_line(tmp_path, case):
    argv, fragments = CASES[case](tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    check_one_line(deepmotif(tmp_path, *argv), argv[0], *fragments)
    new = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert not new, f"a failed command left files behind: {sorted(map(str, new))}"


def test_interrupted_download_leftovers_are_resumed_or_discarded(tmp_path):
    """Leftovers of a killed download — a partial file without metadata, garbage metadata, a hidden
    temporary of the output — never become the output: the download is redone, checksum-verified."""
    payload = b"chr1\t10\t20\n" * 5000
    (tmp_path / "src.bed").write_bytes(payload)
    partial = tmp_path / "partial"
    partial.mkdir()
    deepmotif_ok(tmp_path, "fetch", "--url", "src.bed", "--out", "dl/first.bed", "--partial-dir", "partial",
                 "--quiet")
    for p in partial.iterdir():  # corrupt every leftover the way a crash mid-write could
        p.write_bytes(b"\x00garbage" if p.suffix == ".json" else payload[:1000] + b"XXXX")
    (tmp_path / "dl" / ".second.bed.tmpXYZ.bed").write_bytes(b"half")
    deepmotif_ok(tmp_path, "fetch", "--url", "src.bed", "--out", "dl/second.bed", "--partial-dir", "partial",
                 "--quiet")
    assert (tmp_path / "dl" / "second.bed").read_bytes() == payload

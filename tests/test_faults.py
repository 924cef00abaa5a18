"""Faults a cluster run meets (#19): a full disk, a read-only file system or a folder nobody may write into
end a real ``deepmotif`` subcommand with exit status 2 and one line ``deepmotif <cmd>: error: <path>: <what
happened>; <what to do>``, and leave no file behind (no partial output, no hidden temporary).

The file systems are real: a small tmpfs (filled up, or remounted read-only) and an immutable folder
(``chattr +i``); each case is skipped with the reason where this machine does not allow it (not root, no
``mount``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_bad_input import check_one_line, deepmotif, prepare_sheet

ROW = "X\tsynthetic\t\t\tMA0035.5\t\tK562\n"


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True)


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m", read_only: bool = False):
    """A real tmpfs of ``size`` mounted at ``where`` (remounted read-only with ``read_only``)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        if read_only:
            assert _run("mount", "-o", "remount,ro", str(where)).returncode == 0
        yield where
    finally:
        _run("umount", "-l", str(where))


def fill(where: Path, leave: int = 8192) -> None:
    """Fill the file system of ``where`` up to ``leave`` free bytes."""
    free = os.statvfs(where).f_bavail * os.statvfs(where).f_frsize
    with open(where / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))
        with contextlib.suppress(OSError):
            f.flush()


def files_under(where: Path) -> set[str]:
    return {str(p.relative_to(where)) for p in where.rglob("*") if p.is_file()}


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    with tmpfs(tmp_path / "mnt", "256k") as mnt:
        fill(mnt)
        argv = prepare_sheet(tmp_path, ROW)
        argv[argv.index("--out") + 1] = str(mnt / "out" / "data.npz")
        proc = deepmotif(tmp_path, *argv)
        line = check_one_line(proc, "prepare", f"{mnt}/out/data.npz: cannot write: no space left on device; free space")
        assert "forcerun" not in line  # the output is what failed: no "redo the job that made it" hint
        assert files_under(mnt) == {"filler"}


def test_training_onto_a_full_disk_is_one_line_and_leaves_no_checkpoint(tmp_path):
    argv = prepare_sheet(tmp_path, ROW)
    assert deepmotif(tmp_path, *argv).returncode == 0
    small = json.dumps({"models": {"cnn": {"filters": 4}}, "train": {"epochs": 2}})
    with tmpfs(tmp_path / "mnt", "256k") as mnt:
        fill(mnt, leave=4096)
        proc = deepmotif(tmp_path, "train", "--set", small, "--data", "out/data.npz", "--arch", "cnn",
                         "--out-dir", str(mnt / "m"), "--quiet")
        check_one_line(proc, "train", f"{mnt}/m/last.pt: cannot write: no space left on device")
        assert files_under(mnt) == {"filler"}


def test_a_read_only_file_system_is_one_line_and_leaves_nothing(tmp_path):
    with tmpfs(tmp_path / "mnt", read_only=True) as mnt:
        argv = prepare_sheet(tmp_path, ROW)
        argv[argv.index("--out") + 1] = str(mnt / "data.npz")
        check_one_line(deepmotif(tmp_path, *argv), "prepare",
                       f"{mnt}/data.npz: cannot write: read-only file system; write the results to a writable")
        assert files_under(mnt) == set()


def test_a_folder_that_may_not_be_written_is_one_line_and_leaves_nothing(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    if _run("chattr", "+i", str(locked)).returncode != 0:
        pytest.skip("chattr +i is not available on this file system")
    try:
        (tmp_path / "t").mkdir()
        argv = prepare_sheet(tmp_path / "t", ROW)
        argv[argv.index("--out") + 1] = str(locked / "data.npz")
        check_one_line(deepmotif(tmp_path / "t", *argv), "prepare",
                       f"{locked}/data.npz: cannot write: operation not permitted; make the folder writable")
    finally:
        _run("chattr", "-i", str(locked))
    assert files_under(locked) == set()


def test_a_table_written_onto_a_full_disk_is_one_line(tmp_path):
    metrics = {"architecture": "cnn", "test_auroc": 0.9, "test_aupr": 0.9, "valid_auroc": 0.9}
    inputs = []
    for i in range(200):  # a table larger than the space left
        path = tmp_path / f"TF{i:03d}" / "cnn" / "metrics.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(metrics))
        inputs.append(str(path))
    with tmpfs(tmp_path / "mnt", "256k") as mnt:
        fill(mnt, leave=1024)
        proc = deepmotif(tmp_path, "auroc-table", "--metrics", *inputs, "--out", str(mnt / "auroc.tsv"))
        check_one_line(proc, "auroc-table", f"{mnt}/auroc.tsv: cannot write: no space left on device")
        assert files_under(mnt) == {"filler"}




def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def damage_middle(path: Path) -> None:
    """Overwrite bytes inside the first stored array (the zip directory stays intact: np.load opens it)."""
    data = bytearray(path.read_bytes())
    for i in range(200, 260):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _prepared(tmp: Path) -> Path:
    assert deepmotif(tmp, *prepare_sheet(tmp, ROW)).returncode == 0
    return tmp / "out" / "data.npz"


def _interpret_file(tmp: Path) -> Path:
    import numpy as np

    path = tmp / "res" / "X" / "cnn" / "interpret.npz"
    path.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez_compressed(path, filters_pwm=rng.dirichlet(np.ones(4), (64, 9)).transpose(0, 2, 1),
                        filters_index=np.arange(64), filters_nsites=np.full(64, 20))
    return path


DAMAGED = {
    # case: (make the intermediate file, damage it, command reading it, its rule)
    "data_truncated": (_prepared, truncate, lambda f: ["train", "--data", str(f), "--arch", "cnn", "--out-dir", "m"],
                       "prepare"),
    "data_damaged_inside": (_prepared, damage_middle,
                            lambda f: ["train", "--data", str(f), "--arch", "cnn", "--out-dir", "m"], "prepare"),
    "interpret_truncated": (_interpret_file, truncate,
                            lambda f: ["filter-motifs", "--tf", "X", "--arch", "cnn", "--interpret", str(f), "--out",
                                       "f.meme"], "interpret"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_intermediate_file_is_one_line_naming_it_and_its_rule(tmp_path, case):
    make, damage, command, rule = DAMAGED[case]
    path = make(tmp_path)
    damage(path)
    before = files_under(tmp_path)
    argv = command(path)
    line = check_one_line(deepmotif(tmp_path, *argv), argv[0], f"{path}: damaged or truncated file",
                          f"to redo it: snakemake --forcerun {path} (rule {rule})")
    assert "Traceback" not in line
    assert files_under(tmp_path) == before


def test_a_truncated_motif_file_and_metrics_file_name_their_rules(tmp_path):
    meme = tmp_path / "res" / "X" / "cnn" / "motifs.meme"
    meme.parent.mkdir(parents=True)
    meme.write_text("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n"
                    "A 0.25 C 0.25 G 0.25 T 0.25\n\nMOTIF X.cnn.saliency.m1 X\n"
                    "letter-probability matrix: alength= 4 w= 4 nsites= 20\n0.1 0.1 0.7 0.1\n0.7 0.1\n")
    check_one_line(deepmotif(tmp_path, "match", "--motifs", str(meme), "--jaspar", str(meme), "--hits", "h.tsv",
                             "--out", "o.tsv"), "match", f"{meme}, line 13", "(rule motifs)")
    metrics = tmp_path / "res" / "X" / "cnn" / "sizes" / "medium" / "metrics.json"
    metrics.parent.mkdir(parents=True)
    metrics.write_text('{"architecture": "cnn", "test_au')
    check_one_line(deepmotif(tmp_path, "auroc-table", "--metrics", str(metrics), "--out", "a.tsv"), "auroc-table",
                   f"{metrics}: unreadable metrics file", f"snakemake --forcerun {metrics} (rule train)")


def test_the_rules_named_for_intermediate_files_write_them():
    import re

    from deepmotif.io_utils import PRODUCERS

    rules_dir = Path(__file__).parents[1] / "workflow" / "rules"
    outputs = {}
    for smk in rules_dir.glob("*.smk"):
        text = smk.read_text()
        marks = list(re.finditer(r"^ *rule (\w+):\n", text, flags=re.M))  # indented: a rule under an `if`
        for mark, after in zip(marks, [*marks[1:], None]):
            body = text[mark.end():after.start() if after else len(text)]
            outputs[mark.group(1)] = body.split("output:", 1)[1].split("log:", 1)[0] if "output:" in body else ""
    named = {**PRODUCERS, "metrics.json": "train", "best.pt": "select_size", "pwm/metrics.json": "pwm_baseline"}
    for file, rule in named.items():
        assert rule in outputs, f"no rule {rule!r} in workflow/rules"
        if file != "last.pt":  # train's resumable state, in the folder of its declared outputs
            assert file in outputs[rule], f"rule {rule} does not write {file}"


# ---------------------------------------------------------------------------------------- concurrent writers


def _record(out: Path) -> dict | None:
    path = out.parent / "provenance" / f"{out.name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_a_run_whose_output_another_replaced_leaves_the_others_record(tmp_path, monkeypatch):
    """Two users re-run one job by hand: A writes the output, B (a real second process) writes it again and
    finishes, then A finishes. The output and its record are B's: A does not put its record on B's file."""
    from deepmotif import provenance
    from deepmotif.io_utils import write_text
    from deepmotif.outputs import forget_outputs

    monkeypatch.chdir(tmp_path)
    Path("b.tsv").write_text("x\nb\n")
    out = Path("out/table.tsv")
    forget_outputs()
    write_text(out, "x\na\n")  # run A's write
    other = deepmotif(tmp_path, "concat-tables", "--tables", "b.tsv", "--out", str(out))
    assert other.returncode == 0, other.stderr
    assert provenance.write_provenance("concat-tables", ["run-a"], None, provenance.now()) == []
    assert out.read_text() == "x\nb\n" and "b.tsv" in _record(out)["argv"]


def test_an_output_replaced_by_a_failed_run_keeps_no_stale_record(tmp_path, monkeypatch):
    """A record describes the file beside it or is absent: a run that replaces an output and then fails
    removes the record of the file it replaced."""
    from deepmotif.io_utils import write_text

    monkeypatch.chdir(tmp_path)
    Path("a.tsv").write_text("x\na\n")
    out = Path("out/table.tsv")
    assert deepmotif(tmp_path, "concat-tables", "--tables", "a.tsv", "--out", str(out)).returncode == 0
    assert "a.tsv" in _record(out)["argv"]
    write_text(out, "x\nlater\n")  # another run's write; it fails before its records
    assert _record(out) is None


def test_two_commands_writing_one_output_at_once_end_with_one_consistent_pair(tmp_path):
    """Real processes racing: each round starts two ``deepmotif concat-tables`` onto the same output at the
    same moment; afterwards the output is one run's table whole and its record names that run's input."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.tsv").write_text("x\n" + "\n".join([name] * 20000) + "\n")
    out = tmp_path / "out" / "table.tsv"
    for _ in range(4):
        procs = [subprocess.Popen([sys.executable, "-m", "deepmotif.cli", "concat-tables", "--tables",
                                   f"{name}.tsv", "--out", "out/table.tsv"], cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for name in ("a", "b")]
        assert [p.wait() for p in procs] == [0, 0], [p.stderr.read() for p in procs]
        rows = set(out.read_text().split()[1:])
        assert len(rows) == 1, "the output interleaves two runs"
        (winner,) = rows
        assert f"{winner}.tsv" in _record(out)["argv"]
        assert not [p for p in out.parent.rglob(".*")], "temporary files left"

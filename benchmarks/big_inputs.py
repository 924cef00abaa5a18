"""Time and peak memory of ``deepmotif prepare`` against the size of its input: ENCODE narrowPeak files of
100k, 300k and 1M lines (cut from a generated genome) and DeepBind ``_AC`` files of 50k, 150k and 500k
sequences.

Every input is generated in a temporary folder: a random genome (``--genome-mb`` Mb in 24 chromosomes,
with its ``.fai``), narrowPeak lines at random positions (summit, signal and p-values drawn at random),
DeepBind ``FoldID EventID seq Bound`` rows of random 101-bp sequences. Each ``prepare`` runs in its own
process (its peak RSS, ``VmHWM``, is its own) with the package defaults (every window kept, shuffled
negatives, DeepBind split for ``encode``). Printed per run: wall time, peak RSS, both as a ratio to the
smallest run of its kind, and the progress lines ``prepare`` wrote. Goal (issue #19): 1M lines and 500k
sequences within 4 GB peak RSS, growth no worse than linear.

Run from the repository root::

    .venv/bin/python benchmarks/big_inputs.py [--peaks 100000 300000 1000000] [--ac 50000 150000 500000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_windows import make_fasta, peak_rss_mb  # noqa: E402

LENGTH = 101
SHEET = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"


def write_peaks(path: Path, sizes: dict[str, int], n: int, seed: int = 0) -> None:
    """``n`` narrowPeak lines (gzip) at random positions of the genome."""
    rng = np.random.default_rng(seed)
    names = np.array(list(sizes))
    lens = np.array([sizes[c] for c in names], dtype=np.float64)
    chrom = names[rng.choice(len(names), size=n, p=lens / lens.sum())]
    width = rng.integers(150, 600, size=n)
    chrom_len = np.array([sizes[c] for c in chrom], dtype=np.int64)
    start = (rng.random(n) * (chrom_len - width - 1)).astype(np.int64)
    peak = (rng.random(n) * width).astype(np.int64)
    signal, p = rng.gamma(2.0, 20.0, size=n), rng.gamma(2.0, 50.0, size=n)
    with gzip.open(path, "wt", compresslevel=1) as fh:
        for i in range(0, n, 100_000):
            s = slice(i, i + 100_000)
            fh.write("".join(f"{c}\t{a}\t{a + w}\tpeak{j}\t1000\t.\t{g:.3f}\t{q:.3f}\t-1\t{o}\n"
                             for j, (c, a, w, g, q, o) in enumerate(zip(chrom[s], start[s], width[s], signal[s],
                                                                        p[s], peak[s]), start=i)))


def write_ac(path: Path, n: int, seed: int = 0) -> None:
    """A DeepBind ``_AC.seq.gz`` file of ``n`` random sequences, labels alternating."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with gzip.open(path, "wt", compresslevel=1) as fh:
        fh.write("FoldID\tEventID\tseq\tBound\n")
        for i in range(0, n, 50_000):
            m = min(50_000, n - i)
            seqs = letters[rng.integers(0, 4, size=(m, LENGTH))]
            fh.write("".join(f"A\tseq_{i + j}\t{row.tobytes().decode()}\t{(i + j) % 2}\n"
                             for j, row in enumerate(seqs)))


def run(work: Path, tf: str, row: dict, *extra: str) -> dict:
    """``deepmotif prepare`` of one row in a child process; wall time, peak RSS and its progress lines."""
    settings = {"tfs": str(work / "tfs.tsv"), "data": {"seq_len": LENGTH}}
    cmd = [sys.executable, __file__, "--worker", "prepare", "--set", json.dumps(settings), "--tf", tf,
           "--row", json.dumps(row), "--out", str(work / f"{tf}.npz"), *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"prepare {tf} failed:\n{proc.stderr[-3000:]}")
    rss = json.loads(proc.stdout.strip().splitlines()[-1])["rss_mb"]
    (work / f"{tf}.npz").unlink()
    progress = proc.stderr.splitlines()  # the progress lines, then the summary line
    return {"wall_s": wall, "rss_mb": rss, "progress": progress}


def table(kind: str, runs: list[tuple[int, dict]]) -> None:
    base_n, base = runs[0]
    print(f"\n{kind:<16} {'wall s':>8} {'ratio':>6} {'peak RSS MB':>12} {'ratio':>6}  (ratios to {base_n:,})")
    for n, r in runs:
        print(f"{n:>16,} {r['wall_s']:8.1f} {r['wall_s'] / base['wall_s']:6.2f} {r['rss_mb']:12.0f} "
              f"{r['rss_mb'] / base['rss_mb']:6.2f}")
    n, r = runs[-1]
    print(f"standard error of the {n:,} run:" + "".join(f"\n  {line}" for line in r["progress"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peaks", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--ac", type=int, nargs="*", default=[50_000, 150_000, 500_000])
    ap.add_argument("--genome-mb", type=float, default=300.0, help="generated genome size (default 300 Mb)")
    ap.add_argument("--dir", default=None, help="folder for the inputs (default: the system temp folder)")
    a = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="big_inputs_", dir=a.dir))
    try:
        (work / "tfs.tsv").write_text(SHEET)
        results = []
        if a.peaks:
            sizes = make_fasta(work / "genome.fa", a.genome_mb * 1e6)
            runs = []
            for n in a.peaks:
                peaks = work / f"peaks_{n}.narrowPeak.gz"
                write_peaks(peaks, sizes, n)
                row = {"name": f"P{n}", "source": "encode", "jaspar_id": "", "jaspar_name": ""}
                runs.append((n, run(work, f"P{n}", row, "--genome", str(work / "genome.fa"), "--peaks", str(peaks))))
                peaks.unlink()
            results.append(("narrowPeak lines", runs))
        if a.ac:
            runs = []
            for n in a.ac:
                ac = work / f"ac_{n}.seq.gz"
                write_ac(ac, n)
                row = {"name": f"A{n}", "source": "deepbind", "train": str(ac), "test": "", "jaspar_id": "",
                       "jaspar_name": ""}
                runs.append((n, run(work, f"A{n}", row)))
                ac.unlink()
            results.append(("_AC sequences", runs))
        for kind, runs in results:
            table(kind, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def worker(argv: list[str]) -> None:
    """In the child: ``deepmotif prepare ARGV``, then this process's peak RSS as JSON on stdout."""
    from deepmotif.cli import main as cli

    code = cli(["prepare", *argv])
    print(json.dumps({"rss_mb": peak_rss_mb()}))
    sys.exit(code)


if __name__ == "__main__":
    if sys.argv[1:3] == ["--worker", "prepare"]:
        worker(sys.argv[3:])
    else:
        main()

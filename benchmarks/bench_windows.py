"""Speed and memory of window extraction: 100,000 summit windows from a genome-sized FASTA.

Makes a FASTA on the fly (default: 24 chromosomes with hg19's relative sizes, 3.1 Gb in all, 60 bp lines,
written with its ``.fai``) in a temporary folder, draws random windows, and reads them with

* ``ours``: ``deepmotif.data.windows.extract`` (pyfaidx, one seek per window in genome order, streaming);
* ``scan``: a plain Python reference: read the FASTA line by line, join each chromosome into one string,
  slice that chromosome's windows out of it, drop it.

Each runs in its own process, so its peak RSS (``VmHWM``) is its own; both outputs are compared. By
default the FASTA is evicted from the page cache (``posix_fadvise(DONTNEED)``) before each run, so both read
from disk (``--warm`` keeps it cached). Goal (issue #4): ours within 30 s and 1 GB RSS.

Run from the repository root::

    .venv/bin/python benchmarks/bench_windows.py [--size 3.1e9] [--n 100000] [--length 101] [--dir /tmp]

The FASTA needs ``--size`` bytes of free disk (plus 2 %); with less, the size is reduced to fit and the
size used is printed. ``--keep`` leaves the FASTA for another run (``--fasta PATH`` reuses one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

try:
    import deepmotif  # noqa: F401
except ImportError:  # not pip-installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

# hg19 chr1..22, X, Y lengths (Mb, rounded): only their proportions are used.
HG19_MB = [249.3, 243.2, 198.0, 191.2, 180.9, 171.1, 159.1, 146.4, 141.2, 135.5, 135.0, 133.9, 115.2, 107.3,
           102.5, 90.4, 81.2, 78.1, 59.1, 63.0, 48.1, 51.3, 155.3, 59.4]
WIDTH = 60


def make_fasta(path: Path, total: float, n_chrom: int = 24, seed: int = 0) -> dict[str, int]:
    """Write a random FASTA of about ``total`` bases (``n_chrom`` chromosomes) and its ``.fai``."""
    weights = np.array((HG19_MB * (n_chrom // len(HG19_MB) + 1))[:n_chrom])
    sizes = {f"chr{i + 1}": int(total * w / weights.sum()) for i, w in enumerate(weights)}
    rng = np.random.default_rng(seed)
    # A 32 Mb pool of random bases (with some N runs), cut at random offsets: random enough for extraction,
    # and fast to write.
    pool = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=1 << 25)]
    for s in rng.integers(0, len(pool) - 5000, size=20):
        pool[s:s + 5000] = ord("N")
    fai = []
    with open(path, "wb") as fh:
        for name, size in sizes.items():
            header = f">{name}\n".encode()
            fh.write(header)
            fai.append(f"{name}\t{size}\t{fh.tell()}\t{WIDTH}\t{WIDTH + 1}\n")
            done = 0
            block = (1 << 24) // WIDTH * WIDTH  # bases per write, whole lines
            while done < size:
                n = min(block, size - done)
                start = int(rng.integers(0, len(pool) - n))
                seq = pool[start:start + n]
                full = n // WIDTH
                lines = np.empty((full, WIDTH + 1), dtype=np.uint8)
                lines[:, :WIDTH] = seq[:full * WIDTH].reshape(full, WIDTH)
                lines[:, WIDTH] = ord("\n")
                fh.write(lines.tobytes())
                if n % WIDTH:
                    fh.write(seq[full * WIDTH:].tobytes() + b"\n")
                done += n
    Path(str(path) + ".fai").write_text("".join(fai))
    return sizes


def random_windows(sizes: dict[str, int], n: int, length: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    names = np.array(list(sizes))
    lens = np.array([sizes[c] for c in names], dtype=np.float64)
    chrom = names[rng.choice(len(names), size=n, p=lens / lens.sum())]
    start = np.array([rng.integers(0, sizes[c] - length) for c in chrom], dtype=np.int64)
    return chrom, start


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB: VmHWM (Linux), else ru_maxrss. (ru_maxrss alone would
    report the parent's peak: Linux keeps it across fork and exec.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


def evict(path: Path) -> bool:
    """Drop ``path`` from the page cache (a hint to the kernel for this file only)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


# --- workers (run in a child process each) ----------------------------------------------------------------

def worker_ours(fasta: str, windows: str, length: int) -> np.ndarray:
    from deepmotif.data.windows import extract

    with np.load(windows) as w:
        chrom, start = w["chrom"], w["start"]
    return extract(fasta, chrom, start, start + length)


def worker_scan(fasta: str, windows: str, length: int) -> np.ndarray:
    """Plain Python: scan the FASTA once, one chromosome string at a time."""
    from deepmotif.data.onehot import to_codes

    with np.load(windows) as w:
        chrom, start = w["chrom"], w["start"]
    wanted: dict[str, list[int]] = {}
    for i, c in enumerate(chrom.tolist()):
        wanted.setdefault(c, []).append(i)
    out = [""] * len(chrom)

    def flush(name, lines):
        if name in wanted:
            seq = "".join(lines)
            for i in wanted[name]:
                out[i] = seq[start[i]:start[i] + length]

    name, lines = None, []
    with open(fasta) as fh:
        for line in fh:
            if line.startswith(">"):
                flush(name, lines)
                name, lines = line[1:].split()[0], []
            else:
                lines.append(line.rstrip("\n"))
    flush(name, lines)
    return to_codes(out)


def run_worker(method: str, fasta: Path, windows: Path, length: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--fasta", str(fasta), "--windows", str(windows),
           "--length", str(length)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{method} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=3.1e9, help="genome size in bases (default 3.1e9)")
    ap.add_argument("--chromosomes", type=int, default=24)
    ap.add_argument("--n", type=int, default=100_000, help="windows to extract")
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--dir", default=None, help="folder for the FASTA (default: the system temp folder)")
    ap.add_argument("--fasta", default=None, help="reuse this FASTA (with .fai) instead of making one")
    ap.add_argument("--keep", action="store_true", help="keep the generated FASTA")
    ap.add_argument("--warm", action="store_true", help="leave the FASTA in the page cache between runs")
    ap.add_argument("--skip-scan", action="store_true", help="time only our extraction")
    ap.add_argument("--worker", choices=("ours", "scan"), help=argparse.SUPPRESS)
    ap.add_argument("--windows", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.worker:
        t0 = time.perf_counter()
        codes = (worker_ours if a.worker == "ours" else worker_scan)(a.fasta, a.windows, a.length)
        wall = time.perf_counter() - t0
        rss_mb = peak_rss_mb()
        print(json.dumps({"wall_s": wall, "rss_mb": rss_mb, "n": len(codes),
                          "digest": hashlib.sha256(codes.tobytes()).hexdigest()}))
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench_windows_", dir=a.dir))
    try:
        if a.fasta:
            fasta = Path(a.fasta)
            from deepmotif.data.genome import read_sizes

            sizes = read_sizes(str(fasta) + ".fai")
        else:
            free = shutil.disk_usage(tmp).free
            size = a.size
            if size * 1.02 + 1e8 > free:
                size = max((free - 1e8) / 1.02 * 0.9, 1e7)
                print(f"only {free / 1e9:.1f} GB free in {tmp}: genome reduced to {size / 1e9:.2f} Gb")
            fasta = tmp / "genome.fa"
            t0 = time.perf_counter()
            sizes = make_fasta(fasta, size, a.chromosomes)
            print(f"made {fasta}: {len(sizes)} chromosomes, {sum(sizes.values()) / 1e9:.3f} Gb, "
                  f"{fasta.stat().st_size / 1e9:.2f} GB on disk, in {time.perf_counter() - t0:.0f} s")
        chrom, start = random_windows(sizes, a.n, a.length)
        windows = tmp / "windows.npz"
        np.savez(windows, chrom=chrom, start=start)
        results = {}
        for method in ("ours",) if a.skip_scan else ("ours", "scan"):
            cold = not a.warm and evict(fasta)
            results[method] = run_worker(method, fasta, windows, a.length)
            r = results[method]
            print(f"{method:5s} {r['n']:,} windows of {a.length} bp: {r['wall_s']:7.2f} s, peak RSS "
                  f"{r['rss_mb']:7.0f} MB ({'cold' if cold else 'warm'} page cache)")
        ours = results["ours"]
        if "scan" in results:
            scan = results["scan"]
            same = "identical" if ours["digest"] == scan["digest"] else "DIFFERENT"
            print(f"ratio scan/ours: time {scan['wall_s'] / ours['wall_s']:.1f}x, RSS "
                  f"{scan['rss_mb'] / ours['rss_mb']:.1f}x; outputs {same}")
        ok = ours["wall_s"] <= 30 and ours["rss_mb"] <= 1024
        print(f"goal (<= 30 s, <= 1 GB RSS) for {sum(sizes.values()) / 1e9:.2f} Gb: {'met' if ok else 'NOT met'}")
    finally:
        if a.keep and not a.fasta:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

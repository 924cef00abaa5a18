"""GC-matched genomic background negatives: for each positive window, one window of the same chromosome whose
G+C share is as close as possible, overlapping no peak, no positive window, no blacklisted region and no
other negative.

Candidates are whole tiles of a grid with a random phase laid over each chromosome (so candidates never
overlap each other); ``pool`` times as many tiles as the chromosome has positives are drawn and read through
pyfaidx, and each positive (in random order) takes the unused candidate nearest in GC. A negative lies on its
positive's chromosome, so a chromosome hold-out split keeps every pair on one side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif.data.windows import extract, gc_fraction, n_fraction, open_fasta, overlaps
from deepmotif.errors import InputError


def _nearest_unused(values: np.ndarray, targets: np.ndarray, order: np.ndarray) -> np.ndarray:
    """For each target (visited in ``order``) the index of the nearest not yet taken value (values sorted).

    Free slots are found with path-compressed "next free to the left/right" pointers, so ties and runs of
    taken values cost amortised O(1)."""
    n = len(values)
    right = np.arange(n + 1)  # right[i]: smallest free index >= i (n = none)
    left = np.arange(-1, n)   # left[i + 1]: largest free index <= i (-1 = none)

    def find_right(i):
        root = i
        while right[root] != root:
            root = right[root]
        while right[i] != root:
            right[i], i = root, right[i]
        return root

    def find_left(i):  # i in -1..n-1, stored at left[i + 1]
        root = i
        while root >= 0 and left[root + 1] != root:
            root = left[root + 1]
        while i >= 0 and left[i + 1] != root:
            left[i + 1], i = root, left[i + 1]
        return root

    out = np.empty(len(targets), dtype=np.int64)
    for k in order.tolist():
        i = int(np.searchsorted(values, targets[k]))
        r, l_ = find_right(i), find_left(i - 1)
        if r < n and (l_ < 0 or values[r] - targets[k] <= targets[k] - values[l_]):
            pick = r
        else:
            pick = l_
        out[k] = pick
        right[pick] = pick + 1
        left[pick + 1] = pick - 1
    return out


def background_windows(fasta, sizes: dict[str, int], chroms, gc, length: int, exclude: dict,
                       max_n_fraction: float = 0.0, pool: int = 10, gc_tolerance: float = 0.02,
                       random_state=0) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """One GC-matched background window per positive, on the positive's chromosome.

    Parameters
    ----------
    fasta : str, Path or pyfaidx.Faidx
        Indexed genome FASTA.
    sizes : dict
        Contig lengths.
    chroms : array-like of str
        Chromosome of each positive.
    gc : array-like of float
        G+C share of each positive (see :func:`deepmotif.data.windows.gc_fraction`).
    length : int
        Window length.
    exclude : dict
        Merged intervals per contig a negative must not overlap: every peak, every positive window and the
        blacklist (see :func:`deepmotif.data.windows.merge_intervals`).
    max_n_fraction : float
        Candidates with a larger share of N are not used.
    pool : int
        Candidates drawn per positive (fewer where the chromosome has fewer free tiles).
    gc_tolerance : float
        A match further off than this is still used, and counted in the report.
    random_state : int or numpy.random.Generator

    Returns
    -------
    table : pandas.DataFrame
        ``chrom``, ``start``, ``end``, ``gc`` per negative, rows matching the positives.
    codes : numpy.ndarray
        (n, length) uint8.
    report : dict
        ``mean_abs_gc_diff``, ``beyond_tolerance`` (count), ``gc_tolerance``, ``pool``.
    """
    if pool < 1:
        raise InputError(f"pool must be >= 1, got {pool}", field="data.background.pool")
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    fa = open_fasta(fasta) if not hasattr(fasta, "from_file") else fasta
    chroms = np.asarray(chroms).astype(str)
    gc = np.asarray(gc, dtype=np.float64)
    n = len(chroms)
    out_start = np.zeros(n, dtype=np.int64)
    out_gc = np.zeros(n)
    out_codes = np.zeros((n, length), dtype=np.uint8)
    for chrom in sorted(set(chroms.tolist())):
        rows = np.flatnonzero(chroms == chrom)
        size = int(sizes[chrom])
        phase = int(rng.integers(0, length))
        tiles = phase + length * np.arange(max((size - phase) // length, 0), dtype=np.int64)
        tiles = tiles[~overlaps(np.full(len(tiles), chrom), tiles, tiles + length, exclude)]
        take = min(len(tiles), pool * len(rows))
        cand = np.sort(rng.choice(tiles, size=take, replace=False)) if take else tiles[:0]
        codes = extract(fa, np.full(len(cand), chrom), cand, cand + length) if take else \
            np.zeros((0, length), dtype=np.uint8)
        ok = n_fraction(codes) <= max_n_fraction if take else np.zeros(0, dtype=bool)
        cand, codes = cand[ok], codes[ok]
        if len(cand) < len(rows):
            raise InputError(f"{chrom} has only {len(cand)} usable background windows for {len(rows)} positives "
                             "(free of peaks, blacklist and N); use data.negatives: shuffle or lower "
                             "data.windows.top_n", field="data.negatives")
        cgc = gc_fraction(codes)
        by_gc = np.argsort(cgc, kind="stable")
        pick = by_gc[_nearest_unused(cgc[by_gc], gc[rows], rng.permutation(len(rows)))]
        out_start[rows], out_gc[rows], out_codes[rows] = cand[pick], cgc[pick], codes[pick]
    diff = np.abs(out_gc - gc)
    table = pd.DataFrame({"chrom": chroms, "start": out_start, "end": out_start + length, "gc": out_gc})
    report = {"pool": int(pool), "gc_tolerance": float(gc_tolerance),
              "mean_abs_gc_diff": float(diff.mean()) if n else 0.0,
              "beyond_tolerance": int((diff > gc_tolerance + 1e-12).sum())}
    return table, out_codes, report

"""Peak summits → fixed-length genome windows: ranking, filters with a count per reason, and extraction.

A window of length L around summit s covers ``[s - L//2, s - L//2 + L)`` (0-based, half-open), so the summit
is its base ``L//2`` — the centre for odd L. Windows are read through pyfaidx one at a time, in genome order,
from an indexed plain FASTA: memory holds the windows, never a chromosome.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx

from deepmotif.data.onehot import _CODE
from deepmotif.errors import InputError

RANK_BY = ("signalValue", "pValue", "qValue")
# Reasons a window is dropped, in the order they are checked; each window counts under its first reason.
DROP_REASONS = ("excluded_contig", "chrom_end", "blacklist", "duplicate", "too_many_n", "beyond_top_n")


def summits(starts, ends, offsets) -> np.ndarray:
    """Summit coordinate of each peak: ``chromStart + peak``, or the peak's centre where ``peak`` is -1.

    Parameters
    ----------
    starts, ends, offsets : array-like of int
        narrowPeak chromStart, chromEnd and peak (0-based offset from chromStart, -1 = not called).

    Returns
    -------
    numpy.ndarray
        (n,) int64 0-based summit positions.
    """
    starts, ends, offsets = (np.asarray(a, dtype=np.int64) for a in (starts, ends, offsets))
    return np.where(offsets >= 0, starts + offsets, (starts + ends) // 2)


def window_bounds(summit, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``(start, end)`` of the ``length``-bp window whose base ``length // 2`` is the summit."""
    if length < 1:
        raise ValueError(f"window length must be >= 1, got {length}")
    start = np.asarray(summit, dtype=np.int64) - length // 2
    return start, start + length


def rank_order(values, ascending: bool = False) -> np.ndarray:
    """Indices that sort ``values`` strongest first; ties keep file order (stable sort)."""
    values = np.asarray(values, dtype=np.float64)
    return np.argsort(values if ascending else -values, kind="stable")


def read_intervals(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read a BED file (gzip or plain; e.g. the ENCODE blacklist) into merged, sorted intervals per contig.

    Returns
    -------
    dict
        contig → (starts, ends), int64 arrays of non-overlapping intervals sorted by start.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("BED file not found", path=path)
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    per: dict[str, list[tuple[int, int]]] = {}
    with (gzip.open(path, "rt") if gz else open(path, "rt")) as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip() or raw.startswith(("#", "track", "browser")):
                continue
            cols = raw.rstrip("\r\n").split("\t")
            if len(cols) < 3:
                raise InputError(f"expected at least 3 tab-separated BED columns, found {len(cols)}", path=path,
                                 line=n)
            try:
                start, end = int(cols[1]), int(cols[2])
            except ValueError:
                raise InputError("chromStart and chromEnd must be integers", path=path, line=n) from None
            if start < 0 or end < start:
                raise InputError(f"bad interval {start}-{end}", path=path, line=n)
            per.setdefault(cols[0], []).append((start, end))
    return {chrom: merge_intervals(*np.asarray(iv, dtype=np.int64).T) for chrom, iv in per.items()}


def merge_intervals(starts, ends) -> tuple[np.ndarray, np.ndarray]:
    """Sort and merge overlapping or touching half-open intervals."""
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    if starts.size == 0:
        return starts.copy(), ends.copy()
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    run_end = np.maximum.accumulate(ends)
    new = np.ones(len(starts), dtype=bool)
    new[1:] = starts[1:] > run_end[:-1]
    idx = np.flatnonzero(new)
    return starts[idx], np.maximum.reduceat(ends, idx)


def overlaps(chroms, starts, ends, intervals: dict) -> np.ndarray:
    """Whether each half-open window ``[start, end)`` overlaps any of ``intervals`` (see :func:`read_intervals`)."""
    chroms = np.asarray(chroms)
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    hit = np.zeros(len(chroms), dtype=bool)
    for chrom in np.unique(chroms):
        if chrom not in intervals:
            continue
        rows = np.flatnonzero(chroms == chrom)
        s, e = intervals[chrom]
        j = np.searchsorted(s, ends[rows], side="left") - 1  # last interval starting before the window ends
        ok = j >= 0
        hit[rows[ok]] = e[j[ok]] > starts[rows[ok]]
    return hit


def open_fasta(path: str | Path) -> pyfaidx.Faidx:
    """An indexed FASTA for random access (builds ``<path>.fai`` if missing)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("genome FASTA not found", path=path)
    try:
        return pyfaidx.Faidx(str(path), as_raw=True, strict_bounds=True, rebuild=False,
                             sequence_always_upper=False)
    except (pyfaidx.FastaIndexingError, pyfaidx.FetchError, ValueError) as err:
        raise InputError(f"cannot index FASTA: {err}", path=path) from None


def extract(fasta: str | Path | pyfaidx.Faidx, chroms, starts, ends, strands=None) -> np.ndarray:
    """Read windows from an indexed FASTA as integer codes (A=0, C=1, G=2, T=3, anything else 4).

    Parameters
    ----------
    fasta : str, Path or pyfaidx.Faidx
        Indexed FASTA (see :func:`open_fasta`).
    chroms, starts, ends : array-like
        Half-open 0-based windows, all of one length, inside their contig.
    strands : array-like of str, optional
        ``-`` windows are reverse-complemented (like ``bedtools getfasta -s``); ``+``/``.`` are not.

    Returns
    -------
    numpy.ndarray
        (n, L) uint8 codes, rows in input order. Windows are read in genome order (one seek each); the file
        is never loaded whole.
    """
    fa = fasta if isinstance(fasta, pyfaidx.Faidx) else open_fasta(fasta)
    chroms = np.asarray(chroms)
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    n = len(starts)
    if n == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    lengths = ends - starts
    length = int(lengths[0])
    if (lengths != length).any() or length < 1:
        raise ValueError("all windows must have the same positive length")
    order = np.lexsort((starts, chroms))
    parts = [None] * n
    fetch = fa.from_file
    try:
        for i in order.tolist():
            parts[i] = fetch(chroms[i], int(starts[i]) + 1, int(ends[i]))
    except (pyfaidx.FetchError, KeyError) as err:
        raise InputError(f"cannot read window {chroms[i]}:{starts[i]}-{ends[i]}: {err}",
                         path=getattr(fa, "filename", None)) from None
    buf = "".join(parts).encode("ascii", errors="replace")
    if len(buf) != n * length:
        raise InputError("a window runs past the end of its contig", path=getattr(fa, "filename", None))
    codes = _CODE[np.frombuffer(buf, dtype=np.uint8)].reshape(n, length)
    if strands is not None:
        minus = np.asarray(strands) == "-"
        if minus.any():
            codes[minus] = reverse_complement(codes[minus])
    return codes


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of (n, L) codes; N (4) stays N."""
    codes = np.asarray(codes, dtype=np.uint8)
    comp = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
    return comp[codes[:, ::-1]]


def n_fraction(codes: np.ndarray) -> np.ndarray:
    """Share of non-ACGT bases per row of (n, L) codes."""
    codes = np.asarray(codes)
    return (codes == 4).mean(axis=1) if codes.size else np.zeros(len(codes))


def gc_fraction(codes: np.ndarray) -> np.ndarray:
    """G+C share of the A/C/G/T bases of each row (N left out); 0.5 for a row of only N."""
    codes = np.asarray(codes)
    gc = ((codes == 1) | (codes == 2)).sum(axis=1)
    acgt = (codes < 4).sum(axis=1)
    return np.where(acgt > 0, gc / np.maximum(acgt, 1), 0.5)


def select_windows(peaks: pd.DataFrame, fasta: str | Path | pyfaidx.Faidx, length: int, sizes: dict[str, int],
                   top_n: int | None = None, max_n_fraction: float = 0.0, blacklist: dict | None = None,
                   rank_by: str = "signalValue") -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Summit windows of the strongest usable peaks, with a count of every window dropped and why.

    Parameters
    ----------
    peaks : pandas.DataFrame
        From :func:`deepmotif.data.peaks.read_narrowpeak`.
    fasta : str, Path or pyfaidx.Faidx
        Indexed genome FASTA.
    length : int
        Window length (config ``data.seq_len``).
    sizes : dict
        Length of every contig in ``fasta``; peaks on other contigs are dropped (``excluded_contig``).
    top_n : int, optional
        Keep at most this many windows (the strongest) after the other filters; None keeps all.
    max_n_fraction : float
        Drop windows whose share of N (non-ACGT) bases exceeds this (``too_many_n``); 0 drops any N.
    blacklist : dict, optional
        Intervals (see :func:`read_intervals`); overlapping windows are dropped (``blacklist``).
    rank_by : {"signalValue", "pValue", "qValue"}
        Column ranking the peaks, largest first (ties in file order).

    Returns
    -------
    table : pandas.DataFrame
        Kept windows strongest first: ``chrom``, ``start``, ``end`` (window), ``summit``, ``strand``,
        ``score`` (the ``rank_by`` value), ``line`` (in the peak file) and ``rank`` (1 = strongest kept).
    codes : numpy.ndarray
        (n, length) uint8 codes, rows as in ``table``; ``-``-strand peaks reverse-complemented.
    qc : dict
        ``peaks`` (rows in), ``dropped`` (count per reason in :data:`DROP_REASONS`), ``windows`` (kept).
    """
    if rank_by not in RANK_BY:
        raise InputError(f"rank_by must be one of {', '.join(RANK_BY)}, got {rank_by!r}",
                         field="data.windows.rank_by")
    if not 0.0 <= max_n_fraction <= 1.0:
        raise InputError(f"max_n_fraction must be in [0, 1], got {max_n_fraction}",
                         field="data.windows.max_n_fraction")
    if top_n is not None and top_n < 1:
        raise InputError(f"top_n must be >= 1 or null, got {top_n}", field="data.windows.top_n")
    order = rank_order(peaks[rank_by].to_numpy())
    p = peaks.iloc[order].reset_index(drop=True)
    chrom = p["chrom"].to_numpy().astype(str)
    summit = summits(p["chromStart"], p["chromEnd"], p["peak"])
    start, end = window_bounds(summit, length)
    reason = np.full(len(p), -1, dtype=np.int64)

    def drop(mask, name):
        reason[(reason < 0) & mask] = DROP_REASONS.index(name)

    drop(~np.isin(chrom, list(sizes)), "excluded_contig")
    size = np.array([sizes.get(c, 0) for c in chrom], dtype=np.int64)
    drop((start < 0) | (end > size), "chrom_end")
    if blacklist:
        drop(overlaps(chrom, start, end, blacklist), "blacklist")
    live = reason < 0
    # Same window twice (e.g. two summits called at one position, or one on each strand): keep the
    # stronger, so no sequence can sit in two splits.
    key = pd.Series(chrom).str.cat(pd.Series(start).astype(str), sep=":")
    drop(live & key.duplicated(keep="first").to_numpy(), "duplicate")
    live = np.flatnonzero(reason < 0)
    codes = extract(fasta, chrom[live], start[live], end[live], p["strand"].to_numpy()[live])
    too_n = n_fraction(codes) > max_n_fraction
    reason[live[too_n]] = DROP_REASONS.index("too_many_n")
    live, codes = live[~too_n], codes[~too_n]
    if top_n is not None and len(live) > top_n:
        reason[live[top_n:]] = DROP_REASONS.index("beyond_top_n")
        live, codes = live[:top_n], codes[:top_n]
    table = pd.DataFrame({"chrom": chrom[live], "start": start[live], "end": end[live], "summit": summit[live],
                          "strand": p["strand"].to_numpy()[live], "score": p[rank_by].to_numpy()[live],
                          "line": p["line"].to_numpy()[live], "rank": np.arange(1, len(live) + 1)})
    qc = {"peaks": int(len(p)), "windows": int(len(live)),
          "dropped": {name: int((reason == i).sum()) for i, name in enumerate(DROP_REASONS)}}
    return table, codes, qc

"""The motifs stage: turn per-position attribution maps into PWMs.

For each of the top-scoring positive sequences the strongest window of width k is cut out; windows are
then aligned (strand and a small shift, against the running PWM, a few EM-like rounds) and counted into a
letter-probability matrix.
"""

from __future__ import annotations

import numpy as np

from deepmotif.memeio import Motif


def top_positives(scores: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest-scoring sequences with label 1, best first."""
    pos = np.flatnonzero(np.asarray(y) == 1)
    if len(pos) == 0:
        raise ValueError("no positive sequences to take motifs from")
    return pos[np.argsort(-np.asarray(scores)[pos], kind="stable")[:n]]


def best_windows(attr: np.ndarray, width: int) -> np.ndarray:
    """Start of the length-``width`` window with the largest summed attribution in each sequence.

    Parameters
    ----------
    attr : numpy.ndarray
        (N, 4, L) attribution map or (N, L) per-position scores.
    width : int
        Window width, 1 <= width <= L.
    """
    a = np.asarray(attr, dtype=np.float64)
    if a.ndim == 3:
        a = a.sum(axis=1)
    if not 1 <= width <= a.shape[1]:
        raise ValueError(f"width must be in [1, {a.shape[1]}], got {width}")
    # Sum over each window, with weights a hair above 1 in the middle: of windows with the same sum (a signal
    # narrower than the window), the one that centres the signal wins.
    centre = (width - 1) / 2
    weights = 1 + 1e-6 * (1 - np.abs(np.arange(width) - centre) / max(centre, 1))
    return np.argmax(np.lib.stride_tricks.sliding_window_view(a, width, axis=1) @ weights, axis=1)


def cut_windows(X: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """(N, 4, L) one-hot and (N,) starts → (N, 4, width) windows; columns past either end are zero (N)."""
    n, _, length = X.shape
    cols = np.asarray(starts)[:, None] + np.arange(width)[None, :]
    inside = (cols >= 0) & (cols < length)
    win = X[np.arange(n)[:, None], :, np.clip(cols, 0, length - 1)].transpose(0, 2, 1)
    return win * inside[:, None, :]


def align_windows(X: np.ndarray, starts: np.ndarray, width: int, max_shift: int = 2, rounds: int = 3,
                  pseudocount: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Align windows by strand and a shift of up to ``max_shift`` against their own consensus.

    Returns
    -------
    starts : numpy.ndarray
        (N,) adjusted starts.
    strands : numpy.ndarray
        (N,) +1 or -1 (window used reverse-complemented).
    windows : numpy.ndarray
        (N, 4, width) aligned windows (reverse-complemented where strand is -1).
    """
    starts = np.asarray(starts).copy()
    strands = np.ones(len(starts), dtype=np.int8)
    wins = cut_windows(X, starts, width)
    for _ in range(rounds):
        logp = np.log((wins.sum(axis=0) + pseudocount) / (len(wins) + 4 * pseudocount))  # (4, width)
        best = np.full(len(starts), -np.inf)
        new_starts, new_strands = starts.copy(), strands.copy()
        for shift in range(-max_shift, max_shift + 1):
            cand = cut_windows(X, starts + shift, width)
            for strand, c in ((1, cand), (-1, cand[:, ::-1, ::-1])):
                ll = (c * logp).sum(axis=(1, 2))
                better = ll > best
                best[better], new_starts[better], new_strands[better] = ll[better], starts[better] + shift, strand
        starts, strands = new_starts, new_strands
        wins = cut_windows(X, starts, width)
        wins[strands < 0] = wins[strands < 0, ::-1, ::-1]
    return starts, strands, wins


def windows_to_pwm(windows: np.ndarray, pseudocount: float = 0.0) -> np.ndarray:
    """(N, 4, w) one-hot windows → (4, w) letter-probability matrix (N columns are ignored)."""
    counts = np.asarray(windows, dtype=np.float64).sum(axis=0) + pseudocount
    total = counts.sum(axis=0, keepdims=True)
    return np.where(total > 0, counts / np.where(total > 0, total, 1), 0.25)


def attribution_motif(X: np.ndarray, attr: np.ndarray, width: int = 15, motif_id: str = "motif",
                      name: str = "", max_shift: int = 2) -> tuple[Motif, np.ndarray]:
    """The strongest-attribution window of every sequence, aligned and counted into one motif.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot of the chosen sequences (e.g. the top-scoring test positives).
    attr : numpy.ndarray
        (N, 4, L) attribution map of the same sequences.
    width : int
        Window width k.

    Returns
    -------
    motif : Motif
        PWM with ``nsites`` = number of windows.
    starts : numpy.ndarray
        (N,) start of each sequence's window before alignment.
    """
    starts = best_windows(attr, width)
    _, _, wins = align_windows(X, starts, width, max_shift=max_shift)
    return Motif(id=motif_id, name=name, pwm=windows_to_pwm(wins), nsites=len(wins)), starts

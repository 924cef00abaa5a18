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


def temporal_windows(forward: np.ndarray, backward: np.ndarray, width: int,
                     empty: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Windows where the temporal output scores rise most (Deep Motif Dashboard's temporal motifs).

    Parameters
    ----------
    forward : numpy.ndarray
        (N, L) scores of the prefixes: ``forward[:, j]`` scores ``X[:, :, :j + 1]``
        (:func:`deepmotif.interpret.temporal.temporal_scores`).
    backward : numpy.ndarray
        (N, L) scores of the suffixes: ``backward[:, j]`` scores ``X[:, :, j:]``.
    width : int
        Window width k, 1 <= k <= L.
    empty : float
        Score of the empty prefix / suffix (what the window starting at 0 / ending at L - 1 rises from);
        default 0.5, no evidence either way.

    Returns
    -------
    forward_starts : numpy.ndarray
        (N,) start j of the window maximising ``forward[:, j + k - 1] - forward[:, j - 1]`` (the rise as the
        prefix grows over the window).
    backward_starts : numpy.ndarray
        (N,) start j of the window maximising ``backward[:, j] - backward[:, j + k]`` (the rise as the suffix
        grows leftwards over the window). First window on ties.
    """
    fwd = np.asarray(forward, dtype=np.float64)
    bwd = np.asarray(backward, dtype=np.float64)
    if fwd.ndim != 2 or fwd.shape != bwd.shape:
        raise ValueError(f"forward and backward must be (N, L) arrays of one shape, got {fwd.shape} and {bwd.shape}")
    n, length = fwd.shape
    if not 1 <= width <= length:
        raise ValueError(f"width must be in [1, {length}], got {width}")
    pad = np.full((n, 1), float(empty))
    f = np.concatenate([pad, fwd], axis=1)  # f[:, j] = score of the prefix of length j
    b = np.concatenate([bwd, pad], axis=1)  # b[:, j] = score of the suffix starting at j (j = L: empty)
    rise_f = f[:, width:] - f[:, :-width]   # window j: prefix length j + k minus prefix length j
    rise_b = b[:, :-width] - b[:, width:]   # window j: suffix from j minus suffix from j + k
    return np.argmax(rise_f, axis=1), np.argmax(rise_b, axis=1)


def window_match_fraction(X: np.ndarray, starts: np.ndarray, width: int, target: Motif, targets: list[Motif],
                          q: float = 0.05, backend: str = "memelite") -> float:
    """Share of sequences whose extracted window matches the TF's own motif (the paper's per-sequence
    measure of a motif-extraction method).

    Each sequence's window ``X[i, :, starts[i]:starts[i] + width]`` is one query motif (its one-hot columns,
    ``nsites=1``, so Tomtom's pseudocount softens it to 0.93 / 0.023; N columns uniform). All windows are
    compared with ``targets`` in one Tomtom call; a window counts when ``target`` is among its hits with
    q-value <= ``q``.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    starts : numpy.ndarray
        (N,) window starts (columns outside the sequence count as N).
    width : int
        Window width k, 1 <= k <= L.
    target : Motif
        The TF's own motif; must be one of ``targets`` (same id).
    targets : list of Motif
        The motif database (e.g. JASPAR CORE); Tomtom's q-values need a realistic number of targets.
    q : float
        q-value threshold, in (0, 1].
    backend : str
        Tomtom backend (``memelite`` or ``meme``).

    Returns
    -------
    float
        Fraction of the N windows whose Tomtom hits include ``target``; 0.0 for N = 0.
    """
    from deepmotif.tomtom import tomtom

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"X must be (N, 4, L) one-hot, got shape {X.shape}")
    starts = np.asarray(starts)
    if starts.shape != (len(X),) or starts.dtype.kind not in "iu":
        raise ValueError(f"starts must be ({len(X)},) integers, got shape {starts.shape} dtype {starts.dtype}")
    if not 1 <= width <= X.shape[2]:
        raise ValueError(f"width must be in [1, {X.shape[2]}], got {width}")
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    if target.id not in {t.id for t in targets}:
        raise ValueError(f"target {target.id!r} is not among the {len(targets)} targets")
    if len(X) == 0:
        return 0.0
    wins = cut_windows(X, starts, width)
    total = wins.sum(axis=1, keepdims=True)
    pwms = np.where(total > 0, wins / np.where(total > 0, total, 1), 0.25)
    queries = [Motif(id=f"window{i}", name="", pwm=p, nsites=1) for i, p in enumerate(pwms)]
    hits = tomtom(queries, targets, backend=backend, thresh=q)
    matched = set(hits.loc[hits["Target_ID"] == target.id, "Query_ID"])
    return len(matched) / len(X)

"""Train/validation/test splits that keep a positive and its dinucleotide shuffles on the same side."""

from __future__ import annotations

import numpy as np


def shuffle_groups(codes: np.ndarray) -> np.ndarray:
    """Group label per row: rows with identical dinucleotide counts and first/last letter (a sequence and
    all of its dinucleotide shuffles) share a label.

    Parameters
    ----------
    codes : numpy.ndarray
        (N, L) uint8 codes 0..4.

    Returns
    -------
    numpy.ndarray
        (N,) int64 group labels.
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = codes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pair = codes[:, :-1] * 5 + codes[:, 1:]
    counts = np.zeros((n, 25), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), pair.shape[1]), pair.ravel()), 1)
    signature = np.hstack([counts, codes[:, :1], codes[:, -1:]])
    return np.unique(signature, axis=0, return_inverse=True)[1].ravel()


def group_split(groups: np.ndarray, fraction: float, random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices into (kept, held_out) with about ``fraction`` of rows held out, whole groups only.

    Parameters
    ----------
    groups : numpy.ndarray
        (N,) group label per row (see :func:`shuffle_groups`).
    fraction : float
        Share of rows to hold out, in (0, 1).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(random_state)
    uniq, sizes = np.unique(groups, return_counts=True)
    order = rng.permutation(len(uniq))
    take = np.cumsum(sizes[order]) <= round(fraction * len(groups))
    held = np.isin(groups, uniq[order][take])
    return np.flatnonzero(~held), np.flatnonzero(held)

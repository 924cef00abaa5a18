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


# Split codes of the per-peak splits below.
TRAIN, VALID, TEST = 0, 1, 2
SPLIT_NAMES = ("train", "valid", "test")


def deepbind_split(ranks, top: int = 1000) -> np.ndarray:
    """DeepBind's split of ranked peaks: of the ``top`` strongest, odd ranks train and even ranks test; every
    weaker peak trains.

    Parameters
    ----------
    ranks : array-like of int
        1-based rank of each peak (1 = strongest).
    top : int
        How many of the strongest peaks alternate between train and test (DeepBind: 1000).

    Returns
    -------
    numpy.ndarray
        (n,) int8 split code per peak: :data:`TRAIN` or :data:`TEST`.
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.size and ranks.min() < 1:
        raise ValueError("ranks are 1-based")
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    return np.where((ranks <= top) & (ranks % 2 == 0), TEST, TRAIN).astype(np.int8)


def chromosome_split(chroms, test, valid=()) -> np.ndarray:
    """Hold out whole chromosomes: peaks on ``test`` chromosomes test, on ``valid`` ones validate, the rest
    train.

    Parameters
    ----------
    chroms : array-like of str
        Chromosome of each peak.
    test, valid : iterable of str
        Held-out chromosomes; they must not share a name.

    Returns
    -------
    numpy.ndarray
        (n,) int8 split code per peak.
    """
    test, valid = list(test), list(valid)
    both = sorted(set(test) & set(valid))
    if both:
        raise ValueError(f"chromosome(s) {', '.join(both)} are held out for both test and validation")
    chroms = np.asarray(chroms).astype(str)
    out = np.full(len(chroms), TRAIN, dtype=np.int8)
    out[np.isin(chroms, test)] = TEST
    out[np.isin(chroms, valid)] = VALID
    return out


def carve_valid(labels, fraction: float, random_state=0) -> np.ndarray:
    """Move about ``fraction`` of the :data:`TRAIN` units to :data:`VALID` at random.

    A unit is one positive and all of its negatives, so a pair never straddles the two.

    Returns
    -------
    numpy.ndarray
        A new label array.
    """
    labels = np.array(labels, dtype=np.int8, copy=True)
    train = np.flatnonzero(labels == TRAIN)
    if len(train) == 0:
        return labels
    _, held = group_split(np.arange(len(train)), fraction, random_state)
    labels[train[held]] = VALID
    return labels

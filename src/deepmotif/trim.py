"""Motif hygiene before matching: information content per column, trimming of uninformative flanks and the
test whether a motif carries enough information to be matched at all.

Information is measured in bits against a uniform background, with the small-sample correction of
Schneider et al. (1986), ``e(n) = (4 - 1) / (2 ln 2 n)``, subtracted from every column of a matrix counted
from ``n`` sites (clipped at 0): ten random sites give columns of about 0.2 bits on average before the
correction and about 0 after it, so a count matrix of a handful of random sites does not look informative.
Matrices without a site count (``nsites`` None or 0) are taken as exact probabilities (no correction).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from deepmotif.memeio import Motif

#: ``motifs.trim_bits``: flank columns below this many bits are trimmed
TRIM_BITS = 0.3
#: ``motifs.min_bits``: a trimmed core carrying fewer bits in total is not a motif
MIN_BITS = 4.0
#: ``motifs.min_mean_bits``: nor is a core whose columns carry fewer bits on average (a weak stretch of 15
#: columns at 0.3 bits each sums to 4.5 bits but aligns inside any long matrix)
MIN_MEAN_BITS = 0.4


def small_sample_correction(nsites: int | None) -> float:
    """Expected information (bits) of a DNA column counted from ``nsites`` uniform random sites,
    ``3 / (2 ln 2 nsites)`` (Schneider et al. 1986); 0 when ``nsites`` is None or 0."""
    if nsites is None or nsites <= 0:
        return 0.0
    return 3.0 / (2.0 * np.log(2.0) * float(nsites))


def column_information(pwm: np.ndarray, nsites: int | None = None) -> np.ndarray:
    """Bits per column against a uniform background, small-sample corrected.

    Parameters
    ----------
    pwm : numpy.ndarray
        (4, w) letter-probability matrix, rows A, C, G, T.
    nsites : int, optional
        Number of sites the matrix was counted from; its expected random information
        (:func:`small_sample_correction`) is subtracted. None: no correction.

    Returns
    -------
    numpy.ndarray
        (w,) float64, each in [0, 2].
    """
    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != 4:
        raise ValueError(f"pwm must have shape (4, w), got {pwm.shape}")
    p = pwm / np.maximum(pwm.sum(axis=0, keepdims=True), 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=0)
    return np.clip(2.0 - entropy - small_sample_correction(nsites), 0.0, 2.0)


def core_bounds(motif: Motif, min_column_bits: float = TRIM_BITS) -> tuple[int, int] | None:
    """``(start, stop)`` of the columns between the first and the last one with at least
    ``min_column_bits`` bits (stop exclusive); None when no column reaches it."""
    keep = np.flatnonzero(column_information(motif.pwm, motif.nsites) >= min_column_bits)
    if len(keep) == 0:
        return None
    return int(keep[0]), int(keep[-1]) + 1


def trim(motif: Motif, min_column_bits: float = TRIM_BITS) -> Motif | None:
    """Drop the flank columns below ``min_column_bits`` bits (inner weak columns stay).

    Parameters
    ----------
    motif : Motif
    min_column_bits : float
        Config ``motifs.trim_bits`` (default 0.3).

    Returns
    -------
    Motif or None
        A new motif with the same id, name and nsites and the core columns; None when no column is left.
    """
    if not np.isfinite(min_column_bits) or min_column_bits < 0:
        raise ValueError(f"min_column_bits must be a number >= 0, got {min_column_bits!r}")
    bounds = core_bounds(motif, min_column_bits)
    if bounds is None:
        return None
    start, stop = bounds
    return dataclasses.replace(motif, pwm=np.ascontiguousarray(np.asarray(motif.pwm)[:, start:stop]))


def total_information(motif: Motif) -> float:
    """Sum of :func:`column_information` over the motif's columns (bits)."""
    return float(column_information(motif.pwm, motif.nsites).sum())


def informative(motif: Motif | None, min_bits: float = MIN_BITS, min_column_bits: float = TRIM_BITS,
                min_mean_bits: float = 0.0) -> bool:
    """True when the motif's trimmed core carries at least ``min_bits`` bits in total (and at least
    ``min_mean_bits`` per column on average).

    Parameters
    ----------
    motif : Motif or None
        None (e.g. the result of :func:`trim` on an empty motif) is never informative.
    min_bits : float
        Config ``motifs.min_bits`` (default 4.0, about two fully specified bases).
    min_column_bits : float
        Config ``motifs.trim_bits``, for the trimming.
    min_mean_bits : float
        Config ``motifs.min_mean_bits`` (the match stage uses 0.4); default 0: no such limit.
    """
    if motif is None:
        return False
    core = trim(motif, min_column_bits)
    if core is None:
        return False
    bits = total_information(core)
    return bits >= min_bits and bits >= min_mean_bits * core.width

"""Offline synthetic source: genome-like background with JASPAR motif instances planted at recorded
positions, so the truth an interpretation method should recover is known."""

from __future__ import annotations

import numpy as np

# Dinucleotide frequencies of the human genome (hg19, both strands, per cent; rows = first base A/C/G/T,
# columns = second base). The CpG depletion (CG ~1%) is what makes the background "genome-like" and
# different from i.i.d. uniform bases.
HUMAN_DINUC = np.array([
    [9.8, 5.0, 7.0, 7.6],
    [7.3, 5.2, 1.0, 7.0],
    [5.9, 4.3, 5.2, 5.0],
    [6.5, 5.9, 7.3, 9.8],
])


def _rng(random_state) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)


def markov_background(n: int, length: int, random_state=0) -> np.ndarray:
    """Sample ``n`` sequences of ``length`` bp from a first-order Markov chain with human dinucleotide
    frequencies.

    Returns
    -------
    numpy.ndarray
        (n, length) uint8 codes (A=0, C=1, G=2, T=3).
    """
    if n < 0 or length < 1:
        raise ValueError(f"need n >= 0 and length >= 1, got n={n}, length={length}")
    rng = _rng(random_state)
    trans = HUMAN_DINUC / HUMAN_DINUC.sum(axis=1, keepdims=True)
    start = HUMAN_DINUC.sum(axis=1) / HUMAN_DINUC.sum()
    cum = np.cumsum(trans, axis=1)
    u = rng.random((n, length))
    codes = np.empty((n, length), dtype=np.uint8)
    codes[:, 0] = np.searchsorted(np.cumsum(start), u[:, 0])
    for j in range(1, length):  # vectorised over sequences; the chain itself is sequential
        codes[:, j] = (u[:, j, None] > cum[codes[:, j - 1], :3]).sum(axis=1)
    return codes


def sample_instances(pwm: np.ndarray, n: int, random_state=0) -> np.ndarray:
    """Sample ``n`` motif instances from a (4, w) probability matrix → (n, w) uint8 codes."""
    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != 4:
        raise ValueError(f"pwm must be (4, w), got shape {pwm.shape}")
    rng = _rng(random_state)
    cum = np.cumsum(pwm / pwm.sum(axis=0, keepdims=True), axis=0)  # (4, w)
    u = rng.random((n, pwm.shape[1]))
    return (u[:, None, :] > cum[None, :3, :]).sum(axis=1).astype(np.uint8)


def plant_motifs(codes: np.ndarray, pwm: np.ndarray, rate: float = 1.0, random_state=0):
    """Plant one instance of ``pwm`` (random strand, uniform position) into a share ``rate`` of rows.

    Parameters
    ----------
    codes : numpy.ndarray
        (n, L) uint8 codes; modified copy is returned.
    pwm : numpy.ndarray
        (4, w) letter-probability matrix, w <= L.
    rate : float
        Share of rows that get an instance, in [0, 1].

    Returns
    -------
    codes : numpy.ndarray
        (n, L) uint8 with instances written in.
    starts : numpy.ndarray
        (n,) int64 start of the instance, -1 where none was planted.
    strands : numpy.ndarray
        (n,) int8, +1 or -1 (reverse complement written), 0 where none.
    """
    codes = np.array(codes, dtype=np.uint8, copy=True)
    n, length = codes.shape
    w = pwm.shape[1]
    if w > length:
        raise ValueError(f"motif width {w} exceeds sequence length {length}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    rng = _rng(random_state)
    has = rng.random(n) < rate
    inst = sample_instances(pwm, n, rng)
    strands = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    inst[strands < 0] = 3 - inst[strands < 0, ::-1]
    starts = rng.integers(0, length - w + 1, size=n)
    rows = np.flatnonzero(has)
    cols = starts[rows, None] + np.arange(w)[None, :]
    codes[rows[:, None], cols] = inst[rows]
    starts = np.where(has, starts, -1)
    strands = np.where(has, strands, 0).astype(np.int8)
    return codes, starts, strands

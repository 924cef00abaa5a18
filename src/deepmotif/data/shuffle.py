"""Exact dinucleotide shuffles of DNA sequences.

A dinucleotide shuffle rearranges a sequence so that every dinucleotide (k = 2) occurs exactly as often as
in the original, and the first and last letters are kept. It is the usual way to make negative (unbound)
examples with the same local composition as the positives, e.g. DeepBind's ``doublet_shuffle`` and the
negatives of the DeepBind ENCODE test files.

The method is the Eulerian-path algorithm of Altschul & Erickson (1985), in the form of Kandel et al.
(1996) and Jiang et al.'s uShuffle (2008): the sequence is a walk through a multigraph whose vertices are
the letters and whose edges are the L - 1 dinucleotides. A uniformly random arborescence of "last exit"
edges pointing at the final letter is drawn with Wilson's algorithm, the remaining out-edges of every
vertex are put in uniformly random order, and the new sequence is read off by following the edges from the
first letter. Every sequence with the same dinucleotide counts, first and last letter is equally likely.

Letters are integer codes A=0, C=1, G=2, T=3 and 4 for N (or any other symbol); N is shuffled as a fifth
letter, so the positions of N runs move with their neighbours exactly like any other letter.

The core is compiled with numba. Random numbers come from a small SplitMix64 generator that is seeded
separately for every row from ``(random_state, row index)``, so the shuffle of row ``i`` depends only on
the seed, ``i`` and the content of row ``i``: it does not change when other rows are added or removed
after it, and results are identical from run to run.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np

from deepmotif.data.onehot import codes_to_one_hot, one_hot_to_codes

__all__ = ["shuffle_codes", "dinucleotide_shuffle"]

_N_LETTERS = 5  # A, C, G, T, N

# SplitMix64 constants (Steele, Lea & Flood 2014). Typed as uint64 so that numba never mixes them with
# signed integers (uint64 op int64 is promoted to float64 in numba).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)
_ONE = np.uint64(1)


@numba.njit(cache=True, inline="always")
def _mix64(z):
    """SplitMix64 output function (a bijective 64-bit finaliser)."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def _next_u64(state):
    """Advance the SplitMix64 state held in ``state[0]`` and return 64 random bits."""
    state[0] += _GOLDEN
    return _mix64(state[0])


@numba.njit(cache=True, inline="always")
def _randbelow(state, n):
    """Uniform integer in ``[0, n)`` for ``1 <= n < 2**32`` (Lemire's unbiased multiply-and-reject)."""
    un = np.uint64(n)
    m = (_next_u64(state) >> _S32) * un
    low = m & _MASK32
    if low < un:
        threshold = (_TWO32 - un) % un
        while low < threshold:
            m = (_next_u64(state) >> _S32) * un
            low = m & _MASK32
    return np.int64(m >> _S32)


@numba.njit(cache=True)
def _shuffle_rows(codes, out, base_seed):
    """Dinucleotide-shuffle every row of ``codes`` (N, L) uint8 into ``out``; requires L >= 2."""
    n_rows, length = codes.shape
    n_edges = length - 1
    succ = np.empty(n_edges, dtype=np.uint8)  # out-edge targets, grouped by source letter
    deg = np.empty(_N_LETTERS, dtype=np.int64)
    start = np.empty(_N_LETTERS, dtype=np.int64)
    fill = np.empty(_N_LETTERS, dtype=np.int64)
    nxt = np.empty(_N_LETTERS, dtype=np.int64)  # Wilson: index of the chosen last-exit edge
    in_tree = np.empty(_N_LETTERS, dtype=np.bool_)
    state = np.empty(1, dtype=np.uint64)

    for r in range(n_rows):
        seq = codes[r]
        dst = out[r]
        # Per-row generator: the (r + 1)-th SplitMix64 output of the base seed.
        state[0] = _mix64(base_seed + (np.uint64(r) + _ONE) * _GOLDEN)

        # 1. Edge lists: the successors of every letter, in sequence order.
        for v in range(_N_LETTERS):
            deg[v] = 0
        for i in range(n_edges):
            deg[seq[i]] += 1
        total = 0
        for v in range(_N_LETTERS):
            start[v] = total
            fill[v] = total
            total += deg[v]
        for i in range(n_edges):
            a = seq[i]
            succ[fill[a]] = seq[i + 1]
            fill[a] += 1

        # 2. Random arborescence of last-exit edges rooted at the last letter (Wilson's algorithm,
        #    out-edges chosen uniformly by multiplicity). Every letter other than the last one that occurs
        #    in the sequence has at least one out-edge, and the last letter is reachable from it.
        last = seq[n_edges]
        for v in range(_N_LETTERS):
            in_tree[v] = False
        in_tree[last] = True
        for v in range(_N_LETTERS):
            if deg[v] == 0:
                continue
            u = v
            while not in_tree[u]:
                k = _randbelow(state, deg[u])
                nxt[u] = k
                u = succ[start[u] + k]
            u = v
            while not in_tree[u]:
                in_tree[u] = True
                u = succ[start[u] + nxt[u]]

        # 3. Last-exit edge to the end of each list, the other edges in uniformly random order
        #    (Fisher-Yates); the last letter has no last-exit edge, all of its edges are permuted.
        for v in range(_N_LETTERS):
            d = deg[v]
            if d == 0:
                continue
            s = start[v]
            if v != last:
                j = s + nxt[v]
                tmp = succ[j]
                succ[j] = succ[s + d - 1]
                succ[s + d - 1] = tmp
                d -= 1
            for i in range(d - 1, 0, -1):
                j = s + _randbelow(state, i + 1)
                tmp = succ[j]
                succ[j] = succ[s + i]
                succ[s + i] = tmp

        # 4. Read the Eulerian path off from the first letter.
        for v in range(_N_LETTERS):
            fill[v] = start[v]
        u = seq[0]
        dst[0] = u
        for i in range(1, length):
            w = succ[fill[u]]
            fill[u] += 1
            dst[i] = w
            u = w


def _base_seed(random_state) -> np.uint64:
    """One 64-bit seed from an int, a numpy Generator or None (fresh OS entropy)."""
    if random_state is None:
        random_state = np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return np.uint64(random_state.integers(0, 2**64, dtype=np.uint64))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, a numpy Generator or None, "
                             f"got {random_state}")
        return np.random.SeedSequence(int(random_state)).generate_state(1, dtype=np.uint64)[0]
    raise ValueError(f"random_state must be a non-negative int, a numpy Generator or None, "
                     f"got {type(random_state).__name__}")


def shuffle_codes(codes: np.ndarray, random_state: int | np.random.Generator | None = 0) -> np.ndarray:
    """Dinucleotide-shuffle integer-coded sequences.

    Each row is rearranged so that it keeps exactly its dinucleotide counts and its first and last letter
    (Altschul-Erickson Eulerian-path shuffle; every such arrangement is equally likely).

    Parameters
    ----------
    codes : numpy.ndarray, shape (N, L)
        Integer codes, A=0, C=1, G=2, T=3, 4 for N or any other symbol (code 4 is shuffled as a fifth
        letter). Any integer dtype is accepted; values must lie in [0, 4].
    random_state : int, numpy.random.Generator or None, optional
        Seed. A non-negative int gives the same output on every run; a Generator is advanced by one
        draw; None uses fresh entropy. The shuffle of row ``i`` depends only on the seed, ``i`` and row
        ``i`` itself. Default 0.

    Returns
    -------
    numpy.ndarray, shape (N, L), dtype uint8
        A new array of shuffled codes. Rows of length L < 3 have no other arrangement and are returned
        unchanged (as a copy).

    Raises
    ------
    ValueError
        If ``codes`` is not a 2-D integer array, holds a value outside [0, 4], or ``random_state`` is not
        one of the accepted types.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D (N, L) array, got {codes.ndim} dimension(s) with shape "
                         f"{codes.shape}")
    if codes.dtype.kind not in "iu" and not (codes.dtype.kind == "b" or codes.size == 0):
        raise ValueError(f"codes must be an integer array with values in [0, 4], got dtype {codes.dtype}")
    if codes.size:
        lo, hi = int(codes.min()), int(codes.max())
        if lo < 0 or hi > 4:
            raise ValueError(f"codes must lie in [0, 4] (A=0, C=1, G=2, T=3, N=4), got values in "
                             f"[{lo}, {hi}]")
    base = _base_seed(random_state)
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    n_rows, length = codes.shape
    if n_rows == 0 or length < 3:
        return codes.copy()
    out = np.empty_like(codes)
    _shuffle_rows(codes, out, base)
    return out


# dtypes the compiled one-hot kernels take directly; anything else goes through onehot.py's helpers
_KERNEL_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32,
                                                  np.int64, np.uint8, np.uint16, np.uint32, np.uint64))


@numba.njit(cache=True)
def _one_hot_to_codes_checked(X, codes):
    """(N, 4, L) one-hot → ``codes`` (N, L); returns 0, or 1 for a value other than 0/1, 2 for a column
    with more than one 1. An all-zero column gives code 4 (as ``onehot.one_hot_to_codes``).

    Branch-free inner loops so that LLVM vectorises them."""
    n_rows, _, length = X.shape
    count = np.empty(length, dtype=np.uint8)
    bad = False
    multi = False
    for r in range(n_rows):
        row = codes[r]
        for j in range(length):
            count[j] = 0
            row[j] = 0
        for b in range(4):
            xb = X[r, b]
            code = np.uint8(b)
            for j in range(length):
                v = xb[j]
                one = v == 1
                bad |= (v != 0) & (not one)
                count[j] += np.uint8(one)
                row[j] += code * np.uint8(one)
        for j in range(length):
            c = count[j]
            multi |= c > 1
            row[j] = np.uint8(4) if c == 0 else row[j]
        if bad:
            return 1
        if multi:
            return 2
    return 0


@numba.njit(cache=True)
def _codes_to_one_hot_into(codes, out):
    """Write the one-hot form of ``codes`` (N, L) into the zero-filled ``out`` (N, 4, L); code 4 stays 0."""
    n_rows, length = codes.shape
    for r in range(n_rows):
        for j in range(length):
            c = codes[r, j]
            if c < 4:
                out[r, c, j] = 1


def dinucleotide_shuffle(X: np.ndarray, random_state: int | np.random.Generator | None = 0) -> np.ndarray:
    """Dinucleotide-shuffle one-hot encoded sequences.

    Parameters
    ----------
    X : numpy.ndarray, shape (N, 4, L)
        One-hot sequences, rows A, C, G, T; an all-zero column is an N, which is shuffled as a fifth
        letter. Values must be 0 or 1 with at most one 1 per column.
    random_state : int, numpy.random.Generator or None, optional
        Seed, as in :func:`shuffle_codes`. Default 0.

    Returns
    -------
    numpy.ndarray, shape (N, 4, L)
        A new C-contiguous array with the dtype of ``X``; every sequence keeps its dinucleotide counts and
        its first and last letter. Equal to ``codes_to_one_hot(shuffle_codes(one_hot_to_codes(X)))`` cast
        to ``X.dtype`` (the conversions are compiled and fused with the one-hot check for speed). Sequences
        shorter than 3 are returned unchanged.

    Raises
    ------
    ValueError
        If ``X`` is not (N, 4, L), is not one-hot, or ``random_state`` is not an accepted type.
    """
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"X must be a one-hot array of shape (N, 4, L), got shape {X.shape}")
    if X.dtype in _KERNEL_DTYPES:
        X = np.ascontiguousarray(X)
        codes = np.empty((X.shape[0], X.shape[2]), dtype=np.uint8)
        status = _one_hot_to_codes_checked(X, codes) if X.size else 0
    else:  # bool, float16, ...: numpy path through onehot.py
        status = 0
        if X.size:
            if not np.all((X == 0) | (X == 1)):
                status = 1
            elif X.sum(axis=1, dtype=np.int64).max() > 1:
                status = 2
        codes = one_hot_to_codes(X) if status == 0 else None
    if status == 1:
        bad = X[(X != 0) & (X != 1)].ravel()[0].item()
        raise ValueError(f"X must be one-hot: values must be 0 or 1, got {bad!r}")
    if status == 2:
        col_max = int(X.sum(axis=1, dtype=np.float64).max())
        raise ValueError(f"X must be one-hot: at most one 1 per position (column sums in [0, 1]), "
                         f"got a column sum of {col_max}")
    shuffled = shuffle_codes(codes, random_state=random_state)
    if X.dtype in _KERNEL_DTYPES:
        out = np.zeros(X.shape, dtype=X.dtype)
        if out.size:
            _codes_to_one_hot_into(shuffled, out)
        return out
    return np.ascontiguousarray(codes_to_one_hot(shuffled).astype(X.dtype, copy=False))

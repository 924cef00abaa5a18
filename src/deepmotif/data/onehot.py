"""One-hot encoding of DNA: (N, 4, L) float32, rows A/C/G/T; N (or any ambiguity code) is all zeros."""

from __future__ import annotations

from typing import Sequence

import numpy as np

_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i


def to_codes(seqs: Sequence[str]) -> np.ndarray:
    """Integer codes (N, L) uint8: A=0, C=1, G=2, T=3, anything else 4. All sequences must share a length."""
    if len(seqs) == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    length = len(seqs[0])
    if any(len(s) != length for s in seqs):
        raise ValueError("all sequences must have the same length")
    buf = np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8)
    return _CODE[buf].reshape(len(seqs), length)


def codes_to_one_hot(codes: np.ndarray) -> np.ndarray:
    """(N, L) integer codes → (N, 4, L) float32 one-hot; code 4 (N) gives a zero column."""
    codes = np.asarray(codes)
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return np.ascontiguousarray(eye[codes].transpose(0, 2, 1))


def one_hot_encode(seqs: Sequence[str]) -> np.ndarray:
    """Encode equal-length strings as (N, 4, L) float32 one-hot (A, C, G, T rows)."""
    return codes_to_one_hot(to_codes(seqs))


def one_hot_to_codes(X: np.ndarray) -> np.ndarray:
    """(N, 4, L) one-hot → (N, L) uint8 codes, 4 where a column is all zero."""
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"expected a (N, 4, L) one-hot array, got shape {X.shape}")
    codes = X.argmax(axis=1).astype(np.uint8)
    codes[X.sum(axis=1) == 0] = 4
    return codes


def decode(X: np.ndarray) -> list[str]:
    """(N, 4, L) one-hot → list of strings (N for all-zero columns)."""
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
    return [row.tobytes().decode("ascii") for row in letters[one_hot_to_codes(X)]]


def reverse_complement(X: np.ndarray) -> np.ndarray:
    """(N, 4, L) one-hot A/C/G/T → the reverse complements (complement = the channels reversed), contiguous."""
    return np.ascontiguousarray(X[:, ::-1, ::-1])

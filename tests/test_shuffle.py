"""Tests of the exact dinucleotide shuffle (deepmotif.data.shuffle)."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chisquare

from deepmotif.data.onehot import codes_to_one_hot, decode, one_hot_encode, one_hot_to_codes, to_codes
from deepmotif.data.shuffle import dinucleotide_shuffle, shuffle_codes

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a dev extra
    given = None

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEEPBIND = SHARED / "deepbind-encode"
LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


# ---------------------------------------------------------------------------------------------- helpers

def dinuc_counts(codes: np.ndarray) -> np.ndarray:
    """(N, L) codes in [0, 4] → (N, 25) counts of every dinucleotide (5 * first + second)."""
    codes = np.asarray(codes, dtype=np.int64)
    n, length = codes.shape
    if length < 2:
        return np.zeros((n, 25), dtype=np.int64)
    pair = 5 * codes[:, :-1] + codes[:, 1:] + 25 * np.arange(n)[:, None]
    return np.bincount(pair.ravel(), minlength=25 * n).reshape(n, 25)


def assert_exact_shuffle(original: np.ndarray, shuffled: np.ndarray) -> None:
    """Same shape, same dinucleotide counts, same first and last letter, row by row."""
    assert shuffled.shape == original.shape
    assert shuffled.dtype == np.uint8
    np.testing.assert_array_equal(dinuc_counts(shuffled), dinuc_counts(original))
    if original.shape[1]:
        np.testing.assert_array_equal(shuffled[:, 0], original[:, 0])
        np.testing.assert_array_equal(shuffled[:, -1], original[:, -1])


def codes_of(strings: list[str]) -> np.ndarray:
    return to_codes(strings)


def strings_of(codes: np.ndarray) -> list[str]:
    return [row.tobytes().decode("ascii") for row in LETTERS[codes]]


def random_batch(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """n rows of one length, each from its own alphabet subset and letter weights (some low-complexity)."""
    rows = np.empty((n, length), dtype=np.uint8)
    for i in range(n):
        k = rng.integers(1, 6)
        alphabet = rng.choice(5, size=k, replace=False)
        weights = rng.dirichlet(np.full(k, 0.5))
        rows[i] = rng.choice(alphabet, size=length, p=weights)
    return rows


def reachable(seq: str) -> set[str]:
    """Every sequence with the dinucleotide counts and the first and last letter of ``seq`` (brute force)."""
    target = Counter(seq[i:i + 2] for i in range(len(seq) - 1))
    found = set()
    for middle in set(permutations(seq[1:-1])):
        cand = seq[0] + "".join(middle) + seq[-1]
        if Counter(cand[i:i + 2] for i in range(len(cand) - 1)) == target:
            found.add(cand)
    return found


# ------------------------------------------------------------------------------------------ properties

LOW_COMPLEXITY = ["AAAAAT", "ACACAC", "AAAAAAAAAA", "ATATATATATA", "NNNNACGTNNNN", "ACGTTGCA",
                  "GGGGGGGGGC", "ANANANANAN", "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTA", "CACACACACGCGCGCG"]


@pytest.mark.parametrize("seq", LOW_COMPLEXITY)
def test_low_complexity_sequences(seq):
    codes = codes_of([seq] * 50)
    out = shuffle_codes(codes, random_state=3)
    assert_exact_shuffle(codes, out)
    if len(seq) <= 10:
        assert set(strings_of(out)) <= reachable(seq)


def test_random_batches_seeded_loop():
    """A few hundred random sequences of many lengths and compositions, including N."""
    rng = np.random.default_rng(12345)
    for length in [0, 1, 2, 3, 4, 5, 7, 10, 17, 33, 64, 101, 250, 1000]:
        codes = random_batch(rng, 30, length)
        out = shuffle_codes(codes, random_state=int(rng.integers(2**31)))
        assert_exact_shuffle(codes, out)
        if length < 3:
            np.testing.assert_array_equal(out, codes)


if given is not None:
    @st.composite
    def code_batches(draw):
        length = draw(st.integers(0, 80))
        n = draw(st.integers(0, 6))
        rows = []
        for _ in range(n):
            alphabet = draw(st.lists(st.integers(0, 4), min_size=1, max_size=5, unique=True))
            rows.append(draw(st.lists(st.sampled_from(alphabet), min_size=length, max_size=length)))
        return np.array(rows, dtype=np.uint8).reshape(n, length)

    @settings(max_examples=200, deadline=None, database=None)  # no .hypothesis/ folder in the repo
    @given(codes=code_batches(), seed=st.integers(0, 2**64 - 1))
    def test_property_exact_counts_hypothesis(codes, seed):
        out = shuffle_codes(codes, random_state=seed)
        assert_exact_shuffle(codes, out)
else:  # pragma: no cover
    def test_property_exact_counts_hypothesis():
        pytest.skip("hypothesis is not installed; the seeded loop test covers the same property")


def test_n_is_a_fifth_letter():
    seq = "ACGNNTACNGTTACGNA"
    codes = codes_of([seq] * 100)
    out = shuffle_codes(codes, random_state=1)
    assert_exact_shuffle(codes, out)
    assert (out == 4).sum(axis=1).tolist() == [seq.count("N")] * 100
    assert len(set(strings_of(out))) > 1


def test_uniform_over_reachable_arrangements():
    """Every reachable arrangement turns up, each about equally often (chi-square, fixed seed)."""
    for seq in ["GATTACAGAT", "AAACAAGAT", "ANACANAGA"]:
        support = sorted(reachable(seq))
        assert len(support) >= 12
        n_draws = 600 * len(support)
        out = strings_of(shuffle_codes(codes_of([seq] * n_draws), random_state=2024))
        counts = Counter(out)
        assert set(counts) == set(support), seq
        observed = np.array([counts[s] for s in support])
        assert chisquare(observed).pvalue > 1e-4, (seq, observed)


def test_shuffle_actually_moves_letters():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(200, 101), dtype=np.uint8)
    out = shuffle_codes(codes, random_state=0)
    assert (out != codes).any(axis=1).all()
    # about 1/4 agreement per position for random sequences, far from identical
    assert (out == codes).mean() < 0.5


# ------------------------------------------------------------------------------------------ determinism

def test_same_seed_same_output_different_seed_differs():
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 5, size=(20, 500), dtype=np.uint8)
    a = shuffle_codes(codes, random_state=42)
    b = shuffle_codes(codes, random_state=42)
    c = shuffle_codes(codes, random_state=43)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any(axis=1).all()


def test_row_result_independent_of_later_rows():
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 4, size=(50, 60), dtype=np.uint8)
    full = shuffle_codes(codes, random_state=5)
    np.testing.assert_array_equal(shuffle_codes(codes[:10], random_state=5), full[:10])
    # row i depends on its index: identical rows get different shuffles
    same = shuffle_codes(np.repeat(codes[:1], 10, axis=0), random_state=5)
    assert len({r.tobytes() for r in same}) > 1


def test_generator_and_none_random_state():
    codes = np.random.default_rng(9).integers(0, 4, size=(5, 200), dtype=np.uint8)
    a = shuffle_codes(codes, random_state=np.random.default_rng(1))
    b = shuffle_codes(codes, random_state=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    gen = np.random.default_rng(1)
    first, second = shuffle_codes(codes, gen), shuffle_codes(codes, gen)
    assert (first != second).any()  # the generator advances
    assert_exact_shuffle(codes, shuffle_codes(codes, random_state=None))
    assert_exact_shuffle(codes, shuffle_codes(codes, random_state=np.int64(3)))


def test_input_not_modified_and_other_integer_dtypes():
    codes = np.random.default_rng(10).integers(0, 5, size=(4, 30)).astype(np.int64)
    before = codes.copy()
    out = shuffle_codes(codes, random_state=0)
    np.testing.assert_array_equal(codes, before)
    np.testing.assert_array_equal(out, shuffle_codes(codes.astype(np.uint8), random_state=0))
    # non-contiguous input
    wide = np.random.default_rng(11).integers(0, 4, size=(6, 80), dtype=np.uint8)
    assert_exact_shuffle(wide[::2, ::2], shuffle_codes(wide[::2, ::2], random_state=0))


# ------------------------------------------------------------------------------------- one-hot wrapper

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.uint8, np.bool_, np.float16])
def test_one_hot_wrapper_shape_dtype_and_counts(dtype):
    """Compiled path (float32/64, ints) and numpy fallback (bool, float16) agree with onehot.py."""
    rng = np.random.default_rng(12)
    codes = random_batch(rng, 40, 101)
    X = codes_to_one_hot(codes).astype(dtype)
    np.testing.assert_array_equal(one_hot_to_codes(X), codes)
    Y = dinucleotide_shuffle(X, random_state=3)
    assert Y.shape == X.shape and Y.dtype == X.dtype and Y.flags.c_contiguous
    assert set(np.unique(Y.astype(np.float64))) <= {0.0, 1.0}
    assert_exact_shuffle(codes, one_hot_to_codes(Y))
    np.testing.assert_array_equal(Y, codes_to_one_hot(shuffle_codes(codes, random_state=3)).astype(dtype))


def test_one_hot_wrapper_non_contiguous_input():
    codes = random_batch(np.random.default_rng(13), 12, 90)
    X = codes_to_one_hot(codes)[::2, :, ::3]
    Y = dinucleotide_shuffle(X, random_state=1)
    np.testing.assert_array_equal(one_hot_to_codes(Y), shuffle_codes(codes[::2, ::3], random_state=1))


def test_one_hot_wrapper_n_columns_and_edge_sizes():
    X = one_hot_encode(["ACGTNNACGTAC", "NNNNAAAATTTT"])
    Y = dinucleotide_shuffle(X, random_state=0)
    assert [s.count("N") for s in decode(Y)] == [2, 4]
    assert_exact_shuffle(one_hot_to_codes(X), one_hot_to_codes(Y))
    for shape in [(0, 4, 10), (3, 4, 0), (3, 4, 1), (3, 4, 2)]:
        X = codes_to_one_hot(np.random.default_rng(0).integers(0, 5, size=(shape[0], shape[2])))
        Y = dinucleotide_shuffle(X)
        assert Y.shape == shape
        np.testing.assert_array_equal(Y, X)


# --------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("bad", [np.zeros(10, dtype=np.uint8), np.zeros((2, 3, 4), dtype=np.uint8)])
def test_shuffle_codes_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match="2-D"):
        shuffle_codes(bad)


def test_shuffle_codes_rejects_bad_values_and_seeds():
    with pytest.raises(ValueError, match=r"\[0, 4\].*\[0, 5\]"):
        shuffle_codes(np.array([[0, 1, 5, 2]], dtype=np.uint8))
    with pytest.raises(ValueError, match="-1"):
        shuffle_codes(np.array([[0, 1, -1, 2]]))
    with pytest.raises(ValueError, match="integer"):
        shuffle_codes(np.array([[0.0, 1.0, 2.0]]))
    with pytest.raises(ValueError, match="random_state"):
        shuffle_codes(np.zeros((1, 5), dtype=np.uint8), random_state=-1)
    with pytest.raises(ValueError, match="random_state"):
        shuffle_codes(np.zeros((1, 5), dtype=np.uint8), random_state="seed")


@pytest.mark.parametrize("shape", [(4, 10), (2, 5, 10), (2, 4, 10, 1)])
def test_dinucleotide_shuffle_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"\(N, 4, L\)"):
        dinucleotide_shuffle(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_dinucleotide_shuffle_rejects_non_one_hot(dtype):
    X = one_hot_encode(["ACGTACGT", "AACCGGTT"]).astype(dtype)
    soft = X * 0.5
    with pytest.raises(ValueError, match="values must be 0 or 1, got 0.5"):
        dinucleotide_shuffle(soft)
    nan = X.copy()
    nan[1, 2, 5] = np.nan
    with pytest.raises(ValueError, match="one-hot"):
        dinucleotide_shuffle(nan)
    double = X.copy()
    double[1, :, 3] = 1
    with pytest.raises(ValueError, match="column sum of 4"):
        dinucleotide_shuffle(double)


# ------------------------------------------------------------------------------------------- real data

@pytest.mark.shared
@pytest.mark.skipif(not DEEPBIND.is_dir(),
                    reason=f"{DEEPBIND} not present (shared test data is kept outside the repository)")
def test_real_deepbind_negatives_and_our_shuffle_keep_counts():
    """DeepBind's own _B negatives keep their positive's dinucleotides; so must ours."""
    files = sorted(DEEPBIND.glob("*_B.seq.gz"))
    if not files:
        pytest.skip(f"no *_B.seq.gz file in {DEEPBIND}")
    with gzip.open(files[0], "rt") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read()), delimiter="\t"))
    assert len(rows) == 1000, files[0].name
    assert all(r["Bound"] == "1" for r in rows[:500]) and all(r["Bound"] == "0" for r in rows[500:])
    codes = to_codes([r["seq"] for r in rows])
    pos, neg = codes[:500], codes[500:]
    # the counting helper agrees that every real negative is a dinucleotide shuffle of its positive
    np.testing.assert_array_equal(dinuc_counts(neg), dinuc_counts(pos))
    np.testing.assert_array_equal(neg[:, [0, -1]], pos[:, [0, -1]])
    assert (neg != pos).any(axis=1).all()
    # and our shuffle of the positives has exactly those counts too
    ours = shuffle_codes(pos, random_state=0)
    assert_exact_shuffle(neg, ours)
    assert (ours != pos).any(axis=1).mean() > 0.99
    ours_1h = dinucleotide_shuffle(codes_to_one_hot(pos), random_state=0)
    np.testing.assert_array_equal(one_hot_to_codes(ours_1h), ours)

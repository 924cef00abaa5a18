"""The memelite Tomtom backend against real MEME tomtom outputs (../shared/data/tomtom-reference).

Run with NUMBA_CACHE_DIR set (e.g. .cache/numba): memelite's first call compiles for about a minute, later
ones load the cache in about a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmotif.memeio import Motif, read_meme
from deepmotif.tomtom import (TOMTOM_COLUMNS, Drand48, estimate_pi_zero, meme_qvalues, read_tomtom_tsv,
                              strand_matches, tomtom)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REF = SHARED / "tomtom-reference"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason=f"{SHARED} not present (real test data is kept outside the repository)")

QUERY4 = "tomtom-reference/query4_JASPAR2020_CTCF_GATA1_MAFK_NFYB.meme"
SAMPLE = "tomtom-reference/meme-tests/sample.meme"
# (query file, target file, MEME reference made with default settings: -dist ed, q <= 0.5)
CASES = {
    "query4_vs_JASPAR2024": (QUERY4, "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms.meme",
                             "tomtom_default__query4_vs_JASPAR2024.tsv"),
    "query4_vs_JASPAR2014": (QUERY4, "jaspar/JASPAR_CORE_2014_vertebrates.meme",
                             "tomtom_default__query4_vs_JASPAR2014.tsv"),
    "sample_vs_sample": (SAMPLE, SAMPLE, "meme-tests/tomtom.complete.out.ed.tsv"),
}


def _run(case: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    query_file, target_file, ref_file = CASES[case]
    queries, targets = read_meme(SHARED / query_file), read_meme(SHARED / target_file)
    ref = read_tomtom_tsv(REF / ref_file)
    if len(targets) < 50:
        with pytest.warns(UserWarning, match="target motifs"):
            ours = tomtom(queries, targets)
    else:
        ours = tomtom(queries, targets)
    return ref, ours


@needs_shared
@pytest.mark.parametrize("case", list(CASES))
def test_memelite_agrees_with_meme(case):
    ref, ours = _run(case)
    assert list(ours.columns) == TOMTOM_COLUMNS + ["Query_name", "Target_name"]

    top_ref = ref.groupby("Query_ID", sort=False)["Target_ID"].first()
    top_ours = ours.groupby("Query_ID", sort=False)["Target_ID"].first().reindex(top_ref.index)
    agree = float((top_ref == top_ours).mean())
    assert agree >= 0.9, f"{case}: same top target for {agree:.0%} of queries\n{top_ref}\n{top_ours}"

    both = ref.merge(ours, on=["Query_ID", "Target_ID"], suffixes=("_ref", "_ours"))
    found = len(both) / len(ref)
    assert found >= 0.9, f"{case}: only {found:.0%} of MEME's {len(ref)} pairs reported"
    usable = (both["p-value_ref"] > 0) & (both["p-value_ours"] > 0)  # p = 0: underflow of exact self-matches
    r = np.corrcoef(np.log10(both.loc[usable, "p-value_ref"]), np.log10(both.loc[usable, "p-value_ours"]))[0, 1]
    assert r >= 0.98, f"{case}: Pearson r of log10 p-values = {r:.5f} over {usable.sum()} pairs"

    for col in ("Optimal_offset", "Overlap", "Orientation", "Query_consensus", "Target_consensus"):
        same = float((both[f"{col}_ref"] == both[f"{col}_ours"]).mean())
        assert same >= 0.95, f"{case}: {col} agrees for {same:.0%} of pairs"
    # grouped by query in query-file order, p-values ascending within a query
    assert list(dict.fromkeys(ours["Query_ID"])) == [q for q in dict.fromkeys(ref["Query_ID"])]
    assert all((g["p-value"].diff().dropna() >= 0).all() for _, g in ours.groupby("Query_ID"))
    assert (ours["q-value"] <= 0.5).all()


@needs_shared
def test_evalues_and_names():
    ref, ours = _run("query4_vs_JASPAR2014")
    np.testing.assert_allclose(ours["E-value"], ours["p-value"] * 205, rtol=1e-6)
    names = dict(zip(ours["Query_ID"], ours["Query_name"]))
    assert names == {"MA0139.1": "CTCF", "MA0035.4": "GATA1", "MA0496.3": "MAFK", "MA0502.2": "NFYB"}
    assert ours.loc[ours["Target_ID"] == "MA0139.1", "Target_name"].tolist() == ["CTCF"]


@needs_shared
def test_thresholds():
    queries = read_meme(SHARED / QUERY4)
    targets = read_meme(SHARED / CASES["query4_vs_JASPAR2014"][1])
    everything = tomtom(queries, targets, thresh=None)
    assert len(everything) == len(queries) * len(targets)  # each target once, on its better strand
    assert not everything.duplicated(["Query_ID", "Target_ID"]).any()
    strict = tomtom(queries, targets, thresh=0.01)
    assert len(strict) and (strict["q-value"] <= 0.01).all()
    by_e = tomtom(queries, targets, thresh=1.0, evalue=True)
    assert len(by_e) and (by_e["E-value"] <= 1.0).all()
    expected = everything[everything["E-value"] <= 1.0]
    assert len(by_e) == len(expected)


@pytest.mark.parametrize("kwargs, match", [
    ({"dist": "pearson"}, "only dist='ed'"),
    ({"min_overlap": 5}, "min_overlap=5 needs backend='meme'"),
    ({"thresh": 2.0}, "must be <= 1"),
    ({"backend": "other"}, "backend must be one of"),
])
def test_memelite_argument_errors(kwargs, match):
    motif = Motif("m", "", np.full((4, 3), 0.25))
    with pytest.raises(ValueError, match=match):
        tomtom([motif], [motif], **kwargs)


# ------------------------------------------------------------------------------------------ q-values


@needs_shared
@pytest.mark.parametrize("case", list(CASES))
def test_qvalues_reproduce_meme_from_reference_pvalues(case):
    """MEME's q-values: per query, over the p-values of every target on both strands (2 x n_targets),
    Benjamini-Hochberg with Storey's bootstrap pi0 (pi0 = 1 at <= 100 p-values), one drand48 stream.

    The reference lists only reported pairs on their better strand; the other strand and the unreported
    targets take their p-values from the memelite backend, which agrees with MEME to ~5 digits.
    """
    query_file, target_file, ref_file = CASES[case]
    queries, targets = read_meme(SHARED / query_file), read_meme(SHARED / target_file)
    ref = read_tomtom_tsv(REF / ref_file)
    n = len(targets)
    column = {m.id: i for i, m in enumerate(targets)}
    pvalues, _, _ = strand_matches(queries, targets)
    rng = Drand48()
    ours, theirs = [], []
    for qi, query in enumerate(queries):
        rows = ref[ref["Query_ID"] == query.id]
        cols = [column[t] + (n if o == "-" else 0) for t, o in zip(rows["Target_ID"], rows["Orientation"])]
        p = pvalues[qi].copy()
        p[cols] = rows["p-value"].to_numpy()
        ours.append(meme_qvalues(p, rng=rng)[cols])
        theirs.append(rows["q-value"].to_numpy())
    ours, theirs = np.concatenate(ours), np.concatenate(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-2, atol=1e-300,
                               err_msg=f"{case}: q-values differ from MEME's")


def test_qvalues_benjamini_hochberg_below_101_pvalues():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=100) ** 3
    order = np.argsort(p)
    bh = np.minimum(1, p[order] * len(p) / np.arange(1, len(p) + 1))
    bh = np.minimum.accumulate(bh[::-1])[::-1]
    expected = np.empty_like(bh)
    expected[order] = bh
    stream = Drand48()
    np.testing.assert_allclose(meme_qvalues(p, rng=stream), expected, rtol=1e-12)
    assert stream.state == 0  # pi0 = 1: no bootstrap, the random stream is untouched


def test_storey_pi0_with_more_than_100_pvalues():
    rng = np.random.default_rng(2)
    null = rng.uniform(size=900)
    pi0 = estimate_pi_zero(np.concatenate([null, rng.uniform(size=100) * 1e-4]), Drand48())
    assert 0.8 < pi0 <= 1.0
    assert estimate_pi_zero(np.full(200, 1e-9), Drand48()) == 1.0  # no p >= lambda: pi0 clipped to 1
    q = meme_qvalues(np.concatenate([null, [1e-6]]))
    assert q.shape == (901,) and (q <= 1).all() and q[-1] < 1e-3


def test_drand48_stream_is_glibc_unseeded():
    stream = Drand48()
    first = stream.random(3) * 2.0 ** 48
    assert first.tolist() == [11.0, 277363943098.0, 11718085204285.0]
    again = Drand48()
    np.testing.assert_array_equal(np.concatenate([again.random(3), again.random(2000)]),
                                  Drand48().random(2003))

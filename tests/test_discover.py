"""Motif discovery from attribution maps (deepmotif.discover) on synthetic maps with planted JASPAR motifs."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from deepmotif.data.synthetic import markov_background, plant_multi
from deepmotif.discover import DEFAULTS, discover, ism_scores, pfm_similarity, to_motifs

PLANTED = ("MA0035.5", "MA0496.4", "MA0502.3", "MA0139.2")  # GATA1, MAFK, NFYB, CTCF


@functools.lru_cache(maxsize=None)
def _jaspar() -> dict[str, np.ndarray]:
    from deepmotif.jaspar import fetch_collection

    return {m.id: m.pwm for m in fetch_collection("JASPAR2024") if m.id in PLANTED}


def _maps(n: int, pwms: list[np.ndarray], k: tuple[int, int] = (1, 1), rate: float = 1.0, noise: float = 0.3,
          length: int = 101, seed: int = 0):
    """One-hot and a 'perfect' map: one-hot × (planted-site indicator + Gaussian noise)."""
    rng = np.random.default_rng(seed)
    codes, mask, sites = plant_multi(markov_background(n, length, rng), pwms, k[0], k[1], rate=rate,
                                     random_state=rng)
    X = np.zeros((n, 4, length), dtype=np.float32)
    X[np.arange(n)[:, None], codes, np.arange(length)[None, :]] = 1
    score = (mask >= 0) + rng.normal(0, noise, (n, length))
    return X, (X * score[:, None, :]).astype(np.float32), sites


def _check_consistent(found, X: np.ndarray) -> None:
    n = len(X)
    for m in found:
        assert m.pfm.shape == m.cwm.shape and m.pfm.shape[0] == 4
        np.testing.assert_allclose(m.pfm.sum(axis=0), 1, atol=1e-9)
        assert m.seqlets.shape == (m.n_seqlets, 3) and m.n_seqlets >= DEFAULTS["min_seqlets"]
        assert m.support == pytest.approx(len(np.unique(m.seqlets[:, 0])) / n)
        assert 0 < m.support <= 1 and m.n_seqlets >= round(m.support * n)
        assert m.mean_attribution > 0
        # the seqlet coordinates re-cut from X give back the PFM exactly
        w = m.pfm.shape[1]
        rows, starts, strands = m.seqlets.T
        assert starts.min() >= 0 and (starts + w).max() <= X.shape[2]
        wins = X[rows[:, None], :, starts[:, None] + np.arange(w)].transpose(0, 2, 1)
        wins[strands < 0] = wins[strands < 0, ::-1, ::-1]
        np.testing.assert_allclose(wins.sum(axis=0) / m.n_seqlets, m.pfm, atol=1e-9)
    assert [m.n_seqlets for m in found] == sorted((m.n_seqlets for m in found), reverse=True)


def test_one_planted_motif_found_once_on_both_strands():
    planted = _jaspar()["MA0035.5"]
    X, attr, sites = _maps(300, [planted], seed=1)
    found = discover(X, attr)
    assert len(found) == 1
    m = found[0]
    _check_consistent(found, X)
    assert pfm_similarity(m.pfm, planted) > 0.9
    assert m.support > 0.8
    # seqlets sit on the planted sites, in one consistent orientation relative to the planted strand
    start, strand = sites["start"][m.seqlets[:, 0], 0], sites["strand"][m.seqlets[:, 0], 0]
    assert np.mean(np.abs(m.seqlets[:, 1] - start) <= 2) > 0.9
    agree = np.mean(m.seqlets[:, 2] == strand)
    assert max(agree, 1 - agree) > 0.9
    assert set(np.unique(m.seqlets[:, 2])) == {-1, 1}
    motifs = to_motifs(found, "GATA1.cnn.saliency", "GATA1")
    assert [(x.id, x.nsites) for x in motifs] == [("GATA1.cnn.saliency.m1", m.n_seqlets)]


def test_four_planted_motifs_found_distinct():
    pwms = [_jaspar()[i] for i in PLANTED]
    X, attr, _ = _maps(400, pwms, k=(1, 3), seed=2)
    found = discover(X, attr)
    _check_consistent(found, X)
    assert len(found) == 4
    sim = np.array([[pfm_similarity(m.pfm, p) for p in pwms] for m in found])
    assert sorted(np.argmax(sim, axis=1)) == [0, 1, 2, 3]
    assert sim.max(axis=1).min() > 0.9
    # each sequence carries 2 of the 4 motifs on average
    assert all(0.25 < m.support < 0.6 for m in found)


def test_pure_noise_gives_no_motif():
    X, attr, _ = _maps(500, [_jaspar()["MA0035.5"]], rate=0.0, seed=3)
    assert discover(X, attr) == []


def test_deterministic_and_signed_ism_scores():
    planted = _jaspar()["MA0496.4"]
    X, attr, _ = _maps(200, [planted], rate=0.7, seed=4)
    a, b = discover(X, attr, seed=5), discover(X, attr, seed=5)
    assert len(a) == len(b) == 1
    np.testing.assert_array_equal(a[0].seqlets, b[0].seqlets)
    assert 0.6 < a[0].support < 0.8
    # ISM-like map: zero at the observed base, minus the contribution at the three others
    ism = (X - 1) * attr.sum(axis=1, keepdims=True)
    with pytest.raises(ValueError, match="ism_scores"):
        discover(X, ism)
    found = discover(X, ism_scores(ism))
    assert len(found) == 1 and pfm_similarity(found[0].pfm, planted) > 0.9


def test_bad_input():
    X, attr, _ = _maps(20, [_jaspar()["MA0035.5"]])
    with pytest.raises(ValueError, match="one-hot"):
        discover(X[:, :3], attr)
    with pytest.raises(ValueError, match="shape"):
        discover(X, attr[:, :, :50])
    with pytest.raises(ValueError, match="window must be in"):
        discover(X, attr, window=200)
    with pytest.raises(ValueError, match="fdr"):
        discover(X, attr, fdr=0)


def test_per_task_discovery_pools_tasks_and_drops_duplicates():
    """Multi-task models (interpret.per_task): motifs discovered on each task's own maps are pooled; a motif
    found by two tasks on the same sites is kept once, on other sequences' sites it is kept for each."""
    from dataclasses import replace

    from deepmotif.discover import pool_motifs
    from deepmotif.motifs import discover_per_task

    gata, nfyb = _jaspar()["MA0035.5"], _jaspar()["MA0502.3"]
    rng = np.random.default_rng(5)
    n, length = 200, 101
    codes, mask, _ = plant_multi(markov_background(n, length, rng), [gata, nfyb], 2, 2, random_state=rng)
    X = np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)
    noise = rng.normal(0, 0.3, (2, n, length))
    both = X * ((mask >= 0) + noise[0])[:, None, :]    # task 0's output responds to GATA1 and NFYB sites
    only = X * ((mask == 1) + noise[1])[:, None, :]    # task 1's to NFYB sites only
    Xt, maps, task = np.concatenate([X, X]), np.concatenate([both, only]).astype(np.float32), np.repeat([0, 1], n)
    params = dict(DEFAULTS)
    same = discover_per_task(Xt, maps, task, np.tile(np.arange(n), 2), params)  # the same 200 sequences
    sims = np.array([[pfm_similarity(m.pfm, p) for p in (gata, nfyb)] for m in same])
    assert len(same) == 2 and sorted(np.argmax(sims, axis=1)) == [0, 1] and sims.max(axis=1).min() > 0.9
    other = discover_per_task(Xt, maps, task, np.arange(2 * n), params)  # as if 400 sequences: NFYB twice
    assert len(other) == 3 and sorted(np.argmax([[pfm_similarity(m.pfm, p) for p in (gata, nfyb)] for m in other],
                                                axis=1)) == [0, 1, 1]
    # seqlets index the rows of Xt; support is the share of the task's own rows
    for m in other:
        _check_consistent([replace(m, seqlets=m.seqlets - [n * (m.seqlets[0, 0] >= n), 0, 0])], X)
    groups = [[m] for m in other]
    assert [m.n_seqlets for _, m in pool_motifs(groups)] == sorted((m.n_seqlets for m in other), reverse=True)
    assert len(pool_motifs(groups, max_motifs=1)) == 1 and pool_motifs([[], []]) == []
    with pytest.raises(ValueError, match="shared"):
        pool_motifs(groups, shared=0)

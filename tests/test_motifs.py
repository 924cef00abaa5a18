"""Motif extraction: strongest windows, strand/shift alignment, PWM counting."""

from __future__ import annotations

import numpy as np

from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.data.synthetic import markov_background, plant_motifs
from deepmotif.motifs import attribution_motif, best_windows, top_positives, windows_to_pwm


def test_best_windows_and_top_positives():
    attr = np.zeros((2, 20))
    attr[0, 5:9] = 1
    attr[1, 15:20] = 1
    assert best_windows(attr, 4).tolist() == [5, 15]
    assert top_positives(np.array([0.1, 0.9, 0.5, 0.7]), np.array([1, 0, 1, 1]), 2).tolist() == [3, 2]


def test_windows_to_pwm_ignores_n_columns():
    wins = codes_to_one_hot(np.array([[0, 1, 4], [0, 2, 4]]))
    pwm = windows_to_pwm(wins)
    assert np.allclose(pwm.sum(axis=0), 1) and pwm[0, 0] == 1 and np.allclose(pwm[:, 2], 0.25)


def test_attribution_motif_recovers_planted_word_on_both_strands():
    word = [2, 0, 3, 0, 0, 2, 1]  # GATAAGC
    pwm = np.eye(4)[:, word]
    codes, starts, strands = plant_motifs(markov_background(150, 60, 1), pwm, 1.0, 2)
    X = codes_to_one_hot(codes)
    attr = np.zeros_like(X)
    for i, (s, st) in enumerate(zip(starts, strands)):  # an oracle attribution, slightly off-centre
        attr[i, :, s + 1:s + 6] = X[i, :, s + 1:s + 6]
    assert (strands < 0).sum() > 40
    motif, _ = attribution_motif(X, attr, width=9, motif_id="t.cnn.saliency", max_shift=2)
    consensus = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))
    rc = consensus[::-1].translate(str.maketrans("ACGT", "TGCA"))
    assert "GATAAGC" in consensus or "GATAAGC" in rc, consensus
    assert motif.pwm.max(axis=0).mean() > 0.75 and motif.nsites == 150


def test_temporal_windows_find_the_steepest_rise():
    from deepmotif.motifs import temporal_windows

    length, width = 30, 5
    forward = np.full((3, length), 0.2)
    backward = np.full((3, length), 0.2)
    for i, s in enumerate([0, 11, 25]):  # a motif at s..s+4: the score jumps while the window is read
        forward[i, s + width - 1:] = 0.9   # prefixes holding the whole motif
        forward[i, s:s + width - 1] = 0.5  # ... part of it
        backward[i, :s + 1] = 0.9
        backward[i, s + 1:s + width] = 0.5
    fs, bs = temporal_windows(forward, backward, width, empty=0.2)
    assert fs.tolist() == [0, 11, 25] and bs.tolist() == [0, 11, 25]
    fs, bs = temporal_windows(forward, backward, width)  # empty prefix at 0.5: the jump from 0.5 is smaller
    assert fs.tolist()[1:] == [11, 25] and bs.tolist()[:2] == [0, 11]
    import pytest

    with pytest.raises(ValueError, match=r"width must be in \[1, 30\]"):
        temporal_windows(forward, backward, 31)
    with pytest.raises(ValueError, match="one shape"):
        temporal_windows(forward, backward[:, :-1], 3)


def test_window_match_fraction_counts_windows_matching_the_own_motif():
    import pytest

    from deepmotif.jaspar import fetch_collection, find_motif
    from deepmotif.motifs import window_match_fraction

    targets = fetch_collection("JASPAR2024")
    own, _ = find_motif("JASPAR2024", name="GATA1")
    codes, starts, _ = plant_motifs(markov_background(60, 80, 3), own.pwm, 1.0, 4)
    X = codes_to_one_hot(codes)
    at_sites = window_match_fraction(X, starts, own.width, own, targets)
    elsewhere = window_match_fraction(X, (starts + 35) % (80 - own.width), own.width, own, targets)
    assert at_sites >= 0.4 and elsewhere <= 0.1, (at_sites, elsewhere)
    with pytest.raises(ValueError, match="is not among the"):
        window_match_fraction(X, starts, own.width, own, [t for t in targets if t.id != own.id])
    with pytest.raises(ValueError, match=r"starts must be \(60,\) integers"):
        window_match_fraction(X, starts[:-1], own.width, own, targets)


def test_credit_rises_spreads_each_rise_over_the_bases_it_completes():
    import pytest

    from deepmotif.motifs import credit_rises, temporal_rises

    length, width = 20, 4
    forward = np.full((1, length), 0.1)
    forward[0, 9:] = 0.9  # a motif at 6..9 completes on reading base 9
    backward = np.full((1, length), 0.1)
    backward[0, :7] = 0.9  # read from the right, it completes on reading base 6
    fwd, bwd = temporal_rises(forward, backward, empty=0.1)
    f, b = credit_rises(fwd, width, "forward"), credit_rises(bwd, width, "backward")
    assert np.flatnonzero(f[0]).tolist() == [6, 7, 8, 9] and np.allclose(f[0, 6:10], 0.2)
    assert np.flatnonzero(b[0]).tolist() == [6, 7, 8, 9] and np.allclose(b[0, 6:10], 0.2)
    assert np.allclose(f.sum(), fwd.sum()) and np.allclose(credit_rises(fwd, 1, "forward"), fwd)
    edge = credit_rises(np.eye(1, length, 1), width, "forward")  # credit before base 0 is dropped
    assert np.allclose(edge[0, :2], 0.25) and np.isclose(edge.sum(), 0.5)
    with pytest.raises(ValueError, match="width must be >= 1"):
        credit_rises(fwd, 0, "forward")
    with pytest.raises(ValueError, match="direction must be"):
        credit_rises(fwd, 2, "sideways")


def test_motifs_that_lower_the_score_are_discovered_with_sign_minus_one():
    """An ISM map where mutating motif A lowers the score and mutating motif B raises it: A is a positive
    motif, B one of sign -1 (ranked after the positives, CWM and mean attribution negative); with
    motifs.negative off, B is not discovered."""
    import copy

    from deepmotif.config import DEFAULTS
    from deepmotif.motifs import extract_motifs

    rng = np.random.default_rng(0)
    n, length = 300, 60
    codes = markov_background(n, length, rng)
    a, b = np.array([0, 3, 2, 0, 3, 1, 2, 0]), np.array([1, 1, 2, 2, 3, 3, 0, 0])  # ATGATCGA, CCGGTTAA
    codes[:, 10:18], codes[:, 35:43] = a, b
    X = codes_to_one_hot(codes)
    ism = rng.normal(0, 0.01, X.shape).astype(np.float32) * (1 - X)
    ism[:, :, 10:18] -= (1 - X[:, :, 10:18])  # mutating A drops the logit by 1
    ism[:, :, 35:43] += (1 - X[:, :, 35:43])  # mutating B raises it by 1
    settings = copy.deepcopy(DEFAULTS["motifs"])
    motifs, _, info, cwms = extract_motifs("T", "cnn", X, X * 0.0 + X * 1e-3, {"ism": ism}, settings)
    ism_rows = info[info["method"] == "ism"].set_index("motif_id")
    consensus = {m.id: "".join("ACGT"[i] for i in m.pwm.argmax(axis=0)) for m in motifs}
    positive = ism_rows[ism_rows["sign"] == 1]
    negative = ism_rows[ism_rows["sign"] == -1]
    assert len(negative) == 1 and len(positive) >= 1
    neg_id = negative.index[0]
    assert consensus[neg_id] in ("CCGGTTAA", "TTAACCGG") and negative.loc[neg_id, "mean_attribution"] < 0
    assert negative.loc[neg_id, "motif_rank"] > positive["motif_rank"].max()
    assert any(c in ("ATGATCGA", "TCGATCAT") for i, c in consensus.items() if i in positive.index)
    k = list(cwms["ids"]).index(neg_id)
    assert cwms[f"cwm_{k}"].sum() < 0
    settings["negative"] = False
    _, _, off, _ = extract_motifs("T", "cnn", X, X * 1e-3, {"ism": ism}, settings)
    assert (off["sign"] == 1).all()

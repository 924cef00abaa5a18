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

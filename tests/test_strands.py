"""Both strands (#16): strand-combined scoring of every architecture, what each interpretation method explains
for such a model, and reverse-complement augmentation in training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from deepmotif.config import DEFAULTS
from deepmotif.interpret.attribution import deep_lift_shap, integrated_gradients
from deepmotif.interpret.ism import ism
from deepmotif.interpret.saliency import input_gradients
from deepmotif.interpret.temporal import temporal_scores, temporal_scores_naive
from deepmotif.models import STRANDS, build_model, reverse_complement
from deepmotif.train import flip_half

SMALL = {"cnn": {"filters": 6, "kernels": [5, 3]}, "rnn": {"hidden": 4}, "cnnrnn": {"filters": 5, "kernel": 5, "hidden": 4}}


def one_hot(n: int, length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1).copy()


def rc(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X[:, ::-1, ::-1])


def twins(arch: str, strands: str, seed: int = 0):
    """The same weights as a strand-combined model and as a single-strand one."""
    torch.manual_seed(seed)
    both = build_model(arch, strands=strands, **SMALL[arch]).eval()
    single = build_model(arch, **SMALL[arch]).eval()
    single.load_state_dict(both.state_dict())
    return both, single


class Averaged(torch.nn.Module):
    """A hand-built strand-averaged model: the mean of a single-strand model's scores of x and of its reverse
    complement, written out (not the models' own ``strands`` code)."""

    def __init__(self, single):
        super().__init__()
        self.single = single

    def forward(self, x):
        return 0.5 * (self.single(x) + self.single(torch.flip(x, dims=(1, 2))))


def gata_model(strands: str = "single"):
    """A hand-built CNN whose only filter scores GATA on the forward strand (and TATC not at all)."""
    model = build_model("cnn", filters=1, kernels=[4], batchnorm=False, dropout=0.0, strands=strands).eval()
    conv = model.features[0]
    with torch.no_grad():
        conv.weight.zero_()
        for j, base in enumerate("GATA"):
            conv.weight[0, "ACGT".index(base), j] = 1.0
        conv.bias.fill_(-3.0)
        model.linear.weight.fill_(2.0)
        model.linear.bias.fill_(-1.0)
    return model


def test_the_schema_offers_the_strand_modes_of_the_models():
    schema = yaml.safe_load((Path(__file__).parents[1] / "src/deepmotif/schemas/config.schema.yaml").read_text())
    for arch in SMALL:
        assert schema["properties"]["models"]["properties"][arch]["properties"]["strands"]["enum"] == list(STRANDS)
        assert DEFAULTS["models"][arch]["strands"] in STRANDS


def test_reverse_complement_reverses_and_complements_one_hot():
    x = torch.from_numpy(one_hot(1, 4))
    seq = "".join("ACGT"[i] for i in x[0].argmax(0))
    rev = "".join("ACGT"[i] for i in reverse_complement(x)[0].argmax(0))
    assert rev == seq[::-1].translate(str.maketrans("ACGT", "TGCA"))


@pytest.mark.parametrize("strands", ["mean", "max"])
@pytest.mark.parametrize("arch", list(SMALL))
def test_a_two_strand_model_scores_a_sequence_and_its_reverse_complement_alike(arch, strands):
    both, single = twins(arch, strands)
    X = torch.from_numpy(one_hot(8, 30))
    with torch.no_grad():
        assert torch.allclose(both(X), both(reverse_complement(X)), atol=1e-6)
        f, r = single(X), single(reverse_complement(X))
        expected = (f + r) / 2 if strands == "mean" else torch.maximum(f, r)
        assert torch.allclose(both(X), expected, atol=1e-6)
        assert not torch.allclose(f, r, atol=1e-4)  # the single-strand model is not symmetric by itself


def test_the_hand_built_model_sees_a_minus_strand_site_only_when_scoring_both_strands():
    X = np.zeros((1, 4, 12), dtype=np.float32)
    for j, base in enumerate("CCCTATCCCCCC"):  # TATC: GATA on the minus strand
        X[0, "ACGT".index(base), j] = 1
    with torch.no_grad():
        single = gata_model("single")(torch.from_numpy(X)).item()
        both = gata_model("mean")(torch.from_numpy(X)).item()
    assert single == pytest.approx(-1.0)  # no forward site: ReLU(−…) → 0, logit = bias
    assert both == pytest.approx((-1.0 + (2.0 * 1.0 - 1.0)) / 2)  # the minus-strand site scores 1 · 2 − 1


@pytest.mark.parametrize("arch", list(SMALL))
def test_gradient_methods_of_a_strand_averaged_model_equal_those_of_the_hand_built_average(arch):
    both, single = twins(arch, "mean")
    X = one_hot(5, 24, seed=1)
    hand = Averaged(single).eval()
    np.testing.assert_allclose(input_gradients(both, X), input_gradients(hand, X), atol=1e-6)
    # ... which is the average of both strands' gradients mapped back onto the forward sequence
    mapped = (input_gradients(single, X) + rc(input_gradients(single, rc(X)))) / 2
    np.testing.assert_allclose(input_gradients(both, X), mapped, atol=1e-6)
    np.testing.assert_allclose(ism(both, X), ism(hand, X), atol=1e-5)
    np.testing.assert_allclose(integrated_gradients(both, X, n_shuffles=2, n_steps=8),
                               integrated_gradients(hand, X, n_shuffles=2, n_steps=8), atol=1e-5)
    for direction in ("forward", "backward"):
        np.testing.assert_allclose(temporal_scores(both, X, direction), temporal_scores_naive(hand, X, direction),
                                   atol=1e-5)


@pytest.mark.parametrize("arch", list(SMALL))
def test_deeplift_of_a_two_strand_model_combines_each_strands_map_mapped_back(arch):
    X, R = one_hot(4, 24, seed=2), one_hot(4, 24, seed=3)  # R: one fixed reference per sequence
    for strands in ("mean", "max"):
        both, single = twins(arch, strands)
        got = deep_lift_shap(both, X, n_shuffles=1, baseline=R)
        fwd = deep_lift_shap(single, X, n_shuffles=1, baseline=R)
        rev = rc(deep_lift_shap(single, rc(X), n_shuffles=1, baseline=rc(R)))
        if strands == "mean":
            expected = (fwd + rev) / 2
        else:
            with torch.no_grad():
                wins = single(torch.from_numpy(rc(X))) > single(torch.from_numpy(X))
            expected = np.where(wins.numpy()[:, None, None], rev, fwd)
        np.testing.assert_allclose(got, expected, atol=1e-6)
        assert got.shape == X.shape and np.all(got[X == 0] == 0)


def test_deeplift_credits_the_minus_strand_site_of_the_hand_built_model_on_the_forward_sequence():
    X = np.zeros((1, 4, 12), dtype=np.float32)
    for j, base in enumerate("CCCTATCCCCCC"):
        X[0, "ACGT".index(base), j] = 1
    R = np.zeros_like(X)
    R[0, 1] = 1  # all-C reference: no site on either strand
    single = deep_lift_shap(gata_model("single"), X, n_shuffles=1, baseline=R)
    both = deep_lift_shap(gata_model("mean"), X, n_shuffles=1, baseline=R)
    assert np.abs(single).max() < 1e-6
    per_position = both.sum(axis=1)[0]
    assert per_position.sum() == pytest.approx(1.0, abs=1e-5)  # (score − reference score) = (0 − (−1)) / 2 · 2
    assert set(np.nonzero(np.abs(per_position) > 1e-6)[0]) == {3, 4, 5}  # the site T-A-T-C at 3..6, its C shared with the ref


def test_rc_augmentation_flips_a_reproducible_half_of_a_batch():
    X = torch.from_numpy(one_hot(400, 10))
    out = flip_half(X, torch.Generator().manual_seed(5))
    flipped = (out != X).flatten(1).any(1)
    assert 150 < int(flipped.sum()) < 250
    assert torch.equal(out[flipped], reverse_complement(X[flipped]))
    assert torch.equal(out, flip_half(X, torch.Generator().manual_seed(5)))


def test_training_with_rc_augmentation_and_both_strands(tmp_path):
    from deepmotif.train import fit, load_model

    rng = np.random.default_rng(0)
    X = one_hot(240, 30, seed=4)
    y = rng.integers(0, 2, 240)
    for i in np.nonzero(y)[0]:  # GATA on a random strand in every positive
        site = "GATA" if rng.random() < 0.5 else "TATC"
        X[i, :, 10:14] = np.eye(4, dtype=np.float32)[["ACGT".index(b) for b in site]].T
    data = {s: (X[a:b], y[a:b]) for s, a, b in (("train", 0, 160), ("valid", 160, 200), ("test", 200, 240))}
    cfg = {"epochs": 3, "batch_size": 32, "rc_augment": True, "threads": 1, "device": "cpu"}

    def curve(params, out, **options):
        m = fit("cnn", {"filters": 4, "kernels": [5], **params}, data, tmp_path / out, {**cfg, **options},
                progress=False)
        return [(h["epoch"], h["loss"], h["valid_auroc"]) for h in m["history"]]

    one = curve({}, "a")
    assert one == curve({}, "b")  # reproducible
    assert one != curve({}, "c", rc_augment=False)  # the augmentation changed the batches
    both = curve({"strands": "mean"}, "d")
    assert both == curve({"strands": "mean"}, "e", rc_augment=False)  # nothing to augment for a 2-strand model
    model, _ = load_model(tmp_path / "d" / "best.pt")
    assert model.strands == "mean"

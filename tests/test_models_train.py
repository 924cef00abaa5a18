"""Models accept any length; training selects on validation and writes metrics and checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import ROOT

from deepmotif.cli import main
from deepmotif.config import DEFAULTS, check_architectures, merge, train_options
from deepmotif.data.prepare import add_shuffled_negatives
from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.data.synthetic import markov_background, plant_motifs
from deepmotif.errors import InputError
from deepmotif.models import build_model
from deepmotif.train import fit, load_model

SMALL = {"cnn": {"filters": 16, "kernels": [9, 5, 3]}, "rnn": {"hidden": 8},
         "cnnrnn": {"filters": 16, "kernel": 9, "hidden": 8, "conv_pool": 2}}


@pytest.mark.parametrize("arch", ["cnn", "rnn", "cnnrnn"])
@pytest.mark.parametrize("length", [1, 7, 101])
def test_models_map_any_length_to_one_logit(arch, length):
    model = build_model(arch, **SMALL[arch])
    assert model(torch.zeros(3, 4, length)).shape == (3,)


def test_unknown_architecture():
    with pytest.raises(ValueError, match="architecture must be one of"):
        build_model("transformer")


def _task(n: int, seed: int):
    pwm = np.eye(4)[:, [2, 0, 3, 0, 0, 2]]  # GATAAG, deterministic
    pos, _, _ = plant_motifs(markov_background(n, 60, seed), pwm, 1.0, seed + 1)
    codes, y = add_shuffled_negatives(pos, seed + 2)
    return codes_to_one_hot(codes), y.astype(np.float32)


@pytest.fixture(scope="module")
def task():
    return {"train": _task(600, 1), "valid": _task(100, 10), "test": _task(100, 20)}


def test_fit_learns_selects_on_valid_and_reloads(tmp_path, task):
    params = {"filters": 32, "kernels": [9], "dropout": 0.1}  # one layer: learns a single word in 1-2 epochs
    m = fit("cnn", params, task, tmp_path, {"epochs": 4, "batch_size": 32, "lr": 1e-2}, progress=False)
    assert m["test_auroc"] > 0.9, m
    assert m["selected_on"] == "valid_auroc"
    best = int(np.argmax([h["valid_auroc"] for h in m["history"]])) + 1
    assert m["best_epoch"] == best
    saved = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("train_auroc", "valid_auroc", "test_auroc", "test_aupr", "epochs_run", "wall_seconds", "device"):
        assert key in saved
    model, arch = load_model(tmp_path / "best.pt")
    assert arch == "cnn" and not model.training


def test_min_epochs_delays_early_stopping(tmp_path, task):
    # a learning rate of 1e-12 keeps the validation AUROC of epoch 1 the best, so patience 1 stops after 2
    cfg = {"epochs": 6, "patience": 1, "lr": 1e-12, "batch_size": 200}
    params = {"filters": 4, "kernels": [9], "batchnorm": False}  # no running statistics to move either
    assert fit("cnn", params, task, tmp_path / "a", cfg, progress=False)["epochs_run"] == 2
    m = fit("cnn", params, task, tmp_path / "b", {**cfg, "min_epochs": 5}, progress=False)
    assert m["epochs_run"] == 5 and m["best_epoch"] == 1


def test_per_architecture_options_override_train_for_base_and_variant():
    cfg = merge(DEFAULTS, {"train": {"epochs": 7, "per_architecture": {"rnn": {"epochs": 50, "batch_size": 16},
                                                                       "rnn_mean": {"batch_size": 8}}},
                           "models": {"rnn_mean": {"arch": "rnn", "pool": "mean"}}})
    cnn, rnn, rnn_mean = (train_options(cfg, name) for name in ("cnn", "rnn", "rnn_mean"))
    assert (cnn["epochs"], cnn["batch_size"]) == (7, DEFAULTS["train"]["batch_size"])
    assert (rnn["epochs"], rnn["batch_size"]) == (50, 16)
    assert (rnn_mean["epochs"], rnn_mean["batch_size"]) == (50, 8)  # its base's entry, then its own
    assert not {"sizes", "per_architecture"} & set(rnn)
    with pytest.raises(InputError, match="field 'train.per_architecture.lstm'"):
        check_architectures(merge(cfg, {"train": {"per_architecture": {"lstm": {"epochs": 3}}}}), "c.yaml")


def test_rnn_learns_the_demos_synthetic_mafk(tmp_path, monkeypatch):
    """The demo's MAFK (2,000 planted positives against their dinucleotide shuffles), trained as the workflow
    does (config/config.yaml, with its train.per_architecture.rnn). With PyTorch's default LSTM input
    weights and the shared training options the RNN stayed at test AUROC 0.52; now it finds the motif."""
    monkeypatch.chdir(ROOT)  # the config names its sheet relative to the repository
    config = str(ROOT / "config" / "config.yaml")
    assert main(["prepare", "--config", config, "--tf", "MAFK", "--out", str(tmp_path / "data.npz")]) == 0
    assert main(["train", "--config", config, "--data", str(tmp_path / "data.npz"), "--arch", "rnn",
                 "--out-dir", str(tmp_path / "rnn"), "--quiet"]) == 0
    m = json.loads((tmp_path / "rnn" / "metrics.json").read_text())
    assert m["n_train"] == 3600 and m["epochs_run"] >= 30, m["epochs_run"]  # min_epochs of the rnn entry
    assert m["test_auroc"] > 0.85, m["test_auroc"]


def _without_timings(metrics: dict) -> dict:
    out = {k: v for k, v in metrics.items() if k != "wall_seconds"}
    out["history"] = [{k: v for k, v in h.items() if k != "seconds"} for h in metrics["history"]]
    return out


@pytest.mark.parametrize("arch", ["cnn", "rnn", "cnnrnn"])
def test_same_seed_same_metrics_json_and_weights(tmp_path, task, arch):
    """CPU training is bit-for-bit reproducible: every value of metrics.json but the timings, and every
    weight of best.pt, are equal across two runs with the same seed; another seed differs."""
    cfg = {"epochs": 2, "batch_size": 64}  # the models keep dropout 0.5: the random streams matter
    for run, seed in (("a", 1), ("b", 1), ("c", 2)):
        fit(arch, SMALL[arch], task, tmp_path / run, {**cfg, "seed": seed}, progress=False)
    a, b, c = (json.loads((tmp_path / run / "metrics.json").read_text()) for run in "abc")
    assert _without_timings(a) == _without_timings(b)
    assert a["history"][-1]["loss"] != c["history"][-1]["loss"]
    wa, wb = (torch.load(tmp_path / run / "best.pt", weights_only=False)["state_dict"] for run in "ab")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_checkpoint_of_other_architecture_is_refused(tmp_path, task):
    fit("cnn", SMALL["cnn"], task, tmp_path, {"epochs": 1}, progress=False)
    with pytest.raises(InputError, match="architecture 'cnn', expected 'rnn'"):
        fit("rnn", SMALL["rnn"], task, tmp_path, {"epochs": 2}, progress=False)
    (tmp_path / "best.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="best.pt: not a usable deepmotif checkpoint"):
        load_model(tmp_path / "best.pt")


def test_bad_checkpoint_is_discarded_when_config_says_restart(tmp_path, task, capsys):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "last.pt").write_bytes(b"half a checkpoint")
    with pytest.raises(InputError, match="cannot resume from checkpoint .*train.on_bad_checkpoint: restart"):
        fit("rnn", SMALL["rnn"], task, tmp_path, {"epochs": 1}, progress=False)
    m = fit("rnn", SMALL["rnn"], task, tmp_path, {"epochs": 1, "on_bad_checkpoint": "restart"}, progress=False)
    assert m["epochs_run"] == 1
    assert "discarded it (train.on_bad_checkpoint: restart)" in capsys.readouterr().err


def test_on_bad_checkpoint_setting_keeps_a_good_checkpoint(tmp_path, task, capsys):
    fit("rnn", SMALL["rnn"], task, tmp_path, {"epochs": 1}, progress=False)
    m = fit("rnn", SMALL["rnn"], task, tmp_path, {"epochs": 2, "on_bad_checkpoint": "restart"}, progress=True)
    assert "resuming rnn from epoch 2" in capsys.readouterr().err
    assert m["epochs_run"] == 2


def test_any_log_odds_is_the_log_odds_that_some_task_is_positive():
    from deepmotif.models import any_log_odds

    logits = torch.tensor([[2.0, -3.0, 0.5], [-8.0, -9.0, -7.5], [30.0, 25.0, -40.0]], requires_grad=True)
    p = torch.sigmoid(logits.detach().double())
    any_p = 1 - (1 - p).prod(dim=1)
    score = any_log_odds(logits)
    assert torch.allclose(score[:2].double(), torch.log(any_p / (1 - any_p))[:2], atol=1e-4, rtol=1e-4)
    assert torch.isclose(score[2], torch.tensor(55.0), rtol=1e-4)  # P(no task) = e^-(30 + 25): log-odds 55
    score.sum().backward()
    # every positive task weighs about 1, a negative one about 0: each motif a sequence carries is explained
    assert torch.allclose(logits.grad[2], torch.tensor([1.0, 1.0, 0.0]), atol=1e-6)
    one = torch.tensor([[1.5], [-2.0]])
    assert torch.equal(any_log_odds(one), one.squeeze(-1))


def _two_motif_task(n: int, seed: int):
    """Positives carry GATAAGCA or CCAATGGT (half each), each its own task; negatives are their shuffles."""
    words = [[2, 0, 3, 0, 0, 2, 1, 0], [1, 1, 0, 0, 3, 2, 2, 3]]
    parts = [plant_motifs(markov_background(n // 2, 60, [seed, k]), np.eye(4)[:, w], 1.0, [seed, k, 1])[0]
             for k, w in enumerate(words)]
    codes, y = add_shuffled_negatives(np.concatenate(parts), seed + 2)
    motif = np.repeat(np.r_[np.zeros(n // 2), np.ones(n // 2)].astype(int), 2)  # add_shuffled interleaves
    labels = np.zeros((len(y), 2), np.float32)
    labels[np.arange(len(y)), motif] = y
    return codes_to_one_hot(codes), labels


def test_multitask_fit_learns_each_task_and_scores_any_task(tmp_path):
    from sklearn.metrics import roc_auc_score

    data = {"train": _two_motif_task(600, 1), "valid": _two_motif_task(100, 10), "test": _two_motif_task(200, 20)}
    params = {"filters": 32, "kernels": [9], "dropout": 0.1, "tasks": 2}
    m = fit("cnn", params, data, tmp_path, {"epochs": 5, "batch_size": 32, "lr": 1e-2}, progress=False)
    assert m["test_auroc"] > 0.9, m  # the model's one score against "any task positive"
    assert m["selected_on"] == "valid_task_auroc" and m["test_task_auroc"] > 0.9
    assert m["best_epoch"] == int(np.argmax([h["valid_task_auroc"] for h in m["history"]])) + 1
    model, _ = load_model(tmp_path / "best.pt")
    X, labels = data["test"]
    with torch.no_grad():
        per_task = model.task_logits(torch.from_numpy(X)).numpy()
        score = model(torch.from_numpy(X)).numpy()
    assert per_task.shape == (len(X), 2) and score.shape == (len(X),)
    for k in range(2):  # each output tells its own motif from the other's positives and the negatives
        assert roc_auc_score(labels[:, k], per_task[:, k]) > 0.9


def test_planted_tasks_come_from_the_data(tmp_path):
    from deepmotif.data.prepare import load_task_labels
    from deepmotif.train import training_data

    sites = np.array([[0, 2, -1], [1, -1, -1], [-1, -1, -1]])
    arrays = {f"{s}_{k}": v for s in ("train", "valid", "test") for k, v in
              (("codes", np.zeros((3, 5), np.uint8)), ("y", np.array([1, 1, 0])), ("sites_motif", sites))}
    np.savez(tmp_path / "multi.npz", **arrays, meta_planted_names=np.array(["A", "B", "C"]))
    assert load_task_labels(tmp_path / "multi.npz", "test").tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]
    data, params = training_data(tmp_path / "multi.npz", {"filters": 4, "tasks": "planted"})
    assert params == {"filters": 4, "tasks": 3} and data["train"][1].shape == (3, 3)
    data, params = training_data(tmp_path / "multi.npz", {"filters": 4})
    assert params == {"filters": 4} and data["train"][1].shape == (3,)
    plain = {k: v for k, v in arrays.items() if "sites" not in k}
    np.savez(tmp_path / "plain.npz", **plain)
    with pytest.raises(InputError, match="tasks: planted needs a data set with tasks"):
        training_data(tmp_path / "plain.npz", {"tasks": "planted"})


def test_the_schema_offers_exactly_the_registered_architectures():
    """deepmotif.architectures.REGISTRY is the one list of architectures: the schema's `arch` enum is held
    to it, every entry builds, and its conv_first flag says what the built model is."""
    from pathlib import Path

    import yaml

    from deepmotif.architectures import ARCHITECTURES, CONV_ARCHITECTURES
    from deepmotif.interpret import has_conv

    root = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((root / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["properties"]["models"]["additionalProperties"]["properties"]["arch"]["enum"] == list(ARCHITECTURES)
    for name in ARCHITECTURES:
        assert has_conv(build_model(name)) == (name in CONV_ARCHITECTURES)


def test_train_sizes_together_equal_one_by_one(tmp_path, monkeypatch):
    """`deepmotif train-sizes` (rule train_sizes: one job per TF × architecture, its sizes in parallel
    processes on the job's device) gives each size exactly the model and metrics of its own `train` job; an
    unknown size fails before any training, naming the setting."""
    monkeypatch.chdir(ROOT)
    settings = json.dumps({"tfs": "config/tfs.tsv", "data": {"synthetic": {"n_train": 300, "n_test": 100}},
                           "train": {"epochs": 1, "batch_size": 64},
                           "models": {"cnn": {"filters": 8, "kernels": [9, 3]}}})
    data = str(tmp_path / "data.npz")
    assert main(["prepare", "--set", settings, "--tf", "MAFK", "--out", data]) == 0
    assert main(["train-sizes", "--set", settings, "--data", data, "--arch", "cnn", "--sizes", "small", "large",
                 "--sizes-dir", str(tmp_path / "together")]) == 0
    for size in ("small", "large"):
        assert main(["train", "--set", settings, "--data", data, "--arch", "cnn", "--size", size, "--out-dir",
                     str(tmp_path / "alone" / size), "--quiet"]) == 0
        together, alone = (json.loads((tmp_path / run / size / "metrics.json").read_text())
                           for run in ("together", "alone"))
        assert _without_timings(together) == _without_timings(alone)
        wt, wa = (torch.load(tmp_path / run / size / "best.pt", weights_only=False)["state_dict"]
                  for run in ("together", "alone"))
        assert all(torch.equal(wt[k], wa[k]) for k in wa)
    assert wt["features.0.weight"].shape[0] == 16  # large: 2 × 8 filters
    assert main(["train-sizes", "--set", settings, "--data", data, "--arch", "cnn", "--sizes", "small", "huge",
                 "--sizes-dir", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()

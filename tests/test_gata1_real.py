"""Real data: DeMo's GATA1 K562 set. A CNN trained for a few CPU epochs beats the JASPAR GATA1 PWM scan
computed here, and its saliency motif's best JASPAR match is a GATA motif."""

from __future__ import annotations

import numpy as np
import pytest

from deepmotif.config import DEFAULTS
from deepmotif.data.onehot import codes_to_one_hot
from deepmotif.data.prepare import prepare
from deepmotif.evaluate import auroc_aupr, predict, pwm_scan
from deepmotif.interpret.saliency import saliency
from deepmotif.jaspar import families
from deepmotif.memeio import read_meme
from deepmotif.motifs import attribution_motif, top_positives
from deepmotif.tomtom import tomtom
from deepmotif.train import fit, load_model

GATA = "deepmotif-k562/GATA1_K562_GATA-1_USC"


@pytest.fixture(scope="module")
def gata1(tmp_path_factory):
    from conftest import SHARED

    if not SHARED.is_dir():
        pytest.skip("../shared/data not present (test data is kept outside the repo)")
    row = {"name": "GATA1", "source": "deepmotif_fasta", "train": str(SHARED / GATA / "train.fa"),
           "test": str(SHARED / GATA / "test.fa")}
    arrays = prepare(row, DEFAULTS["data"])
    data = {s: (codes_to_one_hot(arrays[f"{s}_codes"]), arrays[f"{s}_y"].astype(np.float32))
            for s in ("train", "valid", "test")}
    out = tmp_path_factory.mktemp("gata1")
    cfg = dict(DEFAULTS["train"], epochs=6, threads=2)
    metrics = fit("cnn", DEFAULTS["models"]["cnn"], data, out, cfg, progress=False)
    model, _ = load_model(out / "best.pt")
    return SHARED, data, metrics, model


@pytest.mark.slow
def test_cnn_beats_pwm_scan_by_005(gata1):
    shared, data, metrics, _ = gata1
    X, y = data["test"]
    motif = next(m for m in read_meme(shared / "jaspar/JASPAR2020_CORE_vertebrates_non-redundant_pfms.meme")
                 if m.id == "MA0035.4")
    baseline = auroc_aupr(y, pwm_scan(X, motif.pwm))["auroc"]
    assert 0.80 < baseline < 0.87  # the shared README measured 0.834 with the same recipe
    assert metrics["test_auroc"] >= baseline + 0.05, (metrics["test_auroc"], baseline)


@pytest.mark.slow
def test_saliency_motif_is_a_gata_motif(gata1):
    shared, data, _, model = gata1
    X, y = data["test"]
    idx = top_positives(predict(model, X), y, 200)
    motif, _ = attribution_motif(X[idx], saliency(model, X[idx]), width=15, motif_id="GATA1.cnn.saliency")
    targets = read_meme(shared / "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms.meme")
    hits = tomtom([motif], targets, thresh=None)
    best = hits.iloc[0]
    fams = families("JASPAR2024").get(best["Target_ID"], frozenset())
    assert "GATA" in best["Target_name"].upper() or "C4-GATA-related" in fams, best.to_dict()
    # no significance asked of it: the paper's one blurry 15-column motif is weak (its best hit, GATA4, sits at
    # q 0.06 here, also trimmed through the match stage); the discovered motifs below are significant


@pytest.mark.slow
@pytest.mark.parametrize("arch, epochs, goal", [("rnn", 10, 0.75), ("cnnrnn", 6, 0.85)])
def test_recurrent_models_learn(gata1, tmp_path, arch, epochs, goal):
    """A mean-pooled biLSTM on one-hot input stays near chance; max-over-time pooling, orthogonal
    recurrent init with forget bias 1 and lr 0.005 (our defaults) make both recurrent models learn."""
    _, data, _, _ = gata1
    cfg = dict(DEFAULTS["train"], epochs=epochs, threads=2)
    metrics = fit(arch, DEFAULTS["models"][arch], data, tmp_path, cfg, progress=False)
    assert metrics["test_auroc"] >= goal, metrics["history"]


@pytest.mark.slow
def test_discovered_saliency_motifs_recover_gata1_on_real_data(gata1):
    """Motif discovery on DeMo's real GATA1 K562 data (the case the paper's one-window-per-sequence motif
    reported as CTCF): the CNN's saliency over all positives (train, valid and test: attributions select
    nothing) holds a discovered motif whose top 3 hits hold GATA1's own matrix or family, and the
    top-supported motif is no long zinc-finger matrix."""
    from deepmotif.discover import discover, to_motifs
    from deepmotif.jaspar import find_motif
    from deepmotif.match import match_queries, match_settings

    shared, data, _, model = gata1
    X = np.concatenate([data[s][0] for s in ("train", "valid", "test")])
    y = np.concatenate([data[s][1] for s in ("train", "valid", "test")])
    idx = top_positives(predict(model, X), y, 2000)
    found = discover(X[idx], saliency(model, X[idx]))
    assert found
    targets = read_meme(shared / "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms.meme")
    _, table = match_queries(to_motifs(found, "GATA1.cnn.saliency", "GATA1"), targets,
                             {"GATA1": find_motif("JASPAR2024", name="GATA1")}, families("JASPAR2024"),
                             match_settings({"match": {}, "motifs": {}}))
    shown = table[["motif_id", "consensus", "n_sites", "hit1_name", "hit1_q", "family_recovered"]].to_string()
    assert table["family_recovered"].any(), shown
    assert not str(table.iloc[0]["hit1_name"]).startswith("CTCF"), shown

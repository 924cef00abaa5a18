"""The report folder's parts that need no workflow run: the summary table's verdict counts (per TF and
architecture, how many methods recovered the own matrix / family; no verdict for a TF without a JASPAR
matrix) and the folder's atomic replacement. The pages themselves are tested on the workflow's real outputs
in headless Chromium (tests/test_workflow.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmotif.io_utils import atomic_folder
from deepmotif.report import summary_table


def test_summary_counts_verdicts_per_architecture_and_keeps_the_sheet_order():
    auroc = pd.DataFrame({"tf": ["A", "A", "B", "B", "B"], "architecture": ["cnn", "pwm", "cnn", "rnn", "pwm"],
                          "test_auroc": [0.9, 0.7, 0.8, 0.75, 0.6]})
    matches = pd.DataFrame({
        "tf": ["A", "A", "A", "B", "B", "B"],
        "architecture": ["cnn", "cnn", "cnn", "cnn", "rnn", "rnn"],
        "method": ["saliency", "ism", "filters", "saliency", "saliency", "ism"],
        "own_id": ["MA1", "MA1", "MA1", np.nan, np.nan, np.nan],
        "recovered": [True, False, False, False, False, False],
        "family_recovered": [True, True, False, False, False, False]})
    sheet = pd.DataFrame({"name": ["B", "A"], "source": "synthetic", "cell_line": ["HepG2", "K562"]})
    summary = summary_table(auroc, matches, sheet).set_index("tf")
    assert list(summary.index) == ["B", "A"] and "lab" not in summary  # the sheet has no lab column
    assert summary.loc["A", "cell_line"] == "K562"
    a, b = summary.loc["A"], summary.loc["B"]
    assert (a["auroc_cnn"], a["auroc_pwm"], b["auroc_rnn"]) == (0.9, 0.7, 0.75) and np.isnan(a["auroc_rnn"])
    assert (a["cnn_methods"], a["cnn_family"], a["cnn_own"]) == (3, 2, 1) and a["jaspar_matrix"]
    assert np.isnan(a["rnn_methods"])  # A has no RNN rows
    # B has no JASPAR matrix (no own_id): methods counted, no verdict
    assert b["rnn_methods"] == 2 and np.isnan(b["rnn_family"]) and np.isnan(b["rnn_own"]) and not b["jaspar_matrix"]


def test_report_folder_is_replaced_whole_or_not_at_all(tmp_path):
    out = tmp_path / "report"
    with atomic_folder(out) as tmp:
        (tmp / "index.html").write_text("first")
        (tmp / "tf").mkdir()
        (tmp / "tf" / "A.html").write_text("A")
    assert (out / "index.html").read_text() == "first" and (out / "tf" / "A.html").is_file()
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "index.html").write_text("half")
        raise RuntimeError("killed")
    assert (out / "index.html").read_text() == "first"  # the failed build left the previous folder
    with atomic_folder(out) as tmp:
        (tmp / "index.html").write_text("second")
    assert (out / "index.html").read_text() == "second" and not (out / "tf").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporaries left


def test_ground_truth_tables_get_a_page_linked_from_the_index(tmp_path):
    """A report without motifs or dashboards (nothing to draw): the index links the ground-truth page, which
    shows the attribution AUROC pivot and the recovery counts, and the TF's page."""
    from deepmotif.config import DEFAULTS
    from deepmotif.report import write_report

    t = {name: tmp_path / f"{name}.tsv" for name in ("auroc", "matches", "motifs", "groundtruth_attribution",
                                                     "groundtruth_recovery")}
    pd.DataFrame({"tf": ["KOO"], "architecture": ["cnn"], "test_auroc": [0.9]}).to_csv(t["auroc"], sep="\t",
                                                                                      index=False)
    pd.DataFrame({"tf": ["KOO"], "architecture": ["cnn"], "method": ["saliency"], "own_id": [""],
                  "recovered": [False], "family_recovered": [False]}).to_csv(t["matches"], sep="\t", index=False)
    pd.DataFrame({"tf": ["KOO"], "motif_id": ["KOO.cnn.saliency.m0"], "status": ["no motif"]}).to_csv(
        t["motifs"], sep="\t", index=False)
    pd.DataFrame({"tf": ["KOO"] * 2, "architecture": ["cnn"] * 2, "method": ["saliency", "ism"],
                  "auroc": [0.81, 0.92]}).to_csv(t["groundtruth_attribution"], sep="\t", index=False)
    pd.DataFrame({"tf": ["KOO"], "architecture": ["cnn"], "method": ["saliency"], "n_found": [2],
                  "n_planted": [3]}).to_csv(t["groundtruth_recovery"], sep="\t", index=False)
    out = tmp_path / "report"
    write_report(out, DEFAULTS, t["auroc"], t["matches"], t["motifs"], [],
                 groundtruth_files=[t["groundtruth_attribution"], t["groundtruth_recovery"]])
    index = (out / "index.html").read_text()
    assert 'href="groundtruth.html"' in index and 'href="tf/KOO.html"' in index and "no known motif" in index
    page = (out / "groundtruth.html").read_text()
    assert "<td>0.92</td>" in page and "2/3" in page and 'href="index.html"' in page
    assert "KOO" in (out / "tf" / "KOO.html").read_text()


def test_deepresolve_page_shows_each_tasks_top_channels_and_the_heat_maps(tmp_path):
    """With DeepResolve's table and heat maps, the index links a DeepResolve page listing each task's three
    most important channels (named by their filters' matches) and showing each model's figure as a file."""
    from deepmotif.config import DEFAULTS
    from deepmotif.report import write_report

    auroc, matches, motifs, fiv = (tmp_path / f"{n}.tsv" for n in ("auroc", "matches", "motifs", "fiv"))
    pd.DataFrame({"tf": ["KOO"], "architecture": ["cnn"], "test_auroc": [0.9]}).to_csv(auroc, sep="\t", index=False)
    pd.DataFrame({"tf": ["KOO"], "architecture": ["cnn"], "method": ["saliency"], "own_id": [""],
                  "recovered": [False], "family_recovered": [False]}).to_csv(matches, sep="\t", index=False)
    pd.DataFrame({"tf": ["KOO"], "motif_id": ["KOO.cnn.saliency.m0"], "status": ["no motif"]}).to_csv(
        motifs, sep="\t", index=False)
    pd.DataFrame({"tf": "KOO", "architecture": "cnn", "task": ["SP1"] * 4 + ["SRF"] * 4,
                  "channel": [0, 1, 2, 3] * 2, "rank": [2, 1, 3, 4, 4, 3, 2, 1],
                  "ofiv": [0.5, 0.9, 0.2, -0.1, -0.2, 0.1, 0.3, 2.0],
                  "non_additive": [False, True, False, False] * 2,
                  "match_name": ["KLF12", "SP1", None, "CTCF", "KLF12", "SP1", None, "SRF"]}).to_csv(fiv, sep="\t",
                                                                                                   index=False)
    figure = tmp_path / "results" / "KOO" / "cnn" / "deepresolve.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"\x89PNG\r\n\x1a\n")
    out = tmp_path / "report"
    write_report(out, DEFAULTS, auroc, matches, motifs, [], deepresolve_table=fiv, deepresolve_figures=[figure])
    assert 'href="deepresolve.html"' in (out / "index.html").read_text()
    page = (out / "deepresolve.html").read_text()
    assert "1 SP1 · 0 KLF12 · 2" in page and "3 SRF · 2 · 1 SP1" in page
    assert 'src="deepresolve/KOO_cnn.png"' in page and (out / "deepresolve" / "KOO_cnn.png").is_file()

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

"""The attractor check (deepmotif.attractors): a JASPAR matrix that is the significant best hit of unrelated
TFs in one architecture × method is flagged; TFs of one family count once, a hit of the TF's own family is
no attractor, nor is a hit that is not significant; the report lists what is flagged."""

from __future__ import annotations

import pandas as pd

from deepmotif.attractors import attractor_summary, flag_attractors, write_flagged_table
from deepmotif.cli import main
from deepmotif.match import SUMMARY_COLUMNS


def _row(tf, best, family="", top=False, status="matched", method="filters", arch="cnn", own_id="MA0000.1"):
    return {"tf": tf, "architecture": arch, "method": method, "best_id": best, "best_name": f"name of {best}",
            "status": status, "top_in_family": top, "own_id": own_id, "own_family": family}


def _table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)


def test_a_matrix_shared_by_three_unrelated_tfs_is_flagged_in_that_method_only():
    rows = [_row("ELK1", "MA0140.3", "Ets-related"), _row("SP1", "MA0140.3", "Three-zinc finger Kruppel-related"),
            _row("FOXM1", "MA0140.3", own_id=""),  # no known motif: any significant hit is foreign
            _row("GATA1", "MA0140.3", "C4-GATA-related", top=True),  # its own family: legitimate, not counted
            _row("ELK1", "MA0140.3", "Ets-related", method="saliency"),  # another method
            _row("SP1", "MA0140.3", "Three-zinc finger Kruppel-related", arch="cnnrnn")]
    out = flag_attractors(_table(rows))
    assert out["shared_by"].tolist() == [3, 3, 3, 0, 1, 1]
    assert out["attractor"].tolist() == [True, True, True, False, False, False]
    found = attractor_summary(out)
    assert found.to_dict("records") == [{"architecture": "cnn", "method": "filters", "best_id": "MA0140.3",
                                         "best_name": "name of MA0140.3", "n_tfs": 3, "tfs": "ELK1, FOXM1, SP1"}]
    assert flag_attractors(_table(rows), min_tfs=4)["attractor"].sum() == 0


def test_tfs_of_one_family_count_once_and_insignificant_hits_not_at_all():
    rows = [_row("ELK1", "MA0001.1", "Ets-related"), _row("GABPA", "MA0001.1", "Ets-related"),
            _row("ELF1", "MA0001.1", "Ets-related"), _row("USF1", "MA0001.1", "bHLH-ZIP"),
            _row("MYC", "MA0001.1", "bHLH-ZIP", status="no match"), _row("REST", "", "zinc finger", status="no motif")]
    out = flag_attractors(_table(rows))
    assert out["shared_by"].tolist() == [2, 2, 2, 2, 0, 0] and not out["attractor"].any()
    assert attractor_summary(out).empty


def test_motif_summary_command_concatenates_and_flags(tmp_path):
    tables = []
    for i, (tf, fam) in enumerate((("A", "f1"), ("B", "f2"), ("C", "f3"))):
        path = tmp_path / f"{tf}.tsv"
        _table([_row(tf, "MA0140.3", fam), _row(tf, f"MA000{i}.1", fam, method="ism")]).to_csv(path, sep="\t",
                                                                                                 index=False)
        tables.append(path)
    out = tmp_path / "tables" / "motif_matches.tsv"
    found = write_flagged_table(tables, out)
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == [*SUMMARY_COLUMNS, "shared_by", "attractor"] and len(table) == 6
    assert table.loc[table["method"] == "filters", "attractor"].all() and not table.loc[table["method"] == "ism",
                                                                                        "attractor"].any()
    assert len(found) == 1
    assert main(["motif-summary", "--tables", *map(str, tables), "--out", str(out),
                 "--set", '{"match": {"attractor_min_tfs": 4}}']) == 0
    assert not pd.read_csv(out, sep="\t")["attractor"].any()

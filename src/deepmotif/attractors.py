"""The attractor check: one JASPAR matrix that is the significant best hit of unrelated TFs in one method.

A long or degenerate matrix can win Tomtom's ranking for motifs that are not its own: before the match rule
of :mod:`deepmotif.match`, CTCF was the best hit of many discovered motifs; a deep CNN's partial first-layer
filters did the same with GATA1::TAL1 (17 bp) for 7 of 10 unrelated real TFs. Such a hit says more about the
matrix than about the TF, so the run's summary table says so.

Per architecture × method, over every TF of a run: a row whose best hit is significant (status "matched") and
not of the TF's own family (``top_in_family`` not true; a TF with no known motif has no family, so any hit
counts) is *foreign* to that matrix. TFs of one family (``own_family``; the TF itself where it has none)
count once. ``shared_by`` is the number of such unrelated TFs that share the row's best hit, and a row is an
``attractor`` when at least ``match.attractor_min_tfs`` (3) do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from deepmotif.errors import InputError
from deepmotif.match import MATCHED, verdict

#: columns added to ``results/tables/motif_matches.tsv``
ATTRACTOR_COLUMNS = ("shared_by", "attractor")
#: one row per attractor of :func:`attractor_summary`
SUMMARY_COLUMNS = ("architecture", "method", "best_id", "best_name", "n_tfs", "tfs")
_GROUP = ["architecture", "method", "best_id"]


def _foreign(table: pd.DataFrame) -> pd.Series:
    """Rows whose significant best hit is not of the TF's own family."""
    best = table["best_id"].fillna("").astype(str).str.strip()
    return table["status"].eq(MATCHED) & best.ne("") & ~table["top_in_family"].map(verdict)


def _family_key(table: pd.DataFrame) -> pd.Series:
    """What makes two TFs related: their own matrices' families, else their own matrix, else the TF."""
    key = table["own_family"].fillna("").astype(str)
    own = table["own_id"].fillna("").astype(str)
    key = key.where(key.ne(""), "matrix:" + own)
    return key.where(key.ne("matrix:"), "tf:" + table["tf"].astype(str))


def flag_attractors(table: pd.DataFrame, min_tfs: int = 3) -> pd.DataFrame:
    """The summary table (one row per TF × architecture × method) with :data:`ATTRACTOR_COLUMNS` added:
    ``shared_by`` (unrelated TFs sharing the row's foreign best hit in its architecture × method; 0 for a
    row without one) and ``attractor`` (``shared_by`` >= ``min_tfs``)."""
    missing = [c for c in ("tf", *_GROUP, "status", "top_in_family", "own_id", "own_family") if c not in table]
    if missing:
        raise InputError(f"motif-match table lacks column(s) {', '.join(missing)}", field=missing[0])
    out = table.drop(columns=[c for c in ATTRACTOR_COLUMNS if c in table])
    foreign = _foreign(out)
    keys = out.assign(_key=_family_key(out))[foreign]
    counts = keys.groupby(_GROUP)["_key"].nunique()
    shared = pd.Series(0, index=out.index, dtype=int)
    if len(keys):
        shared[foreign] = [int(counts[k]) for k in zip(*(keys[c] for c in _GROUP))]
    out["shared_by"] = shared
    out["attractor"] = shared >= int(min_tfs)
    return out


def attractor_summary(flagged: pd.DataFrame) -> pd.DataFrame:
    """One row per attractor of a :func:`flag_attractors` table: its architecture, method, matrix, how many
    unrelated TFs have it as best hit and which."""
    hits = flagged[flagged["attractor"].map(verdict)]
    rows = [{"architecture": arch, "method": method, "best_id": best, "best_name": g["best_name"].iloc[0],
             "n_tfs": int(g["shared_by"].iloc[0]), "tfs": ", ".join(sorted(g["tf"].astype(str)))}
            for (arch, method, best), g in hits.groupby(_GROUP, sort=False)]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def write_flagged_table(tables: list[str | Path], out: str | Path, min_tfs: int = 3) -> pd.DataFrame:
    """``deepmotif motif-summary``: every TF's ``motif_matches.tsv`` in one table with the attractor columns,
    written to ``out``. Returns the :func:`attractor_summary`."""
    from deepmotif.io_utils import read_tables, write_tsv

    flagged = flag_attractors(read_tables(tables), min_tfs)
    write_tsv(out, flagged)
    return attractor_summary(flagged)

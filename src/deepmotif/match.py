"""The match stage: Tomtom every extracted motif against JASPAR and summarise, per TF × architecture ×
method, the best hit and whether the TF's own motif (or its family) came back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.config import read_sheet
from deepmotif.errors import InputError
from deepmotif.jaspar import families, find_motif
from deepmotif.memeio import Motif, read_meme
from deepmotif.tomtom import tomtom

TABLE_COLUMNS = ["tf", "architecture", "method", "motif_id", "consensus", "n_sites", "best_id", "best_name",
                 "best_family", "p_value", "e_value", "q_value", "own_id", "own_rank", "own_p_value",
                 "own_q_value", "top_in_family", "recovered"]


def split_motif_id(motif_id: str) -> tuple[str, str, str]:
    """``TF.arch.method`` → (TF, arch, method); the TF part may itself contain dots."""
    parts = motif_id.rsplit(".", 2)
    if len(parts) != 3:
        raise ValueError(f"motif ID {motif_id!r} is not of the form TF.architecture.method")
    return parts[0], parts[1], parts[2]


def is_family_hit(target_id: str, target_name: str, own_id: str, own_families: frozenset, tf: str,
                  target_families: dict[str, frozenset]) -> bool:
    """True when a JASPAR target is the TF's own matrix (any version), carries the TF's name (also as a
    dimer partner, e.g. ``Bach1::Mafk``) or shares a TF family with the TF's own matrix."""
    if target_id.split(".")[0] == own_id.split(".")[0]:
        return True
    if tf.upper() in {part.upper() for part in target_name.split("::")}:
        return True
    return bool(own_families & target_families.get(target_id, frozenset()))


def summarise(hits: pd.DataFrame, queries: list[Motif], own: dict[str, tuple[Motif, frozenset]],
              target_families: dict[str, frozenset], significance: float = 0.05) -> pd.DataFrame:
    """One row per query motif from Tomtom's complete hit list (every query × target pair).

    Parameters
    ----------
    hits : pandas.DataFrame
        Tomtom output with all pairs (no threshold), columns as MEME's TSV plus ``Target_name``.
    queries : list of Motif
        Query motifs with IDs ``TF.arch.method``.
    own : dict
        TF name → (its own JASPAR motif, its TF families).
    target_families : dict
        JASPAR matrix ID → TF families.
    significance : float
        q-value at or below which a hit counts as significant.
    """
    rows = []
    for q in queries:
        tf, arch, method = split_motif_id(q.id)
        qh = hits[hits["Query_ID"] == q.id].sort_values(["p-value", "E-value"], kind="stable")
        own_motif, own_fams = own[tf]
        fam = np.array([is_family_hit(t, n, own_motif.id, own_fams, tf, target_families)
                        for t, n in zip(qh["Target_ID"], qh["Target_name"])], dtype=bool)
        own_pos = np.flatnonzero(qh["Target_ID"].str.split(".").str[0].to_numpy() == own_motif.id.split(".")[0])
        sig = (qh["q-value"] <= significance).to_numpy()
        best = qh.iloc[0] if len(qh) else None
        rows.append({
            "tf": tf, "architecture": arch, "method": method, "motif_id": q.id,
            "consensus": best["Query_consensus"] if best is not None else "",
            "n_sites": q.nsites,
            "best_id": best["Target_ID"] if best is not None else "",
            "best_name": best["Target_name"] if best is not None else "",
            "best_family": ";".join(sorted(target_families.get(best["Target_ID"], ()))) if best is not None else "",
            "p_value": best["p-value"] if best is not None else np.nan,
            "e_value": best["E-value"] if best is not None else np.nan,
            "q_value": best["q-value"] if best is not None else np.nan,
            "own_id": own_motif.id,
            "own_rank": int(own_pos[0]) + 1 if len(own_pos) else np.nan,
            "own_p_value": qh["p-value"].iloc[own_pos[0]] if len(own_pos) else np.nan,
            "own_q_value": qh["q-value"].iloc[own_pos[0]] if len(own_pos) else np.nan,
            "top_in_family": bool(len(qh) and fam[0] and sig[0]),
            "recovered": bool((fam & sig).any()),
        })
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def match_motifs(motif_files: list[str | Path], jaspar_file: str | Path, cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run Tomtom for every motif in ``motif_files`` against ``jaspar_file``.

    Returns
    -------
    hits : pandas.DataFrame
        Tomtom hits at the configured threshold (``match.thresh`` on the q-value), MEME's TSV columns.
    table : pandas.DataFrame
        One row per TF × architecture × method (columns ``TABLE_COLUMNS``).
    """
    queries = [m for f in motif_files for m in read_meme(f)]
    if not queries:
        raise InputError("no motifs to match", path=motif_files[0] if motif_files else None)
    targets = read_meme(jaspar_file)
    release, tax = cfg["jaspar"]["release"], cfg["jaspar"].get("tax_group", "vertebrates")
    sheet = read_sheet(cfg["tfs"]).set_index("name")
    own = {}
    for tf in {split_motif_id(q.id)[0] for q in queries}:
        if tf not in sheet.index:
            raise InputError(f"motif TF {tf!r} is not in the TF sheet", path=cfg["tfs"])
        own[tf] = find_motif(release, sheet.at[tf, "jaspar_id"] or None, sheet.at[tf, "jaspar_name"] or None)
    m = cfg["match"]
    every = tomtom(queries, targets, backend=m["backend"], thresh=None, tomtom_bin=m.get("tomtom_bin"))
    table = summarise(every, queries, own, families(release, tax), float(m["significance"]))
    hits = every[every["q-value"] <= float(m["thresh"])].reset_index(drop=True)
    return hits, table

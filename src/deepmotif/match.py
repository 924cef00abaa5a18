"""The match stage: Tomtom every extracted motif against JASPAR and summarise, per TF × architecture ×
method, the best hit and whether the TF's own motif (or its family) came back.

Two additions to one-row-per-motif:

* first-layer filter motifs (ids ``TF.arch.filterN``, many per model) are summarised as *one* row per TF ×
  architecture with method ``filters``: the filter with the best hit (smallest q, then p) fills the usual
  columns, ``n_filters`` / ``filter_match_fraction`` / ``filter_family_fraction`` say how many filters there
  were and which share has a significant hit / a significant hit to the TF's own motif or family;
* ``window_match_fraction``, the paper's per-sequence measure, for the sequence-specific methods (those
  with window starts in ``windows.npz``): the share of explained sequences whose own window matches the TF's
  JASPAR motif (:func:`deepmotif.motifs.window_match_fraction`), the windows re-cut to that motif's width
  around the core of the method's motif (:func:`deepmotif.motifs.core_starts`).
"""

from __future__ import annotations

import re
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
                 "own_q_value", "top_in_family", "recovered", "window_match_fraction", "n_filters",
                 "filter_match_fraction", "filter_family_fraction"]
FILTER_METHOD = re.compile(r"filter\d+")


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
        TF name → (its own JASPAR motif, its TF families), or a list of such pairs for a TF with several
        planted motifs (source ``synthetic_multi``): a hit then counts for any of them (its own matrix, its
        name or its family), and ``own_*`` describe the best-ranked one (``own_id`` lists them all).
    target_families : dict
        JASPAR matrix ID → TF families.
    significance : float
        q-value at or below which a hit counts as significant.
    """
    rows = []
    for q in queries:
        tf, arch, method = split_motif_id(q.id)
        qh = hits[hits["Query_ID"] == q.id].sort_values(["p-value", "E-value"], kind="stable")
        pairs = [(*own[tf], tf)] if isinstance(own[tf], tuple) else [(m, f, m.name) for m, f in own[tf]]
        fam = np.array([any(is_family_hit(t, n, m.id, f, name, target_families) for m, f, name in pairs)
                        for t, n in zip(qh["Target_ID"], qh["Target_name"])], dtype=bool)
        own_bases = [m.id.split(".")[0] for m, _, _ in pairs]
        own_pos = np.flatnonzero(np.isin(qh["Target_ID"].str.split(".").str[0].to_numpy(), own_bases))
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
            "own_id": ",".join(m.id for m, _, _ in pairs),
            "own_rank": int(own_pos[0]) + 1 if len(own_pos) else np.nan,
            "own_p_value": qh["p-value"].iloc[own_pos[0]] if len(own_pos) else np.nan,
            "own_q_value": qh["q-value"].iloc[own_pos[0]] if len(own_pos) else np.nan,
            "top_in_family": bool(len(qh) and fam[0] and sig[0]),
            "recovered": bool((fam & sig).any()),
            "window_match_fraction": np.nan, "n_filters": np.nan, "filter_match_fraction": np.nan,
            "filter_family_fraction": np.nan,
        })
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def summarise_filters(table: pd.DataFrame) -> pd.DataFrame:
    """Collapse the rows of first-layer filter motifs (method ``filterN``) into one row per TF ×
    architecture with method ``filters``, placed after that architecture's other rows.

    The row is the filter whose best hit is most significant (smallest q-value, then p-value; the first
    filter on ties), with ``n_filters`` (filters matched), ``filter_match_fraction`` (share of them whose
    best hit has q <= significance, i.e. ``q_value`` of their own row) and ``filter_family_fraction``
    (share that are ``recovered``: a significant hit to the TF's own motif or family); ``recovered`` is
    true when any filter is, ``top_in_family`` is that of the best filter.
    """
    is_filter = table["method"].astype(str).str.fullmatch(FILTER_METHOD.pattern)
    if not is_filter.any():
        return table
    rows = []
    for (tf, arch), group in table.groupby(["tf", "architecture"], sort=False):
        filt = group[is_filter.loc[group.index]]
        rows.append(group[~is_filter.loc[group.index]])
        if filt.empty:
            continue
        best = filt.sort_values(["q_value", "p_value"], kind="stable", na_position="last").iloc[0].copy()
        best["method"] = "filters"
        best["n_filters"] = len(filt)
        best["filter_match_fraction"] = float(filt["_significant"].mean())
        best["filter_family_fraction"] = float(filt["recovered"].mean())
        best["recovered"] = bool(filt["recovered"].any())
        rows.append(best.to_frame().T)
    out = pd.concat(rows, ignore_index=True).infer_objects()
    for col in ("top_in_family", "recovered"):
        out[col] = out[col].astype(bool)
    return out


def read_motifs(path: str | Path) -> list[Motif]:
    """Motifs of a MEME file; [] for a file that has the header but no motif (e.g. a model with no filter
    active enough to make a motif)."""
    text = Path(path).read_text() if Path(path).is_file() else None
    if text is not None and "MEME version" in text and "\nMOTIF" not in text:
        return []
    return read_meme(path)


def _windows_tf(path: str | Path) -> str:
    with np.load(path) as z:
        return str(z["tf"])


def window_fractions(windows_files: list[str | Path], data_file: str | Path, own: Motif, targets: list[Motif],
                     cfg: dict) -> dict[str, float]:
    """``window_match_fraction`` of every sequence-specific motif of one TF (motif id → fraction).

    For each method in a motifs-stage ``windows.npz`` (aligned window starts and strands of the explained
    test sequences, and the method's PWM), each sequence's window is re-cut to the width of the TF's own
    JASPAR motif around the most informative part of the method's motif, and counted when Tomtom matches
    it to the own motif with q <= ``match.significance``.
    """
    from deepmotif.data.prepare import load_split
    from deepmotif.motifs import core_starts, window_match_fractions

    X, _ = load_split(data_file, "test")
    if own.id not in {t.id for t in targets}:  # e.g. an older version of the matrix than the collection's
        targets = [*targets, own]
    sets = {}
    for f in windows_files:
        with np.load(f) as z:
            tf, arch = str(z["tf"]), str(z["arch"])
            idx, width = z["index"], int(z["width"])
            for method in z["methods"]:
                starts = core_starts(z[f"{method}_aligned"], z[f"{method}_strand"], width, z[f"{method}_pwm"],
                                     own.width)
                sets[f"{tf}.{arch}.{method}"] = (X[idx], starts)
    m = cfg["match"]
    return window_match_fractions(sets, own.width, own, targets, q=float(m["significance"]), backend=m["backend"])


def match_motifs(motif_files: list[str | Path], jaspar_file: str | Path, cfg: dict,
                 windows_files: list[str | Path] | None = None,
                 data_file: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run Tomtom for every motif in ``motif_files`` against ``jaspar_file``.

    Parameters
    ----------
    motif_files : list of path
        MEME files of extracted motifs (ids ``TF.arch.method``; filter motifs ``TF.arch.filterN``).
    jaspar_file : path
        MEME file of the targets.
    cfg : dict
        Config (``tfs``, ``jaspar``, ``match``).
    windows_files, data_file : optional
        ``windows.npz`` files of the motifs stage and the ``data.npz`` of their TF (one TF): adds
        ``window_match_fraction`` to the sequence-specific methods' rows.

    Returns
    -------
    hits : pandas.DataFrame
        Tomtom hits at the configured threshold (``match.thresh`` on the q-value), MEME's TSV columns.
    table : pandas.DataFrame
        One row per TF × architecture × method (columns ``TABLE_COLUMNS``), filters summarised in one row.
    """
    queries = [m for f in motif_files for m in read_motifs(f)]
    if not queries:
        raise InputError("no motifs to match", path=motif_files[0] if motif_files else None)
    targets = read_meme(jaspar_file)
    release, tax = cfg["jaspar"]["release"], cfg["jaspar"].get("tax_group", "vertebrates")
    sheet = read_sheet(cfg["tfs"]).set_index("name")
    own = {}
    for tf in {split_motif_id(q.id)[0] for q in queries}:
        if tf not in sheet.index:
            raise InputError(f"motif TF {tf!r} is not in the TF sheet", path=cfg["tfs"])
        if sheet.at[tf, "source"] == "synthetic_multi":
            from deepmotif.jaspar import find_motifs

            own[tf] = find_motifs(release, sheet.at[tf, "jaspar_id"] or None, sheet.at[tf, "jaspar_name"] or None)
        else:
            own[tf] = find_motif(release, sheet.at[tf, "jaspar_id"] or None, sheet.at[tf, "jaspar_name"] or None)
    m = cfg["match"]
    significance = float(m["significance"])
    every = tomtom(queries, targets, backend=m["backend"], thresh=None, tomtom_bin=m.get("tomtom_bin"))
    table = summarise(every, queries, own, families(release, tax), significance)
    table["_significant"] = table["q_value"] <= significance
    table = summarise_filters(table).drop(columns="_significant")
    if windows_files:
        if data_file is None:
            raise InputError("window files need the TF's data file (--data)")
        tfs = sorted({_windows_tf(f) for f in windows_files})
        if len(tfs) != 1 or tfs[0] not in own:
            raise InputError(f"window files must be of one TF whose motifs are matched (one data file), got "
                             f"{', '.join(tfs)}", path=windows_files[0])
        if isinstance(own[tfs[0]], tuple):  # a TF with several planted motifs has no one motif to match
            fractions = window_fractions(windows_files, data_file, own[tfs[0]][0], targets, cfg)
            table["window_match_fraction"] = table["motif_id"].map(fractions).astype(float)
    hits = every[every["q-value"] <= float(m["thresh"])].reset_index(drop=True)
    table["n_filters"] = table["n_filters"].astype("Int64")
    return hits, table[TABLE_COLUMNS].reset_index(drop=True)

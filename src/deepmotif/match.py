"""The match stage: Tomtom every extracted motif against JASPAR, keep only alignments a long or empty matrix
cannot game, and say per motif and per TF × architecture × method which JASPAR matrices came back and
whether the TF's own motif (or its family) is among them.

Motif hygiene and admissibility (measured on the 51 demo motifs against JASPAR2024 with MEME tomtom 5.5.8
and memelite, ``benchmarks/match_rules.py``):

* every query is trimmed to its informative core (:func:`deepmotif.trim.trim`, ``motifs.trim_bits``); a
  core carrying less than ``motifs.min_bits`` bits is *no motif*: it is not sent to Tomtom and gets status
  ``"no motif"``, empty hit columns and false verdicts; so is a core averaging less than
  ``motifs.min_mean_bits`` per column (near-uniform queries otherwise collect small
  p-values inside long zinc-finger matrices);
* a Tomtom alignment is admissible when the target's own informative core is at most
  ``match.max_target_ratio`` times the query's width (a 33-column CTCF matrix does not win on a 7-column
  stretch of it); ``match.complete_overlap`` also requires the shorter motif to be covered completely; and
  the target columns the query is aligned to must hold ``match.min_aligned_share`` of the target's information
  (:func:`aligned_share`: a weak first-layer filter aligned on GATA1::TAL1's near-empty spacer is no GATA1::TAL1
  hit). Inadmissible targets are removed from the ranking but still count in Tomtom's q-values (conservative);
* the top three admissible hits are reported with two verdicts: ``recovered`` (the TF's own matrix, any
  version, among them with q <= ``match.significance``) and ``family_recovered`` (a matrix of the TF's
  family, or one carrying the TF's name, e.g. ``Bach1::Mafk``, among them, significant). For a broad family
  (:func:`broad_families`: zinc-finger families and those with more than ``match.broad_family_size``
  members) sharing the family is not enough: the hit must itself be an admissible significant Tomtom match
  of the own matrix (so CTCF does not count as family for YY1).

Two additions to one-row-per-motif in the summary table (one row per TF × architecture × method):

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
from deepmotif.io_utils import open_npz
from deepmotif.jaspar import NO_KNOWN_MOTIF, families, row_known_motifs
from deepmotif.memeio import Motif, read_meme
from deepmotif.sources import MULTI_MOTIF_SOURCES
from deepmotif.tomtom import NAME_COLUMNS, TOMTOM_COLUMNS, tomtom
from deepmotif.trim import (MIN_BITS, MIN_MEAN_BITS, TRIM_BITS, column_information, core_bounds, informative,
                            total_information, trim)

TABLE_COLUMNS = ["tf", "architecture", "method", "motif_id", "consensus", "n_sites", "best_id", "best_name",
                 "best_family", "p_value", "e_value", "q_value", "own_id", "own_name", "own_family", "own_rank", "own_p_value",
                 "own_q_value", "top_in_family", "recovered", "window_match_fraction", "n_filters",
                 "filter_match_fraction", "filter_family_fraction"]
#: the summary table: TABLE_COLUMNS then these
SUMMARY_COLUMNS = TABLE_COLUMNS + ["family_recovered", "n_motifs", "motif_rank", "status"]
N_HITS = 3
HIT_FIELDS = ("id", "name", "family", "q")
#: motif statistics of discovery (optional ``info_files``)
INFO_COLUMNS = ["n_seqlets", "support", "mean_attribution", "sign"]
MOTIF_COLUMNS = (["tf", "architecture", "method", "motif_id", "motif_rank", "status", "consensus", "width",
                  "info_bits", "n_sites", *INFO_COLUMNS]
                 + [f"hit{i}_{f}" for i in range(1, N_HITS + 1) for f in HIT_FIELDS]
                 + ["hit1_p", "hit1_e", "own_id", "own_name", "own_family", "own_rank", "own_p_value", "own_q_value", "top_in_family",
                    "recovered", "family_recovered"])
#: status of a motif / summary row: significant best hit; informative but no significant hit (summary only);
#: uninformative core (or, in the summary, no motif discovered at all: ``n_motifs`` 0), never matched
MATCHED, NO_MATCH, NO_MOTIF = "matched", "no match", "no motif"
#: the verdict columns: empty (neither true nor false) for a TF with no known motif
VERDICTS = ("top_in_family", "recovered", "family_recovered")
FILTER_METHOD = re.compile(r"filter\d+")
_RANK = re.compile(r"m(\d+)")

def match_settings(cfg: dict) -> dict:
    """Every setting the match stage reads, from ``cfg["match"]`` and ``cfg["motifs"]``, keys left out taken
    from :data:`deepmotif.config.DEFAULTS` (the one place of their defaults)."""
    from deepmotif.config import DEFAULTS, merge

    full = merge(DEFAULTS, cfg)
    m, mo = full["match"], full["motifs"]
    return {**m, "thresh": float(m["thresh"]), "significance": float(m["significance"]),
            "min_overlap": int(m["min_overlap"]), "max_target_ratio": float(m["max_target_ratio"]),
            "complete_overlap": bool(m["complete_overlap"]), "broad_family_size": int(m["broad_family_size"]),
            "min_aligned_share": float(m["min_aligned_share"]),
            "trim_bits": float(mo["trim_bits"]), "min_bits": float(mo["min_bits"]),
            "min_mean_bits": float(mo["min_mean_bits"])}


def split_motif_id(motif_id: str) -> tuple[str, str, str, int]:
    """``TF.arch.method`` / ``TF.arch.method.mN`` / ``TF.arch.filterN`` → (TF, arch, method, rank); the TF
    part may itself contain dots; rank is N of ``.mN`` (1 when absent)."""
    parts = motif_id.split(".")
    rank = 1
    if len(parts) >= 4 and _RANK.fullmatch(parts[-1]):
        rank = int(parts[-1][1:])
        parts = parts[:-1]
    if len(parts) < 3 or not all(parts[-2:]) or not parts[0]:
        raise ValueError(f"motif ID {motif_id!r} is not of the form TF.architecture.method[.mN]")
    return ".".join(parts[:-2]), parts[-2], parts[-1], rank


def broad_families(target_families: dict[str, frozenset], max_size: int = 50) -> frozenset[str]:
    """Families whose members' motifs are too diverse for family membership to mean a similar motif:
    those named for zinc fingers ("More than 3 adjacent zinc fingers", "Factors with multiple dispersed zinc
    fingers", ...; each KZFP binds its own long site) and any family of more than ``max_size`` matrices."""
    counts: dict[str, int] = {}
    for fams in target_families.values():
        for f in fams:
            counts[f] = counts.get(f, 0) + 1
    return frozenset(f for f, n in counts.items() if "zinc finger" in f.lower() or n > max_size)


def is_family_hit(target_id: str, target_name: str, own_id: str, own_families: frozenset, tf: str,
                  target_families: dict[str, frozenset], broad: frozenset = frozenset(),
                  similar: frozenset | None = None) -> bool:
    """True when a JASPAR target is the TF's own matrix (any version), carries the TF's name (also as a
    dimer partner, e.g. ``Bach1::Mafk``) or shares a TF family with the TF's own matrix. A family in
    ``broad`` counts only for targets in ``similar`` (significant matches of the own matrix)."""
    if target_id.split(".")[0] == own_id.split(".")[0]:
        return True
    if tf.upper() in {part.upper() for part in target_name.split("::")}:
        return True
    shared = own_families & target_families.get(target_id, frozenset())
    if shared - broad:
        return True
    return bool(shared) and similar is not None and target_id in similar


def aligned_share(hits: pd.DataFrame, target_bits: dict[str, np.ndarray]) -> np.ndarray:
    """Share of each target's information that its Tomtom alignment covers: the bits of the target columns
    the query is aligned to (``Optimal_offset``: the query's start in the target, on the strand of
    ``Orientation``; ``Overlap`` columns) over the target's total bits.

    Parameters
    ----------
    hits : pandas.DataFrame
        Tomtom rows (``Target_ID``, ``Optimal_offset``, ``Overlap``, ``Orientation``).
    target_bits : dict
        Target id → its (w,) column information (:func:`deepmotif.trim.column_information`).

    Returns
    -------
    numpy.ndarray of float in [0, 1], one per row.
    """
    out = np.zeros(len(hits))
    offsets = hits["Optimal_offset"].to_numpy(dtype=int)
    overlaps = hits["Overlap"].to_numpy(dtype=int)
    minus = (hits["Orientation"] == "-").to_numpy()
    for target, rows in hits.groupby("Target_ID", sort=False).indices.items():
        bits = target_bits[target]
        total = bits.sum()
        if total <= 0:
            continue
        start = np.maximum(offsets[rows], 0)
        stop = np.minimum(start + overlaps[rows], len(bits))
        for strand, cum in ((False, np.r_[0.0, np.cumsum(bits)]), (True, np.r_[0.0, np.cumsum(bits[::-1])])):
            pick = minus[rows] == strand
            out[rows[pick]] = (cum[stop[pick]] - cum[start[pick]]) / total
    return np.clip(out, 0.0, 1.0)


def admissible(hits: pd.DataFrame, query_widths: dict[str, int], target_cores: dict[str, tuple[int, int]],
               target_widths: dict[str, int], max_target_ratio: float = 2.0, complete: bool = False,
               target_bits: dict[str, np.ndarray] | None = None, min_aligned_share: float = 0.0
               ) -> np.ndarray:
    """Which Tomtom rows are admissible alignments (see the module docstring).

    Parameters
    ----------
    hits : pandas.DataFrame
        Tomtom rows (``Query_ID``, ``Target_ID``, ``Overlap``).
    query_widths : dict
        Query id → width of the (trimmed) query sent to Tomtom.
    target_cores, target_widths : dict
        Target id → (start, stop) of its informative core (:func:`deepmotif.trim.core_bounds`) / its width.
    max_target_ratio : float
        A target whose core is wider than this many query widths is inadmissible (inf: no limit).
    complete : bool
        Also require the alignment to cover the shorter motif completely (``Overlap`` >= min(query width,
        target width)); measured to lose true hits without removing zinc-finger winners, so off by default.
    target_bits, min_aligned_share : optional
        Also require the aligned target columns to hold at least ``min_aligned_share`` of the target's
        information (:func:`aligned_share`): a query aligned to a matrix's uninformative spacer (GATA1::TAL1's
        7 near-empty middle columns) or to a small part of it is no hit of that matrix.

    Returns
    -------
    numpy.ndarray of bool, one per row.
    """
    wq = hits["Query_ID"].map(query_widths).to_numpy(dtype=float)
    wt = hits["Target_ID"].map(target_widths).to_numpy(dtype=float)
    core = hits["Target_ID"].map(lambda t: np.subtract(*target_cores[t][::-1])).to_numpy(dtype=float)
    ok = core <= max_target_ratio * wq
    if complete:
        ok &= hits["Overlap"].to_numpy(dtype=float) >= np.minimum(wq, wt)
    if min_aligned_share > 0 and target_bits is not None:
        ok &= aligned_share(hits, target_bits) >= min_aligned_share
    return ok


def target_geometry(targets: list[Motif], trim_bits: float = TRIM_BITS
                    ) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Target id → (start, stop) of its informative core (whole matrix when no column reaches
    ``trim_bits``), and target id → width."""
    cores = {t.id: core_bounds(t, trim_bits) or (0, t.width) for t in targets}
    return cores, {t.id: t.width for t in targets}


def target_information(targets: list[Motif]) -> dict[str, np.ndarray]:
    """Target id → its column information in bits (no small-sample correction: JASPAR counts)."""
    return {t.id: column_information(t.pwm) for t in targets}


def _admissible(rows: pd.DataFrame, query_widths: dict[str, int], targets: list[Motif], settings: dict
                ) -> np.ndarray:
    """:func:`admissible` with the configured rule (:func:`match_settings`)."""
    cores, widths = target_geometry(targets, settings["trim_bits"])
    bits = target_information(targets) if settings["min_aligned_share"] > 0 else None
    return admissible(rows, query_widths, cores, widths, settings["max_target_ratio"],
                      settings["complete_overlap"], bits, settings["min_aligned_share"])


def prepare_queries(queries: list[Motif], trim_bits: float = TRIM_BITS, min_bits: float = MIN_BITS,
                    min_mean_bits: float = MIN_MEAN_BITS) -> dict[str, Motif | None]:
    """Query id → its trimmed core, or None when it is not :func:`deepmotif.trim.informative`."""
    return {q.id: trim(q, trim_bits) if informative(q, min_bits, trim_bits, min_mean_bits) else None
            for q in queries}


def _own_pairs(own_entry, tf: str) -> list[tuple[Motif, frozenset, str]]:
    if isinstance(own_entry, tuple):
        return [(*own_entry, tf)]
    return [(m, f, m.name) for m, f in own_entry]


def own_columns(own_entry, tf: str) -> dict[str, str]:
    """``own_id``, ``own_name`` ("no known motif" for a TF without one) and ``own_family`` of a TF's entry
    of ``own`` (:func:`summarise_motifs`)."""
    pairs = _own_pairs(own_entry, tf)
    return {"own_id": ",".join(m.id for m, _, _ in pairs),
            "own_name": ",".join(m.name for m, _, _ in pairs) or NO_KNOWN_MOTIF,
            "own_family": ";".join(sorted(frozenset().union(*[f for _, f, _ in pairs])))}


def similar_to_own(own: dict, targets: list[Motif], settings: dict) -> dict[str, frozenset]:
    """TF → ids of the targets that are admissible significant Tomtom matches of its own matrix (or of any
    of its matrices), computed once per TF for the broad-family rule."""
    owns = {m.id: m for entry in own.values() for m, _, _ in _own_pairs(entry, "")}
    if not owns:
        return {}
    queries = [Motif(id=f"own:{i}", name=m.name, pwm=m.pwm, nsites=m.nsites) for i, m in owns.items()]
    rows = _tomtom(queries, targets, settings)
    ok = _admissible(rows, {q.id: q.width for q in queries}, targets, settings)
    sig = ok & (rows["q-value"] <= settings["significance"]).to_numpy()
    by_own = rows[sig].groupby("Query_ID")["Target_ID"].agg(frozenset).to_dict()
    return {tf: frozenset().union(*[by_own.get(f"own:{m.id}", frozenset()) for m, _, _ in _own_pairs(e, tf)])
            for tf, e in own.items()}


def _tomtom(queries: list[Motif], targets: list[Motif], settings: dict) -> pd.DataFrame:
    return tomtom(queries, targets, backend=settings["backend"], thresh=None, dist=settings["dist"],
                  min_overlap=settings["min_overlap"], tomtom_bin=settings["tomtom_bin"])


def summarise_motifs(hits: pd.DataFrame, queries: list[Motif], cores: dict[str, Motif | None], own: dict,
                     target_families: dict[str, frozenset], settings: dict,
                     similar: dict[str, frozenset] | None = None) -> pd.DataFrame:
    """One row per query motif (columns :data:`MOTIF_COLUMNS`) from Tomtom's complete hit list of the
    trimmed informative queries.

    Parameters
    ----------
    hits : pandas.DataFrame
        Tomtom output with all pairs (no threshold), columns as MEME's TSV plus ``Target_name`` and
        ``admissible`` (:func:`admissible`); query ids those of the cores.
    queries : list of Motif
        Query motifs as extracted (ids ``TF.arch.method[.mN]``).
    cores : dict
        Query id → trimmed core sent to Tomtom, or None for "no motif" (:func:`prepare_queries`).
    own : dict
        TF name → (its own JASPAR motif, its TF families), or a list of such pairs for a TF with several
        planted motifs (source ``synthetic_multi``): a hit then counts for any of them, and ``own_*``
        describe the best-ranked one (``own_id`` lists them all).
    target_families : dict
        JASPAR matrix ID → TF families.
    settings : dict
        :func:`match_settings`.
    similar : dict, optional
        :func:`similar_to_own`; None: broad families never count.

    Returns
    -------
    pandas.DataFrame
        ``own_rank`` is the own matrix's rank among the admissible hits (NaN when inadmissible), its
        ``own_p_value`` / ``own_q_value`` Tomtom's (q over all targets).
    """
    significance = settings["significance"]
    broad = broad_families(target_families, int(settings["broad_family_size"]))
    ok = hits["admissible"].to_numpy(dtype=bool)
    by_query = {qid: g for qid, g in hits[ok].groupby("Query_ID", sort=False)}
    all_by_query = {qid: g for qid, g in hits.groupby("Query_ID", sort=False)}
    rows = []
    for q in queries:
        tf, arch, method, rank = split_motif_id(q.id)
        pairs = _own_pairs(own[tf], tf)
        core = cores.get(q.id)
        row = {"tf": tf, "architecture": arch, "method": method, "motif_id": q.id, "motif_rank": rank,
               "status": NO_MOTIF if core is None else MATCHED, "n_sites": q.nsites,
               **own_columns(own[tf], tf), "top_in_family": False, "recovered": False, "family_recovered": False}
        if core is None:
            trimmed = trim(q, settings["trim_bits"])
            row.update(consensus="", width=0 if trimmed is None else trimmed.width,
                       info_bits=0.0 if trimmed is None else total_information(trimmed))
            rows.append(row)
            continue
        qh = by_query.get(q.id, hits.iloc[:0]).sort_values(["p-value", "E-value"], kind="stable")
        row.update(width=core.width, info_bits=total_information(core),
                   consensus=all_by_query[q.id]["Query_consensus"].iloc[0] if q.id in all_by_query else "")
        sim = similar.get(tf) if similar is not None else None
        fam = np.array([any(is_family_hit(t, n, m.id, f, name, target_families, broad, sim)
                            for m, f, name in pairs) for t, n in zip(qh["Target_ID"], qh["Target_name"])],
                       dtype=bool)
        sig = (qh["q-value"] <= significance).to_numpy()
        own_bases = [m.id.split(".")[0] for m, _, _ in pairs]
        is_own = np.isin(qh["Target_ID"].str.split(".").str[0].to_numpy(), own_bases)
        for i in range(N_HITS):
            h = qh.iloc[i] if i < len(qh) else None
            row[f"hit{i + 1}_id"] = h["Target_ID"] if h is not None else ""
            row[f"hit{i + 1}_name"] = h["Target_name"] if h is not None else ""
            row[f"hit{i + 1}_family"] = ";".join(sorted(target_families.get(h["Target_ID"], ()))) if h is not None else ""
            row[f"hit{i + 1}_q"] = h["q-value"] if h is not None else np.nan
        row["hit1_p"] = qh["p-value"].iloc[0] if len(qh) else np.nan
        row["hit1_e"] = qh["E-value"].iloc[0] if len(qh) else np.nan
        own_pos = np.flatnonzero(is_own)
        every = all_by_query.get(q.id, hits.iloc[:0])
        own_all = every[np.isin(every["Target_ID"].str.split(".").str[0].to_numpy(), own_bases)]
        row["own_rank"] = int(own_pos[0]) + 1 if len(own_pos) else np.nan
        row["own_p_value"] = own_all["p-value"].min() if len(own_all) else np.nan
        row["own_q_value"] = own_all["q-value"].min() if len(own_all) else np.nan
        top = slice(0, N_HITS)
        row["top_in_family"] = bool(len(qh) and fam[0] and sig[0])
        row["recovered"] = bool((is_own[top] & sig[top]).any())
        row["family_recovered"] = bool((fam[top] & sig[top]).any())
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=MOTIF_COLUMNS)
    for col in ("top_in_family", "recovered", "family_recovered"):
        table[col] = table[col].astype(bool)
    return table


def summarise(motifs_table: pd.DataFrame, significance: float = 0.05) -> pd.DataFrame:
    """One row per TF × architecture × method (columns :data:`SUMMARY_COLUMNS`, filters summarised in one
    ``filters`` row) from the per-motif table.

    The row's motif is the best-ranked (lowest ``motif_rank``) motif that is ``family_recovered``, else the
    rank-1 informative motif, else the rank-1 "no motif"; ``best_*`` / ``p_value`` / ``q_value`` are its
    first hit, ``n_motifs`` counts the method's motifs. Motifs that lower the score (``sign`` -1) are
    chosen only where the method found no other.
    """
    rows = []
    for _, group in motifs_table.groupby(["tf", "architecture", "method"], sort=False):
        group = group.sort_values("motif_rank", kind="stable")
        if "sign" in group and (group["sign"] != -1).any():
            group = group[group["sign"] != -1]
        pick = group[group["family_recovered"]]
        if pick.empty:
            pick = group[group["status"] == MATCHED]
        best = (pick if len(pick) else group).iloc[0].copy()
        significant = bool(best["status"] == MATCHED and best["hit1_q"] <= significance)
        if not significant:  # a best hit that is not significant is no match: not reported as one
            for key in ("hit1_id", "hit1_name", "hit1_family"):
                best[key] = ""
            best["status"] = NO_MATCH if best["status"] == MATCHED else best["status"]
        rows.append({
            "tf": best["tf"], "architecture": best["architecture"], "method": best["method"],
            "motif_id": best["motif_id"], "consensus": best["consensus"], "n_sites": best["n_sites"],
            "best_id": best["hit1_id"], "best_name": best["hit1_name"], "best_family": best["hit1_family"],
            "p_value": best["hit1_p"], "e_value": best["hit1_e"], "q_value": best["hit1_q"],
            "own_id": best["own_id"], "own_name": best["own_name"], "own_family": best["own_family"],
            "own_rank": best["own_rank"], "own_p_value": best["own_p_value"],
            "own_q_value": best["own_q_value"], "top_in_family": bool(best["top_in_family"]),
            "recovered": bool(best["recovered"]), "family_recovered": bool(best["family_recovered"]),
            "window_match_fraction": np.nan, "n_filters": np.nan, "filter_match_fraction": np.nan,
            "filter_family_fraction": np.nan, "n_motifs": int((group["motif_rank"] >= 1).sum()),
            "motif_rank": best["motif_rank"], "status": best["status"], "_significant": significant,
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS + ["_significant"])


def summarise_filters(table: pd.DataFrame) -> pd.DataFrame:
    """Collapse the rows of first-layer filter motifs (method ``filterN``) into one row per TF ×
    architecture with method ``filters``, placed after that architecture's other rows.

    The row is the filter whose best hit is most significant (smallest q-value, then p-value; the first
    filter on ties), with ``n_filters`` (filters matched), ``filter_match_fraction`` (share of them whose
    best hit has q <= significance, i.e. ``_significant`` of their own row) and ``filter_family_fraction``
    (share that are ``family_recovered``: a significant hit to the TF's own motif or family);
    ``recovered`` / ``family_recovered`` are true when any filter's is, ``top_in_family`` is that of the
    best filter, ``n_motifs`` is ``n_filters``.
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
        best["filter_match_fraction"] = float(filt["_significant"].astype(bool).mean())
        best["filter_family_fraction"] = float(filt["family_recovered"].astype(bool).mean())
        best["recovered"] = bool(filt["recovered"].astype(bool).any())
        best["family_recovered"] = bool(filt["family_recovered"].astype(bool).any())
        best["n_motifs"] = len(filt)
        rows.append(best.to_frame().T)
    out = pd.concat(rows, ignore_index=True).infer_objects()
    for col in ("top_in_family", "recovered", "family_recovered"):
        out[col] = out[col].astype(bool)
    return out


def read_motifs(path: str | Path) -> list[Motif]:
    """Motifs of a MEME file; [] for a file that has the header but no motif (e.g. a model with no filter
    active enough to make a motif)."""
    text = Path(path).read_text() if Path(path).is_file() else None
    if text is not None and "MEME version" in text and "\nMOTIF" not in text:
        return []
    return read_meme(path)


def views_without_motifs(info: pd.DataFrame, motifs: pd.DataFrame) -> pd.DataFrame:
    """Per-motif rows (status "no motif", ``motif_rank`` 0) for the views the motifs stage found no motif in:
    their info rows have the id ``TF.arch.method`` and ``motif_rank`` 0, so the summary still has their row."""
    empty = info[~info["motif_id"].isin(motifs["motif_id"]) & (info["motif_rank"] == 0)]
    rows = []
    for motif_id in empty["motif_id"]:
        tf, arch, method, _ = split_motif_id(motif_id)
        rows.append({"tf": tf, "architecture": arch, "method": method, "motif_id": motif_id, "motif_rank": 0,
                     "status": NO_MOTIF, "consensus": "", "width": 0, "info_bits": 0.0, "n_sites": 0,
                     "n_seqlets": 0, "top_in_family": False, "recovered": False, "family_recovered": False})
    return pd.DataFrame(rows).reindex(columns=MOTIF_COLUMNS)


def _in_method_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by TF and architecture (first appearance), then methods in the motifs stage's order
    (filters last), then motif rank."""
    from deepmotif.methods import MOTIF_VIEWS

    order = {m: i for i, m in enumerate(MOTIF_VIEWS)}
    key = pd.DataFrame({
        "tf": pd.factorize(table["tf"])[0], "arch": pd.factorize(table["architecture"])[0],
        "method": table["method"].map(lambda m: order.get(m, len(order))),
        "rank": table["motif_rank"].astype(float)})
    return table.iloc[key.sort_values(["tf", "arch", "method", "rank"], kind="stable").index]


def read_info(info_files: list[str | Path]) -> pd.DataFrame:
    """Discovery statistics (TSV columns ``motif_id``, ``motif_rank`` and :data:`INFO_COLUMNS`), one row per
    motif id."""
    frames = []
    for f in info_files:
        if not Path(f).is_file():
            raise InputError("file not found", path=f)
        frame = pd.read_csv(f, sep="\t", dtype={"motif_id": str})
        if "motif_id" not in frame:
            raise InputError("motif info TSV needs a motif_id column", path=f, line=1)
        frames.append(frame.reindex(columns=["motif_id", "motif_rank", *INFO_COLUMNS]))
    out = (pd.concat(frames, ignore_index=True) if frames
           else pd.DataFrame(columns=["motif_id", "motif_rank", *INFO_COLUMNS]))
    return out.drop_duplicates("motif_id", keep="last")


def _windows_tf(path: str | Path) -> str:
    with open_npz(path) as z:
        return str(z["tf"])


def window_fractions(windows_files: list[str | Path], data_file: str | Path, own: Motif, targets: list[Motif],
                     cfg: dict) -> dict[str, float]:
    """``window_match_fraction`` of every sequence-specific method of one TF (``TF.arch.method`` →
    fraction).

    For each method in a motifs-stage ``windows.npz`` (aligned window starts and strands of the explained
    test sequences, and the method's PWM), each sequence's window is re-cut to the width of the TF's own
    JASPAR motif around the most informative part of the method's motif, and counted when Tomtom matches
    it to the own motif with q <= ``match.significance``.
    """
    from deepmotif.data.prepare import explained_split, load_explained_set
    from deepmotif.motifs import core_starts, window_match_fractions

    explained = {}
    if own.id not in {t.id for t in targets}:  # e.g. an older version of the matrix than the collection's
        targets = [*targets, own]
    sets = {}
    for f in windows_files:
        with open_npz(f) as z:
            split = explained_split(z)
            if split not in explained:
                explained[split] = load_explained_set(data_file, split)[0]
            X = explained[split]
            tf, arch = str(z["tf"]), str(z["arch"])
            idx, width = z["index"], int(z["width"])
            for method in z["methods"]:
                starts = core_starts(z[f"{method}_aligned"], z[f"{method}_strand"], width, z[f"{method}_pwm"],
                                     own.width)
                sets[f"{tf}.{arch}.{method}"] = (X[idx], starts)
    s = match_settings(cfg)
    return window_match_fractions(sets, own.width, own, targets, q=s["significance"], backend=s["backend"])


def match_motifs(motif_files: list[str | Path], jaspar_file: str | Path, cfg: dict,
                 windows_files: list[str | Path] | None = None, data_file: str | Path | None = None,
                 info_files: list[str | Path] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run Tomtom for every informative motif in ``motif_files`` against ``jaspar_file``.

    Parameters
    ----------
    motif_files : list of path
        MEME files of extracted motifs (ids ``TF.arch.method[.mN]``; filter motifs ``TF.arch.filterN``).
    jaspar_file : path
        MEME file of the targets.
    cfg : dict
        Config (``tfs``, ``jaspar``, ``match``, ``motifs``; keys left out take the defaults); see
        :func:`match_settings`.
    windows_files, data_file : optional
        ``windows.npz`` files of the motifs stage and the ``data.npz`` of their TF (one TF): adds
        ``window_match_fraction`` to the sequence-specific methods' rows.
    info_files : optional
        TSVs of discovery statistics (``motif_id``, :data:`INFO_COLUMNS`), joined onto the motif table.

    Returns
    -------
    hits : pandas.DataFrame
        Tomtom hits of the trimmed queries at the configured threshold (``match.thresh`` on the q-value),
        MEME's TSV columns plus names and ``admissible``.
    motifs : pandas.DataFrame
        One row per query motif (columns :data:`MOTIF_COLUMNS`), and with ``info_files`` one "no motif" row
        of ``motif_rank`` 0 for each view the motifs stage found no motif in.
    summary : pandas.DataFrame
        One row per TF × architecture × method (columns :data:`SUMMARY_COLUMNS`), filters in one row.
    """
    queries = [m for f in motif_files for m in read_motifs(f)]
    if not queries:
        raise InputError("no motifs to match", path=motif_files[0] if motif_files else None)
    from deepmotif.config import DEFAULTS, merge

    cfg = merge(DEFAULTS, cfg)  # keys left out: the defaults
    targets = read_meme(jaspar_file)
    release, tax = cfg["jaspar"]["release"], cfg["jaspar"]["tax_group"]
    sheet = read_sheet(cfg["tfs"]).set_index("name")
    own = {}
    for tf in {split_motif_id(q.id)[0] for q in queries}:
        if tf not in sheet.index:
            raise InputError(f"motif TF {tf!r} is not in the TF sheet", path=cfg["tfs"])
        row = {"name": tf, **sheet.loc[tf].to_dict()}
        known = row_known_motifs(release, row)  # [] = no known motif: no own matrix, no family verdicts
        own[tf] = known if row["source"] in MULTI_MOTIF_SOURCES or not known else known[0]
        # a matrix from outside CORE (warned) is no Tomtom target yet: add it, so it can be found
        targets += [m for m, _ in known if m.id not in {t.id for t in targets}]
    s = match_settings(cfg)
    hits, motifs = match_queries(queries, targets, own, families(release, tax), s)
    if info_files:
        info = read_info(info_files)
        motifs = motifs.drop(columns=INFO_COLUMNS).merge(info[["motif_id", *INFO_COLUMNS]], on="motif_id",
                                                         how="left")[MOTIF_COLUMNS]
        empty = views_without_motifs(info, motifs)
        for col in ("own_id", "own_name", "own_family"):
            empty[col] = empty["tf"].map(lambda tf, col=col: own_columns(own[tf], tf)[col]).astype(object)
        motifs = _in_method_order(pd.concat([motifs, empty], ignore_index=True))
    table = summarise_filters(summarise(motifs, s["significance"])).drop(columns="_significant")
    if windows_files:
        if data_file is None:
            raise InputError("window files need the TF's data file (--data)")
        tfs = sorted({_windows_tf(f) for f in windows_files})
        if len(tfs) != 1 or tfs[0] not in own:
            raise InputError(f"window files must be of one TF whose motifs are matched (one data file), got "
                             f"{', '.join(tfs)}", path=windows_files[0])
        # a TF with several planted motifs (a list) has no one motif to match, one with no known motif none
        if isinstance(own[tfs[0]], tuple):
            fractions = window_fractions(windows_files, data_file, own[tfs[0]][0], targets, cfg)
            keys = table["tf"] + "." + table["architecture"] + "." + table["method"]
            table["window_match_fraction"] = keys.map(fractions).astype(float)
    hits = hits[hits["q-value"] <= s["thresh"]].reset_index(drop=True)
    table["n_filters"] = table["n_filters"].astype("Int64")
    table["n_motifs"] = table["n_motifs"].astype("Int64")
    return (hits, without_verdicts(motifs).reset_index(drop=True),
            without_verdicts(table[SUMMARY_COLUMNS]).reset_index(drop=True))


def verdict(value) -> bool:
    """A verdict cell (:data:`VERDICTS`) as read back from a table: true only when true; empty (a TF with no
    known motif) is not a recovery."""
    return bool(pd.notna(value) and value)


def without_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the :data:`VERDICTS` of TFs with no known motif (``own_name`` "no known motif") empty:
    there is no own matrix to have found, so neither true nor false."""
    table = table.copy()
    unknown = table["own_name"].eq(NO_KNOWN_MOTIF).to_numpy()
    for col in VERDICTS:
        table[col] = table[col].astype("boolean")
        table.loc[unknown, col] = pd.NA
    return table


def match_queries(queries: list[Motif], targets: list[Motif], own: dict, target_families: dict[str, frozenset],
                  settings: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trim, Tomtom and summarise: every (query core, target) pair with an ``admissible`` column, and the
    per-motif table (:func:`summarise_motifs`). ``own`` as there; ``settings`` from :func:`match_settings`."""
    cores = prepare_queries(queries, settings["trim_bits"], settings["min_bits"], settings["min_mean_bits"])
    sent = [c for c in cores.values() if c is not None]
    if sent:
        every = _tomtom(sent, targets, settings)
        every["admissible"] = _admissible(every, {c.id: c.width for c in sent}, targets, settings)
    else:
        every = pd.DataFrame(columns=[*TOMTOM_COLUMNS, *NAME_COLUMNS, "admissible"])
    needs_similar = any(set().union(*[f for _, f, _ in _own_pairs(own[split_motif_id(c.id)[0]], "")])
                        & broad_families(target_families, int(settings["broad_family_size"])) for c in sent)
    similar = similar_to_own(own, targets, settings) if needs_similar else {}
    motifs = summarise_motifs(every, queries, cores, own, target_families, settings, similar)
    return every, motifs


def write_matches(motif_files: list[str | Path], jaspar_file: str | Path, cfg: dict, hits_out: str | Path,
                  out: str | Path, motif_table_out: str | Path | None = None, **inputs) -> pd.DataFrame:
    """The match stage of one TF (``deepmotif match``): :func:`match_motifs` with its three tables written
    (every Tomtom hit to ``hits_out``, one row per motif to ``motif_table_out``, the per-method summary to
    ``out``). ``inputs``: ``windows_files``, ``data_file``, ``info_files`` of :func:`match_motifs`.
    Returns the summary."""
    from deepmotif.io_utils import write_tsv

    hits, motifs, table = match_motifs(motif_files, jaspar_file, cfg, **inputs)
    write_tsv(hits_out, hits)
    if motif_table_out:
        write_tsv(motif_table_out, motifs)
    write_tsv(out, table)
    return table

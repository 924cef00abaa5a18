"""Ground-truth interpretability benchmark (Koo & Ploenzke 2021): on synthetic data, where the planted motif
instances are known base by base, how well does each attribution method point at them, do the first-layer
filters learn the planted motifs, and does each motif-extraction method recover them?

Three measures, each one row per TF × architecture (× method):

* **attribution AUROC / AUPR** (:func:`attribution_auroc`): for every explained positive test sequence with
  at least one planted base, how well the method's per-position score (:func:`position_scores`) separates
  planted bases (``{split}_planted >= 0`` of ``data.npz``) from background, as a per-sequence AUROC (sklearn
  ``roc_auc_score``) and AUPR (``average_precision_score``), averaged over the sequences (Koo & Ploenzke's
  protocol; they count only motif columns with more than 0.01 bits, practically every planted base, and
  use the trapezoidal PR area);
* **filter matches** (:func:`filter_matches`, :func:`summarise_filters`): the share of first-layer filters
  whose best Tomtom hit in JASPAR (smallest p) has E < ``e_value`` (0.1) and is a planted motif
  (``filter_match_fraction``; its JASPAR family: ``filter_family_fraction``), and the share of planted motifs
  that are the best hit of at least one filter (``found_fraction`` / ``found_family_fraction``);
* **motif recovery** (:func:`recovery_table`): per extraction method, how many planted motifs come back as
  distinct discovered motifs with the planted matrix among their top 3 JASPAR hits at q <=
  ``match.significance`` (``n_found``; as the best hit itself: ``n_best``), or only their families
  (``found_family``, reported, not counted).

The per-position score of each method (one number per base; the attribution at the observed base, as
``sum over bases of attribution x one-hot``):

============================  ======================================================================
``saliency``                  \\|∂logit/∂x\\| at the observed base (magnitude, as the saliency map)
``saliency_corrected``        \\|g - mean_b g\\| at the observed base (gradient correction, Majdandzic
                              et al. 2023)
``ism``                       the observed-base effect: mean logit drop over the 3 other bases (signed)
``deeplift`` / ``ig``         DeepLIFT-SHAP / integrated gradients x input at the observed base (signed)
``temporal``                  rise of the forward (prefix) score at the base plus rise of the backward
                              (suffix) score: p(prefix to j) - p(prefix to j-1) + p(suffix from j) -
                              p(suffix from j+1)
============================  ======================================================================

Gradients are scored by magnitude (their sign at a one-hot input says nothing about importance); the
reference-based methods and ISM keep their sign, because a planted motif is evidence *for* the positive
class and a base with negative attribution is evidence against it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from deepmotif.errors import InputError
from deepmotif.io_utils import open_npz
from deepmotif.memeio import Motif

#: method → (file kind, array key) where the interpret stage stores its maps
METHOD_SOURCES = {
    "saliency": ("saliency", "saliency"),
    "saliency_corrected": ("saliency", "saliency_corrected"),
    "ism": ("interpret", "ism"),
    "deeplift": ("interpret", "deeplift"),
    "ig": ("interpret", "ig"),
    "temporal": ("interpret", "temporal_forward"),
}
METHODS = tuple(METHOD_SOURCES)
ATTRIBUTION_COLUMNS = ["tf", "architecture", "method", "n_sequences", "auroc", "auroc_sd", "aupr", "aupr_sd",
                       "planted_fraction"]
FILTER_COLUMNS = ["tf", "architecture", "n_filters", "n_significant", "significant_fraction",
                  "filter_match_fraction", "filter_family_fraction", "n_planted", "found_fraction",
                  "found_family_fraction", "found", "found_family"]
RECOVERY_COLUMNS = ["tf", "architecture", "method", "n_motifs", "n_planted", "n_found", "n_best", "found",
                    "found_family", "recovered", "family_match"]


def position_scores(method: str, maps: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """One score per base of each sequence from a method's stored map (module docstring).

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    maps : dict of numpy.ndarray
        The stored arrays: ``saliency`` / ``saliency_corrected`` / ``ism`` / ``deeplift`` / ``ig``
        (N, 4, L), or ``temporal_forward`` and ``temporal_backward`` (N, L).
    X : numpy.ndarray
        (N, 4, L) one-hot of the explained sequences.

    Returns
    -------
    numpy.ndarray
        (N, L) float64.
    """
    if method not in METHOD_SOURCES:
        raise InputError(f"unknown method {method!r}; choose from {', '.join(METHODS)}", field="method")
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] != 4:
        raise InputError(f"X must be (N, 4, L) one-hot, got shape {X.shape}", field="X")
    if method == "temporal":
        fwd, bwd = (np.asarray(maps[k], dtype=np.float64) for k in ("temporal_forward", "temporal_backward"))
        _check_shape(fwd, (X.shape[0], X.shape[2]), "temporal_forward")
        _check_shape(bwd, (X.shape[0], X.shape[2]), "temporal_backward")
        rise = np.zeros_like(fwd)
        rise[:, 1:] += np.diff(fwd, axis=1)
        rise[:, :-1] += bwd[:, :-1] - bwd[:, 1:]
        return rise
    key = METHOD_SOURCES[method][1]
    attr = np.asarray(maps[key], dtype=np.float64)
    _check_shape(attr, X.shape, key)
    if method == "ism":  # mean over the 3 other bases of logit(X) - logit(mutant); the observed base holds 0
        return -(attr * (1 - X)).sum(axis=1) / np.maximum((1 - X).sum(axis=1), 1)
    return (attr * X).sum(axis=1)


def _check_shape(a: np.ndarray, shape: tuple, field: str) -> None:
    if a.shape != tuple(shape):
        raise InputError(f"shape {a.shape} does not match the sequences' {tuple(shape)}", field=field)


def attribution_auroc(scores: np.ndarray, planted: np.ndarray) -> pd.DataFrame:
    """Per-sequence AUROC and AUPR of per-position ``scores`` for the planted positions.

    Parameters
    ----------
    scores : numpy.ndarray
        (N, L) score of every base (higher = more important).
    planted : numpy.ndarray
        (N, L) truth: bool, or int with the planted motif's index and -1 for background.

    Returns
    -------
    pandas.DataFrame
        One row per sequence with at least one planted and one background base: ``sequence`` (row of
        ``scores``), ``auroc``, ``aupr`` and ``planted_fraction`` (the AUPR of a random score).
    """
    scores, planted = np.asarray(scores, dtype=np.float64), np.asarray(planted)
    if scores.ndim != 2:
        raise InputError(f"scores must be (N, L), got shape {scores.shape}", field="scores")
    if planted.shape != scores.shape:
        raise InputError(f"planted mask has shape {planted.shape}, scores have {scores.shape}", field="planted")
    if not np.isfinite(scores).all():
        raise InputError("scores contain NaN or infinite values", field="scores")
    truth = planted if planted.dtype == bool else planted >= 0
    rows = []
    for i in np.flatnonzero(truth.any(axis=1) & ~truth.all(axis=1)):
        rows.append({"sequence": int(i), "auroc": float(roc_auc_score(truth[i], scores[i])),
                     "aupr": float(average_precision_score(truth[i], scores[i])),
                     "planted_fraction": float(truth[i].mean())})
    return pd.DataFrame(rows, columns=["sequence", "auroc", "aupr", "planted_fraction"])


def score_attributions(maps: dict[str, np.ndarray], X: np.ndarray, planted: np.ndarray,
                       methods=METHODS) -> pd.DataFrame:
    """:func:`attribution_auroc` of every method present in ``maps``, averaged over sequences.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``n_sequences``, ``auroc`` / ``auroc_sd``, ``aupr`` / ``aupr_sd``
        (mean and standard deviation over sequences) and ``planted_fraction``.
    """
    rows = []
    for method in methods:
        if METHOD_SOURCES[method][1] not in maps:
            continue
        per = attribution_auroc(position_scores(method, maps, X), planted)
        rows.append({"method": method, "n_sequences": len(per),
                     "auroc": per["auroc"].mean(), "auroc_sd": per["auroc"].std(ddof=0),
                     "aupr": per["aupr"].mean(), "aupr_sd": per["aupr"].std(ddof=0),
                     "planted_fraction": per["planted_fraction"].mean()})
    return pd.DataFrame(rows)


def planted_hit(target_id: str, target_name: str, planted: list[tuple[Motif, frozenset]],
                target_families: dict[str, frozenset]) -> tuple[str, str]:
    """Which planted motif a JASPAR target is: (name of the planted motif it is — same matrix, any version,
    or carrying its name, e.g. as a dimer partner — or ""), (name of the planted motif whose TF family it
    shares, or that same motif, or "")."""
    base = target_id.split(".")[0]
    parts = {p.upper() for p in str(target_name).split("::")}
    exact = next((m.name for m, _ in planted if m.id.split(".")[0] == base or m.name.upper() in parts), "")
    fams = target_families.get(target_id, frozenset())
    family = exact or next((m.name for m, f in planted if f & fams), "")
    return exact, family


def best_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """The best hit (smallest p, then E) of every query of a complete Tomtom table, one row per query."""
    return hits.sort_values(["Query_ID", "p-value", "E-value"], kind="stable").drop_duplicates("Query_ID")


def filter_matches(filters: list[Motif], planted: list[tuple[Motif, frozenset]], targets: list[Motif],
                   target_families: dict[str, frozenset], e_value: float = 0.1, backend: str = "memelite",
                   tomtom_bin: str | None = None) -> pd.DataFrame:
    """Tomtom every first-layer filter PWM against JASPAR; which filters' best hits are planted motifs.

    Parameters
    ----------
    filters : list of Motif
        First-layer filter PWMs (ids ``TF.arch.filterN``).
    planted : list of (Motif, frozenset)
        The planted JASPAR motifs and their TF families.
    targets : list of Motif
        The JASPAR collection Tomtom searches.
    target_families : dict
        JASPAR matrix ID → TF families.
    e_value : float
        A best hit counts when its E-value is below this (Koo & Ploenzke: 0.1).

    Returns
    -------
    pandas.DataFrame
        One row per filter: ``motif_id``, ``best_id``, ``best_name``, ``e_value``, ``significant``,
        ``planted`` / ``planted_family`` (the planted motif it is / whose family it shares, "" if none or not
        significant).
    """
    from deepmotif.tomtom import tomtom

    if not e_value > 0:
        raise InputError(f"e_value must be > 0, got {e_value}", field="groundtruth.e_value")
    columns = ["motif_id", "best_id", "best_name", "e_value", "significant", "planted", "planted_family"]
    if not filters:
        return pd.DataFrame(columns=columns)
    every = tomtom(filters, targets, backend=backend, thresh=None, tomtom_bin=tomtom_bin)
    rows = []
    for _, hit in best_hits(every).iterrows():
        significant = bool(hit["E-value"] < e_value)
        exact, family = planted_hit(hit["Target_ID"], hit["Target_name"], planted, target_families)
        rows.append({"motif_id": hit["Query_ID"], "best_id": hit["Target_ID"], "best_name": hit["Target_name"],
                     "e_value": float(hit["E-value"]), "significant": significant,
                     "planted": exact if significant else "", "planted_family": family if significant else ""})
    order = {m.id: i for i, m in enumerate(filters)}
    return pd.DataFrame(rows, columns=columns).sort_values("motif_id", key=lambda s: s.map(order)) \
        .reset_index(drop=True)


def summarise_filters(per_filter: pd.DataFrame, planted: list[tuple[Motif, frozenset]]) -> dict:
    """One summary of :func:`filter_matches`: shares of filters matching and of planted motifs found."""
    n, names = len(per_filter), [m.name for m, _ in planted]
    found = [name for name in names if (per_filter["planted"] == name).any()]
    found_family = [name for name in names if (per_filter["planted_family"] == name).any()]
    share = (lambda col: float((per_filter[col] != "").mean())) if n else (lambda col: np.nan)
    return {"n_filters": n, "n_significant": int(per_filter["significant"].sum()) if n else 0,
            "significant_fraction": float(per_filter["significant"].mean()) if n else np.nan,
            "filter_match_fraction": share("planted"), "filter_family_fraction": share("planted_family"),
            "n_planted": len(names), "found_fraction": len(found) / len(names),
            "found_family_fraction": len(found_family) / len(names), "found": ",".join(found),
            "found_family": ",".join(found_family)}


def recovery_table(motifs: pd.DataFrame, planted: list[tuple[Motif, frozenset]],
                   target_families: dict[str, frozenset], significance: float = 0.05) -> pd.DataFrame:
    """Motif recovery of every extraction method from the match stage's per-motif table (``motifs.tsv``).

    Per TF × architecture × method (filter motifs ``filterN`` together as ``filters``), a planted motif is
    *found* by a discovered motif when one of the planted matrices (any version, or a matrix carrying its
    name) is among that motif's top 3 JASPAR hits with q <= ``significance`` (the match stage's
    ``recovered``; the best-ranked such planted motif counts, so each discovered motif finds at most one):
    ``n_found`` distinct planted motifs found, ``n_best`` of them as the best hit itself (strict).
    ``found_family`` names the planted motifs whose TF family only is a best hit (reported, not counted:
    broad JASPAR families such as YY1's "More than 3 adjacent zinc fingers" hold CTCF). ``recovered``: at
    least one planted motif found; ``n_motifs``: the method's informative motifs.
    """
    hit_columns = [f"hit{i}_{f}" for i in (1, 2, 3) for f in ("id", "name", "q")]
    missing = [c for c in ("tf", "architecture", "method", "motif_id", "status", *hit_columns)
               if c not in motifs.columns]
    if missing:
        raise InputError(f"motif table lacks column(s) {', '.join(missing)}", field="matches")
    table = motifs.assign(method=motifs["method"].astype(str).str.replace(r"^filter\d+$", "filters", regex=True))
    rows = []
    for (tf, arch, method), group in table.groupby(["tf", "architecture", "method"], sort=False):
        found, best, family = [], [], []
        matched = group[group["status"] == "matched"]
        for _, row in matched.iterrows():
            for i in (1, 2, 3):
                target = row[f"hit{i}_id"] if isinstance(row[f"hit{i}_id"], str) else ""
                if not target or not float(row[f"hit{i}_q"]) <= significance:
                    continue
                exact, fam = planted_hit(target, str(row[f"hit{i}_name"]), planted, target_families)
                if i == 1 and fam and not exact and fam not in family:
                    family.append(fam)
                if exact:
                    if exact not in found:
                        found.append(exact)
                        if i == 1:
                            best.append(exact)
                    break
        rows.append({"tf": tf, "architecture": arch, "method": method, "n_motifs": len(matched),
                     "n_planted": len(planted), "n_found": len(found), "n_best": len(best),
                     "found": ",".join(found), "found_family": ",".join(f for f in family if f not in found),
                     "recovered": bool(found), "family_match": any(f not in found for f in family)})
    return pd.DataFrame(rows, columns=RECOVERY_COLUMNS)


def load_truth(data_file: str | Path, which: str = "test") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X (N, 4, L) one-hot, planted (N, L) int8, planted JASPAR ids) of the sequences an interpret job
    chooses from (``interpret.split``: the test split, or all splits concatenated) of a ``data.npz``."""
    from deepmotif.data.onehot import codes_to_one_hot
    from deepmotif.data.prepare import EXPLAINED

    with open_npz(data_file) as z:
        missing = [f"{split}_planted" for split in EXPLAINED[which] if f"{split}_planted" not in z.files]
        if missing:
            raise InputError("no planted-motif truth in this data set (only the synthetic sources have one; "
                             "data written before it was recorded: rerun `deepmotif prepare`)", path=data_file,
                             field=missing[0])
        key = f"{EXPLAINED[which][-1]}_planted"
        codes = np.concatenate([z[f"{split}_codes"] for split in EXPLAINED[which]])
        planted = np.concatenate([z[f"{split}_planted"] for split in EXPLAINED[which]])
        ids = [str(i) for i in z["meta_planted_ids"]] if "meta_planted_ids" in z.files else []
    if planted.shape != codes.shape:
        raise InputError(f"planted mask has shape {planted.shape}, the sequences {codes.shape}", path=data_file,
                         field=key)
    if not ids:
        raise InputError("no planted motif ids recorded (meta_planted_ids): rerun `deepmotif prepare`",
                         path=data_file, field="meta_planted_ids")
    return codes_to_one_hot(codes), planted, ids


def groundtruth_tables(tf: str, data_file, saliency_files: list, interpret_files: list, filter_files: list,
                       matches_file, jaspar_file, cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three tables of one TF from the workflow's files (rule ``groundtruth``).

    Parameters
    ----------
    tf : str
        TF name.
    data_file : path
        Its ``data.npz`` (with ``test_planted``).
    saliency_files, interpret_files : list of path
        ``saliency.npz`` and ``interpret.npz`` of every architecture (the architecture is read from each).
    filter_files : list of path
        ``filters.meme`` of the convolutional architectures (ids ``TF.arch.filterN``).
    matches_file : path
        The TF's per-motif table ``motifs.tsv`` (match stage).
    jaspar_file : path
        MEME file of the JASPAR collection.
    cfg : dict
        Config (``jaspar``, ``match``, ``groundtruth``; keys left out take the defaults).

    Returns
    -------
    attribution, filters, recovery : pandas.DataFrame
        Columns :data:`ATTRIBUTION_COLUMNS`, :data:`FILTER_COLUMNS`, :data:`RECOVERY_COLUMNS`.
    """
    from deepmotif.config import DEFAULTS, merge
    from deepmotif.data.prepare import explained_split
    from deepmotif.jaspar import families, find_motif
    from deepmotif.match import read_motifs, split_motif_id
    from deepmotif.memeio import read_meme

    cfg = merge(DEFAULTS, cfg)
    which = "test"
    if saliency_files:
        with open_npz(saliency_files[0]) as z:
            which = explained_split(z)
    X, planted, ids = load_truth(data_file, which)
    release, tax = cfg["jaspar"]["release"], cfg["jaspar"]["tax_group"]
    motifs = [find_motif(release, i) for i in ids]
    fams = families(release, tax)
    attribution = []
    by_arch: dict[str, dict] = {}
    for kind, files in (("saliency", saliency_files), ("interpret", interpret_files)):
        for f in files:
            with open_npz(f) as z:
                arch = str(z["arch"])
                idx = z["index"]
                entry = by_arch.setdefault(arch, {"index": idx, "maps": {}, "file": f})
                if not np.array_equal(entry["index"], idx):
                    raise InputError(f"explains other sequences than {entry['file']}", path=f, field="index")
                if idx.size and (idx.min() < 0 or idx.max() >= len(X)):
                    raise InputError(f"sequence index out of range of the {len(X)} sequences of {data_file}",
                                     path=f, field="index")
                for method, (source, key) in METHOD_SOURCES.items():
                    keys = (key, "temporal_backward") if method == "temporal" else (key,)
                    if source == kind and all(k in z.files for k in keys):
                        for k in keys:
                            entry["maps"][k] = z[k]
                            if z[k].shape[-1] != X.shape[2]:
                                raise InputError(f"maps of length {z[k].shape[-1]}, the test sequences of "
                                                 f"{data_file} have {X.shape[2]}", path=f, field=k)
    for arch, entry in by_arch.items():
        idx = entry["index"]
        table = score_attributions(entry["maps"], X[idx], planted[idx])
        table.insert(0, "architecture", arch)
        table.insert(0, "tf", tf)
        attribution.append(table)
    attribution = pd.concat(attribution, ignore_index=True) if attribution else pd.DataFrame()
    attribution = attribution.reindex(columns=ATTRIBUTION_COLUMNS)

    m = cfg["match"]
    targets = read_meme(jaspar_file)
    e_value = float(cfg["groundtruth"]["e_value"])
    filter_rows = []
    for f in filter_files:
        filt = read_motifs(f)
        arch = split_motif_id(filt[0].id)[1] if filt else Path(f).parent.name
        per = filter_matches(filt, motifs, targets, fams, e_value, m["backend"], m["tomtom_bin"])
        filter_rows.append({"tf": tf, "architecture": arch, **summarise_filters(per, motifs)})
    filters = pd.DataFrame(filter_rows, columns=FILTER_COLUMNS)

    try:
        matches = pd.read_csv(matches_file, sep="\t")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"unreadable motif table ({err})", path=matches_file) from None
    try:
        recovery = recovery_table(matches, motifs, fams, float(m["significance"]))
    except InputError as err:
        raise InputError(err.message, path=matches_file, field=err.field) from None
    return attribution, filters, recovery


def write_groundtruth_tables(outputs: tuple[str | Path, str | Path, str | Path], *args, **kwargs
                             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ground-truth stage of one TF (``deepmotif groundtruth``): :func:`groundtruth_tables` (same
    arguments) written to ``outputs``, the attribution, filter and recovery TSV files in that order."""
    from deepmotif.io_utils import write_tsv

    tables = groundtruth_tables(*args, **kwargs)
    for path, table in zip(outputs, tables):
        write_tsv(path, table)
    return tables

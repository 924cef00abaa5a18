"""Motif instances: every site of every discovered motif in every scanned sequence, and whether the model
uses it.

A *site* is a match of the motif's PFM on either strand (memelite's FIMO, p-value <= ``p_value``). The
model *uses* a site when the attribution over its columns stands out: the site's summed contribution
(corrected gradient × input, signed) is at least the ``attribution_quantile`` of the absolute sums of every
window of the same width in the scanned sequences. A well-matching site the model ignores is kept and
marked ``used`` False; a used site of negative contribution lowers the score.

FIMO's default threshold (1e-4) is meant for genomes; a discovered core of 6-7 bp barely reaches it (the
best p of a w-bp site is about 4^-w) and missed 26-60 % of the demo's planted sites. The default here is
3e-4: on the demo's CNN and CNN-RNN it recalled 62-85 % of the planted sites at a precision of 80-93 %
(1e-3: recall 66-91 %, precision 66-87 %); the misses are planted sites sampled far from the consensus.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.config import DEFAULTS as CONFIG_DEFAULTS
from deepmotif.memeio import Motif

#: the settings of :func:`call_instances` with their defaults (config ``grammar.instances``): ``p_value``, the
#: FIMO p-value of a site (both strands); ``attribution_quantile``, a site is used when |its contribution|
#: is at least this quantile of all same-width windows' |contribution| in the scanned sequences;
#: ``batch_size``, sequences per gradient pass
DEFAULTS = CONFIG_DEFAULTS["grammar"]["instances"]

#: columns of ``instances.tsv``, in order
COLUMNS = ["tf", "architecture", "motif_id", "motif_name", "sequence", "label", "start", "end", "strand",
           "score", "p_value", "attribution", "used", "sign"]
#: columns of the per-motif summary (``instance_summary.tsv``)
SUMMARY_COLUMNS = ["tf", "architecture", "task", "motif_id", "motif_name", "width", "n_sites", "n_used", "used_share",
                   "positives_with_site", "negatives_with_site", "odds_ratio", "fisher_p", "sites_per_positive",
                   "mean_attribution", "median_offset", "centrality"]
#: bins of the centrality histogram: distance of a used site's centre from the sequence centre, as a share
#: of the half-length (0 = centre, 1 = edge)
CENTRALITY_BINS = np.linspace(0, 1, 6)


def contributions(model, X: np.ndarray, batch_size: int = DEFAULTS["batch_size"], device=None) -> np.ndarray:
    """(N, L) signed contribution of each observed base: the corrected input gradient (Majdandzic et al.
    2023; the mean over the 4 bases removed) at the observed base."""
    from deepmotif.interpret.attribution import corrected_saliency

    return corrected_saliency(model, np.asarray(X, dtype=np.float32), absolute=False, batch_size=batch_size,
                              device=device).sum(axis=1)


def scan(motifs: list[Motif], X: np.ndarray, p_value: float = DEFAULTS["p_value"]) -> pd.DataFrame:
    """FIMO sites of every motif on both strands of (N, 4, L) one-hot ``X``: columns ``motif_id``,
    ``sequence`` (row of X), ``start``, ``end`` (0-based, end exclusive), ``strand`` (+/-), ``score``,
    ``p_value``, in motif order."""
    from memelite import fimo

    columns = ["motif_id", "sequence", "start", "end", "strand", "score", "p_value"]
    types = {"sequence": np.int64, "start": np.int64, "end": np.int64, "score": np.float64, "p_value": np.float64}
    none = pd.DataFrame(columns=columns).astype(types)  # typed: its columns index arrays like any other's
    if not motifs or len(X) == 0:
        return none
    for m in motifs:
        if m.width > X.shape[2]:
            raise ValueError(f"motif {m.id} ({m.width} bp) is wider than the sequences ({X.shape[2]} bp)")
    # memelite names the motifs by dict key: keep ours (ids are unique in a MEME file)
    hits = fimo({m.id: np.asarray(m.pwm, dtype=np.float64) for m in motifs},
                np.asarray(X, dtype=np.float32), threshold=p_value)
    parts = [h.assign(motif_id=m.id) for m, h in zip(motifs, hits) if len(h)]
    if not parts:
        return none
    out = pd.concat(parts, ignore_index=True).rename(columns={"sequence_name": "sequence", "p-value": "p_value"})
    return out[columns].astype(types)


def window_sums(c: np.ndarray, width: int) -> np.ndarray:
    """(N, L) contributions → (N, L - width + 1) sums over every window of ``width`` bases."""
    cs = np.concatenate([np.zeros((len(c), 1)), np.cumsum(np.asarray(c, dtype=np.float64), axis=1)], axis=1)
    return cs[:, width:] - cs[:, :-width]


def call_instances(motifs: list[Motif], X: np.ndarray, y: np.ndarray, c: np.ndarray,
                   p_value: float = DEFAULTS["p_value"],
                   attribution_quantile: float = DEFAULTS["attribution_quantile"]) -> pd.DataFrame:
    """Sites of every motif in ``X`` with their attribution and whether the model uses them.

    Parameters
    ----------
    motifs : list of Motif
        PFMs to scan (discovered motifs of one model).
    X, y : numpy.ndarray
        (N, 4, L) one-hot and (N,) labels (1 bound, 0 not) of the scanned sequences.
    c : numpy.ndarray
        (N, L) signed contribution of each base (:func:`contributions`).
    p_value : float
        FIMO threshold, in (0, 1].
    attribution_quantile : float
        In [0, 1): a site is used when ``|attribution| >=`` this quantile of the absolute sums of every
        window of its width in ``c``.

    Returns
    -------
    pandas.DataFrame
        :func:`scan`'s columns plus ``label``, ``attribution`` (summed contribution over the site),
        ``used`` (bool) and ``sign`` (+1 raises the score, -1 lowers it).
    """
    if not 0 < p_value <= 1:
        raise ValueError(f"p_value must be in (0, 1], got {p_value}")
    if not 0 <= attribution_quantile < 1:
        raise ValueError(f"attribution_quantile must be in [0, 1), got {attribution_quantile}")
    sites = scan(motifs, X, p_value)
    sums = {}
    for width in sorted({m.width for m in motifs}):
        s = window_sums(c, width)
        sums[width] = (s, float(np.quantile(np.abs(s), attribution_quantile)))
    attribution = np.zeros(len(sites))
    used = np.zeros(len(sites), dtype=bool)
    for width, (s, cut) in sums.items():
        at = np.flatnonzero((sites["end"] - sites["start"]).to_numpy() == width)
        attribution[at] = s[sites["sequence"].to_numpy()[at], sites["start"].to_numpy()[at]]
        used[at] = np.abs(attribution[at]) >= cut
    return sites.assign(label=np.asarray(y)[sites["sequence"].to_numpy()].astype(int), attribution=attribution,
                        used=used, sign=np.where(attribution < 0, -1, 1))


def summarise(sites: pd.DataFrame, motifs: list[Motif], y: np.ndarray, length: int) -> pd.DataFrame:
    """Per motif: its sites and used sites, the share of positives and of negatives with >= 1 used site,
    their odds ratio and one-sided Fisher p (enriched in positives), used sites per positive, their mean
    attribution, the median offset of a used site's centre from the sequence centre and the centrality
    histogram (:data:`CENTRALITY_BINS`, counts as ``a|b|c|d|e``)."""
    from scipy.stats import fisher_exact

    y = np.asarray(y).astype(int)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    rows = []
    for m in motifs:
        mine = sites[sites["motif_id"] == m.id]
        used = mine[mine["used"]]
        with_site = np.zeros(len(y), dtype=bool)
        with_site[used["sequence"].to_numpy()] = True
        a, b = int((with_site & (y == 1)).sum()), int((with_site & (y == 0)).sum())
        table = [[a, n_pos - a], [b, n_neg - b]]
        odds, p = fisher_exact(table, alternative="greater") if n_pos and n_neg else (np.nan, np.nan)
        offset = (used["start"] + used["end"]) / 2 - length / 2
        hist = np.histogram(np.abs(offset) / (length / 2), bins=CENTRALITY_BINS)[0]
        rows.append({"motif_id": m.id, "width": m.width, "n_sites": len(mine), "n_used": len(used),
                     "used_share": len(used) / len(mine) if len(mine) else np.nan,
                     "positives_with_site": a / n_pos if n_pos else np.nan,
                     "negatives_with_site": b / n_neg if n_neg else np.nan,
                     "odds_ratio": odds, "fisher_p": p,
                     "sites_per_positive": int((used["label"] == 1).sum()) / n_pos if n_pos else np.nan,
                     "mean_attribution": float(used["attribution"].mean()) if len(used) else np.nan,
                     "median_offset": float(offset.median()) if len(used) else np.nan,
                     "centrality": "|".join(map(str, hist))})
    return pd.DataFrame(rows, columns=[c for c in SUMMARY_COLUMNS if c not in ("tf", "architecture", "motif_name")])


def to_bed(sites: pd.DataFrame, chrom: np.ndarray, window_start: np.ndarray, colours: dict[str, str]
           ) -> pd.DataFrame:
    """Used and ignored sites in genome coordinates as BED9 (name ``motif_name|motif_id``, score the
    -log10 p-value × 100 capped at 1000, thick part = the site, colour per motif)."""
    seq = sites["sequence"].to_numpy(dtype=np.int64)
    start = np.asarray(window_start, dtype=np.int64)[seq] + sites["start"].to_numpy(dtype=np.int64)
    end = np.asarray(window_start, dtype=np.int64)[seq] + sites["end"].to_numpy(dtype=np.int64)
    p = np.clip(sites["p_value"].to_numpy(dtype=np.float64), 1e-300, 1)
    score = np.minimum(1000, np.round(-np.log10(p) * 100)).astype(int)
    return pd.DataFrame({"chrom": np.asarray(chrom)[seq], "start": start, "end": end,
                         "name": sites["motif_name"] + "|" + sites["motif_id"]
                         + np.where(sites["used"], "", "|ignored"),
                         "score": score, "strand": sites["strand"], "thickStart": start, "thickEnd": end,
                         "itemRgb": sites["motif_id"].map(colours)})


#: colours of the motifs in a BED file, in turn (Okabe-Ito, as R,G,B)
BED_COLOURS = ("230,159,0", "86,180,233", "0,158,115", "240,228,66", "0,114,178", "213,94,0", "204,121,167",
               "0,0,0")


def write_bed(instances_file, data_file, split: str, out) -> int:
    """``instances.tsv`` of an encode TF → BED9 ``out`` in genome coordinates (its data set's window
    chromosome and start); returns the number of sites."""
    from deepmotif.errors import InputError
    from deepmotif.io_utils import open_npz, write_text

    try:
        sites = pd.read_csv(instances_file, sep="\t")
    except FileNotFoundError:
        raise InputError("instances table not found", path=instances_file) from None
    with open_npz(data_file) as z:
        if f"{split}_chrom" not in z.files:
            raise InputError(f"no genome coordinates of the {split} windows (not an encode data set)",
                             path=data_file)
        chrom, start = z[f"{split}_chrom"], z[f"{split}_start"]
    order = list(dict.fromkeys(sites["motif_id"]))
    colours = {m: BED_COLOURS[i % len(BED_COLOURS)] for i, m in enumerate(order)}
    bed = to_bed(sites, chrom, start, colours)
    model = Path(str(instances_file)).parent
    header = f'track name="{model.parent.name} {model.name} motif instances" itemRgb="On"\n'
    write_text(out, header + bed.to_csv(sep="\t", header=False, index=False))
    return len(bed)

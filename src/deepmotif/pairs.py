"""Motif grammar: do two motifs act together? Both are inserted into the same backgrounds at spacings
0…S bp in the four relative orientations, and the pair's effect is compared with the sum of the two single
effects at the same positions (tangermeme's ``space``; DeepResolve's question of motifs that need a
partner).

Per background the interaction is ``f(A + B) - f(A) - f(B) + f(background)``, on the logit and on the
probability scale. A pair is *cooperative* where some spacing and orientation has an interaction whose
interval lies above ``min_share`` × the larger single effect there (|first| or |second|), *redundant* where
one lies below minus that (and none above), else *independent*. The intervals are Bonferroni-corrected for the
configurations tried, so that the best of 164 is not a chance peak; the share keeps a small but precisely
measured interaction from counting: with 200 paired backgrounds the demo GATA1 CNN's own motif with 6
unrelated weak motifs had intervals above 0 (0.2-0.7 logit, mostly at 0-2 bp, where the second motif
replaces the first's flanking bases) beside a single effect of 3.9; at 0.25 none of them counts. (A
margin of the *sum* of the single effects, 0.25 × (|A| + |B|), hid the redundancy of an OR pair whose
motifs each move the logit by 7-10: interaction −4.8 [−5.7, −3.9] against a margin of 4.1.) Additive log-odds are independent evidence, so the ``verdict`` is read on the logit scale;
``verdict_probability`` reads the probability scale (where two independent motifs that each lift a weak
baseline are already super-additive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif.config import DEFAULTS as CONFIG_DEFAULTS
from deepmotif.effects import (DEFAULTS as EFFECT_DEFAULTS, SCALES, implant, interval, model_scores,
                                         on_scales, oriented, sample_sites)

#: the settings of the pair analysis with their defaults (config ``grammar.pairs``): ``max_spacing``, spacings
#: 0…max_spacing bp between the end of the first motif and the second; ``max_pairs``, pairs analysed at most
#: per model (own-family motif first); ``level``, family-wise confidence of a verdict, whose interval must
#: also clear ``min_share`` of the larger single effect
DEFAULTS = CONFIG_DEFAULTS["grammar"]["pairs"]
#: relative orientations: the first motif's strand, then the second's
ORIENTATIONS = ("++", "+-", "-+", "--")
#: the three verdicts
COOPERATIVE, INDEPENDENT, REDUNDANT = "cooperative", "independent", "redundant"
#: columns of ``pairs.tsv`` (one row per pair × spacing × orientation × task)
COLUMNS = (["tf", "architecture", "task", "first", "second", "first_name", "second_name", "spacing",
            "orientation", "n"]
           + [f"{scale}_{what}" for scale in SCALES for what in ("pair", "first", "second", "interaction",
                                                                   "low", "high")])
#: columns of ``pair_verdicts.tsv`` (one row per pair × task)
VERDICT_COLUMNS = ["tf", "architecture", "task", "first", "second", "first_name", "second_name", "verdict",
                   "spacing", "orientation", "logit_interaction", "logit_low", "logit_high", "verdict_probability",
                   "probability_spacing", "probability_orientation", "probability_interaction", "probability_low",
                   "probability_high", "configurations"]


def layout(length: int, first: int, second: int, max_spacing: int) -> int:
    """Start of the first motif so that the pair at its widest spacing sits in the middle of the sequence;
    raises ValueError when it does not fit."""
    total = first + max_spacing + second
    if total > length:
        raise ValueError(f"motifs of {first} and {second} bp at spacings up to {max_spacing} bp need {total} bp; "
                         f"the sequences have {length} (lower grammar.pairs.max_spacing)")
    return (length - total) // 2


def pair_effects(model, first: np.ndarray, second: np.ndarray, bg: np.ndarray,
                 max_spacing: int = DEFAULTS["max_spacing"], seed: int = EFFECT_DEFAULTS["seed"],
                 batch_size: int = EFFECT_DEFAULTS["batch_size"], device=None, level: float = DEFAULTS["level"],
                 tasks: list[str] | None = None) -> pd.DataFrame:
    """Effects of a motif pair at every spacing and orientation against the sum of its single effects.

    Parameters
    ----------
    model : torch.nn.Module
        A trained model (its task logits are scored).
    first, second : numpy.ndarray
        (4, w) PFMs; the first stays at :func:`layout`'s start, the second follows at ``spacing`` bp.
    bg : numpy.ndarray
        (n, 4, L) backgrounds (:func:`deepmotif.interpret.effects.backgrounds`).
    level : float
        Family-wise level of the ``_low`` / ``_high`` interval of the interaction (Bonferroni over the
        spacings × orientations).

    Returns
    -------
    pandas.DataFrame
        One row per spacing × orientation × task: ``task``, ``spacing``, ``orientation``, ``n`` and per
        scale the mean change of the pair, of each motif alone (``_first``, ``_second``), the interaction
        and its interval.
    """
    if max_spacing < 0:
        raise ValueError(f"max_spacing must be >= 0, got {max_spacing}")
    a_sites, b_sites = sample_sites(first, len(bg), seed + 101), sample_sites(second, len(bg), seed + 202)
    wa, wb = a_sites.shape[2], b_sites.shape[2]
    start = layout(bg.shape[2], wa, wb, max_spacing)
    spacings = range(max_spacing + 1)
    corrected = 1 - (1 - level) / (len(spacings) * len(ORIENTATIONS))
    base = on_scales(model_scores(model, bg, batch_size, device))

    def scored(X: np.ndarray, k: int) -> dict[str, np.ndarray]:  # (k configurations × n backgrounds) → scales
        return on_scales(model_scores(model, X, batch_size, device).reshape(k, len(bg), -1))

    alone_a = scored(np.concatenate([implant(bg, oriented(a_sites, o), start) for o in "+-"]), 2)
    rows = []
    names = tasks or [f"task{k}" for k in range(base["logit"].shape[1])]
    for ob in "+-":
        b = oriented(b_sites, ob)
        alone_b = scored(np.concatenate([implant(bg, b, start + wa + s) for s in spacings]), len(spacings))
        for oa_index, oa in enumerate("+-"):
            with_a = implant(bg, oriented(a_sites, oa), start)
            both = scored(np.concatenate([implant(with_a, b, start + wa + s) for s in spacings]), len(spacings))
            for s in spacings:
                row_stats = {}
                for scale in SCALES:
                    d_pair = both[scale][s] - base[scale]
                    d_a, d_b = alone_a[scale][oa_index] - base[scale], alone_b[scale][s] - base[scale]
                    mean, low, high = interval(d_pair - d_a - d_b, corrected)
                    row_stats[scale] = (d_pair.mean(axis=0), d_a.mean(axis=0), d_b.mean(axis=0), mean, low, high)
                for k, task in enumerate(names):
                    row = {"task": task, "spacing": s, "orientation": oa + ob, "n": len(bg)}
                    for scale, values in row_stats.items():
                        for what, v in zip(("pair", "first", "second", "interaction", "low", "high"), values):
                            row[f"{scale}_{what}"] = v[k]
                    rows.append(row)
    return pd.DataFrame(rows)


def verdict(table: pd.DataFrame, scale: str, min_share: float = DEFAULTS["min_share"]) -> tuple[str, pd.Series]:
    """The verdict of one pair × task on ``scale`` from its :func:`pair_effects` rows, and the row it rests
    on: the configuration of largest interaction whose interval lies above ``min_share`` × the larger of
    |first| and |second| there (cooperative), else of smallest whose interval lies below minus that
    (redundant), else of largest |interaction| (independent)."""
    margin = min_share * np.maximum(table[f"{scale}_first"].abs(), table[f"{scale}_second"].abs())
    above = table[table[f"{scale}_low"] > margin]
    if len(above):
        return COOPERATIVE, above.loc[above[f"{scale}_interaction"].idxmax()]
    below = table[table[f"{scale}_high"] < -margin]
    if len(below):
        return REDUNDANT, below.loc[below[f"{scale}_interaction"].idxmin()]
    return INDEPENDENT, table.loc[table[f"{scale}_interaction"].abs().idxmax()]


def verdicts(table: pd.DataFrame, min_share: float = DEFAULTS["min_share"]) -> pd.DataFrame:
    """One row per pair × task (:data:`VERDICT_COLUMNS`) from the rows of :func:`pair_effects` of several
    pairs (columns ``first``, ``second`` and their names added)."""
    keys = ["tf", "architecture", "task", "first", "second", "first_name", "second_name"]
    rows = []
    for key, group in table.groupby(keys, sort=False):
        row = dict(zip(keys, key))
        for scale, prefix in (("logit", ""), ("probability", "probability_")):
            word, at = verdict(group, scale, min_share)
            row["verdict" if scale == "logit" else "verdict_probability"] = word
            row.update({f"{prefix}spacing": int(at["spacing"]), f"{prefix}orientation": at["orientation"],
                        f"{scale}_interaction": at[f"{scale}_interaction"], f"{scale}_low": at[f"{scale}_low"],
                        f"{scale}_high": at[f"{scale}_high"]})
        row["configurations"] = len(group)
        rows.append(row)
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def heat_map(table: pd.DataFrame, path, scale: str = "logit", dpi: int = 120) -> None:
    """Interaction per spacing × orientation, one panel per pair × task, as a PNG figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from deepmotif.io_utils import save_figure

    groups = list(table.groupby(["task", "first_name", "second_name", "first", "second"], sort=False))
    fig, axes = plt.subplots(len(groups) or 1, 1, figsize=(8, 1.3 + 1.1 * max(len(groups), 1)), squeeze=False)
    for ax, ((task, a, b, _, _), g) in zip(axes[:, 0], groups):
        grid = g.pivot(index="orientation", columns="spacing", values=f"{scale}_interaction").reindex(ORIENTATIONS)
        lim = max(float(np.nanmax(np.abs(grid.to_numpy()))), 1e-9)
        im = ax.imshow(grid.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_yticks(range(len(ORIENTATIONS)), ORIENTATIONS)
        spacings = list(grid.columns)
        ax.set_xticks(range(0, len(spacings), 5), [str(s) for s in spacings[::5]])
        ax.set_title(f"{a} × {b} ({task})", fontsize=9)
        fig.colorbar(im, ax=ax, label=f"{scale} interaction", fraction=0.03)
    if not groups:
        axes[0, 0].text(0.5, 0.5, "no pairs", ha="center", va="center")
        axes[0, 0].set_axis_off()
    axes[-1, 0].set_xlabel("spacing (bp)")
    fig.tight_layout()
    save_figure(fig, {"png": path}, dpi)
    plt.close(fig)

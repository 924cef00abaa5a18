"""Each motif's effect on the prediction by global importance analysis (Koo, Majdandzic et al. 2021): insert
the motif, sampled from its PFM, into dinucleotide-shuffled backgrounds of the TF's own sequences and take
the change of the model's logit and probability, per position and orientation, with a 95 % interval over the
backgrounds. tangermeme's ``marginalize`` does the same for one consensus.

Every background gets its own sampled instance (the same one at every position), so the interval covers the
motif's variability as well as the background's; the backgrounds' own scores are computed once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif.config import DEFAULTS as CONFIG_DEFAULTS

#: the settings of global importance analysis with their defaults (config ``grammar.effects``):
#: ``backgrounds``, dinucleotide-shuffled sequences each motif is inserted into; ``positions``, insertion
#: positions spread evenly over the sequence (the centre is always added); ``batch_size``, sequences per
#: forward pass; ``seed``, random state of the backgrounds and of the sampled instances
DEFAULTS = CONFIG_DEFAULTS["grammar"]["effects"]

#: the two scales an effect is reported on: the model's logit and its probability (sigmoid of the logit)
SCALES = ("logit", "probability")
#: columns of ``effects.tsv``, in order
COLUMNS = (["tf", "architecture", "task", "motif_id", "motif_name", "reference", "position", "centre",
            "orientation", "n"]
           + [f"{scale}_{stat}" for scale in SCALES for stat in ("change", "low", "high")] + ["sign"])


def backgrounds(X: np.ndarray, n: int, seed: int = DEFAULTS["seed"]) -> np.ndarray:
    """``n`` dinucleotide shuffles of sequences drawn from (N, 4, L) one-hot ``X`` (without replacement while
    there are enough) → (n, 4, L) float32."""
    from deepmotif.data.shuffle import dinucleotide_shuffle

    if n < 2:
        raise ValueError(f"need at least 2 backgrounds for an interval, got {n}")
    if len(X) == 0:
        raise ValueError("no sequences to shuffle into backgrounds")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), size=n, replace=n > len(X))
    return dinucleotide_shuffle(np.asarray(X, dtype=np.float32)[rows], random_state=seed).astype(np.float32)


def sample_sites(pwm: np.ndarray, n: int, seed: int = DEFAULTS["seed"]) -> np.ndarray:
    """``n`` instances sampled from a (4, w) PFM → (n, 4, w) float32 one-hot."""
    from deepmotif.data.synthetic import sample_instances

    codes = sample_instances(pwm, n, np.random.default_rng(seed))
    return np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)


def oriented(sites: np.ndarray, orientation: str) -> np.ndarray:
    """(n, 4, w) one-hot sites as given (``+``) or reverse-complemented (``-``)."""
    if orientation not in ("+", "-"):
        raise ValueError(f"orientation must be '+' or '-', got {orientation!r}")
    return sites if orientation == "+" else sites[:, ::-1, ::-1]


def implant(bg: np.ndarray, sites: np.ndarray, position: int) -> np.ndarray:
    """A copy of (n, 4, L) ``bg`` with (n, 4, w) ``sites`` written at ``position``."""
    width, length = sites.shape[2], bg.shape[2]
    if not 0 <= position <= length - width:
        raise ValueError(f"a {width}-bp motif at {position} does not fit in {length} bp")
    out = bg.copy()
    out[:, :, position:position + width] = sites
    return out


def model_scores(model, X: np.ndarray, batch_size: int = DEFAULTS["batch_size"], device=None) -> np.ndarray:
    """(N, tasks) logits of every task of ``model`` (one column for a single-task model), strands combined as
    the model does."""
    import torch

    from deepmotif.interpret.inputs import model_device

    device = model_device(model, device)
    multi = getattr(getattr(model, "linear", None), "out_features", 1) > 1
    score = model.task_logits if multi else (lambda x: model(x)[:, None])
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            out.append(score(torch.as_tensor(X[i:i + batch_size], device=device)).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, 1))


def on_scales(logits: np.ndarray) -> dict[str, np.ndarray]:
    """Logits → {scale: values} for each of :data:`SCALES`."""
    return {"logit": logits, "probability": 1 / (1 + np.exp(-logits))}


def interval(d: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and two-sided t interval at ``level`` over axis 0 of ``d`` (one row per background)."""
    from scipy.stats import t

    n = d.shape[0]
    mean = d.mean(axis=0)
    half = t.ppf(0.5 + level / 2, n - 1) * d.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def insertion_positions(length: int, width: int, n: int) -> tuple[list[int], int]:
    """``n`` positions spread evenly from the first to the last that fits, plus the centre: (sorted
    positions, the centre)."""
    if width > length:
        raise ValueError(f"a {width}-bp motif does not fit in {length}-bp sequences")
    centre = (length - width) // 2
    spread = np.linspace(0, length - width, max(n, 1)).round().astype(int) if n > 1 else []
    return sorted({centre, *map(int, spread)}), centre


def motif_effects(model, motifs: dict[str, np.ndarray], bg: np.ndarray, positions: int = DEFAULTS["positions"],
                  seed: int = DEFAULTS["seed"], batch_size: int = DEFAULTS["batch_size"], device=None,
                  tasks: list[str] | None = None) -> pd.DataFrame:
    """Global importance of every motif: mean change of each task's logit and probability when the motif is
    inserted into ``bg``, per position and orientation, with 95 % intervals.

    Parameters
    ----------
    model : torch.nn.Module
        A trained model (its task logits are scored, :func:`model_scores`).
    motifs : dict
        Motif id → (4, w) PFM.
    bg : numpy.ndarray
        (n, 4, L) backgrounds (:func:`backgrounds`).
    positions : int
        Positions spread over the sequence (:func:`insertion_positions`).
    tasks : list of str, optional
        Names of the model's tasks (default ``task0``, ``task1``...).

    Returns
    -------
    pandas.DataFrame
        One row per motif × position × orientation × task: ``motif_id``, ``task``, ``position``,
        ``centre`` (bool), ``orientation``, ``n`` and, per scale, ``{scale}_change`` / ``_low`` / ``_high``;
        ``sign`` +1 or -1 (the sign of the logit change).
    """
    base = on_scales(model_scores(model, bg, batch_size, device))
    names = tasks or [f"task{k}" for k in range(base["logit"].shape[1])]
    rows = []
    for m, (motif_id, pwm) in enumerate(motifs.items()):
        sites = sample_sites(pwm, len(bg), seed + 1 + m)
        where, centre = insertion_positions(bg.shape[2], sites.shape[2], positions)
        configs = [(p, o) for p in where for o in ("+", "-")]
        X = np.concatenate([implant(bg, oriented(sites, o), p) for p, o in configs])
        scored = on_scales(model_scores(model, X, batch_size, device).reshape(len(configs), len(bg), -1))
        for c, (p, o) in enumerate(configs):
            stats = {scale: interval(scored[scale][c] - base[scale]) for scale in SCALES}
            for k, task in enumerate(names):
                row = {"motif_id": motif_id, "task": task, "position": p, "centre": p == centre, "orientation": o,
                       "n": len(bg)}
                for scale, (mean, low, high) in stats.items():
                    row.update({f"{scale}_change": mean[k], f"{scale}_low": low[k], f"{scale}_high": high[k]})
                row["sign"] = -1 if row["logit_change"] < 0 else 1
                rows.append(row)
    own = [c for c in COLUMNS if c not in ("tf", "architecture", "motif_name", "reference")]
    return pd.DataFrame(rows, columns=own)  # the columns even without a motif

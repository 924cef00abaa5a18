"""DeepResolve (Liu, Barr & Gifford 2019): which feature channels a network relies on per task, whether their
contribution is additive, and which tasks share features — from gradient ascent on an intermediate feature
map rather than from given sequences.

For a task, ``starts`` random feature maps H (channels × positions of the chosen layer) are each optimised by
gradient ascent on ``logit(H) - l2 * ||H||^2`` in standardised units: channel c is ``sigma_c * z_c`` with
``sigma_c`` its root mean square over real sequences; z starts as N(0, 1) and carries the penalty. (The
reference optimises the raw layer with a hand-set ``l2``. A trained first layer's outputs are far from
N(0, 1) — with an exponential activation they run to tens — so at raw scale the ascent hardly moved the
logit of our models, and the starts' noise, not the task, decided the channel ranking.) The ascent is the
reference's plain one: a fixed step, annealed as ``lr * (i - anneal_after)^-0.2`` after ``anneal_after``
steps, stopped once the objective has not improved for ``patience`` steps or after ``max_steps``; the map
of the best logit seen is that start's optimum.

Its feature importance vector (FIV) is the optimum averaged over positions, one value per channel (at an
optimum z = grad logit / (2 l2), so the FIV is the mean gradient there too). The overall FIV (OFIV) is the
average of the starts' FIVs weighted by their logits (shifted to be non-negative), and each channel's
weighted variance across starts its *inconsistency*. A channel that adds to the score alone, or that is
needed together with another (both raised in every optimum), contributes the same way from every start; a
channel whose part another can play (the score wants one of them, and each start's optimum builds on the
one it started nearer) is large in some optima and absent in others. A Gaussian mixture of the variances
(1 to ``max_components`` components, chosen by BIC) flags the channels outside its lowest-variance
component as **non-additive** where more than one component is chosen; their OFIV is then averaged over the
starts where they are positive (the reference's ``OFIV_generation.py``). ``tests/test_resolve.py`` shows
the three cases on heads whose answer is known.

The layer (:func:`feature_split`): the map leaving the first convolution block (convolution, activation,
pooling) of a CNN or CNN-RNN, i.e. one channel per first-layer filter, which the motif stage maps to JASPAR
(``TF.arch.filterN``). Everything after it — the later convolutions and the global max of the CNN, the LSTM
of the CNN-RNN, the linear layer — is what the ascent explains. (A CNN of one convolution has only a global
max and a linear layer after it: its optimum is the task's weights, which is valid but shows no
interaction.) One strand's network is explained; a two-strand model's ``strands`` setting is not applied.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

FIV_COLUMNS = ["tf", "architecture", "task", "channel", "rank", "ofiv", "variance", "non_additive", "n_components",
               "filter_id", "match_id", "match_name", "match_q"]
SIMILARITY_COLUMNS = ["tf", "architecture", "task_a", "task_b", "ofiv_correlation", "label_correlation",
                      "order_a", "order_b"]


def _settings(settings: dict | None) -> dict:
    """The ``deepresolve`` section with the defaults of ``deepmotif.config.DEFAULTS`` for keys left out."""
    from deepmotif.config import DEFAULTS

    return {**DEFAULTS["deepresolve"], **(settings or {})}


def feature_split(model: nn.Module):
    """Split a model at the map DeepResolve optimises.

    Returns
    -------
    features : callable
        (N, 4, L) one-hot → (N, C, P) feature map (C = first-layer filters).
    head : callable
        (N, C, P) feature map → (N, tasks) task logits (eval mode: dropout off).

    Raises
    ------
    ValueError
        For a model without a convolutional first layer (the RNN).
    """
    from deepmotif.models import CNN, CNNRNN, _pool_time

    if isinstance(model, CNN):
        layers = list(model.features)
        first_conv = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Conv1d)]
        cut = first_conv[1] if len(first_conv) > 1 else len(layers)
        features, rest = nn.Sequential(*layers[:cut]), nn.Sequential(*layers[cut:])
        return features, lambda h: model.linear(rest(h).max(dim=2).values)
    if isinstance(model, CNNRNN):
        return model.conv, lambda h: model.linear(_pool_time(model.lstm(h.transpose(1, 2))[0], model.pool))
    raise ValueError(f"DeepResolve needs a convolutional first layer (cnn, cnnrnn), got {type(model).__name__}")


def optimise_maps(head, shape: tuple[int, int], task: int, settings: dict | None = None,
                  device: str | torch.device = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Gradient ascent of ``settings['starts']`` random feature maps on one task's logit (module docstring).

    Parameters
    ----------
    head : callable
        (N, C, P) → (N, tasks) logits (:func:`feature_split`).
    shape : tuple of int
        (C, P) of one feature map.
    task : int
        Which logit to maximise.
    settings : dict, optional
        The ``deepresolve`` config section; keys left out take their defaults.

    Returns
    -------
    maps : numpy.ndarray
        (starts, C, P) float32 optimum of each start.
    scores : numpy.ndarray
        (starts,) float32 logit at each optimum.
    """
    s = _settings(settings)
    n, l2 = int(s["starts"]), float(s["l2"])
    if n < 2 or l2 <= 0 or float(s["lr"]) <= 0:
        raise ValueError(f"need starts >= 2, l2 > 0 and lr > 0, got {n}, {l2}, {s['lr']}")
    gen = torch.Generator().manual_seed(int(s["seed"]))
    h = torch.randn((n, *shape), generator=gen).to(device).requires_grad_(True)
    best_map, best_score = h.detach().clone(), torch.full((n,), -torch.inf, device=device)
    best_objective = torch.full((n,), -torch.inf, device=device)
    stalled = torch.zeros(n, dtype=torch.long, device=device)
    active = torch.ones(n, dtype=torch.bool, device=device)
    for i in range(int(s["max_steps"])):
        logit = head(h)[:, task]
        objective = logit - l2 * (h ** 2).sum(dim=(1, 2))
        grad, = torch.autograd.grad(objective.sum(), h)
        with torch.no_grad():
            better = active & (logit > best_score)
            best_score = torch.where(better, logit, best_score)
            best_map[better] = h[better]
            improved = objective > best_objective + float(s["min_improvement"])
            best_objective = torch.where(active & improved, objective, best_objective)
            stalled = torch.where(improved, torch.zeros_like(stalled), stalled + 1)
            active &= stalled < int(s["patience"])
            if not active.any():
                break
            step = float(s["lr"])
            if i > int(s["anneal_after"]):
                step = max(step * (i - int(s["anneal_after"])) ** -0.2, 1e-6)
            h += step * grad * active[:, None, None]
    return best_map.cpu().numpy(), best_score.detach().cpu().numpy()


def _weighted_mean_var(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.average(values, axis=0, weights=weights)
    return mean, np.average((values - mean) ** 2, axis=0, weights=weights)


def non_additive_channels(variance: np.ndarray, max_components: int = 3, seed: int = 0) -> tuple[np.ndarray, int]:
    """Channels whose inconsistency (variance across starts) falls outside the lowest-variance component of a
    Gaussian mixture of 1 to ``max_components`` components chosen by BIC (with two components: the
    reference's high-variance component); none where one component is chosen. Returns the (C,) boolean flags
    and the number of components."""
    from sklearn.mixture import GaussianMixture

    v = np.asarray(variance, dtype=np.float64).reshape(-1, 1)
    if len(v) < 2 or np.ptp(v) <= 1e-12 * max(1.0, float(np.abs(v).max())):
        return np.zeros(len(v), dtype=bool), 1
    fits = [GaussianMixture(k, covariance_type="diag", random_state=seed).fit(v)
            for k in range(1, min(int(max_components), len(v)) + 1)]
    best = int(np.argmin([g.bic(v) for g in fits]))
    if best == 0:
        return np.zeros(len(v), dtype=bool), 1
    gmm = fits[best]
    return gmm.predict(v) != int(np.argmin(gmm.means_[:, 0])), best + 1


def overall_importance(fivs: np.ndarray, scores: np.ndarray, max_components: int = 3, seed: int = 0) -> dict:
    """OFIV, inconsistency and non-additive flags of one task from its starts' FIVs (module docstring).

    Parameters
    ----------
    fivs : numpy.ndarray
        (starts, C) feature importance vectors.
    scores : numpy.ndarray
        (starts,) logits of the optima (the weights; shifted to be non-negative where any is negative).

    Returns
    -------
    dict
        ``ofiv`` (C,), ``variance`` (C,), ``non_additive`` (C,) bool, ``n_components`` int.
    """
    fivs, w = np.asarray(fivs, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    if (w < 0).any():
        w = w - w.min()
    if w.sum() <= 0:
        w = np.ones_like(w)
    ofiv, variance = _weighted_mean_var(fivs, w)
    flags, n_components = non_additive_channels(variance, max_components, seed)
    if flags.any():  # a non-additive channel counts where it is used: its positive FIVs only
        keep = np.where(flags[None, :], fivs > 0, True)
        weights = w[:, None] * keep
        total = weights.sum(axis=0)
        ofiv = np.where(total > 0, (fivs * weights).sum(axis=0) / np.where(total > 0, total, 1), 0.0)
    return {"ofiv": ofiv, "variance": variance, "non_additive": flags, "n_components": n_components}


#: sequences whose feature maps give each channel's scale (the first of those passed to :func:`resolve`)
SCALE_SEQUENCES = 1000


def channel_scale(features, X: np.ndarray, batch_size: int = 256, device: str | torch.device = "cpu") -> torch.Tensor:
    """(C,) root mean square of each channel of ``features`` over sequences ``X`` (N, 4, L) and positions
    (at least 1e-6)."""
    total, count = None, 0
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            h = features(torch.as_tensor(X[i:i + batch_size], dtype=torch.float32, device=device))
            sq = (h ** 2).sum(dim=(0, 2))
            total = sq if total is None else total + sq
            count += h.shape[0] * h.shape[2]
    return (total / count).sqrt().clamp_min(1e-6)


def resolve(model: nn.Module, X: np.ndarray, settings: dict | None = None,
            device: str | torch.device = "cpu") -> list[dict]:
    """DeepResolve of every task of ``model`` (module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        A CNN or CNN-RNN.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences of the length the model reads; the first :data:`SCALE_SEQUENCES` give each
        channel's scale.
    settings : dict, optional
        The ``deepresolve`` config section; keys left out take their defaults. Task k's starts use seed
        ``seed + k``.

    Returns
    -------
    list of dict
        One per task: :func:`overall_importance`'s keys plus ``fivs`` (starts, C) in standardised units and
        ``scores`` (starts,).
    """
    s = _settings(settings)
    model = model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    features, head = feature_split(model)
    sigma = channel_scale(features, np.asarray(X[:SCALE_SEQUENCES]), device=device)
    with torch.no_grad():
        shape = tuple(features(torch.zeros((1, *np.shape(X)[1:]), device=device)).shape[1:])
        tasks = head(torch.zeros((1, *shape), device=device)).shape[1]
    out = []
    for task in range(tasks):
        maps, scores = optimise_maps(lambda z: head(z * sigma[None, :, None]), shape, task,
                                     {**s, "seed": int(s["seed"]) + task}, device)
        fivs = maps.mean(axis=2)
        out.append({**overall_importance(fivs, scores, int(s["max_components"]), int(s["seed"])),
                    "fivs": fivs, "scores": scores})
    return out


def ofiv_ranks(ofiv: np.ndarray) -> np.ndarray:
    """(C,) rank of each channel within its task by OFIV: 1 = the most important (ties: lower channel first)."""
    rank = np.empty(len(ofiv), dtype=int)
    rank[np.argsort(-np.asarray(ofiv), kind="stable")] = np.arange(1, len(ofiv) + 1)
    return rank


def task_similarity(ofivs: np.ndarray) -> np.ndarray:
    """(T, C) OFIVs of T tasks → (T, T) Pearson correlation between tasks (DeepResolve's class similarity);
    a task whose OFIV is constant correlates 0 with the others and 1 with itself."""
    x = np.asarray(ofivs, dtype=np.float64)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    safe = np.where(norm > 0, norm, 1.0)
    r = (x / safe[:, None]) @ (x / safe[:, None]).T
    r[norm == 0, :] = 0.0
    r[:, norm == 0] = 0.0
    np.fill_diagonal(r, 1.0)
    return np.clip(r, -1.0, 1.0)


def similarity_order(similarity: np.ndarray) -> np.ndarray:
    """Leaf order of an average-linkage clustering of tasks on 1 - similarity (the heat map's order)."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    d = 1.0 - np.asarray(similarity, dtype=np.float64)
    if len(d) < 3:
        return np.arange(len(d))
    np.fill_diagonal(d, 0.0)
    return leaves_list(linkage(squareform(np.clip((d + d.T) / 2, 0, None), checks=False), "average"))


def _channel_matches(motif_table, tf: str, arch: str) -> dict[int, dict]:
    """Channel → its first-layer filter's motif id and best significant JASPAR hit, from the TF's motif table
    (``match --motif-table``; filter motifs ``TF.arch.filterN``)."""
    import pandas as pd

    if motif_table is None:
        return {}
    table = pd.read_csv(motif_table, sep="\t")
    prefix = f"{tf}.{arch}.filter"
    out = {}
    for row in table[table["motif_id"].astype(str).str.startswith(prefix)].to_dict("records"):
        matched = row.get("status") == "matched"
        out[int(str(row["motif_id"])[len(prefix):])] = {
            "filter_id": row["motif_id"], "match_id": row["hit1_id"] if matched else None,
            "match_name": row["hit1_name"] if matched else None, "match_q": row["hit1_q"] if matched else None}
    return out


def _task_labels(data_file, tasks: int, tf: str) -> tuple[list[str], np.ndarray]:
    """Task names and (T, T) correlation of their training labels (1 for one task)."""
    from deepmotif.data.prepare import load_task_labels
    from deepmotif.io_utils import open_npz

    if tasks == 1:
        return [tf], np.ones((1, 1))
    with open_npz(data_file) as z:
        key = next((k for k in ("meta_task_names", "meta_planted_names") if k in z.files), None)
        names = [str(n) for n in z[key]] if key else []
    if len(names) != tasks:
        names = [f"task{k}" for k in range(tasks)]
    Y = load_task_labels(data_file, "train")
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.nan_to_num(np.corrcoef(Y.T)) if Y.shape[1] == tasks else np.full((tasks, tasks), np.nan)
    return names, r


def write_resolve(tf: str, arch: str, model_file, data_file, settings: dict | None, fiv_out, similarity_out,
                  motif_table=None, device: str | torch.device = "cpu", png=None):
    """The DeepResolve stage of one TF × architecture (``deepmotif resolve``): :func:`resolve` of the model for
    the data's sequence length, written as one row per task × channel (``fiv_out``, :data:`FIV_COLUMNS`: OFIV,
    inconsistency, non-additive flag, the channel's filter motif and its best JASPAR match from
    ``motif_table``) and one row per pair of tasks (``similarity_out``, :data:`SIMILARITY_COLUMNS`: OFIV
    correlation, training-label correlation, clustered order) and, with ``png``, :func:`resolve_figure`.
    Returns the two tables."""
    import pandas as pd

    from deepmotif.data.prepare import load_split
    from deepmotif.io_utils import write_tsv
    from deepmotif.train import load_model

    model, _ = load_model(model_file, device)
    results = resolve(model, load_split(data_file, "test")[0], settings, device)
    names, labels = _task_labels(data_file, len(results), tf)
    matches = _channel_matches(motif_table, tf, arch)
    rows = []
    for name, r in zip(names, results):
        rank = ofiv_ranks(r["ofiv"])
        for c in range(len(r["ofiv"])):
            rows.append({"tf": tf, "architecture": arch, "task": name, "channel": c, "rank": int(rank[c]),
                         "ofiv": float(r["ofiv"][c]), "variance": float(r["variance"][c]),
                         "non_additive": bool(r["non_additive"][c]), "n_components": r["n_components"],
                         **matches.get(c, {})})
    fiv = pd.DataFrame(rows).reindex(columns=FIV_COLUMNS)
    similarity = task_similarity(np.stack([r["ofiv"] for r in results]))
    order = np.empty(len(names), dtype=int)
    order[similarity_order(similarity)] = np.arange(len(names))
    pairs = pd.DataFrame([{"tf": tf, "architecture": arch, "task_a": a, "task_b": b,
                           "ofiv_correlation": float(similarity[i, j]), "label_correlation": float(labels[i, j]),
                           "order_a": int(order[i]), "order_b": int(order[j])}
                          for i, a in enumerate(names) for j, b in enumerate(names)],
                         columns=SIMILARITY_COLUMNS)
    write_tsv(fiv_out, fiv)
    write_tsv(similarity_out, pairs)
    if png:
        from deepmotif.io_utils import save_figure

        save_figure(resolve_figure(fiv, pairs), {"png": png}, dpi=120)
    return fiv, pairs


def resolve_figure(fiv, pairs, top: int = 5):
    """DeepResolve's two heat maps of one model: task × channel OFIV (the union of each task's ``top``
    channels by OFIV, labelled with their filters' JASPAR matches; a dot marks a non-additive channel), and
    task × task OFIV correlation above the diagonal beside label correlation below it, in clustering order.

    Parameters
    ----------
    fiv, pairs : pandas.DataFrame
        The two tables of :func:`write_resolve`.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot: nothing to close.
    """
    from matplotlib.figure import Figure

    tasks = list(pairs.sort_values("order_a").drop_duplicates("task_a")["task_a"])
    channels = sorted(set(fiv[fiv["rank"] <= top]["channel"]))
    grid = fiv.pivot(index="task", columns="channel", values="ofiv").reindex(index=tasks, columns=channels)
    flags = fiv.pivot(index="task", columns="channel", values="non_additive").reindex(index=tasks, columns=channels)
    names = fiv.drop_duplicates("channel").set_index("channel")["match_name"]
    n = len(tasks)
    sim = pairs.pivot(index="task_a", columns="task_b", values="ofiv_correlation").reindex(index=tasks, columns=tasks)
    lab = pairs.pivot(index="task_a", columns="task_b", values="label_correlation").reindex(index=tasks, columns=tasks)
    both = np.where(np.triu(np.ones((n, n), dtype=bool), 1), sim.to_numpy(), lab.to_numpy())
    fig = Figure(figsize=(4 + 0.35 * len(channels) + 0.4 * n, 1.5 + 0.35 * n))
    a, b = fig.subplots(1, 2, gridspec_kw={"width_ratios": [max(len(channels), 1), max(n, 1)]})
    limit = float(np.nanmax(np.abs(grid.to_numpy()))) or 1.0
    im = a.imshow(grid.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    rows, cols = np.nonzero(flags.fillna(False).to_numpy().astype(bool))
    a.scatter(cols, rows, s=12, c="black", marker="o")
    a.set_yticks(range(n), tasks, fontsize=7)
    a.set_xticks(range(len(channels)), [f"{c} {names.get(c) if isinstance(names.get(c), str) else ''}".strip()
                                        for c in channels], rotation=90, fontsize=6)
    a.set_title("OFIV (dot: non-additive)", fontsize=8)
    fig.colorbar(im, ax=a, shrink=0.8)
    im2 = b.imshow(both, cmap="RdBu_r", vmin=-1, vmax=1)
    b.set_xticks(range(n), tasks, rotation=90, fontsize=7)
    b.set_yticks(range(n), tasks, fontsize=7)
    b.set_title("OFIV correlation (upper) / label correlation (lower)", fontsize=8)
    fig.colorbar(im2, ax=b, shrink=0.8)
    fig.tight_layout()
    return fig

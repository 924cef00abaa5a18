"""The motifs stage: turn per-position attribution maps into PWMs.

For each of the top-scoring positive sequences the strongest window of width k is cut out; windows are
then aligned (strand and a small shift, against the running PWM, a few EM-like rounds) and counted into a
letter-probability matrix.
"""

from __future__ import annotations

import numpy as np

from deepmotif.io_utils import open_npz
from deepmotif.memeio import Motif
from deepmotif.methods import MAP_VIEWS, TASK_METHODS


def top_positives(scores: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest-scoring sequences with label 1, best first."""
    pos = np.flatnonzero(np.asarray(y) == 1)
    if len(pos) == 0:
        raise ValueError("no positive sequences to take motifs from")
    return pos[np.argsort(-np.asarray(scores)[pos], kind="stable")[:n]]


def best_windows(attr: np.ndarray, width: int) -> np.ndarray:
    """Start of the length-``width`` window with the largest summed attribution in each sequence.

    Parameters
    ----------
    attr : numpy.ndarray
        (N, 4, L) attribution map or (N, L) per-position scores.
    width : int
        Window width, 1 <= width <= L.
    """
    a = np.asarray(attr, dtype=np.float64)
    if a.ndim == 3:
        a = a.sum(axis=1)
    if not 1 <= width <= a.shape[1]:
        raise ValueError(f"width must be in [1, {a.shape[1]}], got {width}")
    # Sum over each window, with weights a hair above 1 in the middle: of windows with the same sum (a signal
    # narrower than the window), the one that centres the signal wins.
    centre = (width - 1) / 2
    weights = 1 + 1e-6 * (1 - np.abs(np.arange(width) - centre) / max(centre, 1))
    return np.argmax(np.lib.stride_tricks.sliding_window_view(a, width, axis=1) @ weights, axis=1)


def cut_windows(X: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """(N, 4, L) one-hot and (N,) starts → (N, 4, width) windows; columns past either end are zero (N)."""
    n, _, length = X.shape
    cols = np.asarray(starts)[:, None] + np.arange(width)[None, :]
    inside = (cols >= 0) & (cols < length)
    win = X[np.arange(n)[:, None], :, np.clip(cols, 0, length - 1)].transpose(0, 2, 1)
    return win * inside[:, None, :]


def align_windows(X: np.ndarray, starts: np.ndarray, width: int, max_shift: int = 2, rounds: int = 3,
                  pseudocount: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Align windows by strand and a shift of up to ``max_shift`` against their own consensus.

    Returns
    -------
    starts : numpy.ndarray
        (N,) adjusted starts.
    strands : numpy.ndarray
        (N,) +1 or -1 (window used reverse-complemented).
    windows : numpy.ndarray
        (N, 4, width) aligned windows (reverse-complemented where strand is -1).
    """
    starts = np.asarray(starts).copy()
    strands = np.ones(len(starts), dtype=np.int8)
    wins = cut_windows(X, starts, width)
    for _ in range(rounds):
        logp = np.log((wins.sum(axis=0) + pseudocount) / (len(wins) + 4 * pseudocount))  # (4, width)
        best = np.full(len(starts), -np.inf)
        new_starts, new_strands = starts.copy(), strands.copy()
        for shift in range(-max_shift, max_shift + 1):
            cand = cut_windows(X, starts + shift, width)
            for strand, c in ((1, cand), (-1, cand[:, ::-1, ::-1])):
                ll = (c * logp).sum(axis=(1, 2))
                better = ll > best
                best[better], new_starts[better], new_strands[better] = ll[better], starts[better] + shift, strand
        starts, strands = new_starts, new_strands
        wins = cut_windows(X, starts, width)
        wins[strands < 0] = wins[strands < 0, ::-1, ::-1]
    return starts, strands, wins


def windows_to_pwm(windows: np.ndarray, pseudocount: float = 0.0) -> np.ndarray:
    """(N, 4, w) one-hot windows → (4, w) letter-probability matrix (N columns are ignored)."""
    counts = np.asarray(windows, dtype=np.float64).sum(axis=0) + pseudocount
    total = counts.sum(axis=0, keepdims=True)
    return np.where(total > 0, counts / np.where(total > 0, total, 1), 0.25)


def attribution_motif(X: np.ndarray, attr: np.ndarray, width: int = 15, motif_id: str = "motif",
                      name: str = "", max_shift: int = 2) -> tuple[Motif, np.ndarray]:
    """The strongest-attribution window of every sequence, aligned and counted into one motif.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot of the chosen sequences (e.g. the top-scoring test positives).
    attr : numpy.ndarray
        (N, 4, L) attribution map of the same sequences.
    width : int
        Window width k.

    Returns
    -------
    motif : Motif
        PWM with ``nsites`` = number of windows.
    starts : numpy.ndarray
        (N,) start of each sequence's window before alignment.
    """
    starts = best_windows(attr, width)
    _, _, wins = align_windows(X, starts, width, max_shift=max_shift)
    return Motif(id=motif_id, name=name, pwm=windows_to_pwm(wins), nsites=len(wins)), starts


def temporal_windows(forward: np.ndarray, backward: np.ndarray, width: int,
                     empty: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Windows where the temporal output scores rise most (Deep Motif Dashboard's temporal motifs).

    Parameters
    ----------
    forward : numpy.ndarray
        (N, L) scores of the prefixes: ``forward[:, j]`` scores ``X[:, :, :j + 1]``
        (:func:`deepmotif.interpret.temporal.temporal_scores`).
    backward : numpy.ndarray
        (N, L) scores of the suffixes: ``backward[:, j]`` scores ``X[:, :, j:]``.
    width : int
        Window width k, 1 <= k <= L.
    empty : float
        Score of the empty prefix / suffix (what the window starting at 0 / ending at L - 1 rises from);
        default 0.5, no evidence either way.

    Returns
    -------
    forward_starts : numpy.ndarray
        (N,) start j of the window maximising ``forward[:, j + k - 1] - forward[:, j - 1]`` (the rise as the
        prefix grows over the window).
    backward_starts : numpy.ndarray
        (N,) start j of the window maximising ``backward[:, j] - backward[:, j + k]`` (the rise as the suffix
        grows leftwards over the window). First window on ties.
    """
    fwd = np.asarray(forward, dtype=np.float64)
    bwd = np.asarray(backward, dtype=np.float64)
    if fwd.ndim != 2 or fwd.shape != bwd.shape:
        raise ValueError(f"forward and backward must be (N, L) arrays of one shape, got {fwd.shape} and {bwd.shape}")
    n, length = fwd.shape
    if not 1 <= width <= length:
        raise ValueError(f"width must be in [1, {length}], got {width}")
    pad = np.full((n, 1), float(empty))
    f = np.concatenate([pad, fwd], axis=1)  # f[:, j] = score of the prefix of length j
    b = np.concatenate([bwd, pad], axis=1)  # b[:, j] = score of the suffix starting at j (j = L: empty)
    rise_f = f[:, width:] - f[:, :-width]   # window j: prefix length j + k minus prefix length j
    rise_b = b[:, :-width] - b[:, width:]   # window j: suffix from j minus suffix from j + k
    return np.argmax(rise_f, axis=1), np.argmax(rise_b, axis=1)


def window_match_fraction(X: np.ndarray, starts: np.ndarray, width: int, target: Motif, targets: list[Motif],
                          q: float = 0.05, backend: str = "memelite") -> float:
    """Share of sequences whose extracted window matches the TF's own motif (the paper's per-sequence
    measure of a motif-extraction method).

    Each sequence's window ``X[i, :, starts[i]:starts[i] + width]`` is one query motif (its one-hot columns,
    ``nsites=1``, so Tomtom's pseudocount softens it to 0.93 / 0.023; N columns uniform). All windows are
    compared with ``targets`` in one Tomtom call; a window counts when ``target`` is among its hits with
    q-value <= ``q``.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    starts : numpy.ndarray
        (N,) window starts (columns outside the sequence count as N).
    width : int
        Window width k, 1 <= k <= L.
    target : Motif
        The TF's own motif; must be one of ``targets`` (same id).
    targets : list of Motif
        The motif database (e.g. JASPAR CORE); Tomtom's q-values need a realistic number of targets.
    q : float
        q-value threshold, in (0, 1].
    backend : str
        Tomtom backend (``memelite`` or ``meme``).

    Returns
    -------
    float
        Fraction of the N windows whose Tomtom hits include ``target``; 0.0 for N = 0.
    """
    from deepmotif.tomtom import tomtom

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"X must be (N, 4, L) one-hot, got shape {X.shape}")
    starts = np.asarray(starts)
    if starts.shape != (len(X),) or starts.dtype.kind not in "iu":
        raise ValueError(f"starts must be ({len(X)},) integers, got shape {starts.shape} dtype {starts.dtype}")
    if not 1 <= width <= X.shape[2]:
        raise ValueError(f"width must be in [1, {X.shape[2]}], got {width}")
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    if target.id not in {t.id for t in targets}:
        raise ValueError(f"target {target.id!r} is not among the {len(targets)} targets")
    if len(X) == 0:
        return 0.0
    wins = cut_windows(X, starts, width)
    total = wins.sum(axis=1, keepdims=True)
    pwms = np.where(total > 0, wins / np.where(total > 0, total, 1), 0.25)
    queries = [Motif(id=f"window{i}", name="", pwm=p, nsites=1) for i, p in enumerate(pwms)]
    hits = tomtom(queries, targets, backend=backend, thresh=q)
    matched = set(hits.loc[hits["Target_ID"] == target.id, "Query_ID"])
    return len(matched) / len(X)


# ------------------------------------------------------------------------------------ dashboard methods


def window_motif(X: np.ndarray, starts: np.ndarray, width: int, motif_id: str = "motif", name: str = "",
                 max_shift: int = 2) -> tuple[Motif, np.ndarray, np.ndarray]:
    """Windows of width ``width`` at ``starts``, aligned (strand, shift) and counted into one motif.

    The common last step of every sequence-specific method (saliency, temporal, ISM, conv activation, ...):
    :func:`attribution_motif` is this with the starts of :func:`best_windows`.

    Returns
    -------
    motif : Motif
        PWM with ``nsites`` = number of windows.
    aligned : numpy.ndarray
        (N,) window starts after alignment.
    strands : numpy.ndarray
        (N,) +1, or -1 where the window was used reverse-complemented.
    """
    aligned, strands, wins = align_windows(X, np.asarray(starts, dtype=np.int64), width, max_shift=max_shift)
    return Motif(id=motif_id, name=name, pwm=windows_to_pwm(wins), nsites=len(wins)), aligned, strands


def ism_importance(ism_map: np.ndarray, X: np.ndarray, signed: bool = False) -> np.ndarray:
    """Per-position importance from an in-silico mutagenesis map, as an attribution map.

    The importance of position j is the *observed-base effect*: how much the logit drops, on average over
    the three other bases, when the observed base is mutated, ``-mean_{b != x_j} ism[b, j]``, kept only
    where positive (positions whose mutation raises the score carry no evidence for the motif; with
    ``signed``, kept negative too: the bases of motifs that lower the score). It is placed at the observed
    base, zero elsewhere, like a saliency map; an ``N`` column gets 0.

    Parameters
    ----------
    ism_map : numpy.ndarray
        (N, 4, L) ``logit(mutant) - logit(X)`` (0 at the observed base), from
        :func:`deepmotif.interpret.ism.ism` with ``center=False``.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    """
    d = np.asarray(ism_map, dtype=np.float64)
    x = np.asarray(X, dtype=np.float64)
    if d.shape != x.shape or d.ndim != 3 or d.shape[1] != 4:
        raise ValueError(f"ism_map and X must be (N, 4, L) of one shape, got {d.shape} and {x.shape}")
    observed = x.sum(axis=1, keepdims=True)  # 1, or 0 at an N
    drop = -(d * (1 - x)).sum(axis=1, keepdims=True) / 3.0
    return ((drop if signed else np.clip(drop, 0, None)) * observed * x).astype(np.float32)


def informative_offset(pwm: np.ndarray, width: int) -> int:
    """Start of the width-``width`` window of ``pwm`` with the largest summed information content (first on
    ties); 0 when ``width`` >= the motif's width."""
    p = np.asarray(pwm, dtype=np.float64)
    info = 2 + np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0).sum(axis=0)
    if width >= len(info):
        return 0
    return int(np.argmax(np.convolve(info, np.ones(width), mode="valid")))


def core_starts(aligned: np.ndarray, strands: np.ndarray, width: int, pwm: np.ndarray, core_width: int) -> np.ndarray:
    """Per-sequence starts of the motif's core of width ``core_width`` inside aligned windows of ``width``.

    The core is the most informative ``core_width`` columns of ``pwm`` (the motif the aligned windows make,
    :func:`informative_offset`); windows used reverse-complemented take it from the other end. A core wider
    than the windows is centred on them. Used to cut windows of the width of a reference motif (e.g. the TF's
    own JASPAR matrix) around what each sequence's extracted window shows.
    """
    aligned = np.asarray(aligned, dtype=np.int64)
    strands = np.asarray(strands)
    if core_width >= width:
        return aligned - (core_width - width) // 2
    off = informative_offset(pwm, core_width)
    return np.where(strands >= 0, aligned + off, aligned + width - off - core_width)


def recentre(starts: np.ndarray, from_width: int, to_width: int, length: int) -> np.ndarray:
    """Starts of width-``to_width`` windows centred (rounded down) on width-``from_width`` windows, clipped
    to a sequence of ``length``."""
    out = np.asarray(starts, dtype=np.int64) + (from_width - to_width) // 2
    return np.clip(out, 0, length - to_width)


def window_match_fractions(windows: dict[str, tuple[np.ndarray, np.ndarray]], width: int, target: Motif,
                           targets: list[Motif], q: float = 0.05, backend: str = "memelite") -> dict[str, float]:
    """:func:`window_match_fraction` of several sets of windows (e.g. one per method) in one Tomtom call.

    Parameters
    ----------
    windows : dict
        key → (X (N, 4, L) one-hot, starts (N,)) of one set.
    width, target, targets, q, backend
        As in :func:`window_match_fraction`.

    Returns
    -------
    dict
        key → fraction of that set's windows whose Tomtom hits include ``target`` with q-value <= ``q``.
    """
    from deepmotif.tomtom import tomtom

    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    if target.id not in {t.id for t in targets}:
        raise ValueError(f"target {target.id!r} is not among the {len(targets)} targets")
    queries, sizes = [], {}
    for n, (key, (X, starts)) in enumerate(windows.items()):
        X = np.asarray(X, dtype=np.float64)
        starts = np.asarray(starts)
        if X.ndim != 3 or X.shape[1] != 4 or starts.shape != (len(X),) or starts.dtype.kind not in "iu":
            raise ValueError(f"{key}: X must be (N, 4, L) one-hot and starts (N,) integers, got shapes "
                             f"{X.shape} and {starts.shape}")
        if not 1 <= width <= X.shape[2]:
            raise ValueError(f"width must be in [1, {X.shape[2]}], got {width}")
        sizes[key] = len(X)
        wins = cut_windows(X, starts, width)
        total = wins.sum(axis=1, keepdims=True)
        pwms = np.where(total > 0, wins / np.where(total > 0, total, 1), 0.25)
        queries += [Motif(id=f"set{n}.window{i}", name="", pwm=p, nsites=1) for i, p in enumerate(pwms)]
    if not queries:
        return {key: 0.0 for key in windows}
    hits = tomtom(queries, targets, backend=backend, thresh=q)
    matched = hits.loc[hits["Target_ID"] == target.id, "Query_ID"].str.split(".").str[0].value_counts()
    return {key: (float(matched.get(f"set{n}", 0)) / sizes[key] if sizes[key] else 0.0)
            for n, key in enumerate(windows)}


# ------------------------------------------------------------------------------------ the motifs stage

#: columns of the per-architecture motif table (motifs.tsv) the motifs stage writes
INFO_COLUMNS = ["motif_id", "tf", "architecture", "method", "motif_rank", "n_seqlets", "support",
                "mean_attribution", "width", "sign"]


def on_observed_base(scores: np.ndarray, X: np.ndarray) -> np.ndarray:
    """(N, L) per-position scores → (N, 4, L) map holding each score at the observed base (0 at an N)."""
    return (np.asarray(X, dtype=np.float32) * np.asarray(scores, dtype=np.float32)[:, None, :])


def temporal_rises(forward: np.ndarray, backward: np.ndarray, empty: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Per-position rise of the temporal output scores: how much the prefix score grows when base j is
    added on the right (forward) and the suffix score when base j is added on the left (backward).

    Parameters
    ----------
    forward, backward : numpy.ndarray
        (N, L) scores of the prefixes ``X[:, :, :j + 1]`` and suffixes ``X[:, :, j:]``
        (:func:`deepmotif.interpret.temporal.temporal_scores`).
    empty : float
        Score of the empty prefix / suffix (default 0.5, no evidence either way).

    Returns
    -------
    (N, L) forward rise ``forward[:, j] - forward[:, j - 1]`` and backward rise ``backward[:, j] -
    backward[:, j + 1]``; summed over a window they are :func:`temporal_windows`' rises.
    """
    fwd = np.asarray(forward, dtype=np.float64)
    bwd = np.asarray(backward, dtype=np.float64)
    pad = np.full((len(fwd), 1), float(empty))
    return (np.diff(np.concatenate([pad, fwd], axis=1), axis=1),
            -np.diff(np.concatenate([bwd, pad], axis=1), axis=1))


def credit_rises(rise: np.ndarray, width: int, direction: str) -> np.ndarray:
    """Each temporal rise credited evenly to the ``width`` bases it completes.

    A forward rise at j is the score gained when base j is read after ``X[:, :, :j]``: the motif it completes
    ends at j, so the bases ``j - width + 1 .. j`` each get ``rise / width``; a backward rise at j, the
    bases ``j .. j + width - 1``. (Credit falling outside the sequence is dropped.) Left as one spike at
    the motif's last base, a rise does not stand out from a permutation of its own sequence's positions,
    and motif discovery called no seqlet in 4 of the demo's 18 temporal views; credited over the seqlet
    window (``width`` = ``motifs.discover.window``) it found the planted family in 18 of 18, and on the
    demo's dinucleotide-shuffled negatives only partial sites of the planted family.

    Parameters
    ----------
    rise : numpy.ndarray
        (N, L) rises of :func:`temporal_rises`.
    width : int
        Bases credited per rise, >= 1 (1: the rise itself).
    direction : {"forward", "backward"}
    """
    r = np.asarray(rise, dtype=np.float64)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    out = np.zeros_like(r)
    length = r.shape[1]
    for k in range(min(int(width), length)):
        if direction == "forward":  # the rise at j + k credits base j
            out[:, :length - k] += r[:, k:]
        else:  # the rise at j - k credits base j
            out[:, k:] += r[:, :length - k]
    return out / width


def window_map(starts: np.ndarray, width: int, length: int) -> np.ndarray:
    """(N,) window starts → (N, L) indicator of each sequence's window (columns outside the sequence dropped)."""
    cols = np.arange(length)[None, :]
    s = np.asarray(starts, dtype=np.int64)[:, None]
    return ((cols >= s) & (cols < s + width)).astype(np.float32)


def method_maps(X: np.ndarray, saliency_map: np.ndarray, extra: dict, credit: int = 1) -> dict[str, np.ndarray]:
    """Every per-position view of one model's explained sequences as an (N, 4, L) map, by method.

    ``saliency_map`` is the saliency stage's map; ``extra`` the arrays of ``interpret.npz`` (temporal
    scores, ISM, DeepLIFT-SHAP, IG, conv activation windows), each present only when its method ran.
    Temporal scores become their per-position rise (:func:`temporal_rises`), each credited to the ``credit``
    bases it completes (:func:`credit_rises`), ISM its observed-base
    importance (:func:`ism_importance`), conv activation windows an indicator of each sequence's most
    activating window; per-position scores sit at the observed base (:func:`on_observed_base`).
    """
    maps = {"saliency": np.asarray(saliency_map, dtype=np.float32)}
    if "temporal_forward" in extra:
        fwd, bwd = temporal_rises(extra["temporal_forward"], extra["temporal_backward"])
        maps["temporal_fwd"] = on_observed_base(credit_rises(fwd, credit, "forward"), X)
        maps["temporal_bwd"] = on_observed_base(credit_rises(bwd, credit, "backward"), X)
    if "ism" in extra:
        maps["ism"] = ism_importance(extra["ism"], X)
    for method in ("deeplift", "ig"):
        if method in extra:
            maps[method] = np.asarray(extra[method], dtype=np.float32)
    if "convact_start" in extra:
        maps["convact"] = on_observed_base(window_map(extra["convact_start"], int(extra["convact_kernel"]),
                                                      X.shape[2]), X)
    return {m: maps[m] for m in MAP_VIEWS if m in maps}


def task_views(extra: dict) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The per-task maps of ``interpret.npz`` (``interpret.per_task``) by view: (one-hot of the explained
    rows, their (M, 4, L) map as :func:`method_maps` makes it, the task of each row, its row of the split);
    {} without them."""
    if "task_index" not in extra or "task_saliency" not in extra:
        return {}
    X, task, rows = extra["task_onehot"], np.asarray(extra["task_task"]), np.asarray(extra["task_index"])
    stored = {m: extra[f"task_{m}"] for m in TASK_METHODS if m != "saliency" and f"task_{m}" in extra}
    maps = method_maps(X, extra["task_saliency"], stored)
    return {view: (X, m, task, rows) for view, m in maps.items()}


def discover_per_task(X: np.ndarray, view: np.ndarray, task: np.ndarray, rows: np.ndarray, params: dict) -> list:
    """Motifs of a multi-task model's per-task maps: :func:`deepmotif.discover.discover` on each task's rows,
    pooled without duplicates (:func:`deepmotif.discover.pool_motifs`: a motif mostly on the sites of a
    larger one, e.g. another task's motif that this task's output also responds to, is dropped). ``rows``
    names each row's sequence (its row of the split: a sequence of several tasks is explained once per
    task). A motif's ``support`` is the share of its task's rows carrying it; its seqlets' rows index ``X``."""
    from dataclasses import replace

    from deepmotif.discover import discover, pool_motifs

    at_of, originals, groups = [], [], []
    for k in np.unique(task):
        at = np.flatnonzero(task == k)
        found = discover(X[at], view[at], **params)
        at_of.append(at)
        originals.append(found)
        groups.append([replace(m, seqlets=np.column_stack([rows[at][m.seqlets[:, 0]], m.seqlets[:, 1:]]))
                       for m in found])
    out = []
    for g, m in pool_motifs(groups, int(params["max_motifs"])):  # seqlets back from sequences to rows of X
        own = originals[g][next(i for i, c in enumerate(groups[g]) if c is m)]
        out.append(replace(m, seqlets=np.column_stack([at_of[g][own.seqlets[:, 0]], own.seqlets[:, 1:]])))
    return out


def paper_windows(maps: dict[str, np.ndarray], extra: dict, width: int, length: int) -> dict[str, np.ndarray]:
    """Window starts (before alignment) of the Deep Motif Dashboard's procedure, per sequence-specific
    method: the strongest width-``width`` window of each attribution map of :func:`method_maps`
    (saliency, ISM importance, DeepLIFT-SHAP, IG), the steepest rise of the temporal scores
    (:func:`temporal_windows`), the most activating conv window re-centred to ``width`` in sequences of
    ``length``."""
    starts = {m: best_windows(maps[m], width) for m in ("saliency", "ism", "deeplift", "ig") if m in maps}
    if "temporal_forward" in extra:
        starts["temporal_fwd"], starts["temporal_bwd"] = temporal_windows(
            extra["temporal_forward"], extra["temporal_backward"], width)
    if "convact_start" in extra:
        starts["convact"] = recentre(extra["convact_start"], int(extra["convact_kernel"]), width, length)
    return {m: starts[m] for m in MAP_VIEWS if m in starts}


def load_explained(data_file, saliency_file, interpret_file=None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, str]:
    """The sequences an interpret job explained and its maps: (index, X of those sequences, saliency map,
    the arrays of ``interpret.npz`` or {}, the ``interpret.split`` the index refers to). Raises
    :class:`InputError` when the two files explain different sequences."""
    from deepmotif.data.prepare import explained_split, load_explained_set
    from deepmotif.errors import InputError

    with open_npz(saliency_file) as sal:
        idx, attr, split = sal["index"], sal["saliency"], explained_split(sal)
    X, _ = load_explained_set(data_file, split)
    extra = {}
    if interpret_file:
        with open_npz(interpret_file) as z:
            if not np.array_equal(z["index"], idx):
                raise InputError("interpret file and saliency file explain different sequences", path=interpret_file)
            extra = {k: z[k] for k in z.files}
    if "task_index" in extra:  # per-task maps (interpret.per_task) explain other rows of the split
        extra["task_onehot"] = X[extra["task_index"]]
    return idx, X[idx], attr, extra, split


def extract_motifs(tf: str, arch: str, X: np.ndarray, attr: np.ndarray, extra: dict, settings: dict
                   ) -> tuple[list[Motif], dict[str, np.ndarray], "pd.DataFrame", dict[str, np.ndarray]]:
    """Every motif one model's maps hold: discovered motifs of each per-position view and of the class-optimised
    sequences (their ISM importance), and the paper's aggregate windows.

    Parameters
    ----------
    tf, arch : str
        Names in the motif ids (``TF.arch.method.mN`` for the N-th discovered motif of a view, 1 = most
        seqlets).
    X, attr, extra : numpy.ndarray, numpy.ndarray, dict
        The explained sequences, their saliency map and the arrays of ``interpret.npz``
        (:func:`load_explained`).
    settings : dict
        The ``motifs`` config section (``width``, ``max_shift``, ``trim_bits``, ``discover``, ``classopt``).

    Returns
    -------
    motifs : list of Motif
        Trimmed PFMs (``nsites`` = seqlets) in :data:`deepmotif.methods.MOTIF_VIEWS` order.
    windows : dict
        The paper's aggregate motif per sequence-specific view (``{method}_start`` / ``_aligned`` /
        ``_strand`` / ``_pwm``, ``methods``, ``width``), for the match stage's ``window_match_fraction``.
    info : pandas.DataFrame
        One row per motif, columns :data:`INFO_COLUMNS`; a view with no motif has one row of id
        ``TF.arch.method`` with ``motif_rank`` and ``n_seqlets`` 0.
    cwms : dict
        ``ids`` and, per motif ``i``, ``cwm_i`` (its contribution-weighted matrix) and ``seqlets_i``
        (sequence, start, strand rows; sequences as rows of ``X``, for ``classopt`` rows of the optimised
        sequences ``extra["classopt_optima"]``).
    """
    import pandas as pd

    from deepmotif.discover import discover, to_motifs

    width, max_shift = int(settings["width"]), int(settings["max_shift"])
    params = {**settings["discover"], "trim_bits": float(settings["trim_bits"])}
    motifs, rows, cwms = [], [], {}

    def add(method: str, motif: Motif | None, rank: int, matrix=None, seqlets=None, n_seqlets: int = 0,
            support: float = np.nan, mean_attribution: float = np.nan, sign: int = 1) -> None:
        """One info row; a motif (None: the view holds none, one row of rank 0 says so) and its matrix."""
        if motif is not None:
            cwms[f"cwm_{len(motifs)}"], cwms[f"seqlets_{len(motifs)}"] = matrix, seqlets
            motifs.append(motif)
        rows.append({"motif_id": motif.id if motif is not None else f"{tf}.{arch}.{method}", "tf": tf,
                     "architecture": arch, "method": method, "motif_rank": rank if motif is not None else 0,
                     "n_seqlets": n_seqlets, "support": support, "mean_attribution": mean_attribution,
                     "width": motif.width if motif is not None else 0, "sign": sign})

    maps = method_maps(X, attr, extra, credit=int(params["window"]))
    per_task = task_views(extra)
    found_in = {method: discover_per_task(*per_task[method], params) if method in per_task
                else discover(X, view, **params) for method, view in maps.items()}
    if "classopt_optima" in extra:  # what the restarts' optimised sequences share, by their ISM
        optima = np.asarray(extra["classopt_optima"], dtype=np.float32)
        found_in["classopt"] = discover(optima, ism_importance(extra["classopt_ism"], optima),
                                        **{**params, **settings["classopt"]})
    for method, found in found_in.items():
        if not found:  # the match table keeps the view's row
            add(method, None, 0, support=0.0)
        for rank, (motif, d) in enumerate(zip(to_motifs(found, f"{tf}.{arch}.{method}", tf), found), start=1):
            add(method, motif, rank, d.cwm, d.seqlets, d.n_seqlets, d.support, d.mean_attribution)
        # motifs that lower the score: seqlets of negative contribution in a signed map (ISM's observed-base
        # effect unclipped, temporal rises, DeepLIFT-SHAP, IG; a saliency map is >= 0), ranked after the
        # view's positive motifs, sign -1
        if method in per_task:
            px, view, task, rows_of = per_task[method]
            if method == "ism":
                view = ism_importance(extra["task_ism"], px, signed=True)
            find = lambda m: discover_per_task(px, m, task, rows_of, params)  # noqa: E731
        else:
            view = ism_importance(extra["ism"], X, signed=True) if method == "ism" else maps.get(method)
            find = lambda m: discover(X, m, **params)  # noqa: E731
        if settings.get("negative") and view is not None and (view < 0).any():
            negative = find(-view)
            for i, d in enumerate(negative, start=len(found) + 1):
                motif = Motif(id=f"{tf}.{arch}.{method}.m{i}", name=tf, pwm=d.pfm, nsites=d.n_seqlets)
                add(method, motif, i, -d.cwm, d.seqlets, d.n_seqlets, d.support, -d.mean_attribution, sign=-1)
    cwms["ids"] = np.asarray([m.id for m in motifs], dtype=str)
    windows = {"width": np.asarray(width), "tf": np.asarray(tf), "arch": np.asarray(arch)}
    starts = paper_windows(maps, extra, width, X.shape[2])
    for method, s in starts.items():
        motif, aligned, strands = window_motif(X, s, width, max_shift=max_shift)
        windows.update({f"{method}_start": s, f"{method}_aligned": aligned, f"{method}_strand": strands,
                        f"{method}_pwm": motif.pwm})
    windows["methods"] = np.asarray(list(starts), dtype=str)
    return motifs, windows, pd.DataFrame(rows, columns=INFO_COLUMNS), cwms


def write_motifs(tf: str, arch: str, data_file, saliency_file, interpret_file, settings: dict, out,
                 windows_out=None, info_out=None, cwm_out=None) -> list[Motif]:
    """The motifs stage of one TF × architecture: :func:`extract_motifs` of its interpret outputs, written
    atomically (MEME file ``out``; optional ``windows.npz``, motif table TSV and CWM ``.npz``)."""
    from deepmotif.io_utils import atomic_path, write_tsv
    from deepmotif.memeio import write_meme

    idx, X, attr, extra, split = load_explained(data_file, saliency_file, interpret_file)
    motifs, windows, info, cwms = extract_motifs(tf, arch, X, attr, extra, settings)
    write_meme(out, motifs)
    where = {"index": idx, "split": np.asarray(split)}
    for path, arrays in ((windows_out, {**where, **windows}), (cwm_out, {**where, **cwms})):
        if path:
            with atomic_path(path, suffix=".npz") as tmp:
                np.savez_compressed(tmp, **arrays)
    if info_out:
        write_tsv(info_out, info)
    return motifs


def write_filter_motifs(tf: str, arch: str, interpret_file, out) -> list[Motif]:
    """The first-layer filter PWMs of an ``interpret.npz`` (method ``filters``) as a MEME file ``out``, ids
    ``TF.arch.filterN`` (N: the filter's index in the layer), ``nsites`` its activating windows."""
    from deepmotif.errors import InputError
    from deepmotif.memeio import write_meme

    with open_npz(interpret_file) as z:
        if "filters_pwm" not in z.files:
            raise InputError("no first-layer filters in this file (interpret.methods lacks `filters`, or the "
                             "architecture has no convolution)", path=interpret_file)
        pwms, index, nsites = z["filters_pwm"], z["filters_index"], z["filters_nsites"]
    motifs = [Motif(id=f"{tf}.{arch}.filter{int(f)}", name=tf, pwm=p, nsites=int(n))
              for p, f, n in zip(pwms, index, nsites)]
    write_meme(out, motifs)
    return motifs

"""Offline synthetic source: genome-like background with JASPAR motif instances planted at recorded
positions, so the truth an interpretation method should recover is known."""

from __future__ import annotations

import numpy as np

# Dinucleotide frequencies of the human genome (hg19, both strands, per cent; rows = first base A/C/G/T,
# columns = second base). The CpG depletion (CG ~1%) is what makes the background "genome-like" and
# different from i.i.d. uniform bases.
HUMAN_DINUC = np.array([
    [9.8, 5.0, 7.0, 7.6],
    [7.3, 5.2, 1.0, 7.0],
    [5.9, 4.3, 5.2, 5.0],
    [6.5, 5.9, 7.3, 9.8],
])


def _rng(random_state) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)


def markov_background(n: int, length: int, random_state=0) -> np.ndarray:
    """Sample ``n`` sequences of ``length`` bp from a first-order Markov chain with human dinucleotide
    frequencies.

    Returns
    -------
    numpy.ndarray
        (n, length) uint8 codes (A=0, C=1, G=2, T=3).
    """
    if n < 0 or length < 1:
        raise ValueError(f"need n >= 0 and length >= 1, got n={n}, length={length}")
    rng = _rng(random_state)
    trans = HUMAN_DINUC / HUMAN_DINUC.sum(axis=1, keepdims=True)
    start = HUMAN_DINUC.sum(axis=1) / HUMAN_DINUC.sum()
    cum = np.cumsum(trans, axis=1)
    u = rng.random((n, length))
    codes = np.empty((n, length), dtype=np.uint8)
    codes[:, 0] = np.searchsorted(np.cumsum(start), u[:, 0])
    for j in range(1, length):  # vectorised over sequences; the chain itself is sequential
        codes[:, j] = (u[:, j, None] > cum[codes[:, j - 1], :3]).sum(axis=1)
    return codes


def sample_instances(pwm: np.ndarray, n: int, random_state=0) -> np.ndarray:
    """Sample ``n`` motif instances from a (4, w) probability matrix → (n, w) uint8 codes."""
    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != 4:
        raise ValueError(f"pwm must be (4, w), got shape {pwm.shape}")
    rng = _rng(random_state)
    cum = np.cumsum(pwm / pwm.sum(axis=0, keepdims=True), axis=0)  # (4, w)
    u = rng.random((n, pwm.shape[1]))
    return (u[:, None, :] > cum[None, :3, :]).sum(axis=1).astype(np.uint8)


def plant_motifs(codes: np.ndarray, pwm: np.ndarray, rate: float = 1.0, random_state=0):
    """Plant one instance of ``pwm`` (random strand, uniform position) into a share ``rate`` of rows.

    Parameters
    ----------
    codes : numpy.ndarray
        (n, L) uint8 codes; modified copy is returned.
    pwm : numpy.ndarray
        (4, w) letter-probability matrix, w <= L.
    rate : float
        Share of rows that get an instance, in [0, 1].

    Returns
    -------
    codes : numpy.ndarray
        (n, L) uint8 with instances written in.
    starts : numpy.ndarray
        (n,) int64 start of the instance, -1 where none was planted.
    strands : numpy.ndarray
        (n,) int8, +1 or -1 (reverse complement written), 0 where none.
    """
    codes = np.array(codes, dtype=np.uint8, copy=True)
    n, length = codes.shape
    w = pwm.shape[1]
    if w > length:
        raise ValueError(f"motif width {w} exceeds sequence length {length}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    rng = _rng(random_state)
    has = rng.random(n) < rate
    inst = sample_instances(pwm, n, rng)
    strands = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    inst[strands < 0] = 3 - inst[strands < 0, ::-1]
    starts = rng.integers(0, length - w + 1, size=n)
    rows = np.flatnonzero(has)
    cols = starts[rows, None] + np.arange(w)[None, :]
    codes[rows[:, None], cols] = inst[rows]
    starts = np.where(has, starts, -1)
    strands = np.where(has, strands, 0).astype(np.int8)
    return codes, starts, strands


def planted_mask(starts: np.ndarray, widths, length: int, motifs=None) -> np.ndarray:
    """Per-position truth of planted instances: which motif covers each base, -1 for background.

    Parameters
    ----------
    starts : numpy.ndarray
        (n,) or (n, k) start of each instance, -1 where none.
    widths : int or sequence of int
        Width of each motif (indexed by ``motifs``), or one width for all.
    length : int
        Sequence length L.
    motifs : numpy.ndarray, optional
        Motif index of each instance, shaped like ``starts``; default 0 everywhere.

    Returns
    -------
    numpy.ndarray
        (n, L) int8, the motif index at planted bases and -1 elsewhere.
    """
    starts = np.asarray(starts, dtype=np.int64)
    starts = starts[:, None] if starts.ndim == 1 else starts
    motifs = np.zeros_like(starts) if motifs is None else np.asarray(motifs, dtype=np.int64).reshape(starts.shape)
    widths = np.broadcast_to(np.asarray(widths, dtype=np.int64), (int(motifs.max(initial=0)) + 1,)) \
        if np.ndim(widths) == 0 else np.asarray(widths, dtype=np.int64)
    mask = np.full((len(starts), length), -1, dtype=np.int8)
    rows, cols = np.nonzero(starts >= 0)
    for r, c in zip(rows, cols):
        m = motifs[r, c]
        mask[r, starts[r, c]:starts[r, c] + widths[m]] = m
    return mask


def plant_multi(codes: np.ndarray, pwms: list[np.ndarray], min_motifs: int = 1, max_motifs: int = 3,
                rate: float = 1.0, random_state=0, pairs=(), pair_rate: float = 0.0):
    """Plant ``min_motifs``-``max_motifs`` non-overlapping instances of distinct random motifs into a share
    ``rate`` of rows (Koo & Ploenzke 2021's multi-motif synthetic data).

    Each chosen row gets k instances (k uniform in [min_motifs, max_motifs]) of k different motifs drawn at
    random from ``pwms``, each sampled from its PWM on a random strand. Positions are uniform over all
    non-overlapping placements: the instances are laid out in random order with k gaps drawn as the sorted
    values of k uniform draws from 0..(L - total width) (stars and bars).

    Parameters
    ----------
    codes : numpy.ndarray
        (n, L) uint8 background codes; a modified copy is returned.
    pwms : list of numpy.ndarray
        (4, w_m) letter-probability matrices.
    min_motifs, max_motifs : int
        Instances per planted row, 1 <= min_motifs <= max_motifs <= len(pwms).
    rate : float
        Share of rows that get instances, in [0, 1].
    pairs : sequence of (int, int, int, int)
        Motif pairs of spacing tasks, ``(a, b, min, max)``: indices into ``pwms`` and their gap window (bp,
        inclusive) (:func:`spacing_pairs`).
    pair_rate : float
        Share of the planted rows that get one of ``pairs`` (chosen uniformly) close together: both motifs
        (which one comes first and each strand at random) with a gap drawn, with probability 1/2 each,
        uniformly inside ``[min, max]`` or uniformly among the other gaps of ``0..2*max + PAIR_GAP_SLACK``,
        as one block laid out with the row's other ``k - 2`` motifs (k uniform in [max(2, min_motifs),
        max_motifs]). 0 (the default) plants exactly as without pairs (the same random draws).

    Returns
    -------
    codes : numpy.ndarray
        (n, L) uint8 with instances written in.
    mask : numpy.ndarray
        (n, L) int8: index into ``pwms`` of the motif covering each base, -1 for background.
    sites : dict of numpy.ndarray
        ``motif``, ``start``, ``strand``: (n, max_motifs) int64 / int64 / int8, in order of position,
        padded with -1 / -1 / 0.
    """
    codes = np.array(codes, dtype=np.uint8, copy=True)
    n, length = codes.shape
    widths = np.array([np.asarray(p).shape[1] for p in pwms], dtype=np.int64)
    if not 1 <= min_motifs <= max_motifs <= len(pwms):
        raise ValueError(f"need 1 <= min_motifs <= max_motifs <= {len(pwms)} motifs, got {min_motifs}, {max_motifs}")
    if np.sort(widths)[-max_motifs:].sum() > length:
        raise ValueError(f"{max_motifs} of the widest motifs ({np.sort(widths)[-max_motifs:].sum()} bp) do not fit "
                         f"in {length} bp")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    if pair_rate:
        _check_pairs(pairs, pair_rate, widths, max_motifs, length)
    rng = _rng(random_state)
    has = rng.random(n) < rate
    sites = {"motif": np.full((n, max_motifs), -1, dtype=np.int64),
             "start": np.full((n, max_motifs), -1, dtype=np.int64),
             "strand": np.zeros((n, max_motifs), dtype=np.int8)}
    for r in np.flatnonzero(has):
        if pair_rate and rng.random() < pair_rate:  # no draw at all without pairs: datasets stay as they were
            chosen, starts = _place_pair(rng, pairs, widths, max(min_motifs, 2), max_motifs, length)
        else:
            k = int(rng.integers(min_motifs, max_motifs + 1))
            chosen = rng.choice(len(pwms), size=k, replace=False)
            free = length - int(widths[chosen].sum())
            gaps = np.sort(rng.integers(0, free + 1, size=k))
            starts = gaps + np.concatenate([[0], np.cumsum(widths[chosen])[:-1]])
        for j, (m, s) in enumerate(zip(chosen, starts)):
            inst = sample_instances(pwms[m], 1, rng)[0]
            strand = 1 if rng.random() < 0.5 else -1
            codes[r, s:s + widths[m]] = inst if strand > 0 else 3 - inst[::-1]
            sites["motif"][r, j], sites["start"][r, j], sites["strand"][r, j] = m, s, strand
    mask = planted_mask(sites["start"], widths, length, np.where(sites["motif"] >= 0, sites["motif"], 0))
    return codes, mask, sites


#: Out-of-window gaps of a close pair (plant_multi's pair_rate) reach up to 2 * max + PAIR_GAP_SLACK bp.
PAIR_GAP_SLACK = 5


def _check_pairs(pairs, pair_rate: float, widths: np.ndarray, max_motifs: int, length: int) -> None:
    if not 0.0 <= pair_rate <= 1.0:
        raise ValueError(f"pair_rate must be in [0, 1], got {pair_rate}")
    if not pairs:
        raise ValueError("pair_rate > 0 needs a motif pair to place (a logic task with `spacing`)")
    if max_motifs < 2:
        raise ValueError(f"pair_rate > 0 plants two motifs per pair: max_motifs must be at least 2, got {max_motifs}")
    for a, b, lo, hi in pairs:
        if not (0 <= a < len(widths) and 0 <= b < len(widths) and a != b and 0 <= lo <= hi):
            raise ValueError(f"a pair is (motif a, motif b, min, max) with two different motifs and "
                             f"0 <= min <= max, got {(a, b, lo, hi)}")
        others = np.sort(np.delete(widths, [a, b]))[::-1][:max_motifs - 2]
        need = int(widths[a] + widths[b] + 2 * hi + PAIR_GAP_SLACK + others.sum())
        if need > length:
            raise ValueError(f"a pair of motifs {a} and {b} up to {2 * hi + PAIR_GAP_SLACK} bp apart with "
                             f"{max_motifs - 2} more motifs needs up to {need} bp, more than {length}")


def _place_pair(rng: np.random.Generator, pairs, widths: np.ndarray, min_motifs: int, max_motifs: int,
                length: int) -> tuple[np.ndarray, np.ndarray]:
    """One row of plant_multi's pair_rate: a pair of ``pairs`` close together plus ``k - 2`` other motifs,
    laid out as plant_multi lays out single motifs (the pair as one block). Motifs and starts by position."""
    a, b, lo, hi = pairs[int(rng.integers(len(pairs)))]
    if rng.random() < 0.5:  # which motif comes first along the sequence
        a, b = b, a
    if rng.random() < 0.5:
        gap = int(rng.integers(lo, hi + 1))
    else:  # uniform over 0..lo-1 and hi+1..2*hi+PAIR_GAP_SLACK
        gap = int(rng.integers(lo + hi + PAIR_GAP_SLACK))
        gap = gap if gap < lo else gap - lo + hi + 1
    k = int(rng.integers(min_motifs, max_motifs + 1))
    others = np.array([m for m in range(len(widths)) if m not in (a, b)], dtype=np.int64)
    extra = rng.choice(others, size=k - 2, replace=False) if k > 2 else np.array([], dtype=np.int64)
    block_widths = np.concatenate([[widths[a] + gap + widths[b]], widths[extra]])
    order = rng.permutation(len(block_widths))
    free = length - int(block_widths.sum())
    block_starts = np.empty(len(order), dtype=np.int64)
    block_starts[order] = np.sort(rng.integers(0, free + 1, size=len(order))) \
        + np.concatenate([[0], np.cumsum(block_widths[order])[:-1]])
    motifs = np.concatenate([[a, b], extra]).astype(np.int64)
    starts = np.concatenate([[block_starts[0], block_starts[0] + widths[a] + gap], block_starts[1:]])
    by_position = np.argsort(starts, kind="stable")
    return motifs[by_position], starts[by_position]


def pair_gaps(sites: dict, widths, a: int, b: int) -> np.ndarray:
    """Gap (bp) between the instances of motifs ``a`` and ``b`` in each row: the bases between the end of
    the one that comes first along the sequence and the start of the other (strands play no part); the
    smallest over instance pairs, NaN where a row lacks either motif.

    Parameters
    ----------
    sites : dict of numpy.ndarray
        :func:`plant_multi`'s ``motif`` and ``start``, (n, k), padded with -1.
    widths : sequence of int
        Width of each motif index.
    a, b : int
        Motif indices.

    Returns
    -------
    numpy.ndarray
        (n,) float64.
    """
    gap = _gap_matrix(sites, widths, a, b)
    gap = gap.reshape(len(gap), -1)
    if gap.shape[1] == 0:
        return np.full(len(gap), np.nan)
    nearest = np.where(np.isnan(gap), np.inf, np.abs(gap)).argmin(axis=1)  # all NaN: column 0, NaN
    return gap[np.arange(len(gap)), nearest]


def _gap_matrix(sites: dict, widths, a: int, b: int) -> np.ndarray:
    """(n, k, k) gap between instance i (motif a) and instance j (motif b), NaN where they are not."""
    motif = np.asarray(sites["motif"], dtype=np.int64)
    start = np.asarray(sites["start"], dtype=np.int64).astype(np.float64)
    widths = np.asarray(widths, dtype=np.int64)
    si, sj = start[:, :, None], start[:, None, :]
    gap = np.where(si <= sj, sj - (si + widths[a]), si - (sj + widths[b]))
    both = (motif == a)[:, :, None] & (motif == b)[:, None, :] & (start >= 0)[:, :, None] & (start >= 0)[:, None, :]
    return np.where(both, gap, np.nan)


def _spacing(task: dict, cols_all: list[int]) -> tuple[int, int] | None:
    """A task's validated ``spacing`` as (min, max), None where it has none."""
    spacing = task.get("spacing")
    if spacing is None:
        return None
    name = task.get("name")
    if not (isinstance(spacing, (list, tuple)) and len(spacing) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in spacing)):
        raise ValueError(f"task {name!r}: spacing must be [min, max], two whole numbers of bp, got {spacing!r}")
    lo, hi = int(spacing[0]), int(spacing[1])
    if not 0 <= lo <= hi:
        raise ValueError(f"task {name!r}: spacing [min, max] needs 0 <= min <= max, got [{lo}, {hi}]")
    if len(set(cols_all)) != 2 or len(cols_all) != 2:
        raise ValueError(f"task {name!r}: spacing needs exactly two different motifs in `all`, got "
                         f"{list(task.get('all') or [])}")
    return lo, hi


def _task_columns(task: dict, index: dict[str, int], names: list[str]) -> dict[str, list[int]]:
    cols = {}
    for key in ("all", "any", "none"):
        unknown = [m for m in task.get(key) or [] if str(m).upper() not in index]
        if unknown:
            raise ValueError(f"task {task.get('name')!r}: {key} names {', '.join(map(repr, unknown))}, not among "
                             f"the planted motifs ({', '.join(names)})")
        cols[key] = [index[str(m).upper()] for m in task.get(key) or []]
    if not (cols["all"] or cols["any"]):
        raise ValueError(f"task {task.get('name')!r} needs a motif in `all` or `any`")
    return cols


def spacing_pairs(tasks: list[dict], names: list[str]) -> list[tuple[int, int, int, int]]:
    """The motif pairs of the logic tasks with a ``spacing`` (validated as :func:`logic_labels` does):
    ``(a, b, min, max)``, a and b the indices in ``names`` of the task's two ``all`` motifs, in task order."""
    index = {n.upper(): k for k, n in enumerate(names)}
    out = []
    for task in tasks:
        cols = _task_columns(task, index, names)
        spacing = _spacing(task, cols["all"])
        if spacing is not None:
            out.append((cols["all"][0], cols["all"][1], *spacing))
    return out


def logic_labels(present: np.ndarray, tasks: list[dict], names: list[str], sites: dict | None = None,
                 widths=None) -> np.ndarray:
    """Labels of motif-logic tasks (DeepResolve's synthetic experiments) from which motifs each sequence
    carries.

    Parameters
    ----------
    present : numpy.ndarray
        (n, M) bool: sequence i carries motif m.
    tasks : list of dict
        Each ``{"name": str, "all": [...], "any": [...], "none": [...]}`` (motif names; lists left out are
        empty): true where every motif of ``all``, at least one of ``any`` (when it lists any) and none of
        ``none`` is present. ``all`` or ``any`` must name a motif. A task with ``"spacing": [min, max]``
        (bp, 0 <= min <= max) names exactly two motifs in ``all`` and is true only where, besides, the gap
        between them (:func:`pair_gaps`: bases between the end of the first along the sequence and the start
        of the other, either order and strand) lies in [min, max] for an instance pair.
    names : list of str
        The M motifs' names, matched case-insensitively.
    sites : dict of numpy.ndarray, optional
        :func:`plant_multi`'s ``motif`` and ``start`` (n, k); needed by spacing tasks.
    widths : sequence of int, optional
        The M motifs' widths; needed by spacing tasks.

    Returns
    -------
    numpy.ndarray
        (n, T) float32 0/1.
    """
    index = {n.upper(): k for k, n in enumerate(names)}
    present = np.asarray(present, dtype=bool)
    out = np.zeros((len(present), len(tasks)), dtype=np.float32)
    for t, task in enumerate(tasks):
        cols = _task_columns(task, index, names)
        spacing = _spacing(task, cols["all"])
        label = present[:, cols["all"]].all(axis=1) & ~present[:, cols["none"]].any(axis=1)
        if cols["any"]:
            label &= present[:, cols["any"]].any(axis=1)
        if spacing is not None:
            if sites is None or widths is None:
                raise ValueError(f"task {task.get('name')!r} has a spacing: its labels need the planted sites and "
                                 "the motifs' widths")
            gap = _gap_matrix(sites, widths, *cols["all"])
            with np.errstate(invalid="ignore"):
                label &= ((gap >= spacing[0]) & (gap <= spacing[1])).any(axis=(1, 2))
        out[:, t] = label
    return out

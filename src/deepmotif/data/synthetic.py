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
                rate: float = 1.0, random_state=0):
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
    rng = _rng(random_state)
    has = rng.random(n) < rate
    sites = {"motif": np.full((n, max_motifs), -1, dtype=np.int64),
             "start": np.full((n, max_motifs), -1, dtype=np.int64),
             "strand": np.zeros((n, max_motifs), dtype=np.int8)}
    for r in np.flatnonzero(has):
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


def logic_labels(present: np.ndarray, tasks: list[dict], names: list[str]) -> np.ndarray:
    """Labels of motif-logic tasks (DeepResolve's synthetic experiments) from which motifs each sequence
    carries.

    Parameters
    ----------
    present : numpy.ndarray
        (n, M) bool: sequence i carries motif m.
    tasks : list of dict
        Each ``{"name": str, "all": [...], "any": [...], "none": [...]}`` (motif names; lists left out are
        empty): true where every motif of ``all``, at least one of ``any`` (when it lists any) and none of
        ``none`` is present. ``all`` or ``any`` must name a motif.
    names : list of str
        The M motifs' names, matched case-insensitively.

    Returns
    -------
    numpy.ndarray
        (n, T) float32 0/1.
    """
    index = {n.upper(): k for k, n in enumerate(names)}
    present = np.asarray(present, dtype=bool)
    out = np.zeros((len(present), len(tasks)), dtype=np.float32)
    for t, task in enumerate(tasks):
        cols = {}
        for key in ("all", "any", "none"):
            unknown = [m for m in task.get(key) or [] if str(m).upper() not in index]
            if unknown:
                raise ValueError(f"task {task.get('name')!r}: {key} names {', '.join(map(repr, unknown))}, not among "
                                 f"the planted motifs ({', '.join(names)})")
            cols[key] = [index[str(m).upper()] for m in task.get(key) or []]
        if not (cols["all"] or cols["any"]):
            raise ValueError(f"task {task.get('name')!r} needs a motif in `all` or `any`")
        label = present[:, cols["all"]].all(axis=1) & ~present[:, cols["none"]].any(axis=1)
        if cols["any"]:
            label &= present[:, cols["any"]].any(axis=1)
        out[:, t] = label
    return out

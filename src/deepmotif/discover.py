"""Motif discovery from attribution maps: call seqlets (high-attribution spans against a permutation null,
both strands, several per sequence) and cluster them into 0…K motifs, each with a contribution-weighted
matrix (CWM) and a frequency matrix (PFM) trimmed to its informative core.

A TF-MoDISco-like method written for short (~100 bp) inputs, deterministic and numpy-only: modisco-lite
3.0.0 on 101-bp synthetic maps recovered a planted motif from only 13 % / 9 % of its sites (200 / 1000
sequences) and nothing at all in a 4-motif mixture of 200 sequences, taking 24-52 s per map
(benchmarks/bench_discover.py measures both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepmotif.memeio import Motif
from deepmotif.trim import TRIM_BITS, core_bounds

#: every parameter of :func:`discover` with its default (config ``motifs.discover.*``)
DEFAULTS = {
    "window": 9,                # width of the sliding window whose summed contribution calls a seqlet
    "flank": 5,                 # columns added on each side of a called window (seqlet width window + 2 flank)
    "fdr": 0.05,                # target false discovery rate of called windows against the permutation null
    "normalise": True,          # call seqlets on each sequence's contributions / their mean |value| (scale-free)
    "null_permutations": 2,     # within-sequence position permutations that make the null
    "max_per_sequence": 4,      # seqlets called per sequence at most
    "max_shift": 4,             # alignment shift (bp) tried on each side, both strands
    "refine_shift": 2,          # then each seqlet re-aligned on its sequence by up to this many bp (0: not)
    "cluster_similarity": 0.6,  # average-linkage cut: a cluster's members have mean cosine >= this (at 0.5
                                # and merge 0.65 the KOO12 model's saliency held 5 of 12 planted motifs, GABPA
                                # and STAT1 in one; 8 at 0.6; at 0.7 a small RNN's NFYB saliency seqlets of
                                # both orientations fused into a palindrome matching ZNF320)
    "assign_similarity": 0.4,   # a seqlet joins its best motif when their aligned cosine is >= this
    "merge_similarity": 0.7,    # two motifs whose CWMs align with cosine >= this are merged (0.8 split a real
                                # ARID3A set's CTCF-like sites off as its top-supported motif)
    "max_cluster_seqlets": 2000,  # seqlets (random subsample) that seed the pairwise clustering
    "rounds": 3,                # assign / re-estimate rounds after the seeding
    "min_seqlets": 20,          # motifs with fewer seqlets are dropped (below 20 sites a column's sampling noise
                                # passes trim_bits: its 95 % null quantile, corrected, is 0.31 bits at 14 sites,
                                # 0.18 at 20) ...
    "min_support": 0.02,        # ... and so are motifs carried by a smaller share of the sequences
    "max_motifs": 20,           # motifs returned at most (most seqlets first; KOO12 plants 12)
    "trim_bits": TRIM_BITS,     # flank columns of the PFM below this information content (bits) are dropped
    "min_width": 4,             # motifs narrower than this after trimming are dropped
    "min_contribution": 0.0,    # then flank columns whose summed |CWM| is below this share of the largest
                                # column's are dropped too (tfmodisco-lite's report trims at 0.3 before Tomtom);
                                # 0 = information alone (for class-optimised sequences, whose filler is sharp,
                                # config motifs.classopt sets 0.1)
    "seed": 0,                  # random state of the null permutations and of the subsample
}


@dataclass
class DiscoveredMotif:
    """One discovered motif.

    Attributes
    ----------
    pfm : numpy.ndarray
        (4, w) letter-probability matrix of the aligned seqlets, trimmed to its informative core.
    cwm : numpy.ndarray
        (4, w) contribution-weighted matrix: mean of contribution × one-hot over the aligned seqlets (same
        columns as ``pfm``).
    n_seqlets : int
        Number of seqlets in the motif.
    support : float
        Share of the explained sequences that carry at least one of its seqlets, in (0, 1].
    mean_attribution : float
        Mean over seqlets of the contribution summed over the motif's ``w`` columns.
    seqlets : numpy.ndarray
        (n_seqlets, 3) int64 rows (sequence index, start, strand): the motif's first column lies at ``start``
        of the forward strand (strand +1) or its last column does (strand -1, reverse complement).
    """

    pfm: np.ndarray
    cwm: np.ndarray
    n_seqlets: int
    support: float
    mean_attribution: float
    seqlets: np.ndarray


def contributions(X: np.ndarray, attr: np.ndarray) -> np.ndarray:
    """Per-position contribution: the attribution of the observed base.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot.
    attr : numpy.ndarray
        (N, 4, L) attribution map (projected or hypothetical) or (N, L) per-position scores.

    Returns
    -------
    numpy.ndarray
        (N, L) float32 ``sum_b attr[n, b, j] * X[n, b, j]`` (``attr`` itself when (N, L)).
    """
    a = np.asarray(attr, dtype=np.float32)
    if a.ndim == 2:
        if a.shape != (X.shape[0], X.shape[2]):
            raise ValueError(f"(N, L) attribution must have shape {(X.shape[0], X.shape[2])}, got {a.shape}")
        return a
    if a.shape != X.shape:
        raise ValueError(f"attribution must have the one-hot's shape {X.shape} or (N, L), got {a.shape}")
    c = (a * X).sum(axis=1)
    if not c.any() and a.any():
        raise ValueError("attribution is zero at every observed base but not elsewhere (an ISM map of logit "
                         "changes?); pass ism_scores(ism) instead")
    return c


def ism_scores(ism: np.ndarray) -> np.ndarray:
    """(N, 4, L) ISM logit changes (0 at the observed base) → (N, L) contribution of the observed base:
    minus the mean change of mutating it to each of the other three bases."""
    ism = np.asarray(ism, dtype=np.float32)
    if ism.ndim != 3 or ism.shape[1] != 4:
        raise ValueError(f"ism must be (N, 4, L), got shape {ism.shape}")
    return -ism.sum(axis=1) / 3


def null_threshold(c: np.ndarray, window: int, fdr: float, permutations: int = 2, seed: int = 0) -> float:
    """Lowest window sum whose false discovery rate against within-sequence permutations is <= ``fdr``.

    The null window sums come from the same maps with positions shuffled inside each sequence (what is left
    of the contribution when its spatial clustering is destroyed). Returns ``inf`` when no threshold reaches
    the target (e.g. pure noise).
    """
    rng = np.random.default_rng(seed)
    real = _window_sums(c, window).ravel()
    null = np.concatenate([_window_sums(rng.permuted(c, axis=1), window).ravel() for _ in range(permutations)])
    real = np.sort(real)[::-1]
    # for each candidate threshold t = real[k]: expected null windows >= t over real windows >= t
    n_null = len(null) - np.searchsorted(np.sort(null), real, side="left")
    rate = n_null / permutations / np.arange(1, len(real) + 1)
    ok = np.flatnonzero(rate <= fdr)
    if len(ok) == 0:
        return float("inf")
    return float(real[ok[-1]])


def call_seqlets(c: np.ndarray, *, window: int = DEFAULTS["window"], flank: int = DEFAULTS["flank"],
                 fdr: float = DEFAULTS["fdr"], null_permutations: int = DEFAULTS["null_permutations"],
                 max_per_sequence: int = DEFAULTS["max_per_sequence"], seed: int = DEFAULTS["seed"]
                 ) -> tuple[np.ndarray, float]:
    """Greedy seqlet calling: best window per sequence above the null threshold, masked, repeated.

    Returns
    -------
    seqlets : numpy.ndarray
        (M, 2) int64 (sequence index, seqlet start); the seqlet spans ``window + 2 * flank`` columns (may
        reach past the sequence ends), its called window starts at ``start + flank``.
    threshold : float
        The window-sum threshold used.
    """
    t = null_threshold(c, window, fdr, null_permutations, seed)
    sums = _window_sums(c, window).astype(np.float64)
    n, n_win = sums.shape
    rows, starts = [], []
    idx = np.arange(n_win)
    for _ in range(max_per_sequence):
        best = np.argmax(sums, axis=1)
        val = sums[np.arange(n), best]
        keep = val >= t
        if not keep.any():
            break
        rows.append(np.flatnonzero(keep))
        starts.append(best[keep] - flank)
        # no later window may overlap this seqlet (window + flanks) nor put its own window inside it
        blocked = np.abs(idx[None, :] - best[:, None]) < window + flank
        sums[keep[:, None] & blocked] = -np.inf
    if not rows:
        return np.zeros((0, 2), dtype=np.int64), t
    out = np.stack([np.concatenate(rows), np.concatenate(starts)], axis=1).astype(np.int64)
    return out[np.lexsort((out[:, 1], out[:, 0]))], t


def discover(X: np.ndarray, attr: np.ndarray, *, window: int = DEFAULTS["window"], flank: int = DEFAULTS["flank"],
             fdr: float = DEFAULTS["fdr"], normalise: bool = DEFAULTS["normalise"],
             null_permutations: int = DEFAULTS["null_permutations"],
             max_per_sequence: int = DEFAULTS["max_per_sequence"], max_shift: int = DEFAULTS["max_shift"],
             refine_shift: int = DEFAULTS["refine_shift"], cluster_similarity: float = DEFAULTS["cluster_similarity"],
             assign_similarity: float = DEFAULTS["assign_similarity"],
             merge_similarity: float = DEFAULTS["merge_similarity"],
             max_cluster_seqlets: int = DEFAULTS["max_cluster_seqlets"], rounds: int = DEFAULTS["rounds"],
             min_seqlets: int = DEFAULTS["min_seqlets"], min_support: float = DEFAULTS["min_support"],
             max_motifs: int = DEFAULTS["max_motifs"], trim_bits: float = DEFAULTS["trim_bits"],
             min_width: int = DEFAULTS["min_width"], min_contribution: float = DEFAULTS["min_contribution"],
             seed: int = DEFAULTS["seed"]) -> list[DiscoveredMotif]:
    """Discover the motifs that an attribution map relies on.

    Seqlets are windows of ``window`` bp whose summed contribution passes the permutation-null threshold at
    ``fdr``, extended by ``flank`` on each side. A subsample of up to ``max_cluster_seqlets`` is clustered by
    average linkage on the best cosine over shifts of up to ``max_shift`` and both strands of their
    contribution-weighted one-hot; each cluster's medoid seeds a CWM, then ``rounds`` rounds assign every
    seqlet to its best-aligned CWM (cosine >= ``assign_similarity``) and re-estimate the CWMs, merging CWMs
    that align with cosine >= ``merge_similarity``.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot of the explained sequences, A/C/G/T.
    attr : numpy.ndarray
        (N, 4, L) attribution map (saliency, ISM, DeepLIFT-SHAP, IG; projected or hypothetical) or (N, L)
        per-position scores. Only positive contributions call seqlets (motifs that raise the score).
    window, flank : int
        Seqlet calling window (1 <= window <= L) and flank (>= 0); defaults 9 and 5.
    fdr : float
        Target false discovery rate of called windows, in (0, 1); default 0.05.
    normalise : bool
        Call seqlets on each sequence's contributions divided by their mean absolute value (default), so
        that the pooled null is not dominated by the sequences with the largest maps: an RNN's saliency
        varies in scale from one sequence to the next (on the demo's synthetic data the unnormalised maps of
        the biLSTM gave no seqlet at all, normalised 50-65 % of the sequences carry the planted motif).
        The CWM and ``mean_attribution`` keep the map's own units.
    min_seqlets, min_support : int, float
        Motifs with fewer seqlets or carried by a smaller share of the N sequences are dropped.
    max_motifs : int
        At most this many motifs, most seqlets first.
    trim_bits : float
        PFM flank columns below this information content (bits) are dropped; default 0.3.
    min_contribution : float
        Then flank columns whose summed absolute CWM is below this share of the largest column's are dropped,
        in [0, 1]; default 0 (off).
    Other parameters: see :data:`DEFAULTS`.

    Returns
    -------
    list of DiscoveredMotif
        0…``max_motifs`` motifs, most seqlets first.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"X must be (N, 4, L) one-hot, got shape {X.shape}")
    n, _, length = X.shape
    if not 1 <= window <= length:
        raise ValueError(f"window must be in [1, {length}], got {window}")
    if flank < 0 or max_shift < 0:
        raise ValueError(f"flank and max_shift must be >= 0, got {flank} and {max_shift}")
    if not 0 < fdr < 1:
        raise ValueError(f"fdr must be in (0, 1), got {fdr}")
    for name, value in (("cluster_similarity", cluster_similarity), ("assign_similarity", assign_similarity),
                        ("merge_similarity", merge_similarity), ("min_support", min_support),
                        ("min_contribution", min_contribution)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    if min_seqlets < 1 or max_motifs < 0 or rounds < 1 or max_cluster_seqlets < 2:
        raise ValueError(f"need min_seqlets >= 1, max_motifs >= 0, rounds >= 1, max_cluster_seqlets >= 2; got "
                         f"{min_seqlets}, {max_motifs}, {rounds}, {max_cluster_seqlets}")
    c = contributions(X, attr)
    scale = np.abs(c).mean(axis=1, keepdims=True) if normalise else np.ones((n, 1), dtype=np.float32)
    called, _ = call_seqlets(c / np.where(scale > 0, scale, 1), window=window, flank=flank, fdr=fdr, null_permutations=null_permutations,
                             max_per_sequence=max_per_sequence, seed=seed)
    keep_size = max(min_seqlets, int(np.ceil(min_support * n)))
    if len(called) < keep_size or max_motifs == 0:
        return []
    width = window + 2 * flank
    cw = X * c[:, None, :]  # contribution-weighted one-hot
    ext = _cut(cw, called[:, 0], called[:, 1] - max_shift, width + 2 * max_shift)  # (M, 4, W + 2s)
    feats = ext[:, :, max_shift:max_shift + width]

    # seed clusters on a subsample: pairwise best aligned cosine, average linkage
    rng = np.random.default_rng(seed)
    sub = np.sort(rng.choice(len(called), size=min(len(called), max_cluster_seqlets), replace=False))
    sim = _pairwise_similarity(feats[sub], max_shift)
    labels = _average_linkage(sim, cluster_similarity)
    min_seed = max(3, int(np.ceil(keep_size * len(sub) / len(called) / 2)))
    cwms = []
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        if len(members) < min_seed:
            continue
        medoid = members[np.argmax(sim[np.ix_(members, members)].sum(axis=1))]
        cwms.append(feats[sub[medoid]])

    # assign all seqlets to their best CWM, re-estimate, merge, repeat
    assign = shift = strand = score = None
    for r in range(rounds + 1):
        if not cwms:
            return []
        assign, shift, strand, score = _assign(ext, np.stack(cwms), max_shift, assign_similarity)
        aligned = _aligned(ext, shift, strand, width, max_shift)
        counts = np.bincount(assign[assign >= 0], minlength=len(cwms))
        new = [aligned[assign == k].mean(axis=0) for k in range(len(cwms)) if counts[k] >= min_seed]
        if r < rounds:
            cwms = _merge(new, [counts[k] for k in range(len(cwms)) if counts[k] >= min_seed], merge_similarity,
                          max_shift)
    # final: one seqlet per sequence and site, then matrices
    found = []
    for k in range(len(cwms)):
        members = _dedupe(np.flatnonzero(assign == k), called, shift, score, window)
        support = len(np.unique(called[members, 0])) / n
        if len(members) < min_seqlets or support < min_support:
            continue
        rows, starts = called[members, 0], called[members, 1] + shift[members]  # window start, forward strand
        starts, strands = _refine(X, rows, starts, strand[members].copy(), width, refine_shift)
        seqs, weighted = _oriented(X, rows, starts, strands, width), _oriented(cw, rows, starts, strands, width)
        lo, hi = _core(_frequencies(seqs), trim_bits, len(members))
        lo, hi = _contributing(weighted.mean(axis=0), lo, hi, min_contribution)
        # position of the trimmed motif on the forward strand; a seqlet whose core runs past a sequence end
        # is a partial site and is dropped
        first = np.where(strands > 0, starts + lo, starts + width - hi)
        inside = (first >= 0) & (first + hi - lo <= length)
        rows, first, strands, seqs, weighted = rows[inside], first[inside], strands[inside], seqs[inside], weighted[inside]
        support = len(np.unique(rows)) / n
        if hi - lo < min_width or len(rows) < min_seqlets or support < min_support:
            continue
        pfm, cwm = _frequencies(seqs)[:, lo:hi], weighted.mean(axis=0)[:, lo:hi]
        seqlets = np.stack([rows, first, strands], axis=1).astype(np.int64)
        found.append(DiscoveredMotif(pfm=pfm, cwm=cwm.astype(np.float64), n_seqlets=len(rows),
                                     support=float(support), mean_attribution=float(cwm.sum()),
                                     seqlets=seqlets))
    found.sort(key=lambda m: -m.n_seqlets)
    return found[:max_motifs]


def pool_motifs(groups: list[list[DiscoveredMotif]], max_motifs: int = DEFAULTS["max_motifs"],
                shared: float = 0.5) -> list[tuple[int, DiscoveredMotif]]:
    """Pool motifs discovered on several maps of overlapping sequences (one group per task of a multi-task
    model), dropping duplicates: most seqlets first, a motif is dropped when at least ``shared`` of its
    seqlets lie on the sites of kept motifs (same sequence, overlapping by at least half the narrower
    motif). Duplicates are decided by sites, not by similar matrices: a task's output that also responds to
    another task's motif finds that motif on the same sites, while motifs that share a core (MAFK's MARE and
    FOSL1's TGASTCA, whose CWMs align at cosine 0.80 in KOO12's CNN) sit on different sites.

    Parameters
    ----------
    groups : list of list of DiscoveredMotif
        The motifs of each map; seqlet rows (column 0) must name the same sequence by the same number in
        every group.
    max_motifs : int
        Motifs returned at most.
    shared : float
        Share of a motif's seqlets on kept motifs' sites above which it is a duplicate, in (0, 1].

    Returns
    -------
    list of (int, DiscoveredMotif)
        (group index, motif) pairs, most seqlets first.
    """
    if not 0 < shared <= 1:
        raise ValueError(f"shared must be in (0, 1], got {shared}")
    pool = sorted(((g, m) for g, found in enumerate(groups) for m in found), key=lambda p: -p[1].n_seqlets)
    kept: list[tuple[int, DiscoveredMotif]] = []
    sites: dict[int, list[tuple[int, int]]] = {}  # sequence → (start, end) of the kept motifs' seqlets
    for g, m in pool:
        width = m.pfm.shape[1]
        on_kept = sum(any(min(e, start + width) - max(b, start) >= min(width, e - b) / 2 for b, e in sites.get(row, ()))
                      for row, start in m.seqlets[:, :2].tolist())
        if on_kept >= shared * len(m.seqlets):
            continue
        kept.append((g, m))
        for row, start in m.seqlets[:, :2].tolist():
            sites.setdefault(row, []).append((start, start + width))
        if len(kept) == max_motifs:
            break
    return kept


def pfm_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Best Pearson correlation of two (4, w) matrices over their relative offsets (overlap at least 3/4 of
    the narrower, and 4 columns) and both strands of ``b``; -1 when no offset overlaps enough."""
    best, need = -1.0, max(4, int(np.ceil(0.75 * min(a.shape[1], b.shape[1]))))
    for bb in (b, b[::-1, ::-1]):
        for off in range(-bb.shape[1] + 1, a.shape[1]):
            lo, hi = max(0, off), min(a.shape[1], off + bb.shape[1])
            if hi - lo >= need:
                best = max(best, np.corrcoef(a[:, lo:hi].ravel(), bb[:, lo - off:hi - off].ravel())[0, 1])
    return float(best)


def to_motifs(found: list[DiscoveredMotif], prefix: str, name: str = "") -> list[Motif]:
    """Discovered motifs → :class:`Motif` (ids ``{prefix}.m{rank}``, rank from 1; ``nsites`` = seqlets)."""
    return [Motif(id=f"{prefix}.m{rank}", name=name, pwm=m.pfm, nsites=m.n_seqlets)
            for rank, m in enumerate(found, start=1)]


# ---------------------------------------------------------------------------------------------- helpers


def _window_sums(c: np.ndarray, window: int) -> np.ndarray:
    cs = np.concatenate([np.zeros((len(c), 1), dtype=np.float64), np.cumsum(c, axis=1, dtype=np.float64)], axis=1)
    return cs[:, window:] - cs[:, :-window]


def _cut(A: np.ndarray, rows: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """(N, 4, L) → (M, 4, width) windows at (rows, starts); columns past either end are zero."""
    length = A.shape[2]
    cols = starts[:, None] + np.arange(width)[None, :]
    inside = (cols >= 0) & (cols < length)
    win = A[rows[:, None], :, np.clip(cols, 0, length - 1)].transpose(0, 2, 1)
    return win * inside[:, None, :]


def _pairwise_similarity(F: np.ndarray, max_shift: int) -> np.ndarray:
    """(m, 4, W) → (m, m) best cosine over shifts |d| <= max_shift and both strands (zero padding)."""
    m, _, w = F.shape
    norms = np.sqrt((F.astype(np.float64) ** 2).sum(axis=(1, 2))) + 1e-12
    R = F[:, ::-1, ::-1]
    best = np.full((m, m), -np.inf, dtype=np.float32)
    for d in range(-max_shift, max_shift + 1):
        a = F[:, :, max(d, 0):w + min(d, 0)].reshape(m, -1)
        for other in (F, R):
            b = other[:, :, max(-d, 0):w - max(d, 0)].reshape(m, -1)
            np.maximum(best, a @ b.T, out=best)
    best /= norms[:, None] * norms[None, :]
    return np.maximum(best, best.T)


def _average_linkage(sim: np.ndarray, threshold: float) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(sim) < 2:
        return np.zeros(len(sim), dtype=np.int64)
    dist = np.clip(1 - sim.astype(np.float64), 0, None)
    np.fill_diagonal(dist, 0)
    tree = linkage(squareform(dist, checks=False), method="average")
    return fcluster(tree, t=1 - threshold, criterion="distance")


def _shifted_windows(ext: np.ndarray, width: int) -> np.ndarray:
    """(M, 4, W + 2s) → (M, 2s + 1, 4, W) view of every shifted window."""
    return np.lib.stride_tricks.sliding_window_view(ext, width, axis=2).transpose(0, 2, 1, 3)


def _assign(ext: np.ndarray, cwms: np.ndarray, max_shift: int, min_sim: float):
    """Best (motif, shift, strand) of every seqlet by cosine with the CWMs; motif -1 below ``min_sim``."""
    k, _, width = cwms.shape
    win = _shifted_windows(ext, width)                               # (M, S, 4, W)
    wnorm = np.sqrt((win.astype(np.float64) ** 2).sum(axis=(2, 3))) + 1e-12  # (M, S), same for both strands
    cn = cwms / (np.sqrt((cwms ** 2).sum(axis=(1, 2)))[:, None, None] + 1e-12)
    fwd = np.einsum("msbw,kbw->mks", win, cn)                        # (M, K, S)
    rev = np.einsum("msbw,kbw->mks", win, cn[:, ::-1, ::-1])         # window RC'd ≡ CWM RC'd
    both = np.stack([fwd, rev], axis=3) / wnorm[:, None, :, None]    # (M, K, S, 2)
    flat = both.reshape(len(ext), -1)
    best = np.argmax(flat, axis=1)
    score = flat[np.arange(len(ext)), best]
    motif, s, st = np.unravel_index(best, both.shape[1:])
    motif = np.where(score >= min_sim, motif, -1)
    return motif, s - max_shift, np.where(st == 0, 1, -1), score


def _oriented(A: np.ndarray, rows: np.ndarray, starts: np.ndarray, strands: np.ndarray, width: int) -> np.ndarray:
    """Windows of ``A`` at (rows, forward-strand starts), reverse-complemented where the strand is -1."""
    win = _cut(A, rows, starts, width)
    return np.where(strands[:, None, None] > 0, win, win[:, ::-1, ::-1])


def _refine(X: np.ndarray, rows: np.ndarray, starts: np.ndarray, strands: np.ndarray, width: int, max_shift: int,
            rounds: int = 3, pseudocount: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Re-align a motif's seqlets on their *sequence*: each moves by up to ``max_shift`` bp or flips strand
    where that raises its log-likelihood under the motif's current frequency matrix (a few EM-like rounds,
    staying put on ties, never moving further past a sequence end). Maps that are not sharply localised (an RNN's saliency) align seqlets only to a
    bp or two; this makes their PFM as sharp as the sites are."""
    if max_shift <= 0 or len(rows) == 0:
        return starts, strands
    length = X.shape[2]

    def outside(s: np.ndarray) -> np.ndarray:  # columns of a window past either end of its sequence
        return np.maximum(0, -s) + np.maximum(0, s + width - length)

    for _ in range(rounds):
        wins = _oriented(X, rows, starts, strands, width)
        logp = np.log((wins.sum(axis=0) + pseudocount) / (len(wins) + 4 * pseudocount))
        best = (wins * logp).sum(axis=(1, 2))
        new_starts, new_strands = starts.copy(), strands.copy()
        for d in range(-max_shift, max_shift + 1):
            for flip in (1, -1):
                cand_strands = strands * flip
                ll = (_oriented(X, rows, starts + d, cand_strands, width) * logp).sum(axis=(1, 2))
                better = (ll > best + 1e-9) & (outside(starts + d) <= outside(starts))
                best[better], new_starts[better], new_strands[better] = ll[better], starts[better] + d, cand_strands[better]
        if np.array_equal(new_starts, starts) and np.array_equal(new_strands, strands):
            break
        starts, strands = new_starts, new_strands
    return starts, strands


def _aligned(ext: np.ndarray, shift: np.ndarray, strand: np.ndarray, width: int, max_shift: int) -> np.ndarray:
    win = _shifted_windows(ext, width)[np.arange(len(ext)), shift + max_shift]  # (M, 4, W)
    return np.where(strand[:, None, None] > 0, win, win[:, ::-1, ::-1])


def _merge(cwms: list[np.ndarray], sizes: list[int], threshold: float, max_shift: int) -> list[np.ndarray]:
    """Drop every CWM that aligns with a larger one at cosine >= threshold (the larger absorbs its seqlets
    in the next assignment round)."""
    if len(cwms) < 2:
        return cwms
    order = np.argsort(-np.asarray(sizes), kind="stable")
    F = np.stack([cwms[i] for i in order]).astype(np.float32)
    sim = _pairwise_similarity(F, 2 * max_shift)
    kept: list[int] = []
    for i in range(len(F)):
        if all(sim[i, j] < threshold for j in kept):
            kept.append(i)
    return [F[i] for i in kept]


def _dedupe(members: np.ndarray, called: np.ndarray, shift: np.ndarray, score: np.ndarray,
            window: int) -> np.ndarray:
    """Of seqlets of one sequence aligned to within ``window`` bp of each other, keep the best-scoring."""
    if len(members) == 0:
        return members
    order = members[np.lexsort((-score[members], called[members, 0]))]
    kept = []
    last_row, starts = -1, []
    for i in order:
        row, start = called[i, 0], called[i, 1] + shift[i]
        if row != last_row:
            last_row, starts = row, []
        if all(abs(start - s) >= window for s in starts):
            kept.append(i)
            starts.append(start)
    return np.sort(np.asarray(kept, dtype=np.int64))


def _frequencies(onehot: np.ndarray) -> np.ndarray:
    counts = onehot.astype(np.float64).sum(axis=0)
    total = counts.sum(axis=0, keepdims=True)
    return np.where(total > 0, counts / np.where(total > 0, total, 1), 0.25)


def _contributing(cwm: np.ndarray, lo: int, hi: int, min_share: float) -> tuple[int, int]:
    """[lo, hi) without the flank columns whose summed |CWM| is below ``min_share`` × the largest column's."""
    weight = np.abs(cwm[:, lo:hi]).sum(axis=0)
    if min_share <= 0 or hi <= lo or not weight.max() > 0:
        return lo, hi
    keep = np.flatnonzero(weight >= min_share * weight.max())
    return lo + int(keep[0]), lo + int(keep[-1]) + 1


def _core(pfm: np.ndarray, min_bits: float, nsites: int) -> tuple[int, int]:
    """Column range [lo, hi) left after dropping flank columns below ``min_bits`` (:func:`deepmotif.trim.core_bounds`,
    small-sample corrected for ``nsites`` seqlets); (0, 0) when none is left."""
    return core_bounds(Motif("core", "", pfm, nsites), min_bits) or (0, 0)

"""Tomtom motif comparison with two backends: memelite (pure Python/numba) or MEME's own ``tomtom`` binary.

Both return MEME tomtom's TSV table (``tomtom -text``): one row per reported query/target pair, grouped by
query in query order, sorted by p-value within a query, with p-, E- and q-values computed as MEME 5.5.x
does (``src/tomtom.c``, ``src/qvalue.c``):

* every target is compared on both strands; a strand's p-value is that of the best alignment score among
  all alignments *and both orientations* (memelite's one-orientation p, mapped by ``1 - (1 - p)**2``);
* E-value = p-value x number of targets (in float32 arithmetic, as MEME);
* q-values per query, over the 2 x n_targets strand p-values of that query (both strands count), by
  Benjamini-Hochberg with Storey's pi0: pi0 = 1 when there are <= 100 p-values, otherwise the bootstrap
  estimate of ``estimate_pi_zero`` (lambda = 0.005 ... 0.5 in 100 steps, 100 bootstraps of 1000 draws from
  glibc's unseeded ``drand48`` stream, which runs on from one query to the next);
* then the table keeps, in p-value order, the pairs whose q-value (or E-value with ``evalue=True``) is at
  most ``thresh``, reporting each target once, on its better strand.

The memelite backend also applies MEME's default motif pseudocount (``-motif-pseudo 0.1``: each column
becomes ``(p * nsites + 0.1 * 0.25) / (nsites + 0.1)``, nsites 20 when unknown) to queries and targets, and
computes consensus strings from the pseudocounted matrices as MEME does.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.errors import InputError
from deepmotif.memeio import Motif, write_meme

TOMTOM_COLUMNS = ["Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value", "q-value", "Overlap",
                  "Query_consensus", "Target_consensus", "Orientation"]
NAME_COLUMNS = ["Query_name", "Target_name"]
BACKENDS = ("memelite", "meme")
MEME_DISTANCES = ("allr", "ed", "kullback", "pearson", "sandelin", "blic1", "blic5", "llr1", "llr5")

MEME_MOTIF_PSEUDO = 0.1      # tomtom -motif-pseudo default
MEME_DEFAULT_SITES = 20      # DEFAULT_SITE_COUNT: nsites used for the pseudocount when a motif has none
MEME_MIN_TARGETS = 50        # MIN_TARGET_DATABASE_SIZE: tomtom warns below this many targets

#: keyword arguments for memelite.tomtom: no target-column hashing and 100x more median bins than its
#: defaults (n_target_bins=100, n_median_bins=1000) -- as fast, and MEME's p-values to ~5 significant digits
#: instead of within a factor of up to 1e4 in the far tail (JASPAR2024 reference)
MEMELITE_OPTIONS = {"n_score_bins": 100, "n_median_bins": 100000, "n_target_bins": None}

# qvalue.h / qvalue.c of MEME 5.5.x
_MIN_SAMPLES = 100
_NUM_BOOTSTRAPS = 100
_NUM_BOOTSTRAP_SAMPLES = 1000
_NUM_LAMBDA = 100
_MAX_LAMBDA = 0.5

_INT_COLUMNS = ("Optimal_offset", "Overlap")
_FLOAT_COLUMNS = ("p-value", "E-value", "q-value")

_NO_BINARY = (
    "MEME's 'tomtom' executable was not found (not on PATH and no tomtom_bin given). Install the MEME suite, "
    "e.g. 'conda install -c bioconda meme', or build it from source (https://meme-suite.org/meme/doc/"
    "download.html): './configure --enable-serial && make tomtom', then put src/tomtom on PATH or pass its "
    "path as tomtom_bin. The 'memelite' backend needs no binary."
)


def tomtom(queries: list[Motif], targets: list[Motif], backend: str = "memelite", thresh: float | None = 0.5,
           evalue: bool = False, min_overlap: int = 1, dist: str = "ed", tomtom_bin: str | None = None,
           n_jobs: int = -1) -> pd.DataFrame:
    """Compare query motifs with target motifs as MEME's ``tomtom -text`` does.

    Parameters
    ----------
    queries, targets : list of Motif
        Motifs (ids unique within each list).
    backend : {"memelite", "meme"}
        ``memelite``: memelite's numba re-implementation (Euclidean distance, complete scores only).
        ``meme``: run MEME's ``tomtom`` binary on temporary MEME files.
    thresh : float or None
        Keep pairs with q-value <= thresh (E-value <= thresh when ``evalue``); None keeps every target of
        every query (on its better strand). MEME's default: q-value 0.5.
    evalue : bool
        Threshold on the E-value instead of the q-value (MEME ``-evalue``).
    min_overlap : int
        Minimum number of overlapping columns (MEME ``-min-overlap``); memelite supports only 1.
    dist : str
        Column distance (MEME ``-dist``); memelite supports only ``"ed"``.
    tomtom_bin : str, optional
        Path of MEME's ``tomtom`` (backend "meme"); default: ``tomtom`` on PATH.
    n_jobs : int
        Threads for memelite (-1: all).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOMTOM_COLUMNS` then ``Query_name``, ``Target_name``.
    """
    _check_arguments(queries, targets, backend, thresh, evalue, min_overlap, dist)
    if backend == "memelite":
        return _tomtom_memelite(queries, targets, thresh, evalue, n_jobs)
    return _tomtom_meme(queries, targets, thresh, evalue, min_overlap, dist, tomtom_bin)


def _check_arguments(queries, targets, backend, thresh, evalue, min_overlap, dist) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if dist not in MEME_DISTANCES:
        raise ValueError(f"dist must be one of {MEME_DISTANCES}, got {dist!r}")
    if backend == "memelite" and dist != "ed":
        raise ValueError(f"the memelite backend implements only dist='ed' (Euclidean distance), got {dist!r}; "
                         "use backend='meme' for other distances")
    if not isinstance(min_overlap, (int, np.integer)) or min_overlap < 0:
        raise ValueError(f"min_overlap must be an integer >= 0, got {min_overlap!r}")
    if backend == "memelite" and min_overlap > 1:
        raise ValueError("the memelite backend reports the best alignment at any overlap (min_overlap=1); "
                         f"min_overlap={min_overlap} needs backend='meme'")
    if thresh is not None:
        if not np.isfinite(thresh) or thresh < 0:
            raise ValueError(f"thresh must be a number >= 0 or None, got {thresh!r}")
        if not evalue and thresh > 1:
            raise ValueError(f"a q-value threshold must be <= 1 (got {thresh}); use evalue=True for E-values")
    for role, motifs in (("query", queries), ("target", targets)):
        if len(motifs) == 0:
            raise ValueError(f"no {role} motifs given")
        counts = Counter(m.id for m in motifs)
        if len(counts) != len(motifs):
            dup = sorted(i for i, c in counts.items() if c > 1)
            raise ValueError(f"{role} motif ids must be unique; repeated: {dup[:5]}")
        for m in motifs:
            pwm = np.asarray(m.pwm)
            if pwm.ndim != 2 or pwm.shape[0] != 4 or pwm.shape[1] == 0:
                raise ValueError(f"{role} motif {m.id}: pwm must have shape (4, w), got {pwm.shape}")


# ------------------------------------------------------------------------------------------ memelite


def strand_matches(queries: list[Motif], targets: list[Motif], n_jobs: int = -1
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best alignment of every query with every target strand, with MEME's p-values (memelite backend).

    Parameters
    ----------
    queries, targets : list of Motif
    n_jobs : int
        memelite threads (-1: all).

    Returns
    -------
    pvalues, offsets, overlaps : numpy.ndarray
        Shape (n_queries, 2 * n_targets): columns 0..n-1 the targets as given ('+'), columns n..2n-1 their
        reverse complements ('-'). p-values are float32-rounded as MEME stores them; offsets and overlaps
        are in MEME's convention (offset = position in the target, possibly negative, where the query
        starts).
    """
    from memelite.tomtom import tomtom as memelite_tomtom

    q_pwms = [apply_meme_pseudocount(m) for m in queries]
    t_fwd = [apply_meme_pseudocount(m) for m in targets]
    t_all = t_fwd + [np.ascontiguousarray(p[::-1, ::-1]) for p in t_fwd]
    # Both strands as separate targets: the same background columns memelite uses with
    # reverse_complement=True, but each strand's result is kept (MEME ranks and q-values both strands).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="tomtom was given")
        p1, _scores, offsets, overlaps = memelite_tomtom(q_pwms, t_all, reverse_complement=False,
                                                         n_jobs=n_jobs, **MEMELITE_OPTIONS)[:4]
    # memelite's p is for one orientation; MEME's is for the best of all alignments in both orientations.
    pvalues = (p1 * (2.0 - p1)).astype(np.float32).astype(np.float64)
    return pvalues, np.rint(offsets).astype(np.int64), np.rint(overlaps).astype(np.int64)


def _tomtom_memelite(queries, targets, thresh, evalue, n_jobs) -> pd.DataFrame:
    n = len(targets)
    if n < MEME_MIN_TARGETS:
        warnings.warn(f"tomtom: only {n} target motifs; its p-values use the target columns as background and "
                      f"are unreliable below {MEME_MIN_TARGETS} targets (MEME warns too)", stacklevel=3)
    pvalues, offsets, overlaps = strand_matches(queries, targets, n_jobs)
    q_pwms = [apply_meme_pseudocount(m) for m in queries]
    t_fwd = [apply_meme_pseudocount(m) for m in targets]
    t_all = t_fwd + [p[::-1, ::-1] for p in t_fwd]

    t_ids = np.array([m.id for m in targets] * 2, dtype=object)
    strand = np.array(["+"] * n + ["-"] * n, dtype=object)
    # rank of MEME's strand-prefixed id ("+MA0004.1"), its last tie-breaker (strcmp)
    st_ids = [s + t for s, t in zip(strand, t_ids)]
    st_rank = np.empty(2 * n, dtype=np.int64)
    st_rank[sorted(range(2 * n), key=st_ids.__getitem__)] = np.arange(2 * n)
    target_index = np.concatenate([np.arange(n), np.arange(n)])
    t_cons = np.array([consensus(p) for p in t_all], dtype=object)
    t_names = np.array([m.name for m in targets], dtype=object)
    rng = Drand48()
    q_cons = [consensus(p) for p in q_pwms]
    parts: dict[str, list] = {c: [] for c in TOMTOM_COLUMNS + NAME_COLUMNS}
    for qi, query in enumerate(queries):
        # MEME's order: p-value, then larger overlap, then '+' before '-', then target id
        order = np.lexsort((st_rank, -overlaps[qi], pvalues[qi]))
        p = pvalues[qi, order]
        q = meme_qvalues(p, rng=rng, presorted=True)
        # MEME: float pvalue * target_count / norient, in float arithmetic
        e = ((p.astype(np.float32) * np.float32(2 * n)) / np.float32(2)).astype(np.float64)
        keep = _keep_mask(q if not evalue else e, thresh, target_index[order])
        k = order[keep]
        parts["Query_ID"].append(np.full(len(k), query.id, dtype=object))
        parts["Target_ID"].append(t_ids[k])
        parts["Optimal_offset"].append(offsets[qi, k])
        parts["p-value"].append(p[keep])
        parts["E-value"].append(e[keep])
        parts["q-value"].append(q[keep])
        parts["Overlap"].append(overlaps[qi, k])
        parts["Query_consensus"].append(np.full(len(k), q_cons[qi], dtype=object))
        parts["Target_consensus"].append(t_cons[k])
        parts["Orientation"].append(strand[k])
        parts["Query_name"].append(np.full(len(k), query.name, dtype=object))
        parts["Target_name"].append(t_names[target_index[k]])
    return _typed(pd.DataFrame({c: np.concatenate(v) for c, v in parts.items()}))


def _keep_mask(significance: np.ndarray, thresh: float | None, target_index: np.ndarray) -> np.ndarray:
    """Rows MEME prints: the sorted prefix up to the first value above ``thresh``, first strand per target."""
    keep = np.ones(len(significance), dtype=bool)
    if thresh is not None:
        above = np.flatnonzero(significance > thresh)
        if len(above):
            keep[above[0]:] = False
    _, first = np.unique(target_index, return_index=True)
    first_strand = np.zeros(len(keep), dtype=bool)
    first_strand[first] = True
    return keep & first_strand


def apply_meme_pseudocount(motif: Motif, pseudo: float = MEME_MOTIF_PSEUDO,
                           background: np.ndarray | None = None) -> np.ndarray:
    """Return ``motif.pwm`` with MEME's motif pseudocount applied (``apply_pseudocount_to_motif``).

    Each probability becomes ``(p * sites + pseudo * bg) / (sites + pseudo)`` with ``sites`` the motif's
    integer nsites, or 20 when unknown or 0.
    """
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=float)
    sites = int(motif.nsites) if motif.nsites is not None and motif.nsites > 0 else MEME_DEFAULT_SITES
    pwm = np.asarray(motif.pwm, dtype=np.float64)
    return np.ascontiguousarray((pwm * sites + pseudo * bg[:, None]) / (sites + pseudo))


def consensus(pwm: np.ndarray) -> str:
    """Most probable letter per column, ties to the earlier of A, C, G, T, compared as MEME's ``get_cons``
    does (the running maximum is kept as a C float)."""
    pwm = np.asarray(pwm, dtype=np.float64)
    best = np.zeros(pwm.shape[1], dtype=np.int64)
    best_value = pwm[0].astype(np.float32)
    for letter in range(1, 4):
        better = pwm[letter] > best_value.astype(np.float64)
        best[better] = letter
        best_value = np.where(better, pwm[letter].astype(np.float32), best_value)
    return "".join(np.array(list("ACGT"))[best])


# ------------------------------------------------------------------------------------------ q-values


class Drand48:
    """glibc's ``drand48()`` stream, unseeded (state 0), as MEME's ``my_drand`` draws it.

    MEME's tomtom never seeds it, so the bootstrap of every run starts from the same state and the state
    carries on from one query's pi0 estimate to the next.
    """

    _A, _C, _MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1
    _jump: tuple[np.ndarray, np.ndarray] | None = None

    def __init__(self, state: int = 0):
        self.state = int(state)

    @classmethod
    def _jump_tables(cls, n: int) -> tuple[np.ndarray, np.ndarray]:
        """a**k and c*(a**k - 1)/(a - 1) modulo 2**48 for k = 1..n (x_k = A_k x_0 + C_k)."""
        if cls._jump is None or len(cls._jump[0]) < n:
            mask = np.uint64(cls._MASK)
            a_k = np.array([cls._A], dtype=np.uint64)
            c_k = np.array([cls._C], dtype=np.uint64)
            while len(a_k) < n:  # double: x_{L+j} = A_j (A_L x + C_L) + C_j
                a_l, c_l = a_k[-1], c_k[-1]
                a_k = np.concatenate([a_k, (a_k * a_l) & mask])
                c_k = np.concatenate([c_k, (a_k[: len(c_k)] * c_l + c_k) & mask])
            cls._jump = (a_k, c_k)
        return cls._jump[0][:n], cls._jump[1][:n]

    def random(self, n: int) -> np.ndarray:
        """The next ``n`` values of ``drand48()`` (each x / 2**48 of the 48-bit state)."""
        a_k, c_k = self._jump_tables(n)
        x = (a_k * np.uint64(self.state) + c_k) & np.uint64(self._MASK)
        self.state = int(x[-1])
        return x.astype(np.float64) * 2.0 ** -48


def estimate_pi_zero(pvalues: np.ndarray, rng: Drand48) -> float:
    """Storey's pi0 as MEME's ``estimate_pi_zero`` computes it (bootstrap choice of lambda).

    pi0(lambda) = #(p >= lambda) / ((1 - lambda) m) for lambda = 0.005 ... 0.5; the lambda whose bootstrap
    estimates (100 resamples of 1000 p-values) have the least squared error around the smallest pi0(lambda)
    is chosen; the result is clipped to [0, 1].
    """
    p = np.sort(np.asarray(pvalues, dtype=np.float64))
    m = len(p)
    lambdas = (np.arange(1, _NUM_LAMBDA + 1) / _NUM_LAMBDA) * _MAX_LAMBDA
    # n_lambdas_below[i] = number of lambdas <= p[i]: p[i] counts for lambda l (p >= lambda) iff l < it
    n_lambdas_below = np.searchsorted(lambdas, p, side="right")

    def pi_zeroes(counts: np.ndarray, n: int) -> np.ndarray:
        """counts[..., k]: p-values with k lambdas below them -> pi0 for every lambda."""
        n_greater = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1][..., 1:]
        with np.errstate(divide="ignore"):
            pz = n_greater / ((1.0 - lambdas) * n)
        pz[pz == 0.0] = np.inf  # MEME: HUGE_VAL when no p-value reaches lambda
        return pz

    pz = pi_zeroes(np.bincount(n_lambdas_below, minlength=_NUM_LAMBDA + 1), m)
    min_pz = pz.min()
    draws = rng.random(_NUM_BOOTSTRAPS * _NUM_BOOTSTRAP_SAMPLES).reshape(_NUM_BOOTSTRAPS, -1)
    picked = n_lambdas_below[(draws * m).astype(np.int64)]  # (int)(my_drand() * num_inputs)
    flat = picked + (_NUM_LAMBDA + 1) * np.arange(_NUM_BOOTSTRAPS)[:, None]
    counts = np.bincount(flat.ravel(), minlength=_NUM_BOOTSTRAPS * (_NUM_LAMBDA + 1))
    boot = pi_zeroes(counts.reshape(_NUM_BOOTSTRAPS, _NUM_LAMBDA + 1), _NUM_BOOTSTRAP_SAMPLES)
    mse = np.zeros(_NUM_LAMBDA)
    with np.errstate(invalid="ignore"):
        for row in boot:  # summed in bootstrap order, as MEME does
            err = row - min_pz
            mse += err * err
    best, best_err = 0, mse[0]
    for i in range(1, _NUM_LAMBDA):  # first minimum; NaN never wins (C comparison semantics)
        if mse[i] < best_err:
            best, best_err = i, mse[i]
    pi0 = pz[best]
    pi0 = pi0 if pi0 < 1.0 else 1.0
    return float(pi0 if pi0 > 0.0 else 0.0)


def meme_qvalues(pvalues: np.ndarray, rng: Drand48 | None = None, presorted: bool = False) -> np.ndarray:
    """q-values of one query's p-values exactly as MEME tomtom computes them (``compute_qvalues``).

    Parameters
    ----------
    pvalues : array-like
        All p-values of one query: one per target *and strand* (2 x n_targets), as MEME ranks both strands.
    rng : Drand48, optional
        The ``drand48`` stream for the pi0 bootstrap; a fresh unseeded one by default (MEME's first
        query). Pass the same object for the queries of one run, in query order, to reproduce MEME.
    presorted : bool
        ``pvalues`` are already in ascending order (skips sorting).

    Returns
    -------
    numpy.ndarray
        q-values, in the order of ``pvalues``.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("pvalues must be one-dimensional")
    if len(p) == 0:
        return p.copy()
    if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise ValueError("p-values must lie in [0, 1]")
    order = np.arange(len(p)) if presorted else np.argsort(p, kind="stable")
    sorted_p = p[order]
    m = len(p)
    pi0 = 1.0
    if m > _MIN_SAMPLES:
        pi0 = estimate_pi_zero(sorted_p, Drand48() if rng is None else rng)
    fdr = np.minimum(1.0, pi0 * sorted_p * float(m) / np.arange(1, m + 1, dtype=np.float64))
    if m > 1:
        fdr = np.minimum.accumulate(fdr[::-1])[::-1]
    q = np.empty(m)
    q[order] = fdr
    return q


# ------------------------------------------------------------------------------------------ MEME binary


def find_tomtom(tomtom_bin: str | None = None) -> str:
    """Path of MEME's ``tomtom``: ``tomtom_bin`` if given (must exist), else ``tomtom`` on PATH.

    Raises
    ------
    RuntimeError
        No executable found; the message says how to install one.
    """
    if tomtom_bin is not None:
        found = shutil.which(str(tomtom_bin))
        if found is None:
            raise RuntimeError(f"tomtom_bin {tomtom_bin!r} is not an executable file. " + _NO_BINARY)
        return found
    found = shutil.which("tomtom")
    if found is None:
        raise RuntimeError(_NO_BINARY)
    return found


def meme_command(tomtom_bin: str, query_file: str | Path, target_file: str | Path, thresh: float | None,
                 evalue: bool, min_overlap: int, dist: str, n_targets: int) -> list[str]:
    """The ``tomtom`` argv the meme backend runs (``-no-ssc`` only affects logos, which -text never makes)."""
    cmd = [tomtom_bin, "-no-ssc", "-text", "-verbosity", "1", "-dist", dist, "-min-overlap", str(min_overlap)]
    if thresh is None:
        # keep everything: every E-value is <= n_targets (p <= 1)
        cmd += ["-evalue", "-thresh", repr(float(n_targets + 1))]
    else:
        cmd += (["-evalue"] if evalue else []) + ["-thresh", repr(float(thresh))]
    return cmd + [str(query_file), str(target_file)]


def _tomtom_meme(queries, targets, thresh, evalue, min_overlap, dist, tomtom_bin) -> pd.DataFrame:
    exe = find_tomtom(tomtom_bin)
    with tempfile.TemporaryDirectory(prefix="deepmotif-tomtom-") as tmp:
        query_file, target_file = Path(tmp) / "query.meme", Path(tmp) / "target.meme"
        write_meme(query_file, queries)
        write_meme(target_file, targets)
        cmd = meme_command(exe, query_file, target_file, thresh, evalue, min_overlap, dist, len(targets))
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    table = parse_tomtom_text(proc.stdout, source=f"output of {exe}")
    q_names = {m.id: m.name for m in queries}
    t_names = {m.id: m.name for m in targets}
    table["Query_name"] = table["Query_ID"].map(q_names).fillna("")
    table["Target_name"] = table["Target_ID"].map(t_names).fillna("")
    return _typed(table)


# ------------------------------------------------------------------------------------------ TSV


def read_tomtom_tsv(path: str | Path) -> pd.DataFrame:
    """Read MEME tomtom's TSV (``tomtom.tsv`` or ``-text`` output); blank and ``#`` lines are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOMTOM_COLUMNS`; ids as str, offsets/overlaps int, p/E/q float.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    return parse_tomtom_text(path.read_text(), source=path)


def parse_tomtom_text(text: str, source: str | Path = "<tomtom output>") -> pd.DataFrame:
    """Parse the text of a tomtom TSV (see :func:`read_tomtom_tsv`); errors name ``source`` and line."""
    rows: list[list[str]] = []
    header_seen = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if not header_seen:
            if fields != TOMTOM_COLUMNS:
                raise InputError(f"not a tomtom TSV: header must be {' '.join(TOMTOM_COLUMNS)}", path=source,
                                 line=lineno)
            header_seen = True
            continue
        if len(fields) != len(TOMTOM_COLUMNS):
            raise InputError(f"expected {len(TOMTOM_COLUMNS)} tab-separated fields, got {len(fields)}",
                             path=source, line=lineno)
        for col in _INT_COLUMNS + _FLOAT_COLUMNS:
            value = fields[TOMTOM_COLUMNS.index(col)]
            try:
                int(value) if col in _INT_COLUMNS else float(value)
            except ValueError:
                raise InputError(f"{value!r} is not a number", path=source, line=lineno, field=col) from None
        rows.append(fields)
    if not header_seen:
        raise InputError("not a tomtom TSV: no header line", path=source)
    return _typed(pd.DataFrame(rows, columns=TOMTOM_COLUMNS))


def _empty(with_names: bool) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in TOMTOM_COLUMNS + (NAME_COLUMNS if with_names else [])})


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if col in _INT_COLUMNS:
            frame[col] = frame[col].astype(np.int64)
        elif col in _FLOAT_COLUMNS:
            frame[col] = frame[col].astype(np.float64)
        else:
            frame[col] = frame[col].astype(object).astype(str) if len(frame) else frame[col].astype(object)
    return frame

"""The data stage: one TF row of the sample sheet → train/valid/test one-hot sets in one ``.npz``.

Sources: ``synthetic`` (offline, planted JASPAR motif), ``synthetic_multi`` (1-3 of several planted motifs),
``deepbind`` (``_AC``/``_B`` ``.seq.gz``),
``deepmotif_fasta`` (``>1``/``>0`` headers), ``zeng`` (``.data``), ``fasta`` (plain FASTA of positives), and
``encode`` (summit windows of a narrowPeak file cut from a genome: :func:`prepare_encode`).
Where a source has no negatives, each positive gets one dinucleotide shuffle; validation is carved from
training data by whole shuffle groups, so no positive's shuffle sits on the other side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepmotif.data.onehot import codes_to_one_hot, to_codes
from deepmotif.data.readers import Records, read_deepbind, read_fasta, read_zeng
from deepmotif.data.shuffle import shuffle_codes
from deepmotif.data.split import group_split, shuffle_groups
from deepmotif.data.synthetic import (logic_labels, markov_background, plant_motifs, plant_multi, planted_mask,
                                      spacing_pairs)
from deepmotif.errors import InputError
from deepmotif.io_utils import atomic_path, open_npz
from deepmotif.progress import step
from deepmotif.sources import GENOME_SOURCES, MULTI_MOTIF_SOURCES, PLANTED_SOURCES, SOURCES

ENCODE_SPLITS = ("deepbind", "chromosome")
NEGATIVES = ("shuffle", "background")
SPLITS = ("train", "valid", "test")


def add_shuffled_negatives(codes: np.ndarray, random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """Positives (N, L) codes → (2N, L) codes, each positive followed by its dinucleotide shuffle, and labels."""
    neg = shuffle_codes(codes, random_state=random_state)
    out = np.empty((2 * len(codes), codes.shape[1]), dtype=np.uint8)
    out[0::2], out[1::2] = codes, neg
    y = np.tile(np.array([1, 0], dtype=np.int64), len(codes))
    return out, y


def _labelled(rec: Records, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Use the file's labels; a file of positives only gets one shuffled negative per positive."""
    with step(f"encoding {len(rec.seqs):,} sequences of {rec.path.name}"):
        codes, y = to_codes(rec.seqs), np.asarray(rec.labels, dtype=np.int64)
    if (y == 0).any():
        return codes, y
    with step(f"dinucleotide shuffles of {int((y != 0).sum()):,} sequences"):
        return add_shuffled_negatives(codes[y != 0], seed)


def _check_classes(y: np.ndarray, what: str, path) -> None:
    if len(y) == 0 or (y == 1).sum() == 0 or (y == 0).sum() == 0:
        raise InputError(f"{what} set needs both classes, has {(y == 1).sum()} positives and {(y == 0).sum()} "
                         "negatives", path=path)


def _read(source: str, path: Path, length: int) -> Records:
    if source == "deepbind":
        return read_deepbind(path, length)
    if source == "deepmotif_fasta":
        return read_fasta(path, length, label_headers=True)
    if source == "zeng":
        return read_zeng(path, length)
    return read_fasta(path, length)


def data_settings(data_cfg: dict | None) -> dict:
    """The ``data`` config section with every key it leaves out taken from ``deepmotif.config.DEFAULTS``."""
    from deepmotif.config import DEFAULTS, merge

    return merge(DEFAULTS["data"], data_cfg or {})


def _motif_counts(syn: dict, n_motifs: int) -> tuple[int, int]:
    lo, hi = int(syn["min_motifs"]), int(syn["max_motifs"])
    if not 1 <= lo <= hi <= n_motifs:
        raise InputError(f"need 1 <= min_motifs <= max_motifs <= {n_motifs} (the row's motifs), got {lo} and "
                         f"{hi}", field="data.synthetic.max_motifs")
    return lo, hi


def prepare(row: dict, data_cfg: dict, pwm: np.ndarray | list | None = None,
            motif_names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Build the train/valid/test arrays for one TF.

    Parameters
    ----------
    row : dict
        The TF's sample-sheet row: ``name``, ``source``, ``train``, ``test``.
    data_cfg : dict
        The ``data`` section of the config (``seq_len``, ``valid_fraction``, ``test_fraction``,
        ``max_train``, ``seed``, ``synthetic``); keys it leaves out take the defaults (:func:`data_settings`).
    pwm : numpy.ndarray or list of numpy.ndarray, optional
        (4, w) motif to plant, required for ``synthetic``; the list of motifs for ``synthetic_multi`` and
        ``synthetic_logic``.
    motif_names : list of str, optional
        ``synthetic_logic``: the names of the motifs of ``pwm``, which its tasks (``synthetic.logic``) name.

    Returns
    -------
    dict
        ``{split}_codes`` (n, L) uint8 and ``{split}_y`` (n,) for split in train/valid/test; for synthetic
        also ``{split}_motif_start`` and ``{split}_motif_strand``; for both synthetic sources the truth
        ``{split}_planted`` (n, L) int8: index of the planted motif covering each base (0 for ``synthetic``,
        the position in the row's motif list for ``synthetic_multi``), -1 for background and for every base
        of a negative (a dinucleotide shuffle of its positive); for ``synthetic_multi`` also
        ``{split}_sites_motif`` / ``_sites_start`` / ``_sites_strand`` (n, max_motifs), -1/-1/0 padded.
        ``synthetic_logic`` plants as ``synthetic_multi`` (a share ``motif_rate`` of the sequences gets
        ``min_motifs``-``max_motifs`` motifs) but adds no shuffles: ``{split}_tasks`` (n, T) holds the labels
        of the tasks of ``synthetic.logic`` (:func:`deepmotif.data.synthetic.logic_labels`; a task with
        ``spacing`` also reads the planted positions), and y is 1 where any task is; a sequence carrying motifs
        that satisfy no task is a negative. ``synthetic.pair_rate`` > 0: that share of the planted sequences
        gets the motif pair of a spacing task close together (:func:`deepmotif.data.synthetic.plant_multi`).
    """
    data_cfg = data_settings(data_cfg)
    source, seed, length = row["source"], int(data_cfg["seed"]), int(data_cfg["seq_len"])
    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}", field="source")
    if source == "encode":
        raise InputError("source encode is cut from a genome: use prepare_encode (deepmotif prepare --genome "
                         "--peaks)", field="source")
    out: dict[str, np.ndarray] = {}
    if source == "synthetic":
        syn = data_cfg["synthetic"]
        rate = float(syn["motif_rate"])
        for i, (split, n) in enumerate((("train", int(syn["n_train"])), ("test", int(syn["n_test"])))):
            bg = markov_background(n, length, random_state=[seed, i])
            pos, start, strand = plant_motifs(bg, pwm, rate, random_state=[seed, i, 1])
            codes, y = add_shuffled_negatives(pos, np.random.default_rng([seed, i, 2]))
            out[f"{split}_codes"], out[f"{split}_y"] = codes, y
            out[f"{split}_motif_start"] = np.repeat(start, 2) * np.tile([1, 0], n) - np.tile([0, 1], n)
            out[f"{split}_motif_strand"] = np.repeat(strand, 2) * np.tile([1, 0], n).astype(np.int8)
            out[f"{split}_planted"] = planted_mask(out[f"{split}_motif_start"], pwm.shape[1], length)
        train_path = test_path = None
    elif source == "synthetic_logic":
        syn = data_cfg["synthetic"]
        if not syn["logic"]:
            raise InputError("source synthetic_logic needs its tasks in data.synthetic.logic",
                             field="data.synthetic.logic")
        lo, hi = _motif_counts(syn, len(pwm))
        widths = [np.asarray(p).shape[1] for p in pwm]
        try:
            pairs = spacing_pairs(syn["logic"], list(motif_names or []))
        except ValueError as err:
            raise InputError(str(err), field="data.synthetic.logic") from None
        pair_rate = float(syn.get("pair_rate") or 0.0)
        for i, (split, n) in enumerate((("train", int(syn["n_train"])), ("test", int(syn["n_test"])))):
            bg = markov_background(n, length, random_state=[seed, i])
            try:
                codes, mask, sites = plant_multi(bg, pwm, lo, hi, float(syn["motif_rate"]), random_state=[seed, i, 1],
                                                 pairs=pairs, pair_rate=pair_rate)
            except ValueError as err:
                if not pair_rate:
                    raise
                raise InputError(str(err), field="data.synthetic.pair_rate") from None
            present = (sites["motif"][:, :, None] == np.arange(len(pwm))).any(axis=1)
            try:
                tasks = logic_labels(present, syn["logic"], list(motif_names or []), sites=sites, widths=widths)
            except ValueError as err:
                raise InputError(str(err), field="data.synthetic.logic") from None
            out[f"{split}_codes"], out[f"{split}_y"] = codes, tasks.any(axis=1).astype(np.float32)
            out[f"{split}_tasks"], out[f"{split}_planted"] = tasks, mask
            out.update({f"{split}_sites_{key}": value for key, value in sites.items()})
        train_path = test_path = None
    elif source == "synthetic_multi":
        # Negatives are dinucleotide shuffles of the positives (as for `synthetic`): same base and dinucleotide
        # composition, so only the planted motifs (not GC-rich motifs' composition) tell the classes apart.
        syn = data_cfg["synthetic"]
        rate = float(syn["motif_rate"])
        lo, hi = _motif_counts(syn, len(pwm))
        for i, (split, n) in enumerate((("train", int(syn["n_train"])), ("test", int(syn["n_test"])))):
            bg = markov_background(n, length, random_state=[seed, i])
            pos, mask, sites = plant_multi(bg, pwm, lo, hi, rate, random_state=[seed, i, 1])
            codes, y = add_shuffled_negatives(pos, np.random.default_rng([seed, i, 2]))
            out[f"{split}_codes"], out[f"{split}_y"] = codes, y
            out[f"{split}_planted"] = np.repeat(mask, 2, axis=0)
            out[f"{split}_planted"][1::2] = -1
            for key, value in sites.items():
                full = np.repeat(value, 2, axis=0)
                full[1::2] = 0 if key == "strand" else -1
                out[f"{split}_sites_{key}"] = full
        train_path = test_path = None
    else:
        train_path = Path(row["train"])
        train = _read(source, train_path, length)
        codes, y = _labelled(train, seed)
        if data_cfg["max_train"]:  # file order: DeepBind ranks peaks, our negatives follow their positive
            codes, y = codes[: int(data_cfg["max_train"])], y[: int(data_cfg["max_train"])]
        if row.get("test"):
            test_path = Path(row["test"])
            out["test_codes"], out["test_y"] = _labelled(_read(source, test_path, length), seed + 1)
            out["train_codes"], out["train_y"] = codes, y
        else:
            test_path = train_path
            keep, held = group_split(shuffle_groups(codes), float(data_cfg["test_fraction"]), seed + 2)
            out["test_codes"], out["test_y"] = codes[held], y[held]
            out["train_codes"], out["train_y"] = codes[keep], y[keep]
    keep, held = group_split(shuffle_groups(out["train_codes"]), float(data_cfg["valid_fraction"]), seed)
    for key in [k for k in out if k.startswith("train_")]:
        full = out[key]
        out[key], out[key.replace("train_", "valid_")] = full[keep], full[held]
    for split, path in (("train", train_path), ("valid", train_path), ("test", test_path)):
        _check_classes(out[f"{split}_y"], split, path)
    return out


def prepare_encode(row: dict, data_cfg: dict, genome: str | Path, peaks: str | Path,
                   sizes: str | Path | None = None, blacklist: str | Path | None = None
                   ) -> tuple[dict[str, np.ndarray], dict]:
    """Build the train/valid/test arrays of an ``encode`` TF from its narrowPeak file and the genome.

    Summit windows of the strongest usable peaks (:func:`deepmotif.data.windows.select_windows`) are the
    positives; each gets one negative, a dinucleotide shuffle of itself (``data.negatives: shuffle``) or a
    GC-matched genomic window of its chromosome (``background``). Pairs are then split, a pair always on one
    side: ``data.split: deepbind`` (of the ``data.deepbind_top`` strongest windows odd ranks train and even
    ranks test, the rest train) or ``chromosome`` (``data.holdout.test`` / ``.valid`` chromosomes held out).
    Validation is carved at random from training pairs (``data.valid_fraction``) unless
    ``data.holdout.valid`` names chromosomes.

    Parameters
    ----------
    row : dict
        The TF's sheet row (``name``).
    data_cfg : dict
        The config's ``data`` section; keys it leaves out take the defaults (:func:`data_settings`).
    genome : str or Path
        Indexed genome FASTA (``.fai`` beside it).
    peaks : str or Path
        narrowPeak file (gzip or plain).
    sizes : str or Path, optional
        ``chrom.sizes`` of the whole original genome: a peak on a contig listed there but not in ``genome``
        is dropped and counted (``excluded_contig``); a contig in neither is a bad line. Default: the
        ``.fai``'s contigs.
    blacklist : str or Path, optional
        BED of regions no window may overlap.

    Returns
    -------
    arrays : dict
        As :func:`prepare` (``{split}_codes``, ``{split}_y``, positives and their negatives interleaved,
        strongest first) plus ``{split}_chrom``, ``{split}_start`` (window start) and ``{split}_rank`` (rank
        of the pair's positive).
    qc : dict
        Lines read, bad lines, windows dropped per reason, split sizes and negatives (``results/<tf>/qc.json``).
    """
    from deepmotif.data.peaks import read_narrowpeak
    from deepmotif.data.split import SPLIT_NAMES, TEST, TRAIN, VALID, carve_valid, deepbind_split
    from deepmotif.data.windows import read_intervals

    data_cfg = data_settings(data_cfg)
    seed, length = int(data_cfg["seed"]), int(data_cfg["seq_len"])
    win_cfg, scheme, negatives = data_cfg["windows"], data_cfg["split"], data_cfg["negatives"]
    if scheme not in ENCODE_SPLITS:
        raise InputError(f"split must be one of {', '.join(ENCODE_SPLITS)}, got {scheme!r}", field="data.split")
    if negatives not in NEGATIVES:
        raise InputError(f"negatives must be one of {', '.join(NEGATIVES)}, got {negatives!r}",
                         field="data.negatives")
    fa, in_genome, contigs, (test_chroms, valid_chroms) = _open_genome(genome, sizes, data_cfg)
    table, report = read_narrowpeak(peaks, contigs, data_cfg["on_bad_peak_line"])
    black = read_intervals(blacklist) if blacklist else None
    win, pos, wqc = _summit_windows(table, fa, in_genome, data_cfg, black, f"summit windows from {Path(genome).name}")
    if len(win) == 0:
        raise InputError(f"no peak window left after filtering: {wqc['dropped']}", path=peaks)
    chrom = win["chrom"].to_numpy().astype(str)
    neg_report: dict = {"kind": negatives}
    if negatives == "shuffle":
        with step(f"dinucleotide shuffles of {len(pos):,} windows"):
            neg = shuffle_codes(pos, random_state=seed)
        neg_chrom, neg_start = chrom, win["start"].to_numpy()
    else:
        neg_chrom, neg_start, neg, neg_report = _background(fa, in_genome, data_cfg, [table], win, pos, black)

    ranks = win["rank"].to_numpy()
    if scheme == "deepbind":
        labels = carve_valid(deepbind_split(ranks, int(data_cfg["deepbind_top"])), float(data_cfg["valid_fraction"]),
                             seed)
    else:
        labels = _chromosome_labels(chrom, test_chroms, valid_chroms, data_cfg)

    arrays: dict[str, np.ndarray] = {}
    for code, split in zip((TRAIN, VALID, TEST), SPLIT_NAMES):
        idx = np.flatnonzero(labels == code)  # already strongest first
        if split == "train" and data_cfg["max_train"]:
            idx = idx[: max(int(data_cfg["max_train"]) // 2, 1)]
        arrays.update(_pairs(split, idx, pos, neg, chrom, neg_chrom, win["start"].to_numpy(), neg_start))
        arrays[f"{split}_rank"] = np.repeat(ranks[idx], 2).astype(np.int64)
    for split in SPLIT_NAMES:
        _check_classes(arrays[f"{split}_y"], split, peaks)
    qc = {"tf": row.get("name"), "source": "encode", "peaks_file": str(peaks), "genome": str(genome),
          "blacklist": str(blacklist) if blacklist else None, "window_length": length,
          "rank_by": win_cfg["rank_by"], "top_n": win_cfg["top_n"],
          "max_n_fraction": float(win_cfg["max_n_fraction"]),
          "on_bad_peak_line": data_cfg["on_bad_peak_line"], **report, **wqc,
          "split": {"scheme": scheme, **({"deepbind_top": int(data_cfg["deepbind_top"])}
                                         if scheme == "deepbind" else {"test": test_chroms, "valid": valid_chroms}),
                    **{s: int(len(arrays[f"{s}_y"]) // 2) for s in SPLIT_NAMES}},
          "negatives": neg_report,
          "sequences": {s: int(len(arrays[f"{s}_y"])) for s in SPLIT_NAMES}}
    return arrays, qc


def _summit_windows(table, fa, in_genome: dict, data_cfg: dict, black, what: str):
    """:func:`deepmotif.data.windows.select_windows` of one narrowPeak table with the ``data.windows``
    settings, as a progress step "cutting ``what``": (windows, their codes, QC)."""
    from deepmotif.data.windows import select_windows

    win_cfg = data_cfg["windows"]
    with step(f"cutting {what}") as note:
        win, pos, wqc = select_windows(table, fa, int(data_cfg["seq_len"]), in_genome, top_n=win_cfg["top_n"],
                                       max_n_fraction=float(win_cfg["max_n_fraction"]), blacklist=black,
                                       rank_by=win_cfg["rank_by"])
        note["detail"] = f"{len(win):,} of {len(table):,} peaks"
    return win, pos, wqc


def _interleaved(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """Rows of ``positives`` and ``negatives`` alternating: positive i, then its negative."""
    return np.stack([positives, negatives], axis=1).reshape(2 * len(positives), *positives.shape[1:])


def _pairs(split: str, idx: np.ndarray, pos, neg, chrom, neg_chrom, start, neg_start) -> dict[str, np.ndarray]:
    """One split of an encode data set: the windows ``idx`` and their negatives, interleaved (``{split}_codes``,
    ``_y`` 1/0, ``_chrom``, ``_start``)."""
    return {f"{split}_codes": _interleaved(pos[idx], neg[idx]),
            f"{split}_y": np.tile(np.array([1, 0], dtype=np.int64), len(idx)),
            f"{split}_chrom": _interleaved(chrom[idx], neg_chrom[idx]),
            f"{split}_start": _interleaved(start[idx], neg_start[idx]).astype(np.int64)}


def _open_genome(genome, sizes, data_cfg: dict):
    """(pyfaidx genome, its contig sizes, the whole original genome's contig sizes, (test, valid) held-out
    chromosomes) of an encode data set; the held-out chromosomes checked where the split is by chromosome."""
    from deepmotif.data.genome import read_sizes
    from deepmotif.data.windows import open_fasta

    genome = Path(genome)
    fa = open_fasta(genome)
    in_genome = read_sizes(Path(str(genome) + ".fai"))
    contigs = read_sizes(sizes) if sizes else in_genome
    holdout = data_cfg["holdout"]
    test_chroms, valid_chroms = list(holdout["test"] or []), list(holdout["valid"] or [])
    if data_cfg["split"] == "chromosome":
        for key, chroms in (("test", test_chroms), ("valid", valid_chroms)):
            unknown = [c for c in chroms if c not in in_genome]
            if unknown:
                raise InputError(f"held-out chromosome(s) {', '.join(unknown)} not in the genome "
                                 f"({genome.name}: {', '.join(list(in_genome)[:6])}...)",
                                 field=f"data.holdout.{key}")
        if not test_chroms:
            raise InputError("the chromosome split needs at least one test chromosome", field="data.holdout.test")
        both = sorted(set(test_chroms) & set(valid_chroms))
        if both:
            raise InputError(f"chromosome(s) {', '.join(both)} held out for both test and validation",
                             field="data.holdout")
    return fa, in_genome, contigs, (test_chroms, valid_chroms)


def _chromosome_labels(chrom: np.ndarray, test_chroms: list, valid_chroms: list, data_cfg: dict) -> np.ndarray:
    """Split label of every window by its chromosome; validation carved from training at random
    (``data.valid_fraction``) where no chromosome is held out for it."""
    from deepmotif.data.split import carve_valid, chromosome_split

    labels = chromosome_split(chrom, test_chroms, valid_chroms)
    return labels if valid_chroms else carve_valid(labels, float(data_cfg["valid_fraction"]), int(data_cfg["seed"]))


def _background(fa, in_genome: dict, data_cfg: dict, peak_tables: list, win, pos: np.ndarray, black):
    """One GC-matched genomic window per positive, on its chromosome, overlapping no peak of ``peak_tables``
    (kept or not), no positive window and no blacklisted region: (chrom, start, codes, report)."""
    from deepmotif.data.background import background_windows
    from deepmotif.data.windows import gc_fraction, merge_intervals

    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    parts: dict[str, list] = {}
    for table in peak_tables:
        for c, g in table.groupby("chrom"):
            parts.setdefault(c, []).append((g["chromStart"].to_numpy(), g["chromEnd"].to_numpy()))
    for c, w in win.groupby("chrom"):
        parts.setdefault(c, []).append((w["start"].to_numpy(), w["end"].to_numpy()))
    for c in black or {}:
        parts.setdefault(c, []).append(black[c])
    exclude = {c: merge_intervals(np.concatenate([p[0] for p in ps] + [empty[0]]),
                                  np.concatenate([p[1] for p in ps] + [empty[1]])) for c, ps in parts.items()}
    bg = data_cfg["background"]
    table, codes, report = background_windows(
        fa, in_genome, win["chrom"].to_numpy().astype(str), gc_fraction(pos), int(data_cfg["seq_len"]), exclude,
        max_n_fraction=float(data_cfg["windows"]["max_n_fraction"]), pool=int(bg["pool"]),
        gc_tolerance=float(bg["gc_tolerance"]), random_state=np.random.default_rng([int(data_cfg["seed"]), 7]))
    return (table["chrom"].to_numpy().astype(str), table["start"].to_numpy(), codes,
            {"kind": "background", **report})


def _centre_in_peaks(chrom: np.ndarray, centre: np.ndarray, table) -> np.ndarray:
    """Whether each window centre lies inside a peak of ``table`` (narrowPeak rows, any rank)."""
    from deepmotif.data.windows import merge_intervals

    inside = np.zeros(len(chrom), dtype=bool)
    for c, g in table.groupby("chrom"):
        starts, ends = merge_intervals(g["chromStart"].to_numpy(), g["chromEnd"].to_numpy())
        at = np.flatnonzero(chrom == c)
        k = np.searchsorted(starts, centre[at], side="right") - 1
        inside[at] = (k >= 0) & (centre[at] < ends[np.clip(k, 0, None)])
    return inside


def prepare_encode_multi(row: dict, data_cfg: dict, genome: str | Path, peaks: list, sizes=None, blacklist=None
                         ) -> tuple[dict[str, np.ndarray], dict]:
    """One multi-task data set of several encode TFs (sheet source ``encode_multi``; its ``tasks`` column names
    them, ``peaks`` are their narrowPeak files in that order), as DeepResolve's multi-task models are trained.

    The windows are the union of the TFs' summit windows (:func:`deepmotif.data.windows.select_windows`, each
    TF's ``data.windows`` settings); a window whose centre lies within half a window of one kept before it
    (in the order of the tasks, then of strength) is left out, so one site is one sequence. Each window is
    labelled 1 for every TF with a peak (any peak of its file) over the window's centre, 0 otherwise; the
    negatives are one GC-matched background window per window, overlapping no peak of any TF (0 for every
    task). ``data.split`` must be ``chromosome`` (the windows of several TFs have no common strength rank).

    Returns arrays as :func:`prepare_encode` (windows and their backgrounds interleaved) plus
    ``{split}_tasks`` (N, tasks) float32 labels, and a QC report.
    """
    import pandas as pd

    from deepmotif.data.peaks import read_narrowpeak
    from deepmotif.data.split import SPLIT_NAMES, TEST, TRAIN, VALID
    from deepmotif.data.windows import read_intervals
    from deepmotif.jaspar import split_list

    data_cfg = data_settings(data_cfg)
    tasks = split_list(row.get("tasks"))
    if not tasks or len(tasks) != len(peaks):
        raise InputError(f"{len(peaks)} peak files for the {len(tasks)} tasks {', '.join(tasks)}", field="tasks")
    if data_cfg["split"] != "chromosome":
        raise InputError(f"source encode_multi needs split: chromosome, got {data_cfg['split']!r}",
                         field="data.split")
    length = int(data_cfg["seq_len"])
    fa, in_genome, contigs, (test_chroms, valid_chroms) = _open_genome(genome, sizes, data_cfg)
    black = read_intervals(blacklist) if blacklist else None
    tables, wins, codes, per_task = [], [], [], {}
    for task, path in zip(tasks, peaks):
        table, report = read_narrowpeak(path, contigs, data_cfg["on_bad_peak_line"])
        win, pos, wqc = _summit_windows(table, fa, in_genome, data_cfg, black,
                                        f"{task}'s summit windows from {Path(genome).name}")
        tables.append(table)
        wins.append(win.assign(task=task))
        codes.append(pos)
        per_task[task] = {**report, **wqc}
    win = pd.concat(wins, ignore_index=True)
    chrom, centre = win["chrom"].to_numpy().astype(str), win["start"].to_numpy() + length // 2
    keep = _one_per_site(chrom, centre, length)
    win, pos = win.iloc[keep].reset_index(drop=True), np.concatenate(codes)[keep]
    chrom, centre = chrom[keep], centre[keep]
    if len(win) == 0:
        raise InputError("no peak window left after filtering", path=peaks[0])
    labels_task = np.stack([_centre_in_peaks(chrom, centre, t) for t in tables], axis=1).astype(np.float32)
    neg_chrom, neg_start, neg, neg_report = _background(fa, in_genome, data_cfg, tables, win, pos, black)
    labels = _chromosome_labels(chrom, test_chroms, valid_chroms, data_cfg)
    arrays: dict[str, np.ndarray] = {}
    for code, split in zip((TRAIN, VALID, TEST), SPLIT_NAMES):
        idx = np.flatnonzero(labels == code)
        arrays.update(_pairs(split, idx, pos, neg, chrom, neg_chrom, win["start"].to_numpy(), neg_start))
        arrays[f"{split}_tasks"] = _interleaved(labels_task[idx], np.zeros_like(labels_task[idx]))
        _check_classes(arrays[f"{split}_y"], split, peaks[0])
    qc = {"tf": row.get("name"), "source": "encode_multi", "tasks": per_task, "genome": str(genome),
          "blacklist": str(blacklist) if blacklist else None, "window_length": length,
          "windows": len(win), "same_site_left_out": int(sum(len(w) for w in wins) - len(win)),
          "split": {"scheme": "chromosome", "test": test_chroms, "valid": valid_chroms,
                    **{s: int(len(arrays[f"{s}_y"]) // 2) for s in SPLIT_NAMES}},
          "positives_per_task": {s: dict(zip(tasks, arrays[f"{s}_tasks"].sum(axis=0).astype(int).tolist()))
                                 for s in SPLIT_NAMES},
          "negatives": neg_report, "sequences": {s: int(len(arrays[f"{s}_y"])) for s in SPLIT_NAMES}}
    return arrays, qc


def _one_per_site(chrom: np.ndarray, centre: np.ndarray, length: int) -> np.ndarray:
    """Rows to keep, in their order: a window whose centre lies within ``length // 2`` of a window kept
    before it on its chromosome is left out."""
    from bisect import bisect_left, insort

    kept: dict[str, list] = {}
    keep = []
    for i, (c, x) in enumerate(zip(chrom, centre.tolist())):
        near = kept.setdefault(c, [])
        k = bisect_left(near, x)
        if all(abs(x - near[j]) > length // 2 for j in (k - 1, k) if 0 <= j < len(near)):
            insort(near, x)
            keep.append(i)
    return np.asarray(keep, dtype=np.int64)


def save_dataset(path: str | Path, arrays: dict[str, np.ndarray], **meta) -> None:
    """Write the arrays of :func:`prepare` (plus scalar metadata) to ``path`` (.npz) atomically."""
    extra = {f"meta_{k}": np.asarray(v) for k, v in meta.items()}
    with step(f"writing {Path(path).name}"), atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays, **extra)


def write_prepared(tf: str, row: dict, cfg: dict, out: str | Path, qc: str | Path | None = None,
                   genome=None, sizes=None, peaks=None, blacklist=None) -> str:
    """The prepare stage of one TF (``deepmotif prepare``): its data set written to ``out`` (.npz) and, with
    ``qc``, a QC JSON file (sequences per split; encode rows: lines, drops per reason, split).

    Parameters
    ----------
    tf : str
        TF name (recorded in the file).
    row : dict
        Its sheet row (:func:`deepmotif.config.tf_row`).
    cfg : dict
        Config (``data``; ``jaspar.release`` for synthetic sources).
    genome, sizes, peaks, blacklist : path, optional
        encode rows: indexed genome FASTA, chrom.sizes of the whole genome, narrowPeak file (encode_multi: a
        list, one per task), BED of excluded regions.

    Returns
    -------
    str
        One line describing what was written.
    """
    from deepmotif.io_utils import write_json

    if row["source"] in GENOME_SOURCES:
        peaks = [peaks] if isinstance(peaks, (str, Path)) else list(peaks or [])
        missing = [opt for opt, value in (("--genome", genome), ("--peaks", peaks)) if not value]
        if missing:
            raise InputError(f"TF {tf} has source {row['source']}: {' and '.join(missing)} needed (the "
                             "workflow's fetch_genome/fetch_peaks rules download them)", path=cfg["tfs"],
                             field="source")
    if row["source"] == "encode_multi":
        arrays, report = prepare_encode_multi(row, cfg["data"], genome, peaks, sizes=sizes, blacklist=blacklist)
        tasks = list(report["tasks"])
        save_dataset(out, arrays, tf=tf, source="encode_multi", task_names=tasks)
        summary = (f"{tf}: {report['windows']} windows of {len(tasks)} TFs ({', '.join(tasks)}), each with a "
                   "background window; pairs " + ", ".join(f"{s} {report['split'][s]}" for s in SPLITS)
                   + f" → {out}")
    elif row["source"] == "encode":
        if len(peaks) != 1:
            raise InputError(f"TF {tf} has source encode: one --peaks file, got {len(peaks)}", field="peaks")
        arrays, report = prepare_encode(row, cfg["data"], genome, peaks[0], sizes=sizes, blacklist=blacklist)
        save_dataset(out, arrays, tf=tf, source="encode")
        dropped = ", ".join(f"{k} {v}" for k, v in report["dropped"].items() if v)
        split = report["split"]
        summary = (f"{tf}: {report['windows']} windows of {report['peaks']} peaks (dropped: {dropped or 'none'}; "
                   f"bad lines {report['bad_lines']}); pairs train {split['train']}, valid {split['valid']}, "
                   f"test {split['test']} ({split['scheme']} split, {report['negatives']['kind']} negatives) "
                   f"→ {out}")
    else:
        pwm, meta = None, {}
        names = None
        if row["source"] in PLANTED_SOURCES:
            from deepmotif.jaspar import row_motifs

            motifs = row_motifs(cfg["jaspar"]["release"], row)
            pwm = [m.pwm for m in motifs] if row["source"] in MULTI_MOTIF_SOURCES else motifs[0].pwm
            names = [m.name for m in motifs]
            meta = {"planted_ids": [m.id for m in motifs], "planted_names": names}
            if row["source"] == "synthetic_logic":
                meta["task_names"] = [str(t["name"]) for t in data_settings(cfg["data"])["synthetic"]["logic"]]
        arrays = prepare(row, cfg["data"], pwm, motif_names=names)
        save_dataset(out, arrays, tf=tf, source=row["source"], **meta)
        report = {"tf": tf, "source": row["source"],
                  "sequences": {s: len(arrays[s + "_y"]) for s in SPLITS}}
        summary = f"{tf}: {', '.join(f'{s} {n}' for s, n in report['sequences'].items())} sequences → {out}"
    if qc:
        write_json(qc, report)
    return summary


def load_split(path: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """One split of a prepared dataset as (N, 4, L) float32 one-hot and (N,) float32 labels."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    with open_npz(path) as data:
        return codes_to_one_hot(data[f"{split}_codes"]), data[f"{split}_y"].astype(np.float32)


def load_task_labels(path: str | Path, split: str) -> np.ndarray:
    """(N, K) float32 labels of a multi-task model (``models.<arch>.tasks: planted``): the K logic tasks of
    ``synthetic_logic`` or TFs of ``encode_multi``; else 1 where sequence i carries planted motif k (K
    planted motifs of ``synthetic_multi``; K = 1, the label, for ``synthetic``). Raises :class:`InputError`
    for data without tasks."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    with open_npz(path) as data:
        if f"{split}_tasks" in data.files:  # synthetic_logic's logic tasks, encode_multi's TFs
            return data[f"{split}_tasks"].astype(np.float32)
        if f"{split}_sites_motif" in data.files:
            motif = data[f"{split}_sites_motif"]
            return (motif[:, :, None] == np.arange(len(data["meta_planted_names"]))).any(axis=1).astype(np.float32)
        if f"{split}_planted" in data.files:
            return data[f"{split}_y"].astype(np.float32)[:, None]
    raise InputError("tasks: planted needs a data set with tasks (source synthetic, synthetic_multi, "
                     "synthetic_logic or encode_multi)", path=path, field="models.tasks")


#: ``interpret.split``: the splits whose positives the interpret stage explains, concatenated in this order
EXPLAINED = {"test": ("test",), "all": ("train", "valid", "test")}


def load_explained_set(path: str | Path, which: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """The sequences an interpret job chooses from (config ``interpret.split``): the test split, or
    ``all`` splits concatenated (train, valid, test); (N, 4, L) one-hot and (N,) labels. Attributions are
    not used to select anything, so explaining training positives too only adds evidence."""
    if which not in EXPLAINED:
        raise ValueError(f"interpret split must be one of {tuple(EXPLAINED)}, got {which!r}")
    parts = [load_split(path, split) for split in EXPLAINED[which]]
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])


def explained_split(npz) -> str:
    """The ``interpret.split`` an interpret output (``saliency.npz`` / ``interpret.npz``, opened) was made
    with; ``test`` for files written before it was recorded."""
    return str(npz["split"]) if "split" in npz.files else "test"


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a prepared dataset, as stored."""
    with open_npz(path) as data:
        return {k: data[k] for k in data.files}

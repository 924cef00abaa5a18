"""The data stage: one TF row of the sample sheet → train/valid/test one-hot sets in one ``.npz``.

Sources: ``synthetic`` (offline, planted JASPAR motif), ``deepbind`` (``_AC``/``_B`` ``.seq.gz``),
``deepmotif_fasta`` (``>1``/``>0`` headers), ``zeng`` (``.data``), ``fasta`` (plain FASTA of positives).
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
from deepmotif.data.synthetic import markov_background, plant_motifs
from deepmotif.errors import InputError
from deepmotif.io_utils import atomic_path

SOURCES = ("synthetic", "deepbind", "deepmotif_fasta", "zeng", "fasta")
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
    codes, y = to_codes(rec.seqs), np.asarray(rec.labels, dtype=np.int64)
    if (y == 0).any():
        return codes, y
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


def prepare(row: dict, data_cfg: dict, pwm: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Build the train/valid/test arrays for one TF.

    Parameters
    ----------
    row : dict
        The TF's sample-sheet row: ``name``, ``source``, ``train``, ``test``.
    data_cfg : dict
        The ``data`` section of the config (``seq_len``, ``valid_fraction``, ``test_fraction``,
        ``max_train``, ``seed``, ``synthetic``).
    pwm : numpy.ndarray, optional
        (4, w) motif to plant, required for ``synthetic``.

    Returns
    -------
    dict
        ``{split}_codes`` (n, L) uint8 and ``{split}_y`` (n,) for split in train/valid/test; for synthetic
        also ``{split}_motif_start`` and ``{split}_motif_strand``.
    """
    source, seed, length = row["source"], int(data_cfg.get("seed", 1)), int(data_cfg.get("seq_len", 101))
    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}", field="source")
    out: dict[str, np.ndarray] = {}
    if source == "synthetic":
        syn = data_cfg.get("synthetic", {})
        rate = float(syn.get("motif_rate", 1.0))
        for i, (split, n) in enumerate((("train", int(syn.get("n_train", 2000))),
                                        ("test", int(syn.get("n_test", 500))))):
            bg = markov_background(n, length, random_state=[seed, i])
            pos, start, strand = plant_motifs(bg, pwm, rate, random_state=[seed, i, 1])
            codes, y = add_shuffled_negatives(pos, np.random.default_rng([seed, i, 2]))
            out[f"{split}_codes"], out[f"{split}_y"] = codes, y
            out[f"{split}_motif_start"] = np.repeat(start, 2) * np.tile([1, 0], n) - np.tile([0, 1], n)
            out[f"{split}_motif_strand"] = np.repeat(strand, 2) * np.tile([1, 0], n).astype(np.int8)
        train_path = test_path = None
    else:
        train_path = Path(row["train"])
        train = _read(source, train_path, length)
        codes, y = _labelled(train, seed)
        if data_cfg.get("max_train"):  # file order: DeepBind ranks peaks, our negatives follow their positive
            codes, y = codes[: int(data_cfg["max_train"])], y[: int(data_cfg["max_train"])]
        if row.get("test"):
            test_path = Path(row["test"])
            out["test_codes"], out["test_y"] = _labelled(_read(source, test_path, length), seed + 1)
            out["train_codes"], out["train_y"] = codes, y
        else:
            test_path = train_path
            keep, held = group_split(shuffle_groups(codes), float(data_cfg.get("test_fraction", 0.2)), seed + 2)
            out["test_codes"], out["test_y"] = codes[held], y[held]
            out["train_codes"], out["train_y"] = codes[keep], y[keep]
    keep, held = group_split(shuffle_groups(out["train_codes"]), float(data_cfg.get("valid_fraction", 0.1)), seed)
    for key in [k for k in out if k.startswith("train_")]:
        full = out[key]
        out[key], out[key.replace("train_", "valid_")] = full[keep], full[held]
    for split, path in (("train", train_path), ("valid", train_path), ("test", test_path)):
        _check_classes(out[f"{split}_y"], split, path)
    return out


def save_dataset(path: str | Path, arrays: dict[str, np.ndarray], **meta) -> None:
    """Write the arrays of :func:`prepare` (plus scalar metadata) to ``path`` (.npz) atomically."""
    extra = {f"meta_{k}": np.asarray(v) for k, v in meta.items()}
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays, **extra)


def load_split(path: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """One split of a prepared dataset as (N, 4, L) float32 one-hot and (N,) float32 labels."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    with np.load(path) as data:
        return codes_to_one_hot(data[f"{split}_codes"]), data[f"{split}_y"].astype(np.float32)


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a prepared dataset, as stored."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}

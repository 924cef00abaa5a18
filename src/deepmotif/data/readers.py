"""Readers for sequences that are already cut: DeepMotif FASTA, DeepBind ``.seq.gz``, Zeng-2016 ``.data``,
plain FASTA. Every reader validates as it goes and raises :class:`InputError` naming file and line.

A small line-tracking parser is used instead of Biopython's ``SimpleFastaParser`` because error messages
must carry the line number of the offending record, which Biopython does not expose.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepmotif.data.onehot import one_hot_encode
from deepmotif.errors import InputError
from deepmotif.progress import with_progress

VALID = set("ACGTNacgtn")


@dataclass
class Records:
    """Sequences read from one file, with the line each starts on (for later error messages)."""

    path: Path
    seqs: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def add(self, seq: str, label: int | None, name: str, line: int) -> None:
        self.seqs.append(seq)
        self.labels.append(-1 if label is None else label)
        self.names.append(name)
        self.lines.append(line)


def _open_text(path: Path):
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected a sequence file", path=path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt")
    return open(path, "rt")


def check_letters(seq: str, path: Path, line: int) -> None:
    """Raise unless ``seq`` holds only A, C, G, T, N (either case)."""
    bad = set(seq) - VALID
    if bad:
        raise InputError(f"sequence has characters other than A, C, G, T, N: {''.join(sorted(bad))!r}",
                         path=path, line=line)


def check_sequence(seq: str, path: Path, line: int, length: int | None) -> str:
    """Return ``seq`` upper-cased after checking its letters and, if given, its length."""
    check_letters(seq, path, line)
    if length is not None and len(seq) != length:
        raise InputError(f"sequence is {len(seq)} bp, expected {length} bp (config data.seq_len)",
                         path=path, line=line)
    return seq.upper()


def read_fasta(path: str | Path, length: int | None = None, label_headers: bool = False) -> Records:
    """Read a FASTA file (wrapped or not, gzip or not).

    Parameters
    ----------
    path : str or Path
        FASTA file.
    length : int, optional
        Required length of every sequence.
    label_headers : bool
        If True every header must be a class label, ``>1`` / ``>0`` (``> 1`` also accepted), as in
        DeepMotif's data files.

    Returns
    -------
    Records
    """
    path = Path(path)
    rec = Records(path)
    header, start, chunks = None, 0, []

    def flush():
        if header is None:
            return
        seq = check_sequence("".join(chunks), path, start, length)
        if not seq:
            raise InputError("record has an empty sequence", path=path, line=start)
        label = None
        if label_headers:
            text = header.strip()
            if text not in ("0", "1"):
                raise InputError(f"header must be a label '>1' or '>0', found '>{header}'", path=path,
                                 line=start)
            label = int(text)
        rec.add(seq, label, header.strip(), start)

    with _open_text(path) as fh:
        for n, raw in with_progress(fh, path):
            text = raw.strip()
            if not text:
                continue
            if text.startswith(">"):
                flush()
                header, start, chunks = text[1:], n, []
            elif header is None:
                raise InputError("sequence line before the first '>' header (not FASTA?)", path=path, line=n)
            else:
                check_letters(text, path, n)
                chunks.append(text)
    flush()
    if not rec.seqs:
        raise InputError("no sequences found (empty file?)", path=path)
    return rec


def _read_columns(path: Path, rows, columns: tuple[str, ...], length: int | None) -> Records:
    """Records from ``(line number, fields)`` rows whose fields are ``columns`` with ``name``, ``seq`` and
    ``label`` among them; checks column count, label and sequence and names the line of any error."""
    rec = Records(path)
    for n, cols in rows:
        if len(cols) != len(columns):
            raise InputError(f"expected {len(columns)} columns '{' '.join(columns)}', found {len(cols)}", path=path,
                             line=n)
        fields = dict(zip(columns, cols))
        label_key = next(c for c in columns if c in ("label", "Bound"))
        if fields[label_key] not in ("0", "1"):
            raise InputError(f"{label_key} must be 0 or 1, found {fields[label_key]!r}", path=path, line=n,
                             field=label_key)
        seq_key = "seq" if "seq" in fields else "sequence"
        name_key = "EventID" if "EventID" in fields else "name"
        rec.add(check_sequence(fields[seq_key], path, n, length), int(fields[label_key]), fields[name_key], n)
    if not rec.seqs:
        raise InputError("no sequences found (empty file?)", path=path)
    return rec


def read_deepbind(path: str | Path, length: int | None = None) -> Records:
    """Read a DeepBind ``*_AC.seq.gz`` / ``*_B.seq.gz`` file: tab-separated ``FoldID EventID seq Bound``."""
    path = Path(path)
    columns = ("FoldID", "EventID", "seq", "Bound")
    with _open_text(path) as fh:
        head = tuple(fh.readline().rstrip("\n").split("\t"))
        if head != columns:
            raise InputError(f"expected header '{' '.join(columns)}', found {' '.join(head)!r}", path=path, line=1)
        rows = ((n, raw.rstrip("\n").split("\t")) for n, raw in with_progress(fh, path, start=2) if raw.strip())
        return _read_columns(path, rows, columns, length)


def read_zeng(path: str | Path, length: int | None = None) -> Records:
    """Read a Zeng et al. 2016 ``.data`` file: whitespace-separated ``name sequence label`` per line."""
    path = Path(path)
    with _open_text(path) as fh:
        rows = ((n, raw.split()) for n, raw in with_progress(fh, path) if raw.strip())
        return _read_columns(path, rows, ("name", "sequence", "label"), length)


def to_arrays(rec: Records) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4, L) float32 one-hot and (N,) int labels (-1 where the file carries none)."""
    return one_hot_encode(rec.seqs), np.asarray(rec.labels, dtype=np.int64)

"""A downloaded genome (``.fa.gz``, gzip or BGZF) → a plain FASTA of the wanted chromosomes, its ``.fai``
index and a ``chrom.sizes`` of every contig of the original, in one streaming pass.

The FASTA is written uncompressed: pyfaidx then reads a window with one seek and one read, where a BGZF
file would cost a block decompression per window. The ``.fai`` is computed while writing (samtools faidx
layout: name, length, offset, bases per line, bytes per line), so the 3 GB file is not read a second time.
Lines are re-wrapped to a uniform width wherever the input's are not, as the index requires.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Iterable

import numpy as np

from deepmotif.errors import InputError
from deepmotif.io_utils import atomic_path


def _open_fasta(path: Path):
    if not path.is_file():
        raise InputError("genome file not found", path=path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def write_genome(src: str | Path, out: str | Path, chromosomes: Iterable[str] | None = None,
                 sizes: str | Path | None = None, width: int | None = None) -> dict[str, int]:
    """Stream ``src`` into an indexed plain FASTA holding only ``chromosomes``.

    Parameters
    ----------
    src : str or Path
        Genome FASTA, gzip/BGZF-compressed or plain. Record names are the first word of each header.
    out : str or Path
        Output FASTA; ``<out>.fai`` is written beside it. Both appear only when complete.
    chromosomes : iterable of str, optional
        Records to keep, in the input's order; None keeps every record. A name missing from ``src`` is an
        error naming it.
    sizes : str or Path, optional
        Output ``chrom.sizes`` (name, length) of every record of ``src``, kept or not: the peaks reader tells
        a contig that was left out (a counted drop) from one that is not in the genome at all (an error).
    width : int, optional
        Bases per line of the output; default: the width of the input's first sequence line.

    Returns
    -------
    dict
        Length of every kept record.
    """
    src, out = Path(src), Path(out)
    wanted = None if chromosomes is None else list(dict.fromkeys(chromosomes))
    with atomic_path(out) as tmp_fa, _open_fasta(src) as fin, open(tmp_fa, "wb") as fout:
        w = _Writer(fout, src, None if wanted is None else set(wanted), width)
        carry, line_base = b"", 0
        while True:
            block = fin.read(_BLOCK)
            if not block:
                break
            data = carry + block
            cut = data.rfind(b"\n")
            if cut < 0:  # no complete line yet
                carry = data
                continue
            carry, data = data[cut + 1:], data[:cut + 1]
            w.feed(data, line_base)
            line_base += data.count(b"\n")
        if carry:
            w.feed(carry + b"\n", line_base)
        w.close_record()
        if wanted is not None:
            missing = [c for c in wanted if c not in w.all_sizes]
            if missing:
                have = ", ".join(list(w.all_sizes)[:8]) + (", ..." if len(w.all_sizes) > 8 else "")
                raise InputError(f"chromosome(s) {', '.join(missing)} not in the genome (it has {have})",
                                 path=src, field="genome.chromosomes")
        if not w.kept:
            raise InputError("no sequences found (empty genome file?)", path=src)
        fout.flush()
        with atomic_path(Path(str(out) + ".fai")) as tmp_fai:
            tmp_fai.write_text("".join(w.fai_lines))
    if sizes is not None:
        with atomic_path(sizes) as tmp:
            tmp.write_text("".join(f"{n}\t{s}\n" for n, s in w.all_sizes.items()))
    return w.kept


_BLOCK = 1 << 23  # bytes of decompressed FASTA handled at a time


class _Writer:
    """State of :func:`write_genome`: the current record, the output line width, the index lines.

    Runs of complete, regular lines (all ``W`` bases) are written as they are in one call
    (:meth:`segment`); anything else (ragged widths, blank lines, CR) goes line by line through
    :meth:`line`, which re-wraps to ``W``."""

    def __init__(self, fout, src: Path, keep: set | None, width: int | None):
        self.fout, self.src, self.keep, self.W = fout, src, keep, width
        self.name, self.writing, self.length, self.offset, self.buf = None, False, 0, 0, b""
        self.all_sizes: dict[str, int] = {}
        self.kept: dict[str, int] = {}
        self.fai_lines: list[str] = []

    def feed(self, data: bytes, line_base: int) -> None:
        """Handle ``data``: whole lines; ``line_base`` lines of the input precede it."""
        pos, counted, lines_before = 0, 0, line_base
        n = len(data)
        while pos < n:
            if data[pos] == 0x3E:  # '>'
                end = data.index(b"\n", pos)
                lines_before += data.count(b"\n", counted, pos)
                counted = pos
                self.header(data[pos:end], lines_before + 1)
                pos = end + 1
                continue
            nxt = data.find(b"\n>", pos)
            seg_end = n if nxt < 0 else nxt + 1
            if self.name is None:
                if data[pos:seg_end].strip():
                    lines_before += data.count(b"\n", counted, pos)
                    raise InputError("sequence before the first '>' header (not FASTA?)", path=self.src,
                                     line=lines_before + 1)
            else:
                self.segment(data[pos:seg_end], record_ends=nxt >= 0)
            pos = seg_end

    def header(self, raw: bytes, lineno: int) -> None:
        self.close_record()
        try:
            name = raw[1:].split()[0].decode("ascii")
        except (IndexError, UnicodeDecodeError):
            raise InputError("FASTA header without a name", path=self.src, line=lineno) from None
        if name in self.all_sizes:
            raise InputError(f"duplicate sequence name {name!r}", path=self.src, line=lineno)
        self.name, self.length = name, 0
        self.writing = self.keep is None or name in self.keep
        if self.writing:
            self.fout.write(b">" + name.encode() + b"\n")
            self.offset = self.fout.tell()

    def segment(self, seg: bytes, record_ends: bool) -> None:
        """Complete sequence lines of the current record (no header among them)."""
        if not self.writing:
            self.length += len(seg) - seg.count(b"\n") - seg.count(b"\r") - seg.count(b" ")
            return
        W = self.W
        if W is None or self.buf or b"\r" in seg or b"\n\n" in seg or seg.startswith(b"\n"):
            for line in seg.split(b"\n")[:-1]:
                self.line(line)
            return
        arr = np.frombuffer(seg, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        lens = np.diff(nl, prepend=-1) - 1
        if not ((lens[:-1] == W).all() and 0 < lens[-1] <= W):
            for line in seg.split(b"\n")[:-1]:
                self.line(line)
            return
        last = int(lens[-1])
        if last == W or record_ends:
            self.fout.write(seg)
            self.length += len(seg) - len(nl)
        else:  # a short last line may only end a record: hold it until we know
            head = seg[: nl[-2] + 1] if len(nl) > 1 else b""
            self.fout.write(head)
            self.length += len(head) - (len(nl) - 1)
            self.line(seg[len(head):-1])

    def line(self, raw: bytes) -> None:
        """One sequence line, any width: counted and re-wrapped to ``W``."""
        seq = raw.strip()
        if not seq:
            return
        self.length += len(seq)
        if not self.writing:
            return
        if self.W is None:
            self.W = len(seq)
        W = self.W
        if not self.buf and len(seq) == W:
            self.fout.write(seq + b"\n")
            return
        self.buf += seq
        n_full = len(self.buf) // W
        if n_full:
            self.fout.write(b"".join(self.buf[i * W:(i + 1) * W] + b"\n" for i in range(n_full)))
            self.buf = self.buf[n_full * W:]

    def close_record(self) -> None:
        if self.name is None:
            return
        self.all_sizes[self.name] = self.length
        if self.writing:
            if self.buf:
                self.fout.write(self.buf + b"\n")
                self.buf = b""
            self.kept[self.name] = self.length
            self.fai_lines.append(f"{self.name}\t{self.length}\t{self.offset}\t{self.W}\t{self.W + 1}\n")
        self.name = None


def read_sizes(path: str | Path) -> dict[str, int]:
    """Contig lengths from a ``.fai`` index or a ``chrom.sizes`` file (first two columns)."""
    path = Path(path)
    out: dict[str, int] = {}
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    for n, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        cols = text.split("\t")
        if len(cols) < 2 or not cols[1].isdigit():
            raise InputError("expected 'name<TAB>length'", path=path, line=n)
        out[cols[0]] = int(cols[1])
    return out

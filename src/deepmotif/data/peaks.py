"""ENCODE narrowPeak files (BED6+4), read line by line so that every bad line is reported with its number.

Columns (https://genome.ucsc.edu/FAQ/FAQformat.html#format12): chrom, chromStart, chromEnd, name, score,
strand, signalValue, pValue, qValue, peak — ``peak`` is the summit's 0-based offset from chromStart, -1 when
not called. Both the UCSC uniform TFBS files (``wgEncodeAwgTfbs…UniPk.narrowPeak.gz``) and the ENCODE
portal's ``ENCFF….bed.gz`` peak files use it. ``track``/``browser``/``#`` lines and blank lines are skipped.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.errors import InputError
from deepmotif.progress import with_progress

COLUMNS = ("chrom", "chromStart", "chromEnd", "name", "score", "strand", "signalValue", "pValue", "qValue",
           "peak")
ON_BAD_LINE = ("error", "skip")
MAX_EXAMPLES = 20


def _open(path: Path):
    if not path.is_file():
        raise InputError("peak file not found", path=path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rt", encoding="ascii", errors="replace") if magic == b"\x1f\x8b" else \
        open(path, "rt", encoding="ascii", errors="replace")


def _int(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(field, f"{field} must be an integer, found {text!r}") from None


def _float(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(field, f"{field} must be a number, found {text!r}") from None
    if math.isnan(value):
        raise ValueError(field, f"{field} must be a number, found {text!r}")
    return value


def parse_line(cols: list[str], contigs=None) -> tuple:
    """Check and convert one narrowPeak line's columns.

    Raises
    ------
    ValueError
        ``(field, message)`` for the first problem found.
    """
    if len(cols) < 10:
        raise ValueError(None, f"expected 10 tab-separated narrowPeak columns, found {len(cols)}")
    chrom = cols[0]
    if not chrom:
        raise ValueError("chrom", "chrom is empty")
    if contigs is not None and chrom not in contigs:
        raise ValueError("chrom", f"unknown chromosome {chrom!r} (not in the genome)")
    start, end = _int(cols[1], "chromStart"), _int(cols[2], "chromEnd")
    if start < 0:
        raise ValueError("chromStart", f"chromStart must be >= 0, found {start}")
    if end <= start:
        raise ValueError("chromEnd", f"chromEnd ({end}) must be greater than chromStart ({start})")
    strand = cols[5] or "."
    if strand not in ("+", "-", "."):
        raise ValueError("strand", f"strand must be '+', '-' or '.', found {strand!r}")
    signal, p, q = (_float(cols[i], COLUMNS[i]) for i in (6, 7, 8))
    peak = _int(cols[9], "peak")
    if peak != -1 and not 0 <= peak < end - start:
        raise ValueError("peak", f"peak offset {peak} is outside the peak (0 to {end - start - 1}, or -1)")
    return chrom, start, end, cols[3], cols[4], strand, signal, p, q, peak


def read_narrowpeak(path: str | Path, contigs=None, on_bad_line: str = "error") -> tuple[pd.DataFrame, dict]:
    """Read a narrowPeak file (gzip or plain), checking every line.

    Parameters
    ----------
    path : str or Path
        The peak file.
    contigs : collection of str, optional
        Every contig of the genome; a peak elsewhere is a bad line ("unknown chromosome"). None skips the
        check.
    on_bad_line : {"error", "skip"}
        ``error``: the first bad line raises :class:`InputError` with the file, line number and field.
        ``skip``: bad lines are counted (and the first 20 listed) in the report and left out.

    Returns
    -------
    peaks : pandas.DataFrame
        One row per good line: the 10 narrowPeak columns plus ``line`` (1-based line number), in file order.
    report : dict
        ``lines`` (data lines seen), ``bad_lines``, ``bad_line_examples`` (``"line N: message"``).
    """
    if on_bad_line not in ON_BAD_LINE:
        raise InputError(f"on_bad_peak_line must be one of {', '.join(ON_BAD_LINE)}, got {on_bad_line!r}",
                         field="data.on_bad_peak_line")
    path = Path(path)
    contigs = None if contigs is None else set(contigs)
    rows, lines, bad, examples = [], [], 0, []
    n_data = 0
    with _open(path) as fh:
        for n, raw in with_progress(fh, path):
            text = raw.rstrip("\r\n")
            if not text.strip() or text.startswith(("#", "track", "browser")):
                continue
            n_data += 1
            try:
                rows.append(parse_line(text.split("\t"), contigs))
                lines.append(n)
            except ValueError as err:
                field, message = err.args
                if on_bad_line == "error":
                    raise InputError(message + " (set data.on_bad_peak_line: skip to count and skip such "
                                     "lines)", path=path, line=n, field=field) from None
                bad += 1
                if len(examples) < MAX_EXAMPLES:
                    examples.append(f"line {n}: {message}")
    if not rows:
        raise InputError("no peaks found" + (f" ({bad} bad lines skipped)" if bad else " (empty file?)"),
                         path=path)
    peaks = pd.DataFrame(rows, columns=list(COLUMNS))
    peaks["line"] = np.asarray(lines, dtype=np.int64)
    return peaks, {"lines": n_data, "bad_lines": bad, "bad_line_examples": examples}

"""MEME motif format: read every variant MEME and JASPAR write, write the minimal format.

Reads the minimal MEME format of MEME 3.0 to 5.5 (``ALPHABET=`` line or a DNA ``ALPHABET ... END ALPHABET``
block, optional ``strands:``, ``Background letter frequencies``, ``URL`` and ``BL`` lines, ``log-odds matrix``
blocks) and complete MEME text output (``meme.txt``), from which only the ``letter-probability matrix`` blocks
are taken. Matrices are returned as (4, w) float64 arrays, rows A, C, G, T.

A small line-tracking parser is used instead of Biopython's ``Bio.motifs`` 'minimal' reader because (1)
error messages must carry the line number, which Biopython does not expose, (2) it keeps only the first
word of the ``MOTIF`` line and drops the alternate name (``MOTIF MA0004.1 Arnt``), and (3) it fails on
complete MEME text output (``crp0.meme.txt``: "could not convert string to float: 'model'").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepmotif.errors import InputError
from deepmotif.io_utils import atomic_path

LETTERS = "ACGT"
#: largest tolerated deviation of a matrix row sum from 1 before it is an error (MEME's limit too)
ROW_SUM_TOLERANCE = 0.1
#: rows whose sum is off 1 by more than this are renormalised; closer ones are kept as written, as MEME does
#: (``normalize_motif(motif, 0.00001)``), so ties between equal printed values break the same way
ROW_RENORMALISE_TOLERANCE = 1e-5

_KEY_VALUE = re.compile(r"([A-Za-z_]+)\s*=\s*(\S+)")


@dataclass(eq=False)
class Motif:
    """One motif.

    Attributes
    ----------
    id : str
        Identifier: first word after ``MOTIF`` (MEME reports this as Query_ID / Target_ID).
    name : str
        Alternate name: second word after ``MOTIF``, or ``""``.
    pwm : numpy.ndarray
        (4, w) float64 letter-probability matrix, rows A, C, G, T; each column sums to 1 (within 1e-5).
    nsites : int or None
        ``nsites=`` of the matrix header, None when absent.
    """

    id: str
    name: str
    pwm: np.ndarray
    nsites: int | None = None

    @property
    def width(self) -> int:
        """Number of motif positions."""
        return int(self.pwm.shape[1])


def read_meme(path: str | Path) -> list[Motif]:
    """Read all motifs of a MEME motif file, in file order.

    Parameters
    ----------
    path : str or Path
        MEME minimal-format file or complete MEME text output.

    Returns
    -------
    list of Motif

    Raises
    ------
    InputError
        Missing/empty file, non-DNA alphabet, malformed matrix header or row, row count different from
        ``w=``, row sums off 1 by more than :data:`ROW_SUM_TOLERANCE`, duplicate motif id, no motif at all.
    """
    path = Path(path)
    motifs, _ = _parse(path)
    return motifs


def read_background(path: str | Path) -> np.ndarray | None:
    """Return the ``Background letter frequencies`` of a MEME file as a length-4 array (A, C, G, T).

    Returns None when the file has no background line (MEME then uses a uniform background).
    """
    _, background = _parse(Path(path))
    return background


def write_meme(path: str | Path, motifs: list[Motif], background: np.ndarray | None = None) -> None:
    """Write motifs in the minimal MEME format (readable by MEME's tools, e.g. ``tomtom``), atomically.

    Parameters
    ----------
    path : str or Path
        Output file.
    motifs : list of Motif
        Motifs to write; ids must be unique and free of whitespace.
    background : array-like of 4 floats, optional
        Background letter frequencies (A, C, G, T); default uniform.
    """
    text = format_meme(motifs, background)
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def format_meme(motifs: list[Motif], background: np.ndarray | None = None) -> str:
    """Return the minimal MEME format text that :func:`write_meme` writes."""
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=float)
    if bg.shape != (4,) or not np.all(np.isfinite(bg)) or np.any(bg <= 0) or abs(bg.sum() - 1) > 1e-3:
        raise InputError(f"background must be 4 positive frequencies summing to 1, got {bg.tolist()}",
                         field="background")
    out = ["MEME version 5", "", f"ALPHABET= {LETTERS}", "", "strands: + -", "",
           "Background letter frequencies",
           " ".join(f"{a} {p:.6f}" for a, p in zip(LETTERS, bg)), ""]
    seen: set[str] = set()
    for motif in motifs:
        _check_motif_for_writing(motif, seen)
        pwm = np.asarray(motif.pwm, dtype=float)
        nsites = "" if motif.nsites is None else f" nsites= {int(motif.nsites)}"
        out.append(f"MOTIF {motif.id} {motif.name}".rstrip())
        out.append(f"letter-probability matrix: alength= 4 w= {pwm.shape[1]}{nsites} E= 0")
        out.extend(" ".join(f"{p:.6f}" for p in column) for column in pwm.T)
        out.append("")
    return "\n".join(out) + "\n"


def _check_motif_for_writing(motif: Motif, seen: set[str]) -> None:
    if not motif.id or any(c.isspace() for c in motif.id):
        raise InputError(f"motif id must be non-empty without whitespace, got {motif.id!r}", field="id")
    if any(c.isspace() for c in motif.name):
        raise InputError(f"motif {motif.id}: name must not contain whitespace, got {motif.name!r}", field="name")
    if motif.id in seen:
        raise InputError(f"duplicate motif id {motif.id!r}", field="id")
    seen.add(motif.id)
    pwm = np.asarray(motif.pwm)
    if pwm.ndim != 2 or pwm.shape[0] != 4 or pwm.shape[1] == 0:
        raise InputError(f"motif {motif.id}: pwm must have shape (4, w >= 1), got {pwm.shape}", field="pwm")
    if not np.all(np.isfinite(pwm)) or np.any(pwm < 0):
        raise InputError(f"motif {motif.id}: pwm has negative or non-finite values", field="pwm")


# ---------------------------------------------------------------------------------------------- parsing


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected a MEME motif file", path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not a text file (byte {err.start} is not UTF-8)", path=path) from err
    if not text.strip():
        raise InputError("file is empty, expected MEME motifs", path=path)
    return text.splitlines()


def _parse(path: Path) -> tuple[list[Motif], np.ndarray | None]:
    lines = _read_lines(path)
    motifs: list[Motif] = []
    ids: set[str] = set()
    background: np.ndarray | None = None
    seen_version = False
    current: tuple[str, str, int] | None = None  # (id, name, line) of a MOTIF without matrix yet
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        lineno = i + 1
        if not line:
            pass
        elif line.startswith("MEME version"):
            seen_version = True
        elif line.startswith("ALPHABET"):
            i = _check_alphabet(lines, i, path)
        elif line.startswith("Background letter frequencies"):
            background = _parse_background(lines, i, path)
        elif line.split(maxsplit=1)[0] == "MOTIF":
            if not seen_version:
                raise InputError("MOTIF before the 'MEME version' header: not a MEME motif file",
                                 path=path, line=lineno)
            if current is not None:
                raise InputError(f"motif {current[0]!r} has no letter-probability matrix before the next MOTIF "
                                 f"(line {lineno})", path=path, line=current[2])
            fields = line.split()
            if len(fields) < 2:
                raise InputError("MOTIF line without an identifier", path=path, line=lineno)
            # MEME's rule: the second word is an alternate name unless it holds or precedes '='
            # ('MOTIF 1 width=18' or 'MOTIF 1 width = 18' in old MEME text output)
            name = ""
            if len(fields) > 2 and "=" not in fields[2] and not (len(fields) > 3 and fields[3].startswith("=")):
                name = fields[2]
            current = (fields[1], name, lineno)
        elif line.startswith("letter-probability matrix"):
            if current is None:
                raise InputError("letter-probability matrix without a preceding MOTIF line", path=path,
                                 line=lineno)
            pwm, nsites, i = _parse_matrix(lines, i, path, current[0])
            if current[0] in ids:
                raise InputError(f"duplicate motif id {current[0]!r}", path=path, line=current[2])
            ids.add(current[0])
            motifs.append(Motif(id=current[0], name=current[1], pwm=pwm, nsites=nsites))
            current = None
            continue
        i += 1
    if current is not None:
        raise InputError(f"motif {current[0]!r} has no letter-probability matrix", path=path, line=current[2])
    if not motifs:
        if not seen_version:
            raise InputError("no 'MEME version' header: not a MEME motif file", path=path)
        raise InputError("no motifs found (no 'MOTIF' with a 'letter-probability matrix')", path=path)
    return motifs, background


def _check_alphabet(lines: list[str], i: int, path: Path) -> int:
    """Check an ``ALPHABET= ACGT`` line or a custom ``ALPHABET ... END ALPHABET`` block is DNA.

    Returns the index of the last line consumed.
    """
    line = lines[i].strip()
    if line.startswith("ALPHABET="):
        letters = line[len("ALPHABET="):].strip()
        if letters.upper() != LETTERS:
            raise InputError(f"alphabet {letters!r} is not DNA (expected 'ALPHABET= ACGT')", path=path,
                             line=i + 1)
        return i
    # MEME >= 4.11 custom alphabet definition: core symbols are single letters or complement pairs 'A~T';
    # lines with '=' define ambiguity codes (e.g. 'N = ACGT') and are not core symbols.
    core: set[str] = set()
    j = i + 1
    while j < len(lines) and not lines[j].strip().startswith("END ALPHABET"):
        body = lines[j].split("#", 1)[0].strip()
        if body and "=" not in body:  # 'A "Adenine" CC0000 ~ T "Thymine" 008000', 'A~T' or 'X "name"'
            for part in body.split("~"):
                symbol = part.split()[0] if part.split() else ""
                if len(symbol) == 1:
                    core.add(symbol.upper())
        j += 1
    if j == len(lines):
        raise InputError("ALPHABET block without 'END ALPHABET'", path=path, line=i + 1)
    if core != set(LETTERS):
        raise InputError(f"alphabet with core symbols {''.join(sorted(core))!r} is not DNA (ACGT)",
                         path=path, line=i + 1)
    return j


def _parse_background(lines: list[str], i: int, path: Path) -> np.ndarray | None:
    """Parse the ``A p C p G p T p`` line(s) after a ``Background letter frequencies`` line."""
    tokens: list[str] = []
    j = i + 1
    while j < len(lines) and not lines[j].strip():  # MEME skips blank lines here
        j += 1
    first = j
    while j < len(lines) and lines[j].strip() and len(tokens) < 8:
        tokens += lines[j].split()
        j += 1
    if len(tokens) < 8:
        raise InputError("background frequencies must be 'A p C p G p T p'", path=path,
                         line=min(first, len(lines)) + 1)
    freqs = {}
    for letter, value in zip(tokens[0:8:2], tokens[1:8:2]):
        try:
            freqs[letter.upper()] = float(value)
        except ValueError:
            raise InputError(f"background frequency {value!r} is not a number", path=path,
                             line=first + 1) from None
    if set(freqs) != set(LETTERS):
        raise InputError(f"background letters {''.join(freqs)!r} are not A, C, G, T", path=path, line=first + 1)
    bg = np.array([freqs[a] for a in LETTERS])
    if np.any(bg <= 0) or abs(bg.sum() - 1) > ROW_SUM_TOLERANCE:
        raise InputError("background frequencies must be positive and sum to 1", path=path, line=first + 1)
    return bg / bg.sum()


def _parse_matrix(lines: list[str], i: int, path: Path, motif_id: str) -> tuple[np.ndarray, int | None, int]:
    """Parse a ``letter-probability matrix:`` header at ``lines[i]`` and its rows.

    Returns (pwm (4, w), nsites, index of the first line after the matrix).
    """
    header = dict(_KEY_VALUE.findall(lines[i]))
    lineno = i + 1
    width = None  # without w= the rows run to the first blank or non-numeric line, as MEME reads them
    if "w" in header:
        width = _header_int(header["w"], "w", path, lineno)
        if width < 1:
            raise InputError(f"motif {motif_id}: w= must be at least 1", path=path, line=lineno)
    alength = _header_int(header.get("alength", "4"), "alength", path, lineno)
    if alength != 4:
        raise InputError(f"motif {motif_id}: alength= {alength} is not DNA (expected 4)", path=path, line=lineno)
    nsites = None
    if "nsites" in header:
        try:
            nsites = int(float(header["nsites"]))
        except ValueError:
            raise InputError(f"nsites= {header['nsites']!r} is not a number", path=path, line=lineno) from None
    rows: list[list[float]] = []
    row_lines: list[int] = []
    j = i + 1
    while width is None or len(rows) < width:
        if j == len(lines):
            if width is None:
                break
            raise InputError(f"motif {motif_id}: file ends after {len(rows)} of w= {width} matrix rows",
                             path=path, line=j)
        body = lines[j].strip()
        if not body and width is None:
            break
        if body:
            values = _parse_row(body)
            if values is None and _parse_row(body.split()[0]) is not None:
                bad = next(v for v in body.split() if _parse_row(v) is None)
                raise InputError(f"motif {motif_id}: matrix value {bad!r} is not a number", path=path,
                                 line=j + 1)
            if values is None and width is None:
                break
            if values is None:
                raise InputError(f"motif {motif_id}: expected matrix row {len(rows) + 1} of w= {width} "
                                 f"(4 numbers), got {body[:60]!r}", path=path, line=j + 1)
            if len(values) != 4:
                raise InputError(f"motif {motif_id}: matrix row has {len(values)} values, expected 4 (A C G T)",
                                 path=path, line=j + 1)
            rows.append(values)
            row_lines.append(j + 1)
        j += 1
    if not rows:
        raise InputError(f"motif {motif_id}: letter-probability matrix has no rows", path=path, line=lineno)
    # one more numeric row after w rows means the w= header is wrong
    k = j
    while k < len(lines) and not lines[k].strip():
        k += 1
    if width is not None and k < len(lines) and _parse_row(lines[k].strip()) is not None:
        raise InputError(f"motif {motif_id}: matrix has more rows than w= {width} (line {lineno})", path=path,
                         line=k + 1)
    return _check_rows(np.array(rows, dtype=np.float64), row_lines, path, motif_id).T.copy(), nsites, j


def _header_int(value: str, key: str, path: Path, lineno: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{key}= {value!r} is not an integer", path=path, line=lineno) from None


def _parse_row(body: str) -> list[float] | None:
    """Numbers of a matrix row, or None when the line is not made of numbers."""
    try:
        return [float(v) for v in body.split()]
    except ValueError:
        return None


def _check_rows(rows: np.ndarray, row_lines: list[int], path: Path, motif_id: str) -> np.ndarray:
    """Check a (w, 4) matrix row by row; return it with rows off 1 by more than 1e-5 renormalised."""
    bad = ~np.isfinite(rows).all(axis=1) | (rows < 0).any(axis=1)
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"motif {motif_id}: probabilities must be finite and >= 0, got {rows[k].tolist()}",
                         path=path, line=row_lines[k])
    totals = rows.sum(axis=1)
    off = np.abs(totals - 1) > ROW_SUM_TOLERANCE
    if off.any():
        k = int(np.argmax(off))
        raise InputError(f"motif {motif_id}: row sums to {totals[k]:.4g}, expected 1 (letter probabilities)",
                         path=path, line=row_lines[k])
    rescale = np.abs(totals - 1) > ROW_RENORMALISE_TOLERANCE
    rows[rescale] /= totals[rescale, None]
    return rows

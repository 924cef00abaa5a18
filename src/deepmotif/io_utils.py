"""Atomic writes (a killed job must never leave an output that looks complete), and reads of the
workflow's intermediate files that turn a damaged one into one clear line naming it and how to redo it."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np

from deepmotif.errors import InputError, WriteError, write_failure
from deepmotif.outputs import folder_lock, register_output


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Parameters
    ----------
    path : str or Path
        Final output path. Its parent folder is created.
    suffix : str, optional
        Suffix of the temporary file (some writers look at it, e.g. ``.npz``); default: that of ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp",
                                   dir=path.parent)
    except OSError as err:
        blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocking:
            raise WriteError(f"cannot write output: {blocking} is a file, not a folder", path=path) from None
        raise write_failure(err, path) or WriteError(f"cannot write output: {err.strerror}", path=path) from None
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual umask permissions
        with folder_lock(path.parent):
            os.replace(tmp, path)
            register_output(path)
    except OSError as err:
        # a full disk, a quota or lost permissions while writing: one line naming the output, never a trace
        # (an error naming another file, e.g. an input read in the block, names that file)
        named = err.filename and Path(err.filename) != tmp
        failure = write_failure(err, err.filename if named else path)
        if failure is None:
            raise
        raise failure from None
    except RuntimeError:  # torch.save reports a full disk as "[enforce fail ...] unexpected pos …"
        if not _nearly_full(path.parent):
            raise
        raise write_failure(OSError(errno.ENOSPC, "no space left"), path) from None
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; if the block succeeds, it replaces ``path`` (and the
    folder there before) as a whole, so that a killed job never leaves a half-written folder that looks
    complete. The folder gets one provenance record; the files written into it get none.

    Parameters
    ----------
    path : str or Path
        Final folder. Its parent folder is created.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as err:
        raise write_failure(err, path) or WriteError(f"cannot write output: {err.strerror}", path=path) from None
    old = tmp.with_name(tmp.name + ".old")
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        with folder_lock(path.parent):
            if path.is_dir() and not path.is_symlink():
                os.replace(path, old)  # a folder cannot be renamed onto a non-empty one
            elif path.exists() or path.is_symlink():
                path.unlink()
            os.replace(tmp, path)
            register_output(path)
    except OSError as err:
        # as in atomic_path: a full disk, a quota or lost permissions is one line naming the file (an input
        # read in the block names that input, a file of the folder the folder); anything else is raised as is
        named = err.filename and not Path(err.filename).is_relative_to(tmp)
        failure = write_failure(err, err.filename if named else path)
        if failure is None:
            raise
        raise failure from None
    finally:
        for leftover in (tmp, old):
            shutil.rmtree(leftover, ignore_errors=True)


def save_figure(fig, paths: dict[str, str | Path | None], dpi: int, svg_metadata: dict | None = None) -> None:
    """Save a matplotlib figure atomically once per format of ``paths`` (format → file; None: not wanted);
    ``svg_metadata`` is the SVG's metadata (``{"Date": None}``: no creation date). The caller closes it."""
    for fmt, path in paths.items():
        if path:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=svg_metadata if fmt == "svg" else None)


def _nearly_full(folder: Path, margin: int = 1 << 20) -> bool:
    """Whether the file system of ``folder`` has less than ``margin`` bytes left for this user."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < margin


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: str | Path, name: str) -> list[Path]:
    """Delete temporaries of ``name`` that :func:`atomic_path` left in ``folder`` when a job was killed
    (SIGKILL skips clean-up). Returns what was removed."""
    folder = Path(folder)
    stale = list(folder.glob(f".{name}.*")) if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_tsv(path: str | Path, frame) -> None:
    """Write a pandas DataFrame as TSV to ``path`` atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False)


def read_json_object(path: str | Path, what: str = "JSON file") -> dict:
    """Read a JSON object (e.g. a ``metrics.json``); a missing, unreadable or non-object file is one
    :class:`InputError` naming it as ``what``."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=path) from None
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"unreadable {what} ({err})", path=path) from None
    if not isinstance(obj, dict):
        raise InputError(f"{what} must hold a JSON object", path=path)
    return obj


def _json_default(obj):
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


#: the workflow rule that writes each intermediate file, by file name (``metrics.json`` and ``best.pt``: see
#: :func:`producer_rule`); names the rule in the message about a damaged or unusable intermediate file
PRODUCERS = {"data.npz": "prepare", "qc.json": "prepare_encode", "saliency.npz": "interpret",
             "interpret.npz": "interpret", "last.pt": "train", "motifs.meme": "motifs", "windows.npz": "motifs",
             "cwm.npz": "motifs", "filters.meme": "filter_motifs", "tomtom_hits.tsv": "match",
             "motif_matches.tsv": "match"}


def producer_rule(path: str | Path) -> str | None:
    """The workflow rule that writes ``path`` (an intermediate file of ``results/``), or None."""
    path = Path(path)
    if path.name in ("metrics.json", "best.pt"):
        if path.parent.name == "pwm":
            return "pwm_baseline"
        return "train" if path.parent.parent.name == "sizes" else "select_size"
    return PRODUCERS.get(path.name)


def redo_hint(path: str | Path) -> str | None:
    """How to redo an intermediate file the workflow writes (None for any other file)."""
    rule = producer_rule(path)
    return f"to redo it: snakemake --forcerun {path} (rule {rule})" if rule else None


#: what numpy and zipfile raise on reading a truncated or damaged ``.npz``
_NPZ_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError)


class _CheckedNpz:
    """An open ``.npz`` whose reads turn a damaged member or a missing array into :class:`InputError`."""

    def __init__(self, npz, path):
        self._npz, self._path = npz, path
        self.files = npz.files

    def __contains__(self, key) -> bool:
        return key in self.files

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.files:
            raise InputError(f"has no array {key!r} (written by another command or version)", path=self._path)
        try:
            return self._npz[key]
        except _NPZ_DAMAGE as err:
            raise _damaged(self._path, err) from None


def _damaged(path, err: Exception) -> InputError:
    return InputError(f"damaged or truncated file ({type(err).__name__}: {str(err)[:80]})", path=path)


@contextlib.contextmanager
def open_npz(path: str | Path):
    """``numpy.load`` of an ``.npz`` that a job wrote: a missing, truncated or damaged file (a killed copy, a
    disk that filled up earlier), or a missing array, is one :class:`InputError` naming it."""
    try:
        npz = np.load(path)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except _NPZ_DAMAGE as err:
        raise _damaged(path, err) from None
    with npz:
        yield _CheckedNpz(npz, path)


def read_tables(tables: list[str | Path]):
    """TSV tables with the same columns (the tables of all TFs) as one pandas DataFrame."""
    import pandas as pd

    frames = []
    for f in tables:
        try:
            frames.append(pd.read_csv(f, sep="\t"))
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise InputError(f"unreadable table ({err})", path=f) from None
    return pd.concat(frames, ignore_index=True)


def concat_tables(tables: list[str | Path], out: str | Path) -> None:
    """Concatenate TSV tables with the same columns into ``out`` (the tables of all TFs)."""
    write_tsv(out, read_tables(tables))

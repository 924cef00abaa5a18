"""The outputs this process has written, and the lock under which one is renamed into place.

:func:`deepmotif.io_utils.atomic_path` registers each output here as it lands, and
:func:`deepmotif.provenance.write_provenance` reads the register to write one record per output. Both import
this module and it imports neither, so writing files and describing them never import each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

#: the folder beside an output that holds its provenance record
FOLDER = "provenance"
_written: dict[Path, tuple[int, int, int] | None] = {}  # output → identity of the file this process put there


def record_path(output: str | Path) -> Path:
    """Where the provenance record of ``output`` lives."""
    output = Path(output)
    return output.parent / FOLDER / f"{output.name}.json"


@contextlib.contextmanager
def folder_lock(folder: str | Path):
    """An exclusive ``flock`` on ``folder`` for the block: outputs' renames and their records' writes in one
    folder happen one process at a time. Where the file system cannot lock (some network file systems),
    the block runs unlocked."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Device, inode and modification time of ``path`` (None if it is gone): tells one file from its
    replacement."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


def register_output(path: str | Path) -> None:
    """Note that ``path`` was just renamed into place by this process (called by
    :func:`deepmotif.io_utils.atomic_path` under :func:`folder_lock`), and drop the record of the file it
    replaced: that record describes another run."""
    path = Path(path)
    if path.parent.name != FOLDER:
        _written[path] = _identity(path)
        record_path(path).unlink(missing_ok=True)


def forget_outputs() -> None:
    """Start a new command: outputs registered before are no longer this command's (``main`` called twice in
    one process, as tests do, must not record the first call's outputs under the second)."""
    _written.clear()


def written_outputs() -> list[Path]:
    """Outputs registered so far in this process, each once, in the order first written."""
    return list(_written)


def still_ours(path: Path) -> bool:
    """Whether the registered output ``path`` is still the file this process put there (not replaced since by
    another run); call under :func:`folder_lock` on its folder."""
    return _written[path] is not None and _identity(path) == _written[path]

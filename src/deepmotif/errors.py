"""The one exception type that turns bad input into a single clear message on the command line."""

from __future__ import annotations

import errno
from pathlib import Path

#: errors of writing an output, each with what the user can do about it
WRITE_FAILURES = {
    errno.ENOSPC: ("no space left on device", "free space on that file system, or write the results elsewhere "
                   "(snakemake --directory DIR), then rerun"),
    errno.EDQUOT: ("disk quota exceeded", "free space within your quota, or write the results elsewhere "
                   "(snakemake --directory DIR), then rerun"),
    errno.EACCES: ("permission denied", "make the folder writable for you, or write the results elsewhere"),
    errno.EPERM: ("operation not permitted", "make the folder writable for you, or write the results elsewhere"),
    errno.EROFS: ("read-only file system", "write the results to a writable file system (snakemake --directory "
                  "DIR)"),
}


class InputError(ValueError):
    """Bad user input: names the file and, where known, the line and field.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or Path, optional
        The offending file.
    line : int, optional
        1-based line number in ``path``.
    field : str, optional
        Column, key or record field.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 field: str | None = None):
        self.message, self.path, self.line, self.field = message, path, line, field
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f", line {line}"
            if field is not None:
                where += f", field '{field}'"
            where += ": "
        elif field is not None:
            where = f"field '{field}': "
        super().__init__(where + message)


class WriteError(InputError):
    """An output that cannot be written (full disk, quota, permissions, read-only file system): the file
    named is the output, so no "redo the job that made it" hint applies; the message says what to do."""


def write_failure(err: OSError, path: str | Path | None = None) -> InputError | None:
    """A write error of :data:`WRITE_FAILURES` as one :class:`InputError` naming the file (``path``, else the
    one the error names) with what happened and what to do; None for any other error."""
    if err.errno not in WRITE_FAILURES:
        return None
    what, todo = WRITE_FAILURES[err.errno]
    return WriteError(f"cannot write: {what}; {todo}", path=path or err.filename)

"""The one exception type that turns bad input into a single clear message on the command line."""

from __future__ import annotations

from pathlib import Path


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

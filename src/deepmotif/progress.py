"""Progress on standard error for the steps of ``prepare`` that take long on big inputs (a million peaks, half
a million sequences), silent on small ones: the lines of a file being read every few seconds, and each
long step's time once it is done."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator

#: seconds between two progress lines of a file being read
EVERY = 5.0
#: a step shorter than this is not reported
LONG = 2.0


def report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def with_progress(lines: Iterable[str], path: Path, every: float = EVERY,
                  start: int = 1) -> Iterator[tuple[int, str]]:
    """``enumerate(lines, start)``, reporting ``reading <file>: N lines (x of y MB)`` every ``every`` seconds
    while a big file is read (a small one finishes before the first report), and the total at the end of
    one that was reported on."""
    size, began = _size_mb(path), time.monotonic()
    due, n = began + every, start - 1

    def line(what: str) -> None:
        mb = _read_mb(lines)
        of = f" ({mb:,.0f} of {size:,.0f} MB)" if mb is not None and size else ""
        report(f"reading {path.name}: {n - start + 1:,} lines{of}{what}")

    for n, text in enumerate(lines, start=start):
        if not n & 4095 and time.monotonic() >= due:
            line("")
            due = time.monotonic() + every
        yield n, text
    if due > began + every:
        line(f", done in {time.monotonic() - began:.0f} s")


@contextlib.contextmanager
def step(what: str, long: float = LONG) -> Iterator[dict]:
    """Time the block and report ``<what>[: <detail>] in N s`` if it took ``long`` seconds or more; the
    block may set ``detail`` in the dict it gets (e.g. how many windows it cut)."""
    began, note = time.monotonic(), {"detail": ""}
    yield note
    seconds = time.monotonic() - began
    if seconds >= long:
        report(f"{what}{': ' + note['detail'] if note['detail'] else ''} in {seconds:.0f} s")


def _size_mb(path: Path) -> float | None:
    try:
        return os.path.getsize(path) / 1e6
    except OSError:
        return None


def _read_mb(fh) -> float | None:
    """How far into its file (compressed bytes for gzip) the text stream ``fh`` has read, in MB."""
    raw = getattr(getattr(fh, "buffer", None), "fileobj", None) or getattr(fh, "buffer", None)
    try:
        return raw.tell() / 1e6
    except (AttributeError, OSError, ValueError):
        return None

"""Shared test fixtures: where ../shared/data is, a persistent numba cache, tiny configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
# memelite's Tomtom kernels compile once (~60 s) into this cache and are reused by every test and job.
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data not present (test data is kept outside the repo)")


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data not present (test data is kept outside the repo)")
    return SHARED

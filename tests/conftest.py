"""Shared test fixtures: where ../shared/data is, a persistent numba cache, tiny configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

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


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors: a second intra-op thread only adds synchronisation (and stalls on a busy machine).
    Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class LinearModel(torch.nn.Module):
    """A hand-built model whose score is linear in the one-hot input: sum of W (4, L) at the bases present.
    Every attribution of it is known exactly (ISM of a base = the difference of its W entries)."""

    def __init__(self, W):
        super().__init__()
        self.W = torch.nn.Parameter(torch.tensor(W))

    def forward(self, x):
        return (x * self.W).sum(dim=(1, 2))

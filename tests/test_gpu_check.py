"""benchmarks/gpu_check.sh (the GPU check of issue #18) runs end to end: here on the CPU with a small subset
of DeMo's GATA1 set, as no GPU is at hand in CI; on a GPU it is run as it is, without --small."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, needs_shared

from deepmotif.architectures import ARCHITECTURES


@needs_shared
def test_gpu_check_runs_on_a_small_subset_and_writes_its_table_to_out(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path / "out"), "PYTHON": sys.executable}
    run = subprocess.run([str(ROOT / "benchmarks" / "gpu_check.sh"), "--device", "cpu", "--small", "300",
                          "--n-interpret", "8", "--threads", "1"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:-2]}
    assert list(rows) == list(ARCHITECTURES)
    for arch, cols in rows.items():
        auroc_device, auroc_cpu = float(cols[3]), float(cols[4])
        assert 0 <= auroc_device <= 1 and auroc_device == auroc_cpu  # the CPU is the device here
        assert all(float(t) > 0 for t in cols[-3:])  # saliency, ISM, DeepLIFT seconds
    sizes = lines[-2]  # the CNN's sizes trained one by one and together in one job
    assert sizes.startswith("cnn sizes small, medium, large") and float(sizes.split("ratio ")[1]) > 0
    assert lines[-1].endswith("yes")
    assert (Path(env["OUT"]) / "gpu_check.txt").read_text() == run.stdout

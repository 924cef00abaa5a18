"""Size of the job graph at the full benchmark's scale: for the first 25, 100 and all 690 experiments of
config/tfs_encode_uniform.tsv (with config/encode_hg19.yaml: 3 architectures in 3 sizes each), a dry run of
the SLURM profile, timed, and the number of jobs it would submit with sbatch:

* ``jobs``: every job of the plan but the target rule ``all`` (one sbatch each before grouping);
* ``submitted``: what the workflow submits now: each group job (``group: data``, ``group: motifs``) once, the
  workflow's ``localrules`` (the tables gathering all TFs, size selection, the JASPAR export) not at all;
* ``shared``: the same with ``resources.train_sizes_in_one_job`` (config/encode_uniform.yaml sets it): one
  GPU job per TF × architecture trains its 3 sizes, not one job per size.

Printed per size: TFs, DAG seconds, jobs, submitted, and the ratio submitted / jobs; then the shared plan's
GPU jobs (train + interpret) and submitted jobs.

Run from the repository root::

    .venv/bin/python benchmarks/job_graph.py [--sizes 25 100 690]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "config" / "tfs_encode_uniform.tsv"


def local_rules() -> set[str]:
    """The rules named in the Snakefile's ``localrules:`` block."""
    text = (ROOT / "workflow" / "Snakefile").read_text()
    block = re.search(r"^localrules:\n((?:    \w+,?\n)+)", text, flags=re.M).group(1)
    return set(re.findall(r"\w+", block))


def dry_run(n: int, work: Path, shared: bool = False) -> dict:
    lines = SHEET.read_text().splitlines(keepends=True)
    header = [i for i, line in enumerate(lines) if not line.startswith("#")][0]
    sheet = work / f"tfs_{n}.tsv"
    sheet.write_text("".join(lines[header:header + 1 + n]))
    override = work / f"tfs_{n}.yaml"
    override.write_text(f"tfs: {sheet}\n" + ("resources: {train_sizes_in_one_job: true}\n" if shared else ""))
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--dry-run", "--executor", "slurm", "--profile",
           "profiles/slurm", "--workflow-profile", "none", "--configfile", "config/encode_hg19.yaml", str(override)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"dry run of {n} TFs failed:\n{out[-3000:]}")
    stats = out.split("Job stats:", 1)[1]
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, flags=re.M)}
    jobs = counts.pop("total") - counts.get("all", 0)
    groups = len(re.findall(r"Group job \w+", out))
    grouped = len(re.findall(r"^ +rule \w+:$", out, flags=re.M))
    local = sum(c for rule, c in counts.items() if rule in local_rules() and rule != "all")
    gpu = sum(counts.get(rule, 0) for rule in ("train", "train_sizes", "interpret"))
    return {"tfs": n, "seconds": seconds, "jobs": jobs, "submitted": jobs - grouped - local + groups, "gpu": gpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[25, 100, 690])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(dry_run(n, Path(tmp)), dry_run(n, Path(tmp), shared=True)) for n in a.sizes]
    print(f"{'TFs':>5} {'DAG s':>7} {'jobs':>7} {'submitted':>10} {'ratio':>6} {'GPU jobs':>9} | shared: "
          f"{'GPU jobs':>9} {'submitted':>10}")
    for r, s in rows:
        print(f"{r['tfs']:>5} {r['seconds']:7.1f} {r['jobs']:>7} {r['submitted']:>10} "
              f"{r['submitted'] / r['jobs']:6.2f} {r['gpu']:>9} | {'':7} {s['gpu']:>9} {s['submitted']:>10}")


if __name__ == "__main__":
    main()

"""Size and build time of the report folder (``deepmotif report``) for many TFs, from synthetic inputs in a
temporary folder (no training): a sheet with cell line and lab, the AUROC, motif-match and motif tables of
the default architectures and methods, each method's discovered motifs with their CWM (``cwm.npz``) and a
best hit among 60 random JASPAR-like matrices, one dashboard PNG per TF of a real dashboard's pixel size, the
model-comparison table and figure.

Printed: the number of TFs, files and pages, the total size of the folder (and how much of it is dashboards,
hard links to the inputs), the size of the index and of the largest page, the build time (wall and CPU),
and the size that the former single self-contained page (every image inlined as base64) would have had, as
a ratio to the index.

Run from the repository root::

    .venv/bin/python benchmarks/report_scale.py [--tfs 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.architectures import CONV_ARCHITECTURES
from deepmotif.config import DEFAULTS
from deepmotif.match import MOTIF_COLUMNS, SUMMARY_COLUMNS
from deepmotif.memeio import Motif, write_meme
from deepmotif.methods import REGISTRY
from deepmotif.report import _plt, write_report

CELL_LINES = ("K562", "GM12878", "HepG2", "HeLa-S3", "H1-hESC", "A549")
LABS = ("Broad", "HudsonAlpha", "Stanford", "UTA", "UW", "Yale")


def views(arch: str) -> list[str]:
    """The motif views (``method`` of the tables) of the default interpretation methods for ``arch``."""
    return [view for name in DEFAULTS["interpret"]["methods"] for view, _ in REGISTRY[name].views
            if arch in CONV_ARCHITECTURES or not REGISTRY[name].needs_conv]


def dashboard_png(path: Path, rng: np.random.Generator) -> None:
    """A stand-in dashboard: a figure of the real one's size (16 in wide, ~25 in tall at 100 dpi) with as
    many panels of curves and text, so that its PNG weighs about what a real dashboard does."""
    plt = _plt()
    fig, axes = plt.subplots(16, 1, figsize=(16, 25))
    for ax in axes:
        x = np.arange(101)
        ax.plot(x, rng.random(101).cumsum() / 50, lw=1.2)
        ax.plot(x, rng.random(101), lw=1.2)
        for j in range(0, 101, 2):
            ax.text(j, 0.5, "ACGT"[rng.integers(4)], fontsize=6, family="monospace")
        ax.set_title("synthetic panel", fontsize=8, loc="left")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def synthetic_inputs(root: Path, n_tfs: int, seed: int = 0) -> dict:
    """Write the report's inputs for ``n_tfs`` TFs under ``root``; returns the keyword arguments of
    :func:`deepmotif.report.write_report` (without ``out``)."""
    rng = np.random.default_rng(seed)
    archs = list(DEFAULTS["architectures"])
    jaspar = [Motif(f"MA{9000 + i:04d}.1", f"TF{i}", rng.dirichlet(np.full(4, 0.3), size=int(rng.integers(8, 16))).T)
              for i in range(60)]
    write_meme(root / "jaspar.meme", jaspar)
    tfs = [f"TF{i:04d}_{CELL_LINES[i % len(CELL_LINES)]}_{LABS[i % len(LABS)]}" for i in range(n_tfs)]
    own = {tf: jaspar[i % len(jaspar)] if i % 10 else None for i, tf in enumerate(tfs)}  # 1 in 10: no matrix
    pd.DataFrame({"name": tfs, "source": "encode", "cell_line": [t.split("_")[1] for t in tfs],
                  "lab": [t.split("_")[2] for t in tfs],
                  "jaspar_id": [own[t].id if own[t] else "" for t in tfs],
                  "jaspar_name": [own[t].name if own[t] else "" for t in tfs]}).to_csv(
        root / "tfs.tsv", sep="\t", index=False)
    auroc, summary, motifs, cwm_files, dashboards = [], [], [], [], []
    template = root / "dashboard.png"
    dashboard_png(template, rng)
    for tf in tfs:
        for arch in [*archs, "pwm"]:
            auroc.append({"tf": tf, "architecture": arch, "test_auroc": rng.uniform(0.6, 0.99),
                          "test_aupr": rng.uniform(0.6, 0.99), "size": None if arch == "pwm" else "medium"})
        for arch in archs:
            ids, cwms = [], {}
            for method in views(arch):
                n = 1 if method in ("classopt", "filters") else int(rng.integers(1, 3))
                for rank in range(n):
                    motif_id = f"{tf}.{arch}.{method}.m{rank}"
                    width = int(rng.integers(8, 16))
                    hit = jaspar[int(rng.integers(len(jaspar)))]
                    recovered = own[tf] is not None and rng.random() < 0.5
                    motifs.append({"tf": tf, "architecture": arch, "method": method, "motif_id": motif_id,
                                   "motif_rank": rank, "status": "matched", "width": width,
                                   "n_seqlets": int(rng.integers(10, 400)), "support": rng.uniform(0.1, 0.9),
                                   "hit1_id": hit.id, "hit1_name": hit.name, "hit1_q": rng.uniform(0, 0.05),
                                   "own_id": own[tf].id if own[tf] else "", "recovered": recovered,
                                   "family_recovered": recovered or (own[tf] is not None and rng.random() < 0.3)})
                    if method != "filters":  # filters have a MEME file of their own, no CWM
                        cwms[f"cwm_{len(ids)}"] = rng.normal(size=(4, width))
                        ids.append(motif_id)
                first = motifs[-n]
                summary.append({**{k: first.get(k) for k in SUMMARY_COLUMNS if k in first},
                                "best_id": first["hit1_id"], "best_name": first["hit1_name"],
                                "q_value": first["hit1_q"], "n_motifs": n})
            path = root / tf / arch / "cwm.npz"
            path.parent.mkdir(parents=True)
            np.savez_compressed(path, ids=np.array(ids), **cwms)
            cwm_files.append(path)
        dashboards.append(root / tf / "dashboard.png")
        shutil.copyfile(template, dashboards[-1])
    tables = root / "tables"
    tables.mkdir()
    pd.DataFrame(auroc).to_csv(tables / "auroc.tsv", sep="\t", index=False)
    pd.DataFrame(summary).reindex(columns=SUMMARY_COLUMNS).to_csv(tables / "motif_matches.tsv", sep="\t", index=False)
    pd.DataFrame(motifs).reindex(columns=MOTIF_COLUMNS).to_csv(tables / "motifs.tsv", sep="\t", index=False)
    pd.DataFrame({"metric": ["auroc"], "model_a": ["cnn"], "model_b": ["rnn"], "n_tfs": [n_tfs],
                  "mean_diff": [0.01], "better": ["cnn"]}).to_csv(tables / "model_comparison.tsv", sep="\t",
                                                                   index=False)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.boxplot([rng.uniform(0.6, 0.99, n_tfs) for _ in archs])
    fig.savefig(root / "test_auroc.png", dpi=100)
    plt.close(fig)
    return {"cfg": DEFAULTS, "auroc_file": tables / "auroc.tsv", "matches_file": tables / "motif_matches.tsv",
            "motif_table_file": tables / "motifs.tsv", "cwm_files": cwm_files, "jaspar_file": root / "jaspar.meme",
            "dashboards": dashboards, "comparison_file": tables / "model_comparison.tsv",
            "performance_figure": root / "test_auroc.png", "sheet_file": root / "tfs.tsv"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tfs", type=int, default=100, help="number of synthetic TFs (default 100)")
    parser.add_argument("--keep", type=Path, default=None, help="copy the report folder here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        inputs = synthetic_inputs(root / "in", args.tfs)
        made = time.perf_counter() - t0
        out = root / "report"
        t0, c0 = time.perf_counter(), time.process_time()
        write_report(out, **inputs)
        build, cpu = time.perf_counter() - t0, time.process_time() - c0
        files = [p for p in out.rglob("*") if p.is_file()]
        pages = [p for p in files if p.suffix == ".html"]
        images = [p for p in files if p.suffix == ".png"]
        size = {p: p.stat().st_size for p in files}
        largest = max((p for p in pages if p.name != "index.html"), key=size.get)
        # the former design: one page, each image inlined as base64 (4/3 of its bytes) wherever it is shown
        shown = sum(size[p] for p in pages) + sum(4 * (page.parent / src).stat().st_size // 3
                                                 for page in pages for src in _sources(page.read_text()))
        mb = 2**20
        print(f"synthetic inputs: {made:.1f} s")
        print(f"TFs {args.tfs}; files {len(files)} ({len(pages)} pages, {len(images)} PNG)")
        linked = sum(size[p] for p in files if p.stat().st_nlink > 1)
        print(f"total size        {sum(size.values()) / mb:8.1f} MB, of which {linked / mb:.1f} MB dashboards "
              "(hard links to the inputs: no extra disk)")
        print(f"index.html        {size[out / 'index.html'] / 1024:8.1f} KB")
        print(f"largest page      {size[largest] / 1024:8.1f} KB ({largest.relative_to(out)})")
        print(f"build time        {build:8.1f} s wall, {cpu:.1f} s CPU ({cpu / args.tfs:.2f} s CPU per TF; the wall "
              "time counts what other processes take of the cores)")
        ratio = shown / size[out / "index.html"]
        print(f"one page, inlined {shown / mb:8.1f} MB (former design) = {ratio:.0f} x the index")
        if args.keep:
            shutil.copytree(out, args.keep, dirs_exist_ok=True)


def _sources(page: str) -> list[str]:
    """The ``src`` of every image of a page, unquoted."""
    import re
    from urllib.parse import unquote

    return [unquote(s) for s in re.findall(r'<img [^>]*src="([^"]+)"', page)]


if __name__ == "__main__":
    main()

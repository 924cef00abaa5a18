"""Motif recovery on the real ChIP-seq sets of ../shared/data: the workflow (config/deepbind_encode.yaml
settings) trains each architecture on DeMo's GATA1 K562 set and the ten DeepBind ENCODE sets, discovers the
motifs of each interpretation method and matches them to JASPAR; printed per TF × architecture × method:
whether the TF's own matrix (``recovered``) or family (``family_recovered``) is among the top 3 hits of one
of its discovered motifs, the best hit of its top-supported motif, and the totals.

Usage: python benchmarks/real_motif_recovery.py [--archs cnn cnnrnn] [--tfs GATA1 SP1 ...] [--cores 2]
       [--workdir DIR] [--methods saliency ism] [--explained 500 2000 8000]
``--explained`` adds how recovery grows with the number of positives explained (all splits; saliency of the
first architecture's models).
A workdir is reused: finished jobs are not run again (Snakemake), so a later call only adds what changed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from deepmotif.attractors import attractor_summary
from deepmotif.config import load_config, train_options
from deepmotif.match import verdict

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DEMO_GATA1 = DATA / "deepmotif-k562" / "GATA1_K562_GATA-1_USC"


def sheet_rows() -> list[dict]:
    """The eleven real sets: DeMo's GATA1 K562 FASTA and the DeepBind sheet of the shipped config."""
    deepbind = pd.read_csv(ROOT / "config" / "tfs_deepbind_encode.tsv", sep="\t", comment="#", dtype=str,
                           keep_default_na=False)
    rows = [{"name": "GATA1", "source": "deepmotif_fasta", "train": str(DEMO_GATA1 / "train.fa"),
             "test": str(DEMO_GATA1 / "test.fa"), "jaspar_id": "", "jaspar_name": "GATA1", "cell_line": "K562"}]
    for row in deepbind.to_dict("records"):
        for col in ("train", "test"):
            row[col] = str((ROOT / row[col]).resolve())
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["cnn", "cnnrnn"])
    ap.add_argument("--tfs", nargs="+", default=None, help="a subset of the eleven (default: all)")
    ap.add_argument("--methods", nargs="+", default=["saliency", "ism"])
    ap.add_argument("--n-top", type=int, default=500, help="test positives explained per model (500 = all)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--workdir", default=str(ROOT / "results-real-motifs"))
    ap.add_argument("--explained", nargs="*", type=int, default=None,
                    help="also: recovery of the CNN's saliency motifs with this many top positives of all splits "
                         "explained (e.g. 500 2000 8000), from the trained models")
    args = ap.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} not found: this benchmark needs ../shared/data")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = [r for r in sheet_rows() if args.tfs is None or r["name"] in args.tfs]
    pd.DataFrame(rows).to_csv(work / "tfs.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((ROOT / "config" / "deepbind_encode.yaml").read_text())
    cfg.update(tfs="tfs.tsv", architectures=args.archs)
    cfg["interpret"] = {"n_top": args.n_top, "methods": args.methods}
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(work), "--configfile", str(work / "config.yaml"), "--cores", str(args.cores),
           "results/tables/motif_matches.tsv", "results/tables/motifs.tsv", "results/tables/auroc.tsv",
           "results/tables/model_comparison.tsv"]
    subprocess.run(cmd, check=True)
    print(f"workflow: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    summary = pd.read_csv(work / "results" / "tables" / "motif_matches.tsv", sep="\t")
    motifs = pd.read_csv(work / "results" / "tables" / "motifs.tsv", sep="\t")
    auroc = pd.read_csv(work / "results" / "tables" / "auroc.tsv", sep="\t").set_index(["tf", "architecture"])
    flagged, summary = summary, summary[summary["method"].isin(args.methods)]
    top = motifs[(motifs["motif_rank"] == 1) & motifs["method"].isin(args.methods)].set_index(
        ["tf", "architecture", "method"])
    lines = []
    for row in summary.to_dict("records"):
        key = (row["tf"], row["architecture"], row["method"])
        best = top.loc[key] if key in top.index else None
        lines.append({"tf": row["tf"], "arch": row["architecture"], "method": row["method"],
                      "auroc": round(float(auroc.loc[(row["tf"], row["architecture"]), "test_auroc"]), 3),
                      "n_motifs": row["n_motifs"], "recovered": verdict(row["recovered"]),
                      "family": verdict(row["family_recovered"]),
                      "top_motif_hit": "" if best is None or not isinstance(best["hit1_name"], str)
                      else f"{best['hit1_name']} (q {best['hit1_q']:.1g})"})
    table = pd.DataFrame(lines)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table.to_string(index=False))
    for arch in args.archs:
        part = table[table["arch"] == arch]
        per_tf = part.groupby("tf")[["recovered", "family"]].any()
        ctcf_top = part[part["top_motif_hit"].str.startswith("CTCF") & ~part["tf"].str.startswith("CTCF")]
        print(f"{arch}: own matrix found by any method for {int(per_tf['recovered'].sum())}/{len(per_tf)} TFs, "
              f"family for {int(per_tf['family'].sum())}/{len(per_tf)}; per method (family): "
              + ", ".join(f"{m} {int(g['family'].sum())}/{len(g)}" for m, g in part.groupby("method"))
              + f"; CTCF as top-supported motif of another TF: {len(ctcf_top)}")
    found = attractor_summary(flagged)
    print(f"attractors (a matrix the best hit of >= {cfg.get('match', {}).get('attractor_min_tfs', 3)} "
          f"unrelated TFs in one architecture x method): {len(found)}")
    if len(found):
        print(found.to_string(index=False))
    print(convergence(auroc.reset_index(), load_config(work / "config.yaml")).to_string(index=False))
    comparison = pd.read_csv(work / "results" / "tables" / "model_comparison.tsv", sep="\t")
    with pd.option_context("display.width", 250):
        print(comparison[comparison["metric"] == "auroc"].to_string(index=False))
    if args.explained:
        explained_curve(work, [r["name"] for r in rows], args.archs[0], args.explained)


def convergence(auroc: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Per architecture: models, the epoch limit, how many stopped early (fewer epochs run than the limit),
    best epochs (median, max) and the mean test AUROC."""
    rows = []
    for arch, g in auroc[auroc["architecture"] != "pwm"].groupby("architecture", sort=False):
        limit = int(train_options(cfg, arch)["epochs"])
        rows.append({"architecture": arch, "models": len(g), "max_epochs": limit,
                     "stopped_early": int((g["epochs_run"] < limit).sum()),
                     "best_epoch_median": float(g["best_epoch"].median()), "best_epoch_max": int(g["best_epoch"].max()),
                     "mean_test_auroc": round(float(g["test_auroc"].mean()), 4)})
    return pd.DataFrame(rows)


def explained_curve(work: Path, tfs: list[str], arch: str, sizes: list[int]) -> None:
    """Recovery as the number of explained positives grows: saliency of each trained ``arch`` model on its
    top-N positives of all splits (train + valid + test), discovered and matched; per TF and N, whether a
    motif's top 3 hold the own family, and the seqlets / support of the best such motif."""
    import numpy as np
    import torch

    from deepmotif.config import tf_row
    from deepmotif.data.prepare import load_explained_set
    from deepmotif.discover import discover, to_motifs
    from deepmotif.evaluate import predict
    from deepmotif.interpret.saliency import saliency
    from deepmotif.jaspar import families, fetch_collection, row_known_motifs
    from deepmotif.match import match_queries, match_settings
    from deepmotif.motifs import top_positives
    from deepmotif.train import load_model

    torch.set_num_threads(1)
    cfg = load_config(work / "config.yaml")
    cfg["tfs"] = str(work / "tfs.tsv")
    release = cfg["jaspar"]["release"]
    targets, fams, settings = fetch_collection(release), families(release), match_settings(cfg)
    rows = []
    for tf in tfs:
        model_file = work / "results" / tf / arch / "best.pt"
        if not model_file.is_file():
            continue
        known = row_known_motifs(release, tf_row(cfg, tf))
        if not known:
            continue
        model, _ = load_model(model_file, "cpu")
        X, y = load_explained_set(work / "results" / tf / "data.npz", "all")
        scores = predict(model, X)
        for n in sizes:
            idx = top_positives(scores, y, n)
            start = time.perf_counter()
            found = discover(X[idx], saliency(model, X[idx]))
            seconds = time.perf_counter() - start
            if not found:
                rows.append({"tf": tf, "asked": n, "n": len(idx), "motifs": 0, "family": False, "seqlets": 0, "support": 0.0,
                             "discover_s": round(seconds, 1)})
                continue
            _, table = match_queries(to_motifs(found, f"{tf}.{arch}.saliency", tf), targets, {tf: known[0]}, fams,
                                     settings)
            hit = table[table["family_recovered"]]
            best = hit.iloc[0] if len(hit) else None
            rank = int(best["motif_rank"]) - 1 if best is not None else None
            rows.append({"tf": tf, "asked": n, "n": len(idx), "motifs": len(found), "family": best is not None,
                         "seqlets": found[rank].n_seqlets if best is not None else 0,
                         "support": round(found[rank].support, 2) if best is not None else 0.0,
                         "discover_s": round(seconds, 1)})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    if len(table):
        print("own family found (TFs) by N explained (at most the TF's positives): " + ", ".join(
            f"{n}: {int(g['family'].sum())}/{len(g)}" for n, g in table.groupby("asked")))


if __name__ == "__main__":
    main()

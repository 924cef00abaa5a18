"""Match rules on the motifs of finished workflow runs: per rule variant, for every architecture × method, how
many TFs (with a known motif) have their own family among the top hits, and how many JASPAR matrices are
attractors (the significant best hit of >= 3 unrelated TFs; deepmotif.attractors).

Usage: python benchmarks/match_variants.py WORKDIR [WORKDIR ...] [--variant NAME=JSON ...]
A WORKDIR is a finished run (its config.yaml or config/config.yaml, results/<TF>/<arch>/motifs.meme, filters.meme, motifs.tsv),
e.g. that of benchmarks/real_motif_recovery.py and a `make demo` run; the default variants are the current
rule without and with the aligned-information rule at a few shares (match.min_aligned_share; the run's
other match settings as its config has them). Tomtom runs once per TF; each variant only changes
which of its rows are admissible.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

import deepmotif.match as match
from deepmotif.attractors import attractor_summary, flag_attractors
from deepmotif.config import load_config
from deepmotif.match import match_motifs, verdict

VARIANTS = {"aligned off": {"min_aligned_share": 0.0}, "aligned 0.3": {"min_aligned_share": 0.3},
            "aligned 0.4": {"min_aligned_share": 0.4}, "aligned 0.5": {"min_aligned_share": 0.5}}


def cached_tomtom():
    """match._tomtom memoised on its queries: the variants share one Tomtom run per TF."""
    original, memo = match._tomtom, {}

    def run(queries, targets, settings):
        key = (tuple(q.id for q in queries), len(targets))
        if key not in memo:
            memo[key] = original(queries, targets, settings)
        return memo[key].copy()
    match._tomtom = run


def run_tables(work: Path, variant: dict) -> pd.DataFrame:
    """The run's motif_matches table (every TF) under ``variant`` of the match settings."""
    cfg = load_config(next(f for f in (work / "config.yaml", work / "config" / "config.yaml") if f.is_file()))
    cfg["tfs"] = str(work / cfg["tfs"])
    cfg["match"] = {**cfg.get("match", {}), **variant}
    jaspar = next((work / "resources" / "jaspar").glob("*.meme"))
    frames = []
    archs = cfg["architectures"]
    for tf_dir in sorted(p for p in (work / "results").iterdir()
                         if p.name != "tables" and (p / "motif_matches.tsv").is_file()):
        motifs = [f for a in archs for f in (tf_dir / a / "motifs.meme", tf_dir / a / "filters.meme") if f.is_file()]
        info = [tf_dir / a / "motifs.tsv" for a in archs if (tf_dir / a / "motifs.tsv").is_file()]
        frames.append(match_motifs(motifs, jaspar, cfg, info_files=info)[2])
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdirs", nargs="+", type=Path)
    ap.add_argument("--variant", action="append", default=[], help="NAME=JSON of match settings")
    args = ap.parse_args()
    variants = dict(VARIANTS)
    for item in args.variant:
        name, text = item.split("=", 1)
        variants[name] = json.loads(text)
    cached_tomtom()
    rows, found = [], []
    for name, variant in variants.items():
        table = flag_attractors(pd.concat([run_tables(w, variant) for w in args.workdirs], ignore_index=True))
        known = table[table["own_name"] != match.NO_KNOWN_MOTIF]
        for (arch, method), g in table.groupby(["architecture", "method"], sort=False):
            k = known[(known["architecture"] == arch) & (known["method"] == method)]
            rows.append({"variant": name, "architecture": arch, "method": method, "n_tfs": len(g),
                         "family": int(k["family_recovered"].map(verdict).sum()), "of": len(k),
                         "attractors": len(attractor_summary(g))})
        found.append(attractor_summary(table).assign(variant=name))
    out = pd.DataFrame(rows)
    wide = out.pivot_table(index=["architecture", "method"], columns="variant",
                           values=["family", "attractors"], aggfunc="first", sort=False)
    with pd.option_context("display.width", 250, "display.max_rows", 500, "display.max_columns", 50):
        print(wide.to_string())
        print(pd.concat(found, ignore_index=True).to_string(index=False))


if __name__ == "__main__":
    main()

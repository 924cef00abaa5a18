"""Does DeepResolve name each task's own motif? For a multi-task model of planted motifs (``tasks: planted`` on
``synthetic_multi``, e.g. KOO12 of ``config/groundtruth.yaml`` with ``deepresolve.enabled: true``): per task,
the OFIV rank of the first channel whose first-layer filter's best significant JASPAR match is the task's
planted matrix (any version), and of the first whose match is of its JASPAR family.

    python benchmarks/deepresolve_tasks.py results/KOO12/cnn_exp/deepresolve_fiv.tsv results/KOO12/data.npz

Printed: one row per task, then the ratio of tasks whose top channel (rank 1) and whose top 3 hold the planted
matrix, and the same for its family.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from deepmotif.jaspar import families


def task_table(fiv: pd.DataFrame, planted_ids: list[str], planted_names: list[str], release: str) -> pd.DataFrame:
    """Per task: the OFIV rank of the first channel matching the planted matrix / its family (NaN: none)."""
    family = families(release)
    planted = {name.upper(): pid for pid, name in zip(planted_ids, planted_names)}
    rows = []
    for task, g in fiv.groupby("task", sort=False):
        g = g.sort_values("rank")
        own = planted.get(str(task).upper(), "")
        matches = g["match_id"].fillna("").astype(str)
        is_own = matches.str.split(".").str[0].eq(own.split(".")[0]) & matches.ne("")
        own_family = family.get(own, frozenset())
        is_family = is_own | matches.map(lambda i: bool(family.get(i, frozenset()) & own_family))
        first = (lambda mask: int(g.loc[mask, "rank"].min()) if mask.any() else np.nan)
        rows.append({"task": task, "top_channel_match": g.iloc[0]["match_name"], "own_rank": first(is_own),
                     "family_rank": first(is_family), "top_ofiv": round(float(g.iloc[0]["ofiv"]), 3),
                     "non_additive": int(g["non_additive"].sum())})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fiv", help="deepresolve_fiv.tsv of one model")
    parser.add_argument("data", help="the TF's data.npz (planted motif IDs and names)")
    parser.add_argument("--release", default="JASPAR2024")
    args = parser.parse_args()
    fiv = pd.read_csv(args.fiv, sep="\t")
    with np.load(args.data) as z:
        ids, names = list(map(str, z["meta_planted_ids"])), list(map(str, z["meta_planted_names"]))
    table = task_table(fiv, ids, names, args.release)
    print(table.to_string(index=False))
    n = len(table)
    for col, what in (("own_rank", "planted matrix"), ("family_rank", "its family")):
        print(f"{what}: top channel {int((table[col] == 1).sum())}/{n}, top 3 {int((table[col] <= 3).sum())}/{n}")


if __name__ == "__main__":
    main()

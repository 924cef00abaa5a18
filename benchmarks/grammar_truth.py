"""The grammar stage's effects and pair verdicts measured on ground truth: the planted JASPAR matrices of a
``synthetic_logic`` run (config/grammar.yaml) put through deepmotif.effects.motif_effects and
deepmotif.pairs.pair_effects / verdicts on the trained model, for the motif pairs its logic tasks define,
whatever motifs the stage itself discovered and paired.

Usage: python benchmarks/grammar_truth.py RESULTS [--tf GRAMMAR] [--arch cnn_exp] [--config CONFIG]
       [--backgrounds 200] [--max-spacing 40] [--threads 2] [--out DIR]

RESULTS is a finished run's results folder (RESULTS/<tf>/data.npz, RESULTS/<tf>/<arch>/best.pt; the
stage's own RESULTS/<tf>/<arch>/pair_verdicts.tsv is compared when present); CONFIG (default
RESULTS/../config/grammar.yaml) gives the logic tasks, the JASPAR release and the grammar settings. The
planted matrices are looked up by the data set's ``meta_planted_ids`` (pyjaspar, offline) exactly as
``prepare`` planted them. Expected per task: AND (``all`` of two) a cooperative pair; OR (``any`` of two) a
redundant pair; NOT (``all`` one, ``none`` one) a negative effect of the ``none`` motif and a negative
interaction with the ``all`` motif; a ``spacing`` task a cooperative pair whose best spacing lies in the
window. Printed: per task the centre effect of each planted motif (both orientations), per expected pair
and task the verdict on both scales, the spacing profile of spacing pairs, the test AUROC per task (the
model's task logits on the data set's task labels) and whether the stage's own pairs contain the expected
ones; ``--out`` also writes the tables as TSV. About 2 min on 2 cores at 200 backgrounds.

Measured on the shipped config/grammar.yaml (cnn_exp, 20 epochs, 200 backgrounds): SPACED cooperative at
5 bp on both scales, the interval clearing the margin at exactly the spacings 5-10; OR redundant on the
probability scale only (logit -4.8 [-5.7, -3.9] against a margin of 4.1); NOT: MAFK -8.0 logit alone, the
pair redundant on the probability scale only; AND fails: the model ignores NFYB (+0.08 logit), so the pair
is independent on both scales. The stage itself never pairs NFYB (no NFYB motif is discovered) and cuts
SP1 × MAFK at grammar.pairs.max_pairs 10.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.config import load_config

LOGIT_FMT = "{:+.2f} [{:+.2f}, {:+.2f}]"
PROB_FMT = "{:+.3f} [{:+.3f}, {:+.3f}]"


def expected_pairs(logic: list[dict]) -> list[dict]:
    """Per logic task the motif pair it defines and what the grammar stage should find for it."""
    out = []
    for task in logic:
        all_, any_, none = task.get("all") or [], task.get("any") or [], task.get("none") or []
        if len(all_) == 2:
            out.append({"task": task["name"], "first": all_[0], "second": all_[1], "kind": (
                "SPACED" if task.get("spacing") else "AND"), "expect": "cooperative",
                "window": tuple(task["spacing"]) if task.get("spacing") else None})
        elif len(any_) == 2 and not all_:
            out.append({"task": task["name"], "first": any_[0], "second": any_[1], "kind": "OR",
                        "expect": "redundant", "window": None})
        elif len(all_) == 1 and len(none) == 1:
            out.append({"task": task["name"], "first": all_[0], "second": none[0], "kind": "NOT",
                        "expect": "negative interaction", "window": None})
    return out


def planted_pfms(data_file: Path, release: str) -> dict[str, np.ndarray]:
    """Name → (4, w) PFM of every planted motif, as prepare took it from JASPAR."""
    from deepmotif.io_utils import open_npz
    from deepmotif.jaspar import find_motif

    with open_npz(data_file) as z:
        ids, names = [str(i) for i in z["meta_planted_ids"]], [str(n) for n in z["meta_planted_names"]]
    return {name: find_motif(release, jaspar_id)[0].pwm for jaspar_id, name in zip(ids, names)}


def auroc_per_task(model, data_file: Path, split: str, tasks: list[str]) -> pd.DataFrame:
    """Test AUROC / AUPR of every task of the multi-task model against the data set's task labels."""
    from deepmotif.data.prepare import load_split, load_task_labels
    from deepmotif.evaluate import auroc_aupr, predict

    X, _ = load_split(data_file, split)
    labels = load_task_labels(data_file, split)
    logits = predict(model, X, tasks=True)
    return pd.DataFrame([{"task": t, "positives": int(labels[:, k].sum()), **auroc_aupr(labels[:, k], logits[:, k])}
                         for k, t in enumerate(tasks)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--tf", default="GRAMMAR")
    ap.add_argument("--arch", default="cnn_exp")
    ap.add_argument("--config", type=Path)
    ap.add_argument("--backgrounds", type=int, help="default: the config's grammar.effects.backgrounds")
    ap.add_argument("--max-spacing", type=int, help="default: the config's grammar.pairs.max_spacing")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    import torch

    from deepmotif.data.prepare import load_split
    from deepmotif.effects import backgrounds, motif_effects
    from deepmotif.grammar import task_names
    from deepmotif.pairs import pair_effects, verdicts
    from deepmotif.train import load_model

    torch.set_num_threads(args.threads)
    results = args.results.resolve()
    cfg = load_config(args.config or results.parent / "config" / "grammar.yaml")
    g = cfg["grammar"]
    n_bg = args.backgrounds or int(g["effects"]["backgrounds"])
    max_spacing = args.max_spacing if args.max_spacing is not None else int(g["pairs"]["max_spacing"])
    seed, level, min_share = int(g["effects"]["seed"]), float(g["pairs"]["level"]), float(g["pairs"]["min_share"])
    data_file, model_file = results / args.tf / "data.npz", results / args.tf / args.arch / "best.pt"

    pfms = planted_pfms(data_file, cfg["jaspar"]["release"])
    X, _ = load_split(data_file, g["split"])
    bg = backgrounds(X, n_bg, seed)
    model, _ = load_model(model_file, "cpu")
    from deepmotif.grammar import model_scores_width
    tasks = task_names(data_file, args.tf, model_scores_width(model, bg[:1]))
    common = dict(seed=seed, batch_size=int(g["effects"]["batch_size"]), tasks=tasks)
    print(f"{args.tf} {args.arch}: {len(bg)} backgrounds of the {g['split']} split; planted "
          f"{', '.join(f'{n} ({p.shape[1]} bp)' for n, p in pfms.items())}; tasks {', '.join(tasks)}")

    # 1. each planted motif at the centre, per task
    t0 = time.time()
    eff = motif_effects(model, pfms, bg, int(g["effects"]["positions"]), **common)
    centre = eff[eff["centre"]].rename(columns={"motif_id": "motif"})
    wide = []
    for (task, motif), grp in centre.groupby(["task", "motif"], sort=False):
        row = {"task": task, "motif": motif}
        for _, r in grp.iterrows():
            o = r["orientation"]
            row[f"logit {o}"] = LOGIT_FMT.format(r["logit_change"], r["logit_low"], r["logit_high"])
            row[f"prob {o}"] = PROB_FMT.format(r["probability_change"], r["probability_low"], r["probability_high"])
        wide.append(row)
    wide = pd.DataFrame(wide)
    print(f"\n== Centre effect of each planted motif (mean change [95% CI], per orientation; {time.time() - t0:.0f} s)")
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_rows", 200):
        for task in tasks:
            print(f"-- {task}")
            print(wide[wide["task"] == task].drop(columns="task").to_string(index=False))

    # 2. the pairs of the logic tasks
    truth = expected_pairs(cfg["data"]["synthetic"]["logic"])
    parts, profiles, checks = [], [], []
    for t in truth:
        t0 = time.time()
        part = pair_effects(model, pfms[t["first"]], pfms[t["second"]], bg, max_spacing, level=level, **common)
        parts.append(part.assign(tf=args.tf, architecture=args.arch, first=t["first"], second=t["second"],
                                 first_name=t["first"], second_name=t["second"]))
        print(f"pair {t['first']} × {t['second']}: {len(part)} rows in {time.time() - t0:.0f} s")
    pairs = pd.concat(parts, ignore_index=True)
    found = verdicts(pairs, min_share)
    print("\n== Verdicts of the expected pairs (every task; * marks the task that defines the pair)")
    for t in truth:
        mine = found[(found["first"] == t["first"]) & (found["second"] == t["second"])]
        for _, r in mine.iterrows():
            star = "*" if r["task"] == t["task"] else " "
            print(f"{star} {t['first']} × {t['second']} on {r['task']}: logit {r['verdict']} at {r['spacing']} bp "
                  f"{r['orientation']} {LOGIT_FMT.format(r['logit_interaction'], r['logit_low'], r['logit_high'])}; "
                  f"prob {r['verdict_probability']} at {r['probability_spacing']} bp {r['probability_orientation']} "
                  f"{PROB_FMT.format(r['probability_interaction'], r['probability_low'], r['probability_high'])}")
        own = mine[mine["task"] == t["task"]].iloc[0]
        sub = pairs[(pairs["first"] == t["first"]) & (pairs["second"] == t["second"]) & (pairs["task"] == t["task"])]
        check = {"task": t["task"], "kind": t["kind"], "pair": f"{t['first']} × {t['second']}", "expect": t["expect"],
                 "logit": own["verdict"], "probability": own["verdict_probability"]}
        if t["kind"] == "NOT":
            single = centre[(centre["task"] == t["task"]) & (centre["motif"] == t["second"])]
            check["pass"] = bool((single["logit_high"] < 0).all() and sub["logit_interaction"].min() < 0)
        elif t["window"]:
            lo, hi = t["window"]
            check["pass"] = bool(own["verdict"] == "cooperative" and lo <= own["spacing"] <= hi)
            best = sub.loc[sub.groupby("spacing")["logit_interaction"].idxmax()]
            inside = best["spacing"].between(lo, hi)
            profiles.append(best.assign(pair=check["pair"]))
            print(f"\n== Spacing profile of {check['pair']} on {t['task']} (window {lo}-{hi} bp): logit interaction "
                  f"of the best orientation per spacing 0..{max_spacing}")
            print(" ".join(f"{s}:{v:+.2f}{o}" for s, v, o in zip(best["spacing"], best["logit_interaction"],
                                                                  best["orientation"])))
            for o in ("++", "+-", "-+", "--"):
                row = sub[sub["orientation"] == o].sort_values("spacing")
                print(f"  {o}: " + " ".join(f"{v:+.1f}" for v in row["logit_interaction"]))
            margin = min_share * (sub["logit_first"].abs() + sub["logit_second"].abs())
            clear = sorted(set(sub.loc[sub["logit_low"] > margin, "spacing"]))
            print(f"  mean best-orientation interaction inside the window "
                  f"{best.loc[inside, 'logit_interaction'].mean():+.2f}, outside "
                  f"{best.loc[~inside, 'logit_interaction'].mean():+.2f}; spacings whose interval clears the margin: "
                  f"{clear}")
        else:
            check["pass"] = bool(own["verdict"] == t["expect"] or own["verdict_probability"] == t["expect"])
        checks.append(check)
    checks = pd.DataFrame(checks)
    print("\n== Ground truth")
    print(checks.to_string(index=False))

    # 3. AUROC and the stage's own pairs
    auroc = auroc_per_task(model, data_file, "test", tasks)
    print("\n== Test AUROC / AUPR per task")
    print(auroc.to_string(index=False, float_format="{:.4f}".format))
    stage = results / args.tf / args.arch / "pair_verdicts.tsv"
    if stage.is_file():
        own = pd.read_csv(stage, sep="\t")
        names = {tuple(sorted((str(a), str(b)))) for a, b in zip(own["first_name"], own["second_name"])}
        print(f"\n== The stage's own pairs ({len(names)}): " + "; ".join(" × ".join(n) for n in sorted(names)))
        for t in truth:
            done = tuple(sorted((t["first"], t["second"]))) in names
            print(f"  {t['first']} × {t['second']}: {'analysed' if done else 'NOT analysed'} by the stage")
            if done:
                key = own[["first_name", "second_name"]].apply(lambda x: tuple(sorted(map(str, x))), axis=1)
                hits = own[(key == tuple(sorted((t["first"], t["second"])))) & (own["task"] == t["task"])]
                for _, r in hits.iterrows():
                    print(f"    stage on {r['task']}: logit {r['verdict']} at {r['spacing']} bp {r['orientation']} "
                          f"{LOGIT_FMT.format(r['logit_interaction'], r['logit_low'], r['logit_high'])}; prob "
                          f"{r['verdict_probability']} at {r['probability_spacing']} bp "
                          + PROB_FMT.format(r["probability_interaction"], r["probability_low"],
                                            r["probability_high"]))

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        centre.to_csv(args.out / "effects_centre.tsv", sep="\t", index=False)
        pairs.to_csv(args.out / "pairs.tsv", sep="\t", index=False)
        found.to_csv(args.out / "pair_verdicts.tsv", sep="\t", index=False)
        checks.to_csv(args.out / "truth.tsv", sep="\t", index=False)
        auroc.to_csv(args.out / "auroc.tsv", sep="\t", index=False)
        if profiles:
            pd.concat(profiles).to_csv(args.out / "spacing_profile.tsv", sep="\t", index=False)


if __name__ == "__main__":
    main()

"""The grammar stage (``deepmotif grammar``) on the real ChIP-seq sets whose models are already trained, and
what it says per TF × architecture.

For each TF folder of ``--results`` (``<TF>/data.npz``, ``<TF>/motifs.tsv``, ``<TF>/<arch>/best.pt`` and
``motifs.meme``) and each of ``--archs``, ``deepmotif grammar`` of this venv runs as a subprocess (``--jobs``
at once, ``--threads`` torch threads each) with its outputs in ``--out/<TF>/<arch>/`` (never inside
``--results``) and its log beside them (``grammar.log``). Then per TF × architecture it prints, as markdown:

* the own-family motif: the most supported of the distinct motifs the grammar kept whose
  ``top_in_family`` verdict in ``motifs.tsv`` is true (its rank among the kept ones; "none kept" when the
  model has own-family motifs that ``max_motifs`` left out, "none" when it has none): its name, its logit
  effect inserted at the centre with the 95 % interval in each orientation (``+`` / ``-``), the same for the
  TF's own JASPAR matrix (the effects' reference row), the share of positive and of negative test
  sequences with a used site, the one-sided Fisher p of that enrichment and the median offset of a used
  site's centre from the sequence centre;
* the pair verdicts (logit scale): each cooperative pair (its two motifs, the spacing and orientation of
  its largest interaction, the interaction with its Bonferroni interval) and the counts of redundant and
  independent pairs;
* with ``--all-motifs``, every kept motif's name, own-family flag, centre effect and enrichment;
* the time of each job, per TF.

Grammar settings: ``--config`` (default the run's own config) with ``--set`` JSON merged over its
``grammar`` section, e.g. ``--set '{"effects": {"backgrounds": 100}, "max_motifs": 5, "pairs": {"max_pairs":
5, "max_spacing": 40}}'``. ``--report-only`` prints the tables of an earlier run without running anything.

Run from the repository root::

    NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/real_grammar.py [--results DIR]
        [--jaspar MEME] [--archs cnn cnnrnn] [--tfs GATA1 ...] [--out DIR] [--set JSON] [--jobs 2]
        [--threads 1] [--device cpu] [--report-only] [--all-motifs]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: benchmarks/real_motif_recovery.py's default working directory: its trained models, config and JASPAR file
WORK = ROOT / "results-real-motifs"
RESULTS = WORK / "results"
CONFIG = WORK / "config.yaml"
JASPAR_DIR = WORK / "resources" / "jaspar"
OUT = ROOT / "results-real-grammar"
#: the grammar stage's output files (``deepmotif grammar`` option → file name)
OUTPUTS = {"instances": "instances.tsv", "summary": "instance_summary.tsv", "effects": "effects.tsv",
           "pairs": "pairs.tsv", "verdicts": "pair_verdicts.tsv", "heat-map": "pairs.png"}


def default_jaspar() -> Path | None:
    found = sorted(JASPAR_DIR.glob("*.meme"))
    return found[0] if found else None


def deepmotif_bin() -> str:
    """The ``deepmotif`` script of the venv this interpreter belongs to."""
    here = Path(sys.executable).parent / "deepmotif"
    return str(here) if here.exists() else "deepmotif"


def run_one(tf: str, arch: str, args) -> dict:
    """``deepmotif grammar`` of one TF × architecture; its return code, seconds and last log lines."""
    src, out = args.results / tf, args.out / tf / arch
    out.mkdir(parents=True, exist_ok=True)
    settings = json.dumps({"grammar": args.overrides})
    cmd = [deepmotif_bin(), "grammar", "--set", settings, "--tf", tf, "--arch", arch,
           "--data", str(src / "data.npz"), "--model", str(src / arch / "best.pt"),
           "--motifs", str(src / arch / "motifs.meme"), "--motif-table", str(src / "motifs.tsv"),
           "--jaspar", str(args.jaspar), "--threads", str(args.threads), "--device", args.device]
    if args.config:
        cmd += ["--config", str(args.config)]
    for option, name in OUTPUTS.items():
        cmd += [f"--{option}", str(out / name)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    env.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".cache" / "numba"))
    started = time.perf_counter()
    with open(out / "grammar.log", "w") as log:
        log.write(" ".join(cmd) + "\n")
        log.flush()
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    seconds = time.perf_counter() - started
    tail = (out / "grammar.log").read_text().strip().splitlines()[-3:]
    print(f"[{time.strftime('%H:%M:%S')}] {tf} {arch}: rc {rc}, {seconds:.0f} s", file=sys.stderr, flush=True)
    result = {"tf": tf, "arch": arch, "rc": rc, "seconds": seconds, "tail": tail}
    (out / "timing.json").write_text(json.dumps(result))
    return result


# ---- tables -------------------------------------------------------------------------------------------------

def _num(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    return ("∞" if x > 0 else "-∞") if np.isinf(x) else f"{x:.{digits}f}"


def _ci(mean, low, high) -> str:
    return f"{_num(mean)} [{_num(low)}, {_num(high)}]"


def _p(p) -> str:
    return "–" if p is None or not np.isfinite(p) else f"{p:.1e}"


def centre_effects(effects: pd.DataFrame, motif_id: str, task: str) -> str:
    """``+: m [lo, hi] / -: m [lo, hi]`` of one motif inserted at the centre (logit)."""
    rows = effects[(effects["motif_id"] == motif_id) & effects["centre"].astype(bool) & (effects["task"] == task)]
    if rows.empty:
        return "–"
    parts = []
    for o in ("+", "-"):
        r = rows[rows["orientation"] == o]
        if len(r):
            r = r.iloc[0]
            parts.append(f"{o} {_ci(r['logit_change'], r['logit_low'], r['logit_high'])}")
    return " / ".join(parts)


def centre_mean(effects: pd.DataFrame, motif_id: str, task: str) -> float:
    rows = effects[(effects["motif_id"] == motif_id) & effects["centre"].astype(bool) & (effects["task"] == task)]
    return float(rows["logit_change"].mean()) if len(rows) else np.nan


def read_outputs(tf: str, arch: str, args) -> dict | None:
    out = args.out / tf / arch
    files = {k: out / OUTPUTS[k] for k in ("summary", "effects", "verdicts")}
    if not all(f.is_file() for f in files.values()):
        return None
    got = {k: pd.read_csv(f, sep="\t") for k, f in files.items()}
    got["effects"]["motif_id"] = got["effects"]["motif_id"].astype(str)
    table = pd.read_csv(args.results / tf / "motifs.tsv", sep="\t")
    got["table"] = table[(table["tf"].astype(str) == tf) & (table["architecture"] == arch)]
    timing = out / "timing.json"
    got["timing"] = json.loads(timing.read_text()) if timing.is_file() else None
    return got


def is_own(value) -> bool:
    """A ``top_in_family`` cell as the grammar stage reads it (:func:`deepmotif.grammar.own_family`)."""
    from deepmotif.match import verdict

    if isinstance(value, str):
        return value.strip().lower() == "true"
    return verdict(value)


def own_row(tf: str, arch: str, got: dict) -> list[str]:
    summary, effects, table = got["summary"], got["effects"], got["table"]
    tasks = list(dict.fromkeys(effects["task"].astype(str)))
    task = tf if tf in tasks else (tasks[0] if tasks else tf)
    own_ids = set(table.loc[table["top_in_family"].map(is_own), "motif_id"])
    kept = summary.reset_index(drop=True)
    mine = kept[kept["motif_id"].isin(own_ids)]
    ref = effects[effects["reference"].astype(bool)]
    ref_text = "; ".join(f"{n}: {centre_effects(effects, m, task)}"
                         for m, n in dict(zip(ref["motif_id"], ref["motif_name"])).items()) or "–"
    if mine.empty:
        why = f"none kept ({len(own_ids)} own-family of {len(table)})" if own_ids else "none"
        return [tf, arch, why, "–", "–", ref_text, "–", "–", "–", "–"]
    r = mine.iloc[0]
    rank = f"{int(mine.index[0]) + 1}/{len(kept)}"
    return [tf, arch, f"{r['motif_name']} ({r['motif_id'].split('.', 1)[-1]})", rank,
            centre_effects(effects, r["motif_id"], task), ref_text,
            f"{100 * r['positives_with_site']:.0f} % / {100 * r['negatives_with_site']:.0f} %",
            _num(r["odds_ratio"], 1), _p(r["fisher_p"]), _num(r["median_offset"], 1)]


def pair_row(tf: str, arch: str, got: dict) -> list[str]:
    v = got["verdicts"]
    v = v[v["verdict"] != "no pairs"]
    coop = v[v["verdict"] == "cooperative"]
    text = "; ".join(f"{r.first_name} × {r.second_name} @ {int(r.spacing)} bp {r.orientation}: "
                     f"{_ci(r.logit_interaction, r.logit_low, r.logit_high)}" for r in coop.itertuples()) or "–"
    redundant = v[v["verdict"] == "redundant"]
    red_text = "; ".join(f"{r.first_name} × {r.second_name} @ {int(r.spacing)} {r.orientation}: "
                         f"{_num(r.logit_interaction)}" for r in redundant.itertuples())
    prob = v["verdict_probability"].value_counts().to_dict() if len(v) else {}
    return [tf, arch, str(len(v)), text, f"{len(redundant)}" + (f" ({red_text})" if red_text else ""),
            str(int((v["verdict"] == "independent").sum())),
            ", ".join(f"{k} {n}" for k, n in prob.items()) or "–"]


def motif_rows(tf: str, arch: str, got: dict) -> list[list[str]]:
    summary, effects, table = got["summary"], got["effects"], got["table"]
    tasks = list(dict.fromkeys(effects["task"].astype(str)))
    task = tf if tf in tasks else (tasks[0] if tasks else tf)
    own = dict(zip(table["motif_id"], table["top_in_family"].map(is_own)))
    return [[tf, arch, str(i + 1), f"{r.motif_name} ({r.motif_id.split('.', 1)[-1]})", "yes" if own.get(r.motif_id)
             else "", _num(centre_mean(effects, r.motif_id, task)),
             f"{100 * r.positives_with_site:.0f} % / {100 * r.negatives_with_site:.0f} %", _p(r.fisher_p),
             _num(r.median_offset, 1)] for i, r in enumerate(summary.itertuples())]


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows])


def report(tfs: list[str], args, results: dict) -> None:
    own, pairs, motifs, failed, times = [], [], [], [], []
    for tf in tfs:
        per_arch = []
        for arch in args.archs:
            res = results.get((tf, arch))
            if res is None:
                timing = args.out / tf / arch / "timing.json"
                res = json.loads(timing.read_text()) if timing.is_file() else None
            if res is not None and res["rc"] != 0:
                failed.append([tf, arch, str(res["rc"]), " ⏎ ".join(res["tail"])])
            per_arch.append(f"{res['seconds']:.0f}" if res else "–")
            got = read_outputs(tf, arch, args) if res is None or res["rc"] == 0 else None
            if got is None:
                continue
            own.append(own_row(tf, arch, got))
            pairs.append(pair_row(tf, arch, got))
            motifs += motif_rows(tf, arch, got)
        secs = [float(s) for s in per_arch if s != "–"]
        times.append([tf, *per_arch, f"{sum(secs):.0f}" if secs else "–"])
    print("## Own-family motif (logit effect at the centre, 95 % interval, + / - orientation)\n")
    print(markdown(["TF", "arch", "own-family motif", "rank", "effect (logit)", "JASPAR reference effect",
                    "pos / neg with used site", "odds", "Fisher p", "median offset (bp)"], own))
    print("\n## Pair verdicts (logit scale; interaction with its Bonferroni interval)\n")
    print(markdown(["TF", "arch", "pairs", "cooperative", "redundant", "independent", "probability-scale verdicts"],
                   pairs))
    if args.all_motifs:
        print("\n## Every kept motif (most supported first; mean centre logit effect over both orientations)\n")
        print(markdown(["TF", "arch", "#", "motif", "own family", "effect (logit)", "pos / neg with used site",
                        "Fisher p", "median offset (bp)"], motifs))
    print("\n## Time per TF (s, wall of each job; --jobs at once, --threads torch thread(s) each)\n")
    print(markdown(["TF", *args.archs, "total"], times))
    if failed:
        print("\n## Failures\n")
        print(markdown(["TF", "arch", "rc", "last log lines"], failed))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--jaspar", type=Path, default=default_jaspar())
    p.add_argument("--config", type=Path, default=CONFIG if CONFIG.is_file() else None,
                   help="the run's YAML config (grammar defaults fill the rest)")
    p.add_argument("--archs", nargs="+", default=["cnn", "cnnrnn"])
    p.add_argument("--tfs", nargs="+", default=None, help="default: every folder of --results with data.npz")
    p.add_argument("--out", type=Path, default=OUT, help="outputs in OUT/<TF>/<arch>/")
    p.add_argument("--set", default="{}", help="JSON merged over the config's grammar section")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--report-only", action="store_true", help="print the tables of an earlier run")
    p.add_argument("--all-motifs", action="store_true", help="also a table of every kept motif")
    args = p.parse_args()
    args.overrides = json.loads(args.set)
    results_dir, out_dir = args.results.resolve(), args.out.resolve()
    if out_dir == results_dir or results_dir in out_dir.parents:
        p.error(f"--out {args.out} lies inside --results {args.results}: the grammar outputs must go elsewhere")
    if args.jaspar is None or not args.jaspar.is_file():
        p.error(f"JASPAR MEME file not found: {args.jaspar}")
    tfs = args.tfs or sorted(d.name for d in args.results.iterdir() if (d / "data.npz").is_file())
    print(f"TFs: {' '.join(tfs)}; archs: {' '.join(args.archs)}; grammar overrides: {json.dumps(args.overrides)}; "
          f"config: {args.config}; JASPAR: {args.jaspar}; jobs {args.jobs} × {args.threads} thread(s), "
          f"device {args.device}\n")
    results = {}
    if not args.report_only:
        jobs = [(tf, arch) for tf in tfs for arch in args.archs]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for res in pool.map(lambda j: run_one(*j, args), jobs):
                results[(res["tf"], res["arch"])] = res
        print(f"wall time: {time.perf_counter() - started:.0f} s for {len(jobs)} jobs\n")
    report(tfs, args, results)


if __name__ == "__main__":
    main()

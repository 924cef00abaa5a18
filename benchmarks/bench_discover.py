"""Benchmark of motif discovery (deepmotif.discover): time per map and recovery of planted JASPAR motifs vs
the number of explained sequences on synthetic maps, then the demo's saliency maps, and modisco-lite's time
on the same synthetic maps where it is importable (e.g. PYTHONPATH=/tmp/discover/site).

    .venv/bin/python benchmarks/bench_discover.py [--sizes 200 500 1000 2000] [--results results]
        [--modisco-sizes 200 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from deepmotif.data.synthetic import markov_background, plant_multi
from deepmotif.discover import discover, ism_scores, pfm_similarity
from deepmotif.tomtom import consensus

PLANTED = ("MA0035.5", "MA0496.4", "MA0502.3", "MA0139.2")  # GATA1, MAFK, NFYB, CTCF


def synthetic(n: int, pwms: list[np.ndarray], k: tuple[int, int], noise: float = 0.3, seed: int = 0):
    """One-hot (n, 4, 101) and a 'perfect' map one-hot × (planted-site indicator + noise)."""
    rng = np.random.default_rng(seed)
    codes, mask, _ = plant_multi(markov_background(n, 101, rng), pwms, k[0], k[1], random_state=rng)
    X = np.zeros((n, 4, 101), dtype=np.float32)
    X[np.arange(n)[:, None], codes, np.arange(101)[None, :]] = 1
    score = (mask >= 0) + rng.normal(0, noise, (n, 101))
    return X, (X * score[:, None, :]).astype(np.float32)


def recovered(found, pwms: list[np.ndarray]) -> int:
    """Planted motifs matched (Pearson > 0.9) by some discovered motif."""
    return len({int(np.argmax(s)) for s in ([pfm_similarity(m.pfm, p) for p in pwms] for m in found) if max(s) > 0.9})


def run_modisco(X: np.ndarray, attr: np.ndarray):
    from modiscolite import tfmodisco

    start = time.perf_counter()
    pos, _ = tfmodisco.TFMoDISco(one_hot=X.transpose(0, 2, 1).copy(),
                                 hypothetical_contribs=attr.transpose(0, 2, 1).copy(),
                                 sliding_window_size=15, flank_size=5, target_seqlet_fdr=0.05, verbose=False)
    return time.perf_counter() - start, list(pos or [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000, 2000])
    parser.add_argument("--modisco-sizes", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--results", type=Path, default=Path("results"))
    args = parser.parse_args()
    from deepmotif.jaspar import fetch_collection

    jaspar = {m.id: m.pwm for m in fetch_collection("JASPAR2024") if m.id in PLANTED}
    cases = {"1 motif": ([jaspar[PLANTED[0]]], (1, 1)), "2 motifs": ([jaspar[i] for i in PLANTED[:2]], (1, 2)),
             "4 motifs": ([jaspar[i] for i in PLANTED], (1, 3))}
    try:
        import modiscolite  # noqa: F401
        have_modisco = True
    except ImportError:
        have_modisco = False
    print(f"{'case':10} {'N':>5} {'seconds':>8} {'found':>5} {'recovered':>9}  top consensus"
          + ("   modisco: s, patterns, recovered, time ratio" if have_modisco else ""))
    for case, (pwms, k) in cases.items():
        for n in args.sizes:
            X, attr = synthetic(n, pwms, k, seed=n)
            start = time.perf_counter()
            found = discover(X, attr)
            dt = time.perf_counter() - start
            line = (f"{case:10} {n:5d} {dt:8.2f} {len(found):5d} {recovered(found, pwms):>5}/{len(pwms)}  "
                    f"{consensus(found[0].pfm) if found else '-'}")
            if have_modisco and n in args.modisco_sizes:
                mt, pats = run_modisco(X, attr)
                got = len({int(np.argmax([pfm_similarity(p.sequence.T, q) for q in pwms])) for p in pats
                           if max(pfm_similarity(p.sequence.T, q) for q in pwms) > 0.9})
                ratio = f"{mt / max(dt, 1e-3):7.0f}x" if pats else "  (none)"
                line += f"   {mt:6.1f} {len(pats):3d} {got}/{len(pwms)} {ratio}"
            print(line, flush=True)
    paths = sorted(args.results.glob("*/*/saliency.npz"))
    if not paths:
        print(f"no demo maps under {args.results}/*/*/saliency.npz")
        return
    from deepmotif.data.prepare import load_split

    print(f"\n{'map':28} {'N':>4} {'seconds':>8} {'found':>5}  motifs (seqlets, support, consensus)")
    for path in paths:
        tf, arch = path.parts[-3], path.parts[-2]
        X, _ = load_split(str(args.results / tf / "data.npz"), "test")
        z = np.load(path)
        Xs = np.asarray(X, dtype=np.float32)[z["index"]]
        maps = {"saliency": z["saliency"]}
        extra = path.with_name("interpret.npz")
        if extra.exists():
            zi = np.load(extra)
            maps.update({m: zi[m] for m in ("deeplift", "ig") if m in zi.files})
            if "ism" in zi.files:
                maps["ism"] = ism_scores(zi["ism"])
        for method, attr in maps.items():
            start = time.perf_counter()
            found = discover(Xs, attr)
            dt = time.perf_counter() - start
            desc = ", ".join(f"({m.n_seqlets}, {m.support:.2f}, {consensus(m.pfm)})" for m in found[:3])
            print(f"{tf + '/' + arch + '/' + method:28} {len(Xs):4d} {dt:8.2f} {len(found):5d}  {desc}", flush=True)


if __name__ == "__main__":
    main()

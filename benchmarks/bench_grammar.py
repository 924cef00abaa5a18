"""Speed of the grammar stage (deepmotif.effects, deepmotif.pairs, deepmotif.instances) against tangermeme 1.6
on the same model, backgrounds and thread count (the ``bench`` extra: ``.venv/bin/pip install --no-deps
tangermeme==1.6.0 figwig==0.2.0``; without ``--no-deps`` pip may pull another torch). Without tangermeme only
our times are printed.

The workload is the issue's: global importance analysis of one CNN with 200 dinucleotide-shuffled
backgrounds, 10 motifs at 10 positions, 5 pairs x 4 orientations x 41 spacings, and the instances of 10
motifs in 10,000 sequences. Model: ``--model`` (the demo's trained GATA1 CNN), else a freshly initialised
CNN; sequences: the ``--data`` test split (all splits, repeated, for the 10,000), else random one-hot; motifs:
the first 10 of ``--motifs``, else random PFMs. Untrained weights do not change the cost.

Rows (``ratio`` = ours / tangermeme, the goal <= 1; ``seqs`` = sequences through the model, each side's own
count; ``ms/1k`` = milliseconds per 1,000 of them):

* ``effects``: ``effects.motif_effects`` (each motif sampled from its PFM, both orientations at each of
  the positions, the backgrounds scored once) against ``tangermeme.marginalize`` called for the same motif x
  position x orientation with the consensus (its reverse complement for ``-``), as its documentation shows;
  marginalize scores the backgrounds again at every call, hence its larger ``seqs``, and ``ms/1k`` compares
  the cost per sequence scored.
* ``pairs``: ``pairs.pair_effects`` (per pair: first alone in 2 orientations, second alone at every spacing
  in 2, the pair at every spacing in 4) against the same configurations through tangermeme: ``space`` of
  the two consensuses per orientation, ``space`` of ``N`` x first width (tangermeme keeps the background
  there) and the second for the second alone, ``marginalize`` of the first alone, all at our layout's start.
* ``instances``: ``instances.contributions`` (corrected gradient x input at the observed base) +
  ``instances.call_instances`` (memelite FIMO of the motifs on both strands, each site's attribution and
  ``used``) against tangermeme's ``saliency`` (``gradient_correction=True``, summed over the bases: the same
  map) + the same memelite ``fimo`` that tangermeme's tutorials use for instance calling. tangermeme has no
  step that marks the sites a model uses; its seqlet route (``recursive_seqlets`` + ``annotate_seqlets``,
  TOMTOM of seqlets against motifs) answers a different question and is not timed.

Each library runs with its default batch sizes (ours: ``grammar.effects.batch_size``,
``grammar.instances.batch_size``; tangermeme's ``predict`` / ``saliency``: 32); ``--tangermeme-batch 32 512``
times tangermeme at each (a row each; its ``marginalize`` and ``space`` predict one configuration at a time,
so its batches hold at most the 200 backgrounds). The two take turns; the best of ``--repeat`` runs is kept.

Measured (tangermeme 1.6.0, the demo's GATA1 CNN, 2 threads on a shared 2-core machine at load 6-10, so
+-30 %): effects 22.6 s vs 555 s (batch 32) / 124 s (512), ratio 0.04 / 0.18; pairs 230 s vs 409 s (512),
0.56 (0.16-0.18 at 32 on 1 pair); instances 28 s vs 119 s (32) / 21 s (512), 0.24 / 1.33 (0.75-1.03 in
other runs: both are the same gradient pass of the same model, identical maps, and memelite's FIMO).
Ours is 99 % model forward (and backward for the instances).

Run from the repository root::

    NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_grammar.py [--threads 2] [--repeat 1]
        [--model PATH] [--data PATH] [--motifs PATH] [--backgrounds 200] [--n-motifs 10] [--positions 10]
        [--pairs 5] [--max-spacing 40] [--instances 10000] [--device cpu] [--tangermeme-batch 32 [512]]
        [--only effects pairs instances] [--profile]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from deepmotif.effects import DEFAULTS as EFFECTS, backgrounds, insertion_positions, motif_effects
from deepmotif.instances import DEFAULTS as INSTANCES, call_instances, contributions
from deepmotif.memeio import Motif
from deepmotif.pairs import ORIENTATIONS, layout, pair_effects
from deepmotif.tomtom import consensus

#: the demo's GATA1 (`make demo` in the repository root); absent, a fresh CNN and random inputs stand in
RESULTS = Path(__file__).resolve().parents[1] / "results" / "GATA1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_attribution import _Targets  # noqa: E402  our model with the (N, 1) output tangermeme keeps per task
WORKLOADS = ("effects", "pairs", "instances")


def _inputs(args) -> tuple[torch.nn.Module, np.ndarray, np.ndarray, np.ndarray, list[Motif], list[str]]:
    """Model, test split, sequences (and labels) for the instances, motifs, and where each came from."""
    from deepmotif.models import build_model

    notes = []
    if args.model.is_file():
        from deepmotif.train import load_model

        model, arch = load_model(args.model)
        notes.append(f"model {args.model} ({arch})")
    else:
        torch.manual_seed(0)
        model = build_model("cnn").eval()
        notes.append("model: a fresh CNN (no checkpoint at --model)")
    model = model.to(args.device).eval()
    rng = np.random.default_rng(0)
    if args.data.is_file():
        from deepmotif.data.prepare import SPLITS, load_split

        test, _ = load_split(args.data, "test")
        parts = [load_split(args.data, s) for s in SPLITS]
        X_all, y_all = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        notes.append(f"backgrounds from the test split of {args.data} ({len(test)} sequences)")
    else:
        eye = np.eye(4, dtype=np.float32)
        test = eye[rng.integers(0, 4, (1000, 101))].transpose(0, 2, 1).copy()
        X_all, y_all = eye[rng.integers(0, 4, (5000, 101))].transpose(0, 2, 1).copy(), rng.integers(0, 2, 5000)
        notes.append("sequences: random 101 bp one-hot (no data set at --data)")
    reps = -(-args.instances // len(X_all))
    X_inst = np.tile(X_all, (reps, 1, 1))[:args.instances]
    y_inst = np.tile(y_all, reps)[:args.instances].astype(int)
    if args.motifs.is_file():
        from deepmotif.memeio import read_meme

        motifs = read_meme(args.motifs)[:args.n_motifs]
        notes.append(f"{len(motifs)} motifs of {args.motifs} (widths {[m.width for m in motifs]})")
    else:
        motifs = []
    if len(motifs) < args.n_motifs:
        notes.append(f"{args.n_motifs - len(motifs)} random 8-bp PFM(s)")
    for i in range(len(motifs), args.n_motifs):  # top up with random 8-bp PFMs
        motifs.append(Motif(f"random{i}", "", rng.dirichlet(np.full(4, 0.3), 8).T.copy(), None))
    return model, test, X_inst, y_inst, motifs, notes


def _rc(word: str) -> str:
    return word[::-1].translate(str.maketrans("ACGT", "TGCA"))


def workloads(args, model, bg: np.ndarray, X_inst, y_inst, motifs: list[Motif]) -> dict:
    """Workload name → [our call, tangermeme's call (of its batch size) or None, our sequences scored, its]."""
    n, length = bg.shape[0], bg.shape[2]
    pwms = {m.id: m.pwm for m in motifs}
    pairs = [(motifs[0], motifs[1 + i % (len(motifs) - 1)]) for i in range(args.pairs)]
    spacings = list(range(args.max_spacing + 1))
    eb, ib = EFFECTS["batch_size"], INSTANCES["batch_size"]
    out = {}

    # our sequence counts, as effects.py / pairs.py build them
    configs = [len(insertion_positions(length, m.width, args.positions)[0]) * 2 for m in motifs]
    ours_effects = n + n * sum(configs)
    ours_pairs = args.pairs * n * (1 + 2 + 2 * len(spacings) + 4 * len(spacings))

    def our_effects():
        return motif_effects(model, pwms, bg, args.positions, batch_size=eb, device=args.device)

    def our_pairs():
        return [pair_effects(model, a.pwm, b.pwm, bg, args.max_spacing, batch_size=eb, device=args.device)
                for a, b in pairs]

    def our_instances():
        c = contributions(model, X_inst, ib, args.device)
        return call_instances(motifs, X_inst, y_inst, c, INSTANCES["p_value"], INSTANCES["attribution_quantile"])

    try:
        from tangermeme.marginalize import marginalize
        from tangermeme.predict import predict
        from tangermeme.saliency import saliency as t_saliency
        from tangermeme.space import space
    except ImportError:
        marginalize = None

    out["effects"] = [our_effects, None, ours_effects, None]
    out["pairs"] = [our_pairs, None, ours_pairs, None]
    out["instances"] = [our_instances, None, len(X_inst), None]
    if marginalize is None:
        return out

    wrapped = _Targets(model).eval()
    Xt = torch.from_numpy(bg).to(args.device)
    words = {m.id: consensus(m.pwm) for m in motifs}

    def their_effects(batch):
        kw = {"batch_size": batch, "device": args.device}
        res = []
        for m in motifs:
            where, _ = insertion_positions(length, m.width, args.positions)
            for p in where:
                for word in (words[m.id], _rc(words[m.id])):
                    res.append(marginalize(wrapped, Xt, word, start=p, func=predict, **kw))
        return res

    def their_pairs(batch):
        kw = {"batch_size": batch, "device": args.device}
        res = []
        sp = [[s] for s in spacings]
        for a, b in pairs:
            wa = a.width
            start = layout(length, wa, b.width, args.max_spacing)
            fa, fb = words[a.id], words[b.id]
            for oa in "+-":  # first alone
                res.append(marginalize(wrapped, Xt, fa if oa == "+" else _rc(fa), start=start, func=predict, **kw))
            for ob in "+-":  # second alone at every spacing, the first's columns kept ('N')
                res.append(space(wrapped, Xt, ["N" * wa, fb if ob == "+" else _rc(fb)], sp, start=start, **kw))
            for o in ORIENTATIONS:
                motifs_ = [fa if o[0] == "+" else _rc(fa), fb if o[1] == "+" else _rc(fb)]
                res.append(space(wrapped, Xt, motifs_, sp, start=start, **kw))
        return res

    def their_instances(batch):
        from memelite import fimo

        kw = {"batch_size": batch, "device": args.device}
        X = torch.from_numpy(np.asarray(X_inst, dtype=np.float32))
        c = t_saliency(wrapped, X, gradient_correction=True, **kw).sum(dim=1).numpy()
        hits = fimo({m.id: np.asarray(m.pwm, dtype=np.float64) for m in motifs}, X.numpy(),
                    threshold=INSTANCES["p_value"])
        return c, hits

    n_calls = sum(len(insertion_positions(length, m.width, args.positions)[0]) * 2 for m in motifs)
    out["effects"][1], out["effects"][3] = their_effects, 2 * n * n_calls
    out["pairs"][1], out["pairs"][3] = their_pairs, args.pairs * (2 * 2 * n + 6 * n * (1 + len(spacings)))
    out["instances"][1], out["instances"][3] = their_instances, len(X_inst)
    return out


def _timed(fns, repeat: int) -> list[float]:
    """The shortest of ``repeat`` runs of each function; the functions take turns, so that a shared
    machine's load changes fall on both."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=RESULTS / "cnn" / "best.pt")
    ap.add_argument("--data", type=Path, default=RESULTS / "data.npz")
    ap.add_argument("--motifs", type=Path, default=RESULTS / "cnn" / "motifs.meme")
    ap.add_argument("--backgrounds", type=int, default=200)
    ap.add_argument("--n-motifs", type=int, default=10)
    ap.add_argument("--positions", type=int, default=10)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--max-spacing", type=int, default=40)
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--tangermeme-batch", type=int, nargs="+", default=[32],
                    help="tangermeme's batch size(s), a row each (its default 32)")
    ap.add_argument("--repeat", type=int, default=1, help="keep the best of this many runs of each")
    ap.add_argument("--only", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    ap.add_argument("--profile", action="store_true", help="cProfile our side of each workload (top 15, cumulative)")
    args = ap.parse_args()
    if args.n_motifs < 2:
        ap.error("--n-motifs must be at least 2 (the pairs)")
    torch.set_num_threads(args.threads)
    model, test, X_inst, y_inst, motifs, notes = _inputs(args)
    bg = backgrounds(test, args.backgrounds, EFFECTS["seed"])
    jobs = workloads(args, model, bg, X_inst, y_inst, motifs)
    have_t = jobs["effects"][1] is not None
    try:
        from importlib.metadata import version

        t_version = version("tangermeme") if have_t else None
    except Exception:
        t_version = "?"
    print(f"{torch.get_num_threads()} thread(s), device {args.device}, {len(bg)} backgrounds, "
          f"{len(motifs)} motifs at {args.positions} positions, {args.pairs} pairs x 4 orientations x "
          f"{args.max_spacing + 1} spacings, instances in {len(X_inst)} sequences; best of {args.repeat}")
    for note in notes:
        print("  " + note)
    print(f"tangermeme {t_version}" if have_t else
          "tangermeme is not installed (.venv/bin/pip install --no-deps tangermeme==1.6.0 figwig==0.2.0): "
          "its columns are left out")
    # warm-up: numba caches (shuffles, FIMO), oneDNN primitives
    small = np.ascontiguousarray(bg[:8])
    motif_effects(model, {motifs[0].id: motifs[0].pwm}, small, 2, device=args.device)
    our_c = contributions(model, X_inst[:64], INSTANCES["batch_size"], args.device)
    call_instances(motifs, X_inst[:64], y_inst[:64], our_c)
    header = (f"{'workload':10s} {'deepmotif s':>11s} {'seqs':>8s} {'ms/1k':>7s} {'t.batch':>7s} {'tangermeme s':>12s} "
              f"{'seqs':>8s} {'ms/1k':>7s} {'ratio':>6s} {'ratio/1k':>8s}")
    print(header)
    for name in args.only:
        ours, theirs, n_ours, n_theirs = jobs[name]
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(ours)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
        batches = args.tangermeme_batch if theirs is not None else []
        dt, *dt_t = _timed([ours] + [lambda b=b: theirs(b) for b in batches], args.repeat)
        row = f"{name:10s} {dt:11.2f} {n_ours:8d} {1e6 * dt / n_ours:7.2f}"
        if not batches:
            print(row, flush=True)
        for i, (batch, dt_b) in enumerate(zip(batches, dt_t)):
            r_1k = (dt / n_ours) / (dt_b / n_theirs)
            print((row if i == 0 else " " * len(row)) + f" {batch:7d} {dt_b:12.2f} {n_theirs:8d} "
                  f"{1e6 * dt_b / n_theirs:7.2f} {dt / dt_b:6.2f} {r_1k:8.2f}", flush=True)


if __name__ == "__main__":
    main()

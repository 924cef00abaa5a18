"""The grammar stage of one TF × architecture: what the discovered motifs do in the trained model.

It reads the motifs/match outputs (the model's discovered motifs and their JASPAR names) and the model, and
writes: every instance of each distinct motif in the test sequences (:mod:`deepmotif.instances`), each
motif's effect by global importance analysis with the TF's own JASPAR matrix as reference row
(:mod:`deepmotif.effects`), and the effects of motif pairs over spacing × orientation with a verdict per pair
(:mod:`deepmotif.pairs`). Nothing upstream imports this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.memeio import Motif

#: the name of a motif without a significant JASPAR hit: its consensus after this
UNMATCHED = "unmatched"


def motif_name(row: pd.Series, significance: float) -> str:
    """A motif's name in the grammar tables: its best JASPAR hit where that is significant (q <=
    ``significance``, config ``match.significance``), else ``unmatched <consensus>``."""
    from deepmotif.match import MATCHED

    if (row.get("status") == MATCHED and isinstance(row.get("hit1_name"), str)
            and float(row.get("hit1_q", np.nan)) <= significance):
        return row["hit1_name"]
    return f"{UNMATCHED} {row.get('consensus', '')}".strip()


def distinct_motifs(motifs: list[Motif], table: pd.DataFrame, settings: dict) -> list[tuple[Motif, pd.Series]]:
    """The model's distinct informative motifs, most supported first (share of the explained sequences
    carrying one of its seqlets; discovery order among equals): those of ``settings["methods"]`` (all when
    None) that the match stage did not call "no motif", each kept only when its PFM correlates less than
    ``similarity`` with every motif kept before it (both strands, any offset), at most ``max_motifs``; with
    each its row of the TF's motif table."""
    from deepmotif.discover import pfm_similarity
    from deepmotif.match import NO_MOTIF

    rows = table.set_index("motif_id")
    candidates = [(m, rows.loc[m.id]) for m in motifs if m.id in rows.index]
    candidates = [(m, row) for m, row in candidates if row["status"] != NO_MOTIF
                  and (not settings["methods"] or row["method"] in settings["methods"])]
    candidates.sort(key=lambda c: -np.nan_to_num(float(c[1]["support"])))  # stable: discovery order among equals
    kept = []
    for m, row in candidates:
        if any(pfm_similarity(m.pwm, k.pwm) >= settings["similarity"] for k, _ in kept):
            continue
        kept.append((m, row))
        if len(kept) == settings["max_motifs"]:
            break
    return kept


def own_family(row: pd.Series) -> bool:
    """Whether a motif's best hit is of the TF's own family (an empty verdict, a TF without a known motif,
    reads as not)."""
    from deepmotif.match import verdict

    return verdict(row.get("top_in_family"))


def chosen_pairs(kept: list[tuple[Motif, pd.Series]], max_pairs: int) -> list[tuple[int, int]]:
    """Pairs of kept motifs (indices): first each own-family motif with every other motif (each unordered
    pair once: a TF of several planted motifs has all of them as own-family, and its cross pairs are the
    question), then each own-family motif with itself, then the others with themselves; a TF without an
    own-family motif takes its first motif as the anchor. At most ``max_pairs``."""
    anchors = [i for i, (_, row) in enumerate(kept) if own_family(row)] or ([0] if kept else [])
    cross = [(a, b) for a in anchors for b in range(len(kept)) if b != a]
    cross = [(a, b) for k, (a, b) in enumerate(cross) if (b, a) not in cross[:k]]
    selves = [(a, a) for a in anchors] + [(b, b) for b in range(len(kept)) if b not in anchors]
    return (cross + selves)[:max_pairs]


def task_names(data_file, tf: str, tasks: int) -> list[str]:
    """Names of a model's tasks: its data set's logic tasks / TFs, or planted motifs; the TF for one task."""
    from deepmotif.io_utils import open_npz

    if tasks == 1:
        return [tf]
    with open_npz(data_file) as z:
        for key in ("meta_task_names", "meta_planted_names"):
            if key in z.files and len(z[key]) == tasks:
                return [str(t) for t in z[key]]
    return [f"task{k}" for k in range(tasks)]


def reference_motifs(table: pd.DataFrame, jaspar_file) -> list[Motif]:
    """The TF's own JASPAR matrices (``own_id`` of its motif table) from the JASPAR MEME file, for the
    reference rows of the effect table."""
    from deepmotif.memeio import read_meme

    ids = {i for value in table.get("own_id", pd.Series(dtype=str)).dropna() for i in str(value).split(",") if i}
    return [m for m in read_meme(jaspar_file) if m.id in ids] if ids else []


def write_grammar(tf: str, arch: str, data_file, model_file, motifs_file, table_file, jaspar_file, cfg: dict,
                  outputs: dict[str, str | Path], device=None, log=print) -> None:
    """The grammar stage of one model (config section ``grammar``), every output written atomically.

    ``outputs``: ``instances``, ``summary`` (per-motif instance statistics), ``effects``, ``pairs``,
    ``verdicts``, ``heat_map`` (PNG).
    """
    from deepmotif.data.prepare import load_split, load_task_labels
    from deepmotif.effects import COLUMNS as EFFECT_COLUMNS, backgrounds, motif_effects
    from deepmotif.errors import InputError
    from deepmotif.instances import (COLUMNS as INSTANCE_COLUMNS, SUMMARY_COLUMNS, call_instances,
                                     contributions, summarise)
    from deepmotif.io_utils import write_tsv
    from deepmotif.match import read_motifs
    from deepmotif.pairs import COLUMNS as PAIR_COLUMNS, heat_map, layout, pair_effects, verdicts
    from deepmotif.train import load_model

    settings = cfg["grammar"]
    table = pd.read_csv(table_file, sep="\t")
    table = table[(table["tf"].astype(str) == tf) & (table["architecture"] == arch)]
    # a motifs.meme with the header only (a model without a motif) is an empty motif set, not an error
    kept = distinct_motifs(read_motifs(motifs_file), table, settings)
    X, y = load_split(data_file, settings["split"])
    model, _ = load_model(model_file, device or "cpu")
    tasks = task_names(data_file, tf, int(model_scores_width(model, X[:1])))
    # a multi-task model's instances are counted against each task's own labels
    labels = load_task_labels(data_file, settings["split"]) if len(tasks) > 1 else y[:, None]
    names = {m.id: motif_name(row, float(cfg["match"]["significance"])) for m, row in kept}
    motifs = [m for m, _ in kept]
    refs = reference_motifs(table, jaspar_file)
    pair = settings["pairs"]
    chosen = chosen_pairs(kept, int(pair["max_pairs"]))
    # every input checked before the first output is written: bad input leaves nothing half-written
    if len(X) == 0:
        raise InputError(f"no {settings['split']} sequences to scan and shuffle", path=data_file,
                         field="grammar.split")
    width = X.shape[2]
    for source, group in ((motifs_file, motifs), (jaspar_file, refs)):
        too_wide = [m.id for m in group if m.width > width]
        if too_wide:
            raise InputError(f"motif(s) {', '.join(too_wide)} wider than the {width}-bp sequences", path=source)
    for a, b in chosen:
        try:
            layout(width, motifs[a].width, motifs[b].width, int(pair["max_spacing"]))
        except ValueError as err:
            raise InputError(f"pair {motifs[a].id}, {motifs[b].id}: {err}", field="grammar.pairs.max_spacing") from None
    log(f"{tf} {arch}: {len(motifs)} distinct motif(s) of {len(table)} rows; {len(X)} {settings['split']} sequences")

    inst = settings["instances"]
    c = contributions(model, X, int(inst["batch_size"]), device)
    sites = call_instances(motifs, X, y, c, float(inst["p_value"]), float(inst["attribution_quantile"]))
    sites = sites.assign(tf=tf, architecture=arch, motif_name=sites["motif_id"].map(names))
    write_tsv(outputs["instances"], sites.reindex(columns=INSTANCE_COLUMNS))
    summary = pd.concat([summarise(sites, motifs, labels[:, k], X.shape[2]).assign(task=task)
                         for k, task in enumerate(tasks)], ignore_index=True).assign(tf=tf, architecture=arch)
    summary["motif_name"] = summary["motif_id"].map(names)
    write_tsv(outputs["summary"], summary.reindex(columns=SUMMARY_COLUMNS))
    log(f"instances: {len(sites)} sites, {int(sites['used'].sum())} used")

    eff = settings["effects"]
    bg = backgrounds(X, int(eff["backgrounds"]), int(eff["seed"]))
    common = dict(seed=int(eff["seed"]), batch_size=int(eff["batch_size"]), device=device, tasks=tasks)
    effects = motif_effects(model, {m.id: m.pwm for m in motifs + refs}, bg, int(eff["positions"]), **common)
    ref_ids = {m.id for m in refs}
    names.update({m.id: f"{m.name} (JASPAR {m.id})" for m in refs})
    effects = effects.assign(tf=tf, architecture=arch, motif_name=effects["motif_id"].map(names),
                             reference=effects["motif_id"].isin(ref_ids))
    write_tsv(outputs["effects"], effects.reindex(columns=EFFECT_COLUMNS))
    log(f"effects: {len(motifs)} motif(s) and {len(refs)} reference matrix(es) × {len(bg)} backgrounds")

    parts = []
    for a, b in chosen:
        first, second = motifs[a], motifs[b]
        part = pair_effects(model, first.pwm, second.pwm, bg, int(pair["max_spacing"]), level=float(pair["level"]),
                            **common)
        parts.append(part.assign(first=first.id, second=second.id, first_name=names[first.id],
                                 second_name=names[second.id]))
    pairs = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PAIR_COLUMNS)).assign(**{
        "tf": tf, "architecture": arch})
    write_tsv(outputs["pairs"], pairs.reindex(columns=PAIR_COLUMNS))
    found = verdicts(pairs, float(pair["min_share"])) if parts else no_pairs(tf, arch)
    write_tsv(outputs["verdicts"], found)
    heat_map(pairs, outputs["heat_map"])
    log(f"pairs: {len(parts)} pair(s); verdicts {found['verdict'].value_counts().to_dict()}")


def model_scores_width(model, x: np.ndarray) -> int:
    """How many task logits ``model`` gives (1 for a single-task model)."""
    from deepmotif.effects import model_scores

    return model_scores(model, x).shape[1]


def no_pairs(tf: str, arch: str) -> pd.DataFrame:
    """The verdict table of a model without a motif to pair: one explicit "no pairs" row."""
    from deepmotif.pairs import VERDICT_COLUMNS

    return pd.DataFrame([{"tf": tf, "architecture": arch, "verdict": "no pairs"}], columns=VERDICT_COLUMNS)

"""The report's view of the grammar stage: on each TF's page, per model, its motifs' instances (enrichment in
positives, centrality), their effects with intervals and the pair verdicts with the heat map; in the index,
each TF's cooperating partners."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

#: the grammar stage's tables in results/tables, by the name write_report takes them under
TABLES = ("instance_summary", "effects", "pair_verdicts")
#: columns of the instance summary shown on a TF's page
INSTANCE_SHOWN = ["task", "motif_name", "width", "n_sites", "n_used", "positives_with_site", "negatives_with_site",
                  "fisher_p", "sites_per_positive", "median_offset", "centrality"]
#: columns of the pair verdicts shown on a TF's page
VERDICT_SHOWN = ["task", "first_name", "second_name", "verdict", "spacing", "orientation", "logit_interaction",
                 "logit_low", "logit_high", "verdict_probability", "probability_interaction", "probability_low",
                 "probability_high"]


def read_grammar(files: list[str | Path]) -> dict[str, pd.DataFrame]:
    """The grammar tables (``instance_summary.tsv``, ``effects.tsv``, ``pair_verdicts.tsv``, any order) by
    name; {} without them."""
    out = {}
    for f in files or []:
        name = Path(f).name.removesuffix(".tsv")
        if name in TABLES:
            out[name] = pd.read_csv(f, sep="\t")
    return out


def partners(verdicts: pd.DataFrame) -> pd.Series:
    """TF → its cooperating partners: the second motif of every cooperative pair of another motif with the
    TF's first (own-family or anchor) motif, over all architectures, ``name (arch)``; "" for none."""
    if verdicts is None or verdicts.empty:
        return pd.Series(dtype=str)
    coop = verdicts[(verdicts["verdict"] == "cooperative") & (verdicts["first"] != verdicts["second"])]
    named = {}
    for tf, name, arch in zip(coop["tf"].astype(str), coop["second_name"], coop["architecture"]):
        named.setdefault(tf, {})[f"{name} ({arch})"] = None
    return pd.Series({tf: ", ".join(names) for tf, names in named.items()}, dtype=str)


def effect_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Each motif's effect at the centre, both orientations: change of the logit and of the probability,
    each with its 95 % interval as ``mean [low, high]``."""
    centre = effects[effects["centre"].astype(str) == "True"]
    out = centre[["task", "motif_name", "reference", "orientation"]].copy()
    for scale in ("logit", "probability"):
        out[f"{scale} change"] = [f"{m:+.3g} [{lo:+.3g}, {hi:+.3g}]" for m, lo, hi in
                                  zip(centre[f"{scale}_change"], centre[f"{scale}_low"], centre[f"{scale}_high"])]
    return out


def grammar_section(tf: str, tables: dict[str, pd.DataFrame], figures: dict[tuple[str, str], str],
                    table_html) -> str:
    """The "What the motifs do" section of a TF's page: per architecture its instance summary, effect table,
    pair verdicts and heat map (``figures``: (tf, arch) → image path relative to the page)."""
    if not tables:
        return ""
    archs = list(dict.fromkeys(a for t in tables.values() for a in t.loc[t["tf"].astype(str) == tf, "architecture"]))
    parts = ["<h2 id='grammar'>What the motifs do</h2><p>Per model: each distinct discovered motif's sites in "
             "the test sequences (used: the model's attribution there stands out), the share of positives and "
             "negatives with a used site; its effect on the prediction when inserted into shuffled "
             "backgrounds (global importance analysis, 95 % interval; the TF's own JASPAR matrix as reference); "
             "and each motif pair's verdict over spacing × orientation.</p>"]
    for arch in archs:
        def rows(name):
            t = tables.get(name)
            return t[(t["tf"].astype(str) == tf) & (t["architecture"] == arch)] if t is not None else pd.DataFrame()
        parts.append(f"<h3>{html.escape(arch)}</h3>")
        inst, eff, ver = rows("instance_summary"), rows("effects"), rows("pair_verdicts")
        if len(inst):
            parts.append("<h4>Instances</h4>" + table_html(inst.reindex(columns=INSTANCE_SHOWN)))
        if len(eff):
            parts.append("<h4>Effects</h4>" + table_html(effect_table(eff)))
        if len(ver):
            parts.append("<h4>Pairs</h4>" + table_html(ver.reindex(columns=VERDICT_SHOWN)))
        if (tf, arch) in figures:
            src = figures[(tf, arch)]
            parts.append(f'<figure><img alt="pairs of {html.escape(tf)} {html.escape(arch)}" '
                         f'src="{html.escape(src)}"><figcaption>interaction (logit) per spacing × orientation'
                         "</figcaption></figure>")
    return "".join(parts)

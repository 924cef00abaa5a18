"""Which matching rule keeps long zinc-finger matrices and empty queries from winning: the 51 demo motifs
(``../shared/data/tomtom-reference/demo-motifs``) against the JASPAR2024 file they were matched with,
under several trimming / distance / admissibility variants, one line per variant.

Run: ``NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/match_rules.py`` (about a minute; the Pearson
variants need MEME's tomtom, ``../shared/tools/meme-5.5.8/tomtom`` or on PATH, and are skipped without it).

Columns (counts over the 51 queries; hits are the admissible ranking of each variant):
own1 / own1 sig: the TF's own matrix (MA0035 GATA1, MA0496 MAFK, MA0502 NFYB) is hit 1 / and q <= 0.05;
fam1 sig: hit 1 is of the TF's family (broad families need similarity to the own matrix) with q <= 0.05;
fam top3: ``family_recovered``; ZF1: hit 1 is a zinc-finger family matrix or CTCF; ZF1 sig: and q <= 0.05;
no-trace sig: of the 6 queries with no trace of their TF's motif (own matrix ranked below 20 in all three
stored MEME runs of the untrimmed queries), those with a hit at q <= 0.05; weak sig: queries whose trimmed
core carries < 4 bits or < 0.4 bits a column, with a hit at q <= 0.05; lost: queries whose hit 1 is a significant family hit under
the project's former matching (untrimmed, ed, min-overlap 1) but that are not ``family_recovered`` here;
no motif: queries not sent to Tomtom.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.jaspar import families, find_motif
from deepmotif.config import DEFAULTS
from deepmotif.match import admissible, prepare_queries, summarise_motifs, target_geometry
from deepmotif.match import similar_to_own
from deepmotif.memeio import read_meme
from deepmotif.tomtom import tomtom

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT.parent / "shared" / "data" / "tomtom-reference" / "demo-motifs"
TOMTOM_BIN = ROOT.parent / "shared" / "tools" / "meme-5.5.8" / "tomtom"
OWN = {"GATA1": "MA0035.5", "MAFK": "MA0496.4", "NFYB": "MA0502.3"}
RELEASE = "JASPAR2024"


def _settings(**kw) -> dict:
    s = dict(DEFAULTS["match"], trim_bits=0.3, min_bits=4.0, min_mean_bits=0.0)
    s.update(kw)
    return s


def no_trace_queries() -> set[str]:
    """Queries whose own matrix ranks below 20 in all three stored MEME runs of the untrimmed queries."""
    out = None
    for name in ("ed_minov1", "pearson_minov1", "pearson_minov5"):
        ref = pd.read_csv(DEMO / f"tomtom_{name}.tsv.gz", sep="\t", comment="#")
        ref = ref.sort_values(["Query_ID", "p-value"], kind="stable")
        ref["rank"] = ref.groupby("Query_ID").cumcount() + 1
        ref["own"] = ref["Target_ID"] == ref["Query_ID"].str.split(".").str[0].map(OWN)
        far = set(ref[ref["own"] & (ref["rank"] > 20)]["Query_ID"])
        out = far if out is None else out & far
    return out


def run_variant(queries, targets, own, fams, settings, complete=True, ratio=np.inf, tomtom_kw=None):
    cores = prepare_queries(queries, settings["trim_bits"], settings["min_bits"], settings["min_mean_bits"])
    sent = [c for c in cores.values() if c is not None]
    kw = tomtom_kw or {}
    every = tomtom(sent, targets, thresh=None, **kw)
    t_cores, t_widths = target_geometry(targets, 0.3)
    widths = {c.id: c.width for c in sent}
    every["admissible"] = admissible(every, widths, t_cores, t_widths, ratio, complete)
    s = dict(settings, max_target_ratio=ratio, complete_overlap=complete, **{k: v for k, v in kw.items() if k in ("dist", "min_overlap")})
    similar = similar_to_own(own, targets, dict(s, backend=kw.get("backend", "memelite"),
                                                tomtom_bin=kw.get("tomtom_bin")))
    return summarise_motifs(every, queries, cores, own, fams, s, similar)


def score(table: pd.DataFrame, fams: dict, no_trace: set[str], weak: set[str], baseline_true: set[str]) -> dict:
    sig = table["hit1_q"] <= 0.05
    own1 = table["hit1_id"].str.split(".").str[0] == table["tf"].map(OWN).str.split(".").str[0]
    zf = np.array([("zinc finger" in fam.lower()) or name.upper() == "CTCF"
                   for fam, name in zip(table["hit1_family"].fillna(""), table["hit1_name"].fillna(""))])
    by_id = table.set_index("motif_id")
    return {"own1": int(own1.sum()), "own1 sig": int((own1 & sig).sum()),
            "fam1 sig": int(table["top_in_family"].sum()), "fam top3": int(table["family_recovered"].sum()),
            "ZF1": int(zf.sum()), "ZF1 sig": int((zf & sig).sum()),
            "no-trace sig": int(sum(bool(by_id.at[i, "hit1_q"] <= 0.05) for i in no_trace)),
            "weak sig": int(sum(bool(by_id.at[i, "hit1_q"] <= 0.05) for i in weak)),
            "lost": int(sum(not by_id.at[i, "family_recovered"] for i in baseline_true)),
            "no motif": int((table["status"] == "no motif").sum())}


def main() -> int:
    if not DEMO.is_dir():
        print(f"{DEMO} not present", file=sys.stderr)
        return 1
    queries = read_meme(DEMO / "demo_queries.meme")
    targets = read_meme(DEMO / "JASPAR2024_vertebrates_as_used.meme")
    fams = families(RELEASE)
    own = {tf: find_motif(RELEASE, jid) for tf, jid in OWN.items()}
    no_trace = no_trace_queries()
    weak = {i for i, c in prepare_queries(queries, 0.3, 4.0, 0.4).items() if c is None}
    meme = str(TOMTOM_BIN) if TOMTOM_BIN.is_file() else shutil.which("tomtom")

    raw = _settings(trim_bits=0.0, min_bits=0.0)
    dense = _settings(min_mean_bits=0.4)
    variants = {"former: untrimmed, ed, min-overlap 1": (raw, dict(complete=False))}
    trimmed = _settings()
    variants["trim 0.3 + >=4 bits, ed"] = (trimmed, dict(complete=False))
    variants["  + complete overlap"] = (trimmed, dict(complete=True))
    variants["  + target core <= 2x query"] = (trimmed, dict(complete=False, ratio=2.0))
    variants["  + target core <= 1.5x query"] = (trimmed, dict(complete=False, ratio=1.5))
    variants["trim + 4 bits + 0.4 bits/column, core <= 2x (default)"] = (dense, dict(complete=False, ratio=2.0))
    variants["  same + complete overlap"] = (dense, dict(complete=True, ratio=2.0))
    if meme:
        pkw = dict(backend="meme", tomtom_bin=meme, dist="pearson")
        variants["trim + 4 bits, pearson min-overlap 5 (MEME)"] = (
            trimmed, dict(complete=False, tomtom_kw=dict(pkw, min_overlap=5)))
        variants["trim + 4 bits + 0.4 bits/col, pearson, core <= 2x (MEME)"] = (
            dense, dict(complete=False, ratio=2.0, tomtom_kw=dict(pkw, min_overlap=1)))
    results, baseline_true = {}, set()
    for name, (s, kw) in variants.items():
        table = run_variant(queries, targets, own, fams, s, **kw)
        if not results:
            baseline_true = set(table.loc[table["top_in_family"], "motif_id"])
        results[name] = score(table, fams, no_trace, weak, baseline_true)
    frame = pd.DataFrame(results).T
    pd.set_option("display.width", 200)
    print(f"51 demo queries; {len(no_trace)} with no trace of their TF's motif, {len(weak)} with < 4 bits or < 0.4 "
          f"bits/column after trimming; {len(baseline_true)} significant family hits at hit 1 under the "
          "former matching")
    print(frame.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())

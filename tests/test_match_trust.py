"""Motifs you can trust: trimming, the "no motif" status, the admissibility rule that keeps long zinc-finger
matrices from winning, the broad-family rule, and agreement with MEME's tomtom at the project's settings.

Real memelite Tomtom against the real JASPAR2024 vertebrates collection (the shared file the demo used, or
pyjaspar's copy). Run with NUMBA_CACHE_DIR set (e.g. .cache/numba) so memelite loads its compiled code.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmotif.data.shuffle import shuffle_codes
from deepmotif.config import DEFAULTS
from deepmotif.match import (MOTIF_COLUMNS, NO_MOTIF, SUMMARY_COLUMNS, broad_families,
                             is_family_hit, match_queries, match_settings, prepare_queries, read_info,
                             split_motif_id, summarise)
from deepmotif.memeio import Motif, read_meme
from deepmotif.tomtom import tomtom
from deepmotif.trim import column_information, informative, small_sample_correction, total_information, trim

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT.parent / "shared" / "data" / "tomtom-reference" / "demo-motifs"
TOMTOM_BIN = ROOT.parent / "shared" / "tools" / "meme-5.5.8" / "tomtom"
needs_demo = pytest.mark.skipif(not DEMO.is_dir(), reason=f"{DEMO} not present (real test data is kept outside "
                                                          "the repository)")
needs_meme = pytest.mark.skipif(not TOMTOM_BIN.is_file(), reason=f"MEME's tomtom not present at {TOMTOM_BIN}")
RELEASE = "JASPAR2024"
SETTINGS = match_settings({"match": {}, "motifs": {}})
OWN = {"GATA1": "MA0035.5", "MAFK": "MA0496.4", "NFYB": "MA0502.3"}


@pytest.fixture(scope="module")
def jaspar():
    """(targets, families) of JASPAR2024 CORE vertebrates; skips when neither the file nor pyjaspar has it."""
    try:
        from deepmotif.jaspar import families, fetch_collection

        fams = families(RELEASE)
        targets = (read_meme(DEMO / "JASPAR2024_vertebrates_as_used.meme") if DEMO.is_dir()
                   else fetch_collection(RELEASE))
    except Exception as err:  # pyjaspar missing or without the release
        pytest.skip(f"JASPAR2024 not available: {err}")
    return targets, fams


def _own(tf_to_id: dict[str, str]) -> dict:
    from deepmotif.jaspar import find_motif

    return {tf: find_motif(RELEASE, jid) for tf, jid in tf_to_id.items()}


def _by_id(targets, matrix_id):
    return next(t for t in targets if t.id == matrix_id)


# ------------------------------------------------------------------------------------------ trim


def test_column_information_and_small_sample_correction():
    onehot = np.eye(4)[:, [0, 1, 2, 3]]
    assert np.allclose(column_information(onehot), 2.0)
    assert np.allclose(column_information(np.full((4, 3), 0.25)), 0.0)
    assert small_sample_correction(None) == 0 and small_sample_correction(10) == pytest.approx(0.2164, abs=1e-4)
    rng = np.random.default_rng(0)
    raw, corrected = [], []
    for _ in range(50):  # PFMs of 10 random sites: ~0.24 bits a column uncorrected, ~0.09 corrected (clipped at 0)
        codes = rng.integers(0, 4, (10, 15))
        pfm = np.stack([np.bincount(c, minlength=4) for c in codes.T], axis=1) / 10
        raw.append(column_information(pfm).mean())
        corrected.append(column_information(pfm, nsites=10).mean())
        assert not informative(Motif("r", "", pfm, nsites=10))
    assert np.mean(raw) > 0.2 and np.mean(corrected) < 0.12
    with pytest.raises(ValueError, match=r"shape \(4, w\)"):
        column_information(np.ones((3, 4)))


def test_trim_drops_weak_flanks_and_keeps_metadata():
    pwm = np.full((4, 9), 0.25)
    pwm[:, 2:5] = np.eye(4)[:, [0, 1, 2]]
    pwm[:, 3] = [0.25] * 4          # weak inner column: kept
    pwm[:, 5] = [0.97, 0.01, 0.01, 0.01]
    m = Motif("T.cnn.saliency", "T", pwm, nsites=200)
    core = trim(m, 0.3)
    assert (core.id, core.name, core.nsites, core.width) == ("T.cnn.saliency", "T", 200, 4)
    assert np.array_equal(core.pwm, pwm[:, 2:6]) and m.width == 9
    assert total_information(core) == pytest.approx(total_information(m))
    assert trim(Motif("u", "", np.full((4, 6), 0.25)), 0.3) is None
    assert not informative(None) and not informative(Motif("u", "", np.full((4, 6), 0.25)))
    assert informative(m, min_bits=4.0) and not informative(m, min_bits=6.0)
    assert not informative(m, min_mean_bits=1.5)  # 5.7 bits over 4 columns
    with pytest.raises(ValueError, match="min_column_bits"):
        trim(m, -1)


def test_split_motif_id_and_settings():
    assert split_motif_id("GATA1.cnn.saliency") == ("GATA1", "cnn", "saliency", 1)
    assert split_motif_id("Nr2.f1.cnnrnn.ism.m3") == ("Nr2.f1", "cnnrnn", "ism", 3)
    assert split_motif_id("T.cnn.filter12") == ("T", "cnn", "filter12", 1)
    with pytest.raises(ValueError, match="TF.architecture.method"):
        split_motif_id("cnn.saliency")
    s = match_settings({"match": {"max_target_ratio": 3}, "motifs": {"trim_bits": 0.5}})
    assert s["max_target_ratio"] == 3.0 and s["trim_bits"] == 0.5 and s["dist"] == DEFAULTS["match"]["dist"]
    assert s["min_bits"] == 4.0 and s["complete_overlap"] is False


# ------------------------------------------------------------------------------------------ null motifs


def _null_queries(targets) -> list[Motif]:
    rng = np.random.default_rng(1)
    out = [Motif("NULL.cnn.uniform", "", np.full((4, 15), 0.25), nsites=200)]
    for i in range(3):  # Dirichlet around 0.25: ~0.1 bits a column
        pwm = rng.dirichlet(np.full(4, 5.0), size=15).T
        out.append(Motif(f"NULL.cnn.near{i}", "", pwm, nsites=200))
    for i, mid in enumerate(["MA0035.5", "MA0139.2", "MA0496.4", "MA0502.3"]):
        src = _by_id(targets, mid).pwm
        codes = np.stack([rng.choice(4, size=30, p=col / col.sum()) for col in src.T], axis=1).astype(np.uint8)
        shuffled = shuffle_codes(codes, random_state=i)
        pfm = np.stack([np.bincount(c, minlength=4) for c in shuffled.T], axis=1) / len(shuffled)
        out.append(Motif(f"NULL.cnn.shuffled{i}", "", pfm, nsites=len(shuffled)))
    return out


def test_null_motifs_are_never_significant(jaspar):
    targets, fams = jaspar
    queries = _null_queries(targets)
    near = column_information(queries[1].pwm).mean()
    assert 0.03 < near < 0.2, near
    hits, table = match_queries(queries, targets, _own({"NULL": "MA0035.5"}), fams, SETTINGS)
    assert list(table.columns) == MOTIF_COLUMNS and len(table) == len(queries)
    assert (table.loc[:3, "status"] == NO_MOTIF).all()
    matched = table[table["status"] != NO_MOTIF]
    assert (matched["hit1_q"] > 0.05).all(), matched[["motif_id", "hit1_name", "hit1_q"]]
    none = table[table["status"] == NO_MOTIF]
    assert none["hit1_id"].isna().all() and not none[["recovered", "family_recovered", "top_in_family"]].any().any()


# ------------------------------------------------------------------------------------------ demo motifs


@needs_demo
def test_demo_motifs_have_no_long_zinc_finger_winner(jaspar):
    targets, fams = jaspar
    queries = read_meme(DEMO / "demo_queries.meme")
    hits, table = match_queries(queries, targets, _own(OWN), fams, SETTINGS)
    widths = {t.id: t.width for t in targets}
    matched = table[table["status"] == "matched"]
    zf = matched["hit1_family"].fillna("").str.contains("zinc finger")
    assert not (matched["hit1_name"].str.upper() == "CTCF").any()
    long_zf = zf & (matched["hit1_id"].map(widths) > 2 * matched["width"])
    assert not long_zf.any(), matched.loc[long_zf, ["motif_id", "hit1_name"]]
    # the one significant zinc-finger winner left is a real likeness: the 8-column poly-A ZNF384 matrix for a
    # poly-T motif
    sig_zf = zf & (matched["hit1_q"] <= 0.05)
    assert matched.loc[sig_zf, "hit1_name"].tolist() == ["ZNF384"]
    assert matched.loc[sig_zf, "consensus"].tolist() == ["TTTTTTTTTTTTTTT"]
    assert (table["status"] == NO_MOTIF).sum() == 7
    assert table["recovered"].sum() >= 25 and table["family_recovered"].sum() >= 28
    assert bool(hits["admissible"].any()) and not hits["admissible"].all()


# ------------------------------------------------------------------------------------------ broad family


def test_broad_families():
    fams = {"a": frozenset({"More than 3 adjacent zinc fingers"}), "b": frozenset({"Small"}),
            **{f"h{i}": frozenset({"Big"}) for i in range(5)}}
    assert broad_families(fams, max_size=4) == {"More than 3 adjacent zinc fingers", "Big"}
    zf = frozenset({"More than 3 adjacent zinc fingers"})
    target_fams = {"MA1.1": zf}
    assert not is_family_hit("MA1.1", "CTCF", "MA9.1", zf, "YY1", target_fams, broad=zf, similar=frozenset())
    assert is_family_hit("MA1.1", "CTCF", "MA9.1", zf, "YY1", target_fams, broad=zf, similar=frozenset({"MA1.1"}))
    assert is_family_hit("MA1.1", "CTCF", "MA9.1", zf, "YY1", target_fams)  # narrow family: shared is enough
    assert is_family_hit("MA2.1", "Bach1::Mafk", "MA9.1", frozenset(), "MAFK", {})


def test_ctcf_is_not_family_of_yy1(jaspar):
    targets, fams = jaspar
    ctcf, yy1 = _by_id(targets, "MA0139.2"), _by_id(targets, "MA0095.4")
    assert fams["MA0139.2"] & fams["MA0095.4"] == {"More than 3 adjacent zinc fingers"}
    queries = [Motif("YY1.cnn.saliency", "", ctcf.pwm, nsites=200), Motif("YY1.cnn.ism", "", yy1.pwm, nsites=200)]
    _, table = match_queries(queries, targets, _own({"YY1": "MA0095.4"}), fams, SETTINGS)
    like_ctcf, like_yy1 = table.iloc[0], table.iloc[1]
    assert like_ctcf["hit1_name"] == "CTCF" and like_ctcf["hit1_q"] < 1e-3
    assert not like_ctcf["family_recovered"] and not like_ctcf["top_in_family"] and not like_ctcf["recovered"]
    assert like_yy1["hit1_id"] == "MA0095.4" and like_yy1["recovered"] and like_yy1["family_recovered"]


# ------------------------------------------------------------------------------------------ summary rows


def test_summary_picks_the_best_family_recovered_motif(tmp_path):
    base = {"tf": "T", "architecture": "cnn", "consensus": "ACGT", "n_sites": 10, "hit1_p": 1e-5, "hit1_e": 1e-2,
            "own_id": "MA1.1", "top_in_family": False, "recovered": False}
    rows = [dict(base, method="ism", motif_id="T.cnn.ism.m1", motif_rank=1, status="matched", hit1_id="X",
                 hit1_q=0.01, family_recovered=False),
            dict(base, method="ism", motif_id="T.cnn.ism.m2", motif_rank=2, status="matched", hit1_id="MA1.1",
                 hit1_q=0.02, family_recovered=True),
            dict(base, method="saliency", motif_id="T.cnn.saliency.m1", motif_rank=1, status=NO_MOTIF,
                 family_recovered=False),
            dict(base, method="saliency", motif_id="T.cnn.saliency.m2", motif_rank=2, status="matched",
                 hit1_id="Y", hit1_q=0.5, family_recovered=False)]
    table = pd.DataFrame(rows).reindex(columns=MOTIF_COLUMNS)
    out = summarise(table).drop(columns="_significant")
    assert list(out.columns) == SUMMARY_COLUMNS
    assert out["motif_id"].tolist() == ["T.cnn.ism.m2", "T.cnn.saliency.m2"]
    # a best hit with q above match.significance is no match: not reported as the row's best hit
    assert out["n_motifs"].tolist() == [2, 2] and out["best_id"].tolist() == ["MA1.1", ""]
    assert out["status"].tolist() == ["matched", "no match"] and out["q_value"].tolist() == [0.02, 0.5]
    info = tmp_path / "info.tsv"
    info.write_text("motif_id\tn_seqlets\tsupport\tmean_attribution\nT.cnn.ism.m2\t40\t0.4\t1.5\n")
    assert read_info([info]).set_index("motif_id").at["T.cnn.ism.m2", "n_seqlets"] == 40


# ------------------------------------------------------------------------------------------ real MEME


@needs_demo
@needs_meme
def test_memelite_agrees_with_meme_on_trimmed_demo_queries():
    queries = read_meme(DEMO / "demo_queries.meme")
    targets = read_meme(DEMO / "JASPAR2024_vertebrates_as_used.meme")
    cores = [c for c in prepare_queries(queries).values() if c is not None]
    kw = dict(thresh=None, dist=SETTINGS["dist"], min_overlap=SETTINGS["min_overlap"])
    lite = tomtom(cores, targets, backend="memelite", **kw)
    meme = tomtom(cores, targets, backend="meme", tomtom_bin=str(TOMTOM_BIN), **kw)
    top_l = lite.groupby("Query_ID", sort=False)["Target_ID"].first()
    top_m = meme.groupby("Query_ID", sort=False)["Target_ID"].first().reindex(top_l.index)
    assert float((top_l == top_m).mean()) >= 0.95
    both = lite.merge(meme, on=["Query_ID", "Target_ID"], suffixes=("_l", "_m"))
    assert len(both) == len(cores) * len(targets)
    usable = (both["p-value_l"] > 0) & (both["p-value_m"] > 0)
    r = np.corrcoef(np.log10(both.loc[usable, "p-value_l"]), np.log10(both.loc[usable, "p-value_m"]))[0, 1]
    assert r >= 0.98, r


@needs_demo
def test_match_motifs_end_to_end(tmp_path, jaspar):
    from deepmotif.match import match_motifs
    from deepmotif.memeio import write_meme

    demo = {m.id: m for m in read_meme(DEMO / "demo_queries.meme")}
    pick = [demo["GATA1.cnn.convact"], demo["GATA1.cnn.saliency"], demo["GATA1.cnn.ism"]]
    motifs = [Motif("GATA1.cnn.ism.m1", "GATA1", pick[0].pwm, 200),   # no motif
              Motif("GATA1.cnn.ism.m2", "GATA1", pick[1].pwm, 200),   # GATA1
              Motif("GATA1.cnn.saliency", "GATA1", pick[2].pwm, 200),
              Motif("GATA1.cnn.filter0", "GATA1", pick[0].pwm, 30), Motif("GATA1.cnn.filter1", "GATA1", pick[1].pwm, 30)]
    write_meme(tmp_path / "m.meme", motifs)
    sheet = tmp_path / "tfs.tsv"
    sheet.write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
                     "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n")
    info = tmp_path / "info.tsv"
    info.write_text("motif_id\tmotif_rank\tn_seqlets\tsupport\tmean_attribution\nGATA1.cnn.ism.m2\t2\t40\t0.4\t1.5\n"
                    "GATA1.cnn.deeplift\t0\t0\t0\t\n")  # a view in which the motifs stage found no motif
    cfg = {"tfs": str(sheet), "jaspar": {"release": RELEASE}, "match": {"backend": "memelite", "thresh": 0.5,
           "significance": 0.05}, "motifs": {}}
    hits, table, summary = match_motifs([tmp_path / "m.meme"], DEMO / "JASPAR2024_vertebrates_as_used.meme", cfg,
                                        info_files=[info])
    # in the motifs stage's method order, the view without motif included as a "no motif" row of rank 0
    assert table["motif_id"].tolist() == ["GATA1.cnn.saliency", "GATA1.cnn.ism.m1", "GATA1.cnn.ism.m2",
                                          "GATA1.cnn.deeplift", "GATA1.cnn.filter0", "GATA1.cnn.filter1"]
    assert table["status"].tolist() == ["matched", "no motif", "matched", "no motif", "no motif", "matched"]
    assert table.set_index("motif_id").at["GATA1.cnn.ism.m2", "n_seqlets"] == 40
    assert np.isnan(table.set_index("motif_id").at["GATA1.cnn.saliency", "n_seqlets"])
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary["method"].tolist() == ["saliency", "ism", "deeplift", "filters"]  # the motifs stage's order
    assert summary.set_index("method").at["deeplift", "n_motifs"] == 0
    ism = summary.iloc[1]
    assert ism["motif_id"] == "GATA1.cnn.ism.m2" and ism["motif_rank"] == 2 and ism["n_motifs"] == 2
    assert ism["best_id"] == "MA0035.5" and ism["recovered"] and ism["family_recovered"] and ism["top_in_family"]
    filters = summary.iloc[3]
    assert filters["motif_id"] == "GATA1.cnn.filter1" and filters["n_filters"] == 2
    assert filters["filter_family_fraction"] == 0.5 and filters["family_recovered"]
    assert set(hits["Query_ID"]) <= {"GATA1.cnn.ism.m2", "GATA1.cnn.saliency", "GATA1.cnn.filter1"}


@pytest.mark.parametrize("backend", ["memelite", pytest.param("meme", marks=needs_meme)])
def test_aligned_share_reads_tomtoms_offset_on_both_strands(tmp_path, backend):
    """A query copied from a target's columns 5-11 (either strand) covers exactly those columns' share of
    the target's bits; one sitting half off the target's left end covers its first columns."""
    from deepmotif.match import aligned_share

    rng = np.random.default_rng(1)
    pwm = rng.dirichlet([0.3] * 4, size=17).T
    target = Motif(id="T", name="T", pwm=pwm, nsites=20)
    queries = [Motif(id="Q", name="Q", pwm=pwm[:, 5:12], nsites=20),
               Motif(id="QRC", name="QRC", pwm=pwm[::-1, 11:4:-1], nsites=20),
               Motif(id="QL", name="QL", pwm=np.concatenate([np.full((4, 3), 0.25), pwm[:, :5]], axis=1), nsites=20)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one target: its p-values are unreliable, its offsets are not
        hits = tomtom(queries, [target], backend=backend, thresh=None, tomtom_bin=TOMTOM_BIN)
    bits = column_information(pwm)
    share = dict(zip(hits["Query_ID"], aligned_share(hits, {"T": bits})))
    assert share["Q"] == pytest.approx(bits[5:12].sum() / bits.sum())
    assert share["QRC"] == pytest.approx(bits[5:12].sum() / bits.sum())
    assert share["QL"] == pytest.approx(bits[:5].sum() / bits.sum())


def test_a_query_on_a_matrix_spacer_is_no_hit_of_it(jaspar):
    """GATA1::TAL1 (MA0140.3, 17 columns: a GATA site, 7 near-empty columns, an E-box half): a weak query
    aligned on the spacer holds under a fifth of its information and is inadmissible under the aligned-share
    rule, while a GATA site aligned on the GATA half stays a hit."""
    from deepmotif.match import admissible, aligned_share, target_geometry, target_information

    targets, _ = jaspar
    gata_tal = [t for t in targets if t.id.startswith("MA0140")]
    if not gata_tal:
        pytest.skip("no GATA1::TAL1 matrix in this JASPAR copy")
    t = gata_tal[0]
    spacer = Motif(id="spacer", name="", pwm=np.clip(t.pwm[:, 5:14] * 0.5 + 0.125, 0, 1), nsites=20)
    gata = Motif(id="gata", name="", pwm=t.pwm[:, 0:9], nsites=20)
    hits = tomtom([spacer, gata], targets, thresh=None)
    hits = hits[hits["Target_ID"] == t.id]
    share = dict(zip(hits["Query_ID"], aligned_share(hits, target_information([t]))))
    assert share["spacer"] < 0.2 < 0.4 < share["gata"]
    cores, widths = target_geometry([t])
    ok = dict(zip(hits["Query_ID"], admissible(hits, {"spacer": 9, "gata": 9}, cores, widths, 2.0, False,
                                               target_information([t]), 0.3)))
    assert ok == {"spacer": False, "gata": True}

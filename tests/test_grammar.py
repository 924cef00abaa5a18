"""The grammar stage (deepmotif.instances, deepmotif.effects, deepmotif.pairs, deepmotif.grammar) on models
whose answer is known: hand-built detectors whose first layer holds the log-odds of sharp 8-bp PFMs,
max-pooled over positions and both strands, then combined by a known rule (one motif, AND, OR, a sum, a
motif that lowers the logit, a pair counted only 5-10 bp apart). Then the ``deepmotif grammar`` command on
bad input: one line naming the file or field, exit status 2, no output left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deepmotif.effects import backgrounds, motif_effects
from deepmotif.grammar import chosen_pairs, distinct_motifs, motif_name
from deepmotif.instances import call_instances, contributions, summarise, to_bed, write_bed
from deepmotif.memeio import Motif, write_meme
from deepmotif.pairs import COOPERATIVE, INDEPENDENT, REDUNDANT, pair_effects, verdicts

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[1]
DEEPMOTIF = ROOT / ".venv" / "bin" / "deepmotif"
L = 80  # sequence length
W = 8  # motif width
BASES = "ACGT"
CONSENSUS = {"A": "GGATTACG", "B": "CATGCCTA", "C": "TCCGAGTT", "D": "AACGTTCA"}  # D: in no model


def pfm(consensus: str, top: float = 0.997) -> np.ndarray:
    """A sharp (4, w) PFM: ``top`` on the consensus base, the rest shared by the other three."""
    p = np.full((4, len(consensus)), (1 - top) / 3)
    p[[BASES.index(b) for b in consensus], range(len(consensus))] = top
    return p


PFM = {k: pfm(v) for k, v in CONSENSUS.items()}


class Detector(torch.nn.Module):
    """First layer: one Conv1d filter per motif and strand holding the PFM's log2-odds against a uniform
    background; per motif the best score over positions and strands (``scores``) or per position
    (``position_scores``). ``combine`` maps the (N, K) best scores (or the module, for position rules) to
    (N,) logits."""

    def __init__(self, motifs: list[str], combine, positional: bool = False):
        super().__init__()
        logodds = [np.log2(PFM[m] / 0.25) for m in motifs]
        weights = np.stack([w for lo in logodds for w in (lo, lo[::-1, ::-1])])  # forward, reverse complement
        self.conv = torch.nn.Conv1d(4, len(weights), W, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor(weights.copy(), dtype=torch.float32))
        self.combine, self.positional, self.k = combine, positional, len(motifs)

    def position_scores(self, x):  # (N, K, strands 2, positions)
        s = self.conv(x)
        return s.reshape(len(x), self.k, 2, -1)

    def forward(self, x):
        s = self.position_scores(x)
        if self.positional:
            return self.combine(s)
        return self.combine(s.amax(dim=(2, 3)))


def gate(s):
    """About 1 for a perfect 8-bp site (log2-odds 16), about 0 for one mismatch (6) and below."""
    return torch.sigmoid(2 * (s - 11))


def spaced(s):
    """Counts A (forward strand) only with B (forward strand) starting 5-10 bp after A's end."""
    a, b = gate(s[:, 0, 0]), gate(s[:, 1, 0])  # (N, positions)
    best = torch.zeros(len(s))
    for gap in range(5, 11):
        shift = W + gap
        best = torch.maximum(best, (a[:, :-shift] * b[:, shift:]).amax(dim=1))
    return 4 * best - 2


MODELS = {
    "single": (["A"], lambda s: 4 * gate(s[:, 0]) - 2),
    "and": (["A", "B"], lambda s: 4 * torch.minimum(gate(s[:, 0]), gate(s[:, 1])) - 2),
    "or": (["A", "B"], lambda s: 4 * torch.maximum(gate(s[:, 0]), gate(s[:, 1])) - 2),
    "sum": (["A", "B"], lambda s: 2 * gate(s[:, 0]) + 2 * gate(s[:, 1]) - 3),
    "weak": (["A", "B"], lambda s: 2 * gate(s[:, 0]) + 2 * gate(s[:, 1]) + 0.2 * gate(s[:, 0]) * gate(s[:, 1]) - 3),
    "repress": (["A", "C"], lambda s: 4 * gate(s[:, 0]) - 4 * gate(s[:, 1])),
}


def model(name: str) -> Detector:
    if name == "spaced":
        return Detector(["A", "B"], spaced, positional=True).eval()
    motifs, combine = MODELS[name]
    return Detector(motifs, combine).eval()


def random_x(n: int, seed: int, length: int = L) -> np.ndarray:
    codes = np.random.default_rng(seed).integers(0, 4, (n, length))
    return np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1).copy()


@pytest.fixture(scope="module")
def bg() -> np.ndarray:
    return backgrounds(random_x(60, 1), 40, seed=0)


# ---- effects ----------------------------------------------------------------------------------------------

def test_effects_known_signs(bg):
    """A raises the logit by about 4 at every position and orientation; C lowers it by about 4 (sign -1); D,
    which no filter reads, changes nothing."""
    eff = motif_effects(model("repress"), {m: PFM[m] for m in "ACD"}, bg, positions=4, seed=0)
    assert set(eff["motif_id"]) == {"A", "C", "D"} and (eff["n"] == len(bg)).all()
    assert sorted(eff["position"].unique()) == [0, 24, 36, 48, 72]  # 4 spread from first to last, + centre
    assert eff.groupby("motif_id").size().tolist() == [10, 10, 10]  # × 2 orientations
    assert eff.loc[eff["centre"], "position"].unique().tolist() == [(L - W) // 2]
    a, c, d = (eff[eff["motif_id"] == m] for m in "ACD")
    assert (a["logit_low"] > 3).all() and (a["logit_change"] < 4.1).all() and (a["sign"] == 1).all()
    assert (a["probability_low"] > 0).all()
    assert (c["logit_high"] < -3).all() and (c["sign"] == -1).all() and (c["probability_high"] < 0).all()
    assert (d["logit_change"].abs() < 0.1).all()
    assert ((d["logit_low"] <= 1e-6) & (d["logit_high"] >= -1e-6) | (d["logit_change"].abs() < 1e-3)).all()


# ---- pairs ------------------------------------------------------------------------------------------------

def _verdict(name: str, bg, max_spacing: int = 6, pair: str = "AB") -> tuple[pd.DataFrame, pd.Series]:
    table = pair_effects(model(name), PFM[pair[0]], PFM[pair[1]], bg, max_spacing=max_spacing, seed=0)
    assert len(table) == (max_spacing + 1) * 4
    table = table.assign(tf="X", architecture="hand", first="A", second="B", first_name="a", second_name="b")
    found = verdicts(table)
    assert len(found) == 1 and found["configurations"].iloc[0] == len(table)
    return table, found.iloc[0]


def test_pair_verdicts(bg):
    """AND needs both: f(AB) - f(A) - f(B) + f(bg) is about +4 at every spacing and orientation (each alone
    about 0); OR: either suffices, about -4 (each alone about 4); a sum of the two gates: 0 on the logit
    scale, but super-additive on the probability scale from a baseline of sigmoid(-3)."""
    table, v = _verdict("and", bg)
    assert v["verdict"] == COOPERATIVE and v["verdict_probability"] == COOPERATIVE
    assert (table["logit_low"] > 3).all() and (table[["logit_first", "logit_second"]].abs() < 0.1).all(axis=None)
    table, v = _verdict("or", bg)
    assert v["verdict"] == REDUNDANT and v["logit_interaction"] < -3 and v["verdict_probability"] == REDUNDANT
    assert (table["logit_high"] < -3).all() and (table[["logit_first", "logit_second"]] > 3.5).all(axis=None)
    table, v = _verdict("sum", bg)
    assert v["verdict"] == INDEPENDENT and table["logit_interaction"].abs().max() < 0.05
    assert (table[["logit_first", "logit_second"]] > 1.5).all(axis=None)
    assert v["verdict_probability"] == COOPERATIVE and v["probability_low"] > 0.1
    table, v = _verdict("single", bg)  # B is not read: no interaction, B alone nothing
    assert v["verdict"] == INDEPENDENT and table["logit_interaction"].abs().max() < 0.05
    assert (table["logit_first"] > 3.5).all() and (table["logit_second"].abs() < 0.05).all()
    table, v = _verdict("single", bg, pair="AA")  # a second A adds nothing to the best A: redundant with itself
    assert v["verdict"] == REDUNDANT and (table["logit_high"] < -3).all()


def test_small_precise_interaction_needs_min_share(bg):
    """A sum with a small product term (0.2 gA gB): its interaction of about 0.2 is measured precisely (interval
    above 0) but is under a quarter of the larger single effect (2), so independent; with no margin it counts."""
    table = pair_effects(model("weak"), PFM["A"], PFM["B"], bg, max_spacing=3, seed=0).assign(
        tf="X", architecture="hand", first="A", second="B", first_name="a", second_name="b")
    assert (table["logit_low"] > 0.1).all() and (table["logit_high"] < 0.3).all()
    assert verdicts(table)["verdict"].tolist() == [INDEPENDENT]
    assert verdicts(table, min_share=0)["verdict"].tolist() == [COOPERATIVE]


def test_spacing_rule_is_cooperative_at_its_spacing(bg):
    """B counts only 5-10 bp after A (both forward): cooperative, best at a spacing of 5-10 in ++; other
    spacings and orientations interact not at all."""
    table, v = _verdict("spaced", bg, max_spacing=12)
    assert v["verdict"] == COOPERATIVE and 5 <= v["spacing"] <= 10 and v["orientation"] == "++"
    inside = (table["orientation"] == "++") & table["spacing"].between(5, 10)
    assert (table.loc[inside, "logit_low"] > 2).all()
    assert table.loc[~inside, "logit_interaction"].abs().max() < 0.3


# ---- instances --------------------------------------------------------------------------------------------

def plant(x: np.ndarray, row: int, motif: str, start: int, strand: str) -> tuple:
    site = np.eye(4, dtype=np.float32)[[BASES.index(b) for b in CONSENSUS[motif]]].T
    x[row, :, start:start + W] = site if strand == "+" else site[::-1, ::-1]
    return motif, row, start, strand


@pytest.fixture(scope="module")
def planted():
    """40 random 80-bp sequences: the 20 positives carry A and B, 10 negatives B, the other 10 C (known
    places and strands)."""
    rng = np.random.default_rng(5)
    X, y = random_x(40, 7), np.r_[np.ones(20), np.zeros(20)]
    sites = []
    for row in range(40):
        first, second = int(rng.integers(0, 30)), int(rng.integers(40, L - W + 1))
        strands = rng.choice(["+", "-"], 2)
        if row < 20:
            sites.append(plant(X, row, "A", first, strands[0]))
        sites.append(plant(X, row, "B" if row < 30 else "C", second, strands[1]))
    return X, y, pd.DataFrame(sites, columns=["motif_id", "sequence", "start", "strand"])


def linear_detector(*motifs: str, signs=None) -> Detector:
    """logit = Σ sign × best log-odds score of each motif: its gradient runs through each motif's best site."""
    signs = torch.tensor(signs or [1.0] * len(motifs))
    return Detector(list(motifs), lambda s: (s * signs).sum(dim=1)).eval()


def test_instances_used_ignored_and_repressing(planted):
    X, y, truth = planted
    motifs = [Motif(m, m.lower(), PFM[m]) for m in "ABC"]
    blind = call_instances(motifs, X, y, contributions(linear_detector("A", "C", signs=[1.0, -1.0]), X))
    reads = call_instances(motifs, X, y, contributions(linear_detector("A", "B", "C", signs=[1.0, 1.0, -1.0]), X))
    key = ["motif_id", "sequence", "start", "strand"]
    for sites in (blind, reads):
        found = truth.merge(sites, on=key, how="left", indicator=True)
        assert (found["_merge"] == "both").all(), found[found["_merge"] != "both"]  # every planted site, exactly
        assert (found["end"] == found["start"] + W).all() and (found["p_value"] < 1e-4).all()
        assert len(sites) <= len(truth) + 3  # chance sites of a sharp 8-bp PFM at p <= 3e-4 are rare
        assert (found["label"] == y[found["sequence"]]).all()
    at = truth.merge(blind, on=key).set_index("motif_id")
    assert at.loc["A", "used"].all() and (at.loc["A", "sign"] == 1).all() and (at.loc["A", "attribution"] > 5).all()
    # the model is blind to B: a B site has attribution only where A's or C's best window in a sequence
    # without them overlaps it
    assert not at.loc["B", "used"].any()
    assert at.loc["B", "attribution"].abs().max() < at.loc["A", "attribution"].min() / 2
    assert at.loc["C", "used"].all() and (at.loc["C", "sign"] == -1).all() and (at.loc["C", "attribution"] < -5).all()
    at = truth.merge(reads, on=key).set_index("motif_id")
    assert at.loc["B", "used"].all() and (at.loc["B", "sign"] == 1).all()  # the same sites, read by this model
    none = call_instances([Motif("D", "d", PFM["D"])], X[:4], y[:4], np.zeros((4, L)))  # D is nowhere
    assert none.empty and list(none.columns) == list(blind.columns) and none["sequence"].dtype == np.int64

    summary = summarise(blind, motifs, y, L).set_index("motif_id")
    a, b, c = (summary.loc[m] for m in "ABC")
    assert a["n_used"] == 20 and a["positives_with_site"] == 1 and a["negatives_with_site"] == 0
    assert a["fisher_p"] < 1e-10 and a["odds_ratio"] == np.inf and a["sites_per_positive"] == 1
    assert a["centrality"].split("|")[-2:] != ["0", "0"] and sum(map(int, a["centrality"].split("|"))) == 20
    offsets = truth[truth["motif_id"] == "A"]["start"] + W / 2 - L / 2
    assert a["median_offset"] == pytest.approx(offsets.median()) and a["median_offset"] < 0  # planted left
    assert b["n_sites"] == 30 and b["n_used"] == 0 and b["used_share"] == 0 and b["fisher_p"] == 1
    assert c["n_used"] == 10 and c["negatives_with_site"] == 0.5 and c["positives_with_site"] == 0
    assert c["fisher_p"] == 1 and c["mean_attribution"] < 0 and c["width"] == W


def test_bed_coordinates(planted, tmp_path):
    """Each site at window start + site start, ignored sites named so, one colour per motif; write_bed takes
    the windows from the data set and refuses one without genome coordinates."""
    from deepmotif.errors import InputError

    X, y, truth = planted
    motifs = [Motif(m, m.lower(), PFM[m]) for m in "AB"]
    sites = call_instances(motifs, X, y, contributions(linear_detector("A"), X))
    sites = sites.assign(tf="X", architecture="hand", motif_name=sites["motif_id"].str.lower())
    chrom, start = np.array([f"chr{i % 3 + 1}" for i in range(40)]), 1000 * np.arange(40) + 17
    bed = to_bed(sites, chrom, start, {"A": "1,2,3", "B": "4,5,6"})
    seq = sites["sequence"].to_numpy()
    assert (bed["start"] == start[seq] + sites["start"]).all() and (bed["end"] - bed["start"] == W).all()
    assert (bed["chrom"] == chrom[seq]).all() and (bed["thickStart"] == bed["start"]).all()
    assert set(bed.loc[sites["motif_id"] == "A", "name"]) == {"a|A"}
    assert set(bed.loc[sites["motif_id"] == "B", "name"]) == {"b|B|ignored"}
    assert set(bed.loc[sites["motif_id"] == "B", "itemRgb"]) == {"4,5,6"} and bed["score"].between(0, 1000).all()

    (tmp_path / "X" / "hand").mkdir(parents=True)
    table = tmp_path / "X" / "hand" / "instances.tsv"
    sites.to_csv(table, sep="\t", index=False)
    np.savez(tmp_path / "data.npz", test_chrom=chrom, test_start=start)
    assert write_bed(table, tmp_path / "data.npz", "test", tmp_path / "out.bed") == len(sites)
    lines = (tmp_path / "out.bed").read_text().splitlines()
    assert lines[0] == 'track name="X hand motif instances" itemRgb="On"' and len(lines) == len(sites) + 1
    first = lines[1].split("\t")
    row = sites.iloc[0]
    assert first[:3] == [chrom[row["sequence"]], str(start[row["sequence"]] + row["start"]),
                         str(start[row["sequence"]] + row["end"])] and first[5] == row["strand"]
    np.savez(tmp_path / "plain.npz", test_codes=np.zeros((40, L), dtype=np.uint8))
    with pytest.raises(InputError, match="not an encode data set"):
        write_bed(table, tmp_path / "plain.npz", "test", tmp_path / "none.bed")
    assert not (tmp_path / "none.bed").exists()


# ---- which motifs and pairs -------------------------------------------------------------------------------

def motif_table(top_in_family) -> tuple[list[Motif], pd.DataFrame]:
    """Six discovered motifs: s1 (A, 0.5 of the explained sequences), i1 (A again), s2 (B, 0.6), s3 (C,
    uninformative: "no motif"), f1 (D, a filter, no support), x1 (not in the table)."""
    ids = ["X.cnn.saliency.m1", "X.cnn.ism.m1", "X.cnn.saliency.m2", "X.cnn.saliency.m3", "X.cnn.filter4", "x1"]
    motifs = [Motif(i, "", PFM[m]) for i, m in zip(ids, "AABCDA")]
    table = pd.DataFrame({
        "tf": "X", "architecture": "cnn", "method": ["saliency", "ism", "saliency", "saliency", "filters"],
        "motif_id": ids[:5], "status": ["matched", "matched", "no match", "no motif", "matched"],
        "support": [0.5, 0.4, 0.6, 0.9, np.nan], "top_in_family": top_in_family,
        "hit1_name": ["GATA1", "GATA1", "TAL1", np.nan, "SP1"], "hit1_q": [0.001, 0.002, 0.3, np.nan, 0.2],
        "consensus": [CONSENSUS[m] for m in "AABCD"]})
    return motifs, table


def test_distinct_motifs_and_pairs():
    settings = {"methods": None, "similarity": 0.8, "max_motifs": 8}
    motifs, table = motif_table([False, False, True, False, False])
    kept = distinct_motifs(motifs, table, settings)
    # most supported first; i1 repeats s1's PFM, s3 is no motif, x1 is not in the table, f1 (no support) last
    assert [m.id for m, _ in kept] == ["X.cnn.saliency.m2", "X.cnn.saliency.m1", "X.cnn.filter4"]
    # named by the best hit only where it is significant: f1's SP1 (q 0.2) is not
    assert [motif_name(row, 0.05) for _, row in kept] == ["unmatched CATGCCTA", "GATA1", "unmatched AACGTTCA"]
    assert motif_name(kept[2][1], 0.25) == "SP1"
    assert [m.id for m, _ in distinct_motifs(motifs, table, {**settings, "max_motifs": 2})] == [
        "X.cnn.saliency.m2", "X.cnn.saliency.m1"]
    assert [m.id for m, _ in distinct_motifs(motifs, table, {**settings, "methods": ["ism", "filters"]})] == [
        "X.cnn.ism.m1", "X.cnn.filter4"]
    assert [m.id for m, _ in distinct_motifs(motifs, table, {**settings, "similarity": 1.01})] == [
        "X.cnn.saliency.m2", "X.cnn.saliency.m1", "X.cnn.ism.m1", "X.cnn.filter4"]

    # the own-family motif (s2, kept first) with itself and each other, then the others with themselves
    assert chosen_pairs(kept, 10) == [(0, 1), (0, 2), (0, 0), (1, 1), (2, 2)]  # cross pairs first
    assert chosen_pairs(kept, 3) == [(0, 1), (0, 2), (0, 0)] and chosen_pairs(kept, 0) == []
    _, table = motif_table([True, False, True, False, False])  # two own-family motifs: no pair twice
    assert chosen_pairs(distinct_motifs(motifs, table, settings), 10) == [(0, 1), (0, 2), (1, 2), (0, 0), (1, 1),
                                                                            (2, 2)]
    _, table = motif_table([np.nan] * 5)  # a TF without a known motif: empty verdicts, the first is the anchor
    kept = distinct_motifs(motifs, table, settings)
    assert chosen_pairs(kept, 10) == [(0, 1), (0, 2), (0, 0), (1, 1), (2, 2)]
    assert chosen_pairs(kept[1:], 10) == [(0, 1), (0, 0), (1, 1)] and chosen_pairs([], 10) == []


# ---- the command on bad input -----------------------------------------------------------------------------

OUTPUTS = ("instances", "summary", "effects", "pairs", "verdicts", "heat-map")
FAST = {"grammar": {"effects": {"backgrounds": 12, "positions": 2}, "pairs": {"max_spacing": 4, "max_pairs": 3}}}


def grammar_inputs(tmp: Path, motifs: list[Motif], length: int = 60) -> list[str]:
    """A 40-sequence test split (A planted in the 20 positives; windows in genome coordinates), an untrained
    CNN, ``motifs`` (saliency motifs of TF X, matched in its own family), JASPAR MA0001.1 (= A) the own
    matrix: the arguments of ``deepmotif grammar`` writing into tmp/out."""
    from deepmotif.data.prepare import save_dataset
    from deepmotif.models import build_model
    from deepmotif.train import save_model

    codes = np.random.default_rng(3).integers(0, 4, (40, length)).astype(np.uint8)
    codes[:20, 10:10 + W] = [BASES.index(b) for b in CONSENSUS["A"]]  # A in the positives, at 10
    save_dataset(tmp / "data.npz", {"test_codes": codes, "test_y": np.r_[np.ones(20), np.zeros(20)],
                                    "test_chrom": np.array(["chr1", "chr2"] * 20), "test_start": 500 * np.arange(40)})
    params = {"filters": 4, "kernels": [5], "tasks": 1}
    torch.manual_seed(0)
    save_model(tmp / "best.pt", build_model("cnn", **params), "cnn", params)
    write_meme(tmp / "motifs.meme", motifs)
    write_meme(tmp / "jaspar.meme", [Motif("MA0001.1", "AAA", PFM["A"])])
    pd.DataFrame({"tf": "X", "architecture": "cnn", "method": "saliency", "motif_id": [m.id for m in motifs] or ["-"],
                  "status": "matched", "support": 0.5, "top_in_family": True, "hit1_name": "AAA", "hit1_q": 0.001,
                  "consensus": "ACGT", "own_id": "MA0001.1"}).to_csv(tmp / "motifs.tsv", sep="\t", index=False)
    (tmp / "out").mkdir()
    return ["grammar", "--tf", "X", "--arch", "cnn", "--data", "data.npz", "--model", "best.pt",
            "--motifs", "motifs.meme", "--motif-table", "motifs.tsv", "--jaspar", "jaspar.meme",
            *[a for o in OUTPUTS for a in (f"--{o}", f"out/{o}.{'png' if o == 'heat-map' else 'tsv'}")]]


def start(tmp: Path, args: list[str], settings: dict) -> subprocess.Popen:
    return subprocess.Popen([str(DEEPMOTIF), *args, "--set", json.dumps(settings)], cwd=tmp, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba"), "PATH": "/usr/bin:/bin"})


def one_line_error(proc: subprocess.Popen, *fragments: str) -> None:
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{stderr[-3000:]}"
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepmotif grammar: error: "), stderr[-3000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_bad_input_is_one_line_and_writes_nothing(tmp_path):
    """A 70-bp motif in 60-bp sequences; a pair that cannot fit (8 + 50 + 8 bp in 60): each one line naming
    the file or the config field, exit status 2, no output (the two commands run side by side)."""
    wide, spaced = tmp_path / "wide", tmp_path / "spaced"
    wide.mkdir(), spaced.mkdir()
    runs = [(start(wide, grammar_inputs(wide, [Motif("X.cnn.saliency.m1", "", pfm("ACGT" * 17 + "AC"))]), FAST),
             ("motifs.meme", "X.cnn.saliency.m1", "wider than the 60-bp sequences"), wide),
            (start(spaced, grammar_inputs(spaced, [Motif("X.cnn.saliency.m1", "", PFM["A"])]),
                   {"grammar": {**FAST["grammar"], "pairs": {"max_spacing": 50}}}),
             ("field 'grammar.pairs.max_spacing'", "X.cnn.saliency.m1", "need 66 bp", "have 60"), spaced)]
    try:
        for proc, fragments, folder in runs:
            one_line_error(proc, *fragments)
            assert list((folder / "out").iterdir()) == []
    finally:
        for proc, _, _ in runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_no_motifs_gives_explicit_no_pairs(tmp_path, monkeypatch):
    """A model without a motif (motifs.meme with the header only, as the motifs stage writes it): every table
    written, empty but for the own JASPAR matrix's reference effects and the one "no pairs" verdict row (in
    process: no error to read off the command line)."""
    from deepmotif.cli import main

    monkeypatch.chdir(tmp_path)
    assert main([*grammar_inputs(tmp_path, []), "--set", json.dumps(FAST)]) == 0
    out = tmp_path / "out"
    for name in ("instances", "summary", "pairs"):
        t = pd.read_csv(out / f"{name}.tsv", sep="\t")
        assert t.empty and "tf" in t.columns, name
    verdict = pd.read_csv(out / "verdicts.tsv", sep="\t")
    assert len(verdict) == 1 and verdict.iloc[0][["tf", "architecture", "verdict"]].tolist() == ["X", "cnn", "no pairs"]
    effects = pd.read_csv(out / "effects.tsv", sep="\t")
    assert set(effects["motif_id"]) == {"MA0001.1"} and effects["reference"].all() and len(effects) == 3 * 2
    assert (out / "heat-map.png").read_bytes()[:4] == b"\x89PNG"


def test_command_writes_every_table(tmp_path, monkeypatch):
    """The whole stage in process on two motifs and the own JASPAR matrix, then the BED of its instances."""
    from deepmotif.cli import main

    monkeypatch.chdir(tmp_path)
    args = grammar_inputs(tmp_path, [Motif(f"X.cnn.saliency.m{i}", "", PFM[m]) for i, m in ((1, "A"), (2, "B"))])
    assert main([*args, "--set", json.dumps(FAST)]) == 0
    out = tmp_path / "out"
    sites = pd.read_csv(out / "instances.tsv", sep="\t")
    planted = sites[(sites["motif_id"] == "X.cnn.saliency.m1") & (sites["start"] == 10)]
    assert sorted(planted["sequence"]) == list(range(20)) and (planted["label"] == 1).all()
    assert (sites["motif_name"] == "AAA").all() and sites["used"].isin([True, False]).all()
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert summary["motif_id"].tolist() == ["X.cnn.saliency.m1", "X.cnn.saliency.m2"]
    assert summary.loc[0, "n_sites"] == len(sites[sites["motif_id"] == "X.cnn.saliency.m1"])
    effects = pd.read_csv(out / "effects.tsv", sep="\t")
    assert effects.groupby("motif_id").size().to_dict() == {"MA0001.1": 6, "X.cnn.saliency.m1": 6,
                                                            "X.cnn.saliency.m2": 6}  # 2 spread + centre, ± strand
    assert effects.loc[effects["reference"], "motif_name"].unique().tolist() == ["AAA (JASPAR MA0001.1)"]
    assert (effects["task"] == "X").all() and (effects["n"] == 12).all()
    pairs = pd.read_csv(out / "pairs.tsv", sep="\t")
    assert pairs.groupby(["first", "second"]).size().tolist() == [5 * 4] * 3  # (m1, m1), (m1, m2), (m2, m2)
    verdict = pd.read_csv(out / "verdicts.tsv", sep="\t")
    assert len(verdict) == 3 and verdict["verdict"].isin([COOPERATIVE, INDEPENDENT, REDUNDANT]).all()
    assert (verdict["configurations"] == 20).all()

    assert main(["instances-bed", "--instances", "out/instances.tsv", "--data", "data.npz", "--out", "out/x.bed"]) == 0
    bed = pd.read_csv(out / "x.bed", sep="\t", skiprows=1, header=None)
    assert len(bed) == len(sites) and (bed[1] == 500 * sites["sequence"] + sites["start"]).all()

"""Data stage: one-hot encoding, readers, synthetic planting, leak-free splits, prepared datasets."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from deepmotif.data.onehot import decode, one_hot_encode, one_hot_to_codes
from deepmotif.data.prepare import add_shuffled_negatives, load_split, prepare, save_dataset
from deepmotif.data.readers import read_deepbind, read_fasta, read_zeng
from deepmotif.progress import with_progress
from deepmotif.data.split import group_split, shuffle_groups
from deepmotif.data.synthetic import markov_background, plant_motifs
from deepmotif.errors import InputError

GATA = "deepmotif-k562/GATA1_K562_GATA-1_USC"


def test_one_hot_round_trip_and_n_columns():
    X = one_hot_encode(["ACGTN", "acgta"])
    assert X.shape == (2, 4, 5) and X.dtype == np.float32
    assert X[0, :, 4].sum() == 0 and X[0, 0, 0] == 1 and X[0, 3, 3] == 1
    assert decode(X) == ["ACGTN", "ACGTA"]
    assert one_hot_to_codes(X).tolist() == [[0, 1, 2, 3, 4], [0, 1, 2, 3, 0]]


def test_deepmotif_fasta_both_header_spellings(shared):
    train = read_fasta(shared / GATA / "train.fa", 101, label_headers=True)
    test = read_fasta(shared / GATA / "test.fa", 101, label_headers=True)
    assert len(train.seqs) == 7148 and sum(train.labels) == 3574
    assert train.labels[:4] == [1, 0, 1, 0]
    assert len(test.seqs) == 1000 and test.labels[:500] == [1] * 500 and test.labels[500:] == [0] * 500


def test_deepbind_reader(shared):
    path = next((shared / "deepbind-encode").glob("ELK1*_B.seq.gz"))
    rec = read_deepbind(path, 101)
    assert len(rec.seqs) == 1000 and rec.labels[:500] == [1] * 500 and rec.names[0].endswith("_peak")


@pytest.mark.parametrize("text, line, what", [
    (">1\nACGT\n>0\nACXT\n", 4, "other than A, C, G, T, N"),
    (">1\nACGT\n>0\nACG\n", 3, "3 bp, expected 4"),  # the record header line
    (">1\nACGT\n>x\nACGT\n", 3, "label"),
    ("ACGT\n", 1, "before the first"),
])
def test_fasta_errors_name_file_and_line(tmp_path, text, line, what):
    path = tmp_path / "bad.fa"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_fasta(path, 4, label_headers=True)
    assert f"bad.fa, line {line}" in str(err.value) and what in str(err.value)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.fa: no sequences"):
        read_fasta(empty)
    with pytest.raises(InputError, match="file not found"):
        read_fasta(tmp_path / "nope.fa")


def test_deepbind_and_zeng_errors(tmp_path):
    bad = tmp_path / "x_AC.seq.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("FoldID\tEventID\tseq\tBound\nA\tseq_1_peak\tACGT\t1\nA\tseq_2_peak\tACGT\t2\n")
    with pytest.raises(InputError, match=r"line 3, field 'Bound'"):
        read_deepbind(bad, 4)
    zeng = tmp_path / "train.data"
    zeng.write_text("a ACGT 1\nb ACGT 0\n")
    assert read_zeng(zeng, 4).labels == [1, 0]
    zeng.write_text("a ACGT 1\nb ACGT\n")
    with pytest.raises(InputError, match="line 2"):
        read_zeng(zeng, 4)


def test_markov_background_is_genome_like():
    codes = markov_background(2000, 101, random_state=3)
    pairs = codes[:, :-1].astype(int) * 4 + codes[:, 1:]
    freq = np.bincount(pairs.ravel(), minlength=16) / pairs.size
    assert freq[1 * 4 + 2] < 0.02  # CpG depleted
    gc = np.isin(codes, (1, 2)).mean()
    assert 0.36 < gc < 0.46


def test_plant_motifs_records_positions_and_strands():
    pwm = np.zeros((4, 6))
    pwm[[0, 1, 2, 3, 0, 0], range(6)] = 1  # ACGTAA, deterministic
    bg = markov_background(200, 50, random_state=1)
    codes, starts, strands = plant_motifs(bg, pwm, rate=0.5, random_state=2)
    planted = starts >= 0
    assert 0.35 < planted.mean() < 0.65 and (strands[~planted] == 0).all()
    for row, s, strand in zip(codes[planted], starts[planted], strands[planted]):
        word = "".join("ACGT"[c] for c in row[s:s + 6])
        assert word == ("ACGTAA" if strand == 1 else "TTACGT")
    assert (codes[~planted] == bg[~planted]).all()


def test_group_split_keeps_shuffles_with_their_positive():
    pos = markov_background(300, 40, random_state=5)
    codes, y = add_shuffled_negatives(pos, random_state=1)
    groups = shuffle_groups(codes)
    assert len(np.unique(groups)) == 300
    keep, held = group_split(groups, 0.2, random_state=0)
    assert set(groups[keep]).isdisjoint(groups[held])
    assert abs(len(held) / len(codes) - 0.2) < 0.02


def test_prepare_synthetic_and_deepmotif(tmp_path, shared):
    pwm = np.full((4, 8), 0.25)
    cfg = {"seq_len": 101, "valid_fraction": 0.1, "seed": 1, "synthetic": {"n_train": 100, "n_test": 40}}
    arrays = prepare({"name": "X", "source": "synthetic"}, cfg, pwm)
    assert len(arrays["test_y"]) == 80 and len(arrays["train_y"]) + len(arrays["valid_y"]) == 200
    assert ((arrays["test_motif_start"] >= 0) == (arrays["test_y"] == 1)).all()
    path = tmp_path / "d.npz"
    save_dataset(path, arrays, tf="X")
    X, y = load_split(path, "valid")
    assert X.shape[1:] == (4, 101) and set(np.unique(y)) == {0.0, 1.0}
    row = {"name": "GATA1", "source": "deepmotif_fasta", "train": str(shared / GATA / "train.fa"),
           "test": str(shared / GATA / "test.fa")}
    arrays = prepare(row, {"seq_len": 101, "valid_fraction": 0.1, "seed": 1})
    groups_train = set(shuffle_groups(arrays["train_codes"]).tolist())
    assert len(arrays["test_y"]) == 1000
    allc = np.vstack([arrays["train_codes"], arrays["valid_codes"]])
    g = shuffle_groups(allc)
    n_train = len(arrays["train_codes"])
    assert set(g[:n_train]).isdisjoint(g[n_train:]) and len(groups_train) > 0


def test_prepare_rejects_single_class(tmp_path):
    path = tmp_path / "pos.fa"
    path.write_text("".join(f">0\n{'ACGT' * 5}\n" for _ in range(20)) + "".join(f">0\n{'TTGA' * 5}\n" for _ in range(20)))
    with pytest.raises(InputError, match="both classes"):
        prepare({"name": "X", "source": "deepmotif_fasta", "train": str(path), "test": str(path)},
                {"seq_len": 20, "valid_fraction": 0.1, "seed": 1})


def test_prepare_uses_the_row_the_workflow_passes(tmp_path):
    """`deepmotif prepare --row` (what the workflow's rule passes, its rerun trigger) is the row the job
    builds from: the sheet named in the config is not read again, so the two cannot disagree."""
    import json

    from deepmotif.cli import main

    sheet = tmp_path / "tfs.tsv"
    sheet.write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"
                     "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n")
    settings = json.dumps({"tfs": str(sheet), "data": {"synthetic": {"n_train": 40, "n_test": 20}}})
    row = json.dumps({"source": "synthetic", "jaspar_id": "MA0496.4", "jaspar_name": "MAFK"})
    out = tmp_path / "data.npz"
    assert main(["prepare", "--set", settings, "--tf", "MAFK", "--row", row, "--out", str(out)]) == 0
    with np.load(out) as z:
        assert list(z["meta_planted_ids"]) == ["MA0496.4"] and str(z["meta_tf"]) == "MAFK"
    assert main(["prepare", "--set", settings, "--tf", "MAFK", "--row", "[1]", "--out", str(out)]) == 2


def test_reading_a_big_file_reports_progress(tmp_path, capsys):
    """Lines come through numbered as by enumerate; while reading, progress lines (lines read, MB of the file)
    go to stderr every ``every`` seconds, and the total once done (a small file read within the interval
    prints nothing: ``every`` 5 s in the readers)."""
    path = tmp_path / "peaks.narrowPeak.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("".join(f"line{i}\n" for i in range(20000)))
    with gzip.open(path, "rt") as fh:
        assert [n for n, _ in with_progress(fh, path, every=0.0)] == list(range(1, 20001))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("reading peaks.narrowPeak.gz: 4,096 lines (0 of 0 MB)")
    assert lines[-1].startswith("reading peaks.narrowPeak.gz: 20,000 lines") and "done in" in lines[-1]
    with gzip.open(path, "rt") as fh:
        assert [line for _, line in with_progress(fh, path, start=2)][:1] == ["line0\n"]
    assert capsys.readouterr().err == ""


def test_synthetic_logic_labels_follow_the_planted_motifs(tmp_path):
    """synthetic_logic (DeepResolve's motif-logic tasks): each task's label is its logic applied to the motifs
    actually planted in the sequence; y is any task; the command records the task names; a task naming a
    motif the row does not plant is one error naming the field."""
    import json

    from deepmotif.cli import main
    from deepmotif.data.prepare import load_task_labels

    (tmp_path / "tfs.tsv").write_text("name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\n"
                                      "LOGIC\tsynthetic_logic\t\t\t\tCEBPB,MAFK,NFYB\n")
    logic = [{"name": "CEBPB_and_MAFK", "all": ["CEBPB", "MAFK"]}, {"name": "MAFK_or_NFYB", "any": ["Mafk", "NFYB"]},
             {"name": "CEBPB_not_NFYB", "all": ["CEBPB"], "none": ["NFYB"]}]
    cfg = {"tfs": str(tmp_path / "tfs.tsv"),
           "data": {"seq_len": 80, "synthetic": {"n_train": 300, "n_test": 100, "min_motifs": 1, "max_motifs": 3,
                                                 "motif_rate": 0.8, "logic": logic}}}
    (tmp_path / "config.yaml").write_text(json.dumps(cfg))
    out = tmp_path / "data.npz"
    assert main(["prepare", "--config", str(tmp_path / "config.yaml"), "--tf", "LOGIC", "--out", str(out)]) == 0
    with np.load(out) as z:
        assert list(z["meta_task_names"]) == [t["name"] for t in logic]
        for split in ("train", "valid", "test"):
            present = (z[f"{split}_sites_motif"][:, :, None] == np.arange(3)).any(axis=1)
            c, m, n = present.T
            want = np.stack([c & m, m | n, c & ~n], axis=1).astype(np.float32)
            np.testing.assert_array_equal(z[f"{split}_tasks"], want)
            np.testing.assert_array_equal(z[f"{split}_y"], want.any(axis=1))
            assert 0 < z[f"{split}_y"].mean() < 1 and (z[f"{split}_planted"] >= 0).any()
        np.testing.assert_array_equal(load_task_labels(out, "test"), z["test_tasks"])
    cfg["data"]["synthetic"]["logic"] = [{"name": "bad", "all": ["GATA1"]}]
    (tmp_path / "config.yaml").write_text(json.dumps(cfg))
    assert main(["prepare", "--config", str(tmp_path / "config.yaml"), "--tf", "LOGIC", "--out",
                 str(tmp_path / "bad.npz")]) == 2
    assert not (tmp_path / "bad.npz").exists()


# --- spacing tasks (motif grammar): a pair counts only at a designed gap --------------------------------------

SPACED = [{"name": "A_B_spaced", "all": ["A", "B"], "spacing": [5, 10]}, {"name": "A_and_B", "all": ["A", "B"]}]
WIDTHS = [6, 8, 5]  # A, B, C


def _sites(rows):
    """Hand-made plant_multi sites: one list of (motif, start, strand) per row, padded to 3."""
    out = {"motif": np.full((len(rows), 3), -1), "start": np.full((len(rows), 3), -1),
           "strand": np.zeros((len(rows), 3), dtype=np.int8)}
    for r, row in enumerate(rows):
        for j, (m, s, strand) in enumerate(sorted(row, key=lambda x: x[1])):
            out["motif"][r, j], out["start"][r, j], out["strand"][r, j] = m, s, strand
    return out


def test_spacing_task_is_true_only_at_a_gap_in_its_window():
    """The gap is the bases between the end of whichever instance comes first and the start of the other:
    A (6 bp) at 10 ends at 16, so B at 21 is 5 bp away. Bounds are inclusive; order and strands play no part;
    the same pair without `spacing` is a plain AND."""
    from deepmotif.data.synthetic import logic_labels, pair_gaps

    rows = [
        [(0, 10, 1), (1, 21, 1)],          # A then B, gap 5: in (lower bound)
        [(0, 10, -1), (1, 26, -1)],        # gap 10, minus strands: in (upper bound)
        [(1, 10, 1), (0, 25, -1)],         # B (8 bp, ends at 18) then A, gap 7: in
        [(1, 30, -1), (0, 10, 1)],         # A then B listed out of order, gap 14: out
        [(0, 10, 1), (1, 20, -1)],         # gap 4: out
        [(0, 10, 1), (1, 27, 1)],          # gap 11: out
        [(1, 50, 1), (0, 58, 1)],          # B then A, adjacent (gap 0): out
        [(1, 50, -1), (2, 62, 1), (0, 70, -1)],  # C between, gap 12 from B's end: out
        [(0, 10, 1), (2, 22, 1)],          # no B
        [(0, 100, 1), (2, 110, -1), (1, 120, 1)],  # C between, gap 14: out
        [(2, 5, 1), (0, 20, 1), (1, 33, -1)],  # C elsewhere, gap 7: in
    ]
    sites = _sites(rows)
    present = (sites["motif"][:, :, None] == np.arange(3)).any(axis=1)
    labels = logic_labels(present, SPACED, ["A", "b", "C"], sites=sites, widths=WIDTHS)
    assert labels[:, 0].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert labels[:, 1].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1]
    gaps = pair_gaps(sites, WIDTHS, 0, 1)
    np.testing.assert_array_equal(gaps, [5, 10, 7, 14, 4, 11, 0, 12, np.nan, 14, 7])
    np.testing.assert_array_equal(pair_gaps(sites, WIDTHS, 1, 0), gaps)  # symmetric in the pair


@pytest.mark.parametrize("task, what", [
    ({"name": "t", "all": ["A"], "spacing": [5, 10]}, "exactly two different motifs in `all`"),
    ({"name": "t", "all": ["A", "B", "C"], "spacing": [5, 10]}, "exactly two different motifs in `all`"),
    ({"name": "t", "all": ["A", "a"], "spacing": [5, 10]}, "exactly two different motifs in `all`"),
    ({"name": "t", "any": ["A", "B"], "spacing": [5, 10]}, "exactly two different motifs in `all`"),
    ({"name": "t", "all": ["A", "B"], "spacing": [10, 5]}, "0 <= min <= max, got [10, 5]"),
    ({"name": "t", "all": ["A", "B"], "spacing": [-1, 5]}, "0 <= min <= max"),
    ({"name": "t", "all": ["A", "B"], "spacing": [5]}, "spacing must be [min, max]"),
    ({"name": "t", "all": ["A", "B"], "spacing": ["5", 10]}, "spacing must be [min, max]"),
    ({"name": "t", "all": ["A", "B"], "spacing": [5.5, 10]}, "spacing must be [min, max]"),
])
def test_spacing_task_errors(task, what):
    from deepmotif.data.synthetic import logic_labels, spacing_pairs

    sites = _sites([[(0, 10, 1), (1, 21, 1)]])
    with pytest.raises(ValueError) as err:
        logic_labels(np.ones((1, 3), bool), [task], ["A", "B", "C"], sites=sites, widths=WIDTHS)
    assert what in str(err.value) and "'t'" in str(err.value)
    with pytest.raises(ValueError, match="'t'"):
        spacing_pairs([task], ["A", "B", "C"])
    with pytest.raises(ValueError, match="need the planted sites"):
        logic_labels(np.ones((1, 3), bool), SPACED, ["A", "B", "C"])


def _random_pwms(widths, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.full(4, 0.3), size=w).T for w in widths]


def test_pair_rate_plants_close_pairs_inside_and_outside_the_window():
    """pair_rate: that share of planted rows gets the pair close, half inside its window and half outside it
    (gaps 0..2*max+5, both orders, both strands); sites and mask stay true to what is written; pair_rate 0
    plants exactly as without pairs."""
    from deepmotif.data.synthetic import PAIR_GAP_SLACK, markov_background, pair_gaps, plant_multi

    pwms = _random_pwms([7, 10, 9, 10, 9])
    widths = [p.shape[1] for p in pwms]
    bg = markov_background(2000, 200, 0)
    plain = plant_multi(bg, pwms, 1, 3, 0.9, random_state=3)
    same = plant_multi(bg, pwms, 1, 3, 0.9, random_state=3, pairs=[(0, 1, 5, 10)], pair_rate=0.0)
    assert all(np.array_equal(a, b) for a, b in zip(plain[:2], same[:2]))
    assert all(np.array_equal(plain[2][k], same[2][k]) for k in plain[2])
    codes, mask, sites = plant_multi(bg, pwms, 1, 3, 0.9, random_state=3, pairs=[(0, 1, 5, 10)], pair_rate=0.5)
    gaps = pair_gaps(sites, widths, 0, 1)
    close = gaps <= 2 * 10 + PAIR_GAP_SLACK
    inside = (gaps >= 5) & (gaps <= 10)
    assert 0.4 < inside.sum() / close.sum() < 0.6  # about half of the close pairs are inside the window
    assert set(gaps[close & ~inside].astype(int)) == set(range(0, 5)) | set(range(11, 26))
    assert set(gaps[inside].astype(int)) == set(range(5, 11))
    assert close.sum() > 0.4 * 0.9 * 2000  # pair rows (0.45) plus the few random close pairs
    first = sites["motif"][np.arange(len(gaps)), (np.isin(sites["motif"], [0, 1])).argmax(axis=1)]
    assert {0, 1} <= set(first[close].tolist())  # either motif comes first
    pair_strands = sites["strand"][np.isin(sites["motif"], [0, 1]) & close[:, None]]
    assert {-1, 1} <= set(pair_strands.tolist())
    for r in range(len(codes)):  # mask = the sites; sites in order of position, non-overlapping
        row = [(m, s) for m, s in zip(sites["motif"][r], sites["start"][r]) if m >= 0]
        want = np.full(200, -1)
        for m, s in row:
            want[s:s + widths[m]] = m
        np.testing.assert_array_equal(mask[r], want)
        assert all(s1 + widths[m1] <= s2 for (m1, s1), (m2, s2) in zip(row, row[1:]))
    with pytest.raises(ValueError, match="needs a motif pair"):
        plant_multi(bg, pwms, 1, 3, 0.9, pair_rate=0.5)
    with pytest.raises(ValueError, match="max_motifs must be at least 2"):
        plant_multi(bg, pwms, 1, 1, 0.9, pairs=[(0, 1, 5, 10)], pair_rate=0.5)
    with pytest.raises(ValueError, match="more than 200"):
        plant_multi(bg, pwms, 1, 3, 0.9, pairs=[(0, 1, 5, 90)], pair_rate=0.5)


def test_prepare_labels_spacing_tasks_and_names_the_field_of_bad_ones():
    """synthetic_logic with a spacing task and pair_rate: the task's labels are the pair's presence at a gap
    in its window; errors are InputErrors naming data.synthetic.logic (the task) or pair_rate."""
    from deepmotif.data.prepare import prepare
    from deepmotif.data.synthetic import pair_gaps

    pwms = _random_pwms([7, 10, 9, 10])
    names = ["GATA1", "TAL1::TCF3", "NFYB", "MAFK"]
    logic = [{"name": "spaced", "all": ["GATA1", "TAL1::TCF3"], "spacing": [5, 10]},
             {"name": "NFYB_not_MAFK", "all": ["NFYB"], "none": ["MAFK"]}]
    data = {"seq_len": 120, "synthetic": {"n_train": 400, "n_test": 200, "motif_rate": 0.9, "max_motifs": 3,
                                          "logic": logic, "pair_rate": 0.4}}
    row = {"name": "GRAMMAR", "source": "synthetic_logic"}
    out = prepare(row, data, pwms, motif_names=names)
    for split in ("train", "valid", "test"):
        sites = {k: out[f"{split}_sites_{k}"] for k in ("motif", "start")}
        gaps = pair_gaps(sites, [7, 10, 9, 10], 0, 1)
        np.testing.assert_array_equal(out[f"{split}_tasks"][:, 0], (gaps >= 5) & (gaps <= 10))
        assert ((gaps < 5) | (gaps > 10)).any()  # out-of-window pairs: negatives of the spaced task
    assert 0.1 < out["train_tasks"][:, 0].mean() < 0.4
    bad = [{"name": "t", "all": ["GATA1", "TAL1::TCF3"], "spacing": [10, 5]}]
    with pytest.raises(InputError, match=r"field 'data.synthetic.logic'.*0 <= min <= max"):
        prepare(row, {**data, "synthetic": {**data["synthetic"], "logic": bad}}, pwms, motif_names=names)
    plain = [{"name": "t", "all": ["GATA1", "TAL1::TCF3"]}]
    with pytest.raises(InputError, match=r"field 'data.synthetic.pair_rate'.*needs a motif pair"):
        prepare(row, {**data, "synthetic": {**data["synthetic"], "logic": plain}}, pwms, motif_names=names)

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

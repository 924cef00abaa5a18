"""Summit windows from narrowPeak files: summit arithmetic, strands and chromosome ends, N filtering, top-N
ordering, blacklist and duplicates, malformed lines named by file and line (or counted and skipped), the
genome writer's FASTA + .fai, and both split schemes without leakage between positives and negatives."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyfaidx
import pytest

from deepmotif.data.background import background_windows
from deepmotif.data.genome import read_sizes, write_genome
from deepmotif.data.onehot import to_codes
from deepmotif.data.peaks import read_narrowpeak
from deepmotif.data.prepare import prepare_encode
from deepmotif.data.split import (TEST, TRAIN, VALID, carve_valid, chromosome_split, deepbind_split,
                                  shuffle_groups)
from deepmotif.data.windows import (extract, merge_intervals, overlaps, read_intervals, reverse_complement,
                                    select_windows, summits, window_bounds)
from deepmotif.errors import InputError
from fault_server import narrowpeak_line as npl
from fault_server import random_genome, random_peaks, write_fasta

SIZES = {"chr1": 20_000, "chr2": 15_000, "chr3": 12_000}


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """A plain indexed FASTA of chr1-3 (written by write_genome from a gzip with chrM too) + chrom.sizes."""
    d = tmp_path_factory.mktemp("genome")
    seqs = random_genome({**SIZES, "chrM": 3000}, seed=3, n_blocks={"chr2": [(5000, 5040)]})
    write_fasta(d / "g.fa.gz", seqs, width=50, gz=True)
    write_genome(d / "g.fa.gz", d / "g.fa", ["chr1", "chr2", "chr3"], sizes=d / "g.chrom.sizes")
    return {"fa": d / "g.fa", "sizes": d / "g.chrom.sizes", "seqs": seqs, "dir": d}


def peaks_file(path: Path, lines: list[str], gz: bool = True) -> Path:
    text = "".join(lines).encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


def codes(seq: str) -> np.ndarray:
    return to_codes([seq])[0]


# --- summits and windows -----------------------------------------------------------------------------------

def test_summit_arithmetic_on_hand_made_peaks():
    # chromStart + peak; the centre (floor) when peak is -1
    assert summits([100, 100, 100, 7], [200, 200, 201, 8], [30, -1, -1, 0]).tolist() == [130, 150, 150, 7]
    start, end = window_bounds([130, 50], 101)
    assert start.tolist() == [80, 0] and end.tolist() == [181, 101]  # summit is base 50 of 101
    start, end = window_bounds([130], 100)
    assert start.tolist() == [80] and end.tolist() == [180]  # even length: summit is base 50 of 100


def test_windows_match_the_genome_strand_and_case(genome, tmp_path):
    seqs = genome["seqs"]
    path = peaks_file(tmp_path / "p.narrowPeak.gz", [
        npl("chr1", 1000, 1300, 9.0, 120),               # summit 1120 → [1070, 1171)
        npl("chr2", 400, 600, 8.0, -1, strand="-"),      # centre 500 → [450, 551), reverse-complemented
        npl("chr3", 50, 250, 7.0, 0, strand="+"),        # summit 50 → [0, 101): touches the start, kept
    ])
    peaks, _ = read_narrowpeak(path, read_sizes(genome["sizes"]))
    table, got, qc = select_windows(peaks, genome["fa"], 101, read_sizes(str(genome["fa"]) + ".fai"),
                                    max_n_fraction=1.0)
    assert table["start"].tolist() == [1070, 450, 0] and table["summit"].tolist() == [1120, 500, 50]
    assert (got[0] == codes(seqs["chr1"][1070:1171])).all()  # soft-masked lower case reads as upper case
    assert (got[1] == reverse_complement(codes(seqs["chr2"][450:551])[None])[0]).all()
    assert (got[2] == codes(seqs["chr3"][0:101])).all()
    assert qc["dropped"]["chrom_end"] == 0 and qc["windows"] == 3


def test_edge_windows_dropped_and_counted(genome, tmp_path):
    end2 = SIZES["chr2"]
    path = peaks_file(tmp_path / "p.gz", [
        npl("chr1", 0, 200, 5.0, 49),              # window starts at -1: off the start
        npl("chr1", 0, 200, 5.0, 50),              # starts at 0: kept
        npl("chr2", end2 - 200, end2, 5.0, 149),   # ends at the chromosome end exactly: kept
        npl("chr2", end2 - 200, end2, 6.0, 150),   # one past the end
        npl("chrM", 10, 300, 99.0, 100),           # in the original genome, cut away: excluded_contig
    ])
    peaks, _ = read_narrowpeak(path, read_sizes(genome["sizes"]))
    table, _, qc = select_windows(peaks, genome["fa"], 101, read_sizes(str(genome["fa"]) + ".fai"),
                                  max_n_fraction=1.0)
    assert qc["dropped"]["chrom_end"] == 2 and qc["dropped"]["excluded_contig"] == 1
    assert sorted(table["end"].tolist()) == [101, end2]


def test_n_filter_threshold(genome, tmp_path):
    # chr2 has N at [5000, 5040): a window over 20 of them has an N share of 20/101 ≈ 0.198
    path = peaks_file(tmp_path / "p.gz", [npl("chr2", 4900, 5100, 5.0, 69),   # window [4919, 5020): 20 N
                                          npl("chr2", 9000, 9200, 4.0, 100)])  # no N
    peaks, _ = read_narrowpeak(path)
    sizes = read_sizes(str(genome["fa"]) + ".fai")
    for limit, kept, dropped in ((0.0, 1, 1), (0.19, 1, 1), (0.2, 2, 0)):
        table, got, qc = select_windows(peaks, genome["fa"], 101, sizes, max_n_fraction=limit)
        assert (len(table), qc["dropped"]["too_many_n"]) == (kept, dropped), limit
    assert (got[0] == 4).sum() == 20


def test_top_n_keeps_strongest_in_order(genome, tmp_path):
    signals = [5.0, 50.0, 7.5, 50.0, 1.0, 20.0]
    lines = [npl("chr1", 1000 + 1000 * i, 1200 + 1000 * i, s, 100) for i, s in enumerate(signals)]
    peaks, _ = read_narrowpeak(peaks_file(tmp_path / "p.gz", lines))
    sizes = read_sizes(str(genome["fa"]) + ".fai")
    table, _, qc = select_windows(peaks, genome["fa"], 101, sizes, top_n=4, max_n_fraction=1.0)
    # by signal, ties in file order: lines 2, 4 (both 50), 6 (20), 3 (7.5)
    assert table["line"].tolist() == [2, 4, 6, 3] and table["rank"].tolist() == [1, 2, 3, 4]
    assert qc["dropped"]["beyond_top_n"] == 2
    table, _, _ = select_windows(peaks, genome["fa"], 101, sizes, rank_by="pValue", max_n_fraction=1.0)
    assert table["line"].tolist() == [1, 2, 3, 4, 5, 6]  # all p-values equal: file order


def test_blacklist_and_duplicates(genome, tmp_path):
    bl = tmp_path / "bl.bed"
    bl.write_text("chr1\t2000\t2100\nchr1\t2050\t2300\n")
    lines = [npl("chr1", 1000, 1200, 9.0, 100),   # [1050, 1151)
             npl("chr1", 1000, 1200, 3.0, 100),   # same window, weaker: duplicate
             npl("chr1", 2200, 2400, 5.0, 100),   # [2250, 2351) overlaps the blacklist
             npl("chr1", 2300, 2500, 4.0, 100)]   # [2350, 2451): blacklist ends at 2300, kept
    peaks, _ = read_narrowpeak(peaks_file(tmp_path / "p.gz", lines))
    intervals = read_intervals(bl)
    assert [a.tolist() for a in intervals["chr1"]] == [[2000], [2300]]  # merged
    table, _, qc = select_windows(peaks, genome["fa"], 101, read_sizes(str(genome["fa"]) + ".fai"),
                                  blacklist=intervals, max_n_fraction=1.0)
    assert table["line"].tolist() == [1, 4]
    assert qc["dropped"]["duplicate"] == 1 and qc["dropped"]["blacklist"] == 1


def test_interval_helpers():
    s, e = merge_intervals([10, 0, 5, 30], [20, 6, 12, 40])
    assert s.tolist() == [0, 30] and e.tolist() == [20, 40]
    iv = {"chr1": (s, e)}
    hit = overlaps(["chr1"] * 4 + ["chr2"], [20, 19, 25, 29, 0], [30, 25, 30, 31, 100], iv)
    assert hit.tolist() == [False, True, False, True, False]


# --- malformed narrowPeak lines ------------------------------------------------------------------------------

GOOD = npl("chr1", 100, 300, 5.0, 50)


@pytest.mark.parametrize("bad, field, what", [
    ("chr1\t100\t300\t.\t0\t.\t5\n", None, "expected 10 tab-separated narrowPeak columns, found 7"),
    (npl("chr1", "1e3", 300, 5.0, 50), "chromStart", "chromStart must be an integer, found '1e3'"),
    (npl("chr1", 100, "3OO", 5.0, 50), "chromEnd", "chromEnd must be an integer"),
    (npl("chr1", 300, 100, 5.0, 50), "chromEnd", "chromEnd (100) must be greater than chromStart (300)"),
    (npl("chr1", -5, 100, 5.0, 50), "chromStart", "must be >= 0"),
    (npl("chrUn_gl000220", 100, 300, 5.0, 50), "chrom", "unknown chromosome 'chrUn_gl000220'"),
    (npl("chr1", 100, 300, "high", 50), "signalValue", "signalValue must be a number"),
    (npl("chr1", 100, 300, 5.0, 200), "peak", "peak offset 200 is outside the peak"),
    (npl("chr1", 100, 300, 5.0, 50, strand="x"), "strand", "strand must be"),
])
def test_malformed_line_names_file_line_field(genome, tmp_path, bad, field, what):
    path = peaks_file(tmp_path / "tf.narrowPeak.gz", ["track name=x\n", GOOD, GOOD, bad, GOOD])
    with pytest.raises(InputError) as err:
        read_narrowpeak(path, read_sizes(genome["sizes"]))
    msg = str(err.value)
    where = "tf.narrowPeak.gz, line 4" + (f", field '{field}'" if field else "") + ": "
    assert where in msg and what in msg and "on_bad_peak_line: skip" in msg, msg
    assert err.value.line == 4 and err.value.field == field


def test_malformed_lines_counted_and_skipped(genome, tmp_path):
    lines = [GOOD, "chr1\t1\n", npl("chr1", 300, 100, 5.0, 50), GOOD, npl("chrZ", 1, 200, 1.0, 5)]
    peaks, report = read_narrowpeak(peaks_file(tmp_path / "p.gz", lines), read_sizes(genome["sizes"]),
                                    on_bad_line="skip")
    assert len(peaks) == 2 and peaks["line"].tolist() == [1, 4]
    assert report["bad_lines"] == 3 and report["lines"] == 5
    assert [e.split(":")[0] for e in report["bad_line_examples"]] == ["line 2", "line 3", "line 5"]
    with pytest.raises(InputError, match="no peaks found .*2 bad lines skipped"):
        read_narrowpeak(peaks_file(tmp_path / "q.gz", ["x\n", "y\n"]), on_bad_line="skip")


def test_cli_prepare_bad_peak_line_is_one_line(genome, tmp_path):
    path = peaks_file(tmp_path / "tf.narrowPeak", [GOOD, npl("chr1", 100, "12x", 1.0, 5)], gz=False)
    (tmp_path / "tfs.tsv").write_text("name\tsource\tpeaks\nTF\tencode\ttf.narrowPeak\n")
    proc = subprocess.run([sys.executable, "-m", "deepmotif.cli", "prepare", "--set", '{"tfs": "tfs.tsv"}',
                           "--tf", "TF", "--genome", str(genome["fa"]), "--sizes", str(genome["sizes"]),
                           "--peaks", str(path), "--out", "out/data.npz", "--qc", "out/qc.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepmotif prepare: error: "), proc.stderr
    assert "tf.narrowPeak, line 2, field 'chromEnd': chromEnd must be an integer" in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- the genome writer ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("block", [5, 61, 1 << 23])  # bytes read at a time: chunk borders anywhere
def test_genome_writer_subsets_rewraps_and_indexes(tmp_path, monkeypatch, block):
    import deepmotif.data.genome as genome_mod

    monkeypatch.setattr(genome_mod, "_BLOCK", block)
    seqs = {"chrA": "ACGTN" * 31 + "acg", "chrB": "T" * 7, "chrC": "GATTACA" * 20}
    lines = [">chrA desc\n", seqs["chrA"][:60] + "\n", seqs["chrA"][60:100] + "\n", seqs["chrA"][100:] + "\n",
             ">chrB\n", "TTTT\n", "TTT\n", ">chrC\n", seqs["chrC"] + "\n"]  # ragged line widths
    src = tmp_path / "src.fa.gz"
    src.write_bytes(gzip.compress("".join(lines).encode()))
    kept = write_genome(src, tmp_path / "g.fa", ["chrA", "chrC"], sizes=tmp_path / "g.sizes")
    assert kept == {"chrA": len(seqs["chrA"]), "chrC": len(seqs["chrC"])}
    assert read_sizes(tmp_path / "g.sizes") == {k: len(v) for k, v in seqs.items()}
    assert set((tmp_path / "g.fa").read_text().splitlines()[1:3]) == {seqs["chrA"][:60], seqs["chrA"][60:120]}
    fa = pyfaidx.Fasta(str(tmp_path / "g.fa"), rebuild=False)
    for name in ("chrA", "chrC"):
        assert str(fa[name][:]) == seqs[name]
        assert str(fa[name][7:93]) == seqs[name][7:93]
    # our .fai equals the one pyfaidx builds itself
    ours = (tmp_path / "g.fa.fai").read_text()
    (tmp_path / "copy.fa").write_bytes((tmp_path / "g.fa").read_bytes())
    pyfaidx.Faidx(str(tmp_path / "copy.fa"))
    assert (tmp_path / "copy.fa.fai").read_text() == ours
    # a regular file (60 bp lines, short last lines) comes out byte for byte, whatever the chunking
    regular = "".join(f">{k}\n" + "".join(v[i:i + 60] + "\n" for i in range(0, len(v), 60))
                      for k, v in {"c1": "ACGT" * 40, "c2": "GGA" * 33, "c3": "T" * 120}.items())
    (tmp_path / "r.fa").write_text(regular)
    write_genome(tmp_path / "r.fa", tmp_path / "r.out.fa")
    assert (tmp_path / "r.out.fa").read_text() == regular
    with pytest.raises(InputError, match="chromosome\\(s\\) chrZ not in the genome") as err:
        write_genome(src, tmp_path / "h.fa", ["chrA", "chrZ"])
    assert err.value.field == "genome.chromosomes" and not (tmp_path / "h.fa").exists()


# --- splits and negatives --------------------------------------------------------------------------------------

def test_deepbind_and_chromosome_split_labels():
    ranks = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    assert deepbind_split(ranks, top=6).tolist() == [TRAIN, TEST, TRAIN, TEST, TRAIN, TEST, TRAIN, TRAIN]
    labels = chromosome_split(["chr1", "chr8", "chr9", "chr18", "chrX"], test=["chr8", "chr9"], valid=["chr18"])
    assert labels.tolist() == [TRAIN, TEST, TEST, VALID, TRAIN]
    with pytest.raises(ValueError, match="both test and validation"):
        chromosome_split(["chr1"], test=["chr8"], valid=["chr8"])
    carved = carve_valid(np.array([TRAIN] * 50 + [TEST] * 10), 0.2, 0)
    assert (carved == VALID).sum() == 10 and (carved[50:] == TEST).all()


@pytest.fixture(scope="module")
def many_peaks(genome, tmp_path_factory):
    path = tmp_path_factory.mktemp("peaks") / "tf.narrowPeak.gz"
    text = random_peaks({k: genome["seqs"][k] for k in SIZES}, 120, seed=5)
    path.write_bytes(gzip.compress(text.encode()))
    return path


def _pairs_by_split(arrays):
    return {s: arrays[f"{s}_codes"] for s in ("train", "valid", "test")}


@pytest.mark.parametrize("scheme", ["deepbind", "chromosome"])
@pytest.mark.parametrize("negatives", ["shuffle", "background"])
def test_no_leakage_between_splits(genome, many_peaks, scheme, negatives):
    cfg = {"seq_len": 101, "seed": 3, "valid_fraction": 0.15, "split": scheme, "deepbind_top": 40,
           "holdout": {"test": ["chr3"], "valid": []}, "negatives": negatives,
           "windows": {"max_n_fraction": 0.0}, "background": {"pool": 10, "gc_tolerance": 0.05}}
    arrays, qc = prepare_encode({"name": "TF"}, cfg, genome["fa"], many_peaks, sizes=genome["sizes"])
    split_of = {}
    for split in ("train", "valid", "test"):
        y, chrom, start = arrays[f"{split}_y"], arrays[f"{split}_chrom"], arrays[f"{split}_start"]
        assert (y[0::2] == 1).all() and (y[1::2] == 0).all()  # positive, its negative, positive, ...
        assert (chrom[0::2] == chrom[1::2]).all()  # a negative is on its positive's chromosome
        for c, s in zip(chrom.tolist(), start.tolist()):
            assert split_of.setdefault((c, s), split) == split, f"{c}:{s} in {split_of[(c, s)]} and {split}"
        if scheme == "chromosome":
            assert (np.isin(chrom, ["chr3"]) == (split == "test")).all()
        else:
            ranks = arrays[f"{split}_rank"][0::2]
            if split == "test":
                assert ((ranks <= 40) & (ranks % 2 == 0)).all() and len(ranks) == 20
            else:
                assert not ((ranks <= 40) & (ranks % 2 == 0)).any()
    if negatives == "shuffle":
        # a positive and its dinucleotide shuffles share a group: no group may sit in two splits
        groups = shuffle_groups(np.concatenate(list(_pairs_by_split(arrays).values())))
        sizes = [len(a) for a in _pairs_by_split(arrays).values()]
        parts = np.split(groups, np.cumsum(sizes)[:-1])
        for i in range(3):
            for j in range(i + 1, 3):
                assert not set(parts[i]) & set(parts[j])
        for split in ("train", "valid", "test"):
            c = arrays[f"{split}_codes"]
            assert (shuffle_groups(c)[0::2] == shuffle_groups(c)[1::2]).all()
    else:
        assert qc["negatives"]["mean_abs_gc_diff"] < 0.02
    assert qc["split"]["test"] > 0 and qc["split"]["valid"] > 0 and json.dumps(qc)


def test_background_negatives_avoid_peaks_and_each_other(genome, many_peaks):
    peaks, _ = read_narrowpeak(many_peaks)
    sizes = read_sizes(str(genome["fa"]) + ".fai")
    table, pos, _ = select_windows(peaks, genome["fa"], 101, sizes)
    exclude = {c: merge_intervals(np.r_[g["chromStart"].to_numpy(), table.loc[table.chrom == c, "start"]],
                                  np.r_[g["chromEnd"].to_numpy(), table.loc[table.chrom == c, "end"]])
               for c, g in peaks.groupby("chrom")}
    gc = (np.isin(pos, [1, 2])).mean(axis=1)
    neg, neg_codes, report = background_windows(genome["fa"], sizes, table["chrom"], gc, 101, exclude,
                                                random_state=0)
    assert not overlaps(neg["chrom"], neg["start"], neg["end"], exclude).any()
    for c, g in neg.groupby("chrom"):
        s = np.sort(g["start"].to_numpy())
        assert (np.diff(s) >= 101).all()  # negatives never overlap each other
    again = extract(genome["fa"], neg["chrom"], neg["start"], neg["end"])
    assert (again == neg_codes).all() and (neg["chrom"].to_numpy() == table["chrom"].to_numpy()).all()
    assert abs(neg["gc"].mean() - gc.mean()) < 0.02 and report["mean_abs_gc_diff"] < 0.02


def test_holdout_chromosome_missing_from_genome(genome, many_peaks):
    cfg = {"split": "chromosome", "holdout": {"test": ["chr8", "chr9"]}}
    with pytest.raises(InputError, match="held-out chromosome\\(s\\) chr8, chr9 not in the genome") as err:
        prepare_encode({"name": "TF"}, cfg, genome["fa"], many_peaks, sizes=genome["sizes"])
    assert err.value.field == "data.holdout.test"


@pytest.mark.parametrize("text, line, what", [
    ("ACGT\n>chr1\nACGT\n", 1, "sequence before the first '>' header"),
    (">chr1\nACGT\n>chr1\nACGT\n", 3, "duplicate sequence name 'chr1'"),
    (">chr1\nACGT\n>\nACGT\n", 3, "FASTA header without a name"),
])
def test_genome_writer_errors_name_line(tmp_path, text, line, what):
    (tmp_path / "bad.fa").write_text(text)
    with pytest.raises(InputError) as err:
        write_genome(tmp_path / "bad.fa", tmp_path / "out.fa")
    assert f"bad.fa, line {line}: {what}" in str(err.value), str(err.value)
    assert not (tmp_path / "out.fa").exists() and not (tmp_path / "out.fa.fai").exists()

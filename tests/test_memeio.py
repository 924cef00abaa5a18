"""MEME motif format I/O: every variant in ../shared/data, round trip, and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deepmotif.errors import InputError
from deepmotif.memeio import Motif, format_meme, read_background, read_meme, write_meme

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason=f"{SHARED} not present (real test data is kept outside the repository)")

JASPAR = {
    "jaspar/JASPAR_CORE_2014_vertebrates.meme": 205,
    "jaspar/JASPAR2018_CORE_vertebrates_non-redundant_pfms.meme": 579,
    "jaspar/JASPAR2020_CORE_vertebrates_non-redundant_pfms.meme": 746,
    "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms.meme": 879,
}
OTHER = {
    "tomtom-reference/meme-tests/sample.meme": 5,
    "tomtom-reference/meme-tests/crp0.meme.txt": 3,
    "tomtom-reference/meme-tests/Jaspar-subset.meme": 11,
    "tomtom-reference/meme-tests/Jaspar-subset2.meme": 2,
    "tomtom-reference/query4_JASPAR2020_CTCF_GATA1_MAFK_NFYB.meme": 4,
}


def _check_matrices(motifs: list[Motif]) -> None:
    for m in motifs:
        assert m.pwm.dtype == np.float64 and m.pwm.shape == (4, m.width) and m.width >= 1
        np.testing.assert_allclose(m.pwm.sum(axis=0), 1.0, atol=1e-5)
        assert (m.pwm >= 0).all()


# ------------------------------------------------------------------------------------------ real files


@needs_shared
@pytest.mark.parametrize("rel, count", list(JASPAR.items()) + list(OTHER.items()))
def test_reads_every_shared_variant(rel, count):
    motifs = read_meme(SHARED / rel)
    assert len(motifs) == count
    assert len({m.id for m in motifs}) == count
    _check_matrices(motifs)


@needs_shared
def test_jaspar_ids_names_widths_nsites():
    m2024 = read_meme(SHARED / "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms.meme")
    first = m2024[0]
    assert (first.id, first.name, first.width, first.nsites) == ("MA0004.1", "Arnt", 6, 20)
    np.testing.assert_allclose(first.pwm[:, 0], [0.2, 0.8, 0.0, 0.0])  # rows A, C, G, T
    m2014 = read_meme(SHARED / "jaspar/JASPAR_CORE_2014_vertebrates.meme")  # MEME version 4 + URL lines
    assert (m2014[1].id, m2014[1].name, m2014[1].width, m2014[1].nsites) == ("MA0006.1", "Arnt::Ahr", 6, 24)


@needs_shared
def test_query4_file():
    motifs = read_meme(SHARED / "tomtom-reference/query4_JASPAR2020_CTCF_GATA1_MAFK_NFYB.meme")
    assert [(m.id, m.name, m.width) for m in motifs] == [
        ("MA0139.1", "CTCF", 19), ("MA0035.4", "GATA1", 11), ("MA0496.3", "MAFK", 15), ("MA0502.2", "NFYB", 12)]
    assert motifs[0].nsites == 911


@needs_shared
def test_sample_meme_version3_with_log_odds_and_bl_lines():
    motifs = read_meme(SHARED / "tomtom-reference/meme-tests/sample.meme")
    assert [(m.id, m.name, m.width, m.nsites) for m in motifs] == [
        ("V_MYOD_01", "", 12, 5), ("V_E47_01", "", 15, 10), ("V_VMYB_01", "", 10, 24),
        ("V_CMYB_01", "", 18, 13), ("V_AP4_01", "", 18, 5)]
    # the letter-probability matrix is taken, not the log-odds one (first row 0.208 0.375 0.375 0.042)
    np.testing.assert_allclose(motifs[0].pwm[:, 0], [0.208, 0.375, 0.375, 0.042])


@needs_shared
def test_jaspar_subset_integer_log_odds_are_skipped():
    motifs = read_meme(SHARED / "tomtom-reference/meme-tests/Jaspar-subset.meme")
    assert (motifs[0].id, motifs[0].name, motifs[0].width, motifs[0].nsites) == ("MA0039.2", "Klf4", 10, 4340)
    np.testing.assert_allclose(motifs[0].pwm[:, 0], [0.338561, 0.018681, 0.235701, 0.407057])


@needs_shared
def test_full_meme_text_output_takes_only_probability_blocks():
    path = SHARED / "tomtom-reference/meme-tests/crp0.meme.txt"
    motifs = read_meme(path)
    assert [(m.id, m.name, m.width, m.nsites) for m in motifs] == [
        ("TKTGANCNABNTCACAHWT", "MEME-1", 19, 18), ("CGGYGGGG", "MEME-2", 8, 2),
        ("GCATCRGRBSAGA", "MEME-3", 13, 3)]
    np.testing.assert_allclose(motifs[0].pwm[:, 0], [0.0, 0.111111, 0.111111, 0.777778])
    np.testing.assert_allclose(read_background(path), [0.304, 0.196, 0.196, 0.304])


@needs_shared
def test_round_trip_of_jaspar2024(tmp_path):
    motifs = read_meme(SHARED / "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms.meme")
    out = tmp_path / "sub" / "round.meme"
    write_meme(out, motifs)
    again = read_meme(out)
    key = [(m.id, m.name, m.nsites, m.width) for m in motifs]
    assert [(m.id, m.name, m.nsites, m.width) for m in again] == key
    for a, b in zip(motifs, again):
        np.testing.assert_allclose(a.pwm, b.pwm, atol=1e-6)
    np.testing.assert_allclose(read_background(out), 0.25)


# ------------------------------------------------------------------------------------------ writing


def _motif(id_="m1", name="", w=3, nsites=None, seed=0):
    pwm = np.random.default_rng(seed).dirichlet(np.ones(4), size=w).T
    return Motif(id=id_, name=name, pwm=pwm, nsites=nsites)


def test_round_trip_small(tmp_path):
    motifs = [_motif("a", "", 1), _motif("b", "NAME::X", 7, nsites=12, seed=1)]
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    write_meme(tmp_path / "x.meme", motifs, background=bg)
    text = (tmp_path / "x.meme").read_text()
    assert text.startswith("MEME version 5\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n")
    assert "MOTIF a\nletter-probability matrix: alength= 4 w= 1 E= 0\n" in text  # nsites None: left out
    assert "MOTIF b NAME::X\nletter-probability matrix: alength= 4 w= 7 nsites= 12 E= 0\n" in text
    back = read_meme(tmp_path / "x.meme")
    assert [(m.id, m.name, m.nsites) for m in back] == [("a", "", None), ("b", "NAME::X", 12)]
    for a, b in zip(motifs, back):
        np.testing.assert_allclose(a.pwm, b.pwm, atol=1e-6)
    np.testing.assert_allclose(read_background(tmp_path / "x.meme"), bg)


def test_write_is_atomic(tmp_path):
    out = tmp_path / "keep.meme"
    write_meme(out, [_motif("good")])
    before = out.read_text()
    with pytest.raises(InputError, match="whitespace"):
        write_meme(out, [_motif("good"), _motif("bad id")])
    assert out.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.meme"]  # no temporary file left


@pytest.mark.parametrize("motifs, match", [
    ([_motif("x"), _motif("x")], "duplicate motif id"),
    ([Motif("x", "", np.ones((3, 2)) / 3)], "shape"),
    ([Motif("x", "", np.full((4, 2), np.nan))], "non-finite"),
    ([Motif("", "", np.full((4, 2), 0.25))], "non-empty"),
])
def test_write_rejects_bad_motifs(motifs, match):
    with pytest.raises(InputError, match=match):
        format_meme(motifs)


# ------------------------------------------------------------------------------------------ errors

HEADER = "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
GOOD_ROWS = "0.25 0.25 0.25 0.25\n0.1 0.2 0.3 0.4\n"


def _write(tmp_path, text, name="bad.meme"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(path) -> InputError:
    with pytest.raises(InputError) as info:
        read_meme(path)
    err = info.value
    assert err.path is not None and Path(err.path).name == path.name
    assert path.name in str(err)
    return err


def test_error_bad_row_length(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n"
                                      "0.25 0.25 0.5\n0.1 0.2 0.3 0.4\n")
    err = _error(path)
    assert err.line == 9 and "line 9" in str(err) and "3 values" in str(err)


def test_error_more_rows_than_w(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n" + GOOD_ROWS
                  + "0.25 0.25 0.25 0.25\n")
    err = _error(path)
    assert err.line == 11 and "more rows than w= 2" in str(err)


def test_error_fewer_rows_than_w(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 3\n" + GOOD_ROWS
                  + "\nMOTIF m2\n")
    err = _error(path)
    assert err.line == 12 and "row 3 of w= 3" in str(err)
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 3\n" + GOOD_ROWS,
                  name="short.meme")
    assert "ends after 2 of w= 3" in str(_error(path))


def test_error_non_numeric_value(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n"
                                      "0.25 0.25 0.25 0.25\n0.1 0.2 abc 0.4\n")
    err = _error(path)
    assert err.line == 10 and "'abc' is not a number" in str(err)


def test_error_non_numeric_w(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= two\n" + GOOD_ROWS)
    err = _error(path)
    assert err.line == 8 and "w=" in str(err)


def test_error_protein_alphabet(tmp_path):
    path = _write(tmp_path, "MEME version 4\n\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n\nMOTIF m1\n")
    err = _error(path)
    assert err.line == 3 and "not DNA" in str(err)


def test_error_alength_not_4(tmp_path):
    path = _write(tmp_path, "MEME version 4\n\nMOTIF m1\nletter-probability matrix: alength= 20 w= 1\n"
                  + " ".join(["0.05"] * 20) + "\n")
    err = _error(path)
    assert err.line == 4 and "alength= 20" in str(err)


def test_custom_alphabet_blocks(tmp_path):
    dna = ('MEME version 5\n\nALPHABET "DNA" DNA-LIKE\nA "Adenine" CC0000 ~ T "Thymine" 008000\n'
           'C "Cytosine" 0000CC ~ G "Guanine" FFB300\nN "Any base" = ACGT\nEND ALPHABET\n\n'
           "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n" + GOOD_ROWS)
    assert len(read_meme(_write(tmp_path, dna, "dna.meme"))) == 1
    covalent = dna.replace("N \"Any base\" = ACGT\n", "m \"5mC\" 8510A8 ~ 1 \"mG\" 8510A8\n")
    err = _error(_write(tmp_path, covalent, "covalent.meme"))
    assert err.line == 3 and "not DNA" in str(err)


def test_error_empty_file(tmp_path):
    err = _error(_write(tmp_path, ""))
    assert "empty" in str(err)
    err = _error(_write(tmp_path, "\n  \n", name="blank.meme"))
    assert "empty" in str(err)


def test_error_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_meme(tmp_path / "nope.meme")


def test_error_no_motifs_and_no_header(tmp_path):
    assert "no motifs found" in str(_error(_write(tmp_path, HEADER)))
    err = _error(_write(tmp_path, "MOTIF m1\nletter-probability matrix: w= 2\n" + GOOD_ROWS, "nohdr.meme"))
    assert err.line == 1 and "MEME version" in str(err)


def test_error_row_sum_and_renormalisation(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n"
                                      "0.25 0.25 0.25 0.25\n0.5 0.5 0.5 0.5\n")
    err = _error(path)
    assert err.line == 10 and "sums to 2" in str(err)
    # small deviations are renormalised; print rounding (<= 1e-5) is kept as written, as MEME does
    ok = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n"
                                    "0.26 0.26 0.26 0.27\n0.222222 0.259259 0.259259 0.259259\n", "ok.meme")
    pwm = read_meme(ok)[0].pwm
    np.testing.assert_allclose(pwm[:, 0], np.array([0.26, 0.26, 0.26, 0.27]) / 1.05)
    assert pwm[:, 1].tolist() == [0.222222, 0.259259, 0.259259, 0.259259]


def test_error_negative_probability(tmp_path):
    path = _write(tmp_path, HEADER + "MOTIF m1\nletter-probability matrix: alength= 4 w= 1\n-0.1 0.3 0.4 0.4\n")
    assert _error(path).line == 9


def test_error_duplicate_id_and_missing_matrix(tmp_path):
    block = "MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n" + GOOD_ROWS + "\n"
    err = _error(_write(tmp_path, HEADER + block + block))
    assert err.line == 12 and "duplicate motif id 'm1'" in str(err)
    err = _error(_write(tmp_path, HEADER + "MOTIF lonely\n\nMOTIF m2\n", "nomatrix.meme"))
    assert err.line == 7 and "'lonely'" in str(err)
    orphan = HEADER + "letter-probability matrix: w= 1\n0.25 0.25 0.25 0.25\n"
    err = _error(_write(tmp_path, orphan, "orphan.meme"))
    assert err.line == 7 and "without a preceding MOTIF" in str(err)


def test_matrix_without_w_and_old_motif_lines(tmp_path):
    text = (HEADER + "Background letter frequencies (from x):\n\nA 0.3 C 0.2 G 0.2 T 0.3\n\n"
            "MOTIF 1 width = 2 sites = 5\nletter-probability matrix: alength= 4 nsites= 5\n" + GOOD_ROWS
            + "\nMOTIF 2 width=3\nletter-probability matrix: alength= 4\n" + GOOD_ROWS + "0.1 0.1 0.1 0.7\n"
            + "-----\nMOTIF x y extra words\nletter-probability matrix: w= 1\n1 0 0 0\n")
    path = _write(tmp_path, text, "old.meme")
    motifs = read_meme(path)
    assert [(m.id, m.name, m.width, m.nsites) for m in motifs] == [
        ("1", "", 2, 5), ("2", "", 3, None), ("x", "y", 1, None)]
    np.testing.assert_allclose(read_background(path), [0.3, 0.2, 0.2, 0.3])


def test_error_bad_background(tmp_path):
    err = _error(_write(tmp_path, HEADER + "Background letter frequencies\nA 0.3 C 0.2 G 0.2 U 0.3\n"))
    assert err.line == 8 and "not A, C, G, T" in str(err)

"""JASPAR motifs offline through pyjaspar, always for an explicit release (pyjaspar's default moves)."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from deepmotif.errors import InputError
from deepmotif.memeio import Motif

RELEASES = ("JASPAR2014", "JASPAR2016", "JASPAR2018", "JASPAR2020", "JASPAR2022", "JASPAR2024", "JASPAR2026")


@functools.lru_cache(maxsize=None)
def _db(release: str):
    if release not in RELEASES:
        raise InputError(f"unknown JASPAR release {release!r}; choose one of {', '.join(RELEASES)}",
                         field="jaspar.release")
    from pyjaspar import jaspardb

    return jaspardb(release=release)


def to_motif(jm) -> Motif:
    """A Biopython JASPAR motif → :class:`Motif` with a (4, w) probability matrix (counts normalised)."""
    counts = np.array([jm.counts[b] for b in "ACGT"], dtype=np.float64)
    pwm = counts / counts.sum(axis=0, keepdims=True)
    return Motif(id=jm.matrix_id, name=jm.name, pwm=pwm, nsites=int(round(counts.sum(axis=0).mean())))


@functools.lru_cache(maxsize=None)
def _collection(release: str, tax_group: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(_db(release).fetch_motifs(collection="CORE", tax_group=[tax_group], all_versions=False))


def fetch_collection(release: str, tax_group: str = "vertebrates") -> list[Motif]:
    """The CORE collection of one taxonomic group, latest version of each matrix (JASPAR's non-redundant set).

    Parameters
    ----------
    release : str
        e.g. ``"JASPAR2024"``.
    tax_group : str
        JASPAR taxonomic group, default ``"vertebrates"``.
    """
    return [to_motif(m) for m in _collection(release, tax_group)]


def families(release: str, tax_group: str = "vertebrates") -> dict[str, frozenset[str]]:
    """Matrix ID → set of TF family names (a dimer's ID carries the families of both partners)."""
    return {m.matrix_id: frozenset(m.tf_family or ()) for m in _collection(release, tax_group)}


def find_motif(release: str, jaspar_id: str | None = None, name: str | None = None) -> tuple[Motif, frozenset]:
    """Look up one motif by matrix ID (``MA0035.5``, or ``MA0035`` for the release's latest version) or,
    failing an ID, by TF name (case-insensitive). Returns the motif and its TF families.

    Raises
    ------
    InputError
        When no motif of that ID or name exists in the release.
    """
    db = _db(release)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if jaspar_id:
            jm = db.fetch_motif_by_id(jaspar_id)
            if jm is None:
                raise InputError(f"JASPAR ID {jaspar_id!r} is not in {release}", field="jaspar_id")
        elif name:
            hits = [m for m in _collection(release, "vertebrates") if m.name.upper() == name.upper()]
            hits = hits or list(db.fetch_motifs_by_name(name) or [])
            if not hits:
                raise InputError(f"no JASPAR motif named {name!r} in {release}", field="jaspar_name")
            jm = sorted(hits, key=lambda m: (m.base_id, m.version))[-1]
        else:
            raise InputError("give a JASPAR ID or a TF name", field="jaspar_id")
    return to_motif(jm), frozenset(jm.tf_family or ())


def split_list(value: str | None) -> list[str]:
    """A sheet cell holding one name/ID or a comma-separated list → its items (blanks dropped)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_motifs(release: str, jaspar_ids: str | None = None, names: str | None = None
                ) -> list[tuple[Motif, frozenset]]:
    """Several motifs (the ``synthetic_multi`` source): ``jaspar_ids`` or, failing IDs, ``names`` as
    comma-separated lists (``"Arid3a,CEBPB,FOSL1"``), each looked up as :func:`find_motif` does, in order.

    Raises
    ------
    InputError
        Naming the first item that is not in the release (field ``jaspar_id`` or ``jaspar_name``), or a
        motif listed twice.
    """
    items, key = (split_list(jaspar_ids), "id") if split_list(jaspar_ids) else (split_list(names), "name")
    if not items:
        raise InputError("give JASPAR IDs or TF names (comma-separated)", field="jaspar_id")
    out = [find_motif(release, item, None) if key == "id" else find_motif(release, None, item) for item in items]
    ids = [m.id for m, _ in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InputError(f"motif(s) {', '.join(twice)} listed twice", field=f"jaspar_{key}")
    return out


def row_motifs(release: str, row: dict) -> list[Motif]:
    """The JASPAR motif(s) of a sheet row: the list of a ``synthetic_multi`` row (:func:`find_motifs`), else
    the one motif of ``jaspar_id`` / ``jaspar_name`` (:func:`find_motif`)."""
    ids, names = row.get("jaspar_id") or None, row.get("jaspar_name") or None
    if row.get("source") == "synthetic_multi":
        return [m for m, _ in find_motifs(release, ids, names)]
    return [find_motif(release, ids, names)[0]]

"""JASPAR motifs offline through pyjaspar, always for an explicit release (pyjaspar's default moves)."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from deepmotif.errors import InputError
from deepmotif.memeio import Motif
from deepmotif.sources import MULTI_MOTIF_SOURCES, PLANTED_SOURCES

#: what a TF without a JASPAR matrix gets instead of a PWM baseline and motif verdicts (tables, report)
NO_KNOWN_MOTIF = "no known motif"
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


def matrix_ids_by_name(release: str, tax_group: str = "vertebrates") -> dict[str, str]:
    """Upper-case TF name → its JASPAR CORE matrix ID in ``release``: of several matrices of one name (CTCF's
    MA0139, MA1929 and MA1930) the first JASPAR curated, the lowest base ID (CTCF: MA0139, the core site),
    in its latest version."""
    out: dict[str, tuple[str, str]] = {}
    for m in _collection(release, tax_group):
        name = m.name.upper()
        if name not in out or m.base_id < out[name][0]:
            out[name] = (m.base_id, m.matrix_id)
    return {name: matrix_id for name, (_, matrix_id) in out.items()}


#: JASPAR collections a sheet row's ``jaspar_collection`` may name (blank = CORE)
COLLECTIONS = ("CORE", "UNVALIDATED", "CNE", "PHYLOFACTS", "SPLICE", "POLII", "FAM", "PBM", "PBM_HOMEO",
               "PBM_HLH")


def _by_name(release: str, name: str, collection: str) -> list:
    """Matrices named ``name`` (case-insensitive) in ``collection``: the vertebrate CORE set first, then
    pyjaspar's name search over every taxonomic group."""
    hits = [m for m in _collection(release, "vertebrates") if m.name.upper() == name.upper()] \
        if collection == "CORE" else []
    return hits or [m for m in _db(release).fetch_motifs_by_name(name) or [] if m.collection == collection]


def find_motif(release: str, jaspar_id: str | None = None, name: str | None = None,
               collection: str = "CORE") -> tuple[Motif, frozenset]:
    """Look up one motif by matrix ID (``MA0035.5``, or ``MA0035`` for the release's latest version) or,
    failing an ID, by TF name (case-insensitive) in one JASPAR ``collection`` (default CORE). Returns the
    motif and its TF families.

    Raises
    ------
    InputError
        When no motif of that ID or name exists in the release and collection (the message names the other
        collections that hold one, e.g. a TF whose only matrix is UNVALIDATED).
    """
    if collection not in COLLECTIONS:
        raise InputError(f"unknown JASPAR collection {collection!r}; choose one of {', '.join(COLLECTIONS)}",
                         field="jaspar_collection")
    db = _db(release)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if jaspar_id:
            jm = db.fetch_motif_by_id(jaspar_id)
            if jm is None:
                raise InputError(f"JASPAR ID {jaspar_id!r} is not in {release}", field="jaspar_id")
            if jm.collection != collection:
                raise InputError(f"JASPAR ID {jaspar_id!r} is in collection {jm.collection}, not {collection}; "
                                 f"set the row's jaspar_collection to {jm.collection} to use it",
                                 field="jaspar_id")
        elif name:
            hits = _by_name(release, name, collection)
            if not hits:
                elsewhere = sorted({f"{m.matrix_id} in {m.collection}" for m in db.fetch_motifs_by_name(name) or []})
                also = f" (only {', '.join(elsewhere)}: set jaspar_collection to use it)" if elsewhere else ""
                raise InputError(f"no JASPAR motif named {name!r} in collection {collection} of {release}{also}",
                                 field="jaspar_name")
            jm = sorted(hits, key=lambda m: (m.base_id, m.version))[-1]
        else:
            raise InputError("give a JASPAR ID or a TF name", field="jaspar_id")
    return to_motif(jm), frozenset(jm.tf_family or ())


def split_list(value: str | None) -> list[str]:
    """A sheet cell holding one name/ID or a comma-separated list → its items (blanks dropped)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_motifs(release: str, jaspar_ids: str | None = None, names: str | None = None,
                collection: str = "CORE") -> list[tuple[Motif, frozenset]]:
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
    out = [find_motif(release, item, None, collection) if key == "id" else find_motif(release, None, item, collection)
           for item in items]
    ids = [m.id for m, _ in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InputError(f"motif(s) {', '.join(twice)} listed twice", field=f"jaspar_{key}")
    return out


def row_collection(row: dict) -> str:
    """The JASPAR collection of a sheet row's motif(s): its ``jaspar_collection`` cell, CORE when blank."""
    return (row.get("jaspar_collection") or "").strip().upper() or "CORE"


def row_known_motifs(release: str, row: dict) -> list[tuple[Motif, frozenset]]:
    """The known JASPAR motif(s) of a sheet row with their TF families, in the row's collection
    (:func:`row_collection`): the list of a ``synthetic_multi`` / ``synthetic_logic`` row
    (:func:`find_motifs`), else the one motif of ``jaspar_id`` / ``jaspar_name`` (:func:`find_motif`). ``[]``
    means *no known motif*: a real-data row with neither column set, or whose TF name has no matrix in the
    collection (warned: its tables then say "no known motif" instead of scoring against a wrong matrix). A
    motif outside CORE is warned about too (it is added to the Tomtom targets, which are the CORE collection).

    Raises
    ------
    InputError
        For a synthetic row whose motif cannot be found (nothing to plant), an ID that is not in the
        release or collection, and a malformed list.
    """
    ids, names = row.get("jaspar_id") or None, row.get("jaspar_name") or None
    collection = row_collection(row)
    synthetic = row.get("source") in PLANTED_SOURCES
    if not (ids or names) and not synthetic:
        return []
    if row.get("source") in MULTI_MOTIF_SOURCES:
        found = find_motifs(release, ids, names, collection)
    else:
        try:
            found = [find_motif(release, ids, names, collection)]
        except InputError as err:
            if synthetic or ids or err.field != "jaspar_name":
                raise
            warnings.warn(f"TF {row.get('name', '')}: {err.message}; reported as 'no known motif'", stacklevel=2)
            return []
    if collection != "CORE":
        warnings.warn(f"TF {row.get('name', '')}: motif {', '.join(m.id for m, _ in found)} is from JASPAR "
                      f"collection {collection}, not CORE (less curated); it is added to the Tomtom targets",
                      stacklevel=2)
    return found


def row_motifs(release: str, row: dict) -> list[Motif]:
    """The known JASPAR motif(s) of a sheet row (:func:`row_known_motifs` without the families)."""
    return [m for m, _ in row_known_motifs(release, row)]

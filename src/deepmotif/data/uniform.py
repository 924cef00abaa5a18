"""The ENCODE uniform TFBS collection (UCSC hg19 ``wgEncodeAwgTfbsUniform``: 690 ChIP-seq experiments, SPP +
IDR peak calls of the ENCODE Analysis Working Group) as a TF sheet of ``encode`` rows, one per experiment.

The input is the collection's metadata table (``../shared/data/encode-uniform-tfbs/uniform_tfbs.tsv``: the
experiment, its narrowPeak file and UCSC's md5 of it, cell line, target, antibody, treatment, lab, quality).
Each row gets the file's download URL, its md5 as ``peaks_checksum`` (a changed or damaged download then
fails with the checksum error) and the target's JASPAR matrix (:func:`deepmotif.jaspar.matrix_ids_by_name`),
or none: many targets (POLR2A, EZH2, SIN3A…) have no sequence motif, and their rows get an AUROC but no
motif verdict.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from deepmotif.errors import InputError
from deepmotif.jaspar import matrix_ids_by_name

#: where UCSC serves the collection's narrowPeak files
URL = "https://hgdownload.soe.ucsc.edu/goldenPath/hg19/encodeDCC/wgEncodeAwgTfbsUniform/"
#: columns of the metadata table
METADATA_COLUMNS = ("experiment", "file_name", "md5", "cell_line", "target", "antibody", "treatment", "lab",
                    "lab_code", "quality", "dcc_accession")
#: ENCODE target names whose JASPAR matrix is filed under another name (the glucocorticoid receptor's
#: antibody GR-p20 targets NR3C1; SREBP1 is the protein of SREBF1)
ALIASES = {"GRP20": "NR3C1", "SREBP1": "SREBF1"}


def read_metadata(path: str | Path) -> pd.DataFrame:
    """The metadata table, every column as strings; a missing column or a blank experiment, file, md5 or
    target is one :class:`InputError` naming the file (and line)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("uniform TFBS metadata table not found", path=path) from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"unreadable uniform TFBS metadata table ({err})", path=path) from None
    missing = [c for c in METADATA_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; expected {', '.join(METADATA_COLUMNS)}",
                         path=path, line=1)
    for i, row in enumerate(table.to_dict("records")):
        for col in ("experiment", "file_name", "md5", "target"):
            if not row[col].strip():
                raise InputError(f"{col} is blank", path=path, line=i + 2, field=col)
    return table


def row_name(row: dict) -> str:
    """``<target>_<cell line>_<lab code>`` plus ``_<treatment>`` for treated cells, characters outside
    ``A-Za-z0-9_.+-`` replaced by ``-``."""
    parts = [row["target"], row["cell_line"], row["lab_code"]]
    if row["treatment"] not in ("", "None"):
        parts.append(row["treatment"])
    return "".join(c if c.isalnum() or c in "_.+-" else "-" for c in "_".join(parts))


def uniform_sheet(metadata: str | Path, release: str, tax_group: str = "vertebrates") -> pd.DataFrame:
    """The TF sheet of every experiment of the metadata table, in its order.

    Names are :func:`row_name`; where two experiments share one (the same target, cell line and lab with
    another antibody or protocol), each gets its UCSC experiment name without the collection's prefix and
    suffix appended (``MYC_K562_Sydh_SydhK562CmycIggrab``). Columns: those of every sheet, the target as
    ``jaspar_name`` and its matrix as ``jaspar_id`` (both blank where JASPAR has none), then ``lab``,
    ``experiment``, ``antibody``, ``treatment`` and ``quality`` (descriptive, read by no job).
    """
    table = read_metadata(metadata)
    matrices = matrix_ids_by_name(release, tax_group)
    records = table.to_dict("records")
    names = [row_name(r) for r in records]
    twice = {n for n, count in Counter(names).items() if count > 1}
    rows = []
    for name, r in zip(names, records):
        if name in twice:
            name += "_" + r["experiment"].removeprefix("wgEncodeAwgTfbs").removesuffix("UniPk")
        target = ALIASES.get(r["target"].upper(), r["target"].upper())
        matrix = matrices.get(target, "")
        rows.append({"name": name, "source": "encode", "train": "", "test": "", "jaspar_id": matrix,
                     "jaspar_name": target if matrix else "", "cell_line": r["cell_line"],
                     "peaks": URL + r["file_name"], "peaks_checksum": f"md5:{r['md5']}", "lab": r["lab"],
                     "experiment": r["experiment"], "antibody": r["antibody"], "treatment": r["treatment"],
                     "quality": r["quality"]})
    sheet = pd.DataFrame(rows)
    dup = sheet["name"][sheet["name"].duplicated()]
    if len(dup):
        raise InputError(f"experiments {', '.join(dup)} give the same TF name twice", path=metadata)
    return sheet


HEADER = """# ENCODE uniform TFBS (UCSC hg19 wgEncodeAwgTfbsUniform): every experiment, one encode row each, made by
#   deepmotif encode-sheet --metadata {metadata} --release {release} --out <this file>
# from the collection's metadata table: do not edit by hand, regenerate. peaks_checksum: UCSC's md5 of the
# file. jaspar_id: the target's {release} CORE matrix (blank: none; such rows get AUROCs, no motif verdict).
"""


def write_uniform_sheet(metadata: str | Path, out: str | Path, release: str, tax_group: str = "vertebrates") -> int:
    """Write :func:`uniform_sheet` to ``out`` (tab-separated, with a header saying how it was made); returns
    the number of rows."""
    from deepmotif.io_utils import write_text

    sheet = uniform_sheet(metadata, release, tax_group)
    header = HEADER.format(metadata=Path(metadata).name, release=release)
    write_text(out, header + sheet.to_csv(sep="\t", index=False))
    return len(sheet)

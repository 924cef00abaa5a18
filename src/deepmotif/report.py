"""The report stage: AUROC and motif-match tables, and a self-contained HTML page with motif logos next to
their best JASPAR match."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import pandas as pd

from deepmotif import __version__
from deepmotif.errors import InputError
from deepmotif.io_utils import write_text
from deepmotif.memeio import read_meme


def auroc_table(metric_files: list[str | Path]) -> pd.DataFrame:
    """Collect ``results/<TF>/<arch>/metrics.json`` files (TF and architecture from the path) into one table."""
    rows = []
    for f in map(Path, metric_files):
        try:
            m = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"unreadable metrics file ({err})", path=f) from None
        rows.append({"tf": f.parent.parent.name, "architecture": m.get("architecture", f.parent.name),
                     "test_auroc": m["test_auroc"], "test_aupr": m["test_aupr"],
                     "valid_auroc": m.get("valid_auroc"), "train_auroc": m.get("train_auroc"),
                     "epochs_run": m.get("epochs_run"), "best_epoch": m.get("best_epoch"),
                     "device": m.get("device"), "wall_seconds": m.get("wall_seconds")})
    return pd.DataFrame(rows).sort_values(["tf", "architecture"], kind="stable").reset_index(drop=True)


def logo_png(pwm, title: str = "", height: float = 1.4) -> bytes:
    """Information-content sequence logo of a (4, w) probability matrix, as PNG bytes (logomaker)."""
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = pd.DataFrame(pwm.T, columns=list("ACGT"))
    info = logomaker.transform_matrix(frame, from_type="probability", to_type="information")
    fig, ax = plt.subplots(figsize=(max(2.0, 0.32 * len(frame)), height))
    logomaker.Logo(info, ax=ax, color_scheme="classic")
    ax.set_ylim(0, 2)
    ax.set_ylabel("bits")
    ax.set_title(title, fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def write_report(out: str | Path, cfg: dict, auroc_file: str | Path, matches_file: str | Path,
                 motif_files: list[str | Path], jaspar_file: str | Path | None = None) -> None:
    """Write a self-contained HTML report (tables, and logos of each extracted motif and its best match)."""
    auroc = pd.read_csv(auroc_file, sep="\t")
    matches = pd.read_csv(matches_file, sep="\t")
    pivot = auroc.pivot_table(index="tf", columns="architecture", values="test_auroc")
    targets = {m.id: m for m in read_meme(jaspar_file)} if jaspar_file else {}
    logos = []
    for motif in (m for f in motif_files for m in read_meme(f)):
        row = matches[matches["motif_id"] == motif.id]
        cells = [_img(logo_png(motif.pwm, motif.id), motif.id)]
        if len(row) and row.iloc[0]["best_id"] in targets:
            best = targets[row.iloc[0]["best_id"]]
            q = row.iloc[0]["q_value"]
            cells.append(_img(logo_png(best.pwm, f"best match {best.id} {best.name} (q={q:.2g})"), best.id))
        logos.append("<div class='pair'>" + "".join(cells) + "</div>")
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>deepmotif report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:90%}}
td,th{{border:1px solid #ccc;padding:3px 6px}} .pair img{{margin-right:1em}}</style></head><body>
<h1>deepmotif report</h1>
<p>deepmotif {__version__}; JASPAR {html.escape(str(cfg['jaspar']['release']))}; Tomtom backend
{html.escape(str(cfg['match']['backend']))}.</p>
<h2>Test AUROC (TF × architecture)</h2>{pivot.round(4).to_html()}
<h2>All performance figures</h2>{auroc.round(4).to_html(index=False)}
<h2>Motif matches</h2>{matches.to_html(index=False)}
<h2>Extracted motifs and their best JASPAR match</h2>{''.join(logos)}
<h2>Run parameters</h2><pre>{html.escape(json.dumps(cfg, indent=2, default=str))}</pre>
</body></html>
"""
    write_text(out, page)

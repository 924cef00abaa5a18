"""The report stage: AUROC and motif-match tables, and a self-contained HTML page with motif logos next to
their best JASPAR match."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import __version__
from deepmotif.architectures import ARCH_LABELS
from deepmotif.errors import InputError
from deepmotif.io_utils import open_npz, read_json_object, write_text
from deepmotif.memeio import read_meme
from deepmotif.methods import VIEW_LABELS


def auroc_table(metric_files: list[str | Path]) -> pd.DataFrame:
    """Collect ``results/<TF>/<arch>/metrics.json`` files (TF and architecture from the path) into one table."""
    rows = []
    for f in map(Path, metric_files):
        m = read_json_object(f, "metrics file")
        rows.append({"tf": f.parent.parent.name, "architecture": m.get("architecture", f.parent.name),
                     "test_auroc": m["test_auroc"], "test_aupr": m["test_aupr"],
                     "valid_auroc": m.get("valid_auroc"), "train_auroc": m.get("train_auroc"), "size": m.get("size"),
                     "epochs_run": m.get("epochs_run"), "best_epoch": m.get("best_epoch"),
                     "device": m.get("device"), "wall_seconds": m.get("wall_seconds")})
    return pd.DataFrame(rows).sort_values(["tf", "architecture"], kind="stable").reset_index(drop=True)


#: logomaker's "classic" colour scheme
LOGO_COLORS = {"A": (0, 0.5, 0), "C": (0, 0, 1), "G": (1, 0.65, 0), "T": (1, 0, 0)}
_LETTER_PATHS: dict = {}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def information_heights(pwm) -> np.ndarray:
    """(4, w) probabilities → (4, w) letter heights in bits: ``p * (2 + sum_b p log2 p)`` (uniform background),
    as ``logomaker.transform_matrix(from_type="probability", to_type="information")``."""
    p = np.asarray(pwm, dtype=np.float64)
    p = p / np.where(p.sum(axis=0) > 0, p.sum(axis=0), 1)
    plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0.0)
    return p * np.clip(2 + plogp.sum(axis=0), 0, 2)


def _letter_path(letter: str):
    """Outline of a letter (bold sans), built once; logomaker builds it twice per glyph, which made a
    dashboard's ~4,600 glyphs take 15 s."""
    if letter not in _LETTER_PATHS:
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import TextPath

        prop = FontProperties(family="sans-serif", weight="bold")
        path = TextPath((0, 0), letter, size=1, prop=prop)
        _LETTER_PATHS[letter] = (path, path.get_extents(), TextPath((0, 0), "E", size=1, prop=prop).get_extents().width)
    return _LETTER_PATHS[letter]


def draw_logo(ax, pwm, title: str = "", title_color: str = "black", xticks: bool = False,
              signed: bool = False) -> None:
    """Information-content logo of a (4, w) probability matrix on ``ax``, 0-2 bits; with ``signed`` the
    matrix is drawn as letter heights as they are (a contribution-weighted matrix, CWM: positive letters
    stacked up from 0, negative ones down).

    Glyphs as logomaker draws them with its defaults (bold sans letters stretched to fill their box, at most
    as wide as an 'E'; the tallest letter on top; the "classic" colours), all letters of one colour joined
    into one compound path, so that a logo is at most four patches.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath
    from matplotlib.transforms import Affine2D

    heights = np.asarray(pwm, dtype=np.float64) if signed else information_heights(pwm)
    pieces: dict[str, list] = {b: [] for b in "ACGT"}
    for j in range(heights.shape[1]):
        floors = {1: 0.0, -1: 0.0}
        for b in np.argsort(np.abs(heights[:, j]), kind="stable"):
            h = heights[b, j]
            if abs(h) <= 1e-6 * (1 if not signed else max(float(np.abs(heights).max()), 1e-12)):
                continue
            sign = 1 if h > 0 else -1
            letter = "ACGT"[b]
            path, box, e_width = _letter_path(letter)
            stretch = min(1.0 / box.width, 1.0 / e_width)
            shift = (1.0 - stretch * box.width) / 2
            base = floors[sign] if sign > 0 else floors[sign] - abs(h)
            t = (Affine2D().translate(-box.xmin, -box.ymin).scale(stretch, abs(h) / box.height)
                 .translate(j - 0.5 + shift, base))
            pieces[letter].append(t.transform_path(path))
            floors[sign] += sign * abs(h)
    for letter, paths in pieces.items():
        if paths:
            # add_artist, not add_patch: the limits are set below, and data limits of the letters' Bézier
            # outlines are slow to compute
            ax.add_artist(PathPatch(MplPath.make_compound_path(*paths), facecolor=LOGO_COLORS[letter],
                                    edgecolor="none", lw=0, transform=ax.transData))
    ax.set_xlim(-0.5, heights.shape[1] - 0.5)
    if signed:
        low = min(0.0, float(np.where(heights < 0, heights, 0).sum(axis=0).min()))
        high = max(float(np.where(heights > 0, heights, 0).sum(axis=0).max()), 1e-12)
        ax.set_ylim(low, high)
        ax.axhline(0, color="gray", lw=0.5)
    else:
        ax.set_ylim(0, 2)
        ax.set_yticks([0, 1, 2])
    ax.tick_params(labelsize=6, length=2)
    if not xticks:
        ax.set_xticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=7, color=title_color, loc="left")


def logo_png(pwm, title: str = "", height: float = 1.4, signed: bool = False) -> bytes:
    """Information-content sequence logo of a (4, w) probability matrix, or with ``signed`` the letter
    heights of a contribution-weighted matrix (:func:`draw_logo`), as PNG bytes."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(2.0, 0.32 * np.asarray(pwm).shape[1]), height))
    draw_logo(ax, pwm, signed=signed)
    ax.set_ylabel("contribution" if signed else "bits", fontsize=7)
    ax.set_title(title, fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _img(png: bytes, alt: str, style: str = "") -> str:
    style = f' style="{style}"' if style else ""
    return f'<img alt="{html.escape(alt)}"{style} src="data:image/png;base64,{base64.b64encode(png).decode()}">'


# ----------------------------------------------------------------------------------------------- dashboard



def _dashboard_views(model, X1):
    """Saliency (per position), forward / backward temporal scores and probability of one sequence."""
    import torch

    from deepmotif.interpret.saliency import saliency
    from deepmotif.interpret.temporal import temporal_scores

    sal = saliency(model, X1, device="cpu")[0].sum(axis=0)
    fwd = temporal_scores(model, X1, "forward", device="cpu")[0]
    bwd = temporal_scores(model, X1, "backward", device="cpu")[0]
    with torch.no_grad():
        prob = float(torch.sigmoid(model(torch.from_numpy(X1))).item())
    return sal, fwd, bwd, prob


def dashboard_figure(tf: str, data_file, model_files: list, interpret_files: list, motif_files: list,
                     matches_file, jaspar_file, filter_files: list | None = None, width: int = 15,
                     hits_file=None):
    """The Deep Motif Dashboard of one TF as a matplotlib figure.

    One positive test sequence, the top-scoring one of the CNN (of the first architecture when there is no
    CNN), is shown for every architecture: its saliency map (|d score / d x| at each base, the bases written
    on it), the forward and backward temporal output scores (probability of the prefix ending / the suffix
    starting at each position), and the class-optimised input of the architecture as a logo. Below, every
    extracted motif (one row per method, one column per architecture) next to its best JASPAR match; the
    match's title is green when it is the TF's own motif or family with q <= match.significance.

    Parameters
    ----------
    model_files, interpret_files, motif_files : list of path
        ``best.pt``, ``interpret.npz`` and ``motifs.meme`` of every architecture (any order; the architecture
        is read from each file).
    matches_file : path
        The TF's motif-match table (the match stage's per-TF ``motif_matches.tsv``).
    filter_files : list of path, optional
        ``filters.meme`` of the convolutional architectures, for the best filter's logo.
    hits_file : path, optional
        The TF's ``tomtom_hits.tsv``: a best match that Tomtom aligned reverse-complemented is drawn so.
    """
    import torch

    from deepmotif.data.prepare import explained_split, load_explained_set
    from deepmotif.match import read_motifs
    from deepmotif.train import load_model

    plt = _plt()
    from matplotlib.gridspec import GridSpec, GridSpecFromSubplotSpec
    from matplotlib.patches import Rectangle

    models = {}
    for f in model_files:
        model, arch = load_model(f, "cpu")
        models[arch] = model
    archs = [a for a in ARCH_LABELS if a in models] + [a for a in models if a not in ARCH_LABELS]  # + variants
    interp = {}
    for f in interpret_files:
        with open_npz(f) as z:
            interp[str(z["arch"])] = {k: z[k] for k in z.files}
            split = explained_split(z)
    missing = [a for a in archs if a not in interp]
    if missing:
        raise InputError(f"no interpret file for architecture(s) {', '.join(missing)}")
    ref = "cnn" if "cnn" in archs else archs[0]
    X, _ = load_explained_set(data_file, split)
    seq_index = int(interp[ref]["index"][0])  # top-scoring test positive of the reference architecture
    X1 = X[seq_index:seq_index + 1].astype(np.float32)
    length = X1.shape[2]
    bases = "".join("ACGTN"[int(np.argmax(c)) if c.sum() > 0 else 4] for c in X1[0].T)

    matches = pd.read_csv(matches_file, sep="\t")
    targets = {m.id: m for m in read_motifs(jaspar_file)}
    extracted = {m.id: m for f in [*motif_files, *(filter_files or [])] for m in read_motifs(f)}
    methods = [m for m in VIEW_LABELS if m in set(matches["method"])]
    flipped = set()
    if hits_file is not None:
        hits = pd.read_csv(hits_file, sep="\t")
        flipped = set(zip(hits.loc[hits["Orientation"] == "-", "Query_ID"],
                          hits.loc[hits["Orientation"] == "-", "Target_ID"]))

    torch.set_num_threads(1)
    views = {a: _dashboard_views(models[a], X1) for a in archs}
    has_classopt = all("classopt_pwm" in interp[a] for a in archs)
    rows_per_arch = 3 if has_classopt else 2
    heights = []
    for _ in archs:
        heights += [0.42, 1.0] + ([0.85] if has_classopt else [])
    n_top_rows = len(heights)
    heights += [0.35] + [0.95] * len(methods)
    fig = plt.figure(figsize=(16, sum(heights) + 1.2))
    gs = GridSpec(len(heights), 1, figure=fig, height_ratios=heights, hspace=0.75, left=0.07, right=0.98,
                  top=1 - 0.75 / (sum(heights) + 1.2), bottom=0.02)
    fig.suptitle(f"{tf}: Deep Motif Dashboard — test sequence #{seq_index} (top-scoring positive of the "
                 f"{ARCH_LABELS.get(ref, ref)})", fontsize=13, x=0.07, ha="left")
    xlim = (-0.5, length - 0.5)
    for i, arch in enumerate(archs):
        sal, fwd, bwd, prob = views[arch]
        r = i * rows_per_arch
        ax = fig.add_subplot(gs[r])
        ax.imshow(sal[None, :], aspect="auto", cmap="Reds", vmin=0, vmax=max(float(sal.max()), 1e-12),
                  extent=(-0.5, length - 0.5, -0.5, 0.5))
        for j, b in enumerate(bases):
            ax.text(j, 0, b, ha="center", va="center", fontsize=6.5, family="monospace")
        start = int(np.argmax(np.convolve(sal, np.ones(width), mode="valid")))
        ax.add_patch(Rectangle((start - 0.5, -0.5), width, 1, fill=False, lw=1.2, ec="black"))
        ax.set_xlim(xlim)
        ax.set_yticks([])
        ax.set_xticks([])
        ax.set_title(f"{ARCH_LABELS.get(arch, arch)} (p = {prob:.3f}): saliency map |∂score/∂x| (box: strongest "
                     f"{width}-bp window)", fontsize=8, loc="left")
        ax.set_ylabel(ARCH_LABELS.get(arch, arch), fontsize=9, rotation=0, ha="right", va="center")
        ax = fig.add_subplot(gs[r + 1])
        pos = np.arange(length)
        ax.plot(pos, fwd, color="tab:blue", lw=1.2, label="forward: prefix ending here")
        ax.plot(pos, bwd, color="tab:orange", lw=1.2, label="backward: suffix starting here")
        ax.set_xlim(xlim)
        ax.set_ylim(-0.02, 1.02)
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=6, length=2)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="upper left", framealpha=0.8)
        ax.set_title("temporal output scores (probability of the positive class)", fontsize=8, loc="left")
        if has_classopt:
            ax = fig.add_subplot(gs[r + 2])
            draw_logo(ax, interp[arch]["classopt_pwm"], xticks=True)
            ax.set_xlim(xlim)
            ax.set_title("class optimisation: the input that maximises the score (logo)", fontsize=8, loc="left")
    # Motif grid: header row, then one row per method; per architecture two logos (extracted, best match).
    head = fig.add_subplot(gs[n_top_rows])
    head.axis("off")
    n_arch = len(archs)
    for i, arch in enumerate(archs):
        head.text((i + 0.02) / n_arch, 0.5, f"{ARCH_LABELS.get(arch, arch)}: extracted motif  |  best JASPAR match",
                  fontsize=10, weight="bold", transform=head.transAxes, va="center")
    table = matches.set_index(["architecture", "method"])
    for k, method in enumerate(methods):
        sub = GridSpecFromSubplotSpec(1, 2 * n_arch, subplot_spec=gs[n_top_rows + 1 + k], wspace=0.25)
        for i, arch in enumerate(archs):
            ax_m, ax_t = fig.add_subplot(sub[2 * i]), fig.add_subplot(sub[2 * i + 1])
            if (arch, method) not in table.index:
                ax_m.axis("off")
                ax_t.axis("off")
                continue
            row = table.loc[(arch, method)]
            row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
            motif = extracted.get(row["motif_id"])
            label = VIEW_LABELS[method]
            if method == "filters":
                label += f" of {int(row['n_filters'])} ({row['filter_match_fraction']:.0%} match JASPAR)"
            elif not pd.isna(row.get("window_match_fraction", np.nan)):
                label += f" — {row['window_match_fraction']:.0%} of windows match {tf}"
            if motif is not None:
                draw_logo(ax_m, motif.pwm, label)
            else:
                ax_m.axis("off")
            best = targets.get(row["best_id"]) if isinstance(row["best_id"], str) else None
            if best is not None:
                good = bool(row["top_in_family"])
                rc = (row["motif_id"], best.id) in flipped  # shown as Tomtom aligned it
                draw_logo(ax_t, best.pwm[::-1, ::-1] if rc else best.pwm,
                          f"{best.id} {best.name}{' (rev. compl.)' if rc else ''} (q = {row['q_value']:.2g})",
                          title_color="green" if good else "dimgray")
            else:
                ax_t.axis("off")
    return fig


def write_dashboard(png, svg, tf: str, data_file, model_files, interpret_files, motif_files, matches_file,
                    jaspar_file, filter_files=None, width: int = 15, hits_file=None) -> None:
    """Draw :func:`dashboard_figure` and save it as PNG and SVG (atomically)."""
    from deepmotif.io_utils import atomic_path

    plt = _plt()
    fig = dashboard_figure(tf, data_file, model_files, interpret_files, motif_files, matches_file, jaspar_file,
                           filter_files, width, hits_file)
    for path, fmt in ((png, "png"), (svg, "svg")):
        if path:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=100)
    plt.close(fig)


def software_versions() -> dict[str, str]:
    """Versions of Python and the packages that make the results."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "deepmotif": __version__}
    for pkg in ("torch", "numpy", "snakemake", "memelite", "pyjaspar", "captum", "pandas", "logomaker",
                "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


#: inline script of the report: once the page has loaded, the count of images that decoded (naturalWidth > 0)
#: goes into the title and the body's ``data-images-loaded`` attribute (read by the headless-browser test)
IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
  document.title = "deepmotif report (" + ok + "/" + imgs.length + " images)";
});
</script>"""


def _comparison_html(comparison_file, figure_file) -> str:
    """The report's model-comparison section: the paired-test table and the per-architecture AUROC plot."""
    parts = []
    if figure_file:
        parts.append(_img(Path(figure_file).read_bytes(), "test AUROC per architecture", "max-width:40em"))
    if comparison_file:
        table = pd.read_csv(comparison_file, sep="\t", keep_default_na=False, na_values=[""])
        parts.append(table.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep=""))
    if not parts:
        return ""
    return ("<h2>Model comparison (paired over TFs)</h2><p>Paired t-test and Wilcoxon signed-rank test of "
            "each pair of architectures (and the PWM baseline) over the TFs; <code>mean_diff</code> is the mean "
            "of model_a − model_b.</p>" + "".join(parts))


def _groundtruth_html(files) -> str:
    """The report's ground-truth benchmark section (deepmotif.groundtruth): attribution AUROC pivoted to
    method × architecture, the filter table, and recovery counts per architecture × method, then the tables."""
    if not files:
        return ""
    parts = ["<h2>Ground-truth benchmark (planted motifs)</h2><p>Attribution AUROC: per-sequence AUROC of each "
             "method's per-base score for the planted bases, mean over the explained positive test sequences "
             "(Koo &amp; Ploenzke 2021). Filters: share of first-layer filters whose best JASPAR hit (E &lt; "
             "<code>groundtruth.e_value</code>) is a planted motif, and share of planted motifs found. Recovery: "
             "planted motifs that are the significant best hit of one of the method's discovered motifs.</p>"]
    fmt = {"float_format": lambda v: f"{v:.3g}", "na_rep": ""}
    for f in map(Path, files):
        table = pd.read_csv(f, sep="\t", keep_default_na=False, na_values=[""])
        name = f.stem.replace("groundtruth_", "")
        if name == "attribution" and len(table):
            pivot = table.pivot_table(index=["tf", "method"], columns="architecture", values="auroc", sort=False)
            parts.append("<h3>Attribution AUROC (TF × method, columns: architecture)</h3>" + pivot.round(3).to_html())
        if name == "recovery" and len(table):
            summary = table.groupby(["architecture", "method"], sort=False)[["n_found", "n_planted"]].sum()
            summary["recovered"] = summary["n_found"].astype(int).astype(str) + "/" + summary["n_planted"].astype(str)
            parts.append("<h3>Planted motifs found as distinct discovered motifs</h3>"
                         + summary[["recovered"]].unstack(0).to_html())
        parts.append(f"<h3>{html.escape(f.name)}</h3><div style='overflow-x:auto'>{table.to_html(index=False, **fmt)}"
                     "</div>")
    return "".join(parts)


def read_cwms(cwm_files: list[str | Path]) -> dict[str, np.ndarray]:
    """Motif id → contribution-weighted matrix, from the motifs stage's ``cwm.npz`` files."""
    out = {}
    for f in cwm_files:
        with open_npz(f) as z:
            out.update({str(i): z[f"cwm_{k}"] for k, i in enumerate(z["ids"])})
    return out


def _discovered_html(motif_table: pd.DataFrame, cwms: dict[str, np.ndarray], targets: dict) -> str:
    """One line per discovered (or class-optimised) motif with a matched core: its CWM logo, its support, and
    the logo of its best JASPAR hit with the verdict of its top 3 hits."""
    target_logos: dict[tuple[str, str], bytes] = {}
    parts = []
    shown = motif_table[(motif_table["status"] == "matched") & motif_table["motif_id"].isin(list(cwms))]
    for row in shown.to_dict("records"):  # discovered and class-optimised motifs (filters have their own row)
        support = "" if pd.isna(row.get("support")) else f", {int(row['n_seqlets'])} seqlets in {row['support']:.0%} of sequences"
        signed = row["method"] != "classopt"  # a class-optimised input has no contributions: its PWM is shown
        kind = "CWM" if signed else "PWM"
        cells = [_img(logo_png(cwms[row["motif_id"]], f"{row['motif_id']} ({kind}{support})", signed=signed),
                      row["motif_id"])]
        best = targets.get(row["hit1_id"]) if isinstance(row["hit1_id"], str) else None
        if best is not None:
            verdict = "own matrix" if row["recovered"] else "family" if row["family_recovered"] else "other"
            title = f"best match {best.id} {best.name} (q={row['hit1_q']:.2g}; top 3: {verdict})"
            if (best.id, title) not in target_logos:
                target_logos[(best.id, title)] = logo_png(best.pwm, title)
            cells.append(_img(target_logos[(best.id, title)], best.id))
        parts.append("<div class='pair'>" + "".join(cells) + "</div>")
    return "".join(parts) or "<p>none</p>"


def write_report(out: str | Path, cfg: dict, auroc_file: str | Path, matches_file: str | Path,
                 motif_table_file: str | Path, cwm_files: list[str | Path], jaspar_file: str | Path | None = None,
                 dashboards: list[str | Path] | None = None, comparison_file: str | Path | None = None,
                 performance_figure: str | Path | None = None,
                 groundtruth_files: list[str | Path] | None = None) -> None:
    """Write a self-contained HTML report: AUROC and motif-match tables, the dashboard figure of every TF,
    each discovered motif's CWM logo with its support and best match, run parameters and software versions.
    Images are embedded as base64 data URIs (the page needs no other file and no network).
    ``comparison_file`` (``model_comparison.tsv``) and ``performance_figure`` (a PNG of test AUROC per
    architecture) add a model-comparison section; ``groundtruth_files`` (the ``groundtruth_*.tsv`` tables) a
    ground-truth section."""
    auroc = pd.read_csv(auroc_file, sep="\t")
    matches = pd.read_csv(matches_file, sep="\t")
    pivot = auroc.pivot_table(index="tf", columns="architecture", values="test_auroc")
    targets = {m.id: m for m in read_meme(jaspar_file)} if jaspar_file else {}
    motif_table = pd.read_csv(motif_table_file, sep="\t")
    discovered = _discovered_html(motif_table, read_cwms(cwm_files), targets)
    figures = []
    for f in map(Path, dashboards or []):
        tf = f.parent.name
        figures.append(f"<h3>{html.escape(tf)}</h3>" + _img(f.read_bytes(), f"dashboard of {tf}",
                                                             "max-width:100%;border:1px solid #ddd"))
    versions = pd.DataFrame(list(software_versions().items()), columns=["software", "version"])
    shown = matches[[c for c in matches.columns if c not in ("best_family",)]].copy()
    for col in ("n_sites", "own_rank", "n_filters"):  # counts, NaN where they do not apply
        if col in shown:
            shown[col] = shown[col].astype("Int64").astype(str).replace("<NA>", "")
    match_html = shown.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="")
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>deepmotif report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:85%}}
td,th{{border:1px solid #ccc;padding:3px 6px}} .pair img{{margin-right:1em}}</style></head><body>
<h1>deepmotif report</h1>
<p>deepmotif {__version__}; JASPAR {html.escape(str(cfg['jaspar']['release']))}; Tomtom backend
{html.escape(str(cfg['match']['backend']))}; interpretation methods
{html.escape(', '.join(map(str, cfg.get('interpret', {}).get('methods', []))))}.</p>
<h2>Test AUROC (TF × architecture)</h2>{pivot.round(4).to_html()}
<h2>All performance figures</h2>{auroc.round(4).to_html(index=False)}
{_comparison_html(comparison_file, performance_figure)}
{_groundtruth_html(groundtruth_files)}
<h2>Motif matches</h2><div style="overflow-x:auto">{match_html}</div>
<h2>Dashboards</h2>{''.join(figures) or '<p>none</p>'}
<h2>Discovered motifs (CWM), their support and best JASPAR match</h2>{discovered}
<h2>Run parameters</h2><pre>{html.escape(json.dumps(cfg, indent=2, default=str))}</pre>
<h2>Software</h2>{versions.to_html(index=False)}
{IMAGE_CHECK}
</body></html>
"""
    write_text(out, page)

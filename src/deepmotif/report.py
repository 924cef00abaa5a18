"""The report stage: AUROC and motif-match tables, dashboard figures, and the report folder: an index page
with one sortable summary row per TF, one page per TF with its motif logos next to their best JASPAR match,
images as PNG files beside the pages."""

from __future__ import annotations

import html
import io
import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from deepmotif import __version__
from deepmotif.architectures import ARCH_LABELS
from deepmotif.errors import InputError
from deepmotif.io_utils import open_npz, read_json_object, write_text
from deepmotif.jaspar import NO_KNOWN_MOTIF
from deepmotif.match import verdict
from deepmotif.memeio import read_meme
from deepmotif.methods import VIEW_LABELS


def auroc_table(metric_files: list[str | Path]) -> pd.DataFrame:
    """Collect ``results/<TF>/<arch>/metrics.json`` files (TF and architecture from the path) into one table;
    ``note`` says why a row has no metrics (the PWM baseline of a TF with no known motif)."""
    rows = []
    for f in map(Path, metric_files):
        m = read_json_object(f, "metrics file")
        rows.append({"tf": f.parent.parent.name, "architecture": m.get("architecture", f.parent.name),
                     "test_auroc": m["test_auroc"], "test_aupr": m["test_aupr"],
                     "valid_auroc": m.get("valid_auroc"), "train_auroc": m.get("train_auroc"), "size": m.get("size"),
                     "epochs_run": m.get("epochs_run"), "best_epoch": m.get("best_epoch"),
                     "device": m.get("device"), "wall_seconds": m.get("wall_seconds"), "note": m.get("note", "")})
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


def logo_png(pwm, height: float = 1.2, signed: bool = False) -> bytes:
    """Information-content sequence logo of a (4, w) probability matrix, or with ``signed`` the letter
    heights of a contribution-weighted matrix (:func:`draw_logo`), as PNG bytes, 110 dpi.

    The axes sit at fixed margins of a bare :class:`~matplotlib.figure.Figure` (no pyplot, no
    ``bbox_inches="tight"``, which draws the figure twice): half the time per logo, which is what a report
    of hundreds of TFs, ~40 logos each, spends its time on. Titles belong in the page, beside the image.
    """
    from matplotlib.figure import Figure

    _plt()  # the Agg backend
    margin, width = 0.5, max(1.8, 0.32 * np.asarray(pwm).shape[1])  # inches: y label and ticks | letters
    fig = Figure(figsize=(margin + width + 0.05, height))
    ax = fig.add_axes((margin / (margin + width + 0.05), 0.06, width / (margin + width + 0.05), 0.9))
    draw_logo(ax, pwm, signed=signed)
    ax.set_ylabel("contribution" if signed else "bits", fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


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
                good = verdict(row["top_in_family"])
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
    from deepmotif.io_utils import save_figure

    plt = _plt()
    fig = dashboard_figure(tf, data_file, model_files, interpret_files, motif_files, matches_file, jaspar_file,
                           filter_files, width, hits_file)
    save_figure(fig, {"png": png, "svg": svg}, dpi=100)
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


# ------------------------------------------------------------------------------------------- report folder

#: the report folder: the index (one summary row per TF, the run-wide sections), one page per TF in TF_FOLDER
#: with its images in ``TF_FOLDER/<TF>/``, JASPAR logos (shared by all TFs) in JASPAR_FOLDER, and the
#: ground-truth tables on a page of their own
INDEX, GROUNDTRUTH_PAGE, TF_FOLDER, JASPAR_FOLDER = "index.html", "groundtruth.html", "tf", "jaspar"
DEEPRESOLVE_PAGE = "deepresolve.html"
#: the link back to the index from a page beside it
BACK = f'<p><a href="{INDEX}">← all TFs</a></p>'
#: the PWM baseline's name in the AUROC table (deepmotif.evaluate)
PWM = "pwm"
#: sheet columns of the summary table, where the sheet has them (``lab``: the ENCODE uniform sheet only)
SUMMARY_SHEET_COLUMNS = ("cell_line", "lab")

STYLE = """<style>body{font-family:sans-serif;margin:2em} table{border-collapse:collapse;font-size:85%}
td,th{border:1px solid #ccc;padding:3px 6px} .pair figure{display:inline-block;margin:0 1em 0.5em 0;vertical-align:top}
figcaption{font-size:75%}
#summary th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
#summary th[aria-sort=ascending]::after{content:" \\25B2"} #summary th[aria-sort=descending]::after{content:" \\25BC"}
</style>"""

#: inline script of every page: once the page has loaded, the count of images that decoded (naturalWidth > 0)
#: goes into the title and the body's ``data-images-loaded`` attribute (read by the headless-browser test)
IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
  document.title += " (" + ok + "/" + imgs.length + " images)";
});
</script>"""

#: inline script of the index: a click on a header sorts the summary table by that column (numbers by value,
#: a cell's ``data-sort`` before its text; blank cells last either way; a second click reverses), and the
#: filter box keeps the rows that contain every word typed
SORT_FILTER = """<script>
(function () {
  var table = document.getElementById("summary"), body = table.tBodies[0], heads = table.tHead.rows[0].cells;
  var box = document.getElementById("filter"), shown = document.getElementById("shown");
  function key(cell) {
    var v = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    return v === "" || isNaN(v) ? v.toLowerCase() : parseFloat(v);
  }
  function compare(a, b) {
    if (typeof a !== typeof b) return typeof a === "number" ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      var rows = Array.prototype.map.call(body.rows, function (r) { return [key(r.cells[col]), r]; });
      rows.sort(function (x, y) {
        if (x[0] === "" || y[0] === "") return (x[0] === "") - (y[0] === "");
        return dir * compare(x[0], y[0]);
      });
      rows.forEach(function (x) { body.appendChild(x[1]); });
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    });
  });
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean), n = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var text = r.textContent.toLowerCase();
      r.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      n += r.hidden ? 0 : 1;
    });
    shown.textContent = n;
  });
})();
</script>"""


def _img(src: str, alt: str, style: str = "") -> str:
    style = f' style="{style}"' if style else ""
    return f'<img alt="{html.escape(alt)}"{style} src="{html.escape(quote(src))}">'


def _figure(src: str, alt: str, caption: str) -> str:
    return f"<figure>{_img(src, alt)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _page(title: str, body: str, script: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>\n{STYLE}'
            f"</head><body>\n{body}\n{script}{IMAGE_CHECK}\n</body></html>\n")


def _write(path: Path, page: str) -> None:
    """A page of the report folder, UTF-8 as its ``<meta charset>`` says, whatever the locale."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def _table_html(table: pd.DataFrame) -> str:
    """A table as HTML: floats to 3 significant digits, counts without decimals, blanks for NaN."""
    shown = table.copy()
    for col in ("n_sites", "own_rank", "n_filters"):  # counts, NaN where they do not apply
        if col in shown:
            shown[col] = shown[col].astype("Int64").astype(str).replace("<NA>", "")
    return shown.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="")


class _Images:
    """The report folder's images: each written once under ``root`` (a JASPAR logo that many TFs share, too),
    named by a path relative to ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self._written: set[str] = set()

    def _target(self, rel: str) -> Path | None:
        if rel in self._written:
            return None
        self._written.add(rel)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def logo(self, rel: str, pwm, signed: bool = False) -> str:
        """``rel``: the logo of :func:`logo_png`, drawn the first time it is asked for."""
        path = self._target(rel)
        if path is not None:
            path.write_bytes(logo_png(pwm, signed=signed))
        return rel

    def copy(self, rel: str, source: str | Path) -> str:
        """``rel``: a hard link to ``source`` (a dashboard: 1-2 MB per TF, not worth a second copy on disk;
        every writer of the workflow replaces a file by a rename, so the link never changes under the report),
        or a copy where the file system cannot link."""
        path = self._target(rel)
        if path is not None:
            try:
                os.link(source, path)
            except OSError:
                shutil.copyfile(source, path)
        return rel


def summary_table(auroc: pd.DataFrame, matches: pd.DataFrame, sheet: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per TF (sheet order, then TFs the sheet lacks): ``tf``; ``cell_line`` and ``lab`` where the
    sheet has them; ``auroc_<arch>`` (test AUROC) per architecture and ``auroc_pwm`` (PWM baseline); per
    architecture ``<arch>_methods`` (motif methods with a row in ``matches``), ``<arch>_own`` and
    ``<arch>_family`` (of those, how many recovered the TF's own JASPAR matrix / its family; NaN where the TF
    has no JASPAR matrix, so no verdict); ``jaspar_matrix``: whether the TF has one.

    Parameters
    ----------
    auroc : DataFrame
        ``results/tables/auroc.tsv`` (tf, architecture, test_auroc).
    matches : DataFrame
        ``results/tables/motif_matches.tsv`` (one row per TF × architecture × method).
    sheet : DataFrame, optional
        The TF sheet (:func:`deepmotif.config.read_sheet`).
    """
    tfs = list(dict.fromkeys([*(sheet["name"] if sheet is not None else []),
                              *sorted(set(auroc["tf"]) | set(matches["tf"]))]))
    present = set(auroc["architecture"]) | set(matches["architecture"])
    archs = [a for a in ARCH_LABELS if a in present] + sorted(present - set(ARCH_LABELS) - {PWM})
    out = pd.DataFrame({"tf": tfs})
    if sheet is not None:
        rows = sheet.set_index("name")
        for col in SUMMARY_SHEET_COLUMNS:
            if col in rows:
                out[col] = out["tf"].map(rows[col]).fillna("")
    test = auroc.pivot_table(index="tf", columns="architecture", values="test_auroc", aggfunc="first")
    for arch in [*archs, PWM]:
        out[f"auroc_{arch}"] = out["tf"].map(test[arch]) if arch in test else np.nan
    own_id = matches["own_id"]
    has_matrix = (own_id.notna() & own_id.astype(str).str.strip().ne("")).groupby(matches["tf"]).any()
    verdicts = matches.assign(own=matches["recovered"].fillna(False).astype(bool),
                              family=matches["family_recovered"].fillna(False).astype(bool))
    counts = verdicts.groupby(["tf", "architecture"])[["own", "family"]].agg(["sum", "size"])
    matrix = out["tf"].map(has_matrix).fillna(False).astype(bool)
    for arch in archs:
        key = [(tf, arch) for tf in tfs]
        found = [k in counts.index for k in key]
        take = lambda col: [counts.loc[k, col] if f else np.nan for k, f in zip(key, found)]  # noqa: E731
        out[f"{arch}_methods"] = take(("own", "size"))
        out[f"{arch}_own"] = np.where(matrix, take(("own", "sum")), np.nan)
        out[f"{arch}_family"] = np.where(matrix, take(("family", "sum")), np.nan)
    out["jaspar_matrix"] = matrix
    return out


def _summary_html(summary: pd.DataFrame) -> str:
    """The index's summary table: one row per TF, a link to its page; the verdict cells say "family/methods
    (own k)" and sort by family then own count."""
    archs = [c[: -len("_methods")] for c in summary.columns if c.endswith("_methods")]
    sheet_cols = [c for c in SUMMARY_SHEET_COLUMNS if c in summary]
    heads = (["TF"] + [c.replace("_", " ") for c in sheet_cols]
             + [f"{ARCH_LABELS.get(a, a)} AUROC" for a in archs] + ["PWM AUROC"]
             + [f"{ARCH_LABELS.get(a, a)} motifs" for a in archs]
             + (["cooperating partner"] if "cooperating_partner" in summary else []))
    titles = ([""] * (1 + len(sheet_cols)) + ["test AUROC"] * (len(archs) + 1)
              + ["methods whose motif matches the TF's JASPAR family (of those: its own matrix), q <= "
                 "match.significance among the top 3 hits"] * len(archs)
              + ["motifs cooperating with the TF's own-family motif (grammar stage: super-additive pair effect, "
                 "logit scale), by architecture"])
    head = "".join(f'<th title="{html.escape(t)}">{html.escape(h)}</th>' if t else f"<th>{html.escape(h)}</th>"
                   for h, t in zip(heads, titles))
    rows = []
    for rec in summary.to_dict("records"):
        tf = rec["tf"]
        cells = [f'<td><a href="{html.escape(quote(f"{TF_FOLDER}/{tf}.html"))}">{html.escape(tf)}</a></td>']
        cells += [f"<td>{html.escape(str(rec[c]))}</td>" for c in sheet_cols]
        cells += [(f'<td data-sort="">{NO_KNOWN_MOTIF}</td>' if a == PWM and not rec["jaspar_matrix"] else
                   "<td></td>") if pd.isna(rec[f"auroc_{a}"])
                  else f'<td data-sort="{float(rec[f"auroc_{a}"])!r}">{rec[f"auroc_{a}"]:.4f}</td>'
                  for a in [*archs, PWM]]
        for a in archs:
            n, own, fam = rec[f"{a}_methods"], rec[f"{a}_own"], rec[f"{a}_family"]
            if pd.isna(n):
                cells.append("<td></td>")
            elif not rec["jaspar_matrix"]:
                cells.append(f'<td data-sort="">{NO_KNOWN_MOTIF}</td>')
            else:
                cells.append(f'<td data-sort="{int(fam) + int(own) / 100:.2f}">{int(fam)}/{int(n)} (own {int(own)})'
                             "</td>")
        if "cooperating_partner" in summary:
            cells.append(f"<td>{html.escape(str(rec['cooperating_partner']))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<p><label>Filter: <input id="filter" type="search" placeholder="TF, cell line, lab…"></label> '
            f'<span id="shown">{len(rows)}</span> of {len(rows)} TFs shown; click a header to sort.</p>'
            f'<table id="summary"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(rows)
            + "\n</tbody></table>")


def _attractors_html(matches: pd.DataFrame) -> str:
    """The index's list of attractor matrices (:mod:`deepmotif.attractors`), where the table flags any."""
    from deepmotif.attractors import attractor_summary

    if "attractor" not in matches:
        return ""
    found = attractor_summary(matches)
    if found.empty:
        return ("<h2 id='attractors'>Attractor matrices</h2><p>None: no JASPAR matrix is the best hit of "
                "unrelated TFs in one method.</p>")
    return ("<h2 id='attractors'>Attractor matrices</h2><p>Each is the significant best hit of unrelated TFs "
            "(not of their family; TFs of one family counted once) in one architecture × method: there it says "
            "more about the matrix than about those TFs. Their rows have <code>attractor</code> true in "
            "<code>motif_matches.tsv</code>.</p>" + _table_html(found))


def _comparison_html(comparison_file, figure: str | None) -> str:
    """The index's model-comparison section: the paired-test table and the per-architecture AUROC plot."""
    parts = []
    if figure:
        parts.append(_img(figure, "test AUROC per architecture", "max-width:40em"))
    if comparison_file:
        table = pd.read_csv(comparison_file, sep="\t", keep_default_na=False, na_values=[""])
        parts.append(table.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep=""))
    if not parts:
        return ""
    return ("<h2>Model comparison (paired over TFs)</h2><p>Paired t-test and Wilcoxon signed-rank test of "
            "each pair of architectures (and the PWM baseline) over the TFs; <code>mean_diff</code> is the mean "
            "of model_a − model_b.</p>" + "".join(parts))


def _groundtruth_html(files) -> str:
    """The ground-truth page (deepmotif.groundtruth): attribution AUROC pivoted to method × architecture,
    recovery counts per architecture × method, then the tables."""
    parts = [f"<h1>Ground-truth benchmark (planted motifs)</h1>{BACK}"
             "<p>Attribution AUROC: per-sequence AUROC of each "
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


def _deepresolve_html(fiv_file, figures: list[Path], images: "_Images") -> str:
    """The DeepResolve page (deepmotif.interpret.resolve): per task of each model its three most important
    channels with their filters' JASPAR matches and its number of non-additive channels, then each model's
    heat maps (``results/<TF>/<arch>/deepresolve.png``)."""
    parts = [f"<h1>DeepResolve</h1>{BACK}<p>Per task, gradient ascent from "
             "random feature maps (the map leaving the first convolution block) on its logit: the overall "
             "feature importance (OFIV) of each channel, its inconsistency across starts and a non-additive "
             "flag; a channel is named by its first-layer filter's best JASPAR match.</p>"]
    if fiv_file:
        fiv = pd.read_csv(fiv_file, sep="\t")
        label = fiv["channel"].astype(str) + " " + fiv["match_name"].fillna("").astype(str)
        top = fiv.assign(label=label.str.strip())[fiv["rank"] <= 3].sort_values("rank")
        table = top.groupby(["tf", "architecture", "task"], sort=False).agg(
            top_channels=("label", " · ".join)).reset_index()
        flagged = fiv.groupby(["tf", "architecture", "task"], sort=False)["non_additive"].sum().astype(int)
        table["non_additive"] = flagged.to_numpy()
        parts.append("<h2>Most important channels per task</h2>" + _table_html(table))
    for f in figures:
        tf, arch = f.parent.parent.name, f.parent.name
        rel = images.copy(f"deepresolve/{tf}_{arch}.png", f)
        parts.append(f"<h2>{html.escape(tf)} · {html.escape(arch)}</h2>"
                     + _figure(rel, f"DeepResolve of {tf} {arch}", "task × channel OFIV (dot: non-additive); "
                               "OFIV correlation of tasks (upper) beside label correlation (lower)"))
    return "".join(parts)


def read_cwms(cwm_files: list[str | Path]) -> dict[str, np.ndarray]:
    """Motif id → contribution-weighted matrix, from the motifs stage's ``cwm.npz`` files."""
    out = {}
    for f in cwm_files:
        with open_npz(f) as z:
            out.update({str(i): z[f"cwm_{k}"] for k, i in enumerate(z["ids"])})
    return out


def _discovered_html(tf: str, motif_table: pd.DataFrame, cwms: dict[str, np.ndarray], targets: dict,
                     images: _Images) -> str:
    """One line per discovered motif of ``tf`` (class-optimised sequences' included) with a matched core: its
    CWM logo with its support, and the logo of its best JASPAR hit (one file per matrix, shared by all TFs)
    with the q-value and the verdict of its top 3 hits."""
    parts = []
    shown = motif_table[(motif_table["status"] == "matched") & motif_table["motif_id"].isin(list(cwms))]
    for row in shown.to_dict("records"):  # discovered and class-optimised motifs (filters have their own row)
        support = "" if pd.isna(row.get("support")) else f", {int(row['n_seqlets'])} seqlets in {row['support']:.0%} of sequences"
        motif_id = str(row["motif_id"])
        images.logo(f"{TF_FOLDER}/{tf}/{motif_id}.png", cwms[motif_id], signed=True)
        # image paths relative to the TF's page in TF_FOLDER
        cells = [_figure(f"{tf}/{motif_id}.png", motif_id, f"{motif_id} (CWM{support})")]
        best = targets.get(row["hit1_id"]) if isinstance(row["hit1_id"], str) else None
        if best is not None:
            verdict = (NO_KNOWN_MOTIF if pd.isna(row["recovered"]) else "own matrix" if row["recovered"]
                       else "family" if row["family_recovered"] else "other")
            images.logo(f"{JASPAR_FOLDER}/{best.id}.png", best.pwm)
            cells.append(_figure(f"../{JASPAR_FOLDER}/{best.id}.png", best.id,
                                 f"best match {best.id} {best.name} (q={row['hit1_q']:.2g}; top 3: {verdict})"))
        parts.append("<div class='pair'>" + "".join(cells) + "</div>")
    return "".join(parts) or "<p>none</p>"


def _tf_page(tf: str, info: dict, auroc: pd.DataFrame, matches: pd.DataFrame, dashboard: str | None,
             discovered: str, grammar: str = "") -> str:
    """The page of one TF: its sheet row, its rows of the AUROC and motif-match tables, its dashboard, its
    discovered motifs and what they do (``grammar``, :func:`deepmotif.report_grammar.grammar_section`)."""
    fields = "".join(f"<tr><th>{html.escape(k.replace('_', ' '))}</th><td>{html.escape(str(v))}</td></tr>"
                     for k, v in info.items() if str(v) != "")
    dash = (_img(dashboard, f"dashboard of {tf}", "max-width:100%;border:1px solid #ddd") if dashboard
            else "<p>none</p>")
    body = (f'<p><a href="../{INDEX}">← all TFs</a></p><h1>{html.escape(tf)}</h1>'
            + (f"<table>{fields}</table>" if fields else "")
            + f"<h2 id='performance'>Performance</h2>{auroc.round(4).to_html(index=False, na_rep='')}"
            + f"<h2 id='matches'>Motif matches</h2><div style='overflow-x:auto'>{_table_html(matches)}</div>"
            + f"<h2 id='dashboard'>Dashboard</h2>{dash}"
            + f"<h2 id='discovered'>Discovered motifs (CWM), their support and best JASPAR match</h2>{discovered}"
            + grammar)
    return _page(f"deepmotif report: {tf}", body)


def write_report(out: str | Path, cfg: dict, auroc_file: str | Path, matches_file: str | Path,
                 motif_table_file: str | Path, cwm_files: list[str | Path], jaspar_file: str | Path | None = None,
                 dashboards: list[str | Path] | None = None, comparison_file: str | Path | None = None,
                 performance_figure: str | Path | None = None,
                 groundtruth_files: list[str | Path] | None = None, sheet_file: str | Path | None = None,
                 deepresolve_table: str | Path | None = None,
                 deepresolve_figures: list[str | Path] | None = None,
                 grammar_tables: list[str | Path] | None = None,
                 grammar_figures: list[str | Path] | None = None) -> None:
    """Write the report folder ``out`` (replaced as a whole, atomically): ``index.html`` with one sortable,
    filterable summary row per TF (:func:`summary_table`) linking to its page, the model comparison, run
    parameters and software versions; ``tf/<TF>.html`` per TF with its tables' rows, its dashboard and each
    discovered motif's CWM logo with its support and best JASPAR match; ``groundtruth.html`` with the
    ground-truth tables. Images are PNG files beside the pages; the pages need no network.

    Parameters
    ----------
    out : path
        The report folder (``results/report``).
    auroc_file, matches_file, motif_table_file : path
        ``auroc.tsv``, ``motif_matches.tsv`` and ``motifs.tsv`` of ``results/tables``.
    cwm_files : list of path
        The motifs stage's ``cwm.npz`` files.
    jaspar_file : path, optional
        MEME file of the JASPAR targets, for the best matches' logos.
    dashboards : list of path, optional
        ``results/<TF>/dashboard.png`` (the TF is the folder's name).
    comparison_file, performance_figure : path, optional
        ``model_comparison.tsv`` and the PNG of test AUROC per architecture: a model-comparison section.
    groundtruth_files : list of path, optional
        The ``groundtruth_*.tsv`` tables: the ground-truth page.
    sheet_file : path, optional
        The TF sheet: the summary's cell line and lab, each page's sheet row.
    deepresolve_table, deepresolve_figures : optional
        ``deepresolve_fiv.tsv`` and the models' ``deepresolve.png``: the DeepResolve page.
    grammar_tables, grammar_figures : optional
        The grammar stage's ``instance_summary.tsv``, ``effects.tsv``, ``pair_verdicts.tsv`` and the models'
        ``pairs.png``: a "What the motifs do" section per TF page and the index's cooperating partners.
    """
    from deepmotif.config import read_sheet
    from deepmotif.io_utils import atomic_folder
    from deepmotif.report_grammar import grammar_section, partners, read_grammar

    auroc = pd.read_csv(auroc_file, sep="\t")
    matches = pd.read_csv(matches_file, sep="\t")
    motif_table = pd.read_csv(motif_table_file, sep="\t")
    sheet = read_sheet(sheet_file) if sheet_file else None
    targets = {m.id: m for m in read_meme(jaspar_file)} if jaspar_file else {}
    cwms = read_cwms(cwm_files)
    dashboard_of = {Path(f).parent.name: Path(f) for f in dashboards or []}
    summary = summary_table(auroc, matches, sheet)
    grammar = read_grammar(grammar_tables)
    if "pair_verdicts" in grammar:
        summary["cooperating_partner"] = summary["tf"].map(partners(grammar["pair_verdicts"])).fillna("")
    pair_figures = {(Path(f).parent.parent.name, Path(f).parent.name): Path(f) for f in grammar_figures or []}
    shown = matches[[c for c in matches.columns if c != "best_family"]]
    info = sheet.set_index("name").to_dict("index") if sheet is not None else {}
    with atomic_folder(out) as root:
        images = _Images(root)
        for tf in summary["tf"]:
            dash = dashboard_of.get(tf)
            if dash is not None:
                images.copy(f"{TF_FOLDER}/{tf}/dashboard.png", dash)
            discovered = _discovered_html(tf, motif_table[motif_table["tf"] == tf], cwms, targets, images)
            figures = {(tf, arch): images.copy(f"{TF_FOLDER}/{tf}/pairs_{arch}.png", f).split("/", 1)[1]
                       for (t, arch), f in pair_figures.items() if t == tf}
            page = _tf_page(tf, info.get(tf, {}), auroc[auroc["tf"] == tf], shown[shown["tf"] == tf],
                            f"{tf}/dashboard.png" if dash is not None else None, discovered,
                            grammar_section(tf, grammar, figures, _table_html))
            _write(root / TF_FOLDER / f"{tf}.html", page)
        figure = images.copy("test_auroc.png", performance_figure) if performance_figure else None
        if groundtruth_files:
            _write(root / GROUNDTRUTH_PAGE,
                   _page("deepmotif report: ground truth", _groundtruth_html(groundtruth_files)))
        resolved = bool(deepresolve_table or deepresolve_figures)
        if resolved:
            _write(root / DEEPRESOLVE_PAGE, _page("deepmotif report: DeepResolve", _deepresolve_html(
                deepresolve_table, [Path(f) for f in deepresolve_figures or []], images)))
        versions = pd.DataFrame(list(software_versions().items()), columns=["software", "version"])
        methods = ", ".join(map(str, cfg.get("interpret", {}).get("methods", [])))
        no_matrix = int((~summary["jaspar_matrix"]).sum())
        body = f"""<h1>deepmotif report</h1>
<p>deepmotif {__version__}; JASPAR {html.escape(str(cfg['jaspar']['release']))}; Tomtom backend
{html.escape(str(cfg['match']['backend']))}; interpretation methods {html.escape(methods)}.</p>
<p>Sections: <a href="#tfs">TFs</a> · <a href="#comparison">model comparison</a> ·
{f'<a href="{GROUNDTRUTH_PAGE}">ground truth</a> · ' if groundtruth_files else ''}{
    f'<a href="{DEEPRESOLVE_PAGE}">DeepResolve</a> · ' if resolved else ''}<a href="#parameters">run
parameters</a> · <a href="#software">software</a></p>
<h2 id="tfs">TFs</h2><p>One row per TF; its page holds its dashboard, its discovered motifs beside their best
JASPAR match, and its rows of the performance and motif-match tables.{
    f' {no_matrix} TF(s) have no known motif (no JASPAR matrix): AUROC, but no PWM baseline and no motif verdict.'
    if no_matrix else ''}</p>
{_summary_html(summary)}
{_attractors_html(matches)}
<div id="comparison">{_comparison_html(comparison_file, figure)}</div>
<h2 id="parameters">Run parameters</h2><pre>{html.escape(json.dumps(cfg, indent=2, default=str))}</pre>
<h2 id="software">Software</h2>{versions.to_html(index=False)}"""
        _write(root / INDEX, _page("deepmotif report", body, SORT_FILTER))

"""Model comparison: pick each architecture's width variant on validation AUROC, and compare architectures
(and the PWM baseline) over TFs with paired tests.

The functions are flat verbs that validate their inputs up front and raise :class:`InputError` naming the
file, line and field; they never look at a test metric to choose anything.
"""

from __future__ import annotations

import math
import shutil
import warnings
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.architectures import ARCHITECTURES
from deepmotif.errors import InputError
from deepmotif.io_utils import atomic_path, read_json_object, save_figure, write_json
from deepmotif.jaspar import NO_KNOWN_MOTIF

#: columns :func:`compare_models` needs in the performance table (``results/tables/auroc.tsv``); its optional
#: ``note`` column marks a row that has no metrics on purpose (NO_KNOWN_MOTIF: no PWM baseline)
REQUIRED_COLUMNS = ("tf", "architecture", "test_auroc", "test_aupr")
NOTE_COLUMN = "note"
#: metric name → its column in the performance table
METRIC_COLUMNS = {"auroc": "test_auroc", "aupr": "test_aupr"}
#: the order models are listed in (others follow alphabetically)
MODEL_ORDER = (*ARCHITECTURES, "pwm")
#: fewest non-zero differences for which an exact two-sided Wilcoxon p can fall below 0.05 (2 / 2**6)
WILCOXON_MIN_FOR_5PCT = 6
#: what a metrics file naming no ``selected_on`` (written before multi-task models) was selected on
SELECTED_ON_BEFORE_TASKS = "valid_auroc"
COMPARISON_COLUMNS = ("metric", "model_a", "model_b", "n_tfs", "mean_a", "mean_b", "mean_diff", "t_statistic",
                      "t_pvalue", "wilcoxon_statistic", "wilcoxon_pvalue", "better", "note")


# ------------------------------------------------------------------------------------------ size selection

def select_size(metric_files: list[str | Path]) -> tuple[int, list[dict]]:
    """Pick the width variant with the highest validation AUROC.

    Parameters
    ----------
    metric_files : list of path
        ``metrics.json`` of each trained size of one TF × architecture
        (``results/<tf>/<arch>/sizes/<size>/metrics.json``); the size is the file's ``size`` record, or else
        the name of its folder. Each needs ``valid_auroc`` and ``test_auroc``, and the metric it was selected
        on (``selected_on``: ``valid_auroc``, or ``valid_task_auroc`` of a multi-task model), all the same.

    Returns
    -------
    (int, list of dict)
        Index of the chosen file, and one record per file: ``size``, ``scale``, ``valid_auroc``,
        ``test_auroc``, ``valid_aupr``, ``test_aupr``, ``path``, ``selected_on``. The best ``selected_on``
        value wins; ties go to the smaller scale (then to the earlier file); the test AUROC is reported,
        never used.
    """
    files = [Path(f) for f in metric_files]
    if not files:
        raise InputError("select-size needs at least one metrics file")
    records, arch, selected, on = [], None, [], None
    for f in files:
        m = read_json_object(f, "metrics file")
        # what training selected on: the validation AUROC, or a multi-task model's mean task AUROC
        this = m.get("selected_on", SELECTED_ON_BEFORE_TASKS)
        if on is not None and this != on:
            raise InputError(f"selected on {this!r}, {files[0]} on {on!r}", path=f, field="selected_on")
        on = this
        for key in dict.fromkeys(("valid_auroc", "test_auroc", on)):
            value = m.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise InputError(f"needs a finite number, got {value!r}", path=f, field=key)
        size = m.get("size") or f.parent.name
        if any(r["size"] == size for r in records):
            raise InputError(f"size {size!r} given twice", path=f, field="size")
        if arch is not None and m.get("architecture") != arch:
            raise InputError(f"architecture {m.get('architecture')!r} differs from {arch!r} of {files[0]}", path=f,
                             field="architecture")
        arch = m.get("architecture")
        scale = m.get("scale")
        records.append({"size": size, "scale": scale, "valid_auroc": float(m["valid_auroc"]),
                        "test_auroc": float(m["test_auroc"]), "valid_aupr": m.get("valid_aupr"),
                        "test_aupr": m.get("test_aupr"), "path": str(f), "selected_on": on})
        selected.append(float(m[on]))
    best = max(range(len(records)), key=lambda i: (selected[i],
                                                   -(records[i]["scale"] if records[i]["scale"] is not None else 0),
                                                   -i))
    return best, records


def write_selected_size(metric_files: list[str | Path], out_model: str | Path, out_metrics: str | Path) -> dict:
    """Copy the model of the size :func:`select_size` picks (its ``best.pt``, beside its ``metrics.json``) to
    ``out_model`` and write its metrics, plus a ``sizes`` record of every candidate, to ``out_metrics``; both
    atomically. Returns the metrics written."""
    best, records = select_size(metric_files)
    chosen = Path(records[best]["path"])
    model = chosen.parent / "best.pt"
    if not model.is_file():
        raise InputError("model checkpoint not found beside its metrics file", path=model)
    metrics = read_json_object(chosen, "metrics file")
    metrics["size"] = records[best]["size"]
    metrics["sizes"] = {"chosen": records[best]["size"], "selected_on": records[best]["selected_on"],
                        "candidates": [{k: v for k, v in r.items() if k not in ("path", "selected_on")}
                                       for r in records]}
    with atomic_path(out_model) as tmp:
        shutil.copyfile(model, tmp)
    write_json(out_metrics, metrics)
    return metrics


# ------------------------------------------------------------------------------------------ model comparison

def read_performance_table(path: str | Path) -> pd.DataFrame:
    """Read ``results/tables/auroc.tsv`` and check it with :func:`check_performance_table`."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t")
    except FileNotFoundError:
        raise InputError("performance table not found", path=path) from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"not a tab-separated table ({err})", path=path) from None
    check_performance_table(table, path)
    return table


def check_performance_table(table: pd.DataFrame, path: str | Path | None = None) -> None:
    """Columns ``tf``, ``architecture``, ``test_auroc``, ``test_aupr`` present; metrics numbers in [0, 1],
    or empty in a row whose ``note`` is "no known motif" (the PWM baseline of a TF without a JASPAR matrix);
    one row per TF × architecture. Raises :class:`InputError` naming ``path``, the line and the field."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} (has: {', '.join(map(str, table.columns))})",
                         path=path, line=1, field=missing[0])
    no_value = (table[NOTE_COLUMN].astype(str).str.strip() == NO_KNOWN_MOTIF if NOTE_COLUMN in table
                else pd.Series(False, index=table.index))
    for col in METRIC_COLUMNS.values():
        values = pd.to_numeric(table[col], errors="coerce")
        bad = ~values.between(0, 1) & ~(no_value & table[col].isna())
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"needs a number in [0, 1], got {table[col].iloc[i]!r}", path=path, line=i + 2,
                             field=col)
    dup = table.duplicated(["tf", "architecture"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"TF {table['tf'].iloc[i]!r} × architecture {table['architecture'].iloc[i]!r} appears "
                         "twice", path=path, line=i + 2, field="architecture")


def paired_tests(a, b) -> dict:
    """Paired t-test (:func:`scipy.stats.ttest_rel`) and Wilcoxon signed-rank test
    (:func:`scipy.stats.wilcoxon`, two-sided, zero differences dropped) of ``a`` against ``b``.

    Parameters
    ----------
    a, b : array-like
        Paired values (one per TF), same length, no NaN.

    Returns
    -------
    dict
        ``n``, ``mean_a``, ``mean_b``, ``mean_diff`` (mean of a - b), ``t_statistic``, ``t_pvalue``,
        ``wilcoxon_statistic``, ``wilcoxon_pvalue`` and ``note``. Both tests are NaN, with the reason in
        ``note``, for fewer than 2 pairs or when every difference is zero (neither test is defined there).
        ``note`` also says when the differences are all equal (the t statistic is then unbounded) and when
        fewer than 6 differences are non-zero (the exact Wilcoxon p cannot fall below 0.05 then).
    """
    from scipy import stats

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two 1-D arrays of the same length, got shapes {a.shape} and {b.shape}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("paired values must not be NaN")
    diff = a - b
    n = len(diff)
    out = {"n": n, "mean_a": float(a.mean()) if n else math.nan, "mean_b": float(b.mean()) if n else math.nan,
           "mean_diff": float(diff.mean()) if n else math.nan, "t_statistic": math.nan, "t_pvalue": math.nan,
           "wilcoxon_statistic": math.nan, "wilcoxon_pvalue": math.nan, "note": ""}
    if n < 2:
        out["note"] = f"{n} paired TF(s): the tests need at least 2"
        return out
    nonzero = int(np.count_nonzero(diff))
    if nonzero == 0:
        out["note"] = "all differences are zero: no test"
        return out
    notes = []
    constant = bool(np.allclose(diff, diff[0], rtol=0, atol=1e-12))
    with warnings.catch_warnings():
        if constant:  # noted below instead of scipy's precision warning
            warnings.simplefilter("ignore", RuntimeWarning)
        t = stats.ttest_rel(a, b)
    out["t_statistic"], out["t_pvalue"] = float(t.statistic), float(t.pvalue)
    if constant:
        notes.append("differences all equal: t statistic unbounded")
    w = stats.wilcoxon(a, b)
    out["wilcoxon_statistic"], out["wilcoxon_pvalue"] = float(w.statistic), float(w.pvalue)
    if nonzero < WILCOXON_MIN_FOR_5PCT:
        notes.append(f"{nonzero} non-zero difference(s): Wilcoxon p cannot fall below 0.05 with fewer than "
                     f"{WILCOXON_MIN_FOR_5PCT}")
    out["note"] = "; ".join(notes)
    return out


def _ordered(models) -> list[str]:
    known = [m for m in MODEL_ORDER if m in models]
    return known + sorted(m for m in models if m not in MODEL_ORDER)


def compare_models(table: pd.DataFrame, models: list[str] | None = None, metrics=("auroc", "aupr"),
                   path: str | Path | None = None) -> pd.DataFrame:
    """Compare every pair of models over the TFs both were evaluated on.

    Parameters
    ----------
    table : pandas.DataFrame
        The performance table (columns ``tf``, ``architecture``, ``test_auroc``, ``test_aupr``; one row per
        TF × architecture, the PWM baseline as architecture ``pwm``).
    models : list of str, optional
        Which architectures to compare, in this order (default: all in the table, ``cnn``, ``rnn``,
        ``cnnrnn``, ``pwm`` first). Each must be in the table.
    metrics : sequence of str
        ``auroc`` and/or ``aupr``.
    path : path, optional
        The table's file, for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per metric × pair (``model_a`` before ``model_b`` in ``models`` order) with the columns of
        :func:`paired_tests` (``n`` as ``n_tfs``) and ``better``: the model with the higher mean, or ``tie``.
        A TF without a value for one of the pair (the PWM baseline of a TF with no known motif) is left out
        of that pair, and ``note`` says how many were.
    """
    check_performance_table(table, path)
    unknown_metrics = [m for m in metrics if m not in METRIC_COLUMNS]
    if unknown_metrics:
        raise InputError(f"unknown metric(s) {', '.join(unknown_metrics)}; choose from "
                         f"{', '.join(METRIC_COLUMNS)}", field="metric")
    present = set(table["architecture"].astype(str))
    models = _ordered(present) if models is None else list(models)
    absent = [m for m in models if m not in present]
    if absent:
        raise InputError(f"architecture(s) {', '.join(absent)} not in the table (has: "
                         f"{', '.join(_ordered(present))})", path=path, field="architecture")
    rows = []
    for metric in metrics:
        wide = table.pivot(index="tf", columns="architecture", values=METRIC_COLUMNS[metric]).astype(float)
        for a, b in combinations(models, 2):
            pair = wide[[a, b]].dropna()
            res = paired_tests(pair[a].to_numpy(), pair[b].to_numpy())
            left_out = len(wide) - len(pair)
            if left_out:
                res["note"] = "; ".join(filter(None, [f"{left_out} TF(s) without a value left out", res["note"]]))
            better = "tie" if not res["mean_diff"] else (a if res["mean_diff"] > 0 else b)
            if math.isnan(res["mean_diff"]):
                better = ""
            rows.append({"metric": metric, "model_a": a, "model_b": b, "n_tfs": res.pop("n"), **res,
                         "better": better})
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


# -------------------------------------------------------------------------------------------------- figure

def plot_performance(table: pd.DataFrame, models: list[str] | None = None, metric: str = "auroc"):
    """Box plot of the test ``metric`` per architecture with every TF as a point (the same TF joined by a
    grey line across architectures). Returns the matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check_performance_table(table)
    models = _ordered(set(table["architecture"].astype(str))) if models is None else list(models)
    wide = table.pivot(index="tf", columns="architecture", values=METRIC_COLUMNS[metric]).reindex(columns=models)
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(models), 3.6))
    data = [wide[m].dropna().to_numpy() for m in models]
    ax.boxplot(data, positions=range(len(models)), widths=0.5, showfliers=False,
               medianprops={"color": "black"}, boxprops={"color": "0.4"}, whiskerprops={"color": "0.4"},
               capprops={"color": "0.4"})
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, size=wide.shape)  # deterministic
    xs = np.arange(len(models))[None, :] + jitter
    for i in range(len(wide)):
        ax.plot(xs[i], wide.iloc[i].to_numpy(), color="0.8", lw=0.6, zorder=1)
    for j in range(len(models)):
        ax.scatter(xs[:, j], wide.iloc[:, j], s=14, zorder=2, color=f"C{j}", edgecolor="none")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(models)
    ax.set_ylabel(f"test {metric.upper()}")
    ax.set_title(f"test {metric.upper()} per architecture ({len(wide)} TFs)", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def write_performance_figure(table: pd.DataFrame, png: str | Path | None, svg: str | Path | None = None,
                             models: list[str] | None = None) -> None:
    """Save :func:`plot_performance` (test AUROC) as PNG and/or SVG, atomically."""
    import matplotlib.pyplot as plt

    fig = plot_performance(table, models)
    save_figure(fig, {"png": png, "svg": svg}, dpi=120, svg_metadata={"Date": None})
    plt.close(fig)


def write_comparison(auroc_file: str | Path, out: str | Path, models: list[str] | None = None,
                     png: str | Path | None = None, svg: str | Path | None = None) -> pd.DataFrame:
    """The comparison of architectures (``deepmotif compare``): :func:`compare_models` of the performance
    table ``auroc_file`` written to ``out`` (TSV), and its figure to ``png`` / ``svg`` where given."""
    from deepmotif.io_utils import write_tsv

    table = read_performance_table(auroc_file)
    comparison = compare_models(table, models, path=auroc_file)
    write_tsv(out, comparison)
    if png or svg:
        write_performance_figure(table, png, svg, models=models)
    return comparison

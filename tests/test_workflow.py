"""The real Snakemake workflow end to end on a small synthetic config: every stage runs, the CNN's saliency
motif of each planted TF comes back from Tomtom, every configured method has its row in the motif table,
each TF has its dashboard figure, the report folder shows them (its pages load in a headless browser, every
link resolves, the summary table sorts and filters), a rerun has nothing to do, and the motif table can be
regenerated without retraining."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
# The catalogue's test config (.test/config/): the default TFs at small sizes that still let a CNN learn each
# planted motif. Tests copy it into a working directory (config/config.yaml, config/tfs.tsv).
TEST_CONFIG = ROOT / ".test" / "config"
SHEET = (TEST_CONFIG / "tfs.tsv").read_text()
CONFIG = (TEST_CONFIG / "config.yaml").read_text()
TFS = ("GATA1", "MAFK", "NFYB")
# motif methods per architecture: convact and filters need a convolutional first layer
METHODS = {"cnn": {"saliency", "temporal_fwd", "temporal_bwd", "classopt", "ism", "convact", "filters"},
           "rnn": {"saliency", "temporal_fwd", "temporal_bwd", "classopt", "ism"},
           "cnnrnn": {"saliency", "temporal_fwd", "temporal_bwd", "classopt", "ism", "convact", "filters"}}
WINDOW_METHODS = {"saliency", "temporal_fwd", "temporal_bwd", "ism", "convact"}


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config" / "config.yaml"), "--cores", "2",
           *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def setup(workdir: Path, sheet: str = SHEET) -> Path:
    """``workdir/config/`` with the test config and ``sheet``; returns the config file."""
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "tfs.tsv").write_text(sheet)
    (workdir / "config" / "config.yaml").write_text(CONFIG)
    return workdir / "config" / "config.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("wf")
    setup(workdir)
    proc = snakemake(workdir)
    (workdir / "snakemake.out").write_text(proc.stdout + proc.stderr)
    return workdir


@pytest.mark.slow
def test_tables_are_complete(run):
    auroc = pd.read_csv(run / "results/tables/auroc.tsv", sep="\t")
    assert len(auroc) == 12 and set(auroc["architecture"]) == {"cnn", "rnn", "cnnrnn", "pwm"}
    matches = pd.read_csv(run / "results/tables/motif_matches.tsv", sep="\t")
    saliency = matches[matches["method"] == "saliency"]
    assert len(saliency) == 9 and set(matches["method"]) == set.union(*METHODS.values())
    assert (run / "results/tables/tomtom_hits.tsv").stat().st_size > 0
    assert matches["status"].isin(["matched", "no match", "no motif"]).all()
    # every discovered motif has its row, with support, top 3 hits and verdicts; no best hit that is
    # significant is a long zinc-finger matrix (CTCF & co.) for these TFs
    motifs = pd.read_csv(run / "results/tables/motifs.tsv", sep="\t")
    assert {"motif_rank", "n_seqlets", "support", "hit3_id", "recovered", "family_recovered"} <= set(motifs.columns)
    assert set(motifs["motif_id"]) >= set(matches.loc[matches["n_motifs"] > 0, "motif_id"])
    discovered = motifs[motifs["motif_id"].str.contains(r"\.m\d+$")]
    assert len(discovered) and discovered["support"].between(0, 1).all() and (discovered["n_seqlets"] >= 10).all()
    # (a zinc-finger matrix may tie with the own one on a real site: then the own family is among the top 3)
    significant = discovered[discovered["status"].eq("matched") & (discovered["hit1_q"] <= 0.05)]
    zinc = significant["hit1_family"].fillna("").str.contains("zinc finger") | significant["hit1_name"].str.startswith("CTCF")
    alone = zinc & ~significant["family_recovered"]
    assert not alone.any(), significant.loc[alone, ["motif_id", "hit1_name", "hit1_q", "hit2_name", "hit3_name"]]
    # the same in the summary: a zinc-finger best hit only where the own family is among its top 3 (a short
    # zinc-finger matrix can be the TF's core itself: JASPAR's BNC2 is TGAGTCA, the AP-1 core of MAFK's site)
    zinc = matches["best_family"].fillna("").str.contains("zinc finger") | matches["best_name"].fillna("").str.startswith("CTCF")
    alone = zinc & ~matches["family_recovered"].fillna(False).astype(bool)
    assert not alone.any(), matches.loc[alone, ["motif_id", "best_name", "q_value"]]
    assert not matches["best_name"].fillna("").str.startswith("CTCF").any()
    index = (run / "results/report/index.html").read_text()
    assert "Model comparison" in index and 'alt="test AUROC per architecture"' in index
    for tf in TFS:
        page = (run / f"results/report/tf/{tf}.html").read_text()
        assert page.count("<img") >= 9 and "motif_id" in page


@pytest.mark.slow
def test_grammar_tables_say_what_each_models_own_motif_does(run):
    """The grammar stage of every TF × architecture: the own-family motif's used sites are enriched in the
    positives and its insertion raises the logit (interval above 0); each model has pair verdicts; the TF
    pages show the section and its heat maps."""
    summary = pd.read_csv(run / "results/tables/instance_summary.tsv", sep="\t")
    effects = pd.read_csv(run / "results/tables/effects.tsv", sep="\t")
    verdicts = pd.read_csv(run / "results/tables/pair_verdicts.tsv", sep="\t")
    models = {(tf, arch) for tf in TFS for arch in METHODS}
    assert set(zip(summary["tf"], summary["architecture"])) == models
    assert set(zip(verdicts["tf"], verdicts["architecture"])) == models
    assert verdicts["verdict"].isin(["cooperative", "independent", "redundant"]).all()
    own = summary.groupby(["tf", "architecture"]).head(1)  # the most supported motif: the planted one here
    assert (own["positives_with_site"] > own["negatives_with_site"]).all(), own
    reference = effects[effects["reference"] & effects["centre"] & (effects["orientation"] == "+")]
    assert len(reference) == len(models) and (reference["logit_low"] > 0).sum() >= len(models) - 1, reference
    cnn = effects[(effects["architecture"] == "cnn") & effects["centre"] & ~effects["reference"]]
    assert (cnn.groupby("tf")["logit_change"].max() > 0).all()
    for tf in TFS:
        page = (run / f"results/report/tf/{tf}.html").read_text()
        assert "What the motifs do" in page and f"{tf}/pairs_cnn.png" in page
        assert (run / f"results/report/tf/{tf}/pairs_cnn.png").stat().st_size > 0
    assert "cooperating partner" in (run / "results/report/index.html").read_text()


@pytest.mark.slow
def test_sizes_are_selected_on_validation_and_models_compared(run):
    auroc = pd.read_csv(run / "results/tables/auroc.tsv", sep="\t")
    nets = auroc[auroc["architecture"] != "pwm"]
    assert set(nets["size"]) <= {"small", "medium"} and auroc.loc[auroc["architecture"] == "pwm", "size"].isna().all()
    for tf in TFS:
        for arch in METHODS:
            chosen = json.loads((run / f"results/{tf}/{arch}/metrics.json").read_text())
            candidates = {c["size"]: c for c in chosen["sizes"]["candidates"]}
            assert set(candidates) == {"small", "medium"}
            best = max(candidates.values(), key=lambda c: c["valid_auroc"])
            assert chosen["valid_auroc"] == best["valid_auroc"] == candidates[chosen["size"]]["valid_auroc"]
            assert (run / f"results/{tf}/{arch}/best.pt").read_bytes() == (
                run / f"results/{tf}/{arch}/sizes/{chosen['size']}/best.pt").read_bytes()
    comparison = pd.read_csv(run / "results/tables/model_comparison.tsv", sep="\t")
    models = ["cnn", "rnn", "cnnrnn", "pwm"]
    pairs = [(a, b) for i, a in enumerate(models) for b in models[i + 1:]]
    assert list(zip(comparison["metric"], comparison["model_a"], comparison["model_b"])) == [
        (metric, a, b) for metric in ("auroc", "aupr") for a, b in pairs]
    assert (comparison["n_tfs"] == 3).all() and comparison["better"].isin(models + ["tie"]).all()
    for ext in ("png", "svg"):
        assert (run / f"results/figures/test_auroc.{ext}").stat().st_size > 0


@pytest.mark.slow
def test_motif_table_has_a_row_per_configured_method(run):
    matches = pd.read_csv(run / "results/tables/motif_matches.tsv", sep="\t")
    assert not matches.duplicated(["tf", "architecture", "method"]).any()
    for tf in TFS:
        for arch, methods in METHODS.items():
            rows = matches[(matches["tf"] == tf) & (matches["architecture"] == arch)]
            assert set(rows["method"]) == methods, (tf, arch, sorted(rows["method"]))
            assert (rows["motif_id"].str.startswith(f"{tf}.{arch}.")).all()
    # the paper's per-sequence measure: for the sequence-specific methods only, a share
    window = matches["method"].isin(WINDOW_METHODS)
    assert matches.loc[window, "window_match_fraction"].between(0, 1).all()
    assert matches.loc[~window, "window_match_fraction"].isna().all()
    # the CNN's saliency windows mostly show the planted motif
    cnn = matches[(matches["architecture"] == "cnn") & (matches["method"] == "saliency")]
    assert (cnn["window_match_fraction"] > 0.3).all(), cnn[["tf", "window_match_fraction"]]
    # one row summarises each conv model's first-layer filters, which have a MEME file of their own
    filters = matches[matches["method"] == "filters"]
    assert len(filters) == 6 and (filters["n_filters"] >= 1).all()
    assert filters["motif_id"].str.fullmatch(r"[A-Z0-9]+\.(cnn|cnnrnn)\.filter\d+").all()
    assert filters[["filter_match_fraction", "filter_family_fraction"]].stack().between(0, 1).all()
    for tf in TFS:
        assert (run / f"results/{tf}/cnn/filters.meme").read_text().count("MOTIF") >= 1
        assert not (run / f"results/{tf}/rnn/filters.meme").exists()
        with np.load(run / f"results/{tf}/cnn/interpret.npz") as z:
            assert {"temporal_forward", "temporal_backward", "classopt_pwm", "ism", "convact_start",
                    "filters_pwm"} <= set(z.files)
            assert z["temporal_forward"].shape == z["ism"].shape[::2] == (100, 101)


@pytest.mark.slow
def test_dashboard_figures_and_report_show_them(run):
    report = run / "results" / "report"
    index = (report / "index.html").read_text()
    for tf in TFS:
        png = (run / f"results/{tf}/dashboard.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert width >= 1000 and height >= 1000, (width, height)
        svg = (run / f"results/{tf}/dashboard.svg").read_text()
        assert "<svg" in svg[:1000] and svg.rstrip().endswith("</svg>")
        page = (report / "tf" / f"{tf}.html").read_text()
        shown = re.search(rf'<img alt="dashboard of {tf}"[^>]* src="([^"]+)"', page)
        assert shown and (report / "tf" / shown.group(1)).read_bytes() == png
        assert f'href="tf/{tf}.html"' in index
    for software in ("python", "torch", "snakemake", "memelite", "pyjaspar", "numpy"):
        assert f"<td>{software}</td>" in index
    assert "data:image" not in index  # images are files beside the pages


@pytest.mark.slow
def test_snakemake_report_includes_the_dashboards_and_the_report_folder(run):
    """Snakemake's own report, as a .zip (it refuses a folder output in a single .html): the dashboards, the
    tables and every file of the report folder (``htmlindex``: index.html is the entry)."""
    out = run / "results" / "snakemake_report.zip"
    snakemake(run, "--report", str(out))
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        text = z.read(next(n for n in names if n.endswith("/report.html"))).decode(errors="replace")
    for tf in TFS:
        assert f"results/{tf}/dashboard.png" in text and f"results/{tf}/dashboard.svg" in text
    assert "Deep Motif Dashboard of" in text
    assert "results/tables/model_comparison.tsv" in text and "results/figures/test_auroc.png" in text
    # the folder's files lie under one data/raw/<hash>/ folder of the zip, index.html at its top
    report = run / "results" / "report"
    files = {p.relative_to(report).as_posix() for p in report.rglob("*")
             if p.is_file() and p.name != ".snakemake_timestamp"}
    folder = next(n[: -len("index.html")] for n in names if n.endswith("/index.html"))
    inside = {n[len(folder):] for n in names if n.startswith(folder)}
    assert "tf/GATA1.html" in files and files == inside, sorted(files ^ inside)[:5]


def _chromium() -> str | None:
    return next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)


#: appended to a copy of the index: sorts the summary table by a click on "CNN AUROC" (twice) and types a
#: TF's name into the filter box, then writes the TF column after each step into the DOM
SORT_HARNESS = """<script>
window.addEventListener("load", function () {
  var table = document.getElementById("summary"), heads = table.tHead.rows[0].cells, body = document.body;
  function tfs() {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !r.hidden; })
      .map(function (r) { return r.cells[0].textContent; }).join(",");
  }
  var col = Array.prototype.find.call(heads, function (h) { return h.textContent === "CNN AUROC"; });
  col.click();
  body.setAttribute("data-up", tfs());
  col.click();
  body.setAttribute("data-down", tfs());
  var box = document.getElementById("filter");
  box.value = "MAF";
  box.dispatchEvent(new Event("input"));
  body.setAttribute("data-filtered", tfs() + ";" + document.getElementById("shown").textContent);
});
</script>"""


def _dump_dom(browser: str, page: Path, profile: Path) -> str:
    """The DOM of ``page`` after its load handlers ran, from headless Chromium."""
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", page.as_uri()]
    return subprocess.run(flags, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.slow
def test_report_renders_in_a_headless_browser(run, tmp_path):
    """The report folder in headless Chromium: every page loads with every <img> decoded (each page's own
    script writes the count of images with naturalWidth > 0 into the DOM), every link and image source is a
    file of the folder, and a click on a header of the index's summary table sorts it (again: reversed)
    while the filter box keeps the matching rows."""
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (`make test` installs it as root with apt: "
                    "apt-get install -y chromium)")
    report = run / "results" / "report"
    pages = sorted(report.rglob("*.html"))
    assert {p.relative_to(report).as_posix() for p in pages} >= {"index.html", *(f"tf/{tf}.html" for tf in TFS)}
    for page in pages:
        text = page.read_text()
        targets = re.findall(r'(?:href|src)=["\']([^"\'#]+)', text)
        assert not [t for t in targets if re.match(r"[a-z]+:", t)], page  # no network, no data: URIs
        missing = [t for t in targets if not (page.parent / unquote(t)).is_file()]
        assert targets and not missing, (page, missing)
        dom = _dump_dom(browser, page, tmp_path / "profile")
        loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
        assert loaded, (page, dom[-2000:])
        ok, total = map(int, loaded.groups())
        assert total == text.count("<img") and ok == total, (page, ok, total)
    assert sum(p.read_text().count("<img") for p in pages) >= 12
    # sorting and filtering, on a copy of the index with the harness appended (the page itself untouched)
    harness = report / "index.html"
    copy = tmp_path / "report"
    shutil.copytree(report, copy)
    (copy / "index.html").write_text(harness.read_text().replace("</body>", SORT_HARNESS + "</body>"))
    dom = _dump_dom(browser, copy / "index.html", tmp_path / "profile")
    auroc = pd.read_csv(run / "results/tables/auroc.tsv", sep="\t")
    cnn = auroc[auroc["architecture"] == "cnn"].sort_values("test_auroc", kind="stable")["tf"].tolist()
    assert re.search(r'data-up="([^"]*)"', dom).group(1) == ",".join(cnn), dom[-3000:]
    assert re.search(r'data-down="([^"]*)"', dom).group(1) == ",".join(cnn[::-1])
    assert re.search(r'data-filtered="([^"]*)"', dom).group(1) == "MAFK;1"
    assert 'aria-sort="descending"' in dom


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="checks the CPU-only case")
def test_gpu_auto_takes_no_gpu_token_without_gpu(run):
    """resources.gpu: auto on a machine without GPU: train/interpret jobs ask for gpu=0, so the workstation
    profile's single gpu token does not serialise them."""
    log = (run / "snakemake.out").read_text()
    train = re.findall(r"localrule (?:train|interpret):\n(?:    .*\n)*?    resources: (.*)", log)
    assert len(train) == 27 and all("gpu=0" in r for r in train), train[:3]  # 2 sizes × 9 + 9 interpret


@pytest.mark.slow
def test_cnn_saliency_recovers_each_planted_motif(run):
    matches = pd.read_csv(run / "results/tables/motif_matches.tsv", sep="\t")
    cnn = matches[(matches["architecture"] == "cnn") & (matches["method"] == "saliency")].set_index("tf")
    for tf in TFS:
        row = cnn.loc[tf]
        assert row["top_in_family"] and row["family_recovered"] and row["q_value"] < 0.05, (
            f"{tf}: best hit {row['best_id']} {row['best_name']} q={row['q_value']}, own rank {row['own_rank']}")


@pytest.mark.slow
def test_rerun_has_nothing_to_do_and_motif_table_regenerates_without_training(run):
    dry = snakemake(run, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    model = run / "results/GATA1/cnn/best.pt"
    table = run / "results/tables/motif_matches.tsv"
    before_model, before_table = model.stat().st_mtime_ns, table.stat().st_mtime_ns
    snakemake(run, "motif_table", "--forcerun", "match")
    assert table.stat().st_mtime_ns > before_table
    assert model.stat().st_mtime_ns == before_model


def _planned_rules(workdir: Path, config: str) -> set[str]:
    """Rules a dry run would run with ``config`` in place of the workdir's config.yaml (restored after)."""
    path = workdir / "config" / "config.yaml"
    original = path.read_text()
    try:
        path.write_text(config)
        proc = snakemake(workdir, "-n")
        out = proc.stdout + proc.stderr
    finally:
        path.write_text(original)
    table = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+$", table, flags=re.M)} - {"total", "all"}


def test_a_changed_setting_reruns_exactly_the_jobs_that_read_it(run):
    """Each rule gets the settings it uses as its params: an interpret key reruns interpretation and what
    follows it, never training; a training key retrains, never re-prepares the data."""
    interpret = _planned_rules(run, CONFIG.replace("n_top: 100", "n_top: 90"))
    assert "interpret" in interpret and "motifs" in interpret, interpret
    assert not {"train", "select_size", "prepare"} & interpret, interpret
    train = _planned_rules(run, CONFIG.replace("lr: 0.01", "lr: 0.02"))
    assert "train" in train and "prepare" not in train, train
    # one job per TF × architecture for all its sizes: rule train_sizes makes the same files
    one_job = "resources: {train_sizes_in_one_job: true}\n"
    together = _planned_rules(run, CONFIG.replace("lr: 0.01", "lr: 0.02") + one_job)
    assert "train_sizes" in together and not {"train", "prepare"} & together, together
    back = snakemake(run, "-n")
    assert "Nothing to be done" in back.stdout + back.stderr  # the original config is back


def test_malformed_sheet_stops_before_any_job(tmp_path):
    setup(tmp_path, SHEET.replace("MAFK\tsynthetic", "MAFK\tsynthtic"))
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "tfs.tsv" in out and "source" in out and not (tmp_path / "results").exists(), out[-2000:]


def test_jobs_run_from_a_virtual_environment_that_is_not_activated(tmp_path):
    """`.venv/bin/snakemake ...` as a user types it, with the environment's scripts off PATH: jobs still
    find `deepmotif` (the scripts next to the interpreter running Snakemake)."""
    scripts = Path(sys.executable).parent
    if not (scripts / "snakemake").exists() or not (scripts / "deepmotif").exists():
        pytest.skip(f"no snakemake / deepmotif scripts next to {sys.executable}")
    config = setup(tmp_path)
    bare = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                           if d and Path(d).resolve() != scripts.resolve() and not (Path(d) / "deepmotif").exists())
    target = "resources/jaspar/JASPAR2024_vertebrates.meme"
    proc = subprocess.run([str(scripts / "snakemake"), "--snakefile", str(ROOT / "workflow" / "Snakefile"),
                           "--directory", str(tmp_path), "--configfile", str(config), "--cores", "1", target],
                          env=dict(os.environ, PATH=bare), capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert (tmp_path / target).stat().st_size > 0


def test_the_workflow_used_as_a_module_from_another_folder(tmp_path):
    """snakedeploy-style use: another project's Snakefile includes this workflow as a module (`module deepmotif:
    snakefile: ...; use rule * from deepmotif as deepmotif_*`) with its own config; the whole DAG resolves
    and jobs run there, writing into that project's folder."""
    config = setup(tmp_path, "".join(SHEET.splitlines(keepends=True)[:2]))  # the header and GATA1
    (tmp_path / "Snakefile").write_text(f"""configfile: "{config.relative_to(tmp_path)}"


module deepmotif:
    snakefile:
        "{ROOT / "workflow" / "Snakefile"}"
    config:
        config


use rule * from deepmotif as deepmotif_*
""")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1"]
    dry = subprocess.run([*cmd, "-n"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr[-3000:]
    planned = set(re.findall(r"^(deepmotif_\w+)\s+\d+$", dry.stdout, flags=re.M))
    assert {"deepmotif_prepare", "deepmotif_train", "deepmotif_interpret", "deepmotif_match",
            "deepmotif_html_report", "deepmotif_all"} <= planned, dry.stdout[-3000:]
    targets = ["results/GATA1/data.npz", "resources/jaspar/JASPAR2024_vertebrates.meme"]
    real = subprocess.run([*cmd, *targets], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert real.returncode == 0, real.stderr[-3000:]
    assert all((tmp_path / t).stat().st_size > 0 for t in targets)

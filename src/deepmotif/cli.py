"""``deepmotif <stage>``: one subcommand per workflow step, usable without Snakemake.

Each subcommand maps its arguments to the stage function that does the work (``deepmotif.data.prepare.
write_prepared``, ``deepmotif.train.train_from_config``, ``deepmotif.match.write_matches``, ...); its options
are declared with it (:func:`command`). Every stage reads its inputs, validates them, and writes outputs
atomically. Bad input ends with one line ``deepmotif <command>: error: <file, line, field>: <what is wrong>``
and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from deepmotif.errors import InputError, WriteError


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, the function that runs it, its options (``(flags, add_argument
    keywords)``) and whether it takes ``--config``/``--set``."""

    help: str
    run: Callable
    options: tuple
    config: bool


#: subcommand name → :class:`Command`, in the order ``deepmotif --help`` lists them (filled by :func:`command`)
COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, *options: tuple, config: bool = False):
    """Declare the decorated function as subcommand ``name`` with ``options`` (each :func:`opt`)."""
    def declare(run: Callable) -> Callable:
        COMMANDS[name] = Command(help, run, options, config)
        return run
    return declare


def opt(*flags: str, **kwargs) -> tuple:
    """One option of a subcommand: the arguments of ``argparse.ArgumentParser.add_argument``."""
    return flags, kwargs


def _config(a) -> dict:
    """The command's config (``--config`` file, ``--set`` over it, defaults for the rest), kept on ``a`` for
    its provenance record."""
    from deepmotif.config import command_config

    a.used_config = command_config(a.config, a.set)
    return a.used_config


def _log(line: str) -> None:
    print(line, file=sys.stderr)


#: the options of a command that runs a model: CPU threads and device
DEVICE_OPTIONS = (opt("--threads", type=int, default=1),
                  opt("--device", default=None, help="auto, cpu or cuda (default: config train.device)"))


def _device(a, cfg: dict):
    """The torch device of a command with :data:`DEVICE_OPTIONS` (its thread count set)."""
    import torch

    from deepmotif.train import pick_device

    torch.set_num_threads(a.threads)
    return pick_device(a.device or cfg["train"]["device"])


# ---- data -------------------------------------------------------------------------------------------------

@command("prepare", "cut/read/synthesise one TF's train/valid/test sets",
         opt("--tf", required=True),
         opt("--row", default=None, help="the TF's sheet row as JSON (the workflow passes it; default: read "
             "from the config's sheet)"),
         opt("--out", required=True, help="output .npz"),
         opt("--qc", default=None, help="output QC JSON (encode: lines, drops per reason, split sizes)"),
         opt("--genome", default=None, help="encode: indexed genome FASTA (.fai beside it)"),
         opt("--sizes", default=None, help="encode: chrom.sizes of the whole original genome"),
         opt("--peaks", nargs="+", default=None, help="encode: the TF's narrowPeak file (gzip or plain); "
             "encode_multi: one per task, in the order of its tasks column"),
         opt("--blacklist", default=None, help="encode: BED of regions no window may overlap"),
         config=True)
def cmd_prepare(a) -> None:
    from deepmotif.config import tf_row
    from deepmotif.data.prepare import write_prepared

    cfg = _config(a)
    _log(write_prepared(a.tf, tf_row(cfg, a.tf, a.row), cfg, a.out, qc=a.qc, genome=a.genome, sizes=a.sizes,
                        peaks=a.peaks, blacklist=a.blacklist))


@command("fetch", "download a file: retried, resumed, checksum- and gzip-verified, atomic",
         opt("--url", required=True, action="append",
             help="http(s)://, ftp://, file:// URL or path; repeat for mirrors tried in turn"),
         opt("--out", required=True, help="output file (plus OUT.sha256 recording its digest)"),
         opt("--md5", default=None, help="expected md5 of the download"),
         opt("--sha256", default=None, help="expected sha256 of the download"),
         opt("--checksum", default=None, help="expected 'md5:HEX', 'sha256:HEX' or bare HEX"),
         opt("--gzip", action="store_true",
             help="output must be gzip: check a gzip download end to end, compress anything else"),
         opt("--retries", type=int, default=None, help="extra attempts after a transient failure"),
         opt("--backoff", type=float, default=None, help="seconds before the first retry, doubling"),
         opt("--timeout", type=float, default=None, help="socket time-out in seconds"),
         opt("--partial-dir", dest="partial_dir", default=None,
             help="where partial downloads are kept and resumed"),
         opt("--quiet", action="store_true", help="no progress lines"))
def cmd_fetch(a) -> None:
    """Options left out take config ``download`` defaults (the workflow passes the config's values)."""
    from deepmotif.config import DEFAULTS
    from deepmotif.data.fetch import checksum_option, fetch

    dl = {key: value if getattr(a, key) is None else getattr(a, key) for key, value in DEFAULTS["download"].items()}
    info = fetch(a.url, a.out, checksum=checksum_option(a.md5, a.sha256, a.checksum), gzip_output=a.gzip,
                 retries=int(dl["retries"]), backoff=float(dl["backoff"]), timeout=float(dl["timeout"]),
                 partial_dir=dl["partial_dir"], progress=not a.quiet)
    how = ("reused from the download cache" if info["reused"]
           else f"{info['bytes']:,} bytes in {info['attempts']} attempt(s)")
    _log(f"{info['url']} → {a.out}: {how}, md5 {info['md5']}, sha256 {info['sha256']}")


@command("genome", "genome .fa.gz → indexed plain FASTA of chosen chromosomes (+ chrom.sizes)",
         opt("--in", dest="fasta", required=True, help="genome FASTA, gzip/BGZF or plain"),
         opt("--out", required=True, help="output FASTA (OUT.fai is written beside it)"),
         opt("--sizes", default=None, help="output chrom.sizes of every record of the input"),
         opt("--chromosomes", nargs="*", default=None,
             help="records to keep (space- or comma-separated); default all"))
def cmd_genome(a) -> None:
    from deepmotif.data.genome import write_genome

    chroms = [c for part in a.chromosomes for c in part.split(",") if c] if a.chromosomes else None
    kept = write_genome(a.fasta, a.out, chroms, sizes=a.sizes)
    _log(f"{a.fasta} → {a.out}: {len(kept)} sequences, {sum(kept.values()):,} bp (+ .fai)")


@command("encode-sheet", "TF sheet of the ENCODE uniform TFBS collection (one encode row per experiment) from "
         "its metadata table",
         opt("--metadata", required=True, help="uniform_tfbs.tsv (experiment, file_name, md5, target, ...)"),
         opt("--release", required=True, help="JASPAR release the targets are mapped to, e.g. JASPAR2024"),
         opt("--tax-group", dest="tax_group", default="vertebrates"),
         opt("--out", required=True, help="output sheet, e.g. config/tfs_encode_uniform.tsv"))
def cmd_encode_sheet(a) -> None:
    from deepmotif.data.uniform import write_uniform_sheet

    _log(f"{write_uniform_sheet(a.metadata, a.out, a.release, a.tax_group)} experiments → {a.out}")


# ---- train and evaluate -----------------------------------------------------------------------------------

@command("train", "train one architecture on one TF's data, select on validation",
         opt("--data", required=True),
         opt("--arch", required=True,
             help="cnn, rnn, cnnrnn or a named variant of one (config models.<name> with `arch:`)"),
         opt("--out-dir", required=True),
         opt("--threads", type=int, default=1),
         opt("--device", default=None, help="auto, cpu or cuda (overrides config train.device)"),
         opt("--size", default=None,
             help="width variant, a key of config models.sizes (scales filters and hidden); default unscaled"),
         opt("--quiet", action="store_true", help="no progress output"),
         config=True)
def cmd_train(a) -> None:
    from deepmotif.train import train_from_config

    m = train_from_config(_config(a), a.arch, a.data, a.out_dir, size=a.size, threads=a.threads, device=a.device,
                          config_path=a.config, progress=not a.quiet)
    _log(_trained(a.arch, a.size, m))


def _trained(arch: str, size: str | None, m: dict) -> str:
    """One line on a trained model: its test and validation AUROC, best epoch, device and time."""
    size = f" ({size})" if size else ""
    return (f"{arch}{size}: test AUROC {m['test_auroc']:.4f} (valid {m['valid_auroc']:.4f}, best epoch "
            f"{m['best_epoch']}/{m['epochs_run']}, {m['device']}, {m['wall_seconds']} s)")


@command("train-sizes", "train several width variants of one architecture on one TF together, one process "
         "each on the same device (so one cluster job shares its GPU between them)",
         opt("--data", required=True),
         opt("--arch", required=True),
         opt("--sizes", nargs="+", required=True, help="keys of config models.sizes"),
         opt("--sizes-dir", required=True, help="each size's best.pt, last.pt and metrics.json go to DIR/<size>/"),
         opt("--threads", type=int, default=1, help="CPU threads per size"),
         opt("--device", default=None, help="auto, cpu or cuda (overrides config train.device)"),
         config=True)
def cmd_train_sizes(a) -> None:
    from deepmotif.train import train_sizes

    for size, m in train_sizes(_config(a), a.arch, a.data, a.sizes_dir, a.sizes, threads=a.threads,
                               device=a.device, config_path=a.config).items():
        _log(_trained(a.arch, size, m))


@command("select-size", "keep the size variant with the best validation AUROC (never test)",
         opt("--metrics", nargs="+", required=True,
             help="metrics.json of each trained size (its best.pt lies beside it)"),
         opt("--out-model", required=True, help="output: copy of the chosen best.pt"),
         opt("--out-metrics", required=True, help="output: the chosen metrics.json plus every size's record"))
def cmd_select_size(a) -> None:
    from deepmotif.compare import write_selected_size

    m = write_selected_size(a.metrics, a.out_model, a.out_metrics)
    scores = ", ".join(f"{c['size']} {c['valid_auroc']:.4f}" for c in m["sizes"]["candidates"])
    _log(f"{m.get('architecture')}: size {m['size']} chosen on validation AUROC ({scores}) → {a.out_model}")


@command("evaluate", "JASPAR PWM scan baseline on one TF's test set",
         opt("--tf", required=True),
         opt("--data", required=True),
         opt("--out", required=True, help="output metrics.json"),
         config=True)
def cmd_evaluate(a) -> None:
    from deepmotif.config import tf_row
    from deepmotif.evaluate import pwm_baseline
    from deepmotif.io_utils import write_json

    cfg = _config(a)
    metrics = pwm_baseline(a.data, tf_row(cfg, a.tf), cfg["jaspar"]["release"])
    write_json(a.out, metrics)
    _log(f"{a.tf}: no known JASPAR motif, no PWM baseline" if metrics["test_auroc"] is None
         else f"{a.tf}: PWM {metrics['jaspar_id']} scan test AUROC {metrics['test_auroc']:.4f}")


@command("auroc-table", "collect metrics.json files into one AUROC/AUPR table",
         opt("--metrics", nargs="+", required=True),
         opt("--out", required=True))
def cmd_auroc_table(a) -> None:
    from deepmotif.io_utils import write_tsv
    from deepmotif.report import auroc_table

    write_tsv(a.out, auroc_table(a.metrics))


@command("compare", "paired tests of every pair of architectures over TFs (AUROC, AUPR)",
         opt("--auroc", required=True, help="the performance table (auroc-table output)"),
         opt("--models", nargs="+", default=None,
             help="architectures to compare, in this order (default: all in the table)"),
         opt("--out", required=True, help="output: model_comparison.tsv"),
         opt("--png", default=None, help="output: box/strip plot of test AUROC per architecture (PNG)"),
         opt("--svg", default=None, help="output: the same plot as SVG"))
def cmd_compare(a) -> None:
    from deepmotif.compare import write_comparison

    _log(write_comparison(a.auroc, a.out, a.models, png=a.png, svg=a.svg).to_string(index=False))


# ---- interpret, motifs, match -----------------------------------------------------------------------------

@command("interpret", "saliency maps of the top-scoring test positives",
         opt("--data", required=True),
         opt("--model", required=True),
         opt("--out", required=True, help="output .npz: saliency maps (and which sequences, their logits)"),
         opt("--methods-out", default=None,
             help="output .npz of the other methods of config interpret.methods (temporal, classopt, ...)"),
         *DEVICE_OPTIONS,
         config=True)
def cmd_interpret(a) -> None:
    from deepmotif.interpret import write_interpretation

    cfg = _config(a)
    write_interpretation(a.model, a.data, cfg["interpret"], a.out, methods_out=a.methods_out,
                         device=_device(a, cfg), log=_log)


@command("motifs", "PWMs from attribution maps, in MEME format",
         opt("--tf", required=True),
         opt("--arch", required=True),
         opt("--data", required=True),
         opt("--saliency", required=True),
         opt("--interpret", default=None, help="interpret --methods-out file: its methods' maps"),
         opt("--out", required=True, help="output MEME file of the discovered motifs (ids TF.arch.method.mN; "
             "classopt: of the class-optimised sequences)"),
         opt("--windows", default=None, help="output .npz: the paper's aggregate window of each method (for the "
             "match stage's window_match_fraction)"),
         opt("--info", default=None, help="output TSV: one row per motif (seqlets, support, mean attribution)"),
         opt("--cwm", default=None, help="output .npz: each motif's contribution-weighted matrix and seqlets"),
         config=True)
def cmd_motifs(a) -> None:
    from deepmotif.motifs import write_motifs

    motifs = write_motifs(a.tf, a.arch, a.data, a.saliency, a.interpret, _config(a)["motifs"], a.out,
                          windows_out=a.windows, info_out=a.info, cwm_out=a.cwm)
    _log(f"{a.tf} {a.arch}: {len(motifs)} motifs ({', '.join(m.id.split('.', 2)[2] for m in motifs)}) → {a.out}")


@command("filter-motifs", "first-layer filter PWMs of an interpret file, in MEME format",
         opt("--tf", required=True),
         opt("--arch", required=True),
         opt("--interpret", required=True, help="interpret --methods-out file with `filters`"),
         opt("--out", required=True, help="output MEME file, motif ids TF.arch.filterN"))
def cmd_filter_motifs(a) -> None:
    from deepmotif.motifs import write_filter_motifs

    _log(f"{a.tf} {a.arch}: {len(write_filter_motifs(a.tf, a.arch, a.interpret, a.out))} filter motifs → {a.out}")


@command("jaspar", "write a JASPAR release's CORE collection as a MEME file (offline)",
         opt("--release", required=True),
         opt("--tax-group", default="vertebrates"),
         opt("--out", required=True))
def cmd_jaspar(a) -> None:
    from deepmotif.jaspar import fetch_collection
    from deepmotif.memeio import write_meme

    write_meme(a.out, fetch_collection(a.release, a.tax_group))


@command("match", "Tomtom of extracted motifs against JASPAR → motif-match table",
         opt("--motifs", nargs="+", required=True, help="MEME files of extracted motifs (and filter motifs)"),
         opt("--jaspar", required=True, help="MEME file of the JASPAR targets"),
         opt("--windows", nargs="*", default=None,
             help="windows.npz files of one TF (motifs --windows): adds window_match_fraction"),
         opt("--data", default=None, help="that TF's data.npz (with --windows)"),
         opt("--info", nargs="*", default=None, help="motif tables of the motifs stage (motifs --info)"),
         opt("--hits", required=True, help="output: every Tomtom hit (TSV)"),
         opt("--motif-table", default=None, help="output: one row per motif with its top 3 hits (motifs.tsv)"),
         opt("--out", required=True, help="output: motif_matches.tsv (one row per TF × architecture × method)"),
         config=True)
def cmd_match(a) -> None:
    from deepmotif.match import write_matches

    table = write_matches(a.motifs, a.jaspar, _config(a), a.hits, a.out, a.motif_table, windows_files=a.windows,
                          data_file=a.data, info_files=a.info)
    _log(table.to_string(index=False))


@command("groundtruth", "ground-truth benchmark of one TF with planted motifs: attribution AUROC on planted "
         "bases, first-layer filter matches, motif recovery",
         opt("--tf", required=True),
         opt("--data", required=True, help="the TF's data.npz (with test_planted)"),
         opt("--saliency", nargs="+", required=True, help="saliency.npz of every architecture"),
         opt("--interpret", nargs="*", default=[], help="interpret.npz of every architecture"),
         opt("--filters", nargs="*", default=None, help="filters.meme of the convolutional architectures"),
         opt("--matches", required=True, help="the TF's per-motif table (match --motif-table)"),
         opt("--jaspar", required=True, help="MEME file of the JASPAR targets"),
         opt("--attribution", required=True, help="output: attribution AUROC/AUPR per architecture × method"),
         opt("--filter-table", dest="filter_table", required=True,
             help="output: first-layer filter match fractions per architecture"),
         opt("--recovery", required=True, help="output: motif recovery per architecture × method"),
         config=True)
def cmd_groundtruth(a) -> None:
    from deepmotif.groundtruth import write_groundtruth_tables

    tables = write_groundtruth_tables((a.attribution, a.filter_table, a.recovery), a.tf, a.data, a.saliency,
                                      a.interpret, a.filters or [], a.matches, a.jaspar, _config(a))
    for table in tables:
        _log(table.to_string(index=False))


@command("resolve", "DeepResolve of one convolutional model: per task, channel importance, inconsistency and "
         "non-additivity from gradient ascent on its first feature map; similarity of the tasks",
         opt("--tf", required=True),
         opt("--arch", required=True),
         opt("--data", required=True, help="the TF's data.npz (sequence length, task labels)"),
         opt("--model", required=True, help="best.pt"),
         opt("--motif-table", default=None,
             help="the TF's motifs.tsv (match --motif-table): each channel's filter motif and its JASPAR match"),
         opt("--fiv", required=True, help="output: one row per task × channel (deepresolve_fiv.tsv)"),
         opt("--similarity", required=True, help="output: one row per pair of tasks (deepresolve_similarity.tsv)"),
         opt("--png", default=None, help="output: heat maps of channel importance and task similarity"),
         *DEVICE_OPTIONS,
         config=True)
def cmd_resolve(a) -> None:
    from deepmotif.interpret.resolve import write_resolve

    cfg = _config(a)
    fiv, _ = write_resolve(a.tf, a.arch, a.model, a.data, cfg["deepresolve"], a.fiv, a.similarity,
                           motif_table=a.motif_table, device=_device(a, cfg), png=a.png)
    flagged = fiv.groupby("task")["non_additive"].sum()
    _log(f"{a.tf} {a.arch}: {len(flagged)} task(s), non-additive channels per task: "
         f"{', '.join(f'{t} {int(n)}' for t, n in flagged.items())} → {a.fiv}")


@command("grammar", "what one model's motifs do: their instances in every test sequence (used or ignored by "
         "the model), each motif's effect by global importance analysis, and the grammar of motif pairs over "
         "spacing × orientation",
         opt("--tf", required=True),
         opt("--arch", required=True),
         opt("--data", required=True, help="the TF's data.npz"),
         opt("--model", required=True, help="best.pt"),
         opt("--motifs", required=True, help="the model's motifs.meme (motifs stage)"),
         opt("--motif-table", required=True, help="the TF's motifs.tsv (match --motif-table): names, own family"),
         opt("--jaspar", required=True, help="JASPAR MEME file (the TF's own matrix is the effects' reference)"),
         opt("--instances", required=True, help="output: one row per site (instances.tsv)"),
         opt("--summary", required=True, help="output: one row per motif: enrichment, centrality"),
         opt("--effects", required=True, help="output: one row per motif × position × orientation × task"),
         opt("--pairs", required=True, help="output: one row per pair × spacing × orientation × task"),
         opt("--verdicts", required=True, help="output: one row per pair × task"),
         opt("--heat-map", required=True, help="output: PNG of each pair's interaction"),
         *DEVICE_OPTIONS,
         config=True)
def cmd_grammar(a) -> None:
    from deepmotif.grammar import write_grammar

    cfg = _config(a)
    write_grammar(a.tf, a.arch, a.data, a.model, a.motifs, a.motif_table, a.jaspar, cfg,
                  {"instances": a.instances, "summary": a.summary, "effects": a.effects, "pairs": a.pairs,
                   "verdicts": a.verdicts, "heat_map": a.heat_map}, device=_device(a, cfg), log=_log)


@command("instances-bed", "an encode TF's motif instances in genome coordinates (BED9, a colour per motif)",
         opt("--instances", required=True, help="instances.tsv (grammar --instances)"),
         opt("--data", required=True, help="the TF's data.npz (window chromosome and start)"),
         opt("--split", default="test"),
         opt("--out", required=True, help="output BED"))
def cmd_instances_bed(a) -> None:
    from deepmotif.instances import write_bed

    _log(f"{write_bed(a.instances, a.data, a.split, a.out)} sites → {a.out}")


# ---- report -----------------------------------------------------------------------------------------------

@command("concat-tables", "concatenate TSV tables with the same columns",
         opt("--tables", nargs="+", required=True),
         opt("--out", required=True))
def cmd_concat_tables(a) -> None:
    from deepmotif.io_utils import concat_tables

    concat_tables(a.tables, a.out)


@command("motif-summary", "every TF's motif-match table in one, attractor matrices flagged",
         opt("--tables", nargs="+", required=True, help="motif_matches.tsv of every TF"),
         opt("--out", required=True, help="output: results/tables/motif_matches.tsv"),
         config=True)
def cmd_motif_summary(a) -> None:
    from deepmotif.attractors import write_flagged_table

    cfg = _config(a)
    found = write_flagged_table(a.tables, a.out, int(cfg["match"]["attractor_min_tfs"]))
    _log(f"{len(found)} attractor matrix(es): one best hit of >= {cfg['match']['attractor_min_tfs']} unrelated TFs"
         + ("".join(f"\n  {r.architecture} {r.method}: {r.best_id} {r.best_name} ({r.tfs})"
                    for r in found.itertuples())))


@command("dashboard", "one TF's dashboard figure (PNG and SVG)",
         opt("--tf", required=True),
         opt("--data", required=True),
         opt("--models", nargs="+", required=True, help="best.pt of every architecture"),
         opt("--interpret", nargs="+", required=True, help="interpret.npz of every architecture"),
         opt("--motifs", nargs="+", required=True, help="motifs.meme of every architecture"),
         opt("--filters", nargs="*", default=None, help="filters.meme files (best filter's logo)"),
         opt("--matches", required=True, help="the TF's motif_matches.tsv"),
         opt("--hits", default=None, help="the TF's tomtom_hits.tsv (orientation of the best matches)"),
         opt("--jaspar", required=True, help="MEME file of the JASPAR targets"),
         opt("--png", required=True),
         opt("--svg", default=None),
         config=True)
def cmd_dashboard(a) -> None:
    from deepmotif.report import write_dashboard

    write_dashboard(a.png, a.svg, a.tf, a.data, a.models, a.interpret, a.motifs, a.matches, a.jaspar,
                    filter_files=a.filters, width=int(_config(a)["motifs"]["width"]), hits_file=a.hits)


@command("report", "HTML report folder: an index of all TFs, one page per TF, motif logos",
         opt("--auroc", required=True),
         opt("--matches", required=True),
         opt("--motif-table", required=True, help="results/tables/motifs.tsv (match --motif-table)"),
         opt("--cwm", nargs="*", default=[], help="cwm.npz files of the motifs stage (motifs --cwm)"),
         opt("--jaspar", default=None, help="MEME file of the JASPAR targets (for match logos)"),
         opt("--dashboards", nargs="*", default=None, help="dashboard PNGs (results/<TF>/dashboard.png)"),
         opt("--comparison", default=None, help="model_comparison.tsv (deepmotif compare)"),
         opt("--performance-figure", default=None, help="PNG of test AUROC per architecture (deepmotif compare)"),
         opt("--groundtruth", nargs="*", default=None,
             help="groundtruth_attribution.tsv, groundtruth_filters.tsv, groundtruth_recovery.tsv (any of them; "
                  "deepmotif groundtruth): adds the ground-truth benchmark page"),
         opt("--sheet", default=None,
             help="the TF sheet (config/tfs.tsv): cell line, lab and the sheet row of each TF"),
         opt("--deepresolve-table", default=None,
             help="deepresolve_fiv.tsv (deepmotif resolve): the DeepResolve page"),
         opt("--deepresolve-figures", nargs="*", default=None, help="the models' deepresolve.png"),
         opt("--grammar-tables", nargs="*", default=None,
             help="instance_summary.tsv, effects.tsv, pair_verdicts.tsv (grammar stage): what the motifs do"),
         opt("--grammar-figures", nargs="*", default=None, help="the models' pairs.png (grammar stage)"),
         opt("--out", required=True, help="report folder (index.html, tf/<TF>.html, images); replaced"),
         config=True)
def cmd_report(a) -> None:
    from deepmotif.report import write_report

    write_report(a.out, _config(a), a.auroc, a.matches, a.motif_table, a.cwm, a.jaspar, dashboards=a.dashboards,
                 comparison_file=a.comparison, performance_figure=a.performance_figure,
                 groundtruth_files=a.groundtruth, sheet_file=a.sheet, deepresolve_table=a.deepresolve_table,
                 deepresolve_figures=a.deepresolve_figures, grammar_tables=a.grammar_tables,
                 grammar_figures=a.grammar_figures)


def build_parser() -> argparse.ArgumentParser:
    """The ``deepmotif`` parser: one subparser per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="deepmotif", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help)
        if cmd.config:
            p.add_argument("--config", default=None, help="YAML config (defaults fill in missing keys)")
            p.add_argument("--set", default=None, metavar="JSON",
                           help="config values as JSON, merged over --config (the workflow passes its sections)")
        for flags, kwargs in cmd.options:
            p.add_argument(*flags, **kwargs)
        p.set_defaults(func=cmd.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "deepmotif" / "numba"))
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    from deepmotif.outputs import forget_outputs
    from deepmotif.provenance import now, write_provenance

    forget_outputs()
    started = now()
    try:
        args.func(args)
        write_provenance(args.command, argv, getattr(args, "used_config", None), started)
    except InputError as err:
        from deepmotif.io_utils import redo_hint

        # a damaged intermediate file of results/ says how to redo it; an output that cannot be written not
        hint = redo_hint(err.path) if err.path is not None and not isinstance(err, WriteError) else None
        print(f"deepmotif {args.command}: error: {err}" + (f"; {hint}" if hint else ""), file=sys.stderr)
        return 2
    except OSError as err:  # a write that failed outside an atomic output (see deepmotif.io_utils)
        from deepmotif.errors import write_failure

        failure = write_failure(err)
        if failure is None:
            raise
        print(f"deepmotif {args.command}: error: {failure}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

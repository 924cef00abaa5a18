"""``deepmotif <stage>``: one subcommand per workflow step, usable without Snakemake.

Every subcommand reads its inputs, validates them, and writes outputs atomically. Bad input ends with one
line ``deepmotif <command>: error: <file, line, field>: <what is wrong>`` and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from deepmotif.errors import InputError, WriteError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, help="YAML config (defaults fill in missing keys)")
    p.add_argument("--set", default=None, metavar="JSON",
                   help="config values as JSON, merged over --config (the workflow passes its sections here)")


_used_config: list[dict] = []  # the configuration a subcommand ran with, for its provenance records


def _config(a) -> dict:
    import json

    from deepmotif.config import load_config, merge, validate_config

    cfg = load_config(a.config)
    if a.set:
        try:
            extra = json.loads(a.set)
        except json.JSONDecodeError as err:
            raise InputError(f"--set is not valid JSON: {err}") from None
        cfg = merge(cfg, extra)
    validate_config(cfg, [a.config] if a.config else [])
    _used_config.append(cfg)
    return cfg


def _sheet_row(a, cfg: dict) -> dict:
    """The TF's sheet row: as the workflow passes it (``--row``, JSON of the row's non-blank columns), or
    read from the config's sheet (checked as the workflow checks it)."""
    import json

    from deepmotif.config import SHEET_COLUMNS, tf_row

    if a.row is None:
        return tf_row(cfg, a.tf)
    try:
        given = json.loads(a.row)
    except json.JSONDecodeError as err:
        raise InputError(f"--row is not valid JSON: {err}") from None
    if not isinstance(given, dict):
        raise InputError("--row must be a JSON object of sheet columns")
    return {**dict.fromkeys(SHEET_COLUMNS, ""), **given, "name": a.tf}


def cmd_prepare(a) -> None:
    from deepmotif.data.prepare import prepare, save_dataset

    cfg = _config(a)
    row = _sheet_row(a, cfg)
    if row["source"] == "encode":
        return _prepare_encode(a, cfg, row)
    pwm, meta = None, {}
    if row["source"] in ("synthetic", "synthetic_multi"):
        from deepmotif.jaspar import row_motifs

        motifs = row_motifs(cfg["jaspar"]["release"], row)
        pwm = [m.pwm for m in motifs] if row["source"] == "synthetic_multi" else motifs[0].pwm
        meta = {"planted_ids": [m.id for m in motifs], "planted_names": [m.name for m in motifs]}
    arrays = prepare(row, cfg["data"], pwm)
    save_dataset(a.out, arrays, tf=a.tf, source=row["source"], **meta)
    sizes = ", ".join(f"{s} {len(arrays[s + '_y'])}" for s in ("train", "valid", "test"))
    print(f"{a.tf}: {sizes} sequences → {a.out}", file=sys.stderr)
    if a.qc:
        from deepmotif.io_utils import write_json

        write_json(a.qc, {"tf": a.tf, "source": row["source"],
                          "sequences": {s: len(arrays[s + "_y"]) for s in ("train", "valid", "test")}})


def _prepare_encode(a, cfg: dict, row: dict) -> None:
    from deepmotif.data.prepare import prepare_encode, save_dataset
    from deepmotif.io_utils import write_json

    missing = [opt for opt, value in (("--genome", a.genome), ("--peaks", a.peaks)) if not value]
    if missing:
        raise InputError(f"TF {a.tf} has source encode: {' and '.join(missing)} needed (the workflow's "
                         "fetch_genome/fetch_peaks rules download them)", path=cfg["tfs"], field="source")
    arrays, qc = prepare_encode(row, cfg["data"], a.genome, a.peaks, sizes=a.sizes, blacklist=a.blacklist)
    save_dataset(a.out, arrays, tf=a.tf, source="encode")
    if a.qc:
        write_json(a.qc, qc)
    dropped = ", ".join(f"{k} {v}" for k, v in qc["dropped"].items() if v)
    print(f"{a.tf}: {qc['windows']} windows of {qc['peaks']} peaks (dropped: {dropped or 'none'}; "
          f"bad lines {qc['bad_lines']}); pairs train {qc['split']['train']}, valid {qc['split']['valid']}, "
          f"test {qc['split']['test']} ({qc['split']['scheme']} split, {qc['negatives']['kind']} negatives) "
          f"→ {a.out}", file=sys.stderr)


def _download_settings(a) -> dict:
    """`download` settings: config defaults, then DEEPMOTIF_DOWNLOAD (JSON; set by the workflow, so that
    changing them is not a rule parameter and never re-downloads), then the command-line options."""
    import json

    from deepmotif.config import DEFAULTS

    out = dict(DEFAULTS["download"])
    env = os.environ.get("DEEPMOTIF_DOWNLOAD")
    if env:
        try:
            out.update(json.loads(env))
        except json.JSONDecodeError as err:
            raise InputError(f"DEEPMOTIF_DOWNLOAD is not valid JSON: {err}") from None
    for key in ("retries", "backoff", "timeout", "partial_dir"):
        if getattr(a, key) is not None:
            out[key] = getattr(a, key)
    return out


def cmd_fetch(a) -> None:
    from deepmotif.data.fetch import fetch, parse_checksum

    given = [(algo, value) for algo, value in (("md5", a.md5), ("sha256", a.sha256), (None, a.checksum)) if value]
    if len(given) > 1:
        raise InputError("give at most one of --md5, --sha256, --checksum")
    checksum = None
    if given:
        algo, value = given[0]
        checksum = parse_checksum(f"{algo}:{value}" if algo else value, field="checksum")
    dl = _download_settings(a)
    info = fetch(a.url, a.out, checksum=checksum, gzip_output=a.gzip, retries=int(dl["retries"]),
                 backoff=float(dl["backoff"]), timeout=float(dl["timeout"]), partial_dir=dl["partial_dir"],
                 progress=not a.quiet)
    how = ("reused from the download cache" if info["reused"]
           else f"{info['bytes']:,} bytes in {info['attempts']} attempt(s)")
    print(f"{info['url']} → {a.out}: {how}, md5 {info['md5']}, sha256 {info['sha256']}", file=sys.stderr)


def cmd_genome(a) -> None:
    from deepmotif.data.genome import write_genome

    chroms = None
    if a.chromosomes:
        chroms = [c for part in a.chromosomes for c in part.split(",") if c]
    kept = write_genome(a.fasta, a.out, chroms, sizes=a.sizes)
    print(f"{a.fasta} → {a.out}: {len(kept)} sequences, {sum(kept.values()):,} bp (+ .fai)", file=sys.stderr)


def cmd_train(a) -> None:
    from deepmotif.config import sized_model_params, train_options
    from deepmotif.train import fit, training_data

    cfg = _config(a)
    train_cfg = dict(train_options(cfg, a.arch, a.config), threads=a.threads)
    if a.device:
        train_cfg["device"] = a.device
    params = sized_model_params(cfg, a.arch, a.size, path=a.config)
    meta = {"size": a.size, "scale": float(cfg["models"]["sizes"][a.size])} if a.size else None
    data, params = training_data(a.data, params)
    m = fit(a.arch, params, data, a.out_dir, train_cfg, progress=not a.quiet, meta=meta)
    size = f" ({a.size})" if a.size else ""
    print(f"{a.arch}{size}: test AUROC {m['test_auroc']:.4f} (valid {m['valid_auroc']:.4f}, best epoch "
          f"{m['best_epoch']}/{m['epochs_run']}, {m['device']}, {m['wall_seconds']} s)", file=sys.stderr)


def cmd_select_size(a) -> None:
    from deepmotif.compare import write_selected_size

    m = write_selected_size(a.metrics, a.out_model, a.out_metrics)
    scores = ", ".join(f"{c['size']} {c['valid_auroc']:.4f}" for c in m["sizes"]["candidates"])
    print(f"{m.get('architecture')}: size {m['size']} chosen on validation AUROC ({scores}) → {a.out_model}",
          file=sys.stderr)


def cmd_compare(a) -> None:
    from deepmotif.compare import compare_models, read_performance_table, write_performance_figure
    from deepmotif.io_utils import write_tsv

    table = read_performance_table(a.auroc)
    out = compare_models(table, a.models, path=a.auroc)
    write_tsv(a.out, out)
    if a.png or a.svg:
        write_performance_figure(table, a.png, a.svg, models=a.models)
    print(out.to_string(index=False), file=sys.stderr)


def cmd_evaluate(a) -> None:
    from deepmotif.config import tf_row
    from deepmotif.evaluate import pwm_baseline
    from deepmotif.io_utils import write_json

    cfg = _config(a)
    metrics = pwm_baseline(a.data, tf_row(cfg, a.tf), cfg["jaspar"]["release"])
    write_json(a.out, metrics)
    if metrics["test_auroc"] is None:
        print(f"{a.tf}: no known JASPAR motif, no PWM baseline", file=sys.stderr)
    else:
        print(f"{a.tf}: PWM {metrics['jaspar_id']} scan test AUROC {metrics['test_auroc']:.4f}", file=sys.stderr)


def cmd_auroc_table(a) -> None:
    from deepmotif.report import auroc_table
    from deepmotif.io_utils import write_tsv

    write_tsv(a.out, auroc_table(a.metrics))


def cmd_interpret(a) -> None:
    import torch

    from deepmotif.interpret import write_interpretation
    from deepmotif.train import pick_device

    cfg = _config(a)
    torch.set_num_threads(a.threads)
    write_interpretation(a.model, a.data, cfg["interpret"], a.out, methods_out=a.methods_out,
                         device=pick_device(a.device or cfg["train"]["device"]),
                         log=lambda line: print(line, file=sys.stderr))


def cmd_motifs(a) -> None:
    from deepmotif.motifs import write_motifs

    cfg = _config(a)
    motifs = write_motifs(a.tf, a.arch, a.data, a.saliency, a.interpret, cfg["motifs"], a.out,
                          windows_out=a.windows, info_out=a.info, cwm_out=a.cwm)
    print(f"{a.tf} {a.arch}: {len(motifs)} motifs ({', '.join(m.id.split('.', 2)[2] for m in motifs)}) → {a.out}",
          file=sys.stderr)


def cmd_filter_motifs(a) -> None:
    from deepmotif.motifs import write_filter_motifs

    motifs = write_filter_motifs(a.tf, a.arch, a.interpret, a.out)
    print(f"{a.tf} {a.arch}: {len(motifs)} filter motifs → {a.out}", file=sys.stderr)


def cmd_jaspar(a) -> None:
    from deepmotif.jaspar import fetch_collection
    from deepmotif.memeio import write_meme

    write_meme(a.out, fetch_collection(a.release, a.tax_group))


def cmd_encode_sheet(a) -> None:
    from deepmotif.data.uniform import write_uniform_sheet

    n = write_uniform_sheet(a.metadata, a.out, a.release, a.tax_group)
    print(f"{n} experiments → {a.out}", file=sys.stderr)


def cmd_match(a) -> None:
    from deepmotif.io_utils import write_tsv
    from deepmotif.match import match_motifs

    cfg = _config(a)
    hits, motifs, table = match_motifs(a.motifs, a.jaspar, cfg, windows_files=a.windows, data_file=a.data,
                                       info_files=a.info)
    write_tsv(a.hits, hits)
    if a.motif_table:
        write_tsv(a.motif_table, motifs)
    write_tsv(a.out, table)
    print(table.to_string(index=False), file=sys.stderr)


def cmd_groundtruth(a) -> None:
    from deepmotif.groundtruth import groundtruth_tables
    from deepmotif.io_utils import write_tsv

    cfg = _config(a)
    attribution, filters, recovery = groundtruth_tables(a.tf, a.data, a.saliency, a.interpret, a.filters or [],
                                                        a.matches, a.jaspar, cfg)
    write_tsv(a.attribution, attribution)
    write_tsv(a.filter_table, filters)
    write_tsv(a.recovery, recovery)
    for table in (attribution, filters, recovery):
        print(table.to_string(index=False), file=sys.stderr)


def cmd_concat_tables(a) -> None:
    import pandas as pd

    from deepmotif.io_utils import write_tsv

    frames = []
    for f in a.tables:
        try:
            frames.append(pd.read_csv(f, sep="\t"))
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise InputError(f"unreadable table ({err})", path=f) from None
    write_tsv(a.out, pd.concat(frames, ignore_index=True))


def cmd_dashboard(a) -> None:
    from deepmotif.report import write_dashboard

    cfg = _config(a)
    write_dashboard(a.png, a.svg, a.tf, a.data, a.models, a.interpret, a.motifs, a.matches, a.jaspar,
                    filter_files=a.filters, width=int(cfg["motifs"]["width"]), hits_file=a.hits)


def cmd_report(a) -> None:
    from deepmotif.report import write_report

    write_report(a.out, _config(a), a.auroc, a.matches, a.motif_table, a.cwm, a.jaspar, dashboards=a.dashboards,
                 comparison_file=a.comparison, performance_figure=a.performance_figure,
                 groundtruth_files=a.groundtruth)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deepmotif", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="cut/read/synthesise one TF's train/valid/test sets")
    _common(p)
    p.add_argument("--tf", required=True)
    p.add_argument("--row", default=None, help="the TF's sheet row as JSON (the workflow passes it; default: "
                   "read from the config's sheet)")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--qc", default=None, help="output QC JSON (encode: lines, drops per reason, split sizes)")
    p.add_argument("--genome", default=None, help="encode: indexed genome FASTA (.fai beside it)")
    p.add_argument("--sizes", default=None, help="encode: chrom.sizes of the whole original genome")
    p.add_argument("--peaks", default=None, help="encode: the TF's narrowPeak file (gzip or plain)")
    p.add_argument("--blacklist", default=None, help="encode: BED of regions no window may overlap")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("fetch", help="download a file: retried, resumed, checksum- and gzip-verified, atomic")
    p.add_argument("--url", required=True, action="append",
                   help="http(s)://, ftp://, file:// URL or path; repeat for mirrors tried in turn")
    p.add_argument("--out", required=True, help="output file (plus OUT.sha256 recording its digest)")
    p.add_argument("--md5", default=None, help="expected md5 of the download")
    p.add_argument("--sha256", default=None, help="expected sha256 of the download")
    p.add_argument("--checksum", default=None, help="expected 'md5:HEX', 'sha256:HEX' or bare HEX")
    p.add_argument("--gzip", action="store_true",
                   help="output must be gzip: check a gzip download end to end, compress anything else")
    p.add_argument("--retries", type=int, default=None, help="extra attempts after a transient failure (5)")
    p.add_argument("--backoff", type=float, default=None, help="seconds before the first retry, doubling (2)")
    p.add_argument("--timeout", type=float, default=None, help="socket time-out in seconds (60)")
    p.add_argument("--partial-dir", dest="partial_dir", default=None,
                   help="where partial downloads are kept and resumed (.cache/downloads)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("genome", help="genome .fa.gz → indexed plain FASTA of chosen chromosomes (+ chrom.sizes)")
    p.add_argument("--in", dest="fasta", required=True, help="genome FASTA, gzip/BGZF or plain")
    p.add_argument("--out", required=True, help="output FASTA (OUT.fai is written beside it)")
    p.add_argument("--sizes", default=None, help="output chrom.sizes of every record of the input")
    p.add_argument("--chromosomes", nargs="*", default=None,
                   help="records to keep (space- or comma-separated); default all")
    p.set_defaults(func=cmd_genome)

    p = sub.add_parser("train", help="train one architecture on one TF's data, select on validation")
    _common(p)
    p.add_argument("--data", required=True)
    p.add_argument("--arch", required=True,
                   help="cnn, rnn, cnnrnn or a named variant of one (config models.<name> with `arch:`)")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default=None, help="auto, cpu or cuda (overrides config train.device)")
    p.add_argument("--size", default=None,
                   help="width variant, a key of config models.sizes (scales filters and hidden); default unscaled")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("select-size", help="keep the size variant with the best validation AUROC (never test)")
    p.add_argument("--metrics", nargs="+", required=True,
                   help="metrics.json of each trained size (its best.pt lies beside it)")
    p.add_argument("--out-model", required=True, help="output: copy of the chosen best.pt")
    p.add_argument("--out-metrics", required=True, help="output: the chosen metrics.json plus every size's record")
    p.set_defaults(func=cmd_select_size)

    p = sub.add_parser("evaluate", help="JASPAR PWM scan baseline on one TF's test set")
    _common(p)
    p.add_argument("--tf", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="output metrics.json")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("auroc-table", help="collect metrics.json files into one AUROC/AUPR table")
    p.add_argument("--metrics", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_auroc_table)

    p = sub.add_parser("compare", help="paired tests of every pair of architectures over TFs (AUROC, AUPR)")
    p.add_argument("--auroc", required=True, help="the performance table (auroc-table output)")
    p.add_argument("--models", nargs="+", default=None,
                   help="architectures to compare, in this order (default: all in the table)")
    p.add_argument("--out", required=True, help="output: model_comparison.tsv")
    p.add_argument("--png", default=None, help="output: box/strip plot of test AUROC per architecture (PNG)")
    p.add_argument("--svg", default=None, help="output: the same plot as SVG")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("interpret", help="saliency maps of the top-scoring test positives")
    _common(p)
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True, help="output .npz: saliency maps (and which sequences, their logits)")
    p.add_argument("--methods-out", default=None,
                   help="output .npz of the other methods of config interpret.methods (temporal, classopt, ...)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default=None)
    p.set_defaults(func=cmd_interpret)

    p = sub.add_parser("motifs", help="PWMs from attribution maps, in MEME format")
    _common(p)
    p.add_argument("--tf", required=True)
    p.add_argument("--arch", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--saliency", required=True)
    p.add_argument("--interpret", default=None, help="interpret --methods-out file: its methods' maps")
    p.add_argument("--out", required=True, help="output MEME file of the discovered motifs (ids TF.arch.method.mN) "
                   "and the class-optimised core (TF.arch.classopt)")
    p.add_argument("--windows", default=None, help="output .npz: the paper's aggregate window of each method (for "
                   "the match stage's window_match_fraction)")
    p.add_argument("--info", default=None, help="output TSV: one row per motif (seqlets, support, mean attribution)")
    p.add_argument("--cwm", default=None, help="output .npz: each motif's contribution-weighted matrix and seqlets")
    p.set_defaults(func=cmd_motifs)

    p = sub.add_parser("filter-motifs", help="first-layer filter PWMs of an interpret file, in MEME format")
    p.add_argument("--tf", required=True)
    p.add_argument("--arch", required=True)
    p.add_argument("--interpret", required=True, help="interpret --methods-out file with `filters`")
    p.add_argument("--out", required=True, help="output MEME file, motif ids TF.arch.filterN")
    p.set_defaults(func=cmd_filter_motifs)

    p = sub.add_parser("jaspar", help="write a JASPAR release's CORE collection as a MEME file (offline)")
    p.add_argument("--release", required=True)
    p.add_argument("--tax-group", default="vertebrates")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_jaspar)

    p = sub.add_parser("match", help="Tomtom of extracted motifs against JASPAR → motif-match table")
    _common(p)
    p.add_argument("--motifs", nargs="+", required=True, help="MEME files of extracted motifs (and filter motifs)")
    p.add_argument("--jaspar", required=True, help="MEME file of the JASPAR targets")
    p.add_argument("--windows", nargs="*", default=None,
                   help="windows.npz files of one TF (motifs --windows): adds window_match_fraction")
    p.add_argument("--data", default=None, help="that TF's data.npz (with --windows)")
    p.add_argument("--info", nargs="*", default=None, help="motif tables of the motifs stage (motifs --info)")
    p.add_argument("--hits", required=True, help="output: every Tomtom hit (TSV)")
    p.add_argument("--motif-table", default=None, help="output: one row per motif with its top 3 hits (motifs.tsv)")
    p.add_argument("--out", required=True, help="output: motif_matches.tsv (one row per TF × architecture × method)")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("groundtruth", help="ground-truth benchmark of one TF with planted motifs: attribution "
                       "AUROC on planted bases, first-layer filter matches, motif recovery")
    _common(p)
    p.add_argument("--tf", required=True)
    p.add_argument("--data", required=True, help="the TF's data.npz (with test_planted)")
    p.add_argument("--saliency", nargs="+", required=True, help="saliency.npz of every architecture")
    p.add_argument("--interpret", nargs="*", default=[], help="interpret.npz of every architecture")
    p.add_argument("--filters", nargs="*", default=None, help="filters.meme of the convolutional architectures")
    p.add_argument("--matches", required=True, help="the TF's per-motif table (match --motif-table)")
    p.add_argument("--jaspar", required=True, help="MEME file of the JASPAR targets")
    p.add_argument("--attribution", required=True, help="output: attribution AUROC/AUPR per architecture × method")
    p.add_argument("--filter-table", dest="filter_table", required=True,
                   help="output: first-layer filter match fractions per architecture")
    p.add_argument("--recovery", required=True, help="output: motif recovery per architecture × method")
    p.set_defaults(func=cmd_groundtruth)

    p = sub.add_parser("encode-sheet", help="TF sheet of the ENCODE uniform TFBS collection (one encode row per "
                       "experiment) from its metadata table")
    p.add_argument("--metadata", required=True, help="uniform_tfbs.tsv (experiment, file_name, md5, target, ...)")
    p.add_argument("--release", required=True, help="JASPAR release the targets are mapped to, e.g. JASPAR2024")
    p.add_argument("--tax-group", dest="tax_group", default="vertebrates")
    p.add_argument("--out", required=True, help="output sheet, e.g. config/tfs_encode_uniform.tsv")
    p.set_defaults(func=cmd_encode_sheet)

    p = sub.add_parser("concat-tables", help="concatenate TSV tables with the same columns")
    p.add_argument("--tables", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_concat_tables)

    p = sub.add_parser("dashboard", help="one TF's dashboard figure (PNG and SVG)")
    _common(p)
    p.add_argument("--tf", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--models", nargs="+", required=True, help="best.pt of every architecture")
    p.add_argument("--interpret", nargs="+", required=True, help="interpret.npz of every architecture")
    p.add_argument("--motifs", nargs="+", required=True, help="motifs.meme of every architecture")
    p.add_argument("--filters", nargs="*", default=None, help="filters.meme files (best filter's logo)")
    p.add_argument("--matches", required=True, help="the TF's motif_matches.tsv")
    p.add_argument("--hits", default=None, help="the TF's tomtom_hits.tsv (orientation of the best matches)")
    p.add_argument("--jaspar", required=True, help="MEME file of the JASPAR targets")
    p.add_argument("--png", required=True)
    p.add_argument("--svg", default=None)
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("report", help="HTML report with tables and motif logos")
    _common(p)
    p.add_argument("--auroc", required=True)
    p.add_argument("--matches", required=True)
    p.add_argument("--motif-table", required=True, help="results/tables/motifs.tsv (match --motif-table)")
    p.add_argument("--cwm", nargs="*", default=[], help="cwm.npz files of the motifs stage (motifs --cwm)")
    p.add_argument("--jaspar", default=None, help="MEME file of the JASPAR targets (for match logos)")
    p.add_argument("--dashboards", nargs="*", default=None, help="dashboard PNGs (results/<TF>/dashboard.png)")
    p.add_argument("--comparison", default=None, help="model_comparison.tsv (deepmotif compare)")
    p.add_argument("--performance-figure", default=None, help="PNG of test AUROC per architecture (deepmotif compare)")
    p.add_argument("--groundtruth", nargs="*", default=None,
                   help="groundtruth_attribution.tsv, groundtruth_filters.tsv, groundtruth_recovery.tsv (any "
                        "of them; deepmotif groundtruth): adds the ground-truth benchmark section")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "deepmotif" / "numba"))
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    from deepmotif.provenance import forget_outputs, now, write_provenance

    forget_outputs()
    _used_config.clear()
    started = now()
    try:
        args.func(args)
        write_provenance(args.command, argv, _used_config[-1] if _used_config else None, started)
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

"""Run configuration: defaults merged under the user's YAML, and the TF sample sheet checked row by row.

Types and keys are checked against the JSON schemas shipped in the package (``deepmotif/schemas``, linked
from ``workflow/schemas``; :func:`validate_config`, also run by every command-line tool and before Snakemake
starts a job); the checks here are the ones a schema cannot express (duplicate names, files that exist,
JASPAR IDs that exist) and run both there and in the command-line tools, so each names the sheet's line and
field.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import yaml

from deepmotif.architectures import ARCHITECTURES
from deepmotif.discover import DEFAULTS as DISCOVER_DEFAULTS
from deepmotif.errors import InputError
from deepmotif.sources import FILE_SOURCES, MULTI_MOTIF_SOURCES, PLANTED_SOURCES, SOURCES
from deepmotif.trim import MIN_BITS, MIN_MEAN_BITS, TRIM_BITS

DEFAULTS: dict = {
    "tfs": "config/tfs.tsv",
    "architectures": list(ARCHITECTURES),
    "jaspar": {"release": "JASPAR2024", "tax_group": "vertebrates"},
    "data": {"seq_len": 101, "valid_fraction": 0.1, "test_fraction": 0.2, "max_train": None, "seed": 1,
             # min_motifs / max_motifs: instances per positive of the synthetic_multi source (per sequence of
             # synthetic_logic); logic: the tasks of synthetic_logic, e.g. {name: A_and_B, all: [A, B]}, or with
             # `spacing: [min, max]` (bp) true only where A and B lie that far apart; pair_rate: share of the
             # planted synthetic_logic sequences given a spacing task's pair close together (half inside its
             # window); 0 plants as before and is left out of the prepare rule's params (reruns nothing)
             "synthetic": {"n_train": 2000, "n_test": 500, "motif_rate": 1.0, "min_motifs": 1, "max_motifs": 3,
                           "logic": [], "pair_rate": 0.0},
             # encode source only (ENCODE_DATA_KEYS): summit windows, their filters, split and negatives
             "windows": {"top_n": None, "max_n_fraction": 0.0, "rank_by": "signalValue", "blacklist": None,
                         "blacklist_checksum": None},
             "split": "deepbind", "deepbind_top": 1000, "holdout": {"test": ["chr8", "chr9"], "valid": []},
             "negatives": "shuffle", "background": {"pool": 10, "gc_tolerance": 0.02},
             "on_bad_peak_line": "error"},
    # Genome of the encode source: downloaded once to resources/genome/<name>.fa.gz, then cut to an indexed
    # plain FASTA of `chromosomes` (null = every record).
    "genome": {"name": "hg19", "url": "https://hgdownload.soe.ucsc.edu/goldenPath/hg19/bigZips/hg19.fa.gz",
               "checksum": None, "chromosomes": None},
    # How downloads are retried (read by `deepmotif fetch`; changing them never re-downloads a finished file).
    "download": {"retries": 5, "backoff": 2.0, "timeout": 60, "partial_dir": ".cache/downloads"},
    "models": {
        # tasks: None = one output (bound or not); planted = one output per task of the data set: planted motif
        # (synthetic_multi, Koo & Ploenzke 2021), logic task (synthetic_logic) or TF (encode_multi), scored as
        # "any task" (deepmotif.models.any_log_odds);
        # strands: single = the sequence as given; mean / max = combined with its reverse complement's score
        "cnn": {"filters": 128, "kernels": [9, 5, 3], "pool": 2, "dropout": 0.5, "activation": "relu",
                "batchnorm": True, "first_pool": None, "tasks": None, "strands": "single"},
        # the biLSTM scores both strands: reading one, it settled on one orientation of the motif with some
        # seeds (synthetic GATA1, 3 seeds: test AUROC 0.67-0.81, plus/minus-strand sites up to 0.35 apart;
        # mean: 0.87 ± 0.01, within 0.015; benchmarks/strand_options.py)
        "rnn": {"hidden": 32, "layers": 1, "pool": "max", "dropout": 0.2, "tasks": None, "strands": "mean"},
        "cnnrnn": {"filters": 128, "kernel": 9, "conv_pool": 2, "hidden": 32, "layers": 1, "pool": "max",
                   "dropout": 0.5, "activation": "relu", "tasks": None, "strands": "single"},
        # Width variants of every architecture: scale × `filters` and `hidden` (rounded, at least 1); the
        # sizes named in train.sizes are trained and the best on validation AUROC is kept.
        "sizes": {"small": 0.5, "medium": 1.0, "large": 2.0},
    },
    "train": {"epochs": 20, "batch_size": 128, "lr": 0.005, "weight_decay": 0.0, "patience": 5,
              "lr_patience": 2, "seed": 1, "device": "auto", "resume": True, "threads": 1, "amp": True,
              # rc_augment: a random half of each batch reverse-complemented (test AUROC up on every synthetic
              # TF × architecture, by 0.005-0.03; on the real sets see config/README.md)
              "on_bad_checkpoint": "error", "min_epochs": 0, "rc_augment": True,
              "sizes": ["medium"],
              # The biLSTM sits at chance for 10-25 epochs before it finds the motif (measured on the synthetic
              # default): smaller batches, no early stop before epoch 30, slower learning-rate decay.
              "per_architecture": {"rnn": {"batch_size": 64, "epochs": 60, "min_epochs": 30, "patience": 10,
                                           "lr_patience": 5}}},
    # The dashboard's views per TF × architecture (deepmotif.methods.REGISTRY); saliency is always computed.
    # DeepLIFT-SHAP (`deeplift`) and integrated gradients (`ig`) cost 10-60x a saliency map: opt-in.
    # n_top positives explained, the best-scoring of `split`: test, or all (train + valid + test: more
    # sequences for motif discovery; attributions select nothing, so training positives are fair game).
    # The paper's 200 best hold mostly consensus sites: their motifs are sharper than the TF's, and a sharp
    # 7-bp GATA consensus is not a significant Tomtom match of JASPAR's GATA1 (q 0.067; demo ISM 8/9 → 9/9).
    "interpret": {"n_top": 500, "split": "test", "batch_size": 256, "threads": 1,
                  "methods": ["saliency", "temporal", "classopt", "ism", "convact", "filters"],
                  # restarts: the motif is discovered on every restart's optimised sequence (their ISM)
                  "classopt": {"mode": "onehot", "l2": 0.001, "steps": 200, "restarts": 32, "lr": 0.1, "seed": 1},
                  "ism": {"batch_size": 1024},
                  "filters": {"threshold": 0.5, "min_sites": 10},
                  "deeplift": {"n_shuffles": 10, "batch_size": 4},
                  "ig": {"n_shuffles": 4, "n_steps": 32, "batch_size": 64},
                  # multi-task models (tasks: planted): also explain each task's own logit on up to n_top of
                  # its positives and discover motifs per task (deepmotif.interpret.task_maps): KOO12's
                  # exponential CNN then holds 11 of 12 planted motifs as best hits of saliency motifs, not 7
                  "per_task": {"enabled": True, "n_top": 500}},
    # width / max_shift: the Deep Motif Dashboard's one aggregate window per sequence (the paper's
    # window_match_fraction); trim_bits / min_bits / min_mean_bits: motif hygiene (deepmotif.trim); discover:
    # seqlets → motifs (deepmotif.discover, its DEFAULTS); classopt: what differs for the class-optimised
    # sequences, whose filler columns are as sharp as the motif: flanks where the ISM's CWM is below a tenth
    # of its top column are trimmed (demo: MAFK's CNN motif 19 → 11 columns; NFYB's RNN motif's q at 0 / 0.1 /
    # tfmodisco-lite's 0.3: 0.001 / 0.007 / 0.035, half its CCAAT box lost at 0.3)
    # negative: also discover the motifs of negative contribution (they lower the score) in signed maps
    "motifs": {"width": 15, "max_shift": 2, "trim_bits": TRIM_BITS, "min_bits": MIN_BITS,
               "min_mean_bits": MIN_MEAN_BITS, "negative": True,
               "discover": {k: v for k, v in DISCOVER_DEFAULTS.items() if k != "trim_bits"},
               "classopt": {"min_contribution": 0.1}},
    # Ground-truth benchmark (deepmotif.groundtruth) of the TFs with planted motifs (synthetic sources):
    # attribution AUROC on planted positions, first-layer filter matches (Tomtom E < e_value), motif recovery.
    "groundtruth": {"enabled": False, "e_value": 0.1},
    # Grammar stage (deepmotif.grammar) of the models of `architectures` (null = all): which motifs (`methods`: the views whose motifs count,
    # null = all; at most max_motifs distinct ones, a PFM correlating >= similarity with one kept before it
    # being the same motif), on which split; motif instances (deepmotif.instances), effects by global
    # importance analysis (deepmotif.effects) and pair grammar (deepmotif.pairs); each module reads its section
    # here as its own defaults, where each key is explained
    "grammar": {"enabled": True, "architectures": None, "methods": None, "max_motifs": 8, "similarity": 0.8,
                "split": "test",
                "instances": {"p_value": 3e-4, "attribution_quantile": 0.9, "batch_size": 256},
                "effects": {"backgrounds": 200, "positions": 5, "batch_size": 512, "seed": 0},
                "pairs": {"max_spacing": 40, "max_pairs": 10, "level": 0.95, "min_share": 0.25}},
    # DeepResolve (deepmotif.interpret.resolve) of every convolutional model: per task, gradient ascent from
    # `starts` random feature maps (step lr annealed after anneal_after steps; stop after `patience` steps
    # without a gain of min_improvement, or max_steps); channel importance, inconsistency, non-additivity
    # (a Gaussian mixture of up to max_components) and task similarity.
    "deepresolve": {"enabled": False, "starts": 20, "lr": 0.1, "l2": 0.01, "max_steps": 10000, "patience": 10,
                    "anneal_after": 500, "min_improvement": 1e-6, "max_components": 3, "seed": 1},
    # dist / min_overlap: Tomtom's; max_target_ratio, complete_overlap, broad_family_size: the match rule that
    # no long or empty matrix can game (deepmotif.match, measured in benchmarks/match_rules.py)
    "match": {"backend": "memelite", "thresh": 0.5, "significance": 0.05, "tomtom_bin": None, "dist": "ed",
              "min_overlap": 1, "max_target_ratio": 2.0, "complete_overlap": False, "broad_family_size": 50,
              # min_aligned_share: a hit must align the query to this share of the target's information
              # (GATA1::TAL1's spacer won 5 real TFs' CNN filter rows; 0.3 ends that, no family verdict lost)
              "min_aligned_share": 0.3,
              # a matrix that is the significant best hit of this many unrelated TFs in one architecture ×
              # method is flagged as an attractor in results/tables/motif_matches.tsv (deepmotif.attractors)
              "attractor_min_tfs": 3},
    # Scheduling only (read by the train/saliency rules' `resources:`, never by the deepmotif commands);
    # train_sizes_in_one_job: one train job per TF × architecture trains all train.sizes at once on its device.
    "resources": {"gpu": "auto", "gpu_model": None, "gres": None, "slurm_extra": None,
                  "train_sizes_in_one_job": False,
                  "train": {"runtime": 240, "mem_mb": 16000}, "interpret": {"runtime": 60, "mem_mb": 8000}},
}

SHEET_COLUMNS = ("name", "source", "train", "test", "jaspar_id", "jaspar_name", "jaspar_collection", "cell_line",
                 "peaks", "peaks_checksum", "tasks")
# Sheet columns and `data` keys only the encode source reads (left out of the other sources' rule params, so
# adding them did not rerun existing datasets).
ENCODE_COLUMNS = ("peaks", "peaks_checksum")
# Optional columns left out of a row's rule params while blank (adding them to a sheet reruns nothing).
OPTIONAL_COLUMNS = (*ENCODE_COLUMNS, "jaspar_collection", "tasks")
# Descriptive columns (config/tfs_encode_uniform.tsv): for the reader of the sheet and of the report (which
# reads the whole sheet); never rule params of the per-TF jobs (editing them reruns only the report).
DESCRIPTIVE_COLUMNS = ("lab", "experiment", "antibody", "treatment", "quality")
ENCODE_DATA_KEYS = ("windows", "split", "deepbind_top", "holdout", "negatives", "background", "on_bad_peak_line")


def merge(base: dict, override: dict) -> dict:
    """Deep merge: values in ``override`` win, nested dicts are merged key by key."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_config(path: str | Path | None) -> dict:
    """Read a YAML config and fill in defaults for every key it leaves out."""
    if path is None:
        return copy.deepcopy(DEFAULTS)
    path = Path(path)
    try:
        user = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise InputError("config file not found", path=path) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(err, 'problem', err)}", path=path,
                         line=mark.line + 1 if mark else None) from None
    if not isinstance(user, dict):
        raise InputError("config must be a mapping of keys to values", path=path)
    return merge(DEFAULTS, user)


def command_config(path: str | Path | None, settings: str | None = None) -> dict:
    """The config a ``deepmotif`` subcommand runs with: the YAML file ``path`` (or none), then ``settings``
    (``--set``: JSON of config sections, as the workflow passes a job its own sections) merged over it,
    the defaults filling in every key left out; validated."""
    config = load_config(path)
    if settings:
        try:
            config = merge(config, json.loads(settings))
        except json.JSONDecodeError as err:
            raise InputError(f"--set is not valid JSON: {err}") from None
    validate_config(config, [path] if path else [])
    return config


def read_sheet(path: str | Path) -> pd.DataFrame:
    """Read the TF sample sheet (tab-separated, one row per TF) as strings, blanks as ''."""
    path = Path(path)
    if not path.is_file():
        raise InputError("TF sheet not found", path=path)
    try:
        sheet = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except pd.errors.ParserError as err:
        raise InputError(f"not a tab-separated table: {err}", path=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("TF sheet is empty", path=path) from None
    missing = [c for c in ("name", "source") if c not in sheet.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; columns are {', '.join(SHEET_COLUMNS)}",
                         path=path, line=1)
    for col in SHEET_COLUMNS:
        if col not in sheet.columns:
            sheet[col] = ""
    return sheet


def check_sheet(sheet: pd.DataFrame, path: str | Path, release: str | None = None) -> None:
    """Semantic checks of the sheet: names unique and well-formed, known sources, input files present,
    JASPAR motif resolvable in ``release``. Raises :class:`InputError` naming the line and field."""
    if len(sheet) == 0:
        raise InputError("TF sheet has no rows", path=path)
    line_of = _data_lines(path)
    seen: dict[str, int] = {}
    for i, row in enumerate(sheet.to_dict("records")):
        line = line_of[i] if i < len(line_of) else i + 2
        name = row["name"].strip()
        if not name or any(c in name for c in " /\t") or name.startswith("."):
            raise InputError(f"TF name {name!r} must be non-empty without spaces or '/'", path=path, line=line,
                             field="name")
        if name in seen:
            raise InputError(f"duplicate TF name {name!r} (first on line {seen[name]})", path=path, line=line,
                             field="name")
        seen[name] = line
        if row["source"] not in SOURCES:
            raise InputError(f"unknown source {row['source']!r}; choose one of {', '.join(SOURCES)}", path=path,
                             line=line, field="source")
        if row["source"] in FILE_SOURCES:
            if not row["train"]:
                raise InputError(f"source {row['source']} needs a training file", path=path, line=line,
                                 field="train")
            for col in ("train", "test"):
                if row[col] and not Path(row[col]).is_file():
                    raise InputError(f"file {row[col]!r} not found", path=path, line=line, field=col)
        if row["source"] == "encode":
            _check_encode_row(row, path, line)
        if (row["source"] == "encode_multi") != bool(row["tasks"].strip()):
            raise InputError("source encode_multi needs a `tasks` column: the comma-separated names of its "
                             "encode rows" if row["source"] == "encode_multi" else
                             "a `tasks` list is only for source encode_multi", path=path, line=line, field="tasks")
        if row["source"] in PLANTED_SOURCES and not (row["jaspar_id"] or row["jaspar_name"]):
            what = " (a comma-separated list)" if row["source"] in MULTI_MOTIF_SOURCES else ""
            raise InputError(f"{row['source']} source needs a JASPAR motif to plant{what}", path=path, line=line,
                             field="jaspar_id")
        for col in ("jaspar_id", "jaspar_name"):
            if "," in row[col] and row["source"] not in MULTI_MOTIF_SOURCES:
                raise InputError(f"a list of motifs ({row[col]!r}) is only for sources "
                                 f"{' and '.join(MULTI_MOTIF_SOURCES)}", path=path, line=line, field=col)
        if release and (row["jaspar_id"] or row["jaspar_name"]):
            from deepmotif.jaspar import row_motifs

            try:
                row_motifs(release, row)
            except InputError as err:
                raise InputError(err.message, path=path, line=line, field=err.field) from None
    _check_task_rows(sheet, path, line_of)


def _check_task_rows(sheet: pd.DataFrame, path, line_of: list[int]) -> None:
    """Every encode_multi row's `tasks` names at least two distinct encode rows of the sheet."""
    from deepmotif.jaspar import split_list

    encode = set(sheet.loc[sheet["source"] == "encode", "name"].str.strip())
    for i, row in enumerate(sheet.to_dict("records")):
        if row["source"] != "encode_multi":
            continue
        tasks = split_list(row["tasks"])
        line = line_of[i] if i < len(line_of) else i + 2
        unknown = [t for t in tasks if t not in encode]
        if unknown or len(set(tasks)) != len(tasks) or len(tasks) < 2:
            why = (f"{', '.join(map(repr, unknown))} not an encode row of this sheet" if unknown
                   else "at least two distinct encode rows needed")
            raise InputError(f"tasks {row['tasks']!r}: {why}", path=path, line=line, field="tasks")


def _check_encode_row(row: dict, path, line: int) -> None:
    """An encode row needs a peak file URL (http(s)/ftp/file) or an existing path, and a well-formed checksum."""
    from deepmotif.data.fetch import local_path, parse_checksum

    url = row["peaks"].strip()
    if not url:
        raise InputError("source encode needs the URL or path of a narrowPeak file", path=path, line=line,
                         field="peaks")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme and scheme not in ("http", "https", "ftp", "file"):
        raise InputError(f"unsupported URL scheme {scheme!r} (use http, https, ftp, file or a path)", path=path,
                         line=line, field="peaks")
    local = local_path(url)
    if local is not None and not local.is_file():
        raise InputError(f"file {url!r} not found", path=path, line=line, field="peaks")
    parse_checksum(row["peaks_checksum"], path=path, line=line, field="peaks_checksum")


def _data_lines(path: str | Path) -> list[int]:
    """1-based file line of each data row (skipping the header, blank and comment lines)."""
    lines = Path(path).read_text().splitlines()
    numbered = [n for n, text in enumerate(lines, start=1) if text.strip() and not text.startswith("#")]
    return numbered[1:]


#: model settings that ``models.sizes`` scales
SCALED_KEYS = ("filters", "hidden")


def check_sizes(config: dict, sources: list[str | Path] | tuple = ()) -> None:
    """Every name in ``train.sizes`` must be a key of ``models.sizes``; raises :class:`InputError` naming the
    last of the YAML files ``sources`` that sets ``train.sizes`` (and its line) and the field."""
    known = config["models"].get("sizes") or {}
    unknown = [name for name in config["train"].get("sizes") or [] if name not in known]
    if unknown:
        path, line = locate_key(sources, ["train", "sizes"])
        raise InputError(f"unknown model size(s) {', '.join(map(repr, unknown))}; models.sizes defines "
                         f"{', '.join(known) or 'none'}", path=path, line=line, field="train.sizes")


def sized_model_params(config: dict, arch: str, size: str | None = None, path: str | Path | None = None) -> dict:
    """The model settings of ``arch`` at width variant ``size`` (a key of ``models.sizes``): ``filters`` and
    ``hidden`` multiplied by its scale, rounded, at least 1. ``size=None`` returns the settings unscaled."""
    params = model_params(config, arch, path=path)
    if size is None:
        return params
    sizes = config["models"].get("sizes") or {}
    if size not in sizes:
        raise InputError(f"unknown model size {size!r}; models.sizes defines {', '.join(sizes) or 'none'}",
                         path=path, field="models.sizes")
    scale = float(sizes[size])
    if not scale > 0:
        raise InputError(f"scale of size {size!r} must be > 0, got {sizes[size]!r}", path=path,
                         field=f"models.sizes.{size}")
    for key in SCALED_KEYS:
        if key in params:
            params[key] = max(1, int(round(params[key] * scale)))
    return params


def tf_row(config: dict, name: str, given: str | None = None) -> dict:
    """The sheet row of TF ``name`` as a dict: ``given``, the row as the workflow passes it to a job (JSON of
    its non-blank columns; so the row that triggers a rerun is the row the job uses), or else read from the
    config's sheet after the checks of :func:`check_sheet` (so a command run without Snakemake rejects a bad
    sheet just as the workflow does)."""
    if given is not None:
        try:
            row = json.loads(given)
        except json.JSONDecodeError as err:
            raise InputError(f"--row is not valid JSON: {err}") from None
        if not isinstance(row, dict):
            raise InputError("--row must be a JSON object of sheet columns")
        return {**dict.fromkeys(SHEET_COLUMNS, ""), **row, "name": name}
    sheet = read_sheet(config["tfs"])
    check_sheet(sheet, config["tfs"], config.get("jaspar", {}).get("release"))
    rows = sheet[sheet["name"] == name]
    if rows.empty:
        raise InputError(f"TF {name!r} is not in the sheet (has: {', '.join(sheet['name'])})", path=config["tfs"])
    return rows.iloc[0].to_dict()


SCHEMA = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"


def validate_config(config: dict, sources: list[str | Path] | tuple = (), schema: str | Path = SCHEMA) -> None:
    """Check ``config`` against the workflow's JSON schema; the first violation becomes one
    :class:`InputError` naming the YAML file and line that set the key (when ``sources`` has it) and
    the dotted key.

    Parameters
    ----------
    config : dict
        The merged configuration (defaults filled in).
    sources : list of path-like
        The YAML files the values came from, later ones overriding earlier ones.
    schema : path-like
        The schema (default: the package's ``config.schema.yaml``).
    """
    import jsonschema

    root = yaml.safe_load(Path(schema).read_text())  # never skipped: a missing schema is an installation fault
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(root).iter_errors(config))
    if error is None:
        return
    keys, message = _schema_error(error, "unknown key", root)
    path, line = locate_key(sources, keys)
    raise InputError(message, path=path, line=line, field=".".join(keys) or None)


def _schema_error(error, unknown: str, root: dict | None = None) -> tuple[list[str], str]:
    """The key path and message of a jsonschema error; for an unknown key, the key itself (not its parent)
    and ``unknown`` followed by the allowed keys (with those of a local ``$ref`` into ``root``)."""
    keys = [str(k) for k in error.absolute_path]
    if error.validator not in ("additionalProperties", "unevaluatedProperties"):
        return keys, error.message
    allowed = dict(error.schema.get("properties", {}))
    ref = error.schema.get("$ref", "")
    if root is not None and ref.startswith("#/$defs/"):
        allowed.update(root["$defs"][ref.rsplit("/", 1)[1]].get("properties", {}))
    keys += sorted(set(error.instance) - set(allowed))[:1]
    return keys, f"{unknown} (allowed: {', '.join(sorted(allowed))})"


def locate_key(sources, keys: list[str]) -> tuple[Path | None, int | None]:
    """The last of the YAML files ``sources`` that sets the key path ``keys``, and its line there
    ((None, None) if none does)."""
    for source in reversed([Path(s) for s in sources]):
        line = yaml_line(source, keys)
        if line is not None:
            return source, line
    return None, None


def yaml_line(path: str | Path, keys: list[str]) -> int | None:
    """1-based line of the key path ``keys`` in the YAML file ``path`` (None if it is not set there)."""
    try:
        node = yaml.compose(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if str(k.value) == key]
            if not match:
                return None
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            line = node.start_mark.line + 1
        else:
            return None
    return line


def architecture_base(config: dict, name: str, path: str | Path | None = None,
                      field: str = "architectures") -> str:
    """The model class (``cnn``, ``rnn``, ``cnnrnn``) of architecture ``name``: itself, or the ``arch`` of its
    ``models.<name>`` entry (a named variant such as ``cnn_exp: {arch: cnn, activation: exp}``). An unknown
    name is an :class:`InputError` naming ``path`` and ``field``."""
    if name in ARCHITECTURES:
        return name
    entry = (config.get("models") or {}).get(name)
    if name == "sizes" or not isinstance(entry, dict) or entry.get("arch") not in ARCHITECTURES:
        raise InputError(f"architecture {name!r} is neither one of {', '.join(ARCHITECTURES)} nor a "
                         f"models.{name} entry whose `arch` names one (e.g. models: {{{name}: {{arch: cnn, "
                         "activation: exp}})", path=path, field=field)
    return entry["arch"]


def model_params(config: dict, name: str, path: str | Path | None = None) -> dict:
    """Keyword settings of architecture ``name`` for :func:`deepmotif.models.build_model`.

    A base architecture gets ``models.<name>``; a variant gets its base's settings overridden by its own
    keys, plus ``arch`` (the base class). Settings that are None (defaults such as ``first_pool``) are left
    out, so the model's own default applies and existing checkpoints keep their parameters.
    """
    base = architecture_base(config, name, path)
    params = dict(config["models"][base])
    if name != base:
        params.update({k: v for k, v in config["models"][name].items() if k != "arch"})
        params["arch"] = base
    return {k: v for k, v in params.items() if v is not None}


#: keys of ``train`` that are not options of one model's training (:func:`deepmotif.train.fit`)
TRAIN_META = ("sizes", "per_architecture")


def train_options(config: dict, name: str, path: str | Path | None = None) -> dict:
    """Training options of architecture ``name`` for :func:`deepmotif.train.fit`: ``train``'s, overridden by
    ``train.per_architecture`` of its base architecture, then of ``name`` itself (a variant)."""
    train = config["train"]
    per_arch = train.get("per_architecture") or {}
    options = {k: v for k, v in train.items() if k not in TRAIN_META}
    for key in dict.fromkeys((architecture_base(config, name, path), name)):
        options.update(per_arch.get(key) or {})
    return options


def check_architectures(config: dict, path: str | Path | None = None, schema: str | Path | None = None) -> None:
    """Every name in ``architectures`` must be a base architecture or a ``models`` variant, and a variant's
    merged settings must pass its base's schema (``models.<base>`` of ``config.schema.yaml``); every key of
    ``train.per_architecture`` must name an architecture, and so must every name of
    ``grammar.architectures``. Raises :class:`InputError` naming ``path`` and the field."""
    import jsonschema

    for name in (config["train"].get("per_architecture") or {}):
        architecture_base(config, name, path, field=f"train.per_architecture.{name}")
    unknown = [a for a in config.get("grammar", {}).get("architectures") or [] if a not in config["architectures"]]
    if unknown:
        raise InputError(f"{', '.join(map(repr, unknown))} not among the architectures "
                         f"({', '.join(config['architectures'])})", path=path, field="grammar.architectures")

    sections = yaml.safe_load(Path(schema or SCHEMA).read_text())["properties"]["models"]["properties"]
    for name in config["architectures"]:
        base = architecture_base(config, name, path)
        if name == base or base not in sections:
            continue
        params = {k: v for k, v in model_params(config, name, path).items() if k != "arch"}
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(sections[base]).iter_errors(params))
        if error is not None:
            keys, message = _schema_error(error, f"not a setting of {base}")
            raise InputError(message, path=path, field=".".join(["models", name, *keys]))

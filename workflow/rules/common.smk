# Config and sample sheet: defaults, schema validation and semantic checks, all before any job runs.
import re
import json
import shlex
import shutil
import subprocess
import os
import sys

from snakemake.utils import validate

from deepmotif.architectures import CONV_ARCHITECTURES
from deepmotif.jaspar import split_list
from deepmotif.sources import PLANTED_SOURCES
from deepmotif.config import (
    DEFAULTS,
    DESCRIPTIVE_COLUMNS,
    OPTIONAL_COLUMNS,
    ENCODE_DATA_KEYS,
    architecture_base,
    check_architectures,
    check_sheet,
    check_sizes,
    merge,
    read_sheet,
    validate_config,
)

config.update(merge(DEFAULTS, config))
# Ours first: its error names the YAML file, line and key; Snakemake's then applies the same schema.
CONFIG_FILES = list(workflow.configfiles)  # later files override earlier ones
validate_config(config, CONFIG_FILES)
validate(config, "../schemas/config.schema.yaml")
# architecture names: cnn, rnn, cnnrnn or variants of them in `models` (e.g. cnn_exp: {arch: cnn, ...})
check_architectures(config, workflow.configfiles[-1] if workflow.configfiles else None)

SHEET = read_sheet(config["tfs"])
# Our own checks first: they name the sheet's line and field; the schema then checks the remaining types.
check_sheet(SHEET, config["tfs"], config["jaspar"]["release"])
validate(SHEET, "../schemas/tfs.schema.yaml")
TFS = list(SHEET["name"])
ARCHS = list(config["architectures"])
JASPAR_DB = "resources/jaspar/{release}_{tax}.meme".format(
    release=config["jaspar"]["release"], tax=config["jaspar"]["tax_group"]
)

# Jobs call `deepmotif`. Snakemake started from a virtual environment that is not activated
# (`.venv/bin/snakemake ...`) has that environment's scripts off PATH: add them, last, so that an activated
# or conda environment's own `deepmotif` still wins. Job processes (local or SLURM) inherit the PATH.
_SCRIPTS = os.path.dirname(sys.executable)
if shutil.which("deepmotif") is None and os.path.exists(
    os.path.join(_SCRIPTS, "deepmotif")
):
    os.environ.update(PATH=os.pathsep.join([*os.get_exec_path(), _SCRIPTS]))

# memelite compiles its Tomtom kernels with numba (~60 s); cache them once for every job.
# envs/*.yaml install the package from here (pip expands ${DEEPMOTIF_ROOT} in their requirement lines).
os.environ.setdefault(
    "DEEPMOTIF_ROOT", os.path.abspath(os.path.join(workflow.basedir, ".."))
)
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.abspath(".cache/numba"))
# How downloads are retried (config `download`) reaches `deepmotif fetch` as the fetch rules' resource
# `download`, not as a param: a changed param reruns a job, and changing retries or time-outs must never
# download a finished genome again (nor rerun everything cut from it).
DOWNLOAD_OPTIONS = " ".join(
    f"--{key.replace('_', '-')} {shlex.quote(str(value))}"
    for key, value in config["download"].items()
)

# encode rows are cut from a downloaded genome; the genome rules are only ever requested for them.
ENCODE_TFS = list(SHEET.loc[SHEET["source"] == "encode", "name"])
# encode_multi rows: the union of their `tasks` (encode rows') windows, one label per task
MULTI_TFS = list(SHEET.loc[SHEET["source"] == "encode_multi", "name"])
OTHER_TFS = [tf for tf in TFS if tf not in ENCODE_TFS + MULTI_TFS]
GENOME = {
    ext: "resources/genome/{name}.{ext}".format(name=config["genome"]["name"], ext=ext)
    for ext in (
        "fa.gz",
        "fa.gz.sha256",
        "fa",
        "fa.fai",
        "chrom.sizes",
        "blacklist.bed.gz",
        "blacklist.bed.gz.sha256",
    )
}
BLACKLIST = (
    GENOME["blacklist.bed.gz"] if config["data"]["windows"]["blacklist"] else None
)


wildcard_constraints:
    tf="|".join(map(re.escape, TFS)) if TFS else "[^/]+",
    arch="|".join(map(re.escape, config["architectures"])),


def settings(*sections, **parts):
    """Config sections as JSON for `deepmotif --set`: a rule reruns only when its own sections change.
    `parts` adds sections of which a rule needs only some keys (section=dict of them).
    """
    return json.dumps({**{key: config[key] for key in ("tfs",) + sections}, **parts})


def name_pattern(names):
    """Regex matching exactly these TF names (one that matches nothing for an empty list)."""
    return "|".join(map(re.escape, names)) if names else "(?!x)x"


def tf_row(wildcards):
    """The TF's sheet row, as a param the prepare job reads (`--row`): editing one row reruns that TF only.
    Blank optional columns (encode-only, jaspar_collection) are left out, so adding them to the sheet format
    reran no existing TF.
    """
    row = SHEET.set_index("name").loc[wildcards.tf].to_dict()
    for col in OPTIONAL_COLUMNS:
        if not row.get(col):
            row.pop(col, None)
    for col in DESCRIPTIVE_COLUMNS:
        row.pop(col, None)
    return json.dumps(row, sort_keys=True)


def tf_inputs(wildcards):
    """Input files named in the TF's row (none for synthetic data; encode rows: encode_inputs)."""
    row = SHEET.set_index("name").loc[wildcards.tf]
    return [row[col] for col in ("train", "test") if row[col]]


def encode_inputs(wildcards):
    """Named inputs of an encode (or encode_multi) TF's prepare job: the genome, and the peak file of the TF
    (of each TF of its `tasks`, in that order)."""
    row = SHEET.set_index("name").loc[wildcards.tf]
    tasks = split_list(row["tasks"]) or [wildcards.tf]
    out = {
        "genome": GENOME["fa"],
        "fai": GENOME["fa.fai"],
        "sizes": GENOME["chrom.sizes"],
        "peaks": [f"resources/peaks/{tf}.narrowPeak.gz" for tf in tasks],
    }
    if BLACKLIST:
        out["blacklist"] = BLACKLIST
    return out


def fetch_args(urls, checksum):
    """`deepmotif fetch` arguments for a URL (or mirror URLs) and an optional checksum, shell-quoted."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    args = [arg for url in urls for arg in ("--url", url)]
    if checksum:
        args += ["--checksum", checksum]
    return " ".join(shlex.quote(arg) for arg in args)


def peaks_fetch_args(wildcards):
    """`deepmotif fetch` arguments of an encode TF's peak file (sheet columns peaks, peaks_checksum)."""
    row = SHEET.set_index("name").loc[wildcards.tf]
    return fetch_args(row["peaks"], row["peaks_checksum"])


def genome_chromosome_args():
    """`deepmotif genome --chromosomes ...` for config genome.chromosomes (none = keep every record)."""
    chroms = config["genome"]["chromosomes"] or []
    return " ".join(["--chromosomes", *map(shlex.quote, chroms)]) if chroms else ""


def data_settings(encode):
    """`settings("data", "jaspar")` for a prepare job, without the `data` keys the job's source never reads:
    non-encode sources lose the encode-only keys (adding them reran no existing dataset), encode TFs the
    synthetic source's and the test file fraction (editing those reruns no download-based dataset).
    `data.synthetic.pair_rate` is left out while 0 (its default, planting as before), so adding it reran none.
    """
    data = dict(config["data"])
    for key in ("synthetic", "test_fraction") if encode else ENCODE_DATA_KEYS:
        data.pop(key, None)
    if not encode and not data["synthetic"].get("pair_rate"):
        data["synthetic"] = {
            k: v for k, v in data["synthetic"].items() if k != "pair_rate"
        }
    return json.dumps({"tfs": config["tfs"], "data": data, "jaspar": config["jaspar"]})


def gpus_per_job():
    """config resources.gpu, with `auto` resolved when a job is made (the executor is unknown while this file
    is parsed): a cluster's compute nodes hold the GPUs, not the host that submits, so a non-local executor
    (and a dry run, which cannot tell) gets 1; a local run gets 1 only where `nvidia-smi` lists a GPU, so on
    a CPU-only machine the GPU stages do not queue behind the workstation profile's single `gpu` token.
    """
    gpu = config["resources"]["gpu"]
    if gpu != "auto":
        return gpu
    if not workflow.local_exec or workflow.remote_exec or workflow.dryrun:
        return 1
    smi = shutil.which("nvidia-smi")
    listed = smi and subprocess.run([smi, "-L"], capture_output=True, text=True).stdout
    return 1 if listed and "GPU" in listed else 0


def gpu_resources(stage):
    """Resources of a GPU stage ("train" or "interpret") from config `resources`, unset (null) keys left out.

    `gpu: N` becomes `sbatch --gpus=N` (`--gpus=MODEL:N` with `gpu_model`) and, on a workstation, takes N of
    the `gpu` tokens declared by profiles/default so GPU jobs never share a GPU; `gres` replaces both for
    clusters that only know `--gres=gpu:N`; `gpu: 0` makes the stage CPU-only.
    """
    res = config["resources"]
    out = {key: value for key, value in res[stage].items() if value is not None}
    if res["gres"]:
        out["gres"] = res["gres"]
    elif res["gpu"]:
        # Resolved per job, when the executor is known (it is not yet while this file is parsed).
        out["gpu"] = lambda wildcards: gpus_per_job()
        if res["gpu_model"]:
            out["gpu_model"] = res["gpu_model"]
    if res["slurm_extra"]:
        out["slurm_extra"] = res["slurm_extra"]
    return out


# Architectures with a convolutional first layer; their first-layer filters become motifs when
# interpret.methods lists `filters` (results/<tf>/<arch>/filters.meme).
CONV_ARCHS = [
    arch for arch in ARCHS if architecture_base(config, arch) in CONV_ARCHITECTURES
]
FILTER_ARCHS = CONV_ARCHS if "filters" in config["interpret"]["methods"] else []

# Width variants of every architecture (models.sizes) that rule train trains (train.sizes); select_size keeps
# the best on validation AUROC. An unknown name stops here, naming the config file and line.
check_sizes(config, CONFIG_FILES)
SIZES = list(config["train"]["sizes"])
# Resources of the train_sizes jobs (resources.train_sizes_in_one_job) = those of one train job, with memory for
# every size's process; runtime stays, as the sizes train at once.
TRAIN_SIZES_RESOURCES = {
    key: value * len(SIZES) if key == "mem_mb" else value
    for key, value in gpu_resources("train").items()
}


def train_settings(wildcards):
    """`deepmotif train --set` of one job: the training options (but the list of sizes) and only this
    architecture's settings and this size's scale (every size's for rule train_sizes), so adding a size or
    editing another architecture reruns no finished model (with train_sizes: no other architecture's).
    """
    # a named variant (models.<name>.arch) is its base's settings plus its own: both go
    base = architecture_base(config, wildcards.arch)
    names = dict.fromkeys((base, wildcards.arch))
    train = {k: v for k, v in config["train"].items() if k != "sizes"}
    per_arch = train.get("per_architecture") or {}
    train["per_architecture"] = {
        name: per_arch[name] for name in names if name in per_arch
    }
    models = {name: config["models"][name] for name in names}
    sizes = [wildcards.size] if "size" in wildcards.keys() else SIZES
    models["sizes"] = {size: config["models"]["sizes"][size] for size in sizes}
    return json.dumps({"tfs": config["tfs"], "train": train, "models": models})

# Config and sample sheet: defaults, schema validation and semantic checks, all before any job runs.
import re
import json
import os

from snakemake.utils import validate

from deepmotif.config import DEFAULTS, check_sheet, merge, read_sheet

config.update(merge(DEFAULTS, config))
validate(config, "../schemas/config.schema.yaml")

SHEET = read_sheet(config["tfs"])
# Our own checks first: they name the sheet's line and field; the schema then checks the remaining types.
check_sheet(SHEET, config["tfs"], config["jaspar"]["release"])
validate(SHEET, "../schemas/tfs.schema.yaml")
TFS = list(SHEET["name"])
ARCHS = list(config["architectures"])
JASPAR_DB = "resources/jaspar/{release}_{tax}.meme".format(
    release=config["jaspar"]["release"], tax=config["jaspar"]["tax_group"]
)

# memelite compiles its Tomtom kernels with numba (~60 s); cache them once for every job.
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.abspath(".cache/numba"))


wildcard_constraints:
    tf="|".join(map(re.escape, TFS)) if TFS else "[^/]+",
    arch="cnn|rnn|cnnrnn",


def settings(*sections):
    """Config sections as JSON for `deepmotif --set`: a rule reruns only when its own sections change."""
    return json.dumps({key: config[key] for key in ("tfs",) + sections})


def tf_row(wildcards):
    """The TF's sheet row, as a param: editing one row reruns that TF only."""
    return json.dumps(SHEET.set_index("name").loc[wildcards.tf].to_dict(), sort_keys=True)


def tf_inputs(wildcards):
    """Input files named in the TF's row (none for synthetic data)."""
    row = SHEET.set_index("name").loc[wildcards.tf]
    return [row[col] for col in ("train", "test") if row[col]]


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
        out["gpu"] = res["gpu"]
        if res["gpu_model"]:
            out["gpu_model"] = res["gpu_model"]
    if res["slurm_extra"]:
        out["slurm_extra"] = res["slurm_extra"]
    return out

# Config and sample sheet: defaults, schema validation and semantic checks, all before any job runs.
import re
import json
import os

from snakemake.utils import validate

from deepmotif.config import DEFAULTS, check_sheet, merge, read_sheet

config.update(merge(DEFAULTS, config))
validate(config, "../schemas/config.schema.yaml")

SHEET = read_sheet(config["tfs"])
validate(SHEET, "../schemas/tfs.schema.yaml")
check_sheet(SHEET, config["tfs"], config["jaspar"]["release"])
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

"""Config and TF sheet: defaults, and one clear error naming the sheet line and field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SHARED

from deepmotif.config import check_sheet, load_config, read_sheet, validate_config
from deepmotif.errors import InputError

HEAD = "name\tsource\ttrain\ttest\tjaspar_id\tjaspar_name\tcell_line\n"


def _sheet(tmp_path, body: str):
    path = tmp_path / "tfs.tsv"
    path.write_text(HEAD + body)
    return path


@pytest.mark.parametrize("body, line, field, what", [
    ("GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\nGATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n", 3, "name",
     "duplicate TF name"),
    ("GATA1\tsynthetc\t\t\tMA0035.5\tGATA1\tK562\n", 2, "source", "unknown source"),
    ("GATA1\tsynthetic\t\t\tMA9999.1\t\tK562\n", 2, "jaspar_id", "not in JASPAR2024"),
    ("GATA1\tsynthetic\t\t\t\tNOSUCHTF\tK562\n", 2, "jaspar_name", "no JASPAR motif named"),
    ("GATA1\tdeepbind\tmissing_AC.seq.gz\t\t\tGATA1\tK562\n", 2, "train", "not found"),
    ("GATA1\tsynthetic\t\t\t\t\tK562\n", 2, "jaspar_id", "needs a JASPAR motif"),
])
def test_sheet_errors_name_line_and_field(tmp_path, body, line, field, what):
    path = _sheet(tmp_path, body)
    with pytest.raises(InputError) as err:
        check_sheet(read_sheet(path), path, "JASPAR2024")
    msg = str(err.value)
    assert f"tfs.tsv, line {line}, field '{field}'" in msg and what in msg, msg


def test_good_sheet_and_defaults(tmp_path):
    path = _sheet(tmp_path, "GATA1\tsynthetic\t\t\tMA0035.5\tGATA1\tK562\n")
    check_sheet(read_sheet(path), path, "JASPAR2024")
    cfg = load_config(None)
    assert cfg["jaspar"]["release"] == "JASPAR2024" and cfg["models"]["cnn"]["kernels"] == [9, 5, 3]


def test_bad_yaml_names_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  seq_len: 101\n   bad: [\n")
    with pytest.raises(InputError, match=r"c.yaml, line \d+: not valid YAML"):
        load_config(path)


@pytest.mark.parametrize("name", ["config.yaml", "groundtruth.yaml", "deepresolve.yaml", "deepbind_encode.yaml",
                                  "encode_hg19.yaml", "grammar.yaml"])
def test_shipped_configs_satisfy_the_schema_and_their_sheets_check(name, monkeypatch):
    """Every shipped config passes the schema, and its TF sheet the semantic checks (where the sheet's
    input files exist: the DeepBind sets live in ../shared/data)."""
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    cfg = load_config(root / "config" / name)
    validate_config(cfg, [root / "config" / name])
    sheet = read_sheet(cfg["tfs"])
    if any(sheet["train"].str.contains("shared/data")) and not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: {name}'s sheet reads DeepBind files from it")
    assert os.path.exists(cfg["tfs"])
    check_sheet(sheet, cfg["tfs"], cfg["jaspar"]["release"])


@pytest.mark.parametrize("synthetic, field", [
    ({"pair_rate": 1.5}, "data.synthetic.pair_rate"),
    ({"logic": [{"name": "t", "all": ["A", "B"], "spacing": [5]}]}, "data.synthetic.logic.0.spacing"),
    ({"logic": [{"name": "t", "all": ["A", "B"], "spacing": [-1, 5]}]}, "data.synthetic.logic.0.spacing.0"),
    ({"logic": [{"name": "t", "all": ["A", "B"], "spacing": [5, "10"]}]}, "data.synthetic.logic.0.spacing.1"),
])
def test_spacing_keys_are_checked_by_the_schema(synthetic, field):
    """data.synthetic.pair_rate (a share) and a logic task's spacing ([min, max], whole bp >= 0) pass the
    schema only in shape; min <= max and the task's two motifs are checked when the data are prepared."""
    from deepmotif.config import DEFAULTS, merge

    validate_config(merge(DEFAULTS, {"data": {"synthetic": {"pair_rate": 0.3, "logic": [
        {"name": "t", "all": ["A", "B"], "spacing": [5, 10]}]}}}))
    with pytest.raises(InputError) as err:
        validate_config(merge(DEFAULTS, {"data": {"synthetic": synthetic}}))
    assert f"field '{field}'" in str(err.value), str(err.value)


def _train_settings_of_a_dry_run(*args: str) -> dict:
    """The `--set` settings the workflow gives the CNN-RNN's training job (a forced dry run from the
    repository root, as a user types it)."""
    import json
    import re
    import shlex
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run", "--printshellcmds", "--forceall",
                           "--cores", "1", "results/GATA1/cnnrnn/sizes/medium/metrics.json", *args],
                          cwd=root, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    line = next(x for x in out.splitlines() if "deepmotif train " in x)
    words = shlex.split(line.split("deepmotif train ", 1)[1])
    assert re.fullmatch(r"\{.*\}", words[words.index("--set") + 1]), line
    return json.loads(words[words.index("--set") + 1])


def test_keys_a_users_config_leaves_out_take_the_package_defaults(tmp_path):
    """`--configfile` replaces the demo's config/config.yaml: what a user's config leaves out comes from
    deepmotif.config.DEFAULTS (as every shipped config's comment says), not from the demo's values."""
    from deepmotif.config import DEFAULTS

    demo = load_config(Path(__file__).resolve().parents[1] / "config" / "config.yaml")
    assert demo["train"]["epochs"] != DEFAULTS["train"]["epochs"]  # else this test shows nothing
    assert demo["models"]["cnnrnn"]["filters"] != DEFAULTS["models"]["cnnrnn"]["filters"]
    plain = _train_settings_of_a_dry_run()
    assert plain["train"]["epochs"] == demo["train"]["epochs"]
    assert plain["models"]["cnnrnn"]["filters"] == demo["models"]["cnnrnn"]["filters"]
    user = tmp_path / "mine.yaml"
    user.write_text("architectures: [cnnrnn]\n")
    mine = _train_settings_of_a_dry_run("--configfile", str(user))
    assert mine["train"]["epochs"] == DEFAULTS["train"]["epochs"]
    assert mine["models"]["cnnrnn"]["filters"] == DEFAULTS["models"]["cnnrnn"]["filters"]


def test_an_installed_package_validates_with_its_own_schema(tmp_path):
    """The schema ships inside the wheel (workflow/schemas links to it), so an installed deepmotif checks
    configs as the workflow does: validation is never skipped for want of the repository's workflow/."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "wheel"), str(root)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp_path / "wheel").glob("deepmotif-*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                              str(tmp_path / "site"), str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    probe = ("import deepmotif.config as c, deepmotif.errors as e\n"
             "assert c.SCHEMA.is_file() and 'site' in str(c.SCHEMA), c.SCHEMA\n"
             "try:\n    c.validate_config(c.merge(c.DEFAULTS, {'trian': {}}))\n"
             "except e.InputError as err:\n    print(err)\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    assert run.returncode == 0 and "unknown key" in run.stdout and "trian" in run.stdout, run.stdout + run.stderr

"""Workflow hygiene: `snakemake --lint` finds nothing, and snakefmt would leave every workflow file as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_snakemake_lint_is_clean():
    # As `make lint` runs it: from the repository root, with config/config.yaml.
    res = _run("snakemake", "--lint")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Congratulations, your workflow is in a good condition!" in out, out
    assert "Lints for" not in out, out


def test_snakefmt_check_passes():
    res = _run("snakefmt", "--check", "workflow")
    assert res.returncode == 0, res.stdout + res.stderr


def test_snakemake_lint_is_clean_on_the_test_config():
    # The catalogue's convention: the workflow run on .test/ (the config the workflow tests use).
    res = _run("snakemake", "--lint", "--directory", ".test", "--configfile", ".test/config/config.yaml")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Congratulations, your workflow is in a good condition!" in out, out
    assert "Lints for" not in out, out

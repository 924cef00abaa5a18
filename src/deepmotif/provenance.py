"""Provenance: beside every output a subcommand writes, a JSON record of what made it — the command line,
the full configuration, the seeds, the inputs named on the command line, and the software versions.

``results/GATA1/cnn/best.pt`` gets ``results/GATA1/cnn/provenance/best.pt.json``. One record per output
file (not per folder) so that jobs writing into the same folder in parallel never overwrite each other's
record. Outputs are registered in :mod:`deepmotif.outputs` by :func:`deepmotif.io_utils.atomic_path`, so
every atomic write is covered.

Two processes writing the same output (two users re-running one TF by hand) never leave a record that
describes the other's file: each output's rename and its record's write happen under a lock on the output's
folder (:func:`deepmotif.outputs.folder_lock`), the rename removes the record of the file it replaces, and a
process writes a record only for a file that is still the one it put there (same inode and modification
time). The last writer wins, output and record alike.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path

from deepmotif.io_utils import write_json
from deepmotif.outputs import folder_lock, record_path, still_ours, written_outputs

# Distributions whose versions decide what a run computes.
PACKAGES = ("deepmotif", "torch", "numpy", "pandas", "scipy", "scikit-learn", "biopython", "pyfaidx", "numba",
            "memelite", "pyjaspar", "logomaker", "matplotlib", "captum", "snakemake")


def versions() -> dict[str, str | None]:
    """Python and the installed versions of :data:`PACKAGES` (None where not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out["torch"] is not None:
        out["torch_cuda"] = _torch_cuda()
    return out


def _torch_cuda() -> str | None:
    """The CUDA version torch was built for, read from ``torch/version.py`` without importing torch (2 s
    that a job which never used torch, like most of the workflow's small jobs, need not pay)."""
    if "torch" in sys.modules:
        return sys.modules["torch"].version.cuda
    import importlib.util

    spec = importlib.util.find_spec("torch")
    namespace: dict = {}
    try:
        exec((Path(spec.origin).parent / "version.py").read_text(), namespace)  # noqa: S102 (torch's own file)
    except (OSError, TypeError, SyntaxError):
        return None
    return namespace.get("cuda")


def seeds(config: dict) -> dict[str, int]:
    """Every ``seed`` key in ``config``, by dotted key (``data.seed``, ``train.seed``, …)."""
    found: dict[str, int] = {}

    def walk(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                dotted = f"{prefix}.{key}" if prefix else str(key)
                if key == "seed" and isinstance(value, int):
                    found[dotted] = value
                else:
                    walk(value, dotted)

    walk(config, "")
    return found


def describe_inputs(argv: list[str], outputs: list[Path]) -> list[dict]:
    """Existing files named on the command line that are not outputs: path, size, mtime and, up to
    64 MB, sha256 (a genome is only described by size and mtime)."""
    out_set = {p.resolve() for p in outputs}
    described = []
    for arg in dict.fromkeys(argv):
        path = Path(arg)
        try:
            if not path.is_file() or path.resolve() in out_set:
                continue
            stat = path.stat()
        except (OSError, ValueError):  # an argument too long or odd to be a path
            continue
        entry = {"path": arg, "bytes": stat.st_size,
                 "modified": datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc).isoformat()}
        if stat.st_size <= 64 * 2**20:
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        described.append(entry)
    return described


def git_commit(root: str | Path | None = None) -> str | None:
    """The commit checked out in the deepmotif source tree, read from ``.git`` (no git binary needed)."""
    root = Path(root or Path(__file__).resolve().parents[2])
    head = root / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        target = root / ".git" / ref[5:]
        if target.is_file():
            return target.read_text().strip()
        for line in (root / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref[5:]):
                return line.split()[0]
    except OSError:
        return None
    return None


def record(command: str, argv: list[str], config: dict | None, outputs: list[Path], started: str) -> dict:
    """The provenance record shared by all outputs of one subcommand run."""
    return {
        "command": f"deepmotif {command}",
        "argv": argv,
        "cwd": os.getcwd(),
        "started": started,
        "finished": now(),
        "outputs": [str(p) for p in outputs],
        "inputs": describe_inputs(argv, outputs),
        "seeds": seeds(config or {}),
        "config": config,
        "versions": versions(),
        "deepmotif_commit": git_commit(),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "executable": sys.executable,
    }


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_provenance(command: str, argv: list[str], config: dict | None, started: str) -> list[Path]:
    """Write ``<folder>/provenance/<name>.json`` for every output this process wrote; returns them."""
    outputs = written_outputs()
    rec = record(command, argv, config, outputs, started)
    paths = []
    for out in outputs:
        with folder_lock(out.parent):
            if still_ours(out):  # not replaced by another run
                write_json(record_path(out), rec)
                paths.append(record_path(out))
    return paths

"""Workflow hygiene: `snakemake --lint` finds nothing, and snakefmt would leave every workflow file as it is.
Package hygiene: no deepmotif module imports, directly or through others, a module that imports it."""

from __future__ import annotations

import ast
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


def _imports(src: Path) -> dict[str, dict[str, list[int]]]:
    """Module → the deepmotif modules it imports → the lines that import them, for every module under ``src``
    (``src/deepmotif``). Imports inside functions count: they still tie the two modules together."""
    files = {}
    for path in src.rglob("*.py"):
        parts = path.relative_to(src.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, dict[str, list[int]]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        graph[module] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the package, one level up per dot after the first
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from deepmotif.x import y` imports deepmotif.x.y where y is a submodule, else deepmotif.x
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                         for alias in node.names]
            else:
                continue
            for name in names:
                while name and name not in files:  # deepmotif.x.some_name → deepmotif.x; numpy → ""
                    name = name.rpartition(".")[0]
                if name and name != module and node.lineno not in graph[module].setdefault(name, []):
                    graph[module][name].append(node.lineno)
    return graph


def _cycle(graph: dict[str, dict[str, list[int]]]) -> list[str] | None:
    """One import cycle of ``graph`` as its modules in order (the first repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the path walked, "done" once nothing it imports leads back

    def walk(path: list[str]) -> list[str] | None:
        state[path[-1]] = "open"
        for follow in sorted(graph[path[-1]]):
            if state.get(follow) == "open":
                return path[path.index(follow):] + [follow]
            if follow not in state and (found := walk([*path, follow])):
                return found
        state[path[-1]] = "done"
        return None

    return next((found for start in sorted(graph) if start not in state and (found := walk([start]))), None)


def test_no_import_cycles_among_deepmotif_modules():
    # A circle (config ↔ data/prepare ↔ jaspar, io_utils ↔ provenance, both broken) works only while every
    # import of it sits inside a function or comes late enough; data should walk one way.
    graph = _imports(ROOT / "src" / "deepmotif")
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(
        f"{a} (line {', '.join(map(str, graph[a][b]))})" for a, b in zip(cycle, cycle[1:])) + f" → {cycle[-1]}"

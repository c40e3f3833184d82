"""The tree is the architecture (docs/develop.md): small modules, no Streamlit in the library, and the
layers import-linter checks (``make lint``) named in pyproject.toml and drawn in the docs."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: No module is longer than this (a longer one is probably two modules).
MAX_LINES = 500
CODE = sorted([*(REPO / "directory").rglob("*.py"), REPO / "app.py", *(REPO / "screens").rglob("*.py")])


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_is_over_500_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_library_never_imports_streamlit():
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "directory").rglob("*.py") if "streamlit" in _imported(p)]
    assert offenders == []


def test_every_package_of_the_library_is_in_a_layer_and_in_the_docs():
    """A new package must be placed: in the layers contract (else lint-imports' exhaustive check fails)
    and in docs/develop.md's table of what each package owns."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.split("|")}
    packages = {p.parent.name for p in (REPO / "directory").glob("*/__init__.py")}
    assert packages == named
    develop = (REPO / "docs" / "develop.md").read_text(encoding="utf-8")
    assert [p for p in sorted(packages) if f"`directory/{p}/`" not in develop] == []


def test_the_layers_contract_fails_on_an_upward_import(tmp_path):
    """The contract is not vacuous: the same configuration over a copy of the tree with one upward
    import (core importing view) is broken."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(REPO / "directory", tmp_path / "directory", ignore=shutil.ignore_patterns("__pycache__", "*.csv"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    geo = tmp_path / "directory" / "core" / "geo.py"
    geo.write_text(geo.read_text() + "\n\ndef _up():\n    from ..view import text  # noqa: F401\n")
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint)], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "directory.core.geo -> directory.view.text" in run.stdout

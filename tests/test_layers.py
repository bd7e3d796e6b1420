"""Data flows one way: no layer imports a layer above it (docs/architecture.md).

Read from the source with ``ast``, imports inside functions and under
``TYPE_CHECKING`` included, so a late import cannot hide an upward edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "workspace_otel"

# Each layer, and the parts of the package it must never import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "_guards": (
        "workspace_otel._settings",
        "workspace_otel.resources",
        "workspace_otel.credentials",
        "workspace_otel._setup",
        "workspace_otel.cli",
        "workspace_otel._doctor",
    ),
    "_settings": ("workspace_otel._setup", "workspace_otel.cli", "workspace_otel._doctor"),
    "resources": ("workspace_otel._setup", "workspace_otel.cli", "workspace_otel._doctor"),
    "credentials": ("workspace_otel._setup", "workspace_otel.cli", "workspace_otel._doctor"),
    "_setup": ("workspace_otel.cli", "workspace_otel._doctor"),
}


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_one_above_it(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules found under {layer}: the scan no longer sees the package"
    upward = sorted(
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in _imported(path)
        if any(name == top or name.startswith(top + ".") for top in FORBIDDEN[layer])
    )
    assert upward == []


def test_the_root_keeps_only_the_front_and_the_shims() -> None:
    modules = sorted(path.stem for path in PACKAGE.glob("*.py"))
    assert modules == ["__init__", "__main__", "_instrument", "errors"]

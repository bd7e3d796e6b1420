"""The documentation's configuration reference is generated from the variable table."""

from __future__ import annotations

import importlib.util
import re
import types
from pathlib import Path

from workspace_otel import _env

ROOT = Path(__file__).resolve().parents[2]


def _hook() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "reference_tables", ROOT / "docs" / "_hooks" / "reference_tables.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(markdown: str) -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in markdown.splitlines():
        match = re.match(r"\| `(WORKSPACE_OTEL_[A-Z0-9_]+)` \| ([^|]*) \|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip().strip("`")
    return rows


def test_configuration_page_lists_every_variable_with_its_default() -> None:
    """The rendered page has one row per variable, with the table's default, and no extra."""
    hook = _hook()
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert hook.MARKER in page, "the configuration page must hold the generated table"
    rendered = hook.on_page_markdown(page)
    rows = _rows(rendered)
    assert set(rows) == {var.name for var in _env.VARIABLES}
    for var in _env.VARIABLES:
        assert rows[var.name] == (var.default or ""), var.name


def test_secret_variables_are_marked_secret_in_the_reference() -> None:
    """A secret variable's row says so, and no other row does."""
    rendered = _hook().variables_table()
    for var in _env.VARIABLES:
        (line,) = [row for row in rendered.splitlines() if f"`{var.name}`" in row]
        assert ("secret: never shown" in line) is var.secret, var.name


def test_no_page_hand_copies_a_variable_row() -> None:
    """Only the generated table lists the variables as table rows (no drifting copy)."""
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not _rows(text), f"{page.name} copies variable rows by hand"

"""The documentation's configuration reference is generated from the option table."""

from __future__ import annotations

import importlib.util
import re
import types
from pathlib import Path

from workspace_otel._settings import _env
from workspace_otel._settings._options import OPTIONS

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


def _pages() -> list[Path]:
    return [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]


def test_no_page_hand_copies_a_variable_row() -> None:
    """Only the generated table lists the variables as table rows (no drifting copy)."""
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        assert not _rows(text), f"{page.name} copies variable rows by hand"


def _option_rows(markdown: str) -> dict[str, list[str]]:
    """Map each row of the generated options table to its variables cell's names."""
    rows: dict[str, list[str]] = {}
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| option | variable(s)"))
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[f"{cells[0]} {cells[3]}"] = re.findall(r"`([A-Z0-9_<>]+)`", cells[1])
    return rows


def test_configuration_page_lists_every_option_with_its_variables_in_order() -> None:
    """The page's options table has one row per configure() option, variables in precedence."""
    hook = _hook()
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert hook.OPTIONS_MARKER in page, "the configuration page must hold the generated table"
    assert "| `service_name` |" not in page, "the options table is generated, not hand-written"
    rows = _option_rows(hook.on_page_markdown(page))
    settings = [option for option in OPTIONS if option.setting]
    assert len(rows) == len(settings)
    for option in settings:
        (names,) = [names for key, names in rows.items() if key.endswith(option.doc)]
        assert names == [v.replace("{SIGNAL}", "<SIGNAL>") for v in option.variables], option.key


# The troubleshooting page shows what a misspelt variable looks like.
_TYPO_EXAMPLES = {"WORKSPACE_OTEL_TOKEN_SORCE"}


def test_pages_name_only_variables_the_table_knows() -> None:
    """A variable named in the README or the docs exists (a renamed one fails here)."""
    known = {var.name for var in _env.VARIABLES}
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        named = set(re.findall(r"WORKSPACE_OTEL_[A-Z0-9_]*[A-Z0-9]", text)) - _TYPO_EXAMPLES
        assert named <= known, f"{page.name} names unknown variables: {sorted(named - known)}"

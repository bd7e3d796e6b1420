"""MkDocs hook: fill the configuration reference tables from the library's option table.

A page that holds ``<!-- workspace-otel:options -->`` gets the table of every
configure() option (argument, variables, default); one that holds
``<!-- workspace-otel:variables -->`` gets the table of every
``WORKSPACE_OTEL_*`` variable. Both are rendered from
``workspace_otel._settings._options.OPTIONS``, so the documentation cannot drift from
the code, and a test renders the same tables and compares.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- workspace-otel:variables -->"
OPTIONS_MARKER = "<!-- workspace-otel:options -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(names: Any) -> str:
    return ", ".join(f"`{n}`" for n in names)


def variables_table() -> str:
    """Return the Markdown table of every ``WORKSPACE_OTEL_*`` variable."""
    from workspace_otel._settings._env import VARIABLES

    rows = [
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for var in VARIABLES:
        default = f"`{var.default}`" if var.default is not None else ""
        meaning = _cell(var.help)
        if var.secret:
            meaning += " **(secret: never shown)**"
        rows.append(f"| `{var.name}` | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


def options_table() -> str:
    """Return the Markdown table of every configure() option: argument, variables, default."""
    from workspace_otel._settings._options import OPTIONS

    rows = [
        "| option | variable(s), first set wins | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for option in OPTIONS:
        if not option.setting:
            continue
        if option.argument == "{signal}":
            argument = "`traces` / `metrics` / `logs`"
        else:
            argument = f"`{option.argument}`" if option.argument else "none"
        variables = _code(v.replace("{SIGNAL}", "<SIGNAL>") for v in option.variables) or "none"
        if option.default_doc is not None:
            default = _cell(option.default_doc)
        else:
            default = f"`{option.default}`" if option.default is not None else "none"
        rows.append(f"| {argument} | {variables} | {default} | {_cell(option.doc)} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the markers with the generated tables."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, variables_table())
    if OPTIONS_MARKER in markdown:
        markdown = markdown.replace(OPTIONS_MARKER, options_table())
    return markdown

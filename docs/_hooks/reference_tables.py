"""MkDocs hook: fill the reference tables from the library's own tables.

A page that holds the marker ``<!-- workspace-otel:variables -->`` gets the
table of every ``WORKSPACE_OTEL_*`` variable, rendered from
``workspace_otel._env.VARIABLES``: the documentation cannot drift from the
code, and a test renders the same table and compares.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- workspace-otel:variables -->"


def variables_table() -> str:
    """Return the Markdown table of every ``WORKSPACE_OTEL_*`` variable."""
    from workspace_otel._env import VARIABLES

    rows = [
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for var in VARIABLES:
        default = f"`{var.default}`" if var.default is not None else ""
        meaning = var.help.replace("|", "\\|")
        if var.secret:
            meaning += " **(secret: never shown)**"
        rows.append(f"| `{var.name}` | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the marker with the generated table."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, variables_table())
    return markdown

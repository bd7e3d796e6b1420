"""``workspace-otel detect``: the attributes ``configure()`` would export, and their producers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from workspace_otel._guards.redaction import scrub, scrub_known
from workspace_otel.errors import ConfigurationError

RESOURCE_ATTRIBUTES_SOURCE = "env:OTEL_RESOURCE_ATTRIBUTES"
SERVICE_NAME_SOURCE = "env:OTEL_SERVICE_NAME"
# configure()'s labels for the two variables, shown as detect always showed them.
_SHOWN_SOURCES = {
    "OTEL_RESOURCE_ATTRIBUTES": RESOURCE_ATTRIBUTES_SOURCE,
    "OTEL_SERVICE_NAME": SERVICE_NAME_SOURCE,
}
# Different in every process, so not shown (the SDK's providers give each its own).
_PER_PROCESS = ("service.instance.id",)


@contextmanager
def _as_an_unnamed_program() -> Iterator[None]:
    """Let the program-name rule see an application started as ``python -c``.

    Outside a repository configure() names the service after the program that
    runs it; ``detect`` is not that program, so it shows the name an unnamed
    program (``python -c``, an interactive interpreter) gets.
    """
    saved = sys.argv
    sys.argv = ["-c"]
    try:
        yield
    finally:
        sys.argv = saved


def exported_attributes(
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, object], dict[str, str]]:
    """Return the attributes ``configure()`` would export and what produced each.

    Both come from configure()'s own functions: the settings from
    :func:`workspace_otel._settings._options.resolve` (so a malformed
    ``OTEL_RESOURCE_ATTRIBUTES`` is refused exactly as configure() refuses it)
    and the resource from :func:`workspace_otel._setup._resource.build_resource`.

    Raises:
        ConfigurationError: a variable holds an invalid value (the message names it).
    """
    from workspace_otel._settings import _options
    from workspace_otel._setup._resource import build_resource

    env = os.environ if environ is None else environ
    settings = _options.resolve(_options.Arguments(traces=False, metrics=False, logs=False), env)
    with _as_an_unnamed_program():
        resource, produced_by = build_resource(settings, env)
    attrs: dict[str, object] = {
        key: value for key, value in resource.attributes.items() if key not in _PER_PROCESS
    }
    sources = {
        key: _SHOWN_SOURCES.get(produced_by.get(key, ""), produced_by.get(key, "")) for key in attrs
    }
    return attrs, sources


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(attrs: Mapping[str, object], sources: Mapping[str, str]) -> str:
    rows = [("ATTRIBUTE", "VALUE", "SOURCE")]
    rows += [(key, _show(attrs[key]), sources.get(key, "")) for key in sorted(attrs)]
    width0 = max(len(r[0]) for r in rows)
    width1 = max(len(r[1]) for r in rows)
    lines = [f"{r[0]:<{width0}}  {r[1]:<{width1}}  {r[2]}".rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def run_detect(*, as_json: bool, out: TextIO) -> int:
    """Print the detected resource attributes; return the exit status.

    Args:
        as_json: print ``{"attributes": {...}, "sources": {...}}`` instead of a table.
        out: where to write.

    Returns:
        0, or 2 when a variable is invalid where configure() would refuse it
        (one line naming the variable and the fix goes to stderr).
    """
    from workspace_otel._setup import _baggage

    try:
        attrs, sources = exported_attributes()
        baggage = _baggage.settings_from(os.environ)
    except ConfigurationError as exc:
        print(f"workspace-otel detect: {scrub(str(exc))}", file=sys.stderr)
        return 2
    if as_json:
        out.write(
            scrub_known(
                json.dumps(
                    {
                        "attributes": dict(sorted(attrs.items())),
                        "sources": dict(sorted(sources.items())),
                    },
                    indent=2,
                )
            )
            + "\n"
        )
        return 0
    out.write(scrub_known(_table(attrs, sources)))
    if baggage.send:
        sent = [name for name in baggage.send if name in attrs]
        out.write(
            f"\nSent as W3C baggage on every outgoing request (WORKSPACE_OTEL_BAGGAGE): "
            f"{', '.join(sent) or 'none of the listed attributes is present'}\n"
        )
    if baggage.receive is not None:
        out.write(
            "Copied from incoming baggage onto spans (WORKSPACE_OTEL_BAGGAGE_TO_SPANS): "
            f"{baggage.receive.describe()}\n"
        )
    platform_keys = (k for k in attrs if not k.startswith("workspace.actor."))
    if not any(key.startswith(("workspace.", "cicd.")) for key in platform_keys):
        out.write("\nNo workspace or CI platform detected (run `workspace-otel doctor` for why).\n")
    return 0

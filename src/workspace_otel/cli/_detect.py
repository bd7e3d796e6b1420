"""``workspace-otel detect``: the attributes this process would export, and their producers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from importlib import metadata
from typing import TextIO
from urllib.parse import unquote

from workspace_otel._env_export import service_name_is_ours
from workspace_otel._guards.redaction import scrub_known
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources._attributes import SERVICE_NAME, AttrValue
from workspace_otel.resources._workspace import detect_with_sources

RESOURCE_ATTRIBUTES_SOURCE = "env:OTEL_RESOURCE_ATTRIBUTES"
SERVICE_NAME_SOURCE = "env:OTEL_SERVICE_NAME"


def _sdk_attributes() -> dict[str, AttrValue]:
    try:
        version = metadata.version("opentelemetry-sdk")
    except metadata.PackageNotFoundError:
        version = "unknown"
    from workspace_otel._version import __version__

    return {
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": version,
        # configure() exports these too (see workspace_otel._resource.build_resource)
        "telemetry.distro.name": "workspace_otel",
        "telemetry.distro.version": __version__,
    }


def parse_resource_attributes(raw: str) -> dict[str, str]:
    """Parse ``OTEL_RESOURCE_ATTRIBUTES`` the way the SDK does (bad items are skipped)."""
    parsed: dict[str, str] = {}
    for item in raw.split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if sep and key:
            parsed[key] = unquote(value.strip())
    return parsed


def resolve(
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, AttrValue], dict[str, str]]:
    """Return the final attributes and sources with the section-3 precedence applied.

    Lowest first: the SDK's ``telemetry.sdk.*``, the detectors,
    ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_SERVICE_NAME``. Without any
    ``service.name`` the SDK's ``unknown_service:<executable>`` is shown.

    Raises:
        ConfigurationError: a ``WORKSPACE_OTEL_*`` variable holds an invalid value.
    """
    env = os.environ if environ is None else environ
    attrs: dict[str, AttrValue] = _sdk_attributes()
    sources = dict.fromkeys(attrs, "sdk")
    detected, detected_sources = detect_with_sources(env)
    attrs.update(detected)
    sources.update(detected_sources)
    from workspace_otel._options import resource_attributes_from_env

    # configure()'s own reading: the same keys, and the same error for a malformed entry.
    for key, value in resource_attributes_from_env(env).items():
        attrs[key] = value
        sources[key] = RESOURCE_ATTRIBUTES_SOURCE
    service_name = env.get("OTEL_SERVICE_NAME", "")
    if service_name and not service_name_is_ours(env):
        attrs[SERVICE_NAME] = service_name
        sources[SERVICE_NAME] = SERVICE_NAME_SOURCE
    if not attrs.get(SERVICE_NAME):
        executable = os.path.basename(sys.executable) if sys.executable else ""
        attrs[SERVICE_NAME] = f"unknown_service:{executable}" if executable else "unknown_service"
        sources[SERVICE_NAME] = "sdk"
    return attrs, sources


def _show(value: AttrValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(attrs: Mapping[str, AttrValue], sources: Mapping[str, str]) -> str:
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
        0, or 2 when a ``WORKSPACE_OTEL_*`` variable is invalid (the message,
        naming the variable and the fix, goes to stderr).
    """
    from workspace_otel import _baggage

    try:
        attrs, sources = resolve()
        baggage = _baggage.settings_from(os.environ)
    except ConfigurationError as exc:
        print(f"workspace-otel detect: {exc}", file=sys.stderr)
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

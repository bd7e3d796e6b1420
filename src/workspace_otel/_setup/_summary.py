"""The one-line start-up summary and the console hint. Never a secret.

The summary names the platform, where each signal goes (scheme, host and port
only: no path, query or user info), the token source *kind* and the header
name; never a token, a URL path or a client id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from workspace_otel._settings._options import Settings, Signal, endpoint_display

HINT = (
    "[workspace_otel] no OTLP endpoint configured: telemetry is printed here. To export it, "
    "set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. https://collector.example:4318) or "
    "WORKSPACE_OTEL_BACKEND=lightstep; WORKSPACE_OTEL_BACKEND=console keeps console output "
    "without this hint."
)


def summary_line(
    settings: Settings,
    resource_attributes: Mapping[str, Any],
    *,
    origin: str,
    installed: Mapping[str, bool],
) -> str:
    """Return the INFO line logged once at start."""
    platform = resource_attributes.get("workspace.provider") or "none"
    parts = [
        f"workspace_otel configured ({origin}):",
        f"platform={platform}",
        f"service.name={resource_attributes.get('service.name', '')}",
    ]
    destinations: dict[str, list[str]] = {}
    for sig in (settings.traces, settings.metrics, settings.logs):
        for name in sig.exporters.value:
            if name.startswith("otlp"):
                where = f"{endpoint_display(sig.endpoint.value)} ({sig.protocol.value})"
            else:
                where = name
            destinations.setdefault(where, []).append(sig.signal)
    if destinations:
        parts.append(
            "signals="
            + "; ".join(f"{'+'.join(sigs)} -> {where}" for where, sigs in destinations.items())
        )
    else:
        parts.append("signals=none")
    source = settings.credentials.value
    parts.append(f"token={source.kind if source is not None else 'none'}")
    if source is not None:
        parts.append(f"header={settings.token_header.value}")
    not_global = [
        s for s, ok in installed.items() if not ok and settings.signal(cast(Signal, s)).enabled
    ]
    if not_global:
        parts.append("not-global=" + ",".join(not_global))
    return " ".join(parts)

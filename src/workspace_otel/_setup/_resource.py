"""Build the resource in the documented precedence (docs/attributes.md), noting who set each.

Lowest first: the SDK's ``telemetry.*`` attributes, the detectors (workspace +
git by default, plus any named in ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``),
``OTEL_RESOURCE_ATTRIBUTES``, ``configure(resource_attributes=...)``, then
``OTEL_SERVICE_NAME`` / ``configure(service_name=...)``. When nobody set
``service.name`` the repository name (from the workspace detector) is used,
else the program's name: never ``unknown_service``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workspace_otel import __version__
from workspace_otel._settings._options._provenance import Origin
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource, ResourceDetector

    from workspace_otel._settings._options import Settings

_logger = logging.getLogger("workspace_otel")

_DETECTOR_GROUP = "opentelemetry_resource_detector"
_OURS = ("workspace", "workspace_platform", "workspace_git")


def _program_name() -> str:
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if not argv0 or argv0 in ("-c", "-m", "-"):
        return "python"
    path = Path(argv0)
    stem = path.stem
    if stem in ("__main__", "__init__"):
        stem = path.parent.name or "python"
    return stem or "python"


def _load_detector(name: str, environ: Mapping[str, str]) -> ResourceDetector:
    found = list(entry_points(group=_DETECTOR_GROUP, name=name))
    if not found:
        raise ConfigurationError(
            f"resource detector {name!r} is not installed (entry point group "
            f"{_DETECTOR_GROUP}); check OTEL_EXPERIMENTAL_RESOURCE_DETECTORS or "
            "configure(detectors=...)"
        )
    factory = found[0].load()
    if name in _OURS:
        detector: ResourceDetector = factory(environ=environ)
    else:
        detector = factory()
    return detector


def _detector_list(settings: Settings, environ: Mapping[str, str]) -> list[ResourceDetector | str]:
    if settings.detectors.value is not None:
        return list(settings.detectors.value)
    names: list[ResourceDetector | str] = ["workspace"]
    extra = environ.get("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "")
    for name in (n.strip() for n in extra.split(",")):
        # "otel" is the SDK's environment detector: its variables are applied below.
        if name and name != "otel" and name not in names:
            names.append(name)
    if any(n in ("workspace_platform", "workspace_git") for n in names):
        names.remove("workspace")
    return names


def _detect(detector: ResourceDetector, label: str) -> Mapping[str, Any]:
    try:
        return dict(detector.detect().attributes)
    except Exception:
        if getattr(detector, "raise_on_error", False):
            raise
        _logger.warning("resource detector %s failed; its attributes are missing", label)
        _logger.debug("resource detector %s failure", label, exc_info=True)
        return {}


def service_instance_id() -> str:
    """Return this process's ``service.instance.id`` (a random UUID, new after a fork).

    The SDK's ``ServiceInstanceIdResourceDetector`` (SDK >= 1.45, the lowest
    version this package allows) makes it, so the value equals the one the
    SDK's providers use after a fork.
    """
    from opentelemetry.sdk.resources import (  # type: ignore[attr-defined,unused-ignore]
        ServiceInstanceIdResourceDetector,
    )

    return str(ServiceInstanceIdResourceDetector().detect().attributes["service.instance.id"])


def build_resource(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    auto_version: str | None = None,
) -> tuple[Resource, dict[str, str]]:
    """Return the resource and, per attribute, the name of what produced it.

    Raises:
        ConfigurationError: a named detector is not installed.
    """
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.version import __version__ as sdk_version

    from workspace_otel.resources._attributes import clean_value

    attrs: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def layer(values: Mapping[str, Any], source: str | Mapping[str, str]) -> None:
        for key, value in values.items():
            attrs[key] = clean_value(value)  # every source passes here
            sources[key] = source if isinstance(source, str) else source.get(key, "detector")

    layer(
        {
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": sdk_version,
            "telemetry.distro.name": "workspace_otel",
            "telemetry.distro.version": __version__,
        },
        "sdk",
    )
    if auto_version:
        layer({"telemetry.auto.version": auto_version}, "opentelemetry-instrument")
    # One per process, as the SDK's own Resource.create gives; detectors and
    # OTEL_RESOURCE_ATTRIBUTES may override it. The SDK's providers replace it
    # in a forked child (SDK >= 1.45, process-dependent detectors).
    layer({"service.instance.id": service_instance_id()}, "sdk")

    for item in _detector_list(settings, environ):
        if isinstance(item, str):
            if item == "workspace":
                detected, producers = _workspace_with_sources(environ)
                layer(detected, producers)
                continue
            detector = _load_detector(item, environ)
            label = item
        else:
            detector, label = item, type(item).__name__
        layer(_detect(detector, label), label)

    layer(settings.env_resource_attributes.value, "OTEL_RESOURCE_ATTRIBUTES")
    layer(settings.resource_attributes.value, "configure(resource_attributes)")
    if settings.service_name.value:
        src = settings.service_name.source
        layer(
            {"service.name": settings.service_name.value},
            "configure(service_name)" if src.kind is Origin.ARGUMENT else src,
        )
    if not attrs.get("service.name") or str(attrs["service.name"]).startswith("unknown_service"):
        layer({"service.name": _program_name()}, "program name (no repository name)")
    return Resource(attrs), sources


def _workspace_with_sources(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the workspace detectors, keeping the producer of each attribute."""
    from workspace_otel.resources import detect_with_sources

    try:
        attrs, producers = detect_with_sources(environ=environ)
    except ConfigurationError:
        raise  # an invalid WORKSPACE_OTEL_* value is refused, never dropped silently
    except Exception:
        _logger.warning("workspace resource detection failed; workspace attributes are missing")
        _logger.debug("workspace detection failure", exc_info=True)
        return {}, {}
    return dict(attrs), {k: str(v) for k, v in producers.items()}

"""configure() with ``OTEL_CONFIG_FILE``: the SDK's declarative configuration file wins.

When the variable names a file, the providers, resource (workspace_otel's
detectors are entry points, so ``detection/development`` lists them with their
options), exporters and propagators come from that file through the
``opentelemetry-configuration`` package, exactly as ``opentelemetry-instrument``
applies it; workspace_otel's own environment settings are not applied on top.
The returned handle holds the providers the file installed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from workspace_otel._guards.redaction import scrub
from workspace_otel._settings._options._provenance import CONFIG_FILE_VARIABLE
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from workspace_otel._settings._options import Settings
    from workspace_otel._setup._configure import Telemetry

__all__ = ["VARIABLE", "configure_from_file"]

_logger = logging.getLogger("workspace_otel")
VARIABLE = CONFIG_FILE_VARIABLE


def configure_from_file(path: str, settings: Settings, origin: str) -> Telemetry:
    """Apply the declarative configuration in ``path`` and describe what it installed.

    Raises:
        ConfigurationError: the package is missing, or the file cannot be read,
            parsed or validated (the message names ``OTEL_CONFIG_FILE``).
    """
    try:
        from opentelemetry.configuration import (  # type: ignore[import-not-found,unused-ignore]
            configure_sdk,
            load_config_file,
        )
    except ImportError:
        raise ConfigurationError(
            f"{VARIABLE} is set, but the SDK's file configuration is not installed: "
            "pip install 'workspace-otel[declarative]', or unset "
            f"{VARIABLE} to configure from environment variables"
        ) from None
    try:
        config = load_config_file(path)
        configure_sdk(config)
    except Exception as exc:  # noqa: BLE001 - the package raises its own errors and OSError
        # The file may hold header values: the reason is scrubbed and cut.
        reason = scrub(str(exc), limit=300)
        raise ConfigurationError(
            f"{VARIABLE}={path}: {type(exc).__name__}: {reason}; fix the file or unset {VARIABLE}"
        ) from None
    return _handle(path, settings, origin)


def _handle(path: str, settings: Settings, origin: str) -> Telemetry:
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider
    from opentelemetry.sdk.resources import Resource

    from workspace_otel._setup._configure import Telemetry

    tracer_provider: Any = trace.get_tracer_provider()
    logger_provider: Any = get_logger_provider()
    resource = getattr(tracer_provider, "resource", None) or Resource.get_empty()
    summary = f"workspace_otel configured from {VARIABLE}={path} ({origin})"
    _logger.info("%s", summary)
    return Telemetry(
        resource=resource,
        tracer_provider=tracer_provider,
        meter_provider=metrics.get_meter_provider(),
        logger_provider=logger_provider if hasattr(logger_provider, "force_flush") else None,
        settings=settings,
        installed={"traces": True, "metrics": True, "logs": True},
        summary=summary,
        origin=origin,
    )

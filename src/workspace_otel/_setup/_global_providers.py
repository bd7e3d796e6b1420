"""Which global providers and propagators configure() installs.

A provider that other code installed globally is never replaced: the signal
is left to it and one warning says how to choose. The propagators named by
``OTEL_PROPAGATORS`` (or ``configure(propagators=...)``) are loaded from
their entry points.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TYPE_CHECKING, Any

from workspace_otel.errors import WorkspaceOtelWarning

if TYPE_CHECKING:
    from workspace_otel._settings._options import Settings

__all__ = ["install_globals", "propagator_may_be_ours"]

_logger = logging.getLogger("workspace_otel")


def propagator_may_be_ours() -> bool:
    """Whether a propagator wrapper of ours (the baggage rules') may be the global one.

    It can only have been installed through ``opentelemetry.propagate``; while
    nothing imported that module, there is nothing to replace or remove.
    """
    return "opentelemetry.propagate" in sys.modules


def _foreign(signal: str) -> str | None:
    """Return the class name of a provider someone else installed globally, if any."""
    try:
        if signal == "traces":
            from opentelemetry import trace

            current: Any = trace.get_tracer_provider()
            return (
                None if isinstance(current, trace.ProxyTracerProvider) else type(current).__name__
            )
        if signal == "metrics":
            from opentelemetry.metrics import _internal as metrics_internal

            current = metrics_internal.get_meter_provider()
            proxy = metrics_internal._ProxyMeterProvider
            return None if isinstance(current, proxy) else type(current).__name__
        from opentelemetry._logs import _internal as logs_internal

        current = logs_internal.get_logger_provider()
        return (
            None
            if isinstance(current, logs_internal.ProxyLoggerProvider)
            else type(current).__name__
        )
    except Exception:
        _logger.debug("could not inspect the global %s provider", signal, exc_info=True)
        return None


def install_globals(
    settings: Settings,
    tracer_provider: Any,
    meter_provider: Any,
    logger_provider: Any,
    log_handler: logging.Handler | None,
) -> dict[str, bool]:
    installed = {"traces": False, "metrics": False, "logs": False}
    if not settings.set_global.value:
        return installed
    from opentelemetry import metrics, trace

    taken: list[str] = []
    for signal, enabled in (
        ("traces", settings.traces.enabled),
        ("metrics", settings.metrics.enabled),
        ("logs", settings.logs.enabled),
    ):
        if not enabled:
            continue
        other = _foreign(signal)
        if other is not None:
            taken.append(f"{signal} ({other})")
            continue
        if signal == "traces":
            trace.set_tracer_provider(tracer_provider)
        elif signal == "metrics":
            metrics.set_meter_provider(meter_provider)
        else:
            from opentelemetry._logs import set_logger_provider

            set_logger_provider(logger_provider)
            if log_handler is not None:
                logging.getLogger().addHandler(log_handler)
        installed[signal] = True
    if taken:
        warnings.warn(
            "workspace_otel did not replace the global provider(s) already installed by other "
            f"code: {', '.join(taken)}. Telemetry from those stays with them and is not exported "
            "by workspace_otel. To choose: call workspace_otel.configure() before the other "
            "setup, or pass set_global=False and use telemetry.tracer_provider / "
            "meter_provider explicitly, or add telemetry.span_processors to the existing "
            "TracerProvider (provider.add_span_processor(p)).",
            WorkspaceOtelWarning,
            stacklevel=5,
        )
    if settings.propagators.value is not None:
        from opentelemetry.propagate import set_global_textmap

        set_global_textmap(_propagator(settings.propagators.value))
    return installed


def _propagator(value: Any) -> Any:
    if not isinstance(value, tuple):
        return value
    from importlib.metadata import entry_points

    from opentelemetry.propagators.composite import CompositePropagator

    found = []
    for name in value:
        if name == "none":
            continue
        found.append(next(iter(entry_points(group="opentelemetry_propagator", name=name))).load()())
    return CompositePropagator(found)

"""``opentelemetry-instrument`` integration: the distro and the configurator.

``opentelemetry-instrument`` (``opentelemetry.instrumentation.auto_instrumentation``)
first loads ONE distro from the ``opentelemetry_distro`` entry points (the one
named by ``OTEL_PYTHON_DISTRO``, else the first found) and calls its
``configure()``; then it walks the ``opentelemetry_configurator`` entry points
and runs ONE configurator (named by ``OTEL_PYTHON_CONFIGURATOR``, else the
first found), logging a warning for the others; then it loads the
instrumentors. Exceptions there are logged and swallowed.

* :class:`WorkspaceOtelDistro` only sets environment defaults (``setdefault``,
  like ``opentelemetry-distro``) and says when another configurator is about
  to win.
* :class:`WorkspaceOtelConfigurator` subclasses the SDK's private
  ``_OTelSDKConfigurator`` and runs the same code as :func:`workspace_otel.configure`
  from the environment alone; it says when another distro won.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator

from workspace_otel.errors import ConfigurationError

__all__ = ["WorkspaceOtelConfigurator", "WorkspaceOtelDistro"]

_logger = logging.getLogger("workspace_otel")

NAME = "workspace_otel"

# The defaults the distro sets; they equal configure()'s own defaults, so the
# configurator ignores the ones it set itself (provenance stays "default").
DISTRO_DEFAULTS = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "otlp",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}
_SET_BY_DISTRO: set[str] = set()


def _winner(group: str, variable: str) -> str | None:
    """Return the entry-point name opentelemetry-instrument will pick in ``group``."""
    chosen = os.environ.get(variable)
    names = [ep.name for ep in entry_points(group=group)]
    if chosen is not None:
        return chosen if chosen in names else None
    return names[0] if names else None


class WorkspaceOtelDistro(BaseDistro):  # type: ignore[misc]
    """Distro for ``opentelemetry-instrument``: environment defaults only."""

    def _configure(self, **kwargs: Any) -> None:
        for variable, value in DISTRO_DEFAULTS.items():
            if variable not in os.environ:
                os.environ[variable] = value
                _SET_BY_DISTRO.add(variable)
        winner = _winner("opentelemetry_configurator", "OTEL_PYTHON_CONFIGURATOR")
        if winner == NAME:
            return
        explicit = os.environ.get("OTEL_PYTHON_CONFIGURATOR")
        if explicit:
            _logger.info(
                "workspace_otel: OTEL_PYTHON_CONFIGURATOR=%s configures the SDK, "
                "not workspace_otel",
                explicit,
            )
        else:
            _logger.warning(
                "workspace_otel: opentelemetry-instrument will run the %r configurator, not "
                "workspace_otel's: no workspace resource or token refresh. Set "
                "OTEL_PYTHON_CONFIGURATOR=workspace_otel to use workspace_otel.",
                winner,
            )
        self._help_other_configurator()

    @staticmethod
    def _help_other_configurator() -> None:
        """Point another configurator's OTLP/HTTP exporters at our credential provider."""
        try:
            from workspace_otel.credentials import token_source_from_env

            if token_source_from_env() is None:
                return
        except Exception:
            _logger.debug("token source check failed", exc_info=True)
            return
        os.environ.setdefault(
            "OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER", "workspace_otel_http"
        )
        os.environ.setdefault(
            "OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER", "workspace_otel_grpc"
        )


def _check_distro() -> None:
    if WorkspaceOtelDistro._instance is not None:
        return
    winner = _winner("opentelemetry_distro", "OTEL_PYTHON_DISTRO")
    if winner is None or winner == NAME:
        return
    _logger.warning(
        "workspace_otel: opentelemetry-instrument loaded the %r distro instead of "
        "workspace_otel's; its environment defaults apply (check OTEL_EXPORTER_OTLP_PROTOCOL "
        "and OTEL_LOGS_EXPORTER in the summary). Set OTEL_PYTHON_DISTRO=workspace_otel to "
        "use workspace_otel's.",
        winner,
    )


class WorkspaceOtelConfigurator(_OTelSDKConfigurator):
    """Configurator for ``opentelemetry-instrument``: the same code path as configure()."""

    def _configure(self, **kwargs: Any) -> None:
        if os.environ.get("OTEL_CONFIG_FILE"):
            _logger.info(
                "workspace_otel: OTEL_CONFIG_FILE is set; the SDK's file configuration runs"
            )
            super()._configure(**kwargs)  # type: ignore[no-untyped-call]
            return
        _check_distro()
        from workspace_otel._configure import _configure
        from workspace_otel._options import Arguments

        environ = {k: v for k, v in os.environ.items() if k not in _SET_BY_DISTRO}
        try:
            _configure(
                Arguments(),
                environ,
                origin="opentelemetry-instrument",
                auto_version=kwargs.get("auto_instrumentation_version"),
            )
        except ConfigurationError as exc:
            _logger.error("workspace_otel: telemetry is NOT configured: %s", exc)

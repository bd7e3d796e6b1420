"""``opentelemetry-instrument`` integration: the distro and the configurator.

``opentelemetry-instrument`` (``opentelemetry.instrumentation.auto_instrumentation``)
first loads ONE distro from the ``opentelemetry_distro`` entry points (the one
named by ``OTEL_PYTHON_DISTRO``, else the first found) and calls its
``configure()``; then it walks the ``opentelemetry_configurator`` entry points
and runs ONE configurator (named by ``OTEL_PYTHON_CONFIGURATOR``, else the
first found), logging a warning for the others; then it loads the
instrumentors. Exceptions there are logged and swallowed.

* :class:`WorkspaceOtelDistro` only sets environment defaults (``setdefault``,
  like ``opentelemetry-distro``), including ``OTEL_PYTHON_CONFIGURATOR`` so
  its own configurator runs whatever the entry-point order.
* :class:`WorkspaceOtelConfigurator` subclasses the SDK's private
  ``_OTelSDKConfigurator`` and runs the same code as :func:`workspace_otel.configure`
  from the environment alone; it says when another distro won.
* :func:`report_other_setup` (an ``opentelemetry_pre_instrument`` hook) says
  when another distribution's distro and configurator both ran instead.

Whatever happens, at most one warning names ``OTEL_PYTHON_DISTRO`` and
``OTEL_PYTHON_CONFIGURATOR``.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator

from workspace_otel.errors import ConfigurationError

__all__ = ["WorkspaceOtelConfigurator", "WorkspaceOtelDistro", "report_other_setup"]

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


_FIX = (
    "Set OTEL_PYTHON_DISTRO=workspace_otel and OTEL_PYTHON_CONFIGURATOR=workspace_otel to use "
    "workspace_otel (or unset both and uninstall the other distro)"
)
_state = {"configurator_ran": False, "warned": False}
_LAUNCHER_LOGGER = "opentelemetry.instrumentation.auto_instrumentation._load"


def _warn_once(message: str, *args: object) -> None:
    """The one warning about the launcher's choice (distro, configurator and the hook agree)."""
    if _state["warned"]:
        return
    _state["warned"] = True
    _logger.warning(message, *args)


class _DropOurOwnChoice(logging.Filter):
    """Hides the launcher's notice that it skipped another configurator for ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (
            str(record.msg).startswith("Configuration of %s not loaded")
            and len(args) >= 2
            and args[1] == NAME
        )


class WorkspaceOtelDistro(BaseDistro):  # type: ignore[misc]
    """Distro for ``opentelemetry-instrument``: environment defaults, and our configurator.

    When ``OTEL_PYTHON_CONFIGURATOR`` is unset it is set to ``workspace_otel``:
    whatever order the installed distributions are found in, the configurator
    that matches these defaults runs, and only one configurator runs.
    """

    def _configure(self, **kwargs: Any) -> None:
        for variable, value in DISTRO_DEFAULTS.items():
            if variable not in os.environ:
                os.environ[variable] = value
                _SET_BY_DISTRO.add(variable)
        chosen = os.environ.get("OTEL_PYTHON_CONFIGURATOR", "").strip()
        if not chosen:
            os.environ["OTEL_PYTHON_CONFIGURATOR"] = NAME
            logging.getLogger(_LAUNCHER_LOGGER).addFilter(_DropOurOwnChoice())
            return
        if chosen == NAME:
            return
        _warn_once(
            "workspace_otel: OTEL_PYTHON_CONFIGURATOR=%s: opentelemetry-instrument runs that "
            "configurator, not workspace_otel's (no workspace resource or token refresh). %s.",
            chosen,
            _FIX,
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
    _warn_once(
        "workspace_otel: opentelemetry-instrument loaded the %r distro instead of "
        "workspace_otel's; its environment defaults apply (check OTEL_EXPORTER_OTLP_PROTOCOL "
        "and OTEL_LOGS_EXPORTER in the summary). %s.",
        winner,
        _FIX,
    )


def report_other_setup() -> None:
    """``opentelemetry_pre_instrument`` hook: say so when another distro set everything up.

    It runs after the configurator; when ours did not run (another distribution
    was found first and neither variable chose ours), this is the one warning.
    """
    if _state["configurator_ran"]:
        return
    distro = _winner("opentelemetry_distro", "OTEL_PYTHON_DISTRO")
    configurator = _winner("opentelemetry_configurator", "OTEL_PYTHON_CONFIGURATOR")
    _warn_once(
        "workspace_otel: opentelemetry-instrument ran the %r distro and the %r configurator, "
        "not workspace_otel's: no workspace resource or token refresh. %s.",
        distro,
        configurator,
        _FIX,
    )


class WorkspaceOtelConfigurator(_OTelSDKConfigurator):
    """Configurator for ``opentelemetry-instrument``: the same code path as configure()."""

    def _configure(self, **kwargs: Any) -> None:
        _state["configurator_ran"] = True
        from workspace_otel._settings._options._provenance import config_file

        if config_file(os.environ) is not None:  # the same rule as configure()'s
            _logger.info(
                "workspace_otel: OTEL_CONFIG_FILE is set; the SDK's file configuration runs"
            )
            super()._configure(**kwargs)  # type: ignore[no-untyped-call]
            return
        _check_distro()
        from workspace_otel._settings._options import Arguments
        from workspace_otel._setup._configure import _configure

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

"""Bridge the standard ``logging`` module to the LoggerProvider without changing what prints.

:class:`OtelLogHandler` is attached to the root logger (never
``logging.basicConfig``, never a level change). Attaching any handler to the
root logger silently switches off Python's "last resort" handler, which is
what prints warnings when an application configured no logging at all; the
handler therefore hands such records to ``logging.lastResort`` itself, exactly
when the standard library would have, so console output neither disappears
nor doubles. Records from OpenTelemetry, workspace_otel and the HTTP stack
used by the exporters are not exported (no feedback loop).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.context import get_current

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import LoggerProvider

_SKIP_PREFIXES = ("opentelemetry", "workspace_otel", "urllib3", "requests", "grpc")

_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)


def _severity(levelno: int) -> SeverityNumber:
    if levelno >= logging.CRITICAL:
        return SeverityNumber.FATAL
    if levelno >= logging.ERROR:
        return SeverityNumber.ERROR
    if levelno >= logging.WARNING:
        return SeverityNumber.WARN
    if levelno >= logging.INFO:
        return SeverityNumber.INFO
    if levelno >= logging.DEBUG:
        return SeverityNumber.DEBUG
    return SeverityNumber.UNSPECIFIED


def _skipped(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in _SKIP_PREFIXES)


class OtelLogHandler(logging.Handler):
    """A logging handler that emits records through a LoggerProvider.

    Args:
        provider: the SDK LoggerProvider.
        level: minimum level exported (default NOTSET: whatever reaches the
            root logger, which keeps the application's own level settings).
    """

    def __init__(self, provider: LoggerProvider, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._provider = provider

    def emit(self, record: logging.LogRecord) -> None:
        """Export ``record``, then print it via the last-resort handler if nothing else would."""
        try:
            self._keep_last_resort(record)
            if _skipped(record.name):
                return
            logger = self._provider.get_logger(record.name)
            attributes: dict[str, Any] = {
                k: v
                for k, v in vars(record).items()
                if k not in _RESERVED and isinstance(v, (str, bool, int, float))
            }
            attributes["code.file.path"] = record.pathname
            attributes["code.function.name"] = record.funcName
            attributes["code.line.number"] = record.lineno
            if record.exc_info and record.exc_info[0] is not None:
                attributes["exception.type"] = record.exc_info[0].__name__
            logger.emit(
                LogRecord(
                    timestamp=int(record.created * 1e9),
                    observed_timestamp=time.time_ns(),
                    context=get_current(),
                    severity_text="WARN" if record.levelname == "WARNING" else record.levelname,
                    severity_number=_severity(record.levelno),
                    body=record.getMessage(),
                    attributes=attributes,
                )
            )
        except Exception:  # noqa: BLE001 - logging must never raise into the application
            self.handleError(record)

    def _keep_last_resort(self, record: logging.LogRecord) -> None:
        """Print ``record`` through ``logging.lastResort`` when plain logging would have.

        The standard library falls back to ``lastResort`` only when no handler
        at all sits on the record's way up, whatever the handlers' levels: an
        ERROR-level handler silences a WARNING for good. The same count is made
        here, leaving this handler out.
        """
        last = logging.lastResort
        if last is None or record.levelno < last.level:
            return
        logger: logging.Logger | None = (
            logging.getLogger() if record.name == "root" else logging.getLogger(record.name)
        )
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return
            if not logger.propagate:
                break
            logger = logger.parent
        last.handle(record)

    def flush(self) -> None:
        """Nothing to do: the provider's processors flush on their own schedule."""

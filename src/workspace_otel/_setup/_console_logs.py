"""The console log exporter, apart so the logs SDK is imported only when logs are on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.trace import format_trace_id

from workspace_otel._setup._console import ConsolePrinter, _value

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import ReadableLogRecord

__all__ = ["ConsoleLogExporter"]


def _root_prints_logs() -> bool:
    """Whether the application's own logging already writes to a terminal stream."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            return True
    return False


class ConsoleLogExporter(LogRecordExporter):
    """Log exporter printing one compact line per record.

    Records are not printed when the application's root logger already has a
    stream handler: its own output shows them, and printing again would
    duplicate every line.
    """

    def __init__(
        self, printer: ConsolePrinter, prints_already: Callable[[], bool] = _root_prints_logs
    ) -> None:
        self._printer = printer
        self._prints_already = prints_already

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        """Print the records (unless the app prints them itself); never raises."""
        try:
            if self._prints_already():
                return LogRecordExportResult.SUCCESS
            lines = []
            resource = None
            for item in batch:
                record = item.log_record
                resource = item.resource
                ts = ""
                if record.timestamp:
                    ts = datetime.fromtimestamp(record.timestamp / 1e9, tz=timezone.utc).strftime(
                        "%H:%M:%S.%f"
                    )[:-3]
                trace = (
                    f"  trace={format_trace_id(record.trace_id)[:8]}…" if record.trace_id else ""
                )
                lines.append(
                    f"[log]  {ts} {record.severity_text or ''} {_value(record.body)}{trace}"
                )
            self._printer.write(lines, resource)
        except Exception:
            logging.getLogger("workspace_otel").debug("console export failed", exc_info=True)
            return LogRecordExportResult.FAILURE
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered."""
        return True

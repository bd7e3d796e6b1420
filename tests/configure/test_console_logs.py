"""configure(backend="console", logs=True): log records printed once, compactly, never twice."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace

import workspace_otel
from workspace_otel._setup._console import ConsolePrinter
from workspace_otel._setup._console_logs import ConsoleLogExporter


@pytest.fixture
def bare_root() -> Iterator[logging.Logger]:
    """The root logger without handlers (as in an app that configured no logging)."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    root.handlers = []
    root.setLevel(logging.INFO)
    yield root
    root.handlers[:] = saved
    root.setLevel(level)


def _configure_and_log(message: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Configure the console backend with logs, log ``message`` in a span; (stderr, trace id)."""
    telemetry = workspace_otel.configure(backend="console", logs=True, metrics=False)
    try:
        capsys.readouterr()
        with trace.get_tracer("t").start_as_current_span("work") as span:
            logging.getLogger("app.console_logs").warning(message)
            trace_id = format(span.get_span_context().trace_id, "032x")
        assert telemetry.force_flush()
    finally:
        telemetry.shutdown()
    return capsys.readouterr().err, trace_id


def test_a_warning_is_printed_once_with_its_trace(
    bare_root: logging.Logger, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No handler of the app's: the record shows as one [log] line naming its trace."""
    bare_root.handlers = []  # pytest adds its capture handlers for the call phase
    monkeypatch.setattr(logging, "lastResort", None)  # only the exporter may print it
    text, trace_id = _configure_and_log("disk\nalmost full", capsys)
    lines = [line for line in text.splitlines() if line.startswith("[log]")]
    assert len(lines) == 1, text
    assert "WARN" in lines[0]
    assert "disk\\nalmost full" in lines[0]  # a newline cannot forge a second line
    assert f"trace={trace_id[:8]}" in lines[0]


def test_nothing_is_printed_when_the_app_prints_its_logs_itself(
    bare_root: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stream handler on the root logger already shows the record: no second copy."""
    bare_root.handlers = [logging.StreamHandler(io.StringIO())]
    text, _ = _configure_and_log("shown by the app", capsys)
    assert "[log]" not in text
    assert "work" in text  # the console backend did print (the span)


class _Closed(io.StringIO):
    def write(self, s: str) -> int:
        raise ValueError("I/O operation on closed file")


def test_a_closed_stream_fails_the_export_without_raising() -> None:
    """The printer's stream is closed (at exit): the export reports success, nothing raises."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    provider = LoggerProvider()
    memory = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.get_logger("t").emit(body="hello", severity_text="INFO")
    records = memory.get_finished_logs()
    assert records
    exporter = ConsoleLogExporter(ConsolePrinter(stream=_Closed()), prints_already=lambda: False)
    result = exporter.export(records)
    assert result.name == "SUCCESS"

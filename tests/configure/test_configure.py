"""configure(): console fallback, real export, double configuration, foreign providers, safety."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import Resource, ResourceDetector
from opentelemetry.sdk.trace import TracerProvider

import workspace_otel
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer
from workspace_otel.credentials import EnvTokenSource, OAuth2ClientCredentialsSource
from workspace_otel.errors import ConfigurationError, WorkspaceOtelWarning


class _Detector(ResourceDetector):
    def detect(self) -> Resource:
        return Resource(
            {"service.name": "from-detector", "a": "detector", "b": "detector", "c": "detector"}
        )


def test_console_fallback_prints_resource_once_spans_and_one_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No endpoint anywhere: readable console lines, the resource once, one hint line."""
    telemetry = workspace_otel.configure(service_name="shop")
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("checkout") as span:
        span.set_attribute("items", 3)
        with tracer.start_as_current_span("db.query"):
            pass
    with tracer.start_as_current_span("second"):
        pass
    metrics.get_meter("test").create_counter("orders").add(2, {"route": "/buy"})
    telemetry.shutdown()
    err = capsys.readouterr().err
    assert err.count("no OTLP endpoint configured") == 1
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in err
    assert err.count("[workspace_otel] resource:") == 1
    assert "service.name = shop" in err
    assert re.search(r"\[span\]  checkout  [\d.]+ ms  trace=[0-9a-f]{32} \(root\)  items=3", err)
    assert "[span]  db.query" in err
    assert "[metric]  orders (sum) = 2  route=/buy" in err
    assert telemetry.settings.console_fallback


def test_console_backend_has_no_hint_and_links_root_spans(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """backend=console is a choice (no hint); WORKSPACE_OTEL_TRACE_URL links root spans."""
    monkeypatch.setenv("WORKSPACE_OTEL_TRACE_URL", "http://127.0.0.1:16686/trace/{trace_id}")
    telemetry = workspace_otel.configure(backend="console", metrics=False)
    with trace.get_tracer("t").start_as_current_span("root") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        with trace.get_tracer("t").start_as_current_span("child"):
            pass
    telemetry.shutdown()
    err = capsys.readouterr().err
    assert "no OTLP endpoint" not in err
    assert err.count("-> http://127.0.0.1:16686/trace/") == 1
    assert f"-> http://127.0.0.1:16686/trace/{trace_id}" in err


def test_exports_all_signals_with_one_shared_token_cache(
    token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """Traces, metrics and logs reach a JWT-validating receiver; one token fetch serves all."""
    source = OAuth2ClientCredentialsSource(token_server.token_url, "test-client", "test-secret")
    telemetry = workspace_otel.configure(
        service_name="svc",
        endpoint=http_receiver.endpoint,
        credentials=source,
        logs=True,
    )
    with trace.get_tracer("t").start_as_current_span("work"):
        logging.getLogger("app.orders").warning("order %s failed", 42)
    metrics.get_meter("t").create_counter("orders").add(1)
    assert telemetry.force_flush(timeout=10)
    spans = http_receiver.wait_for_spans(1, timeout=10)
    logs = http_receiver.wait_for_logs(1, timeout=10)
    http_receiver.wait_for_metrics(1, timeout=10)
    assert spans[0].name == "work"
    assert spans[0].resource["service.name"] == "svc"
    assert spans[0].resource["telemetry.distro.name"] == "workspace_otel"
    assert logs[0].body == "order 42 failed"
    assert http_receiver.rejected == 0
    assert token_server.token_requests == 1
    assert telemetry.installed == {"traces": True, "metrics": True, "logs": True}


def test_second_call_returns_the_same_handle_with_a_warning() -> None:
    """Calling configure() twice warns and returns the first handle."""
    first = workspace_otel.configure(backend="console")
    with pytest.warns(WorkspaceOtelWarning, match="already configured.*service_name"):
        second = workspace_otel.configure(service_name="other")
    assert second is first


def test_a_provider_installed_by_someone_else_is_not_replaced() -> None:
    """A foreign TracerProvider stays; the warning says what happened and how to choose."""
    theirs = TracerProvider()
    trace.set_tracer_provider(theirs)
    with pytest.warns(WorkspaceOtelWarning) as record:
        telemetry = workspace_otel.configure(backend="console")
    message = str(record[0].message)
    assert "did not replace" in message
    assert "traces (TracerProvider)" in message
    assert "set_global=False" in message
    assert "span_processors" in message
    assert trace.get_tracer_provider() is theirs
    assert telemetry.installed["traces"] is False
    assert telemetry.installed["metrics"] is True
    assert metrics.get_meter_provider() is telemetry.meter_provider
    assert "not-global=traces" in telemetry.summary


def test_set_global_false_installs_nothing() -> None:
    """set_global=False leaves every global provider untouched."""
    telemetry = workspace_otel.configure(backend="console", set_global=False)
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert telemetry.installed == {"traces": False, "metrics": False, "logs": False}
    assert isinstance(telemetry.tracer_provider, TracerProvider)


def test_sdk_disabled_is_a_noop_even_with_bad_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_SDK_DISABLED=true: a no-op handle, nothing installed, nothing validated."""
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    monkeypatch.setenv("WORKSPACE_OTEL_BACKEND", "nonsense")
    telemetry = workspace_otel.configure()
    assert telemetry.disabled
    assert telemetry.force_flush() is True
    assert telemetry.shutdown() is True
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert not trace.get_tracer("x").start_span("s").is_recording()


def test_summary_line_and_handle_never_show_the_token(
    caplog: pytest.LogCaptureFixture, http_receiver: HttpOtlpReceiver
) -> None:
    """The INFO summary names platform, host, token kind and signals, never the secret."""
    secret = "CANARYsummarytokenx9Qz"
    source = EnvTokenSource("MY_TOKEN", environ={"MY_TOKEN": secret})
    with caplog.at_level(logging.DEBUG):
        telemetry = workspace_otel.configure(
            endpoint=http_receiver.endpoint + "/some/path?k=v", credentials=source
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "workspace_otel"]
    summary = [line for line in lines if line.startswith("workspace_otel configured")]
    assert len(summary) == 1
    assert "platform=none" in summary[0]
    assert f"-> {http_receiver.endpoint} (http/protobuf)" in summary[0]
    assert "token=env" in summary[0]
    assert "traces+metrics" in summary[0]
    assert "/some/path" not in summary[0]
    for text in (caplog.text, repr(telemetry), repr(telemetry.settings.describe())):
        assert secret not in text


def test_resource_precedence_detectors_env_argument_service_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """detectors < OTEL_RESOURCE_ATTRIBUTES < resource_attributes < service_name."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "b=env,c=env,service.name=env-name")
    telemetry = workspace_otel.configure(
        backend="console",
        detectors=[_Detector()],
        resource_attributes={"c": "argument"},
    )
    attrs = telemetry.resource.attributes
    assert (attrs["a"], attrs["b"], attrs["c"]) == ("detector", "env", "argument")
    assert attrs["service.name"] == "env-name"
    assert telemetry.resource_sources["c"] == "configure(resource_attributes)"
    assert telemetry.resource_sources["a"] == "_Detector"


def test_service_name_argument_wins_and_never_unknown_service() -> None:
    """service_name beats everything; without any name the program name is used."""
    telemetry = workspace_otel.configure(
        backend="console", detectors=[_Detector()], service_name="chosen"
    )
    assert telemetry.resource.attributes["service.name"] == "chosen"
    workspace_otel._setup._configure._reset_for_tests()
    from tests.harness.process import reset_otel_globals

    reset_otel_globals()
    telemetry = workspace_otel.configure(backend="console", detectors=[])
    name = telemetry.resource.attributes["service.name"]
    assert isinstance(name, str)
    assert name
    assert not name.startswith("unknown_service")


def test_invalid_configuration_raises_before_anything_is_installed() -> None:
    """A ConfigurationError leaves no provider installed and no handle behind."""
    with pytest.raises(ConfigurationError, match="configure\\(protocol\\)"):
        workspace_otel.configure(protocol="http/json")
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert workspace_otel._setup._configure._HANDLE is None


def test_export_failures_never_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable endpoint loses data quietly for the app: no exception escapes."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    with HttpOtlpReceiver() as receiver:
        dead = receiver.endpoint
    telemetry = workspace_otel.configure(endpoint=dead, credentials=False, flush_timeout=3)
    with trace.get_tracer("t").start_as_current_span("lost"):
        pass
    telemetry.force_flush(timeout=3)
    assert telemetry.shutdown(timeout=3) in (True, False)


class _Root:
    """Remembers the root logger's handlers and level."""

    def __init__(self) -> None:
        self.root = logging.getLogger()

    def clear(self) -> None:
        self.root.handlers[:] = []


@pytest.mark.parametrize("app_logging", [False, True])
def test_log_bridge_keeps_console_output_exactly_once(
    app_logging: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs export without hijacking or duplicating what the app printed before."""
    root = _Root()
    root.clear()
    if app_logging:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("APP %(message)s"))
        root.root.addHandler(handler)
    with HttpOtlpReceiver() as receiver:
        telemetry = workspace_otel.configure(endpoint=receiver.endpoint, logs=True, metrics=False)
        logging.getLogger("app").warning("disk almost full")
        logging.getLogger("opentelemetry.sdk").warning("internal noise")
        telemetry.force_flush(timeout=5)
        logs = receiver.wait_for_logs(1, timeout=5)
        telemetry.shutdown()
    err = capsys.readouterr().err
    assert err.count("disk almost full") == 1
    assert [log.body for log in logs] == ["disk almost full"]
    assert root.root.level == logging.WARNING
    assert telemetry.log_handler not in root.root.handlers


def test_describe_rows_cover_every_option(http_receiver: HttpOtlpReceiver) -> None:
    """settings.describe() lists option, value and source for the doctor."""
    telemetry = workspace_otel.configure(endpoint=http_receiver.endpoint, credentials=False)
    described = telemetry.settings.describe()
    rows: dict[str, Any] = {name: (value, source) for name, value, source in described}
    assert rows["traces_endpoint"] == (http_receiver.endpoint, "argument")
    assert rows["traces"] == ("otlp", "default")
    assert rows["logs"] == ("off", "default")
    assert rows["credentials"] == ("none", "argument")

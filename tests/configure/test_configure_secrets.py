"""configure() and secrets: query-string endpoints, headers variables, the plain-http sentence.

* an endpoint's query string in ConfigurationError, and in the SDK's own
  export-failure log (the scrubbing filter on the OTLP exporters' loggers);
* a malformed ``OTEL_EXPORTER_OTLP_HEADERS`` (or per-signal ``_HEADERS``),
  which the SDK's parser would print, refused first without its value;
* plain http to a remote host: one sentence, from the egress rule, in
  configure()'s warning and in BearerAuth's.
"""

from __future__ import annotations

import logging

import pytest
import requests
from opentelemetry import trace

import workspace_otel
from tests.harness.egress_peers import RecordingServer
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer
from workspace_otel._guards import redaction
from workspace_otel.credentials import EnvTokenSource, OAuth2ClientCredentialsSource
from workspace_otel.credentials._http import BearerAuth
from workspace_otel.errors import ConfigurationError


@pytest.mark.parametrize(
    "endpoint",
    [
        "ftp://collector.example/v1?api_key=querysecretvalue1",
        "collector.example:4318/?api_key=querysecretvalue1",
        "https://collector.example:badport/?api_key=querysecretvalue1",
    ],
)
def test_configuration_error_never_echoes_a_query_credential(endpoint: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        workspace_otel.configure(endpoint=endpoint, credentials=False, set_global=False)
    assert "endpoint" in str(caught.value).lower()
    assert "querysecretvalue1" not in str(caught.value)
    assert "api_key" not in str(caught.value)


def test_sdk_export_failure_log_has_no_query_credential(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A dead endpoint with ``?api_key=``: the OTLP exporter's own log lines are scrubbed."""
    caplog.set_level(logging.DEBUG)
    server = RecordingServer()
    dead = server.base_url
    server.stop()
    secret = "exportquerysecret77"
    telemetry = workspace_otel.configure(
        endpoint=f"{dead}/?api_key={secret}", credentials=False, flush_timeout=2
    )
    with trace.get_tracer("leak").start_as_current_span("lost"):
        pass
    telemetry.force_flush(timeout=2)
    telemetry.shutdown(timeout=2)
    # The outage is reported (by the library's collector watch, which stands in for
    # the exporter's own per-batch lines) and no record carries the query secret.
    failure_lines = [
        r
        for r in caplog.records
        if r.name.startswith(("opentelemetry.exporter", "workspace_otel"))
        and r.levelno >= logging.WARNING
    ]
    assert failure_lines, "the failed export was reported"
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()


def test_urllib3_debug_request_line_has_no_query_credential(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A live endpoint with ``?api_key=``: urllib3 at DEBUG logs each request line, scrubbed."""
    caplog.set_level(logging.DEBUG)
    server = RecordingServer()
    secret = "urllib3querysecret42"
    try:
        telemetry = workspace_otel.configure(
            endpoint=f"{server.base_url}/?api_key={secret}", credentials=False, flush_timeout=2
        )
        with trace.get_tracer("leak").start_as_current_span("sent"):
            pass
        telemetry.force_flush(timeout=2)
        telemetry.shutdown(timeout=2)
    finally:
        server.stop()
    assert server.requests, "the export reached the server"
    request_lines = [
        r for r in caplog.records if r.name.startswith("urllib3") and "POST" in r.getMessage()
    ]
    assert request_lines, "urllib3 logged the request line at DEBUG"
    assert secret not in caplog.text


@pytest.mark.parametrize(
    "variable",
    [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    ],
)
@pytest.mark.parametrize(
    "value",
    [
        'authorization=Bearer "quotedsecretvalue"',
        "x-team=a,authorization;quotedsecretvalue",
        "quotedsecretvalue",
        "authorization=Bearer\\quotedsecretvalue",
    ],
)
def test_malformed_headers_variable_is_refused_without_its_value(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variable: str,
    value: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        workspace_otel.configure(endpoint="http://127.0.0.1:9", credentials=False, set_global=False)
    assert variable in str(caught.value)
    assert "quotedsecretvalue" not in str(caught.value)
    assert "quotedsecretvalue" not in caplog.text


def test_well_formed_headers_are_accepted_and_their_values_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20headertoken99,x=1")
    telemetry = workspace_otel.configure(
        endpoint="http://127.0.0.1:9", credentials=False, set_global=False
    )
    telemetry.shutdown(timeout=1)
    assert "headertoken99" not in redaction.scrub_known("echo: Bearer headertoken99")


def test_plain_http_message_is_one_sentence_everywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """configure()'s warning and BearerAuth's refusal say the same thing, from the rule."""
    caplog.set_level(logging.WARNING)
    source = EnvTokenSource("T", environ={"T": "plainhttptokenvalue"})
    url = "http://collector.example:4318"
    telemetry = workspace_otel.configure(endpoint=url, credentials=source, set_global=False)
    telemetry.shutdown(timeout=1)
    auth = BearerAuth(source)
    prepared = requests.Request("POST", f"{url}/v1/traces", data=b"x").prepare()
    auth(prepared)
    assert "authorization" not in prepared.headers
    sentences = [
        r.getMessage().removeprefix("workspace_otel: ")
        for r in caplog.records
        if "not sending the token" in r.getMessage()
    ]
    expected = (
        "not sending the token to http://collector.example:4318/v1/traces: plain http to a "
        "non-loopback host: use an https:// endpoint (plain http is allowed only to loopback)"
    )
    assert sentences == [expected, expected]
    assert not any("unencrypted" in r.getMessage() for r in caplog.records)


def test_grpc_export_still_carries_the_token_to_its_configured_origin(
    monkeypatch: pytest.MonkeyPatch,
    grpc_receiver: GrpcOtlpReceiver,
    token_server: TokenServer,
    tls_material: TlsMaterial,
) -> None:
    """The gRPC plugin's origin check lets the configured endpoint's calls through."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
    source = OAuth2ClientCredentialsSource(
        token_server.token_url, "test-client", "test-secret", audience="workspace-otel-test"
    )
    telemetry = workspace_otel.configure(
        endpoint=grpc_receiver.endpoint, protocol="grpc", credentials=source, metrics=False
    )
    with trace.get_tracer("grpc").start_as_current_span("sent"):
        pass
    telemetry.force_flush(timeout=10)
    assert grpc_receiver.wait_for_spans(1, timeout=10)
    assert grpc_receiver.rejected == 0
    telemetry.shutdown(timeout=2)


def test_malformed_headers_in_the_process_environment_count_with_an_explicit_environ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """configure(environ=...) still refuses what the SDK would read from os.environ."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", 'authorization="quotedsecretvalue"')
    with pytest.raises(ConfigurationError) as caught:
        workspace_otel.configure(
            endpoint="http://127.0.0.1:9", credentials=False, set_global=False, environ={}
        )
    assert "OTEL_EXPORTER_OTLP_HEADERS" in str(caught.value)
    assert "quotedsecretvalue" not in str(caught.value)


def test_settings_and_handle_reprs_hide_a_query_credential() -> None:
    secret = "reprquerysecret42"
    telemetry = workspace_otel.configure(
        endpoint=f"http://127.0.0.1:9/?api_key={secret}", credentials=False, set_global=False
    )
    texts = [repr(telemetry), repr(telemetry.settings), str(telemetry.settings)]
    texts.append(repr(telemetry.settings.describe()))
    telemetry.shutdown(timeout=1)
    assert all(secret not in text for text in texts)

"""The doctor uses the library's egress rule and redaction boundary, not its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.doctor.conftest import run, run_both
from tests.harness.receivers import HttpOtlpReceiver

pytestmark = pytest.mark.usefixtures("doctor_env")

TOKEN = "doctor-egress-token-value-Q7"
QUERY_SECRET = "querysecretvalueforthedoctor"


@pytest.mark.parametrize("host", ["0.0.0.0", "127.example.com"])
def test_non_loopback_plain_http_is_reported_as_not_sent(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """``0.0.0.0`` and ``127.example.com`` are not loopback: the token is not sent there."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", TOKEN)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://{host}:9")
    outcome = run(timeout=1.0)
    assert outcome.check("configuration")["summary"].startswith(
        f"not sending the token to http://{host}:9/v1/traces: plain http to a non-loopback host"
    )


def test_loopback_through_a_proxy_is_reported_as_not_sent(
    monkeypatch: pytest.MonkeyPatch, http_receiver: HttpOtlpReceiver
) -> None:
    """HTTP_PROXY without NO_PROXY: the library would not send the token; doctor says so."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", TOKEN)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    outcome = run(timeout=1.0)
    assert "add the host to NO_PROXY" in outcome.text
    assert TOKEN not in outcome.text


def test_query_string_credential_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, http_receiver: HttpOtlpReceiver
) -> None:
    """An endpoint's ``?api_key=`` value is shown nowhere, in JSON or text."""
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_ENDPOINT", f"{http_receiver.endpoint}/?api_key={QUERY_SECRET}"
    )
    as_json, human = run_both(timeout=2.0)
    for outcome in (as_json, human):
        assert QUERY_SECRET not in outcome.text
        assert "api_key" not in outcome.text


def test_query_string_credential_given_with_endpoint_flag(http_receiver: HttpOtlpReceiver) -> None:
    outcome = run(endpoint=f"{http_receiver.endpoint}/?token={QUERY_SECRET}", timeout=2.0)
    assert QUERY_SECRET not in outcome.text


def test_command_source_arguments_are_not_printed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A failing ``command:`` source: the fix names the program only, as describe() does."""
    script = tmp_path / "fetch_token.py"
    script.write_text("import sys\nsys.exit(3)\n")
    argument = "--password=lowercasecommandargument"
    monkeypatch.setenv(
        "WORKSPACE_OTEL_TOKEN_SOURCE", f"command:{sys.executable} {script} {argument}"
    )
    as_json, human = run_both(timeout=2.0)
    for outcome in (as_json, human):
        assert "lowercasecommandargument" not in outcome.text
        assert str(script) not in outcome.text
    assert "command:" in human.text

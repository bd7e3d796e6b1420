"""The OTEL_* variables the SDK reads on configure()'s behalf: refused with the fix, or passed.

Each bad value below raised a bare ``ValueError`` out of configure(), or was
silently replaced by the SDK's default, or hung / exhausted memory on a file.
The good neighbours must still reach the SDK unchanged.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import workspace_otel
from tests.harness.process import subprocess_env
from workspace_otel._settings import _sdk_variables
from workspace_otel._settings._options._resolve import sdk_may_read
from workspace_otel.cli._doctor import run_doctor
from workspace_otel.errors import ConfigurationError

HTTP = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
GRPC = {**HTTP, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
LOGS = {"OTEL_LOGS_EXPORTER": "console"}

BAD: list[tuple[dict[str, str], str, str]] = [
    # (environment, the variable the error must name, a word of its fix)
    ({"OTEL_BSP_MAX_QUEUE_SIZE": "16"}, "OTEL_BSP_MAX_QUEUE_SIZE", "at least 512"),
    ({"OTEL_BSP_MAX_QUEUE_SIZE": "-1"}, "OTEL_BSP_MAX_QUEUE_SIZE", "positive"),
    ({"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "0"}, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "positive"),
    ({"OTEL_BSP_SCHEDULE_DELAY": "5s"}, "OTEL_BSP_SCHEDULE_DELAY", "milliseconds"),
    ({"OTEL_BSP_SCHEDULE_DELAY": "0"}, "OTEL_BSP_SCHEDULE_DELAY", "milliseconds"),
    ({"OTEL_BSP_EXPORT_TIMEOUT": "1.5"}, "OTEL_BSP_EXPORT_TIMEOUT", "milliseconds"),
    ({"OTEL_BSP_MAX_QUEUE_SIZE": ""}, "OTEL_BSP_MAX_QUEUE_SIZE", "unset it"),
    ({**LOGS, "OTEL_BLRP_MAX_QUEUE_SIZE": "8"}, "OTEL_BLRP_MAX_QUEUE_SIZE", "at least 512"),
    ({**LOGS, "OTEL_BLRP_SCHEDULE_DELAY": "-5"}, "OTEL_BLRP_SCHEDULE_DELAY", "milliseconds"),
    ({"OTEL_ATTRIBUTE_COUNT_LIMIT": "-1"}, "OTEL_ATTRIBUTE_COUNT_LIMIT", ">= 0"),
    ({"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "lots"}, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", ">= 0"),
    ({"OTEL_SPAN_EVENT_COUNT_LIMIT": "1e3"}, "OTEL_SPAN_EVENT_COUNT_LIMIT", ">= 0"),
    ({"OTEL_SPAN_LINK_COUNT_LIMIT": "-2"}, "OTEL_SPAN_LINK_COUNT_LIMIT", ">= 0"),
    ({"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT": "x"}, "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", ">= 0"),
    ({"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT": "-9"}, "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", ">= 0"),
    (
        {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "-1"},
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        ">= 0",
    ),
    (
        {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "1.5"},
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        ">= 0",
    ),
    ({"OTEL_METRIC_EXPORT_TIMEOUT": "never"}, "OTEL_METRIC_EXPORT_TIMEOUT", "milliseconds"),
    ({"OTEL_METRIC_EXPORT_INTERVAL": "inf"}, "OTEL_METRIC_EXPORT_INTERVAL", "milliseconds"),
    ({"OTEL_METRICS_EXEMPLAR_FILTER": "sometimes"}, "OTEL_METRICS_EXEMPLAR_FILTER", "trace_based"),
    ({**HTTP, "OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, "OTEL_EXPORTER_OTLP_TIMEOUT", "seconds"),
    ({**GRPC, "OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, "OTEL_EXPORTER_OTLP_TIMEOUT", "seconds"),
    (
        {**GRPC, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "-1"},
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "seconds",
    ),
    ({**GRPC, "OTEL_EXPORTER_OTLP_TIMEOUT": ""}, "OTEL_EXPORTER_OTLP_TIMEOUT", "unset it"),
    ({**HTTP, "OTEL_EXPORTER_OTLP_TIMEOUT": " "}, "OTEL_EXPORTER_OTLP_TIMEOUT", "unset it"),
    (
        {**HTTP, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": ""},
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "unset it",
    ),
    ({**HTTP, "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
    ({**GRPC, "OTEL_EXPORTER_OTLP_COMPRESSION": "none"}, "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
    (
        {**HTTP, "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "brotli"},
        "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
        "gzip",
    ),
    (
        {**HTTP, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "deltas"},
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "delta",
    ),
    (
        {**HTTP, "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "exponential"},
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
        "base2_exponential_bucket_histogram",
    ),
    (
        {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
        "OTEL_TRACES_SAMPLER_ARG",
        "between 0 and 1",
    ),
]

CERTIFICATE_VARIABLES = [
    f"OTEL_EXPORTER_OTLP_{signal}{suffix}"
    for signal in ("", "TRACES_", "METRICS_", "LOGS_")
    for suffix in ("CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE")
]


def _configure(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> workspace_otel.Telemetry:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return workspace_otel.configure()


@pytest.mark.parametrize(("env", "variable", "fix"), BAD, ids=[row[1] for row in BAD])
def test_bad_value_is_refused_naming_variable_value_and_fix(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str, fix: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        _configure(monkeypatch, env)
    message = str(info.value)
    assert variable in message
    assert repr(env[variable]) in message or "MAX_QUEUE_SIZE (" in message
    assert fix in message


@pytest.mark.parametrize("variable", CERTIFICATE_VARIABLES)
@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_certificate_naming_a_device_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, protocol: str
) -> None:
    env = {**HTTP, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_LOGS_EXPORTER": "otlp"}
    env[variable] = "/dev/zero"
    with pytest.raises(ConfigurationError, match=f"{variable}='/dev/zero' is not valid") as info:
        _configure(monkeypatch, env)
    assert "device" in str(info.value)
    assert "PEM" in str(info.value)


def test_certificate_naming_a_fifo_or_nothing_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    env = {**GRPC, "OTEL_EXPORTER_OTLP_CERTIFICATE": str(fifo)}
    with pytest.raises(ConfigurationError, match="FIFO"):
        _configure(monkeypatch, env)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="OTEL_EXPORTER_OTLP_CERTIFICATE"):
        workspace_otel.configure()


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_BSP_MAX_QUEUE_SIZE": " 4096 ", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "4096"},
        {"OTEL_BSP_SCHEDULE_DELAY": "+250", "OTEL_BSP_EXPORT_TIMEOUT": "0"},
        {"OTEL_ATTRIBUTE_COUNT_LIMIT": "", "OTEL_SPAN_EVENT_COUNT_LIMIT": " 0 "},
        {**HTTP, "OTEL_EXPORTER_OTLP_COMPRESSION": " GZIP ", "OTEL_EXPORTER_OTLP_TIMEOUT": "2"},
        {**GRPC, "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TIMEOUT": "2.5"},
        {**HTTP, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": " delta"},
        {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
        # Read only for a signal that is on: logs are off by default.
        {"OTEL_BLRP_MAX_QUEUE_SIZE": "nonsense"},
        {"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"},  # no OTLP exporter without an endpoint
    ],
)
def test_good_or_unread_values_pass(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    telemetry = _configure(monkeypatch, env)
    try:
        assert telemetry.tracer_provider is not None
    finally:
        telemetry.shutdown()


def test_a_limit_is_checked_before_the_sdk_is_imported(tmp_path: Path) -> None:
    """The SDK reads OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT when imported: refuse it before that."""
    code = (
        "import sys, workspace_otel\n"
        "try:\n"
        "    workspace_otel.configure()\n"
        "except workspace_otel.ConfigurationError as exc:\n"
        "    print('refused:', exc)\n"
    )
    env = subprocess_env(OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="-1", WORKSPACE_OTEL_GIT="off")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.startswith("refused: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT='-1'"), result.stderr


def test_doctor_reports_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "16")
    out = io.StringIO()
    status = run_doctor(as_json=False, endpoint=None, timeout=2.0, out=out)
    assert status != 0
    expected = _sdk_variables.problems(
        dict(os.environ), _sdk_variables.Pipeline(enabled={"traces", "metrics"}, otlp={})
    )
    assert expected
    assert expected[0] in " ".join(out.getvalue().split())


def test_every_checked_variable_passes_the_screen_that_decides_whether_to_check() -> None:
    # configure() loads the table only when some variable passes sdk_may_read.
    missed = [row.name for row in _sdk_variables.ROWS if not sdk_may_read(row.name)]
    assert missed == []
    usual = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME")
    assert [name for name in usual if sdk_may_read(name)] == []

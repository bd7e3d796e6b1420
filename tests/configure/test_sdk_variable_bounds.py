"""Huge numbers in the OTEL_* variables the SDK reads: refused, never an overflow.

A delay or a timeout beyond what a thread can wait for killed the SDK's
export thread with ``OverflowError`` (spans then pile up and are lost), and a
queue size beyond a C ``ssize_t`` raised a bare ``OverflowError`` out of
configure(). Each is now a ConfigurationError naming the variable and the fix.
"""

from __future__ import annotations

import pytest

import workspace_otel
from workspace_otel.errors import ConfigurationError

HUGE = "99999999999999999999"
BASE = {
    "PATH": "/usr/bin:/bin",
    "WORKSPACE_OTEL_GIT": "off",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
    "OTEL_LOGS_EXPORTER": "otlp",
}
CASES = [
    ({"OTEL_BSP_SCHEDULE_DELAY": HUGE}, "OTEL_BSP_SCHEDULE_DELAY"),
    ({"OTEL_BSP_EXPORT_TIMEOUT": HUGE}, "OTEL_BSP_EXPORT_TIMEOUT"),
    ({"OTEL_BLRP_SCHEDULE_DELAY": HUGE}, "OTEL_BLRP_SCHEDULE_DELAY"),
    ({"OTEL_METRIC_EXPORT_INTERVAL": HUGE}, "OTEL_METRIC_EXPORT_INTERVAL"),
    ({"OTEL_METRIC_EXPORT_TIMEOUT": "1e300"}, "OTEL_METRIC_EXPORT_TIMEOUT"),
    ({"OTEL_EXPORTER_OTLP_TIMEOUT": HUGE}, "OTEL_EXPORTER_OTLP_TIMEOUT"),
    ({"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1e300"}, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"),
    (
        {"OTEL_BSP_MAX_QUEUE_SIZE": HUGE, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": HUGE},
        "OTEL_BSP_MAX_QUEUE_SIZE",
    ),
]


@pytest.mark.parametrize(("env", "variable"), CASES, ids=[case[1] for case in CASES])
def test_a_huge_number_is_refused_naming_the_variable(env: dict[str, str], variable: str) -> None:
    """ConfigurationError (not OverflowError), with the variable, its value and a bound."""
    with pytest.raises(ConfigurationError) as info:
        workspace_otel.configure(environ={**BASE, **env})
    message = str(info.value)
    assert variable in message
    assert "at most" in message


def test_a_long_but_representable_delay_still_passes() -> None:
    """A day between batches is odd but valid: it reaches the SDK unchanged."""
    telemetry = workspace_otel.configure(environ={**BASE, "OTEL_BSP_SCHEDULE_DELAY": "86400000"})
    try:
        assert telemetry.tracer_provider is not None
    finally:
        telemetry.shutdown()

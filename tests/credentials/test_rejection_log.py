"""The one WARNING that says why an endpoint refused the token, and nothing per batch."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from workspace_otel._guards.redaction import LOGGER_NAMES, register_secret
from workspace_otel.credentials import _rejections
from workspace_otel.credentials._rejections import note_rejection

GRPC_LOGGER = "opentelemetry.exporter.otlp.proto.grpc.exporter"
HTTP_LOGGER = "opentelemetry.exporter.otlp.proto.http.trace_exporter"


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_rejections, "_seen", set())
    monkeypatch.setattr(_rejections, "_filter_installed", False)
    yield
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        for installed in list(logger.filters):
            if isinstance(installed, _rejections._RefusedBatchLines):
                logger.removeFilter(installed)


def refused(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused the token" in r.getMessage()]


def test_one_warning_per_reason_whatever_the_timestamps(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    for when in (1764640000, 1764640005, 1764640010):
        note_rejection("gitpod", "HTTP 401", f"oidc: token is expired (exp {when})")
    assert len(refused(caplog)) == 1
    assert "token is expired" in refused(caplog)[0]


def test_the_token_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"
    register_secret(secret)
    caplog.set_level(logging.DEBUG)
    note_rejection("gitpod", "gRPC UNAUTHENTICATED", f"bad token {secret} for audience x")
    assert refused(caplog)
    assert secret not in caplog.text
    assert secret[:20] not in caplog.text


def test_sdk_per_batch_lines_for_the_refusal_are_dropped_after_the_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SDK logs every refused batch (over gRPC with the reason again): once said, no more."""
    caplog.set_level(logging.WARNING)
    grpc_logger, http_logger = logging.getLogger(GRPC_LOGGER), logging.getLogger(HTTP_LOGGER)
    note_rejection("gitpod", "gRPC UNAUTHENTICATED", 'oidc: expected audience "otel-gateway"')
    for _batch in range(5):
        grpc_logger.error(
            "Failed to export %s to %s, error code: %s, error details: %s",
            "traces",
            "gateway:4317",
            "StatusCode.UNAUTHENTICATED",
            'oidc: expected audience "otel-gateway"',
        )
        http_logger.error(
            "Failed to export %s batch code: %s, reason: %s", "spans", 401, "Unauthorized"
        )
    http_logger.error("Failed to export %s batch code: %s, reason: %s", "spans", 503, "Unavailable")
    lines = [r.getMessage() for r in caplog.records]
    assert sum("expected audience" in line for line in lines) == 1, lines
    assert not [line for line in lines if "code: 401" in line], lines
    assert [line for line in lines if "code: 503" in line]

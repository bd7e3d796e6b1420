"""Fixtures for the credentials tests: a clean registry and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.credentials.helpers import FakeClock
from workspace_otel.credentials import _headers
from workspace_otel.credentials._cache import reset_shared_caches


@pytest.fixture(autouse=True)
def _clean_credentials_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "WORKSPACE_OTEL_TOKEN_SOURCE",
        "WORKSPACE_OTEL_TOKEN",
        "WORKSPACE_OTEL_TOKEN_AUDIENCE",
        "WORKSPACE_OTEL_TOKEN_HEADER",
        "WORKSPACE_OTEL_OAUTH2_TOKEN_URL",
        "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "GITPOD_WORKSPACE_ID",
        "GITPOD_ENVIRONMENT_ID",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    reset_shared_caches()
    _headers._warned.clear()
    yield
    reset_shared_caches()


@pytest.fixture(name="clock")
def fixture_clock() -> FakeClock:
    return FakeClock()

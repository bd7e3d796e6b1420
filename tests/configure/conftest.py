"""Fixtures for the configure() tests: a clean environment and clean OpenTelemetry globals."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.process import reset_otel_globals
from workspace_otel._setup import _configure

APPS = Path(__file__).parent / "apps"


@pytest.fixture(autouse=True)
def clean_otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear OTEL_* / WORKSPACE_OTEL_* / platform variables and reset all global state."""
    for name in list(os.environ):
        if name.startswith(("OTEL_", "WORKSPACE_OTEL_", "GITPOD_", "CODESPACE", "LS_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKSPACE_OTEL_GIT", "off")
    reset_otel_globals()
    root_handlers = list(logging.getLogger().handlers)
    sigterm = signal.getsignal(signal.SIGTERM)
    yield
    _configure._reset_for_tests()
    reset_otel_globals()
    logging.getLogger().handlers[:] = root_handlers
    signal.signal(signal.SIGTERM, sigterm)

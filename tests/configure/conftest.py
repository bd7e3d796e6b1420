"""Fixtures for the configure() tests: a clean environment and clean OpenTelemetry globals."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workspace_otel import _configure

APPS = Path(__file__).parent / "apps"
SRC = Path(__file__).resolve().parents[2] / "src"


def reset_otel_globals() -> None:
    """Forget the global providers the API lets be set only once (test-only)."""
    from opentelemetry import trace
    from opentelemetry._logs import _internal as logs_internal
    from opentelemetry.metrics import _internal as metrics_internal
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    logs_internal._LOGGER_PROVIDER_SET_ONCE = Once()
    logs_internal._LOGGER_PROVIDER = None


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


def subprocess_env(**extra: str) -> dict[str, str]:
    """A minimal environment for child processes (no inherited OTEL_* settings)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(Path(__file__).resolve().parents[2])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["WORKSPACE_OTEL_GIT"] = "off"
    env.update(extra)
    return env


PYTHON = sys.executable

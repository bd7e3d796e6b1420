"""Helpers for tests that start child processes or reset OpenTelemetry's globals.

``subprocess_env()`` gives a child a minimal environment (no inherited
``OTEL_*`` or platform variables) that imports this checkout's ``src``;
``reset_otel_globals()`` lets a test install providers again, which the API
otherwise allows only once per process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PYTHON = sys.executable

_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_CACHE_HOME",
    "SYSTEMROOT",
    # coverage measurement of subprocesses (`nox -s tests`); unset otherwise
    "COVERAGE_PROCESS_CONFIG",
    "COVERAGE_PROCESS_START",
    "COVERAGE_FILE",
)


def unmeasured(env: dict[str, str]) -> dict[str, str]:
    """``env`` without coverage measurement, for a child whose imported modules a test counts.

    Under ``nox -s tests`` every Python child is measured, and coverage itself
    imports modules (``typing``, ``dataclasses``) the child would not.
    """
    return {k: v for k, v in env.items() if not k.startswith("COVERAGE_PROCESS_")}


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


def subprocess_env(**extra: str) -> dict[str, str]:
    """A minimal environment for child processes: no inherited OTEL_* / platform settings."""
    env = {k: v for k, v in os.environ.items() if k in _KEEP}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["WORKSPACE_OTEL_GIT"] = "off"
    env.update(extra)
    return env

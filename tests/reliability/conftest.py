"""Fixtures of the reliability suite: hypothesis profiles, clean state, figures, leak scans.

Hypothesis profiles (``WORKSPACE_OTEL_HYPOTHESIS_PROFILE`` picks one):

``default``  derandomized (a fixed seed list), no deadline; each bad-input test
             asks for a modest number of examples through :func:`examples`, so
             the whole suite stays fast.
``long``     randomized, :data:`LONG_FACTOR` times more examples (``nox -s fuzz``).

Figures: tests record what they measured with the ``figures`` fixture; at the
end of the session they are written as JSON to
``$WORKSPACE_OTEL_RELIABILITY_FIGURES`` (default: ``reliability-figures.json``
in pytest's temporary folder) and the path is printed in the terminal summary.
RELIABILITY.md is written by hand from such a file.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.harness.process import reset_otel_globals
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock, Figures, LeakScanner
from tests.reliability.pipeline import Transport, follow_fake_time, start_clock, transport_receiver

PROFILE = os.environ.get("WORKSPACE_OTEL_HYPOTHESIS_PROFILE", "default")
LONG_FACTOR = 25

settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(PROFILE if PROFILE in ("default", "long") else "default")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fake clock the token cache and the pipeline follow (the fault suites)."""
    fake = start_clock()
    follow_fake_time(monkeypatch, fake)
    return fake


@pytest.fixture
def receiver(
    server: TokenServer,
    clock: FakeClock,
    transport: Transport,
    tls_material: TlsMaterial,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[HttpOtlpReceiver | GrpcOtlpReceiver]:
    """The OTLP receiver of ``transport``; each fault module provides its own ``server``."""
    yield from transport_receiver(transport, server, clock, tls_material, monkeypatch)


def examples(n: int) -> settings:
    """Settings for a bad-input test: ``n`` examples (``LONG_FACTOR * n`` under ``long``)."""
    count = n * LONG_FACTOR if PROFILE == "long" else n
    return settings(max_examples=count)


_FIGURES = Figures()


@pytest.fixture(params=["http", "grpc"])
def transport(request: pytest.FixtureRequest) -> str:
    """The OTLP transport of a fault test that asks for it: each runs over both."""
    value: str = request.param
    return value


@pytest.fixture(scope="session")
def figures() -> Figures:
    """The session's measured figures (written to JSON at the end)."""
    return _FIGURES


@pytest.fixture
def leak_scanner(figures: Figures) -> Iterator[LeakScanner]:
    """Root logger at DEBUG into a capturing handler; scan texts for canaries."""
    scanner = LeakScanner(figures)
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(scanner.handler)
    try:
        yield scanner
    finally:
        root.removeHandler(scanner.handler)
        root.setLevel(old_level)


@pytest.fixture(autouse=True)
def _clean_library_state() -> Iterator[None]:
    """Fresh shared token caches, header warnings and OpenTelemetry globals per test."""
    from workspace_otel._setup import _configure
    from workspace_otel.credentials import _headers
    from workspace_otel.credentials._cache import reset_shared_caches

    reset_shared_caches()
    _headers._warned.clear()
    reset_otel_globals()
    root_handlers = list(logging.getLogger().handlers)
    sigterm = signal.getsignal(signal.SIGTERM)
    yield
    _configure._reset_for_tests()
    reset_otel_globals()
    reset_shared_caches()
    logging.getLogger().handlers[:] = root_handlers
    signal.signal(signal.SIGTERM, sigterm)


def _figures_path(config: pytest.Config) -> Path:
    explicit = os.environ.get("WORKSPACE_OTEL_RELIABILITY_FIGURES")
    if explicit:
        return Path(explicit)
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    return factory.getbasetemp() / "reliability-figures.json"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Write the figures JSON and say where it is."""
    if not _FIGURES.data:
        return
    path = _figures_path(config)
    document: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "python": sys.version.split()[0],
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        "hypothesis_profile": PROFILE,
        "figures": _FIGURES.data,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str), "utf-8")
    terminalreporter.write_line(f"reliability figures: {path}")

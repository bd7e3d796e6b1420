"""An application set up by the real ``configure()``, exporting through the gateway under a fault.

:class:`FaultApp` calls ``configure()`` in this process with the workspace's
environment (Ona, the ``gitpod`` CLI stand-in minting tokens of
:data:`LIFETIME` seconds) and the SDK variables that bound the exporter's
retries, ends spans on demand, and keeps every WARNING-or-worse log record so
a test can say which warnings a fault produced.

Retry bounds stated by the variables set here (the SDK's own rules):

* ``OTEL_BSP_SCHEDULE_DELAY`` = :data:`SCHEDULE_DELAY_MS`: a span is handed to
  the exporter within that many milliseconds of its end;
* ``OTEL_EXPORTER_OTLP_TIMEOUT`` = :data:`EXPORT_TIMEOUT`: one export call
  retries a refused connection, ``UNAVAILABLE`` or 502/503/504 with backoff
  1, 2, 4, 8 s (jitter +-20 %) until that many seconds have passed, so a
  path down for less than about 15 s loses nothing the exporter holds;
  one export at a time, the batch processor queues the rest
  (``OTEL_BSP_MAX_QUEUE_SIZE``, 2048).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.fake_clis import FakeClis, install_fake_clis
from tests.harness.process import reset_otel_globals
from tests.harness.receivers import GrpcOtlpReceiver

from .conftest import AUDIENCE, Gateway, Issuers

#: Token lifetime the ``gitpod`` stand-in mints (seconds).
LIFETIME = 4
#: ``OTEL_EXPORTER_OTLP_TIMEOUT`` (seconds): how long one export keeps retrying.
EXPORT_TIMEOUT = 20.0
#: ``OTEL_BSP_SCHEDULE_DELAY`` (milliseconds).
SCHEDULE_DELAY_MS = 100
ENVIRONMENT_ID = "0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c"


class _Keep(logging.Handler):
    """Keeps the records at ``level`` or worse."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level=level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class FaultApp:
    """``configure()`` exporting spans to ``gateway`` over ``protocol``.

    Args:
        gateway: The running gateway (its endpoints; its CA unless ``ca_file``).
        issuers: The gateway's issuers; Ona mints the workspace's tokens.
        bin_dir: Folder for the CLI stand-ins.
        protocol: ``http/protobuf`` or ``grpc``.
        monkeypatch: Sets the variables (undone after the test).
        ca_file: CA bundle the workspace trusts (default: the gateway's CA).
        lifetime: Seconds of life of the minted tokens (default :data:`LIFETIME`).
        export_timeout: ``OTEL_EXPORTER_OTLP_TIMEOUT`` (default :data:`EXPORT_TIMEOUT`).
    """

    def __init__(
        self,
        gateway: Gateway,
        issuers: Issuers,
        bin_dir: Path,
        protocol: str,
        monkeypatch: pytest.MonkeyPatch,
        *,
        ca_file: Path | None = None,
        lifetime: int = LIFETIME,
        export_timeout: float = EXPORT_TIMEOUT,
    ) -> None:
        from workspace_otel import configure
        from workspace_otel._setup import _configure
        from workspace_otel.credentials._cache import reset_shared_caches

        # A cache is shared per source configuration in a process; this test's Ona
        # (another port) must not be served from an earlier test's cache.
        reset_shared_caches()
        self.clis: FakeClis = install_fake_clis(bin_dir, issuers.ona)
        endpoint = gateway.http_endpoint if protocol == "http/protobuf" else gateway.grpc_endpoint
        for name, value in {
            "PATH": self.clis.path_env(),
            "GITPOD_ENVIRONMENT_ID": ENVIRONMENT_ID,
            "WORKSPACE_OTEL_TOKEN_SOURCE": "gitpod",
            "WORKSPACE_OTEL_TOKEN_AUDIENCE": AUDIENCE,
            "WORKSPACE_OTEL_GIT": "off",
            "FAKE_CLI_LIFETIME": str(lifetime),
            "OTEL_SERVICE_NAME": "gateway-faults",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(ca_file or gateway.ca_file),
            "OTEL_EXPORTER_OTLP_TIMEOUT": str(export_timeout),
            "OTEL_BSP_SCHEDULE_DELAY": str(SCHEDULE_DELAY_MS),
            "OTEL_METRICS_EXPORTER": "none",
        }.items():
            monkeypatch.setenv(name, value)
        self._warnings = _Keep()
        root = logging.getLogger()
        root.addHandler(self._warnings)
        # Every record at every level, to prove no token is in any of them.
        self._root_level = root.level
        self._everything = _Keep(logging.DEBUG)
        root.addHandler(self._everything)
        root.setLevel(logging.DEBUG)
        self._library = logging.getLogger("workspace_otel")
        self._library_level = self._library.level
        self._infos = _Keep(logging.INFO)
        self._library.addHandler(self._infos)
        self._library.setLevel(logging.INFO)
        _configure._reset_for_tests()
        reset_otel_globals()
        self.telemetry = configure(set_global=False)
        self._tracer = self.telemetry.tracer_provider.get_tracer("gateway-faults")
        self.ended: dict[str, list[str]] = {}

    def spans(self, phase: str, n: int = 5) -> list[str]:
        """End ``n`` spans named ``<phase>-<i>``; return their span ids (hex)."""
        ids = []
        for i in range(n):
            span = self._tracer.start_span(f"{phase}-{i}")
            span.end()
            ids.append(format(span.get_span_context().span_id, "016x"))
        self.ended.setdefault(phase, []).extend(ids)
        return ids

    @property
    def all_ended(self) -> list[str]:
        """Every span id ended so far."""
        return [i for ids in self.ended.values() for i in ids]

    def warning_records(self) -> list[logging.LogRecord]:
        """WARNING-or-worse records so far."""
        return list(self._warnings.records)

    def warnings(self, logger_prefix: str = "") -> list[str]:
        """WARNING-or-worse messages so far, from loggers under ``logger_prefix``."""
        return [r.getMessage() for r in self._warnings.records if r.name.startswith(logger_prefix)]

    def every_text(self) -> list[str]:
        """Every record's message and exception text so far, at any level, from any logger."""
        formatter = logging.Formatter("%(name)s %(message)s")
        return [formatter.format(r) for r in self._everything.records]

    def library_infos(self) -> list[str]:
        """INFO messages of the library so far."""
        return [r.getMessage() for r in self._infos.records if r.levelno == logging.INFO]

    def close(self) -> None:
        """Flush and shut down (no exception may come out)."""
        from workspace_otel._setup import _configure

        try:
            self.telemetry.shutdown()
        finally:
            root = logging.getLogger()
            root.removeHandler(self._warnings)
            root.removeHandler(self._everything)
            root.setLevel(self._root_level)
            self._library.removeHandler(self._infos)
            self._library.setLevel(self._library_level)
            _configure._reset_for_tests()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` every 50 ms; return the seconds it took.

    Raises:
        AssertionError: Not true within ``timeout`` seconds (``what`` says what).
    """
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - began


def delivered(upstream: GrpcOtlpReceiver, ids: list[str]) -> bool:
    """Whether every span id in ``ids`` reached the upstream."""
    seen = {s.span_id for s in upstream.spans}
    return all(i in seen for i in ids)


def duplicates(upstream: GrpcOtlpReceiver) -> int:
    """Spans that reached the upstream more than once."""
    ids = [s.span_id for s in upstream.spans]
    return len(ids) - len(set(ids))

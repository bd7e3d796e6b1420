"""Say once, clearly, when the collector cannot be reached, and do not wait for it at exit.

Without this, an unreachable collector prints the SDK's raw retry and failure
lines for every batch, and every exit waits the whole flush deadline in
silence. With it:

* the first connection failure of an outage logs ONE warning naming the
  endpoint (without user-info or query) and what to do; the SDK's exporter
  lines are suppressed while the collector is down;
* the first success after it logs one INFO line;
* at exit, once the collector is known down, exports fail at once instead of
  retrying until the deadline, and one warning says how many spans, metric
  points and log records were not delivered.

The watch sits on the OTLP/HTTP ``requests`` sessions the library builds, on
the OTLP/gRPC exporters' service stubs (:mod:`workspace_otel._setup._outage_grpc`)
and on the exporters' ``export`` methods; nothing here raises into the
application. Endpoints are shown by ``display_url`` (no user-info, no query)
and the only text from outside, the error's innermost reason, by ``scrub``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from workspace_otel._guards.redaction import display_url, scrub

__all__ = ["CollectorDownError", "CollectorWatch"]

_logger = logging.getLogger("workspace_otel")

# The loggers of the SDK's OTLP/HTTP and OTLP/gRPC exporters (and their shared clients).
SDK_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
    "opentelemetry.exporter.otlp.proto.http",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
    "opentelemetry.exporter.otlp.proto.grpc._log_exporter",
    "opentelemetry.exporter.otlp.proto.grpc",
)
_UNITS = {"traces": "span(s)", "metrics": "metric point(s)", "logs": "log record(s)"}
_WATCHES: weakref.WeakSet[CollectorWatch] = weakref.WeakSet()


class CollectorDownError(Exception):
    """Raised instead of connecting at exit, when the collector is known to be down.

    Not a ``requests`` connection error on purpose: the exporter gives up on
    the batch at once instead of retrying until its deadline.
    """


class _DuringOutage(logging.Filter):
    """Drops the SDK exporters' lines while any watched collector is down."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(watch.down for watch in list(_WATCHES))


_FILTER = _DuringOutage()


def _install_filter() -> None:
    for name in SDK_EXPORTER_LOGGERS:
        sdk_logger = logging.getLogger(name)
        if _FILTER not in sdk_logger.filters:
            sdk_logger.addFilter(_FILTER)


def _is_unreachable(exc: BaseException) -> bool:
    import requests

    from workspace_otel.errors import TokenError

    if isinstance(exc, TokenError):  # no token: the collector was never asked
        return False
    return isinstance(exc, (requests.ConnectionError, requests.Timeout))


def _collector(endpoint: str) -> str:
    """The collector an endpoint belongs to (scheme, host, port): one outage for all signals."""
    shown = display_url(endpoint)
    parts = urlsplit(shown)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else shown


def _metric_points(data: Any) -> int:
    count = 0
    for resource_metrics in getattr(data, "resource_metrics", ()) or ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                count += len(getattr(metric.data, "data_points", ()) or ())
    return count


class CollectorWatch:
    """Whether the collector answers, for the exporters of one configuration.

    Args:
        flush_timeout: the exit deadline in seconds (``WORKSPACE_OTEL_FLUSH_TIMEOUT``),
            quoted in the warning.
    """

    def __init__(self, flush_timeout: float) -> None:
        self.flush_timeout = flush_timeout
        self._lock = threading.Lock()
        self._down: dict[str, str] = {}  # endpoint shown -> first error
        self.lost: dict[str, int] = {"traces": 0, "metrics": 0, "logs": 0}
        self._lost_in_outage: dict[str, int] = {"traces": 0, "metrics": 0, "logs": 0}
        self._in_flight: dict[str, int] = {"traces": 0, "metrics": 0, "logs": 0}
        self._endpoints: set[str] = set()
        self.exiting = False
        self._exporters: list[Any] = []
        _WATCHES.add(self)
        _install_filter()

    def reset_after_fork(self) -> None:
        """Give a forked child its own lock (an export thread of the parent may have held it)."""
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """``True`` while at least one endpoint is unreachable."""
        return bool(self._down)

    # -- transitions ---------------------------------------------------------

    def failed(self, endpoint: str, reason: str) -> None:
        """``endpoint`` could not be reached: warn once per outage; at exit, stop waiting.

        Args:
            endpoint: the exporter's endpoint (shown without user-info or query).
            reason: what went wrong, already scrubbed (quoted in the warning).
        """
        shown = _collector(endpoint)
        with self._lock:
            first = shown not in self._down
            if first:
                self._down[shown] = reason
        if self.exiting:
            self._stop_exporters()  # known down at exit: end the retries now
        if first:
            _logger.warning(
                "workspace_otel: cannot reach the collector at %s (%s); each export is tried "
                "again until its timeout (OTEL_EXPORTER_OTLP_TIMEOUT) and dropped only after "
                "that. Run `workspace-otel doctor` to check the endpoint; at exit "
                "workspace_otel waits at most %g s for it (WORKSPACE_OTEL_FLUSH_TIMEOUT).",
                shown,
                reason,
                self.flush_timeout,
            )

    def reached(self, endpoint: str) -> None:
        """``endpoint`` answered: one INFO if it was down, with what was lost meanwhile."""
        shown = _collector(endpoint)
        with self._lock:
            was_down = self._down.pop(shown, None) is not None
            lost = dict(self._lost_in_outage) if not self._down else None
            if lost is not None:
                self._lost_in_outage = dict.fromkeys(self._lost_in_outage, 0)
        if was_down:
            meanwhile = (
                f"; {_describe(lost)} were lost meanwhile" if lost and any(lost.values()) else ""
            )
            _logger.info(
                "%s", scrub(f"workspace_otel: the collector at {shown} answers again{meanwhile}")
            )

    def _count_lost(self, signal: str, items: int) -> None:
        with self._lock:
            self.lost[signal] += items
            self._lost_in_outage[signal] += items

    # -- wiring ------------------------------------------------------------

    def watch_session(self, session: Any, endpoint: str) -> None:
        """Observe every request ``session`` sends to ``endpoint``."""
        send: Callable[..., Any] = session.request
        self._endpoints.add(_collector(endpoint))

        def request(*args: Any, **kwargs: Any) -> Any:
            if self.exiting and self.down:
                raise CollectorDownError(f"the collector at {display_url(endpoint)} is down")
            try:
                response = send(*args, **kwargs)
            except Exception as exc:
                if _is_unreachable(exc):
                    self.failed(endpoint, _reason(exc))
                raise
            self.reached(endpoint)
            return response

        session.request = request

    def watch_grpc_stub(self, exporter: Any, endpoint: str) -> None:
        """Observe every call an SDK OTLP/gRPC ``exporter`` makes to ``endpoint``."""
        from workspace_otel._setup._outage_grpc import watch_stub

        self._endpoints.add(_collector(endpoint))
        watch_stub(exporter, self, endpoint)

    def watch_exporter(self, exporter: Any, signal: str) -> None:
        """Count what ``exporter`` fails to deliver while the collector is down."""
        export: Callable[..., Any] = exporter.export

        def counted(batch: Any, *args: Any, **kwargs: Any) -> Any:
            items = (
                _metric_points(batch)
                if signal == "metrics"
                else len(batch)
                if isinstance(batch, Sequence)
                else 0
            )
            with self._lock:
                self._in_flight[signal] += items
            try:
                result = export(batch, *args, **kwargs)
            finally:
                with self._lock:
                    self._in_flight[signal] -= items
            if self.down and getattr(result, "name", "") == "FAILURE":
                self._count_lost(signal, items)
            return result

        exporter.export = counted
        self._stop_once(exporter)
        self._exporters.append(exporter)

    @staticmethod
    def _stop_once(exporter: Any) -> None:
        """Make a second ``shutdown`` of ``exporter`` a silent no-op.

        The watch may stop the exporter before its processor does, and the SDK
        warns on the second call.
        """
        shutdown: Callable[..., Any] = exporter.shutdown
        done = threading.Event()

        def once(*args: Any, **kwargs: Any) -> Any:
            if done.is_set():
                return None
            done.set()
            return shutdown(*args, **kwargs)

        exporter.shutdown = once

    def stop_waiting(self) -> None:
        """At exit: once the collector is known down, fail exports at once instead of retrying."""
        self.exiting = True
        if self.down:
            self._stop_exporters()

    def _stop_exporters(self) -> None:
        for exporter in list(self._exporters):
            try:
                exporter.shutdown()  # wakes a retry back-off that would wait its deadline
            except Exception:
                _logger.debug("could not stop an exporter early", exc_info=True)

    def close(self) -> None:
        """Stop counting this watch (its configuration was shut down)."""
        _WATCHES.discard(self)

    def report_exit(self, *, finished: bool = True, waited: float = 0.0) -> bool:
        """One warning at exit saying what was not delivered, if anything; then close.

        Args:
            finished: whether the shutdown ended within its deadline; if not,
                the batches still waiting for the collector are lost too.
            waited: that deadline in seconds, quoted in the warning.

        Returns:
            ``True`` when a warning was logged.
        """
        self.close()
        with self._lock:
            lost = dict(self.lost)
            down = list(self._down)
            stalled = {} if finished else {k: v for k, v in self._in_flight.items() if v}
        for signal, count in stalled.items():
            lost[signal] += count
        if not any(lost.values()):
            return False
        if stalled and not down:
            _logger.warning(
                "workspace_otel: %s were not delivered: the collector at %s did not answer "
                "within %g s (WORKSPACE_OTEL_FLUSH_TIMEOUT). Run `workspace-otel doctor` to "
                "check the endpoint.",
                _describe(lost),
                ", ".join(sorted(self._endpoints)) or "the endpoint",
                waited,
            )
            return True
        where = ", ".join(down) if down else "the collector"
        _logger.warning(
            "workspace_otel: %s were not delivered: %s could not be reached. "
            "Run `workspace-otel doctor` to check the endpoint.",
            _describe(lost),
            where,
        )
        return True


def _reason(exc: BaseException) -> str:
    """The exception's kind and its innermost cause, scrubbed (it may echo URLs or headers)."""
    cause: BaseException = exc
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    detail = str(cause).rpartition(":")[2].strip(" ')\"")
    return f"{type(exc).__name__}: {scrub(detail, limit=80)}" if detail else type(exc).__name__


def _describe(lost: dict[str, int]) -> str:
    parts = [f"{count} {_UNITS[signal]}" for signal, count in lost.items() if count]
    return ", ".join(parts) if parts else "nothing"

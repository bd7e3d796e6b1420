"""The collector watch on an SDK OTLP/gRPC exporter: its service stub reports to the watch.

The SDK's gRPC exporter calls ``self._client.Export(...)`` and builds a new
client with ``self._stub(channel)`` whenever it re-creates its channel (after
an ``UNAVAILABLE``). :func:`watch_stub` wraps both, as the ``UNAUTHENTICATED``
re-send does, so every call, on every channel, tells the one
:class:`~workspace_otel._setup._outage.CollectorWatch` whether the collector answered:

* ``UNAVAILABLE`` (refused connection, gateway stopped, channel backing off)
  and ``DEADLINE_EXCEEDED`` (no answer within the export's time) mean the
  collector could not be reached;
* any answer, an error status included (``UNAUTHENTICATED``, ``INVALID_ARGUMENT``),
  means it was reached;
* at exit, once the collector is known down, the call fails at once with
  ``UNAVAILABLE`` instead of opening a connection; the exporter, shut down by
  the watch, gives up on the batch without a back-off.

The outage rules themselves (one warning, the count, the report) live in the
watch; nothing here decides them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import grpc

from workspace_otel._guards.redaction import display_url, scrub
from workspace_otel._setup._outage import CollectorDownError

if TYPE_CHECKING:
    from workspace_otel._setup._outage import CollectorWatch

__all__ = ["watch_stub"]

_logger = logging.getLogger("workspace_otel")

_UNREACHABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class _KnownDown(CollectorDownError, grpc.RpcError):
    """The call the watch refuses at exit: an ``UNAVAILABLE`` the exporter does not wait on."""

    def __init__(self, endpoint: str) -> None:
        self._details = f"the collector at {display_url(endpoint)} is down; not waiting at exit"
        super().__init__(self._details)

    def code(self) -> grpc.StatusCode:
        """The status the exporter reads: ``UNAVAILABLE``."""
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        """Why the call was not made."""
        return self._details

    def trailing_metadata(self) -> tuple[()]:
        """No server sent anything: no retry hint."""
        return ()


class _WatchedStub:
    """An OTLP service stub whose ``Export`` reports reachability to the watch."""

    def __init__(self, inner: Any, watch: CollectorWatch, endpoint: str) -> None:
        self._inner = inner
        self._watch = watch
        self._endpoint = endpoint

    def Export(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Send ``request`` through the wrapped stub and tell the watch how it went."""
        if self._watch.exiting and self._watch.down:
            raise _KnownDown(self._endpoint)
        try:
            response = self._inner.Export(request, *args, **kwargs)
        except grpc.RpcError as error:
            status = _code(error)
            if status in _UNREACHABLE:
                self._watch.failed(self._endpoint, _reason(status, error))
            elif status is not None:
                self._watch.reached(self._endpoint)  # it answered, with an error status
            raise
        self._watch.reached(self._endpoint)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _code(error: grpc.RpcError) -> grpc.StatusCode | None:
    code = getattr(error, "code", None)  # the base RpcError has none; every call's error has
    status = code() if callable(code) else None
    return status if isinstance(status, grpc.StatusCode) else None


def _reason(status: grpc.StatusCode, error: grpc.RpcError) -> str:
    """The status name and the innermost part of its details, scrubbed (they may echo URLs)."""
    details = getattr(error, "details", None)
    text = str((details() if callable(details) else "") or "")
    inner = text.rpartition(":")[2].strip(" ')\"")
    return f"{status.name}: {scrub(inner, limit=80)}" if inner else status.name


def watch_stub(exporter: Any, watch: CollectorWatch, endpoint: str) -> None:
    """Wrap ``exporter``'s current stub and its stub factory so every call reports to ``watch``.

    An exporter without those attributes (a different SDK layout) is left
    unchanged, with a DEBUG note: exports still work, without the watch.

    Args:
        exporter: an ``opentelemetry.exporter.otlp.proto.grpc`` exporter.
        watch: the watch of the configuration.
        endpoint: the exporter's endpoint, as configured.
    """
    stub_factory = getattr(exporter, "_stub", None)
    client = getattr(exporter, "_client", None)
    if not callable(stub_factory) or client is None:
        _logger.debug("this OTLP/gRPC exporter has no stub to wrap: no collector watch over gRPC")
        return

    def wrapped_factory(channel: Any) -> _WatchedStub:
        return _WatchedStub(stub_factory(channel), watch, endpoint)

    try:
        exporter._client = _WatchedStub(client, watch, endpoint)
        exporter._stub = wrapped_factory
    except (AttributeError, TypeError):
        with contextlib.suppress(AttributeError, TypeError):
            exporter._client = client
        _logger.debug("this OTLP/gRPC exporter cannot be wrapped: no collector watch over gRPC")

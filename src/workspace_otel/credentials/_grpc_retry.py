"""OTLP/gRPC: one refresh and one re-send when the server answers ``UNAUTHENTICATED``.

A gRPC metadata plugin never learns how a call ended, and the SDK's gRPC
exporter treats ``UNAUTHENTICATED`` as final, so a token the server refused
(revoked, rotated signing key, clock skew at the gateway) would cost every
batch until the proactive refresh replaced it. The Collector's ``oidc``
authenticator answers exactly that code for a rejected token.

:func:`retry_unauthenticated` wraps the exporter's stub: on
``UNAUTHENTICATED``, when the token the plugin attached to that call is still
the cache's current one, the token is invalidated (the cache allows one
forced refresh per 10 s), a fresh one is fetched and the same request is sent
once more within what is left of the exporter's timeout. The rule is the
HTTP path's (``BearerAuth``): a second ``UNAUTHENTICATED`` is final and
reaches the exporter, which logs it.

Which token a call carried: the plugin runs on a gRPC thread and cannot tell
calls apart, so the stub notes how many calls had a token before it sent. When
exactly one more did, the plugin's latest token is this call's; when other
exports ran at the same time (a simple span processor, an application calling
the exporter from several threads) it takes the token the cache held when the
call started. Either way a token the cache has already replaced is never
invalidated: the call is re-sent once with the current token, as over HTTP.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import grpc

from workspace_otel.credentials._grpc import TokenMetadataPlugin
from workspace_otel.credentials._rejections import note_rejection
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["retry_unauthenticated"]

_logger = logging.getLogger("workspace_otel.credentials")


class _RetryingStub:
    """An OTLP service stub whose ``Export`` re-sends once after ``UNAUTHENTICATED``."""

    def __init__(self, inner: Any, plugin: TokenMetadataPlugin) -> None:
        self._inner = inner
        self._plugin = plugin

    def Export(
        self, request: Any, metadata: Any = None, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        """Send ``request``; after a rejected current token, refresh and send it once more."""
        started = time.monotonic()
        held = self._plugin.cache.current
        mark, _ = self._plugin.attachments()
        try:
            return self._inner.Export(request=request, metadata=metadata, timeout=timeout, **kwargs)
        except grpc.RpcError as error:
            if not _unauthenticated(error):
                raise
            left = None if timeout is None else timeout - (time.monotonic() - started)
            if not self._refreshed(held, mark) or (left is not None and left <= 0):
                self._note(error)
                raise
        try:
            return self._inner.Export(request=request, metadata=metadata, timeout=left, **kwargs)
        except grpc.RpcError as error:
            if _unauthenticated(error):
                self._note(error)
            raise

    def _note(self, error: grpc.RpcError) -> None:
        details = getattr(error, "details", None)
        reason = details() if callable(details) else ""
        note_rejection(
            self._plugin.cache.source.describe(), "gRPC UNAUTHENTICATED", str(reason or "")
        )

    def _refreshed(self, held: Token | None, mark: int) -> bool:
        """Invalidate the rejected token if still current; ``True`` when a different one is ready.

        Args:
            held: the cache's token when the call started.
            mark: how many calls had a token when the call started.
        """
        count, latest = self._plugin.attachments()
        sent = latest if count == mark + 1 else held
        if sent is None:
            return False
        cache = self._plugin.cache
        cache.invalidate(sent)  # a no-op when the cache has already replaced it
        try:
            fresh = cache.token(self._plugin.wait_timeout)
        except TokenError:
            return False
        return fresh.value != sent.value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _unauthenticated(error: grpc.RpcError) -> bool:
    code = getattr(error, "code", None)
    return callable(code) and code() == grpc.StatusCode.UNAUTHENTICATED


def retry_unauthenticated(exporter: Any, plugin: TokenMetadataPlugin) -> Any:
    """Make an SDK OTLP/gRPC exporter recover from one rejected token.

    Wraps the exporter's current stub and the factory it uses when it
    reconnects, so the rule survives a channel re-initialisation. An exporter
    without those attributes (a different SDK layout) is returned unchanged,
    with a DEBUG note: exports still work, without the re-send.

    Args:
        exporter: an ``opentelemetry.exporter.otlp.proto.grpc`` exporter.
        plugin: the metadata plugin on its channel credentials.

    Returns:
        The same exporter.
    """
    stub_factory = getattr(exporter, "_stub", None)
    client = getattr(exporter, "_client", None)
    if not callable(stub_factory) or client is None:
        _logger.debug("this OTLP/gRPC exporter has no stub to wrap: no re-send on UNAUTHENTICATED")
        return exporter

    def wrapped_factory(channel: Any) -> _RetryingStub:
        return _RetryingStub(stub_factory(channel), plugin)

    try:
        exporter._client = _RetryingStub(client, plugin)
        exporter._stub = wrapped_factory
    except (AttributeError, TypeError):
        with contextlib.suppress(AttributeError, TypeError):
            exporter._client = client
        _logger.debug("this OTLP/gRPC exporter cannot be wrapped: no re-send on UNAUTHENTICATED")
    return exporter

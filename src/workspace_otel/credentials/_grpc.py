"""OTLP/gRPC: a metadata plugin attaching the shared token, on TLS channel credentials."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

import grpc

from workspace_otel._guards import egress, safe_read
from workspace_otel._guards.redaction import install_log_filter
from workspace_otel.credentials._cache import RefreshingTokenCache, shared_cache
from workspace_otel.credentials._from_env import token_source_from_env
from workspace_otel.credentials._headers import format_value, resolve_header, warn_if_shadowed
from workspace_otel.credentials._source import TokenSource
from workspace_otel.credentials._token import Token
from workspace_otel.errors import ConfigurationError, TokenError

__all__ = ["TokenMetadataPlugin", "grpc_credentials"]

_logger = logging.getLogger("workspace_otel.credentials")
_SIGNALS = ("TRACES", "METRICS", "LOGS")
_MAX_DECISIONS = 64


class TokenMetadataPlugin(grpc.AuthMetadataPlugin):
    """Adds the current token to each RPC's metadata.

    grpcio runs the plugin on its own thread per call. With a usable token it
    answers at once (no network); on a cold start it waits for the single
    in-flight fetch up to ``wait_timeout``. Without a token it fails the call
    with a redacted message, which the client sees as ``UNAVAILABLE`` and the
    OTLP exporter retries. The callback is invoked exactly once per call.

    gRPC cannot report ``UNAUTHENTICATED`` back to call credentials: the
    re-send after a refused token lives in the exporter's stub
    (``configure()`` wraps it); elsewhere proactive refresh keeps tokens valid.

    The egress rule is asked once per service URL: the call must go over TLS
    and, when ``endpoint`` is given, to that endpoint's origin (host and port);
    otherwise the call goes out without the token and one warning says why.

    Args:
        source: a token source (its shared cache is used) or a cache.
        header: metadata key; default ``WORKSPACE_OTEL_TOKEN_HEADER`` or
            ``authorization`` (value ``Bearer <token>``; raw token otherwise).
        wait_timeout: longest wait when no token is usable (default 5 s).
        endpoint: the configured OTLP endpoint the token belongs to
            (``OTEL_EXPORTER_OTLP_ENDPOINT``), ``https://`` assumed when it has
            no scheme.
    """

    def __init__(
        self,
        source: TokenSource | RefreshingTokenCache,
        *,
        header: str | None = None,
        wait_timeout: float | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.cache = source if isinstance(source, RefreshingTokenCache) else shared_cache(source)
        self.header = resolve_header(header)
        self.wait_timeout = wait_timeout
        if endpoint and "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        self.origin = endpoint or None
        # service URL -> "do not attach", decided once per URL (a channel calls a few services).
        self._decisions: dict[str, bool] = {}
        # How many calls got a token, and the latest one (read by the UNAUTHENTICATED retry).
        self._attached_lock = threading.Lock()
        self._attached = 0
        self._last_sent: Token | None = None

    def attachments(self) -> tuple[int, Token | None]:
        """Return how many calls got a token so far, and the latest token attached."""
        with self._attached_lock:
            return self._attached, self._last_sent

    def _refused(self, context: grpc.AuthMetadataContext | None) -> bool:
        url = getattr(context, "service_url", None)
        if not isinstance(url, str):
            return False
        refused = self._decisions.get(url)
        if refused is None:
            verdict = egress.check(url, origin=self.origin)
            refused = not verdict
            if len(self._decisions) < _MAX_DECISIONS:
                self._decisions[url] = refused
            if refused:
                _logger.warning("%s", egress.refusal_message(url, verdict.reason))
        return refused

    def __call__(
        self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback
    ) -> None:
        """Invoke ``callback`` once with the token metadata, or with an error."""
        try:
            metadata: tuple[tuple[str, str], ...] = ()
            if not self._refused(context):
                token = self.cache.token(self.wait_timeout)
                metadata = ((self.header, format_value(self.header, token.value)),)
                with self._attached_lock:
                    self._attached += 1
                    self._last_sent = token
        except TokenError as exc:
            callback((), TokenError(str(exc), needs_user=exc.needs_user))
            return
        except Exception as exc:  # noqa: BLE001 - the callback must run exactly once
            callback((), TokenError(f"token lookup failed: {type(exc).__name__}"))
            return
        callback(metadata, None)

    def __repr__(self) -> str:
        return f"TokenMetadataPlugin(header={self.header!r}, cache={self.cache!r})"


def _setting(environ: Mapping[str, str], suffix: str) -> tuple[str, str] | None:
    generic = f"OTEL_EXPORTER_OTLP_{suffix}"
    value = environ.get(generic, "").strip()
    if value:
        return generic, value
    names = [f"OTEL_EXPORTER_OTLP_{s}_{suffix}" for s in _SIGNALS]
    found = [(name, environ.get(name, "").strip()) for name in names]
    found = [(name, v) for name, v in found if v]
    if not found:
        return None
    if len({v for _, v in found}) > 1:
        _logger.warning(
            "the per-signal %s variables differ, but one gRPC credential serves every signal: "
            "using %s; set %s instead",
            suffix,
            found[0][0],
            generic,
        )
    return found[0]


def _read(setting: tuple[str, str] | None) -> bytes | None:
    if setting is None:
        return None
    name, path = setting
    try:
        return safe_read.read_bytes(path)
    except safe_read.UnsafeFileError as exc:
        raise ConfigurationError(f"{name}: {exc}: point it at a PEM file") from None
    except OSError as exc:
        raise ConfigurationError(f"{name}: cannot read {path}: {exc.strerror}") from None


def tls_channel_credentials(environ: Mapping[str, str] | None = None) -> grpc.ChannelCredentials:
    """Return TLS channel credentials without a token, honouring the certificate variables.

    Root CAs from ``OTEL_EXPORTER_OTLP_CERTIFICATE``, client key and
    certificate from ``OTEL_EXPORTER_OTLP_CLIENT_KEY`` /
    ``OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`` (or their per-signal variants),
    system roots otherwise.

    Raises:
        ConfigurationError: an unreadable certificate file.
    """
    env = os.environ if environ is None else environ
    return grpc.ssl_channel_credentials(
        root_certificates=_read(_setting(env, "CERTIFICATE")),
        private_key=_read(_setting(env, "CLIENT_KEY")),
        certificate_chain=_read(_setting(env, "CLIENT_CERTIFICATE")),
    )


def grpc_credentials(
    source: TokenSource | RefreshingTokenCache | None = None,
    *,
    header: str | None = None,
    endpoint: str | None = None,
) -> grpc.ChannelCredentials:
    """Return TLS channel credentials that also attach the shared token.

    This is the ``workspace_otel_grpc`` credential-provider entry point
    (``OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER=workspace_otel_grpc``).
    Once a provider is used the exporter stops applying the certificate
    variables itself, so this factory does: root CAs from
    ``OTEL_EXPORTER_OTLP_CERTIFICATE``, client key and certificate from
    ``OTEL_EXPORTER_OTLP_CLIENT_KEY`` / ``OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE``
    (or the per-signal ``..._TRACES_...`` / ``_METRICS_`` / ``_LOGS_`` variants
    when the generic one is unset), system roots otherwise. It reads those
    local files but makes no network call and starts no thread.

    The exporter consults providers only for secure endpoints: with an
    ``http://`` endpoint or ``OTEL_EXPORTER_OTLP_INSECURE=true`` no token is
    sent.

    Args:
        source: token source or cache; default from ``WORKSPACE_OTEL_TOKEN_SOURCE``.
            When nothing is configured, plain TLS credentials are returned.
        header: metadata key; default ``WORKSPACE_OTEL_TOKEN_HEADER`` or
            ``authorization``.
        endpoint: the OTLP endpoint the token belongs to; calls to any other
            origin go without it (default: any origin the channel calls, over TLS).

    Raises:
        ConfigurationError: invalid configuration or an unreadable certificate file.
    """
    return grpc_credentials_and_plugin(source, header=header, endpoint=endpoint)[0]


def grpc_credentials_and_plugin(
    source: TokenSource | RefreshingTokenCache | None = None,
    *,
    header: str | None = None,
    endpoint: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[grpc.ChannelCredentials, TokenMetadataPlugin | None]:
    """Like :func:`grpc_credentials`, also returning the metadata plugin (``None``: no token).

    ``environ`` (default ``os.environ``) is the mapping ``configure(environ=...)``
    reads: the certificate and header variables come from it.
    """
    env = os.environ if environ is None else environ
    channel = tls_channel_credentials(env)
    if source is None:
        source = token_source_from_env()
    header_name = resolve_header(header, env)
    if source is None:
        _logger.debug(
            "no token source configured (WORKSPACE_OTEL_TOKEN_SOURCE): OTLP/gRPC without a token"
        )
        return channel, None
    warn_if_shadowed(header_name, "grpc", env)
    install_log_filter()
    plugin = TokenMetadataPlugin(source, header=header_name, endpoint=endpoint)
    credentials = grpc.composite_channel_credentials(
        channel, grpc.metadata_call_credentials(plugin, name="workspace_otel")
    )
    return credentials, plugin

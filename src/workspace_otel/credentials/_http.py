"""OTLP/HTTP: a ``requests`` auth that attaches the shared token and survives a 401."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from workspace_otel._guards import egress
from workspace_otel._guards.redaction import display_url as egress_display
from workspace_otel._guards.redaction import install_log_filter
from workspace_otel.credentials._from_env import token_source_from_env
from workspace_otel.credentials._headers import format_value, resolve_header, warn_if_shadowed
from workspace_otel.errors import TokenError

if TYPE_CHECKING:  # a Protocol class costs every start to create; only annotations use it
    from workspace_otel.credentials._cache import RefreshingTokenCache
    from workspace_otel.credentials._source import TokenSource
    from workspace_otel.credentials._token import Token

__all__ = ["BearerAuth", "TokenUnavailableError", "http_session"]

_logger = logging.getLogger("workspace_otel.credentials")
_RESENT = "_workspace_otel_resent"
_SENT = "_workspace_otel_sent"
# Per-URL plain-http decisions kept by one BearerAuth (an exporter posts to one URL).
_MAX_DECISIONS = 256


class TokenUnavailableError(TokenError, requests.exceptions.ConnectionError):
    """No usable token: the request was not sent.

    It is a :class:`requests.exceptions.ConnectionError` so the OTLP HTTP
    exporter treats it as transient and retries with its own backoff, instead
    of sending a token the server would reject with a non-retryable 401.
    """

    def __init__(self, message: str, *, needs_user: bool = False) -> None:
        TokenError.__init__(self, message, needs_user=needs_user)


_CACHE_MODULE = "workspace_otel.credentials._cache"


def _given_cache(source: TokenSource | RefreshingTokenCache) -> RefreshingTokenCache | None:
    """``source`` itself when it is a cache, else ``None``.

    A cache can exist only once its module is loaded; asking ``sys.modules``
    first keeps that module (and the token and timing modules under it) out of
    a start that exports nothing yet.
    """
    module = sys.modules.get(_CACHE_MODULE)
    # While another thread is still importing the module it is listed without
    # its class; no cache can exist before the class does.
    cache_type: type[RefreshingTokenCache] | None = getattr(module, "RefreshingTokenCache", None)
    if cache_type is not None and isinstance(source, cache_type):
        return source
    return None


def _describe(source: object) -> str:
    """The source's own one-line description, or its type's name if that fails."""
    try:
        return str(source.describe())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a description must never fail a log line
        return type(source).__qualname__


class BearerAuth(AuthBase):
    """Attaches the current token to every request, through ``Session.auth``.

    Using ``auth`` (not ``session.headers``) means the token is set after the
    exporter merges its static headers, so it always wins over a stale
    ``authorization`` in ``OTEL_EXPORTER_OTLP_HEADERS``.

    * The header is ``authorization: Bearer <token>`` by default, or the raw
      token in any other header (``WORKSPACE_OTEL_TOKEN_HEADER``, e.g.
      ``lightstep-access-token``).
    * On a 401, if the rejected token is still the current one, the token is
      invalidated, one fresh token is fetched (at most one forced refresh per
      10 s per cache) and the request is re-sent once on the same connection
      pool; the first response is read and closed. A second 401 is returned
      as is (the exporter drops the batch, as the OTLP spec says).
    * With no usable token the request is not sent:
      :class:`TokenUnavailableError` is raised, which the exporter retries.
    * The egress rule decides once per URL whether the token may go: over
      TLS, or plain ``http://`` only to loopback and not through a proxy
      (``HTTP_PROXY`` / ``NO_PROXY`` as requests reads them, when the first
      request to that URL is prepared). Otherwise the request goes out
      without it and one warning gives the rule's reason.
    * On a redirect to another origin (scheme, host or port) the token is
      removed before requests follows it, whatever the header's name
      (requests itself strips only ``Authorization``).

    Args:
        source: a token source (its shared cache is used) or a cache.
        header: header name; default ``WORKSPACE_OTEL_TOKEN_HEADER`` or
            ``authorization``.
        wait_timeout: longest wait for a token when none is usable (default 5 s).
    """

    def __init__(
        self,
        source: TokenSource | RefreshingTokenCache,
        *,
        header: str | None = None,
        wait_timeout: float | None = None,
    ) -> None:
        self._source = source
        self._cache = _given_cache(source)
        if self._cache is None:
            # The registry files the cache under this key at the first request;
            # a key that cannot be filed fails here, when the exporter is built.
            hash(cast("TokenSource", source).cache_key)
        self._cache_failure_logged = False
        self.header = resolve_header(header)
        self.wait_timeout = wait_timeout
        self._formatted: tuple[Token | None, str] = (None, "")
        # url -> "do not attach" (the egress rule's verdict), decided once per URL.
        self._decisions: dict[str, bool] = {}
        self._refusals: set[tuple[str, str]] = set()
        self._refusals_lock = threading.Lock()
        # False when the session ignores the process's proxy variables
        # (configure(environ=...)); OtlpSession.send then judges the proxies it uses.
        self.trust_env = True
        # Bound once: a new bound method for every request measurably slowed
        # the attach (budget P5).
        self._hook = self._response_hook

    @property
    def cache(self) -> RefreshingTokenCache:
        """The source's shared token cache, found or made when the first request needs it.

        The registry hands every caller the same cache for one source, so two
        threads asking at once share it too.
        """
        cache = self._cache
        if cache is None:
            cache = self._cache = self._find_cache()
        return cache

    @cache.setter
    def cache(self, cache: RefreshingTokenCache) -> None:
        self._cache = cache

    def _find_cache(self) -> RefreshingTokenCache:
        """The source's shared cache; a failure is logged once and leaves no token.

        Raises:
            TokenUnavailableError: the cache could not be made (the request is
                not sent, and the exporter retries it as for a missing token).
        """
        try:
            from workspace_otel.credentials._cache import shared_cache

            # Not a cache (see _given_cache), so a source.
            return shared_cache(cast("TokenSource", self._source))
        except Exception as exc:  # noqa: BLE001 - a request must never see it raw
            if not self._cache_failure_logged:
                self._cache_failure_logged = True
                _logger.error(
                    "workspace_otel: no token cache for %s (%s); nothing is exported "
                    "with a token until it can be made: check the token source",
                    _describe(self._source),
                    type(exc).__name__,
                )
            raise TokenUnavailableError(
                f"no token cache ({type(exc).__name__})", needs_user=True
            ) from None

    def reset_after_fork(self) -> None:
        """Give a forked child its own lock (a thread of the parent may have held it)."""
        self._refusals_lock = threading.Lock()

    def _refusal(self, url: str, reason: str) -> None:
        """Log once per origin and reason that the token was not sent to ``url``."""
        key = (repr(egress.origin_of(url)), reason)
        with self._refusals_lock:
            if key in self._refusals or len(self._refusals) > _MAX_DECISIONS:
                return
            self._refusals.add(key)
        _logger.warning("%s", egress.refusal_message(url, reason))

    def _refused(self, url: str) -> bool:
        """Ask the egress rule once per URL; log its reason once per host and reason."""
        verdict = egress.check_route(url, trust_env=self.trust_env)
        if not verdict:
            self._refusal(url, verdict.reason)
        return not verdict

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        """Set the token header and register the 401 handler.

        Raises:
            TokenUnavailableError: no usable token within the wait bound.
        """
        url = r.url or ""
        refused = self._decisions.get(url)
        if refused is None:
            refused = self._refused(url)
            if len(self._decisions) < _MAX_DECISIONS:
                self._decisions[url] = refused
        if refused:
            return r
        cache = self._cache  # the attribute, not the property: this runs on every request
        if cache is None:
            cache = self.cache
        try:
            token = cache.token(self.wait_timeout)
        except TokenError as exc:
            raise TokenUnavailableError(str(exc), needs_user=exc.needs_user) from None
        formatted = self._formatted
        if formatted[0] is not token:
            formatted = (token, format_value(self.header, token.value))
            self._formatted = formatted
        r.headers[self.header] = formatted[1]
        body: Any = r.body  # a stream at run time when data= is a file object
        position = None
        if body is not None and not isinstance(body, (bytes, str)):
            tell = getattr(body, "tell", None)
            if callable(tell):
                try:
                    position = tell()
                except OSError:
                    position = None
        # What the 401 handler needs travels with the request; the hook itself is
        # one bound method made once (see __init__), not a new one per request.
        setattr(r, _SENT, (token, position))
        r.hooks["response"].append(self._hook)
        return r

    def _response_hook(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401:
            if response.is_redirect:
                self._strip_for_redirect(response, kwargs.get("proxies"))
            return response
        sent = getattr(response.request, _SENT, None)
        if sent is None:
            return response
        final = self._on_response(sent[0], sent[1], response, **kwargs)
        if final.status_code == 401:
            from workspace_otel.credentials._rejections import http_reason, note_rejection

            reason = http_reason(final.content, final.headers.get("Content-Type"))
            note_rejection(self.cache.source.describe(), "HTTP 401", reason)
        return final

    def _strip_for_redirect(self, response: requests.Response, proxies: Any) -> None:
        """Drop the token from a request about to be followed to another origin.

        ``requests`` copies the request's headers onto the redirected one and
        strips only ``Authorization``; this runs as a response hook, before
        the redirect is built, whatever the header's name.
        """
        request = response.request
        if self.header not in request.headers:
            return
        origin = request.url or ""
        try:
            target = urljoin(origin, response.headers.get("location", ""))
        except ValueError:
            target = ""
        verdict = egress.check_route(target, origin=origin, proxies=proxies)
        if not verdict:
            del request.headers[self.header]
            where = target or "<invalid Location>"
            self._refusal(where, f"redirected from {egress_display(origin)}; {verdict.reason}")

    def _on_response(
        self, sent: Token, position: int | None, response: requests.Response, **kwargs: Any
    ) -> requests.Response:
        if response.status_code != 401:
            return response
        request = response.request
        if getattr(request, _RESENT, False):
            return response
        self.cache.invalidate(sent)
        try:
            fresh = self.cache.token(self.wait_timeout)
        except TokenError:
            return response
        if fresh.value == sent.value:
            return response
        if position is not None:
            seek = getattr(request.body, "seek", None)
            if not callable(seek):
                return response
            seek(position)
        # Read and release the first response before reusing the pool.
        _ = response.content
        response.close()
        retry = request.copy()
        extract_cookies_to_jar(retry._cookies, request, response.raw)  # type: ignore[attr-defined,no-untyped-call]
        retry.prepare_cookies(retry._cookies)  # type: ignore[attr-defined]
        retry.headers[self.header] = format_value(self.header, fresh.value)
        setattr(retry, _RESENT, True)
        second: requests.Response = response.connection.send(retry, **kwargs)
        second.history.append(response)
        second.request = retry
        return second

    def __repr__(self) -> str:
        if self._cache is None:  # not made before the first request (see cache)
            return f"BearerAuth(header={self.header!r}, source={_describe(self._source)!r})"
        return f"BearerAuth(header={self.header!r}, cache={self._cache!r})"


class OtlpSession(requests.Session):
    """A session whose own CA file is not overridden by ``REQUESTS_CA_BUNDLE``.

    The OTLP/HTTP exporter puts ``OTEL_EXPORTER_OTLP_CERTIFICATE`` into
    ``session.verify``; plain requests then lets ``REQUESTS_CA_BUNDLE`` or
    ``CURL_CA_BUNDLE`` (set machine-wide on many images) win over it
    (requests#3829), and TLS to a collector with a private CA fails. Here an
    explicit CA file on the session wins; proxies and the rest of the
    environment are honoured as usual, except that a token is never sent in
    plain text through a proxy.
    """

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and isinstance(self.verify, str):
            settings["verify"] = self.verify
        return settings

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send ``request``; a token over plain http is dropped if a proxy would carry it.

        ``BearerAuth`` decides from the environment's proxy variables; here the
        proxies actually chosen for this request (the session's and the
        call's too) are known, so plain text never reaches a proxy.
        """
        auth = self.auth
        url = request.url or ""
        if (
            isinstance(auth, BearerAuth)
            and url[:7].lower() == "http://"
            and auth.header in request.headers
        ):
            verdict = egress.check_route(url, proxies=kwargs.get("proxies"), trust_env=False)
            if not verdict:
                del request.headers[auth.header]
                auth._refusal(url, verdict.reason)
        response: requests.Response = super().send(request, **kwargs)
        return response


def http_session(
    source: TokenSource | RefreshingTokenCache | None = None, *, header: str | None = None
) -> requests.Session:
    """Return a :class:`requests.Session` whose ``auth`` attaches the shared token.

    This is the ``workspace_otel_http`` credential-provider entry point: set
    ``OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER=workspace_otel_http``
    and the SDK's OTLP/HTTP exporters call it with no arguments, once per
    exporter; all of them share one token cache. It only builds objects: no
    network, no thread.

    Args:
        source: token source or cache; default from ``WORKSPACE_OTEL_TOKEN_SOURCE``
            (:func:`token_source_from_env`). When nothing is configured the
            session is returned without auth (logged at DEBUG).
        header: header name; default ``WORKSPACE_OTEL_TOKEN_HEADER`` or
            ``authorization``.

    Raises:
        ConfigurationError: invalid ``WORKSPACE_OTEL_*`` configuration.
    """
    if source is None:
        source = token_source_from_env()
    return otlp_session(source, header=header)


def otlp_session(
    source: TokenSource | RefreshingTokenCache | None,
    *,
    header: str | None = None,
    environ: Mapping[str, str] | None = None,
    endpoint: str = "",
) -> OtlpSession:
    """Return the session of one OTLP/HTTP exporter, with ``source``'s token when given.

    Args:
        source: token source or cache; ``None`` for a session without a token.
        header: header name; default ``WORKSPACE_OTEL_TOKEN_HEADER`` or ``authorization``.
        environ: the mapping ``configure(environ=...)`` reads. When it is not
            ``os.environ`` the session ignores the process's proxy, CA-bundle
            and netrc settings and takes its proxies for ``endpoint`` from
            ``environ`` (default ``os.environ``: requests reads the process's).
        endpoint: the exporter's URL, whose proxy ``environ`` decides.

    Raises:
        ConfigurationError: an invalid header name.
    """
    env = os.environ if environ is None else environ
    header_name = resolve_header(header, env)
    session = OtlpSession()
    if env is not os.environ:
        session.trust_env = False
        session.proxies.update(egress.proxies_in(env, endpoint))
    if source is None:
        _logger.debug(
            "no token source configured (WORKSPACE_OTEL_TOKEN_SOURCE): OTLP/HTTP without a token"
        )
        return session
    warn_if_shadowed(header_name, "http", env)
    auth = BearerAuth(source, header=header_name)
    auth.trust_env = session.trust_env
    session.auth = auth
    # Used as an entry point without configure(): the exporters' logs are scrubbed too.
    install_log_filter()
    return session

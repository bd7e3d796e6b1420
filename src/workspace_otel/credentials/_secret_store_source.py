"""The fetch scaffolding of the secret-store sources (``vault``, ``aws-secretsmanager``).

:class:`SecretStoreSource` is the one home of what both stores do around
their own protocol:

* one fetch at a time (a lock), the client library imported on the first
  fetch (:func:`import_extra`), its loggers put behind the redaction boundary
  before and after every fetch;
* a failure the store's own handler did not classify (a parser tripping on a
  proxy's error page) becomes a retryable :class:`TokenError` that shows only
  the exception's type, never its text;
* the credential lease (:class:`Lease`: a Vault token's, or assumed AWS
  credentials') and the ``revalidate_interval`` the cache reads from it, so
  a renewal lands before half the lease has gone;
* the shape of the refusals: an endpoint variable that breaks the egress
  rule, a missing field of a secret, a value that is not a usable token;
* after ``fork()`` every live source gets a fresh lock and no connections
  (one at-fork hook for both stores).

A subclass sets :attr:`kind`, :attr:`client_module` and :attr:`extra`, and
implements :meth:`_fetch_with` (and, if it holds more than a client,
:meth:`_forget_connections`).
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from workspace_otel._guards import egress, fork, redaction
from workspace_otel.credentials._secret_store_support import (
    SecretStatus,
    guard_client_logs,
    import_extra,
)
from workspace_otel.credentials._token import Token
from workspace_otel.errors import ConfigurationError, TokenError

__all__ = [
    "MESSAGE_LIMIT",
    "Lease",
    "SecretStoreSource",
    "check_endpoint",
    "store_message",
    "string_field",
    "token_of",
]

# Renew (or log in / assume again) once half a credential lease has gone.
RENEW_AT_FRACTION = 0.5
MIN_REVALIDATE = 1.0
MESSAGE_LIMIT = 160
SOURCE_VARIABLE = "WORKSPACE_OTEL_TOKEN_SOURCE"


def store_message(text: str) -> str:
    """Return a store's error text fit for a log line: scrubbed and bounded."""
    return redaction.scrub(text, limit=MESSAGE_LIMIT)


def check_endpoint(
    variable: str, url: str, what: str, *, proxied: bool = False, checked: str | None = None
) -> None:
    """Refuse, at configuration time, an endpoint that must not carry ``what``.

    Args:
        variable: the variable that set ``url``, for the message.
        url: the endpoint, as the message shows it (credentials removed).
        what: what would travel there (``a Vault token``).
        proxied: whether requests to ``url`` go through a proxy.
        checked: the URL given to the egress rule, when not ``url`` itself.

    Raises:
        ConfigurationError: the egress rule refuses the endpoint; the message
            names ``variable`` and the rule's reason.
    """
    verdict = egress.check(url if checked is None else checked, proxied=proxied)
    if not verdict:
        raise ConfigurationError(
            f"{variable}={redaction.display_url(url)} cannot carry {what}: {verdict.reason}"
        )


def string_field(document: Mapping[Any, Any], name: str, secret: str, fix: str) -> str:
    """Return the string field ``name`` of a secret's document, registered as a secret.

    Args:
        document: the secret's key/value object.
        name: the field to read.
        secret: how the message names the secret (``the secret otel/x``).
        fix: what the message tells the user to change.

    Raises:
        TokenError: ``needs_user=True``; the message lists up to ten field names.
    """
    value = document.get(name)
    if not isinstance(value, str):
        names = ", ".join(sorted(str(k) for k in document)[:10]) or "none"
        raise TokenError(
            f"{secret} has no string field {name!r} (its fields: {names}): {fix}",
            needs_user=True,
        )
    redaction.register_secret(value)
    return value


def token_of(value: str, kind: str, what: str) -> Token:
    """Turn a secret's value into a :class:`Token`, naming ``what`` when it is not one.

    Raises:
        TokenError: ``needs_user=True``: the value is not a usable token.
    """
    redaction.register_secret(value)
    try:
        return Token.from_value(value, kind=kind)
    except TokenError as exc:
        raise TokenError(f"{what}: {exc}", needs_user=True) from None


class Lease:
    """The lifetime of the credentials a source holds (monotonic seconds).

    ``ttl`` is the lease's full length, ``end`` when it runs out; both
    ``None`` for credentials without expiry. The clock is passed in at each
    call, so a test may swap the source's clock after construction.
    """

    __slots__ = ("end", "ttl")

    def __init__(self) -> None:
        self.ttl: float | None = None
        self.end: float | None = None

    def start(self, seconds: object, now: float) -> None:
        """Begin a lease of ``seconds``: no expiry unless a finite positive number.

        A store's answer is not trusted to be sane: ``true``, a string, or an
        infinite duration (JSON ``1e999``) counts as no expiry, not as a lease
        due for renewal at every fetch.
        """
        if (
            isinstance(seconds, (int, float))
            and not isinstance(seconds, bool)
            and math.isfinite(seconds)
            and seconds > 0
        ):
            self.ttl = float(seconds)
            self.end = now + float(seconds)
        else:
            self.clear()

    def clear(self) -> None:
        """Forget the lease (no credentials, or credentials without expiry)."""
        self.ttl = self.end = None

    def expired(self, now: float) -> bool:
        """Whether the lease has run out."""
        return self.end is not None and now >= self.end

    def renewal_due(self, now: float) -> bool:
        """Whether half (:data:`RENEW_AT_FRACTION`) of the lease has gone."""
        if self.end is None or self.ttl is None:
            return False
        return self.end - now <= self.ttl * RENEW_AT_FRACTION

    def next_check(self, revalidate: float, now: float) -> float:
        """Seconds until the next fetch: ``revalidate``, or sooner for a renewal."""
        if self.end is None or self.ttl is None:
            return revalidate
        renew_in = self.end - now - self.ttl * (1 - RENEW_AT_FRACTION)
        return max(MIN_REVALIDATE, min(revalidate, renew_in))


class SecretStoreSource:
    """Base of the sources that read a token from a secret store.

    Args:
        revalidate_interval: seconds between reads of the secret; default 60.
        timeout: seconds allowed for each request to the store; default 10.
        environ: the variables a fetch reads; ``os.environ`` when ``None``.
        monotonic: clock for lease accounting (tests inject one).
    """

    kind: str
    client_module: str  # imported at the first fetch
    extra: str  # the pip extra that provides it
    status: SecretStatus | None  # what doctor shows about the last read

    def __init__(
        self,
        *,
        revalidate_interval: float,
        timeout: float,
        environ: Mapping[str, str] | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._revalidate = float(revalidate_interval)
        self.timeout = float(timeout)
        self._environ = None if environ is None or environ is os.environ else environ
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._client: Any = None
        self._lease = Lease()
        self._identity = ""
        self.status = None
        _SOURCES.add(self)

    @property
    def environ(self) -> Mapping[str, str]:
        """The variables this source reads (``os.environ`` unless one was given)."""
        return os.environ if self._environ is None else self._environ

    @property
    def revalidate_interval(self) -> float:
        """Seconds until the next fetch: the interval, or sooner to renew the credentials."""
        return self._lease.next_check(self._revalidate, self._monotonic())

    def fetch(self) -> Token:
        """Read the secret, renewing the credentials first when due.

        Raises:
            TokenError: ``needs_user=True`` for errors retrying cannot fix.
            ConfigurationError: the client library is not installed.
        """
        with self._lock:
            try:
                client = import_extra(self.client_module, self.extra, SOURCE_VARIABLE, self.kind)
                guard_client_logs()
                try:
                    return self._fetch_with(client)
                except (TokenError, ConfigurationError):
                    raise
                except Exception as exc:  # noqa: BLE001 - a client on an answer it did not expect
                    raise TokenError(self._unreadable(exc)) from None
            finally:
                guard_client_logs()

    def _fetch_with(self, client: ModuleType) -> Token:
        """Fetch under the lock, translating the client's own exceptions."""
        raise NotImplementedError

    def _unreadable(self, exc: Exception) -> str:
        """The message for an answer the client library could not read (type only)."""
        return f"{self.kind} gave an answer that could not be read ({type(exc).__name__})"

    def _forget_connections(self) -> None:
        """Drop what a forked child must not share (the client; more in subclasses)."""
        self._client = None

    def _after_fork_in_child(self) -> None:
        # The parent's lock may be held by a vanished thread, and its HTTP
        # connections must not be shared.
        self._lock = threading.Lock()
        self._forget_connections()


_SOURCES: weakref.WeakSet[SecretStoreSource] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for source in list(_SOURCES):
        source._after_fork_in_child()


fork.on_fork_in_child(__name__, _reset_after_fork)

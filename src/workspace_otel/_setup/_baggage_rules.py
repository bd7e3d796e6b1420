"""Which names may cross services as baggage, and which values may be used.

The rules both directions of :mod:`workspace_otel._setup._baggage` apply, read from
``WORKSPACE_OTEL_BAGGAGE`` (names to send) and
``WORKSPACE_OTEL_BAGGAGE_TO_SPANS`` (keys and ``prefix*`` patterns to copy
onto spans): a name that could carry a secret is refused on both sides,
``user.*`` passes only by its exact name, and a value is used only when it is
short printable non-credential text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workspace_otel._settings import _env
from workspace_otel._settings._option_table import OPTION
from workspace_otel._setup import propagator_may_be_ours
from workspace_otel.errors import ConfigurationError

__all__ = [
    "RECEIVE_VARIABLE",
    "SEND_VARIABLE",
    "BaggageSettings",
    "KeyFilter",
    "as_text",
    "could_be_secret",
    "receive_filter",
    "send_names",
    "settings_from",
    "usable_value",
]

SEND_VARIABLE = OPTION["baggage"].variables[0]
RECEIVE_VARIABLE = OPTION["baggage_to_spans"].variables[0]
_USER_PREFIX = "user."
_MAX_VALUE_CHARS = 1024
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}"  # always fullmatch

# A name whose segment (split on . _ -) is one of these, or that contains one of
# the fragments (separators ignored), could carry a credential: refused on both
# sides.
_SECRET_SEGMENTS = frozenset(
    {"key", "keys", "pwd", "pass", "jwt", "sas", "auth", "pat", "otp", "pin", "sig", "dsn"}
)
_SECRET_FRAGMENTS = (
    "token",
    "secret",
    "passw",
    "credential",
    "cookie",
    "apikey",
    "accesskey",
    "privatekey",
    "private",
    "signature",
    "bearer",
    "session",
    "authoriz",
    "authent",
    "certificate",
    "passphrase",
    "passcode",
    "connectionstring",
    "webhook",
)


def could_be_secret(name: str) -> bool:
    """Return whether an attribute or baggage key's name could carry a secret.

    Case-insensitive; ``workspace.actor.agent.session.id`` counts (a session id
    is a bearer credential in many services), ``vcs.ref.head.revision`` does not.
    """
    lowered = name.lower()
    # Fragments are matched across separators: connection_string, access.token.
    compact = re.sub(r"[._\-]", "", lowered)
    if any(fragment in compact for fragment in _SECRET_FRAGMENTS):
        return True
    return any(part in _SECRET_SEGMENTS for part in re.split(r"[._\-]", lowered))


def _items(variable: str, environ: Mapping[str, str]) -> list[str]:
    raw = _env.get(variable, environ) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]


def _refuse(variable: str, item: str, why: str, fix: str) -> ConfigurationError:
    shown = item if item.isprintable() and len(item) <= 128 else "(unprintable or too long)"
    return ConfigurationError(f"{variable} lists {shown!r}, which {why}: {fix}")


def send_names(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Return the resource attribute names ``WORKSPACE_OTEL_BAGGAGE`` lists (default: none).

    Raises:
        ConfigurationError: a name is a pattern, malformed, or could carry a secret.
    """
    names: list[str] = []
    for item in _items(SEND_VARIABLE, environ):
        if "*" in item:
            raise _refuse(
                SEND_VARIABLE,
                item,
                "is a pattern",
                "list resource attribute names exactly (e.g. workspace.id,vcs.ref.head.revision)",
            )
        if not re.fullmatch(_NAME, item):
            raise _refuse(
                SEND_VARIABLE, item, "is not an attribute name", "use names such as workspace.id"
            )
        if could_be_secret(item):
            raise _refuse(
                SEND_VARIABLE,
                item,
                "could carry a secret and baggage reaches every downstream service",
                "remove it from the list",
            )
        if item not in names:
            names.append(item)
    return tuple(names)


class KeyFilter:
    """The baggage-key predicate given to ``BaggageSpanProcessor``.

    Args:
        exact: keys listed by name (the only way ``user.*`` keys pass).
        prefixes: the prefixes of the ``prefix*`` patterns.
    """

    __slots__ = ("exact", "prefixes")

    def __init__(self, exact: frozenset[str], prefixes: tuple[str, ...]) -> None:
        self.exact = exact
        self.prefixes = prefixes

    def __repr__(self) -> str:
        return f"KeyFilter({self.describe()})"

    def describe(self) -> str:
        """Return the keys and patterns as the variable would list them."""
        return ", ".join([*sorted(self.exact), *(f"{p}*" for p in self.prefixes)])

    def __call__(self, key: str) -> bool:
        """Return whether an incoming baggage entry ``key`` is copied onto spans.

        Keys arrive percent-decoded: one that is not a plain attribute name
        (control characters, a bidi override, over 128 characters) never is.
        """
        if not re.fullmatch(_NAME, key):
            return False
        if key in self.exact:
            return True
        if not self.prefixes or key.lower().startswith(_USER_PREFIX) or could_be_secret(key):
            return False
        return key.startswith(self.prefixes)


def receive_filter(environ: Mapping[str, str]) -> KeyFilter | None:
    """Return the key filter ``WORKSPACE_OTEL_BAGGAGE_TO_SPANS`` describes, ``None`` when unset.

    Raises:
        ConfigurationError: an entry is malformed, could match a secret or ``user.*``.
    """
    exact: set[str] = set()
    prefixes: list[str] = []
    for item in _items(RECEIVE_VARIABLE, environ):
        prefix, star, rest = item.partition("*")
        if rest or (star and not prefix):
            raise _refuse(
                RECEIVE_VARIABLE,
                item,
                "is not a key or a prefix* pattern",
                "write keys, or prefixes ending in one * (e.g. workspace.*,vcs.ref.head.revision)",
            )
        if not re.fullmatch(_NAME, prefix):
            raise _refuse(
                RECEIVE_VARIABLE, item, "is not a baggage key", "use keys such as workspace.id"
            )
        if could_be_secret(prefix):
            raise _refuse(
                RECEIVE_VARIABLE,
                item,
                "could match a secret",
                "remove it: spans are exported to your backend",
            )
        lowered = prefix.lower()
        if star and (_USER_PREFIX.startswith(lowered) or lowered.startswith(_USER_PREFIX)):
            raise _refuse(
                RECEIVE_VARIABLE,
                item,
                "is a pattern that could match user.*",
                "list user.* keys by exact name (e.g. user.name)",
            )
        if star:
            prefixes.append(prefix)
        else:
            exact.add(prefix)
    if not exact and not prefixes:
        return None
    return KeyFilter(frozenset(exact), tuple(prefixes))


class BaggageSettings:
    """Both directions, parsed and checked before anything is built.

    Attributes:
        send: resource attribute names put in outgoing baggage.
        receive: the key filter for incoming baggage, ``None`` when off.
    """

    __slots__ = ("receive", "send")

    def __init__(self, send: tuple[str, ...], receive: KeyFilter | None) -> None:
        self.send = send
        self.receive = receive

    def __repr__(self) -> str:
        return f"BaggageSettings(send={self.send!r}, receive={self.receive!r})"


def install_needed(settings: BaggageSettings, *, set_global: bool) -> bool:
    """Whether ``_baggage.install`` would change anything for ``settings``.

    When it would not (the usual start: no baggage variables), the pipeline
    imports none of the propagator machinery.
    """
    if settings.receive is not None:
        return True
    return set_global and (bool(settings.send) or propagator_may_be_ours())


def settings_from(environ: Mapping[str, str]) -> BaggageSettings:
    """Read ``WORKSPACE_OTEL_BAGGAGE`` and ``WORKSPACE_OTEL_BAGGAGE_TO_SPANS``.

    Raises:
        ConfigurationError: either variable is invalid (the message names it and the fix).
    """
    return BaggageSettings(send_names(environ), receive_filter(environ))


def as_text(value: Any) -> str | None:
    """Return a scalar as printable text of at most 1024 characters, else ``None``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value)
        if text and text.isprintable() and len(text) <= _MAX_VALUE_CHARS:
            return text
    return None


def usable_value(value: Any) -> str | None:
    """Return a baggage value as span or baggage text, ``None`` when it must not be used.

    Usable: a short printable scalar (at most 1024 characters) that is not
    credential-shaped and holds no secret the library knows. The one rule for
    both directions: what is sent and what an upstream service sent.
    """
    from workspace_otel._guards import redaction

    text = as_text(value)
    if text is None or redaction.looks_like_credential(text):
        return None
    return text

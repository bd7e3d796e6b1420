"""Context that crosses services: resource attributes out as W3C baggage, baggage in onto spans.

Both directions are opt-in and off by default.

Sending (``WORKSPACE_OTEL_BAGGAGE``, a comma list of resource attribute names):
the global propagator is wrapped so that every ``inject`` (every outgoing
request an instrumentation makes) carries those attributes of this process's
resource as baggage entries. An entry the application already put in the
baggage under the same name is left as it is. The entries reach every
downstream service, third parties included: only names that can never carry a
secret are accepted, and ``user.*`` only when listed by its exact name.

Receiving (``WORKSPACE_OTEL_BAGGAGE_TO_SPANS``, a comma list of keys or
``prefix*`` patterns): the contrib ``BaggageSpanProcessor`` copies the matching
incoming entries onto every span this process starts. No pattern ever matches
``user.*`` (list such a key by its exact name) nor a name that looks like a
secret, whatever an upstream service sends; a key that is not a plain
attribute name, or a value that is not short printable non-credential text
(:func:`usable_value`), is left off the span.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)

from workspace_otel import _env
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource

_logger = logging.getLogger("workspace_otel")

SEND_VARIABLE = "WORKSPACE_OTEL_BAGGAGE"
RECEIVE_VARIABLE = "WORKSPACE_OTEL_BAGGAGE_TO_SPANS"
_USER_PREFIX = "user."
_MAX_VALUE_CHARS = 1024
# Our share of the W3C limit of 8192 bytes per baggage header; the rest is the
# application's.
_MAX_HEADER_BYTES = 4096
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")  # always fullmatch

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
        if not _NAME.fullmatch(item):
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
        if not _NAME.fullmatch(key):
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
        if not _NAME.fullmatch(prefix):
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


def settings_from(environ: Mapping[str, str]) -> BaggageSettings:
    """Read ``WORKSPACE_OTEL_BAGGAGE`` and ``WORKSPACE_OTEL_BAGGAGE_TO_SPANS``.

    Raises:
        ConfigurationError: either variable is invalid (the message names it and the fix).
    """
    return BaggageSettings(send_names(environ), receive_filter(environ))


def _as_text(value: Any) -> str | None:
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

    text = _as_text(value)
    if text is None or redaction.looks_like_credential(text):
        return None
    return text


def _checked_processor(keys: KeyFilter) -> Any:
    """Return the contrib ``BaggageSpanProcessor`` for ``keys`` that also checks each value.

    The contrib processor copies whatever value an upstream service sent;
    here a value with control characters, over the size limit or shaped like a
    credential is left off the span.
    """
    from opentelemetry.baggage import get_all
    from opentelemetry.processor.baggage import BaggageSpanProcessor

    class _ValueCheckedBaggageSpanProcessor(BaggageSpanProcessor):
        def on_start(self, span: Any, parent_context: Context | None = None) -> None:
            for key, value in get_all(parent_context).items():
                if keys(key):
                    text = usable_value(value)
                    if text is not None:
                        span.set_attribute(key, text)

    return _ValueCheckedBaggageSpanProcessor(keys)


def entries_for(names: Sequence[str], attributes: Mapping[str, Any]) -> dict[str, str]:
    """Return the baggage entries for ``names`` from resource ``attributes``.

    A name the resource does not have, or whose value is not a short printable
    scalar or holds a secret the library knows, is left out (logged once). So
    is an entry past 4096 bytes of encoded ``baggage`` header in total: a
    receiver drops a header over the W3C limit of 8192 bytes whole (the
    application's own entries with it), and half is left to the application.
    """
    from urllib.parse import quote_plus

    from workspace_otel._guards import redaction

    entries: dict[str, str] = {}
    size = 0
    for name in names:
        text = _as_text(attributes.get(name))
        if text is None:
            _logger.info(
                "workspace_otel: %s lists %s, which this process's resource has no usable "
                "value for; it is not sent",
                SEND_VARIABLE,
                name,
            )
            continue
        if redaction.looks_like_credential(text):
            _logger.warning(
                "workspace_otel: the value of %s looks like a credential; it is not sent as "
                "baggage (remove it from %s)",
                name,
                SEND_VARIABLE,
            )
            continue
        pair = len(quote_plus(name)) + 1 + len(quote_plus(text))
        if size + pair + (1 if entries else 0) > _MAX_HEADER_BYTES:
            _logger.warning(
                "workspace_otel: %s is not sent as baggage: the entries listed in %s would "
                "exceed %d bytes of the baggage header (list fewer or shorter attributes)",
                name,
                SEND_VARIABLE,
                _MAX_HEADER_BYTES,
            )
            continue
        size += pair + (1 if entries else 0)
        entries[name] = text
    return entries


class ResourceBaggagePropagator(TextMapPropagator):
    """A propagator that adds resource attributes to the baggage at inject time.

    Wraps the propagator that was global before (so ``OTEL_PROPAGATORS`` still
    decides the formats: without ``baggage`` in it nothing is sent). Entries the
    application set itself win. ``extract`` is the wrapped propagator's.

    Args:
        inner: the propagator to wrap.
        entries: baggage key -> value added to every outgoing request.
    """

    def __init__(self, inner: TextMapPropagator, entries: Mapping[str, str]) -> None:
        self.inner = inner
        self.entries = dict(entries)

    def __repr__(self) -> str:
        return f"ResourceBaggagePropagator(keys={sorted(self.entries)}, inner={self.inner!r})"

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        """Inject the wrapped formats, with the resource entries added to the baggage."""
        from opentelemetry import baggage
        from opentelemetry.context import get_current

        ctx = get_current() if context is None else context
        present = baggage.get_all(ctx)
        for key, value in self.entries.items():
            if key not in present:
                ctx = baggage.set_baggage(key, value, ctx)
        self.inner.inject(carrier, ctx, setter)

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        """Extract with the wrapped propagator."""
        return self.inner.extract(carrier, context, getter)

    @property
    def fields(self) -> set[str]:
        """The wrapped propagator's header names."""
        return set(self.inner.fields)


def install(
    settings: BaggageSettings, resource: Resource, tracer_provider: Any, *, set_global: bool
) -> None:
    """Apply both directions to a freshly built pipeline.

    The span processor goes on ``tracer_provider``; the propagator wrapper is
    installed globally only when ``set_global`` (``configure(set_global=...)``).
    Calling it again replaces the previous wrapper instead of stacking one.
    """
    if settings.receive is not None and hasattr(tracer_provider, "add_span_processor"):
        tracer_provider.add_span_processor(_checked_processor(settings.receive))
    if not set_global:
        return
    from opentelemetry.propagate import get_global_textmap, set_global_textmap

    current = get_global_textmap()
    inner = current.inner if isinstance(current, ResourceBaggagePropagator) else current
    entries = entries_for(settings.send, resource.attributes) if settings.send else {}
    if entries:
        set_global_textmap(ResourceBaggagePropagator(inner, entries))
    elif inner is not current:
        set_global_textmap(inner)  # a new pipeline without WORKSPACE_OTEL_BAGGAGE


def uninstall() -> None:
    """Remove the propagator wrapper, if it is the global one (at ``Telemetry.shutdown``).

    Once telemetry is shut down the resource stops travelling as baggage; the
    wrapped propagator is global again.
    """
    from opentelemetry.propagate import get_global_textmap, set_global_textmap

    current = get_global_textmap()
    if isinstance(current, ResourceBaggagePropagator):
        set_global_textmap(current.inner)

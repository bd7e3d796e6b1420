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

Which names and values pass is decided in :mod:`workspace_otel._setup._baggage_rules`;
this module builds the propagator and the span processor from them.
"""

from __future__ import annotations

import logging
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

from workspace_otel._setup._baggage_rules import (
    RECEIVE_VARIABLE,
    SEND_VARIABLE,
    BaggageSettings,
    KeyFilter,
    as_text,
    could_be_secret,
    receive_filter,
    send_names,
    settings_from,
    usable_value,
)

# The rules are re-exported: callers know this module as the baggage feature.
__all__ = [
    "RECEIVE_VARIABLE",
    "SEND_VARIABLE",
    "BaggageSettings",
    "KeyFilter",
    "ResourceBaggagePropagator",
    "could_be_secret",
    "entries_for",
    "install",
    "receive_filter",
    "send_names",
    "settings_from",
    "uninstall",
    "usable_value",
]

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource

_logger = logging.getLogger("workspace_otel")

# Our share of the W3C limit of 8192 bytes per baggage header; the rest is the
# application's.
_MAX_HEADER_BYTES = 4096


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
        text = as_text(attributes.get(name))
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

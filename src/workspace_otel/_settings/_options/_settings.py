"""The resolved configuration: :class:`Settings`, its per-signal part and configure()'s arguments.

``Settings.describe()`` walks the option table, so its rows follow the table's
order and labels; only how a value is shown is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from workspace_otel._guards.redaction import scrub_known
from workspace_otel._settings._option_table import OPTIONS
from workspace_otel._settings._options._provenance import Origin, Setting
from workspace_otel._settings._record import Record

if TYPE_CHECKING:
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.sdk.resources import ResourceDetector
    from opentelemetry.sdk.trace.sampling import Sampler

    from workspace_otel.credentials import TokenSource

    # How a Settings attribute is shown (a type only: the alias costs a start to build).
    _Shown = Callable[["Settings"], "tuple[str, Any] | None"]

__all__ = ["SIGNALS", "Arguments", "Settings", "Signal", "SignalSettings", "endpoint_display"]

Signal = Literal["traces", "metrics", "logs"]
SIGNALS: tuple[Signal, ...] = ("traces", "metrics", "logs")


def _scrubbed_repr(obj: tuple[Any, ...]) -> str:
    names: tuple[str, ...] = getattr(obj, "_fields", ())
    body = ", ".join(f"{name}={value!r}" for name, value in zip(names, obj, strict=True))
    # Endpoint query values and user-info are registered secrets: masked here too.
    return scrub_known(f"{type(obj).__qualname__}({body})")


def uses_otlp(exporters: Sequence[str]) -> bool:
    """Whether any of these exporter names is an OTLP exporter."""
    return any(name.startswith("otlp") for name in exporters)


class SignalSettings(Record):
    """Exporter choice for one signal.

    Attributes:
        signal: ``traces``, ``metrics`` or ``logs``.
        exporters: exporter names (``otlp``, ``console`` or an SDK entry-point
            name); empty when the signal is off.
        protocol: ``http/protobuf`` or ``grpc``.
        endpoint: the URL (HTTP: full URL including the signal path) or
            ``host:port`` (gRPC); ``None`` when nothing is configured.
    """

    signal: Signal
    exporters: Setting[tuple[str, ...]]
    protocol: Setting[str]
    endpoint: Setting[str | None]

    def __repr__(self) -> str:
        return _scrubbed_repr(self)

    @property
    def enabled(self) -> bool:
        """Whether any exporter is configured for this signal."""
        return bool(self.exporters.value)


class Settings(Record):
    """Every effective configure() option, with provenance.

    Build it with :func:`workspace_otel._settings._options.resolve`. ``describe()``
    gives rows safe to print.
    """

    disabled: Setting[bool]
    backend: Setting[str]
    lightstep_region: Setting[str]
    service_name: Setting[str | None]
    resource_attributes: Setting[Mapping[str, Any]]
    env_resource_attributes: Setting[Mapping[str, str]]
    detectors: Setting[tuple[ResourceDetector | str, ...] | None]
    credentials: Setting[TokenSource | None]
    token_header: Setting[str]
    traces: SignalSettings
    metrics: SignalSettings
    logs: SignalSettings
    sampler: Setting[Sampler | None]
    sampler_name: Setting[str]
    propagators: Setting[TextMapPropagator | tuple[str, ...] | None]
    propagator_names: Setting[tuple[str, ...]]
    set_global: Setting[bool]
    trace_url: Setting[str | None]
    flush_timeout: Setting[float]

    def __repr__(self) -> str:
        return _scrubbed_repr(self)

    def signal(self, name: Signal) -> SignalSettings:
        """Return the settings of one signal."""
        return {"traces": self.traces, "metrics": self.metrics, "logs": self.logs}[name]

    @property
    def console_fallback(self) -> bool:
        """Whether some signal prints to the console because no endpoint is configured."""
        return any(
            s.exporters.source.kind is Origin.FALLBACK
            for s in (self.traces, self.metrics, self.logs)
        )

    def describe(self) -> list[tuple[str, str, str]]:
        """Return ``(option, value, source)`` rows; values never include a secret."""
        rows: list[tuple[str, str, str]] = []
        signals_done = False
        for option in OPTIONS:
            if not option.setting:
                continue
            if option.per_signal or option.key in _SHOWN_PER_SIGNAL:
                if not signals_done:
                    signals_done = True
                    for sig in (self.traces, self.metrics, self.logs):
                        rows.extend(_signal_rows(sig))
                continue
            show = _SHOWN.get(option.key)
            shown = show(self) if show else _plain(getattr(self, option.key), option.secret)
            if shown is not None:
                rows.append((option.label or option.key, shown[0], str(shown[1])))
        return rows


def _signal_rows(sig: SignalSettings) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = [
        (sig.signal, ",".join(sig.exporters.value) or "off", str(sig.exporters.source))
    ]
    if sig.enabled and uses_otlp(sig.exporters.value):
        rows.append((f"{sig.signal}_protocol", sig.protocol.value, str(sig.protocol.source)))
        rows.append(
            (
                f"{sig.signal}_endpoint",
                endpoint_display(sig.endpoint.value),
                str(sig.endpoint.source),
            )
        )
    return rows


def _keys(values: Mapping[str, Any]) -> str | None:
    return ",".join(sorted(values)) if values else None


def _detectors(value: tuple[ResourceDetector | str, ...] | None) -> str:
    if value is None:
        return "workspace (default)"
    return ",".join(d if isinstance(d, str) else type(d).__name__ for d in value)


def _row(setting: Setting[Any], shown: str | None) -> tuple[str, Any] | None:
    return None if shown is None else (shown, setting.source)


def _plain(setting: Setting[Any], secret: bool) -> tuple[str, Any]:
    """Show a value the table gives no display rule for: never a secret one."""
    value = setting.value
    if secret and value is not None:
        return "(set, not shown)", setting.source
    if value is None:
        return "", setting.source
    return (str(value).lower() if isinstance(value, bool) else str(value)), setting.source


_SHOWN_PER_SIGNAL = frozenset({"exporters", "protocol", "endpoint"})
# How a Settings attribute is shown when str() is not right (never a secret: a token
# source shows its kind); any other is shown by _plain().
_SHOWN: Mapping[str, _Shown] = {
    "lightstep_region": lambda s: _row(
        s.lightstep_region, s.lightstep_region.value if s.backend.value == "lightstep" else None
    ),
    "resource_attributes": lambda s: _row(
        s.resource_attributes, _keys(s.resource_attributes.value)
    ),
    "env_resource_attributes": lambda s: _row(
        s.env_resource_attributes, _keys(s.env_resource_attributes.value)
    ),
    "detectors": lambda s: _row(s.detectors, _detectors(s.detectors.value)),
    "credentials": lambda s: _row(
        s.credentials, s.credentials.value.kind if s.credentials.value else "none"
    ),
    "sampler": lambda s: _row(s.sampler_name, s.sampler_name.value),
    "propagators": lambda s: _row(s.propagator_names, ",".join(s.propagator_names.value) or "none"),
    "flush_timeout": lambda s: _row(s.flush_timeout, f"{s.flush_timeout.value:g}s"),
}


def endpoint_display(url: str | None) -> str:
    """Return scheme://host:port of an endpoint (no path, query or user info), or ``none``."""
    if not url:
        return "none"
    try:
        parts = urlsplit(url if "://" in url else f"//{url}")
    except ValueError:
        return "?"
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return f"{scheme}{host}" + (f":{port}" if port else "")


class Arguments(Record):
    """The raw keyword arguments of configure() (``None`` = not given)."""

    service_name: str | None = None
    resource_attributes: Mapping[str, Any] | None = None
    detectors: Sequence[ResourceDetector | str] | None = None
    credentials: TokenSource | Literal[False] | None = None
    token_header: str | None = None
    endpoint: str | None = None
    protocol: str | None = None
    backend: str | None = None
    traces: bool | None = None
    metrics: bool | None = None
    logs: bool | None = None
    sampler: Sampler | str | None = None
    propagators: TextMapPropagator | Sequence[str] | None = None
    set_global: bool | None = None
    flush_timeout: float | None = None

    def __repr__(self) -> str:
        return _scrubbed_repr(self)

    def given(self) -> tuple[str, ...]:
        """Return the names of the arguments that were given (not ``None``)."""
        return tuple(
            name for name, value in zip(self._fields, self, strict=True) if value is not None
        )

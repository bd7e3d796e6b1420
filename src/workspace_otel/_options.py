"""Resolve configure() options: argument, then environment variable, then default.

Every effective value is kept with where it came from (:class:`Setting`), so
``Telemetry.settings`` and ``workspace-otel doctor`` can show the provenance of
each one. Nothing here builds SDK objects; invalid values raise
:class:`~workspace_otel.errors.ConfigurationError` naming the argument or
variable and the fix. Secret values are never put in a message.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import FrozenInstanceError
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from workspace_otel import _env, _sdk_variables, _token_config
from workspace_otel._guards.redaction import display_url, register_url, scrub_known
from workspace_otel._links import trace_url_template
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.sdk.resources import ResourceDetector
    from opentelemetry.sdk.trace.sampling import Sampler

    from workspace_otel.credentials import TokenSource

T = TypeVar("T")

Signal = Literal["traces", "metrics", "logs"]
SIGNALS: tuple[Signal, ...] = ("traces", "metrics", "logs")

PROTOCOLS = ("http/protobuf", "grpc")
BACKENDS = _token_config.BACKENDS
REGIONS = ("us", "eu")
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
BUILTIN_EXPORTERS = ("otlp", "otlp_proto_http", "otlp_proto_grpc", "console")
DEFAULT_FLUSH_TIMEOUT = 5.0
FLUSH_TIMEOUT_VAR = "WORKSPACE_OTEL_FLUSH_TIMEOUT"

ARGUMENT = "argument"
DEFAULT = "default"

_LIGHTSTEP_HOSTS = {"us": "ingest.lightstep.com", "eu": "ingest.eu.lightstep.com"}
LIGHTSTEP_HEADER = _token_config.LIGHTSTEP_HEADER

_EXPORTER_VARS: Mapping[Signal, str] = {
    "traces": "OTEL_TRACES_EXPORTER",
    "metrics": "OTEL_METRICS_EXPORTER",
    "logs": "OTEL_LOGS_EXPORTER",
}
_ENTRY_POINT_GROUPS: Mapping[Signal, str] = {
    "traces": "opentelemetry_traces_exporter",
    "metrics": "opentelemetry_metrics_exporter",
    "logs": "opentelemetry_logs_exporter",
}


class _Frozen:
    """Base of the small immutable value classes below.

    Behaves like ``@dataclass(frozen=True, slots=True)`` (field-wise ``==``,
    ``hash`` and ``repr``; assignment raises ``FrozenInstanceError``) without
    generating methods with ``exec`` at import: that generation was most of
    this module's import time, paid on every ``configure()`` start. Subclasses
    list their fields in ``_FIELDS`` (in order; also their ``__slots__``) and set them in
    ``__init__`` with :meth:`_fill`.
    """

    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]] = ()

    def _fill(self, values: Mapping[str, Any]) -> None:
        for name in self._FIELDS:
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        # Endpoint query values and user-info are registered secrets: masked here too.
        return scrub_known(f"{type(self).__qualname__}({body})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._values())


class Setting(_Frozen, Generic[T]):
    """One effective option value and where it came from.

    Attributes:
        value: the effective value.
        source: ``"argument"``, the environment variable's name, ``"default"``,
            or a short phrase such as ``"backend lightstep"``.
    """

    _FIELDS = ("value", "source")
    __slots__ = _FIELDS

    value: T
    source: str

    def __init__(self, value: T, source: str) -> None:
        self._fill(locals())


class SignalSettings(_Frozen):
    """Exporter choice for one signal.

    Attributes:
        signal: ``traces``, ``metrics`` or ``logs``.
        exporters: exporter names (``otlp``, ``console`` or an SDK entry-point
            name); empty when the signal is off.
        protocol: ``http/protobuf`` or ``grpc``.
        endpoint: the URL (HTTP: full URL including the signal path) or
            ``host:port`` (gRPC); ``None`` when nothing is configured.
    """

    _FIELDS = ("signal", "exporters", "protocol", "endpoint")
    __slots__ = _FIELDS

    signal: Signal
    exporters: Setting[tuple[str, ...]]
    protocol: Setting[str]
    endpoint: Setting[str | None]

    def __init__(
        self,
        signal: Signal,
        exporters: Setting[tuple[str, ...]],
        protocol: Setting[str],
        endpoint: Setting[str | None],
    ) -> None:
        self._fill(locals())

    @property
    def enabled(self) -> bool:
        """Whether any exporter is configured for this signal."""
        return bool(self.exporters.value)


class Settings(_Frozen):
    """Every effective configure() option, with provenance.

    Build it with :func:`resolve`. ``describe()`` gives rows safe to print.
    """

    _FIELDS = (
        "disabled",
        "backend",
        "lightstep_region",
        "service_name",
        "resource_attributes",
        "env_resource_attributes",
        "detectors",
        "credentials",
        "token_header",
        "traces",
        "metrics",
        "logs",
        "sampler",
        "sampler_name",
        "propagators",
        "set_global",
        "trace_url",
        "flush_timeout",
        "extra",
    )
    __slots__ = _FIELDS

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
    set_global: Setting[bool]
    trace_url: Setting[str | None]
    flush_timeout: Setting[float]
    extra: Mapping[str, Setting[Any]]

    def __init__(
        self,
        disabled: Setting[bool],
        backend: Setting[str],
        lightstep_region: Setting[str],
        service_name: Setting[str | None],
        resource_attributes: Setting[Mapping[str, Any]],
        env_resource_attributes: Setting[Mapping[str, str]],
        detectors: Setting[tuple[ResourceDetector | str, ...] | None],
        credentials: Setting[TokenSource | None],
        token_header: Setting[str],
        traces: SignalSettings,
        metrics: SignalSettings,
        logs: SignalSettings,
        sampler: Setting[Sampler | None],
        sampler_name: Setting[str],
        propagators: Setting[TextMapPropagator | tuple[str, ...] | None],
        set_global: Setting[bool],
        trace_url: Setting[str | None],
        flush_timeout: Setting[float],
        extra: Mapping[str, Setting[Any]] | None = None,
    ) -> None:
        if extra is None:
            extra = {}
        self._fill(locals())

    def signal(self, name: Signal) -> SignalSettings:
        """Return the settings of one signal."""
        return {"traces": self.traces, "metrics": self.metrics, "logs": self.logs}[name]

    @property
    def console_fallback(self) -> bool:
        """Whether some signal prints to the console because no endpoint is configured."""
        return any(
            s.exporters.source.startswith("no endpoint")
            for s in (self.traces, self.metrics, self.logs)
        )

    def describe(self) -> list[tuple[str, str, str]]:
        """Return ``(option, value, source)`` rows; values never include a secret."""
        rows: list[tuple[str, str, str]] = [
            ("sdk_disabled", str(self.disabled.value).lower(), self.disabled.source),
            ("backend", self.backend.value, self.backend.source),
        ]
        if self.backend.value == "lightstep":
            rows.append(
                ("lightstep_region", self.lightstep_region.value, self.lightstep_region.source)
            )
        rows.append(("service_name", self.service_name.value or "", self.service_name.source))
        if self.resource_attributes.value:
            keys = ",".join(sorted(self.resource_attributes.value))
            rows.append(("resource_attributes", keys, self.resource_attributes.source))
        if self.env_resource_attributes.value:
            keys = ",".join(sorted(self.env_resource_attributes.value))
            rows.append(("OTEL_RESOURCE_ATTRIBUTES", keys, self.env_resource_attributes.source))
        detectors = self.detectors.value
        rows.append(
            (
                "detectors",
                "workspace (default)"
                if detectors is None
                else ",".join(d if isinstance(d, str) else type(d).__name__ for d in detectors),
                self.detectors.source,
            )
        )
        source = self.credentials.value
        rows.append(("credentials", source.kind if source else "none", self.credentials.source))
        rows.append(("token_header", self.token_header.value, self.token_header.source))
        for sig in (self.traces, self.metrics, self.logs):
            rows.append((sig.signal, ",".join(sig.exporters.value) or "off", sig.exporters.source))
            if sig.enabled and any(e.startswith("otlp") for e in sig.exporters.value):
                rows.append((f"{sig.signal}_protocol", sig.protocol.value, sig.protocol.source))
                rows.append(
                    (
                        f"{sig.signal}_endpoint",
                        endpoint_display(sig.endpoint.value),
                        sig.endpoint.source,
                    )
                )
        rows.append(("sampler", self.sampler_name.value, self.sampler_name.source))
        props = self.propagators.value
        rows.append(
            (
                "propagators",
                "from OTEL_PROPAGATORS"
                if props is None
                else (",".join(props) if isinstance(props, tuple) else type(props).__name__),
                self.propagators.source,
            )
        )
        rows.append(("set_global", str(self.set_global.value).lower(), self.set_global.source))
        rows.append(("trace_url", self.trace_url.value or "", self.trace_url.source))
        rows.append(("flush_timeout", f"{self.flush_timeout.value:g}s", self.flush_timeout.source))
        return rows


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


class Arguments(_Frozen):
    """The raw keyword arguments of configure() (``None`` = not given)."""

    _FIELDS = (
        "service_name",
        "resource_attributes",
        "detectors",
        "credentials",
        "token_header",
        "endpoint",
        "protocol",
        "backend",
        "traces",
        "metrics",
        "logs",
        "sampler",
        "propagators",
        "set_global",
        "flush_timeout",
    )
    __slots__ = _FIELDS

    service_name: str | None
    resource_attributes: Mapping[str, Any] | None
    detectors: Sequence[ResourceDetector | str] | None
    credentials: TokenSource | Literal[False] | None
    token_header: str | None
    endpoint: str | None
    protocol: str | None
    backend: str | None
    traces: bool | None
    metrics: bool | None
    logs: bool | None
    sampler: Sampler | str | None
    propagators: TextMapPropagator | Sequence[str] | None
    set_global: bool | None
    flush_timeout: float | None

    def __init__(
        self,
        service_name: str | None = None,
        resource_attributes: Mapping[str, Any] | None = None,
        detectors: Sequence[ResourceDetector | str] | None = None,
        credentials: TokenSource | Literal[False] | None = None,
        token_header: str | None = None,
        endpoint: str | None = None,
        protocol: str | None = None,
        backend: str | None = None,
        traces: bool | None = None,
        metrics: bool | None = None,
        logs: bool | None = None,
        sampler: Sampler | str | None = None,
        propagators: TextMapPropagator | Sequence[str] | None = None,
        set_global: bool | None = None,
        flush_timeout: float | None = None,
    ) -> None:
        self._fill(locals())


def _raw(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _is_disabled(environ: Mapping[str, str]) -> Setting[bool]:
    raw = _raw(environ, "OTEL_SDK_DISABLED")
    if raw is None:
        return Setting(False, DEFAULT)
    low = raw.lower()
    if low in ("true", "1", "yes", "on"):
        return Setting(True, "OTEL_SDK_DISABLED")
    if low in ("false", "0", "no", "off"):
        return Setting(False, "OTEL_SDK_DISABLED")
    raise ConfigurationError(
        f"OTEL_SDK_DISABLED={raw!r} is not valid: set it to true (turn the SDK off) or false"
    )


def _choice(
    arg: str | None, arg_name: str, var: str, choices: tuple[str, ...], environ: Mapping[str, str]
) -> Setting[str]:
    if arg is not None:
        value = arg.strip().lower()
        if value not in choices:
            raise ConfigurationError(
                f"configure({arg_name}={arg!r}) is not valid: use one of {', '.join(choices)}"
            )
        return Setting(value, ARGUMENT)
    if _raw(environ, var) is None:
        return Setting(choices[0], DEFAULT)
    return Setting(_env.get_choice(var, choices, environ), var)


def _check_protocol(value: str, where: str) -> str:
    low = value.strip().lower()
    if low == "http/json":
        raise ConfigurationError(
            f"{where}=http/json is not supported by the Python OTLP exporters: "
            "use http/protobuf (the default) or grpc"
        )
    if low not in PROTOCOLS:
        raise ConfigurationError(f"{where}={value!r} is not valid: use http/protobuf or grpc")
    return low


def _grpc_available() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is not None
    except (ImportError, ValueError):
        return False


def check_endpoint(url: str, protocol: str, where: str) -> str:
    """Validate the shape of an endpoint and return it stripped.

    Raises:
        ConfigurationError: the URL has no host, a scheme other than http(s),
            embedded credentials, or (HTTP) no scheme.
    """
    value = url.strip()
    # User-info and query values are secrets from here on; messages show display_url(value).
    register_url(value if "://" in value else f"//{value}")
    shown = display_url(value) if "://" in value else display_url(f"//{value}").lstrip("/")
    if not value or any(c.isspace() for c in value):
        raise ConfigurationError(f"{where} must be a URL such as https://collector.example:4318")
    has_scheme = "://" in value
    try:
        parts = urlsplit(value if has_scheme else f"//{value}")
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket; the value may hold a secret
        raise ConfigurationError(
            f"{where} is not a valid URL: write it as https://collector.example:4318 "
            "(IPv6 hosts in brackets, e.g. http://[::1]:4318)"
        ) from exc
    if parts.username or parts.password:
        # Never echo the value: it carries a credential.
        raise ConfigurationError(
            f"{where} contains user info (a credential): remove it and configure a token "
            "source instead (WORKSPACE_OTEL_TOKEN_SOURCE or configure(credentials=...))"
        )
    if has_scheme and parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"{where}={shown!r} has scheme {parts.scheme!r}: use http:// or https://"
        )
    if protocol == "http/protobuf" and not has_scheme:
        raise ConfigurationError(
            f"{where}={shown!r} needs a scheme for OTLP/HTTP: write https://{shown} "
            "(or http:// for a plaintext local collector)"
        )
    try:
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{where}={shown!r} has an invalid port") from exc
    if not host:
        raise ConfigurationError(f"{where}={shown!r} has no host name")
    return value


def _join(base: str, signal: Signal) -> str:
    return f"{base.rstrip('/')}/v1/{signal}"


def _lightstep_endpoint(signal: Signal, protocol: str, region: str) -> str:
    host = _LIGHTSTEP_HOSTS[region]
    if protocol == "grpc":
        return f"https://{host}:443"
    # Documented Lightstep OTLP/HTTP ingest paths (docs.lightstep.com,
    # "send-otlp-over-http-to-lightstep"): traces and metrics only.
    path = {"traces": "traces/otlp/v0.9", "metrics": "metrics/otlp/v0.9"}[signal]
    return f"https://{host}/{path}"


def _exporters(
    signal: Signal, arg: bool | None, backend: str, environ: Mapping[str, str]
) -> Setting[tuple[str, ...]]:
    var = _EXPORTER_VARS[signal]
    raw = _raw(environ, var)
    env_names: tuple[str, ...] | None = None
    if raw is not None:
        names = tuple(n.strip().lower() for n in raw.split(",") if n.strip())
        env_names = () if names in ((), ("none",)) else names
        for name in env_names:
            if name == "none":
                raise ConfigurationError(f"{var}={raw!r} mixes none with exporters: pick one")
            if name not in BUILTIN_EXPORTERS and not _has_entry_point(
                _ENTRY_POINT_GROUPS[signal], name
            ):
                raise ConfigurationError(
                    f"{var}={raw!r}: exporter {name!r} is not installed; use otlp, console or "
                    f"none, or install the package providing the {name!r} exporter"
                )
    default_on = signal != "logs"
    if arg is not None:
        if not arg:
            return Setting((), ARGUMENT)
        names = env_names if env_names else ("otlp",)
        source = f"argument (exporters from {var})" if env_names else ARGUMENT
    elif env_names is not None:
        names, source = env_names, var
    else:
        names, source = (("otlp",) if default_on else ()), DEFAULT
    if backend == "console":
        names = tuple(dict.fromkeys("console" if n.startswith("otlp") else n for n in names))
        if names:
            source = f"{source}; backend console"
    return Setting(names, source)


def _has_entry_point(group: str, name: str) -> bool:
    from importlib.metadata import entry_points

    return any(True for _ in entry_points(group=group, name=name))


def _signal(
    signal: Signal,
    args: Arguments,
    backend: Setting[str],
    region: str,
    environ: Mapping[str, str],
) -> SignalSettings:
    exporters = _exporters(signal, getattr(args, signal), backend.value, environ)
    upper = signal.upper()
    # Protocol: argument > per-signal variable > generic variable > default.
    per_var = f"OTEL_EXPORTER_OTLP_{upper}_PROTOCOL"
    if args.protocol is not None:
        protocol = Setting(_check_protocol(args.protocol, "configure(protocol)"), ARGUMENT)
    elif (raw := _raw(environ, per_var)) is not None:
        protocol = Setting(_check_protocol(raw, per_var), per_var)
    elif (raw := _raw(environ, "OTEL_EXPORTER_OTLP_PROTOCOL")) is not None:
        protocol = Setting(
            _check_protocol(raw, "OTEL_EXPORTER_OTLP_PROTOCOL"), "OTEL_EXPORTER_OTLP_PROTOCOL"
        )
    else:
        protocol = Setting("http/protobuf", DEFAULT)
    names = exporters.value
    if "otlp_proto_grpc" in names:
        protocol = Setting("grpc", _EXPORTER_VARS[signal])
    elif "otlp_proto_http" in names:
        protocol = Setting("http/protobuf", _EXPORTER_VARS[signal])
    if signal == "logs" and backend.value == "lightstep" and protocol.value != "grpc":
        protocol = Setting("grpc", "backend lightstep (no documented OTLP/HTTP logs path)")

    # Endpoint: argument > per-signal variable > generic variable > backend preset.
    endpoint: Setting[str | None]
    per_endpoint = f"OTEL_EXPORTER_OTLP_{upper}_ENDPOINT"
    if args.endpoint is not None:
        base = check_endpoint(args.endpoint, protocol.value, "configure(endpoint)")
        value = _join(base, signal) if protocol.value == "http/protobuf" else base
        endpoint = Setting(value, ARGUMENT)
    elif (raw := _raw(environ, per_endpoint)) is not None:
        endpoint = Setting(check_endpoint(raw, protocol.value, per_endpoint), per_endpoint)
    elif (raw := _raw(environ, "OTEL_EXPORTER_OTLP_ENDPOINT")) is not None:
        base = check_endpoint(raw, protocol.value, "OTEL_EXPORTER_OTLP_ENDPOINT")
        value = _join(base, signal) if protocol.value == "http/protobuf" else base
        endpoint = Setting(value, "OTEL_EXPORTER_OTLP_ENDPOINT")
    elif backend.value == "lightstep":
        endpoint = Setting(
            _lightstep_endpoint(signal, protocol.value, region), f"backend lightstep ({region})"
        )
    else:
        endpoint = Setting(None, DEFAULT)

    uses_otlp = any(n.startswith("otlp") for n in names)
    if uses_otlp and endpoint.value is None:
        # Never fail silently against localhost: print to the console instead.
        names = tuple(dict.fromkeys("console" if n.startswith("otlp") else n for n in names))
        exporters = Setting(names, f"no endpoint configured ({exporters.source})")
        uses_otlp = False
    if uses_otlp and protocol.value == "grpc" and not _grpc_available():
        raise ConfigurationError(
            f"{signal} export over gRPC needs the gRPC exporter: pip install 'workspace-otel[grpc]'"
            " (or use the default protocol http/protobuf)"
        )
    return SignalSettings(signal, exporters, protocol, endpoint)


def _sampler(
    arg: Sampler | str | None, environ: Mapping[str, str]
) -> tuple[Setting[Sampler | None], Setting[str]]:
    from opentelemetry.sdk.trace import sampling

    if arg is not None and not isinstance(arg, str):
        if not isinstance(arg, sampling.Sampler):
            raise ConfigurationError(
                "configure(sampler=...) must be a Sampler or a sampler name such as "
                "parentbased_traceidratio"
            )
        return Setting(arg, ARGUMENT), Setting(arg.get_description(), ARGUMENT)
    if arg is not None:
        name, where = arg.strip().lower(), "configure(sampler)"
        source = ARGUMENT
    elif (raw := _raw(environ, "OTEL_TRACES_SAMPLER")) is not None:
        name, where, source = raw.lower(), "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER"
    else:
        return Setting(None, DEFAULT), Setting("parentbased_always_on", DEFAULT)
    raw_arg = _raw(environ, "OTEL_TRACES_SAMPLER_ARG")
    sampler: Sampler
    if name in ("traceidratio", "parentbased_traceidratio"):
        rate = 1.0
        if raw_arg is not None:
            try:
                rate = _sdk_variables.sampler_ratio(raw_arg)
            except ValueError as exc:
                raise ConfigurationError(
                    f"OTEL_TRACES_SAMPLER_ARG={raw_arg!r} is not valid for {name}: {exc}; "
                    "use a ratio between 0 and 1, e.g. 0.25"
                ) from None
        ratio = sampling.TraceIdRatioBased(rate)
        sampler = ratio if name == "traceidratio" else sampling.ParentBased(ratio)
        label = f"{name}({rate:g})"
    elif name in SAMPLERS:
        sampler = {
            "always_on": sampling.ALWAYS_ON,
            "always_off": sampling.ALWAYS_OFF,
            "parentbased_always_on": sampling.ParentBased(sampling.ALWAYS_ON),
            "parentbased_always_off": sampling.ParentBased(sampling.ALWAYS_OFF),
        }[name]
        label = name
    elif _has_entry_point("opentelemetry_traces_sampler", name):
        from importlib.metadata import entry_points

        factory = next(iter(entry_points(group="opentelemetry_traces_sampler", name=name))).load()
        sampler = factory(raw_arg)
        label = name
    else:
        raise ConfigurationError(
            f"{where}={name!r} is not a known sampler: use one of {', '.join(SAMPLERS)}"
        )
    return Setting(sampler, source), Setting(label, source)


def _propagators(
    arg: TextMapPropagator | Sequence[str] | None,
) -> Setting[TextMapPropagator | tuple[str, ...] | None]:
    if arg is None:
        # The API already applies OTEL_PROPAGATORS when it is imported.
        return Setting(None, "OTEL_PROPAGATORS or default (tracecontext,baggage)")
    if isinstance(arg, str):
        arg = [p for p in arg.split(",")]
    if isinstance(arg, Sequence):
        names = tuple(p.strip().lower() for p in arg if p.strip())
        for name in names:
            if name != "none" and not _has_entry_point("opentelemetry_propagator", name):
                raise ConfigurationError(
                    f"configure(propagators=...): propagator {name!r} is not installed; "
                    "use tracecontext, baggage, or install its package"
                )
        return Setting(names, ARGUMENT)
    return Setting(arg, ARGUMENT)


def _resource_env(environ: Mapping[str, str]) -> Setting[Mapping[str, str]]:
    from urllib.parse import unquote

    from workspace_otel._env_export import user_items

    # Entries `workspace-otel env` added are detector output, not the user's: leave them out.
    items = user_items(environ)
    if not items:
        return Setting({}, DEFAULT)
    attrs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = unquote(key.strip())
        if not sep or not key:
            raise ConfigurationError(
                "OTEL_RESOURCE_ATTRIBUTES has an entry without key=value: write "
                "key1=value1,key2=value2 (percent-encode ',' and '=' inside values)"
            )
        attrs[key] = unquote(value.strip())
    return Setting(attrs, "OTEL_RESOURCE_ATTRIBUTES")


def resource_attributes_from_env(environ: Mapping[str, str]) -> Mapping[str, str]:
    """Return the user's own ``OTEL_RESOURCE_ATTRIBUTES`` entries, as ``configure()`` reads them.

    Raises:
        ConfigurationError: an entry is not ``key=value``.
    """
    return _resource_env(environ).value


def _flush_timeout(arg: float | None, environ: Mapping[str, str]) -> Setting[float]:
    if arg is not None:
        value, source, where = float(arg), ARGUMENT, "configure(flush_timeout)"
    elif (raw := _raw(environ, FLUSH_TIMEOUT_VAR)) is not None:
        where, source = FLUSH_TIMEOUT_VAR, FLUSH_TIMEOUT_VAR
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
    else:
        return Setting(DEFAULT_FLUSH_TIMEOUT, DEFAULT)
    if not 0.0 < value <= 300.0:
        raise ConfigurationError(f"{where} must be a number of seconds between 0 and 300, e.g. 5")
    return Setting(value, source)


def _trace_url(environ: Mapping[str, str]) -> Setting[str | None]:
    template = trace_url_template(environ)
    if template is None:
        return Setting(None, DEFAULT)
    return Setting(template, "WORKSPACE_OTEL_TRACE_URL")


def _check_attributes(attrs: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in attrs.items():
        key_obj: object = key
        if not isinstance(key_obj, str) or not key_obj:
            raise ConfigurationError(
                "configure(resource_attributes=...) keys must be non-empty strings"
            )
        ok = isinstance(value, (str, bool, int, float)) or (
            isinstance(value, Sequence)
            and not isinstance(value, (str, bytes))
            and all(isinstance(v, (str, bool, int, float)) for v in value)
        )
        if not ok:
            raise ConfigurationError(
                f"configure(resource_attributes=...): {key!r} must be a str, bool, int, float "
                "or a sequence of those"
            )
    return dict(attrs)


def is_disabled(environ: Mapping[str, str]) -> Setting[bool]:
    """Return whether ``OTEL_SDK_DISABLED`` turns the SDK off.

    Raises:
        ConfigurationError: the variable is set to something other than a boolean.
    """
    return _is_disabled(environ)


def disabled_settings(disabled: Setting[bool]) -> Settings:
    """Return the settings of a disabled (no-op) configuration: nothing else is read."""
    off: Setting[tuple[str, ...]] = Setting((), disabled.source)

    def sig(name: Signal) -> SignalSettings:
        return SignalSettings(
            name, off, Setting("http/protobuf", DEFAULT), Setting(None, disabled.source)
        )

    return Settings(
        disabled=disabled,
        backend=Setting("otlp", DEFAULT),
        lightstep_region=Setting("us", DEFAULT),
        service_name=Setting(None, DEFAULT),
        resource_attributes=Setting({}, DEFAULT),
        env_resource_attributes=Setting({}, DEFAULT),
        detectors=Setting((), disabled.source),
        credentials=Setting(None, disabled.source),
        token_header=Setting("authorization", DEFAULT),
        traces=sig("traces"),
        metrics=sig("metrics"),
        logs=sig("logs"),
        sampler=Setting(None, DEFAULT),
        sampler_name=Setting("parentbased_always_on", DEFAULT),
        propagators=Setting(None, DEFAULT),
        set_global=Setting(False, disabled.source),
        trace_url=Setting(None, DEFAULT),
        flush_timeout=Setting(DEFAULT_FLUSH_TIMEOUT, DEFAULT),
    )


def resolve(
    args: Arguments,
    environ: Mapping[str, str],
    *,
    credentials_from_env: Any = None,
) -> Settings:
    """Resolve every option (argument > variable > default) and validate it.

    Args:
        args: the configure() keyword arguments.
        environ: the environment to read.
        credentials_from_env: ``(environ) -> TokenSource | None``; injected so
            this module does not import the credentials package.

    Raises:
        ConfigurationError: an option or variable is invalid.
    """
    disabled = _is_disabled(environ)
    backend = _choice(args.backend, "backend", "WORKSPACE_OTEL_BACKEND", BACKENDS, environ)
    region = _choice(None, "", "WORKSPACE_OTEL_LIGHTSTEP_REGION", REGIONS, environ)

    if args.service_name is not None:
        name_obj: object = args.service_name
        if not isinstance(name_obj, str) or not name_obj.strip():
            raise ConfigurationError("configure(service_name=...) must be a non-empty string")
        service_name: Setting[str | None] = Setting(args.service_name.strip(), ARGUMENT)
    elif (raw := _raw(environ, "OTEL_SERVICE_NAME")) is not None and not _set_by_env_command(
        environ
    ):
        service_name = Setting(raw, "OTEL_SERVICE_NAME")
    else:
        service_name = Setting(None, DEFAULT)

    resource_attributes: Setting[Mapping[str, Any]] = (
        Setting(_check_attributes(args.resource_attributes), ARGUMENT)
        if args.resource_attributes is not None
        else Setting({}, DEFAULT)
    )
    detectors: Setting[tuple[ResourceDetector | str, ...] | None] = (
        Setting(tuple(args.detectors), ARGUMENT)
        if args.detectors is not None
        else Setting(None, DEFAULT)
    )

    token_header = resolve_token_header(args.token_header, backend.value, environ)

    traces = _signal("traces", args, backend, region.value, environ)
    metrics = _signal("metrics", args, backend, region.value, environ)
    logs = _signal("logs", args, backend, region.value, environ)
    # Before anything imports the SDK: it reads some of these at import.
    _sdk_variables.check(environ, sdk_pipeline(args, environ, (traces, metrics, logs)))

    # Credentials: argument > WORKSPACE_OTEL_TOKEN_SOURCE (auto) > LS_ACCESS_TOKEN (lightstep).
    credentials: Setting[TokenSource | None]
    needs_token = any(
        any(n.startswith("otlp") for n in s.exporters.value) for s in (traces, metrics, logs)
    )
    if args.credentials is False:
        credentials = Setting(None, ARGUMENT)
    elif args.credentials is not None:
        for attr in ("kind", "fetch", "cache_key"):
            if not hasattr(args.credentials, attr):
                raise ConfigurationError(
                    "configure(credentials=...) must be a TokenSource (see "
                    "workspace_otel.credentials), False for none, or None for the environment"
                )
        credentials = Setting(args.credentials, ARGUMENT)
    elif not needs_token or credentials_from_env is None:
        credentials = Setting(None, "not needed (no OTLP export)")
    else:
        credentials = resolve_env_credentials(backend.value, environ, credentials_from_env)
    if backend.value == "lightstep" and needs_token and credentials.value is None:
        chosen = (
            "configure(backend='lightstep')"
            if backend.source == ARGUMENT
            else "WORKSPACE_OTEL_BACKEND=lightstep"
        )
        raise ConfigurationError(
            f"{chosen} needs an access token: set WORKSPACE_OTEL_TOKEN_SOURCE "
            "(e.g. file:/run/secrets/lightstep or command:...) or LS_ACCESS_TOKEN"
        )

    sampler, sampler_name = _sampler(args.sampler, environ)
    set_global = (
        Setting(bool(args.set_global), ARGUMENT)
        if args.set_global is not None
        else Setting(True, DEFAULT)
    )
    return Settings(
        disabled=disabled,
        backend=backend,
        lightstep_region=region,
        service_name=service_name,
        resource_attributes=resource_attributes,
        env_resource_attributes=_resource_env(environ),
        detectors=detectors,
        credentials=credentials,
        token_header=token_header,
        traces=traces,
        metrics=metrics,
        logs=logs,
        sampler=sampler,
        sampler_name=sampler_name,
        propagators=_propagators(args.propagators),
        set_global=set_global,
        trace_url=_trace_url(environ),
        flush_timeout=_flush_timeout(args.flush_timeout, environ),
    )


def sdk_pipeline(
    args: Arguments, environ: Mapping[str, str], signals: Sequence[SignalSettings]
) -> _sdk_variables.Pipeline:
    """Return what the SDK will build: it decides which ``OTEL_*`` variables the SDK reads."""
    sampler: str | None = None
    if isinstance(args.sampler, str):
        sampler = args.sampler.strip().lower()
    elif args.sampler is None:
        sampler = (_raw(environ, "OTEL_TRACES_SAMPLER") or "").lower() or None
    return _sdk_variables.Pipeline(
        enabled=frozenset(s.signal for s in signals if s.enabled),
        otlp={
            s.signal: s.protocol.value
            for s in signals
            if any(n.startswith("otlp") for n in s.exporters.value)
        },
        sampler=sampler,
    )


def _set_by_env_command(environ: Mapping[str, str]) -> bool:
    """Whether ``OTEL_SERVICE_NAME`` came from ``workspace-otel env`` (detector output)."""
    from workspace_otel._env_export import service_name_is_ours

    return service_name_is_ours(environ)


def resolve_backend(environ: Mapping[str, str]) -> Setting[str]:
    """Return ``WORKSPACE_OTEL_BACKEND`` (default ``otlp``): :func:`_token_config.backend`.

    Raises:
        ConfigurationError: not one of otlp, lightstep, console.
    """
    return Setting(*_token_config.backend(environ))


def resolve_token_header(arg: str | None, backend: str, environ: Mapping[str, str]) -> Setting[str]:
    """Return the header that carries the token (the rule: :func:`_token_config.token_header`).

    Raises:
        ConfigurationError: the name is not an HTTP header name.
    """
    return Setting(*_token_config.token_header(arg, backend, environ))


def resolve_env_credentials(
    backend: str, environ: Mapping[str, str], credentials_from_env: Any
) -> Setting[TokenSource | None]:
    """Return the token source the environment configures (:func:`_token_config.env_token_source`).

    Raises:
        ConfigurationError: the token source configuration is invalid.
    """
    return Setting(*_token_config.env_token_source(backend, environ, credentials_from_env))

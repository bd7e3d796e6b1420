"""resolve(): every configure() option, argument > variable > default, validated, with provenance.

Simple options are read by :func:`~workspace_otel._settings._options._provenance.look_up`
from the option table; the ones with a rule of their own (the signals, the
sampler, the token source, the resource) have a function here or in a sibling
module. Nothing here builds SDK objects except the sampler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workspace_otel._settings._option_table import OPTION, OPTIONS
from workspace_otel._settings._options._provenance import (
    ARGUMENT,
    DEFAULT,
    Origin,
    Setting,
    Source,
    from_variable,
    look_up,
    raw,
)
from workspace_otel._settings._options._rules import (
    has_entry_point,
    resolve_env_credentials,
    resolve_signal,
    resolve_token_header,
)
from workspace_otel._settings._options._settings import (
    Arguments,
    Settings,
    SignalSettings,
    uses_otlp,
)
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.sdk.resources import ResourceDetector
    from opentelemetry.sdk.trace.sampling import Sampler

    from workspace_otel._settings import _sdk_variables
    from workspace_otel.credentials import TokenSource

__all__ = [
    "SAMPLERS",
    "disabled_settings",
    "is_disabled",
    "resolve",
    "resource_attributes_from_env",
    "sdk_pipeline",
]

SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
_SAMPLER_ARG = "OTEL_TRACES_SAMPLER_ARG"


# Settings resolved by a rule of their own (below or in a sibling module); every other
# row marked ``setting`` in the table is read by look_up() alone.
_OWN_RULES = frozenset(
    {
        "service_name",
        "resource_attributes",
        "env_resource_attributes",
        "detectors",
        "credentials",
        "token_header",
        "exporters",
        "protocol",
        "endpoint",
        "sampler",
        "propagators",
        "trace_url",
    }
)


def _table_only() -> list[str]:
    return [o.key for o in OPTIONS if o.setting and o.key not in _OWN_RULES]


def _argument(args: Arguments, key: str) -> Any:
    argument = OPTION[key].argument
    return None if argument is None else getattr(args, argument)


def is_disabled(environ: Mapping[str, str]) -> Setting[bool]:
    """Return whether ``OTEL_SDK_DISABLED`` turns the SDK off.

    Raises:
        ConfigurationError: the variable is set to something other than a boolean.
    """
    return look_up("disabled", None, environ)


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
    chosen: Setting[str] = look_up("sampler", arg, environ)
    name, source = chosen.value.strip().lower(), chosen.source
    if source.kind is Origin.DEFAULT:
        return Setting(None, DEFAULT), Setting(name, DEFAULT)
    where = source.variable or "configure(sampler)"
    raw_arg = raw(environ, _SAMPLER_ARG)
    sampler: Sampler
    if name in ("traceidratio", "parentbased_traceidratio"):
        rate = 1.0
        if raw_arg is not None:
            from workspace_otel._settings._sdk_variables import sampler_ratio

            try:
                rate = sampler_ratio(raw_arg)
            except ValueError as exc:
                raise ConfigurationError(
                    f"{_SAMPLER_ARG}={raw_arg!r} is not valid for {name}: {exc}; "
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
    elif has_entry_point("opentelemetry_traces_sampler", name):
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
    arg: TextMapPropagator | Sequence[str] | None, environ: Mapping[str, str]
) -> tuple[Setting[TextMapPropagator | tuple[str, ...] | None], Setting[tuple[str, ...]]]:
    """Return the propagators to install (``None``: leave the API's) and the names in effect."""
    if arg is None:
        # The API already applies OTEL_PROPAGATORS when it is imported: nothing to install.
        names: Setting[str] = look_up("propagators", None, environ)
        effective = tuple(
            n.strip() for n in names.value.split(",") if n.strip()
        )  # as the API reads them
        return Setting(None, names.source), Setting(effective, names.source)
    if isinstance(arg, str):
        arg = [p for p in arg.split(",")]
    if isinstance(arg, Sequence):
        chosen = tuple(p.strip().lower() for p in arg if p.strip())
        for name in chosen:
            if name != "none" and not has_entry_point("opentelemetry_propagator", name):
                raise ConfigurationError(
                    f"configure(propagators=...): propagator {name!r} is not installed; "
                    "use tracecontext, baggage, or install its package"
                )
        return Setting(chosen, ARGUMENT), Setting(chosen, ARGUMENT)
    return Setting(arg, ARGUMENT), Setting((type(arg).__name__,), ARGUMENT)


def _resource_env(environ: Mapping[str, str]) -> Setting[Mapping[str, str]]:
    (var,) = OPTION["env_resource_attributes"].variables
    if not environ.get(var, "").strip():
        return Setting({}, DEFAULT)  # the usual start: nothing to read, nothing more to import
    from urllib.parse import unquote

    from workspace_otel._settings._env_export import user_items

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
                f"{var} has an entry without key=value: write "
                "key1=value1,key2=value2 (percent-encode ',' and '=' inside values)"
            )
        attrs[key] = unquote(value.strip())
    return Setting(attrs, from_variable(var))


def resource_attributes_from_env(environ: Mapping[str, str]) -> Mapping[str, str]:
    """Return the user's own ``OTEL_RESOURCE_ATTRIBUTES`` entries, as ``configure()`` reads them.

    Raises:
        ConfigurationError: an entry is not ``key=value``.
    """
    return _resource_env(environ).value


def _trace_url(environ: Mapping[str, str]) -> Setting[str | None]:
    (var,) = OPTION["trace_url"].variables
    if raw(environ, var) is None:  # the usual start: links off, their module not imported
        return Setting(None, DEFAULT)
    from workspace_otel._settings._links import trace_url_template

    return Setting(trace_url_template(environ), from_variable(var))


def _service_name(arg: str | None, environ: Mapping[str, str]) -> Setting[str | None]:
    if arg is not None:
        name_obj: object = arg
        if not isinstance(name_obj, str) or not name_obj.strip():
            raise ConfigurationError("configure(service_name=...) must be a non-empty string")
        return Setting(arg.strip(), ARGUMENT)
    found: Setting[str | None] = look_up("service_name", None, environ)
    if found.value is None:
        return found
    from workspace_otel._settings._env_export import service_name_is_ours

    if service_name_is_ours(environ):
        # Set by `workspace-otel env` from the detectors: not the user's choice.
        return Setting(None, DEFAULT)
    return found


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


def _credentials(
    args: Arguments,
    backend: Setting[str],
    signals: Sequence[SignalSettings],
    environ: Mapping[str, str],
    credentials_from_env: Any,
) -> Setting[TokenSource | None]:
    """Argument > ``WORKSPACE_OTEL_TOKEN_SOURCE`` (auto) > ``LS_ACCESS_TOKEN`` (lightstep)."""
    credentials: Setting[TokenSource | None]
    needs_token = any(uses_otlp(s.exporters.value) for s in signals)
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
        credentials = Setting(None, Source(Origin.UNUSED, None, "not needed (no OTLP export)"))
    else:
        credentials = resolve_env_credentials(backend.value, environ, credentials_from_env)
    if backend.value == "lightstep" and needs_token and credentials.value is None:
        chosen = (
            "configure(backend='lightstep')"
            if backend.source.kind is Origin.ARGUMENT
            else f"{backend.source.variable}=lightstep"
        )
        raise ConfigurationError(
            f"{chosen} needs an access token: set WORKSPACE_OTEL_TOKEN_SOURCE "
            "(e.g. file:/run/secrets/lightstep or command:...) or LS_ACCESS_TOKEN"
        )
    return credentials


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
    # Options without a rule of their own come straight from the table.
    read = {key: look_up(key, _argument(args, key), environ) for key in _table_only()}
    backend, region = read["backend"], read["lightstep_region"]
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
    traces, metrics, logs = (
        resolve_signal(signal, args, backend.value, region.value, environ)
        for signal in ("traces", "metrics", "logs")
    )
    # Before anything imports the SDK: it reads some of these at import.
    if any(map(sdk_may_read, environ)):  # the usual start sets none: the table is not loaded
        from workspace_otel._settings import _sdk_variables

        _sdk_variables.check(environ, sdk_pipeline(args, environ, (traces, metrics, logs)))
    credentials = _credentials(
        args, backend, (traces, metrics, logs), environ, credentials_from_env
    )
    sampler, sampler_name = _sampler(args.sampler, environ)
    propagators, propagator_names = _propagators(args.propagators, environ)
    return Settings(
        **read,
        service_name=_service_name(args.service_name, environ),
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
        propagators=propagators,
        propagator_names=propagator_names,
        trace_url=_trace_url(environ),
    )


def disabled_settings(disabled: Setting[bool]) -> Settings:
    """Return the settings of a disabled (no-op) configuration: nothing else is read."""
    off: Setting[tuple[str, ...]] = Setting((), disabled.source)

    def sig(name: Any) -> SignalSettings:
        return SignalSettings(
            name, off, Setting("http/protobuf", DEFAULT), Setting(None, disabled.source)
        )

    defaults = {key: look_up(key, None, {}) for key in _table_only()}
    defaults.update(disabled=disabled, set_global=Setting(False, disabled.source))
    return Settings(
        **defaults,
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
        propagator_names=Setting((), disabled.source),
        trace_url=Setting(None, DEFAULT),
    )


def sdk_may_read(name: str) -> bool:
    """Whether ``name`` may be one of the ``OTEL_*`` variables the SDK reads on our behalf.

    A screen wider than :data:`workspace_otel._settings._sdk_variables.ROWS`
    (a test holds every row's name to it): when no variable passes, that
    table has nothing to check.
    """
    if name.startswith("OTEL_EXPORTER_OTLP_"):
        return name.endswith(_OTLP_CHECKED_ENDINGS)
    return name.startswith(_CHECKED_PREFIXES)


_OTLP_CHECKED_ENDINGS = (
    "_CERTIFICATE",
    "_KEY",
    "_COMPRESSION",
    "_TIMEOUT",
    "_PREFERENCE",
    "_AGGREGATION",
)
_CHECKED_PREFIXES = (
    "OTEL_ATTRIBUTE_",
    "OTEL_BLRP_",
    "OTEL_BSP_",
    "OTEL_EVENT_",
    "OTEL_LINK_",
    "OTEL_METRIC",
    "OTEL_SPAN_",
    "OTEL_TRACES_SAMPLER_ARG",
)


def sdk_pipeline(
    args: Arguments, environ: Mapping[str, str], signals: Sequence[SignalSettings]
) -> _sdk_variables.Pipeline:
    """Return what the SDK will build: it decides which ``OTEL_*`` variables the SDK reads."""
    sampler: str | None = None
    if isinstance(args.sampler, str):
        sampler = args.sampler.strip().lower()
    elif args.sampler is None:
        sampler = (raw(environ, "OTEL_TRACES_SAMPLER") or "").lower() or None
    from workspace_otel._settings._sdk_variables import Pipeline

    return Pipeline(
        enabled=frozenset(s.signal for s in signals if s.enabled),
        otlp={s.signal: s.protocol.value for s in signals if uses_otlp(s.exporters.value)},
        sampler=sampler,
    )

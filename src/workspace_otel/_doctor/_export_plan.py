"""What ``configure()`` would do with the traces, read from the library's own resolver.

The doctor holds no second model of the settings: :func:`plan_exports` calls
:func:`workspace_otel._settings._options.resolve` with the same arguments ``configure()``
gets (``--endpoint`` becomes ``configure(endpoint=...)``), and the variables
the SDK exporter reads on its own (headers, certificates) are named by
:func:`workspace_otel._setup._exporter_environ.variable_for`, the rule the exporter
builder uses. Checks only interpret what these return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from workspace_otel._settings import _options
from workspace_otel._settings._options import Setting
from workspace_otel._setup._exporter_environ import variable_for
from workspace_otel.credentials import TokenSource
from workspace_otel.errors import ConfigurationError

__all__ = [
    "DEFAULT_PROPAGATORS",
    "ExportPlan",
    "effective_propagators",
    "explain_error",
    "plan_exports",
]

DEFAULT_PROPAGATORS = "tracecontext,baggage"
"""What the OpenTelemetry API installs when ``OTEL_PROPAGATORS`` is unset."""


def effective_propagators(environ: Mapping[str, str]) -> Setting[str]:
    """Return the propagators the API installs: ``OTEL_PROPAGATORS`` or its default."""
    raw = environ.get("OTEL_PROPAGATORS", "").strip()
    if raw:
        return Setting(raw, _options.Source(_options.Origin.VARIABLE, "OTEL_PROPAGATORS"))
    unset = "default (OTEL_PROPAGATORS unset)"
    return Setting(DEFAULT_PROPAGATORS, _options.Source(_options.Origin.DEFAULT, None, unset))


def _unset() -> Setting[str | None]:
    return Setting(None, _options.DEFAULT)


def _exporter_file(environ: Mapping[str, str], suffix: str) -> Setting[str | None]:
    name = variable_for(environ, "traces", suffix)
    if not name:
        return Setting(None, _options.DEFAULT)
    return Setting(environ[name].strip(), _options.Source(_options.Origin.VARIABLE, name))


def _headers(environ: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    name = variable_for(environ, "traces", "HEADERS")
    if name is None:
        return {}, None
    from opentelemetry.util.re import parse_env_headers

    parsed = parse_env_headers(environ[name], liberal=True)
    return {key.lower(): value for key, value in parsed.items()}, name


@dataclass(frozen=True)
class ExportPlan:
    """The resolved settings and the trace exporter's view of them.

    Attributes:
        options: What :func:`workspace_otel._settings._options.resolve` returned.
        environ: The environment it was resolved from.
        endpoint_argument: The ``configure(endpoint=...)`` that ``--endpoint`` became.
        endpoint_given: Whether ``--endpoint`` was given.
        headers: Static headers the trace exporter sends (lower-case names).
        headers_source: The variable they come from.
        certificate: CA bundle (``OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE``).
        client_certificate: Client certificate for mTLS.
        client_key: Client key for mTLS.
    """

    options: _options.Settings
    environ: Mapping[str, str]
    endpoint_argument: str | None = None
    endpoint_given: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    headers_source: str | None = None
    certificate: Setting[str | None] = field(default_factory=lambda: _unset())
    client_certificate: Setting[str | None] = field(default_factory=lambda: _unset())
    client_key: Setting[str | None] = field(default_factory=lambda: _unset())

    @property
    def traces(self) -> _options.SignalSettings:
        """The traces signal's settings."""
        return self.options.traces

    @property
    def backend(self) -> str:
        """``otlp``, ``lightstep`` or ``console``."""
        return self.options.backend.value

    @property
    def protocol(self) -> str:
        """The traces protocol (``OTEL_TRACES_EXPORTER=otlp_proto_grpc`` included)."""
        return self.traces.protocol.value

    @property
    def endpoint(self) -> Setting[str | None]:
        """The full traces URL (``/v1/traces`` joined as the exporter does) and its source."""
        if self.endpoint_given:
            return Setting(
                self.traces.endpoint.value,
                _options.Source(_options.Origin.ARGUMENT, None, "--endpoint"),
            )
        return self.traces.endpoint

    @property
    def traces_url(self) -> str | None:
        """The URL (HTTP) or target (gRPC) the trace exporter sends to."""
        return self.traces.endpoint.value

    @property
    def exports_otlp(self) -> bool:
        """Whether the traces go to an OTLP exporter at all."""
        return any(name.startswith("otlp") for name in self.traces.exporters.value)

    @property
    def token_source(self) -> TokenSource | None:
        """The token source ``configure()`` attaches (``None``: none)."""
        return self.options.credentials.value

    @property
    def token_header(self) -> str:
        """The header that carries the token."""
        return self.options.token_header.value

    def traces_only(self, timeout: float) -> tuple[_options.Settings, Mapping[str, str]]:
        """Settings and environment for building just the trace exporter, as configure() would.

        Metrics and logs are off, the token source is the one already resolved
        (so it is not built twice), and when no OTLP timeout is configured the
        exporter gets ``timeout`` seconds (the doctor's ``--timeout``).
        """
        environ = dict(self.environ)
        if variable_for(environ, "traces", "TIMEOUT") is None:
            environ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] = f"{timeout:g}"
        source = self.token_source
        settings = _options.resolve(
            _options.Arguments(
                endpoint=self.endpoint_argument,
                metrics=False,
                logs=False,
                credentials=source if source is not None else False,
            ),
            environ,
        )
        return settings, environ

    def protocol_switch(self, protocol: str) -> str:
        """The setting that makes traces use ``protocol``, where the current one was decided.

        ``OTEL_TRACES_EXPORTER=otlp_proto_grpc`` beats the protocol variables, so
        then the exporter name is what to change.
        """
        source = self.traces.protocol.source
        if source == "OTEL_TRACES_EXPORTER":
            name = "otlp_proto_grpc" if protocol == "grpc" else "otlp_proto_http"
            return f"OTEL_TRACES_EXPORTER={name}"
        variable = source if source.startswith("OTEL_EXPORTER_OTLP_") else None
        return f"{variable or 'OTEL_EXPORTER_OTLP_PROTOCOL'}={protocol}"

    @property
    def grpc_secure(self) -> bool:
        """Whether the gRPC channel uses TLS (and so carries the token), as the builder decides."""
        from workspace_otel._setup._exporters import grpc_uses_tls

        return grpc_uses_tls(self.traces_url or "", "traces", self.environ)


def plan_exports(environ: Mapping[str, str], endpoint: str | None = None) -> ExportPlan:
    """Resolve the settings as ``configure(endpoint=endpoint)`` would in ``environ``.

    Args:
        environ: The environment.
        endpoint: ``--endpoint`` (``None``: the configured one).

    Raises:
        ConfigurationError: A setting is invalid (the message names it and the fix).
    """
    from workspace_otel.credentials import token_source_from_env

    argument = (endpoint or "").strip() or None
    if argument is not None and "://" in argument and urlsplit(argument).path not in ("", "/"):
        # A full traces URL: what OTEL_EXPORTER_OTLP_TRACES_ENDPOINT would say.
        environ = {**environ, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": argument}
        argument = None
    options = _options.resolve(
        _options.Arguments(endpoint=argument),
        environ,
        credentials_from_env=token_source_from_env,
    )
    headers, headers_source = _headers(environ)
    return ExportPlan(
        options=options,
        environ=environ,
        endpoint_argument=argument,
        endpoint_given=bool((endpoint or "").strip()),
        headers=headers,
        headers_source=headers_source,
        certificate=_exporter_file(environ, "CERTIFICATE"),
        client_certificate=_exporter_file(environ, "CLIENT_CERTIFICATE"),
        client_key=_exporter_file(environ, "CLIENT_KEY"),
    )


def explain_error(exc: ConfigurationError | str) -> tuple[str, str]:
    """Split a configuration error into ``(problem, fix)`` so the fix never repeats the problem.

    The library's messages end with the fix after a colon (``...: set it to
    otlp, lightstep or console``); without one, the fix points at the variable.
    """
    text = str(exc)
    lowered = text.lower()
    for verb in _FIX_VERBS:
        at = lowered.find(f": {verb} ")
        if at == -1:
            at = lowered.find(f"; {verb} ")
        if at > 0:
            problem, fix = text[:at].strip(), text[at + 2 :].strip()
            named = _VARIABLE.findall(problem)
            if named:  # "set it to ..." names the (last named) variable: the fix stands alone
                fix = re.sub(r"^(\w+) it\b", rf"\1 {named[-1]}", fix)
            return problem, fix[:1].upper() + fix[1:].rstrip(".") + "."
    return text, "Correct or unset the variable named above, then run the doctor again."


_VARIABLE = re.compile(r"\b(?:OTEL|WORKSPACE_OTEL|LS)_[A-Z0-9_]+\b")
_FIX_VERBS = (
    "set",
    "use",
    "unset",
    "remove",
    "pass",
    "pip",
    "install",
    "add",
    "rename",
    "give",
    "put",
    "make",
    "choose",
)

"""Option resolution: argument > variable > default, with provenance, and validation errors."""

from __future__ import annotations

from typing import Any

import pytest

from workspace_otel._settings._options import Arguments, Settings, endpoint_display, resolve
from workspace_otel.credentials import EnvTokenSource
from workspace_otel.errors import ConfigurationError


def _resolve(environ: dict[str, str] | None = None, **kwargs: Any) -> Settings:
    return resolve(Arguments(**kwargs), environ or {}, credentials_from_env=lambda env: None)


_PROTO = "OTEL_EXPORTER_OTLP_PROTOCOL"
_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"

PRECEDENCE = [
    # (option, arguments, environ, expected value, expected source)
    ("protocol", {}, {}, "http/protobuf", "default"),
    ("protocol", {}, {_PROTO: "grpc"}, "grpc", _PROTO),
    (
        "protocol",
        {},
        {_PROTO: "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
        "http/protobuf",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    ),
    (
        "protocol",
        {"protocol": "grpc"},
        {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
        "grpc",
        "argument",
    ),
    ("endpoint", {}, {}, None, "default"),
    (
        "endpoint",
        {},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318/"},
        "https://c.example:4318/v1/traces",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ),
    (
        "endpoint",
        {},
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://t.example/custom",
        },
        "https://t.example/custom",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ),
    (
        "endpoint",
        {"endpoint": "https://arg.example:4318"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://t.example/custom"},
        "https://arg.example:4318/v1/traces",
        "argument",
    ),
    ("exporters", {}, {}, ("console",), "no endpoint configured (default)"),
    (
        "exporters",
        {},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example", "OTEL_TRACES_EXPORTER": "none"},
        (),
        "OTEL_TRACES_EXPORTER",
    ),
    (
        "exporters",
        {"traces": True},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example", "OTEL_TRACES_EXPORTER": "none"},
        ("otlp",),
        "argument",
    ),
    (
        "exporters",
        {"traces": True},
        {_ENDPOINT: "https://c.example", "OTEL_TRACES_EXPORTER": "otlp,console"},
        ("otlp", "console"),
        "argument (exporters from OTEL_TRACES_EXPORTER)",
    ),
    ("exporters", {"traces": False}, {"OTEL_TRACES_EXPORTER": "otlp"}, (), "argument"),
    ("backend", {}, {}, "otlp", "default"),
    ("backend", {}, {"WORKSPACE_OTEL_BACKEND": "Console"}, "console", "WORKSPACE_OTEL_BACKEND"),
    (
        "backend",
        {"backend": "otlp"},
        {"WORKSPACE_OTEL_BACKEND": "console"},
        "otlp",
        "argument",
    ),
    ("service_name", {}, {}, None, "default"),
    ("service_name", {}, {"OTEL_SERVICE_NAME": "env-svc"}, "env-svc", "OTEL_SERVICE_NAME"),
    (
        "service_name",
        {"service_name": "arg-svc"},
        {"OTEL_SERVICE_NAME": "env-svc"},
        "arg-svc",
        "argument",
    ),
    ("sampler_name", {}, {}, "parentbased_always_on", "default"),
    (
        "sampler_name",
        {},
        {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
        "traceidratio(0.25)",
        "OTEL_TRACES_SAMPLER",
    ),
    (
        "sampler_name",
        {"sampler": "always_off"},
        {"OTEL_TRACES_SAMPLER": "always_on"},
        "always_off",
        "argument",
    ),
    ("token_header", {}, {}, "authorization", "default"),
    (
        "token_header",
        {},
        {"WORKSPACE_OTEL_TOKEN_HEADER": "X-Token"},
        "x-token",
        "WORKSPACE_OTEL_TOKEN_HEADER",
    ),
    (
        "token_header",
        {"token_header": "x-arg"},
        {"WORKSPACE_OTEL_TOKEN_HEADER": "X-Token"},
        "x-arg",
        "argument",
    ),
    ("flush_timeout", {}, {}, 5.0, "default"),
    (
        "flush_timeout",
        {},
        {"WORKSPACE_OTEL_FLUSH_TIMEOUT": "2.5"},
        2.5,
        "WORKSPACE_OTEL_FLUSH_TIMEOUT",
    ),
    (
        "flush_timeout",
        {"flush_timeout": 1},
        {"WORKSPACE_OTEL_FLUSH_TIMEOUT": "2.5"},
        1.0,
        "argument",
    ),
    ("set_global", {}, {}, True, "default"),
    ("set_global", {"set_global": False}, {}, False, "argument"),
]


@pytest.mark.parametrize(("option", "kwargs", "environ", "value", "source"), PRECEDENCE)
def test_precedence(
    option: str, kwargs: dict[str, Any], environ: dict[str, str], value: object, source: str
) -> None:
    """Argument beats variable beats default, and the source is recorded."""
    settings = _resolve(environ, **kwargs)
    if option in ("protocol", "endpoint", "exporters"):
        setting = getattr(settings.traces, option)
    else:
        setting = getattr(settings, option)
    assert (setting.value, setting.source) == (value, source)


def test_lightstep_preset_endpoints_and_header() -> None:
    """Lightstep fills documented endpoints, its header and the LS_ACCESS_TOKEN fallback."""
    env = {"WORKSPACE_OTEL_BACKEND": "lightstep", "LS_ACCESS_TOKEN": "ls-secret"}
    settings = _resolve(env)
    assert settings.traces.endpoint.value == "https://ingest.lightstep.com/traces/otlp/v0.9"
    assert settings.metrics.endpoint.value == "https://ingest.lightstep.com/metrics/otlp/v0.9"
    assert settings.traces.endpoint.source == "backend lightstep (us)"
    assert settings.token_header.value == "lightstep-access-token"
    assert isinstance(settings.credentials.value, EnvTokenSource)
    assert "LS_ACCESS_TOKEN" in settings.credentials.source
    assert "ls-secret" not in repr(settings.describe())


def test_lightstep_eu_grpc_and_logs_over_grpc() -> None:
    """The EU region and gRPC select ingest.eu.lightstep.com:443; logs always use gRPC."""
    env = {
        "WORKSPACE_OTEL_BACKEND": "lightstep",
        "WORKSPACE_OTEL_LIGHTSTEP_REGION": "eu",
        "LS_ACCESS_TOKEN": "x",
    }
    settings = _resolve(env, protocol="grpc", logs=True)
    assert settings.traces.endpoint.value == "https://ingest.eu.lightstep.com:443"
    http = _resolve(env, logs=True)
    assert http.logs.protocol.value == "grpc"
    assert http.logs.endpoint.value == "https://ingest.eu.lightstep.com:443"


def test_token_source_from_env_beats_ls_access_token() -> None:
    """Any configured token source wins over the static LS_ACCESS_TOKEN fallback."""
    source = EnvTokenSource("MY_TOKEN", environ={"MY_TOKEN": "t"})
    env = {
        "WORKSPACE_OTEL_BACKEND": "lightstep",
        "LS_ACCESS_TOKEN": "x",
        "WORKSPACE_OTEL_TOKEN_SOURCE": "env:MY_TOKEN",
    }
    settings = resolve(Arguments(), env, credentials_from_env=lambda e: source)
    assert settings.credentials.value is source
    assert settings.credentials.source == "WORKSPACE_OTEL_TOKEN_SOURCE"


@pytest.mark.parametrize(
    ("kwargs", "environ", "names"),
    [
        ({"protocol": "http/json"}, {}, ["configure(protocol)", "http/protobuf"]),
        ({}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "udp"}, ["OTEL_EXPORTER_OTLP_PROTOCOL"]),
        ({"backend": "datadog"}, {}, ["configure(backend=", "lightstep"]),
        ({}, {"WORKSPACE_OTEL_BACKEND": "zipkin"}, ["WORKSPACE_OTEL_BACKEND"]),
        ({"endpoint": "collector:4318"}, {}, ["configure(endpoint)", "https://collector:4318"]),
        ({"endpoint": "ftp://c.example"}, {}, ["configure(endpoint)", "http://"]),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://"}, ["OTEL_EXPORTER_OTLP_ENDPOINT", "host"]),
        ({}, {"OTEL_TRACES_SAMPLER": "sometimes"}, ["OTEL_TRACES_SAMPLER", "always_on"]),
        (
            {},
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
            ["OTEL_TRACES_SAMPLER_ARG", "between 0 and 1"],
        ),
        ({}, {"OTEL_TRACES_EXPORTER": "jaeger_thrift"}, ["OTEL_TRACES_EXPORTER", "not installed"]),
        ({}, {"OTEL_SDK_DISABLED": "maybe"}, ["OTEL_SDK_DISABLED"]),
        ({}, {"WORKSPACE_OTEL_TRACE_URL": "http://x/trace"}, ["{trace_id}"]),
        # found by the fuzz session: urlsplit's ValueError must not escape
        (
            {},
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://[::1"},
            ["OTEL_EXPORTER_OTLP_ENDPOINT", "[::1]"],
        ),
        ({"endpoint": "http://[::1"}, {}, ["configure(endpoint)", "valid URL"]),
        ({}, {"WORKSPACE_OTEL_TRACE_URL": "http://[x/{trace_id}"}, ["WORKSPACE_OTEL_TRACE_URL"]),
        ({}, {"OTEL_METRIC_EXPORT_INTERVAL": "0"}, ["OTEL_METRIC_EXPORT_INTERVAL", "60000"]),
        ({}, {"OTEL_METRIC_EXPORT_INTERVAL": "soon"}, ["OTEL_METRIC_EXPORT_INTERVAL"]),
        ({}, {"WORKSPACE_OTEL_FLUSH_TIMEOUT": "-1"}, ["WORKSPACE_OTEL_FLUSH_TIMEOUT"]),
        ({"service_name": " "}, {}, ["service_name"]),
        ({"resource_attributes": {"k": object()}}, {}, ["resource_attributes", "'k'"]),
        ({}, {"OTEL_RESOURCE_ATTRIBUTES": "novalue"}, ["OTEL_RESOURCE_ATTRIBUTES", "key1=value1"]),
        (
            {},
            {"WORKSPACE_OTEL_BACKEND": "lightstep"},
            ["WORKSPACE_OTEL_BACKEND=lightstep", "LS_ACCESS_TOKEN", "TOKEN_SOURCE"],
        ),
        ({"backend": "lightstep"}, {}, ["configure(backend='lightstep')", "LS_ACCESS_TOKEN"]),
        ({"credentials": "token"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c"}, ["TokenSource"]),
        ({"token_header": "bad header"}, {}, ["header"]),
        # outside the HTTP token alphabet: the credentials refused them, configure() did not
        ({"token_header": "x-t\u00f6ken"}, {}, ["header"]),
        ({}, {"WORKSPACE_OTEL_TOKEN_HEADER": "x(token)"}, ["header"]),
    ],
)
def test_invalid_configuration_names_the_option_and_the_fix(
    kwargs: dict[str, Any], environ: dict[str, str], names: list[str]
) -> None:
    """Invalid values raise ConfigurationError naming the option/variable and a fix."""
    with pytest.raises(ConfigurationError) as info:
        _resolve(environ, **kwargs)
    for name in names:
        assert name in str(info.value)


def test_endpoint_with_credentials_is_rejected_without_echoing_them() -> None:
    """A URL with user info is refused and the secret is not repeated in the message."""
    with pytest.raises(ConfigurationError) as info:
        _resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:s3cr3t@c.example"})
    assert "s3cr3t" not in str(info.value)
    assert "token source" in str(info.value)


def test_endpoint_display_drops_path_query_and_user_info() -> None:
    """Only scheme, host and port of an endpoint are ever shown."""
    assert endpoint_display("https://c.example:4318/v1/traces?k=secret") == "https://c.example:4318"
    assert endpoint_display("ingest.lightstep.com:443") == "ingest.lightstep.com:443"
    assert endpoint_display(None) == "none"
    assert endpoint_display("http://[::1") == "?"


def test_console_backend_replaces_otlp_and_needs_no_token() -> None:
    """backend=console prints every signal and never reads a token source."""
    called: list[bool] = []
    settings = resolve(
        Arguments(backend="console", logs=True),
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example"},
        credentials_from_env=lambda e: called.append(True),
    )
    assert settings.traces.exporters.value == ("console",)
    assert settings.logs.exporters.value == ("console",)
    assert not called
    assert not settings.console_fallback

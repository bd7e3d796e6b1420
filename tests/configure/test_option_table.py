"""The option table drives resolution, provenance, describe() and the known variable names."""

from __future__ import annotations

import pickle

import pytest

from workspace_otel._settings import _env
from workspace_otel._settings._options import (
    OPTIONS,
    Arguments,
    Origin,
    Setting,
    Settings,
    Source,
    resolve,
)


def _resolve(environ: dict[str, str], **kwargs: object) -> Settings:
    return resolve(Arguments(**kwargs), environ, credentials_from_env=lambda env: None)  # type: ignore[arg-type]


def test_every_library_variable_of_the_table_is_known_with_its_facts() -> None:
    """_env.VARIABLES is derived from the table: same names, defaults, docs, secret flags."""
    expected = [
        (name, option.default, option.doc, option.secret)
        for option in OPTIONS
        for name in option.variables
        if name.startswith(_env.PREFIX)
    ]
    assert [(v.name, v.default, v.help, v.secret) for v in _env.VARIABLES] == expected
    assert len({v.name for v in _env.VARIABLES}) == len(expected)  # one row per variable


def test_describe_follows_the_table_order_and_labels() -> None:
    """describe() rows come in table order, under the table's labels."""
    settings = _resolve(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318",
            "OTEL_RESOURCE_ATTRIBUTES": "a=b",
        },
        resource_attributes={"k": "v"},
        logs=True,
    )
    labels = [row[0] for row in settings.describe()]
    per_signal = {"exporters", "protocol", "endpoint"}
    expected: list[str] = []
    for option in OPTIONS:
        if not option.setting or option.key == "lightstep_region":  # shown for lightstep only
            continue
        if option.key in per_signal:
            if option.key == "exporters":
                for sig in ("traces", "metrics", "logs"):
                    expected += [sig, f"{sig}_protocol", f"{sig}_endpoint"]
            continue
        expected.append(option.label or option.key)
    assert labels == expected
    # Plain strings, not Source objects: rows are printed and serialised as they are.
    assert all(type(cell) is str for row in settings.describe() for cell in row)


def test_provenance_is_structured_and_its_text_is_the_display() -> None:
    """A source carries its kind and variable; str() and == compare the display text."""
    settings = _resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318"}, protocol="grpc")
    endpoint = settings.traces.endpoint.source
    assert (endpoint.kind, endpoint.variable) == (Origin.VARIABLE, "OTEL_EXPORTER_OTLP_ENDPOINT")
    assert endpoint == "OTEL_EXPORTER_OTLP_ENDPOINT"
    assert settings.traces.protocol.source.kind is Origin.ARGUMENT
    assert settings.traces.protocol.source == "argument"
    fallback = _resolve({}).traces.exporters.source
    assert fallback.kind is Origin.FALLBACK
    assert str(fallback) == "no endpoint configured (default)"
    lightstep = _resolve({"WORKSPACE_OTEL_BACKEND": "lightstep", "LS_ACCESS_TOKEN": "t0k3n-abc"})
    assert lightstep.traces.endpoint.source.kind is Origin.PRESET
    assert lightstep.token_header.source.kind is Origin.PRESET


def test_console_fallback_is_decided_by_kind_not_by_text() -> None:
    """A source whose text merely starts with "no endpoint" is not the console fallback."""
    settings = _resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318"})
    assert not settings.console_fallback
    lookalike = Source(Origin.VARIABLE, "OTEL_TRACES_EXPORTER", "no endpoint configured (x)")
    traces = settings.traces._replace(exporters=Setting(settings.traces.exporters.value, lookalike))
    assert not settings._replace(traces=traces).console_fallback
    assert _resolve({}).console_fallback


def test_settings_are_frozen_comparable_and_picklable() -> None:
    """Plain immutable value classes: equal when resolved alike, pickle round trip."""
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318"}
    first, second = _resolve(environ), _resolve(environ)
    assert first.traces == second.traces
    with pytest.raises(AttributeError):
        first.backend = Setting("console", Source(Origin.ARGUMENT))  # type: ignore[misc]
    with pytest.raises(AttributeError):
        first.backend.value = "console"
    with pytest.raises(AttributeError):
        first.backend.source.kind = Origin.ARGUMENT
    with pytest.raises(AttributeError):
        Origin.VARIABLE.value = "argument"
    with pytest.raises(AttributeError, match="immutable"):
        del first.backend.source.kind  # the source had no such guard before
    with pytest.raises(AttributeError, match="immutable"):
        del first.backend.value
    copy = pickle.loads(pickle.dumps(first.traces))
    assert copy == first.traces
    assert copy.endpoint.source.kind is Origin.VARIABLE


def test_every_token_source_variable_may_name_the_token_variable() -> None:
    """env:NAME in any token-source variable makes NAME a token's home, not a typo."""
    for var in _env.VARIABLES:
        if not var.names_token_source:
            continue
        environ = {var.name: "env:WORKSPACE_OTEL_LOGIN_JWT", "WORKSPACE_OTEL_LOGIN_JWT": "x"}
        assert _env.likely_typos(environ) == [], var.name
    names = {v.name for v in _env.VARIABLES if v.names_token_source}
    assert {"WORKSPACE_OTEL_VAULT_JWT_SOURCE", "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE"} <= names


def test_a_bad_argument_names_the_argument_and_a_bad_variable_names_the_variable() -> None:
    """The table's parser is used for arguments and variables, each named in the error."""
    from workspace_otel.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"configure\(flush_timeout\)"):
        _resolve({}, flush_timeout="soon")
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_LIGHTSTEP_REGION='mars'"):
        _resolve({"WORKSPACE_OTEL_LIGHTSTEP_REGION": "mars"})


def test_credentials_provenance_names_the_variable_even_when_no_source_is_found() -> None:
    """ "none" set on purpose is the variable's doing; nothing found is auto's, and says so."""
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318"}
    chosen = _resolve({**endpoint, "WORKSPACE_OTEL_TOKEN_SOURCE": "none"}).credentials
    assert chosen.value is None
    assert (chosen.source.kind, chosen.source) == (Origin.VARIABLE, "WORKSPACE_OTEL_TOKEN_SOURCE")
    found_nothing = _resolve(endpoint)
    source = found_nothing.credentials.source
    assert (source.kind, source.variable) == (Origin.DEFAULT, "WORKSPACE_OTEL_TOKEN_SOURCE")
    row = dict((name, (value, src)) for name, value, src in found_nothing.describe())
    assert row["credentials"] == ("none", "default")  # doctor's token check says the same


def test_an_option_resolved_by_the_table_alone_is_read_shown_and_defaulted() -> None:
    """Options without a rule of their own: argument > variable > default, from the table."""
    from workspace_otel._settings._options import disabled_settings, is_disabled

    settings = _resolve({"WORKSPACE_OTEL_LIGHTSTEP_REGION": "EU"}, set_global=False)
    assert (settings.lightstep_region.value, settings.lightstep_region.source) == (
        "eu",
        "WORKSPACE_OTEL_LIGHTSTEP_REGION",
    )
    rows = {name: (value, src) for name, value, src in settings.describe()}
    assert rows["set_global"] == ("false", "argument")
    off = disabled_settings(is_disabled({"OTEL_SDK_DISABLED": "true"}))
    assert (off.flush_timeout.value, off.backend.value) == (5.0, "otlp")
    assert off.set_global.value is False


def test_a_secret_value_without_a_display_rule_is_never_shown() -> None:
    """The generic display of a table option hides a value marked secret."""
    from workspace_otel._settings._options._provenance import from_variable
    from workspace_otel._settings._options._settings import _plain

    shown = _plain(Setting("s3cr3t-value", from_variable("WORKSPACE_OTEL_X")), secret=True)
    assert "s3cr3t" not in shown[0]
    assert _plain(Setting(True, from_variable("WORKSPACE_OTEL_X")), secret=False)[0] == "true"


@pytest.mark.parametrize(
    ("environ", "kwargs", "row"),
    [
        ({}, {}, ("tracecontext,baggage", "default")),
        ({"OTEL_PROPAGATORS": " b3 ,tracecontext"}, {}, ("b3,tracecontext", "OTEL_PROPAGATORS")),
        ({"OTEL_PROPAGATORS": "b3"}, {"propagators": ["baggage"]}, ("baggage", "argument")),
    ],
)
def test_the_propagators_row_shows_the_names_in_effect(
    environ: dict[str, str], kwargs: dict[str, object], row: tuple[str, str]
) -> None:
    """describe() names the propagators in effect and where they came from."""
    settings = _resolve(environ, **kwargs)
    rows = {name: (value, src) for name, value, src in settings.describe()}
    assert rows["propagators"] == row
    if not kwargs:  # left to the API, which applies OTEL_PROPAGATORS itself
        assert settings.propagators.value is None

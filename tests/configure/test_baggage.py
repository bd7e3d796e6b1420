"""WORKSPACE_OTEL_BAGGAGE / WORKSPACE_OTEL_BAGGAGE_TO_SPANS: parsing, refusals, propagation."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import baggage, context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagate import get_global_textmap, set_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from workspace_otel import configure
from workspace_otel._guards import redaction
from workspace_otel._setup import _baggage
from workspace_otel.errors import ConfigurationError

_RESOURCE = Resource(
    {
        "workspace.id": "fluffy-giggle-vw699r4p6p9cxx94",
        "vcs.ref.head.revision": "a7b330d5c5b0b6e7f1d1f4c0d4b8e6a2f0c9d3e1",
        "user.name": "octocat",
        "workspace.prebuild": True,
    }
)


@pytest.fixture(name="propagators")
def _propagators() -> object:
    """Restore the global propagator after each test."""
    before = get_global_textmap()
    yield before
    set_global_textmap(before)


def _outgoing(ctx: context.Context | None = None) -> dict[str, str]:
    carrier: dict[str, str] = {}
    get_global_textmap().inject(carrier, context=ctx)
    return carrier


def _parsed(header: str) -> dict[str, str]:
    ctx = W3CBaggagePropagator().extract({"baggage": header})
    return {k: str(v) for k, v in baggage.get_all(ctx).items()}


def test_unset_means_no_baggage_at_all(propagators: object) -> None:
    """Nothing is sent and nothing is wrapped while the variables are unset."""
    config = _baggage.settings_from({})
    assert config.send == ()
    assert config.receive is None
    _baggage.install(config, _RESOURCE, TracerProvider(), set_global=True)
    assert get_global_textmap() is propagators
    assert "baggage" not in _outgoing()


def test_listed_resource_attributes_go_out_as_baggage(propagators: object) -> None:
    """Listed names are added at inject time, with the resource's values (bool as true)."""
    config = _baggage.settings_from(
        {"WORKSPACE_OTEL_BAGGAGE": " workspace.id , vcs.ref.head.revision,workspace.prebuild,,"}
    )
    _baggage.install(config, _RESOURCE, TracerProvider(), set_global=True)
    assert _parsed(_outgoing()["baggage"]) == {
        "workspace.id": "fluffy-giggle-vw699r4p6p9cxx94",
        "vcs.ref.head.revision": "a7b330d5c5b0b6e7f1d1f4c0d4b8e6a2f0c9d3e1",
        "workspace.prebuild": "true",
    }


def test_entries_the_application_set_win(propagators: object) -> None:
    """An entry already in the baggage is never overridden; other entries are kept."""
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "workspace.id"})
    _baggage.install(config, _RESOURCE, TracerProvider(), set_global=True)
    ctx = baggage.set_baggage("workspace.id", "set-by-the-app")
    ctx = baggage.set_baggage("tenant", "acme", ctx)
    sent = _parsed(_outgoing(ctx)["baggage"])
    assert sent == {"workspace.id": "set-by-the-app", "tenant": "acme"}
    assert baggage.get_baggage("workspace.id", ctx) == "set-by-the-app"


def test_trace_context_still_goes_out_and_extract_is_unchanged(propagators: object) -> None:
    """The wrapper keeps the wrapped formats (traceparent) and extracts as they do."""
    set_global_textmap(
        CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
    )
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "workspace.id"})
    provider = TracerProvider()
    _baggage.install(config, _RESOURCE, provider, set_global=True)
    with provider.get_tracer("t").start_as_current_span("s"):
        carrier = _outgoing()
    assert "traceparent" in carrier
    assert get_global_textmap().fields == {"traceparent", "tracestate", "baggage"}
    extracted = get_global_textmap().extract({"baggage": "a=b"})
    assert baggage.get_all(extracted) == {"a": "b"}


def test_installing_twice_replaces_instead_of_stacking(propagators: object) -> None:
    """A second pipeline replaces the wrapper; one without the variable removes it."""
    first = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "workspace.id"})
    _baggage.install(first, _RESOURCE, TracerProvider(), set_global=True)
    _baggage.install(first, _RESOURCE, TracerProvider(), set_global=True)
    wrapper = get_global_textmap()
    assert isinstance(wrapper, _baggage.ResourceBaggagePropagator)
    assert wrapper.inner is propagators
    _baggage.install(_baggage.settings_from({}), _RESOURCE, TracerProvider(), set_global=True)
    assert get_global_textmap() is propagators


def test_set_global_false_leaves_the_global_propagator_alone(propagators: object) -> None:
    """configure(set_global=False) does not touch the process-wide propagator."""
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "workspace.id"})
    _baggage.install(config, _RESOURCE, TracerProvider(), set_global=False)
    assert get_global_textmap() is propagators


def test_a_missing_attribute_is_left_out_and_said_once(
    propagators: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A listed name the resource lacks is not sent; one INFO line names it."""
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "workspace.id,workspace.class"})
    with caplog.at_level(logging.INFO, logger="workspace_otel"):
        _baggage.install(config, _RESOURCE, TracerProvider(), set_global=True)
        _outgoing()
        _outgoing()
    assert set(_parsed(_outgoing()["baggage"])) == {"workspace.id"}
    assert [r.getMessage().count("workspace.class") for r in caplog.records] == [1]


def test_a_value_equal_to_a_known_secret_is_never_sent(
    propagators: object, caplog: pytest.LogCaptureFixture
) -> None:
    """Defence in depth: a value the redactor knows as a secret is dropped, without the value."""
    secret = "s3cr3t-value-for-baggage-test"
    redaction.register_secret(secret)
    resource = Resource({"workspace.class": secret})
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "workspace.class"})
    with caplog.at_level(logging.DEBUG, logger="workspace_otel"):
        _baggage.install(config, resource, TracerProvider(), set_global=True)
    assert "baggage" not in _outgoing()
    assert secret not in caplog.text
    assert "looks like a credential" in caplog.text


def test_our_entries_stay_within_half_the_w3c_header(
    propagators: object, caplog: pytest.LogCaptureFixture
) -> None:
    """Encoded entries beyond 4096 bytes are left out (said once): the app keeps its half.

    A receiver drops a baggage header over 8192 bytes whole, the application's
    own entries with it; old API versions send such a header unchecked.
    """
    big = "\u00e9," * 400  # 800 characters, 3600 bytes once percent-encoded
    resource = Resource({"a.one": big, "a.two": big, "a.three": "small"})
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "a.one,a.two,a.three"})
    with caplog.at_level(logging.INFO, logger="workspace_otel"):
        _baggage.install(config, resource, TracerProvider(), set_global=True)
    header = _outgoing()["baggage"]
    assert len(header.encode()) <= 4096
    assert _parsed(header) == {"a.one": big, "a.three": "small"}
    assert "a.two" in caplog.text


@pytest.mark.parametrize(
    "name",
    [
        "api.token",
        "workspace.secret",
        "db.password",
        "aws.access_key",
        "x-api-key",
        "service.apikey",
        "http.authorization",
        "auth",
        "session.cookie",
        "workspace.actor.agent.session.id",
        "client.credentials",
        "jwt",
        "GITHUB_TOKEN",
        "app.passphrase",
        "app.passcode",
        "db.connection_string",
        "db.connectionString",
        "slack.webhook_url",
        "api-key",
        "x.access.token",
    ],
)
def test_a_name_that_could_carry_a_secret_is_refused(name: str) -> None:
    """Listing a secret-shaped name raises ConfigurationError naming the variable and the fix."""
    with pytest.raises(ConfigurationError, match=r"WORKSPACE_OTEL_BAGGAGE lists .*secret.*remove"):
        _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": f"workspace.id,{name}"})
    with pytest.raises(ConfigurationError, match=r"WORKSPACE_OTEL_BAGGAGE_TO_SPANS lists"):
        _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": name})


@pytest.mark.parametrize("item", ["workspace.*", "*", "user.*", "bad name", "a=b", "x;y"])
def test_sending_side_takes_exact_names_only(item: str) -> None:
    """Patterns and malformed names are refused on the sending side."""
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_BAGGAGE lists"):
        _baggage.send_names({"WORKSPACE_OTEL_BAGGAGE": item})


def test_user_attributes_are_sent_only_by_exact_name(propagators: object) -> None:
    """user.name listed by name goes out; it is the only way."""
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE": "user.name"})
    _baggage.install(config, _RESOURCE, TracerProvider(), set_global=True)
    assert _parsed(_outgoing()["baggage"]) == {"user.name": "octocat"}


@pytest.mark.parametrize("item", ["*", "u*", "us*", "user*", "user.*", "USER.*", "user.na*"])
def test_no_receiving_pattern_may_match_user_keys(item: str) -> None:
    """A pattern that could match user.* is refused (bare * too)."""
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_BAGGAGE_TO_SPANS"):
        _baggage.receive_filter({"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": item})


@pytest.mark.parametrize("item", ["work*space", "a**", "*.id", "workspace.* extra"])
def test_malformed_receiving_patterns_are_refused(item: str) -> None:
    """Only keys and prefixes ending in one * are accepted."""
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_BAGGAGE_TO_SPANS lists"):
        _baggage.receive_filter({"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": item})


def test_key_filter_matches_keys_and_prefixes_but_never_user_or_secrets() -> None:
    """workspace.* matches workspace keys; user.* only by exact name; secrets never."""
    keys = _baggage.receive_filter(
        {"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": "workspace.*,vcs.ref.head.revision,user.name,w*"}
    )
    assert keys is not None
    assert keys("workspace.id")
    assert keys("vcs.ref.head.revision")
    assert keys("user.name")
    assert not keys("vcs.ref.head.name")
    assert not keys("user.email")
    assert not keys("workspace.token")
    assert not keys("workspace.session.id")
    assert "w*" in repr(keys)


def test_incoming_baggage_lands_on_spans_through_the_contrib_processor() -> None:
    """The receiving side copies matching incoming entries onto the spans started under them."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    config = _baggage.settings_from(
        {"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": "workspace.*,vcs.ref.head.revision"}
    )
    _baggage.install(config, Resource.get_empty(), provider, set_global=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    incoming = W3CBaggagePropagator().extract(
        {"baggage": "workspace.id=ws-1,vcs.ref.head.revision=abc,user.email=a%40b.c,api.token=x"}
    )
    token = context.attach(incoming)
    try:
        with provider.get_tracer("t").start_as_current_span("server"):
            pass
    finally:
        context.detach(token)
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {}) == {"workspace.id": "ws-1", "vcs.ref.head.revision": "abc"}


def test_hostile_incoming_values_never_reach_spans() -> None:
    """Control characters, oversized, credential-shaped and known-secret values are dropped."""
    secret = "s3cr3t-value-for-baggage-rx"
    redaction.register_secret(secret)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": "workspace.*"})
    _baggage.install(config, Resource.get_empty(), provider, set_global=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    header = ",".join(
        [
            "workspace.ok=a%2Cb%3Bc%20d%25e%C3%A9",
            "workspace.ctl=line1%0Aline2%1B%5B31m",
            "workspace.big=" + "x" * 2000,
            f"workspace.known={secret}",
            "workspace.jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
            "workspace.gh=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ]
    )
    token = context.attach(W3CBaggagePropagator().extract({"baggage": header}))
    try:
        with provider.get_tracer("t").start_as_current_span("server"):
            pass
    finally:
        context.detach(token)
        redaction.forget_all()
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {}) == {"workspace.ok": "a,b;c d%e\u00e9"}


def test_hostile_incoming_keys_never_reach_spans() -> None:
    """Keys decoded into control characters, bidi overrides or 3000 characters stay off spans."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    config = _baggage.settings_from({"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": "workspace.*"})
    _baggage.install(config, Resource.get_empty(), provider, set_global=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    header = ",".join(
        [
            "workspace.ok=1",
            "workspace.a%0Ab%1B%5B31m=x",
            "workspace.%E2%80%AEevil=x",
            "workspace." + "k" * 3000 + "=x",
            "workspace.t%6Fken=x",
        ]
    )
    token = context.attach(W3CBaggagePropagator().extract({"baggage": header}))
    try:
        with provider.get_tracer("t").start_as_current_span("server"):
            pass
    finally:
        context.detach(token)
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {}) == {"workspace.ok": "1"}
    assert config.receive is not None
    assert not config.receive("workspace.id\n")  # "$" would have matched before it


def test_configure_installs_both_directions(propagators: object) -> None:
    """configure() reads both variables: spans get incoming entries, requests get ours."""
    environ = {
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_RESOURCE_ATTRIBUTES": "workspace.id=ws-from-env",
        "WORKSPACE_OTEL_BAGGAGE": "workspace.id",
        "WORKSPACE_OTEL_BAGGAGE_TO_SPANS": "tenant.*",
        "WORKSPACE_OTEL_GIT": "off",
    }
    telemetry = configure(environ=environ)
    exporter = InMemorySpanExporter()
    provider = telemetry.tracer_provider
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert _parsed(_outgoing()["baggage"]) == {"workspace.id": "ws-from-env"}
    token = context.attach(baggage.set_baggage("tenant.id", "acme"))
    try:
        with provider.get_tracer("t").start_as_current_span("s"):
            pass
    finally:
        context.detach(token)
    assert exporter.get_finished_spans()[0].attributes == {"tenant.id": "acme"}


def test_shutdown_stops_sending_baggage(propagators: object) -> None:
    """After telemetry.shutdown() requests no longer carry the resource as baggage."""
    environ = {
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_RESOURCE_ATTRIBUTES": "workspace.id=ws-from-env",
        "WORKSPACE_OTEL_BAGGAGE": "workspace.id",
        "WORKSPACE_OTEL_GIT": "off",
    }
    telemetry = configure(environ=environ)
    assert "baggage" in _outgoing()
    telemetry.shutdown()
    assert "baggage" not in _outgoing()
    assert get_global_textmap() is propagators


def test_configure_refuses_a_secret_before_building_anything() -> None:
    """An invalid list fails configure() with ConfigurationError; no provider is installed."""
    with pytest.raises(ConfigurationError, match=r"WORKSPACE_OTEL_BAGGAGE lists 'db\.password'"):
        configure(environ={"WORKSPACE_OTEL_BAGGAGE": "db.password", "OTEL_TRACES_EXPORTER": "none"})
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


_fragments = st.sampled_from(
    ["workspace", "id", "user", "name", "token", "Secret", "key", "session", "vcs", "*", "", "."]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_fragments, max_size=4).map(".".join), max_size=5).map(",".join))
def test_any_receiving_list_is_refused_or_never_matches_user_or_secrets(raw: str) -> None:
    """Whatever the list, it raises ConfigurationError or its filter keeps user.*/secrets out."""
    try:
        keys = _baggage.receive_filter({"WORKSPACE_OTEL_BAGGAGE_TO_SPANS": raw})
    except ConfigurationError as exc:
        message = str(exc)
        keys = None
    else:
        message = "WORKSPACE_OTEL_BAGGAGE_TO_SPANS"
    assert "WORKSPACE_OTEL_BAGGAGE_TO_SPANS" in message
    if keys is None:
        return
    for key in ("user.email", "user.full_name", "api.token", "workspace.secret", "x.key"):
        assert not keys(key) or key in keys.exact


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_sending_list_is_refused_or_holds_only_safe_names(raw: str) -> None:
    """Whatever the variable holds: ConfigurationError, or names that cannot be secrets."""
    try:
        names = _baggage.send_names({"WORKSPACE_OTEL_BAGGAGE": raw})
    except ConfigurationError as exc:
        message, names = str(exc), ()
    else:
        message = "WORKSPACE_OTEL_BAGGAGE"
    assert "WORKSPACE_OTEL_BAGGAGE" in message
    for name in names:
        assert not _baggage.could_be_secret(name)
        assert "*" not in name
        assert name.isprintable()

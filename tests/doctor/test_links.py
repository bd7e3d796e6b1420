"""Trace links from WORKSPACE_OTEL_TRACE_URL."""

from __future__ import annotations

import pytest

from workspace_otel._settings._links import trace_link, trace_url_template
from workspace_otel.errors import ConfigurationError

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_link_from_template() -> None:
    environ = {
        "WORKSPACE_OTEL_TRACE_URL": "https://app.lightstep.com/acme/trace?trace_handle={trace_id}"
    }
    assert trace_link(TRACE_ID.upper(), environ) == (
        f"https://app.lightstep.com/acme/trace?trace_handle={TRACE_ID}"
    )


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_template_means_no_link(value: str | None) -> None:
    environ = {} if value is None else {"WORKSPACE_OTEL_TRACE_URL": value}
    assert trace_url_template(environ) is None
    assert trace_link(TRACE_ID, environ) is None


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("http://localhost:16686/trace/", "must contain {trace_id}"),
        ("ftp://viewer/{trace_id}", "must be an http:// or https:// URL"),
        ("{trace_id}", "must be an http:// or https:// URL"),
        ("https://user:pw@viewer/{trace_id}", "must not carry credentials"),
        ("https://viewer/{project}/{trace_id}", "may only contain the placeholder"),
    ],
)
def test_invalid_template_names_the_variable(template: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_TRACE_URL") as info:
        trace_url_template({"WORKSPACE_OTEL_TRACE_URL": template})
    assert message in str(info.value)
    assert "pw" not in str(info.value)


def test_trace_id_must_be_hex() -> None:
    with pytest.raises(ValueError, match="32 hexadecimal"):
        trace_link("not-a-trace-id", {"WORKSPACE_OTEL_TRACE_URL": "http://v/{trace_id}"})

"""One header-name rule for configure(), the shell helpers and the credentials."""

from __future__ import annotations

import pytest

from workspace_otel._settings._option_parsers import header_name, is_header_name
from workspace_otel._settings._token_config import token_header
from workspace_otel.credentials._headers import resolve_header
from workspace_otel.errors import ConfigurationError

VALID = ["authorization", "lightstep-access-token", "x-api_key.v2", "X-Token"]
INVALID = ["x(token)", "x-t\u00f6ken", "bad header", "a:b", "a,b", ""]


@pytest.mark.parametrize("name", VALID)
def test_every_consumer_accepts_a_token_name(name: str) -> None:
    assert is_header_name(name)
    assert header_name(name, "configure(token_header)") == name.lower()
    assert token_header(name, "otlp", {})[0] == name.lower()
    assert resolve_header(name, {}) == name.lower()
    assert resolve_header(None, {"WORKSPACE_OTEL_TOKEN_HEADER": name}) == name.lower()


@pytest.mark.parametrize("name", INVALID)
def test_every_consumer_refuses_the_same_names(name: str) -> None:
    assert not is_header_name(name)
    with pytest.raises(ConfigurationError):
        header_name(name, "configure(token_header)")
    if name:  # an empty argument means "not given" to these two
        with pytest.raises(ConfigurationError):
            token_header(name, "otlp", {})
        with pytest.raises(ConfigurationError, match="header="):
            resolve_header(name, {})
        with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_TOKEN_HEADER="):
            resolve_header(None, {"WORKSPACE_OTEL_TOKEN_HEADER": name})


def test_a_blank_given_name_is_refused_not_replaced_by_the_default() -> None:
    with pytest.raises(ConfigurationError, match="header="):
        resolve_header("   ", {"WORKSPACE_OTEL_TOKEN_HEADER": "x-token"})
    assert resolve_header(" X-Token\n", {}) == "x-token"  # stripped, as configure() strips

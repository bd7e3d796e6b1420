"""The environment-variable table and its typed readers."""

from __future__ import annotations

import pytest

from workspace_otel._settings import _env
from workspace_otel.errors import ConfigurationError, TokenError, WorkspaceOtelError


def test_every_variable_has_the_prefix_and_help() -> None:
    """Each documented variable is namespaced and explained."""
    for var in _env.VARIABLES:
        assert var.name.startswith(_env.PREFIX)
        assert var.help


def test_get_returns_default_for_blank_values() -> None:
    """A blank value counts as unset."""
    assert _env.get("WORKSPACE_OTEL_IDENTITY", {"WORKSPACE_OTEL_IDENTITY": "  "}) == "login"
    assert _env.get("WORKSPACE_OTEL_IDENTITY", {"WORKSPACE_OTEL_IDENTITY": " hash "}) == "hash"


def test_get_choice_rejects_unknown_values_naming_variable_and_fix() -> None:
    """A bad choice raises ConfigurationError with the variable, the value and the choices."""
    with pytest.raises(ConfigurationError) as info:
        _env.get_choice(
            "WORKSPACE_OTEL_IDENTITY", ("login", "full"), {"WORKSPACE_OTEL_IDENTITY": "x"}
        )
    message = str(info.value)
    assert "WORKSPACE_OTEL_IDENTITY" in message
    assert "'x'" in message
    assert "login, full" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "expected"), [("on", True), ("TRUE", True), ("0", False), ("", False)]
)
def test_get_bool(raw: str, expected: bool) -> None:
    """On/off variables accept the usual spellings."""
    assert _env.get_bool("WORKSPACE_OTEL_GIT_DIRTY", {"WORKSPACE_OTEL_GIT_DIRTY": raw}) is expected


def test_get_bool_rejects_other_words() -> None:
    """Anything else is a configuration error naming the variable."""
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_GIT_DIRTY"):
        _env.get_bool("WORKSPACE_OTEL_GIT_DIRTY", {"WORKSPACE_OTEL_GIT_DIRTY": "maybe"})


def test_unknown_names_likely_typos() -> None:
    """Unknown prefixed variables are reported, known ones and others are not."""
    environ = {"WORKSPACE_OTEL_TOKEN_SORCE": "x", "WORKSPACE_OTEL_GIT": "on", "HOME": "/root"}
    assert _env.unknown(environ) == ["WORKSPACE_OTEL_TOKEN_SORCE"]


def test_error_hierarchy() -> None:
    """All library errors share one base; TokenError carries needs_user."""
    assert issubclass(ConfigurationError, WorkspaceOtelError)
    err = TokenError("client secret rejected", needs_user=True)
    assert isinstance(err, WorkspaceOtelError)
    assert err.needs_user
    assert not TokenError("x").needs_user

"""WORKSPACE_OTEL_TOKEN_SOURCE parsing, auto order, and configuration errors."""

from __future__ import annotations

import pytest

from tests.credentials.helpers import CANARY
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    FileTokenSource,
    GceMetadataTokenSource,
    GitHubActionsTokenSource,
    GitpodTokenSource,
    OAuth2ClientCredentialsSource,
    token_source_from_env,
)
from workspace_otel.errors import ConfigurationError

OAUTH = {"WORKSPACE_OTEL_OAUTH2_TOKEN_URL": "https://idp.example.com/token"}
AUD = {"WORKSPACE_OTEL_TOKEN_AUDIENCE": "collector"}
ACTIONS = {
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.actions.example/x?api-version=2.0",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "none", "WORKSPACE_OTEL_TOKEN": "x"}, None),
        ({"WORKSPACE_OTEL_TOKEN": "x", **AUD, "GITPOD_WORKSPACE_ID": "w"}, EnvTokenSource),
        ({**AUD, "GITPOD_WORKSPACE_ID": "ws"}, GitpodTokenSource),
        (
            {**AUD, "GITPOD_ENVIRONMENT_ID": "019a6760-cbe9-7def-a10a-434ff94ffcaf"},
            GitpodTokenSource,
        ),
        ({**AUD, **ACTIONS}, GitHubActionsTokenSource),
        ({**AUD, **ACTIONS, **OAUTH}, GitHubActionsTokenSource),
        ({"GITPOD_WORKSPACE_ID": "ws", **OAUTH}, OAuth2ClientCredentialsSource),
        ({**ACTIONS}, None),  # no audience: no OIDC under auto
        ({**AUD}, None),  # audience but no platform
        ({**AUD, "GCE_METADATA_HOST": "127.0.0.1:1"}, None),  # gce-metadata never auto
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "AUTO", "WORKSPACE_OTEL_TOKEN": "x"}, EnvTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "env:MY_TOKEN"}, EnvTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "file:/run/token"}, FileTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "command:vault read -field=t x"}, CommandTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "gitpod", **AUD}, GitpodTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "github-actions", **AUD}, GitHubActionsTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "gce-metadata", **AUD}, GceMetadataTokenSource),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "oauth2", **OAUTH}, OAuth2ClientCredentialsSource),
    ],
)
def test_source_selection(env: dict[str, str], expected: type | None) -> None:
    """Each value (and auto's order) yields the right source type."""
    source = token_source_from_env(env)
    if expected is None:
        assert source is None
    else:
        assert isinstance(source, expected)


def test_env_source_reads_the_given_mapping() -> None:
    """Sources built from a mapping read that mapping."""
    source = token_source_from_env({"WORKSPACE_OTEL_TOKEN": "from-mapping"})
    assert source is not None
    assert source.fetch().value == "from-mapping"


def test_nested_subject_source() -> None:
    """oauth2 with a subject source performs token exchange with that nested source."""
    env = {
        "WORKSPACE_OTEL_TOKEN_SOURCE": "oauth2",
        **OAUTH,
        **AUD,
        "WORKSPACE_OTEL_OAUTH2_CLIENT_ID": "c",
        "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE": "gitpod",
        "WORKSPACE_OTEL_OAUTH2_SCOPES": "a,b c",
    }
    source = token_source_from_env(env)
    assert isinstance(source, OAuth2ClientCredentialsSource)
    assert isinstance(source.subject_source, GitpodTokenSource)
    assert source.scopes == ("a", "b", "c")
    assert "token-exchange" in source.describe()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "bogus"}, "WORKSPACE_OTEL_TOKEN_SOURCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "env:"}, "WORKSPACE_OTEL_TOKEN_SOURCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "file:"}, "WORKSPACE_OTEL_TOKEN_SOURCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "command:"}, "WORKSPACE_OTEL_TOKEN_SOURCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "command:a 'b"}, "WORKSPACE_OTEL_TOKEN_SOURCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "gitpod"}, "WORKSPACE_OTEL_TOKEN_AUDIENCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "github-actions"}, "WORKSPACE_OTEL_TOKEN_AUDIENCE"),
        ({"WORKSPACE_OTEL_TOKEN_SOURCE": "oauth2"}, "WORKSPACE_OTEL_OAUTH2_TOKEN_URL"),
        (
            {
                "WORKSPACE_OTEL_TOKEN_SOURCE": "oauth2",
                **OAUTH,
                "WORKSPACE_OTEL_OAUTH2_TIMEOUT": "0",
            },
            "WORKSPACE_OTEL_OAUTH2_TIMEOUT",
        ),
        (
            {
                "WORKSPACE_OTEL_OAUTH2_TOKEN_URL": "http://idp.example.com/token",
            },
            "WORKSPACE_OTEL_OAUTH2_TOKEN_URL",
        ),
        (
            {**OAUTH, "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE": "oauth2"},
            "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE",
        ),
        (
            {**OAUTH, "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE": "auto"},
            "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE",
        ),
        (
            {**OAUTH, "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET": "s"},
            "WORKSPACE_OTEL_OAUTH2_CLIENT_ID",
        ),
    ],
)
def test_configuration_errors_name_the_variable(env: dict[str, str], variable: str) -> None:
    """Invalid configuration raises ConfigurationError naming the variable."""
    with pytest.raises(ConfigurationError, match=variable):
        token_source_from_env(env)


@pytest.mark.parametrize("value", [CANARY, f"{CANARY}:x", f"bearer {CANARY}"])
def test_invalid_value_is_not_echoed(value: str) -> None:
    """A token pasted into WORKSPACE_OTEL_TOKEN_SOURCE by mistake never appears in the error."""
    with pytest.raises(ConfigurationError) as info:
        token_source_from_env({"WORKSPACE_OTEL_TOKEN_SOURCE": value})
    assert CANARY not in str(info.value)


def test_secret_never_in_configuration_errors() -> None:
    """The client secret is not in any error text."""
    env = {
        "WORKSPACE_OTEL_OAUTH2_TOKEN_URL": "https://idp.example.com/token",
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET": CANARY,
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE": "/x",
        "WORKSPACE_OTEL_OAUTH2_CLIENT_ID": "c",
    }
    with pytest.raises(ConfigurationError) as info:
        token_source_from_env(env)
    assert CANARY not in str(info.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", CANARY),
        ("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE", "/run/secrets/otel-client"),
    ],
)
def test_client_secret_without_client_id_names_both_variables(variable: str, value: str) -> None:
    """The error names the variable that is set and the one to add (found by fuzzing)."""
    env = {"WORKSPACE_OTEL_OAUTH2_TOKEN_URL": "https://idp.example.com/token", variable: value}
    with pytest.raises(ConfigurationError) as info:
        token_source_from_env(env)
    message = str(info.value)
    assert f"{variable} is set" in message
    assert "set WORKSPACE_OTEL_OAUTH2_CLIENT_ID" in message
    assert CANARY not in message

"""The scaffolding both secret-store sources share: lease, field lookup, catch-all, refusals.

No store is needed: these are the rules the ``vault`` and
``aws-secretsmanager`` sources delegate to, driven with an injected clock and
hostile answers.
"""

from __future__ import annotations

import json
import math
from types import ModuleType

import pytest

from workspace_otel.credentials import AwsSecretsManagerSource, VaultSecretSource
from workspace_otel.credentials._secret_store_source import (
    MIN_REVALIDATE,
    Lease,
    SecretStoreSource,
    string_field,
)
from workspace_otel.credentials._token import Token
from workspace_otel.errors import ConfigurationError, TokenError


def test_a_lease_is_renewed_at_half_life_and_checked_no_sooner_than_the_floor() -> None:
    lease = Lease()
    lease.start(30, now=100.0)
    assert lease.next_check(60.0, now=100.0) == pytest.approx(15.0)
    assert not lease.renewal_due(114.9)
    assert lease.renewal_due(115.0)
    assert lease.next_check(60.0, now=116.0) == MIN_REVALIDATE
    assert not lease.expired(129.9)
    assert lease.expired(130.0)


@pytest.mark.parametrize("duration", [True, "600", None, 0, -5, math.inf, math.nan, 1e999])
def test_a_hostile_lease_duration_means_no_expiry(duration: object) -> None:
    """A store answering ``true``, a string, a negative or an infinite lease: no renewal storm."""
    lease = Lease()
    lease.start(duration, now=100.0)
    assert (lease.ttl, lease.end) == (None, None)
    assert not lease.renewal_due(100.0)
    assert not lease.expired(1e12)
    assert lease.next_check(60.0, now=100.0) == 60.0


def test_a_missing_field_is_named_with_the_other_names_never_their_values() -> None:
    secret_value = "LsKeyNeverShown0123456789abcdef"
    document: dict[object, object] = {f"f{i:02d}": secret_value for i in range(15)}
    document[7] = "odd key"
    with pytest.raises(TokenError) as caught:
        string_field(document, "access_token", "the secret otel/x", "fix THE_VARIABLE")
    message = str(caught.value)
    assert caught.value.needs_user
    assert secret_value not in message
    assert message.startswith("the secret otel/x has no string field 'access_token' (its fields: ")
    assert message.endswith("): fix THE_VARIABLE")
    assert message.count(", ") == 9  # ten names at most


def test_a_field_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TokenError, match="no string field 'token'"):
        string_field({"token": {"nested": "x"}}, "token", "the secret s", "fix it")


class _Scripted(SecretStoreSource):
    """A store whose fetch does what the test says (the client module is ``json``)."""

    kind = "scripted"
    client_module = "json"
    extra = "none"

    def __init__(self, outcome: Exception | str) -> None:
        super().__init__(revalidate_interval=60.0, timeout=1.0, environ={})
        self.outcome = outcome
        self.clients: list[ModuleType] = []

    def describe(self) -> str:
        return "scripted"

    def _fetch_with(self, client: ModuleType) -> Token:
        self.clients.append(client)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return Token.from_value(self.outcome, kind=self.kind)


def test_an_unexpected_client_failure_shows_its_type_never_its_text() -> None:
    leaked = "Bearer LsKeyFromAProxyPage0123456789"
    source = _Scripted(ValueError(f"could not parse {leaked}"))
    with pytest.raises(TokenError) as caught:
        source.fetch()
    assert "ValueError" in str(caught.value)
    assert leaked not in str(caught.value)
    assert not caught.value.needs_user  # retryable
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__  # the original exception's text is not chained
    # The lock was released: the next fetch runs, with the client imported once more.
    source.outcome = "LsKeyAfterwards0123456789"
    assert source.fetch().value == "LsKeyAfterwards0123456789"
    assert source.clients == [json, json]


def test_the_stores_own_errors_pass_through_unchanged() -> None:
    error = TokenError("the role does not trust this token: fix the role", needs_user=True)
    with pytest.raises(TokenError) as caught:
        _Scripted(error).fetch()
    assert caught.value is error
    with pytest.raises(ConfigurationError, match="SOME_VARIABLE"):
        _Scripted(ConfigurationError("SOME_VARIABLE is wrong: fix it")).fetch()


def test_vault_addr_refusal_shows_the_address_without_credentials_or_added_path() -> None:
    with pytest.raises(ConfigurationError) as caught:
        VaultSecretSource(
            "secret/otel/x#token", address="http://admin:hunter2-Pw@vault.example.com:8200"
        )
    message = str(caught.value)
    assert message.startswith("VAULT_ADDR=http://vault.example.com:8200 cannot carry a Vault token")
    assert "hunter2-Pw" not in message


def test_an_aws_endpoint_refusal_names_its_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        AwsSecretsManagerSource(
            "otel/x",
            environ={"AWS_ENDPOINT_URL_STS": "http://key:s3cr3t-Pw@sts.example.com/"},
        )
    message = str(caught.value)
    assert message.startswith("AWS_ENDPOINT_URL_STS=")
    assert "cannot carry AWS credentials" in message
    assert "s3cr3t-Pw" not in message

"""JwtValidator follows the Collector oidc authenticator's rules."""

from __future__ import annotations

import base64
import json

import pytest

from tests.harness.jwt_validation import (
    JwtValidator,
    StaticTokenValidator,
    TokenRejected,
    decode_unverified,
    split_header,
)
from tests.harness.token_server import TokenServer

NOW = 1_800_000_000.0


def _validator(server: TokenServer, now: float) -> JwtValidator:
    """A validator of ``server``'s tokens whose clock reads ``now``."""
    return JwtValidator(server.jwks_url, server.issuer, server.audience, clock=lambda: now)


def test_accepts_a_good_token_via_the_header(token_server: TokenServer) -> None:
    token = token_server.mint(sub="alice", now=NOW, lifetime=60)

    claims = _validator(token_server, NOW + 30).validate_header(f"Bearer {token}")

    assert claims["sub"] == "alice"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer  {t}", "Bearer {t} extra", "{t}"],
)
def test_header_must_split_into_exactly_two_parts(
    token_server: TokenServer, header: str | None
) -> None:
    token = token_server.mint(now=NOW)
    value = None if header is None else header.format(t=token)

    with pytest.raises(TokenRejected, match="auth header"):
        _validator(token_server, NOW).validate_header(value)


def test_scheme_word_is_not_checked(token_server: TokenServer) -> None:
    token = token_server.mint(now=NOW)

    assert _validator(token_server, NOW).validate_header(f"Whatever {token}")["iss"]


def test_issuer_must_match_exactly(token_server: TokenServer) -> None:
    token = token_server.mint(now=NOW, issuer=token_server.issuer + "/")

    with pytest.raises(TokenRejected, match="issuer"):
        _validator(token_server, NOW).validate(token)


def test_audience_string_or_list_must_contain_the_audience(token_server: TokenServer) -> None:
    listed = token_server.mint(now=NOW, aud=["other", "workspace-otel-test"])
    wrong = token_server.mint(now=NOW, aud="other")

    assert _validator(token_server, NOW).validate(listed)["aud"] == ["other", "workspace-otel-test"]
    with pytest.raises(TokenRejected, match="audience"):
        _validator(token_server, NOW).validate(wrong)


def test_exp_has_zero_leeway(token_server: TokenServer) -> None:
    token = token_server.mint(now=NOW, lifetime=60)
    exp = decode_unverified(token)[1]["exp"]

    assert _validator(token_server, exp).validate(token)
    with pytest.raises(TokenRejected, match="expired"):
        _validator(token_server, exp + 0.001).validate(token)


def test_missing_exp_counts_as_expired(token_server: TokenServer) -> None:
    token = token_server.mint(now=NOW, extra_claims={"exp": None})

    with pytest.raises(TokenRejected, match="expired"):
        _validator(token_server, NOW).validate(token)


def test_nbf_has_five_minutes_leeway(token_server: TokenServer) -> None:
    token = token_server.mint(now=NOW, lifetime=3600, extra_claims={"nbf": NOW + 300})

    assert _validator(token_server, NOW).validate(token)
    with pytest.raises(TokenRejected, match="not valid yet"):
        _validator(token_server, NOW - 1).validate(token)


def test_signature_from_another_key_is_rejected(token_server: TokenServer) -> None:
    with TokenServer() as impostor:
        token = impostor.mint(now=NOW, issuer=token_server.issuer)

        with pytest.raises(TokenRejected, match="signature"):
            _validator(token_server, NOW).validate(token)


def test_alg_none_and_tampered_payload_are_rejected(token_server: TokenServer) -> None:
    token = token_server.mint(now=NOW)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "mallory"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    validator = _validator(token_server, NOW)

    with pytest.raises(TokenRejected, match="signature"):
        validator.validate(f"{header}.{forged_payload}.{signature}")
    with pytest.raises(TokenRejected, match="algorithm"):
        validator.validate(f"{none_header}.{payload}.")
    with pytest.raises(TokenRejected, match="malformed"):
        validator.validate("not.a-jwt")


def test_unknown_kid_triggers_one_refetch(token_server: TokenServer) -> None:
    validator = JwtValidator(token_server.jwks_url, token_server.issuer, token_server.audience)
    validator.validate(token_server.mint())
    assert validator.jwks_fetches == 1

    token_server.rotate_key()
    validator.validate(token_server.mint())
    validator.validate(token_server.mint())

    assert validator.jwks_fetches == 2


def test_validator_from_server_forgets_keys_on_rotation(token_server: TokenServer) -> None:
    validator = JwtValidator(token_server)
    old = token_server.mint()
    validator.validate(old)

    token_server.rotate_key()

    with pytest.raises(TokenRejected, match="signature"):
        validator.validate(old)


def test_unreachable_jwks_is_a_rejection(token_server: TokenServer) -> None:
    validator = JwtValidator(token_server.jwks_url, token_server.issuer, None, fetch_timeout=1)
    token = token_server.mint()
    token_server.stop()

    with pytest.raises(TokenRejected, match="cannot fetch JWKS"):
        validator.validate(token)


def test_url_source_requires_an_issuer() -> None:
    with pytest.raises(ValueError, match="issuer"):
        JwtValidator("http://127.0.0.1:1/keys")


def test_split_header() -> None:
    assert split_header("Bearer abc") == "abc"


@pytest.mark.parametrize(
    ("scheme", "value", "ok"),
    [
        (None, "tok-123", True),
        (None, "Bearer tok-123", False),
        ("Bearer", "Bearer tok-123", True),
        ("Bearer", "bearer tok-123", True),
        ("Bearer", "Basic tok-123", False),
        ("Bearer", "Bearer other", False),
        ("Bearer", None, False),
    ],
)
def test_static_token_validator(scheme: str | None, value: str | None, ok: bool) -> None:
    validator = StaticTokenValidator("tok-123", scheme)

    if ok:
        assert validator.validate_header(value) == {}
    else:
        with pytest.raises(TokenRejected):
            validator.validate_header(value)
    assert "tok-123" not in repr(validator)

"""Token: value hidden, claims and expiry parsed, garbage never escapes as non-TokenError."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.credentials.helpers import CANARY, START, b64, make_jwt
from workspace_otel.credentials import Token
from workspace_otel.errors import TokenError


def test_value_never_in_repr_or_str() -> None:
    """repr() and str() show a fingerprint, never the value."""
    tok = Token(CANARY)
    for text in (repr(tok), str(tok), tok.describe(), f"{tok}", f"{tok!r}"):
        assert CANARY not in text
    assert tok.fingerprint() in repr(tok)


def test_fingerprint_shape_and_stability() -> None:
    """The fingerprint is sha256: plus 8 hex digits, equal for equal values."""
    fp = Token("abc").fingerprint()
    assert fp.startswith("sha256:")
    assert len(fp) == len("sha256:") + 8
    assert fp == Token("abc").fingerprint() != Token("abd").fingerprint()


def test_jwt_claims_and_expiry_are_read() -> None:
    """iss/sub/aud/exp/iat come from an unverified decode of a JWT."""
    value = make_jwt(iss="https://idp", sub="me", aud=["a", "b"], iat=START, exp=START + 300)
    tok = Token.from_value(value, kind="t", now=START)
    assert tok.issuer == "https://idp"
    assert tok.subject == "me"
    assert tok.audience == ("a", "b")
    assert tok.expires_at == datetime.fromtimestamp(START + 300, tz=timezone.utc)
    assert tok.issued_at == datetime.fromtimestamp(START, tz=timezone.utc)
    assert tok.lifetime == 300


def test_expires_in_beats_jwt_exp() -> None:
    """An explicit expires_in (relative, skew-proof) takes precedence over exp."""
    value = make_jwt(exp=START + 9999)
    tok = Token.from_value(value, kind="t", expires_in=60, now=START)
    assert tok.lifetime == 60
    assert tok.expires_at is not None
    assert tok.expires_at.timestamp() == START + 60


def test_opaque_token_has_no_expiry() -> None:
    """A non-JWT token has no claims and no expiry."""
    tok = Token.from_value("  opaque-token\n", kind="t")
    assert tok.value == "opaque-token"
    assert tok.expires_at is None
    assert tok.issuer is None


@pytest.mark.parametrize(
    "value",
    ["", "   ", "a\nb", "a\rb", "tab\there", "nul\0", "del\x7f"],
)
def test_control_characters_and_empty_values_are_rejected(value: str) -> None:
    """Empty values and control characters (header injection) raise TokenError."""
    with pytest.raises(TokenError):
        Token.from_value(value, kind="t")


@pytest.mark.parametrize("exp", ["tomorrow", True, None, [1], 1e300, -5, 0, float("inf"), 2**70])
def test_garbage_exp_raises_token_error(exp: object) -> None:
    """A JWT whose exp is the wrong type or absurd raises TokenError only."""
    value = f"{b64({'alg': 'RS256'})}.{b64({'exp': exp})}.sig"
    with pytest.raises(TokenError):
        Token.from_value(value, kind="t")


def test_garbage_iat_is_ignored() -> None:
    """An invalid iat does not make the token unusable."""
    value = make_jwt(exp=START + 100, iat="yesterday")
    tok = Token.from_value(value, kind="t", now=START)
    assert tok.issued_at is None
    assert tok.lifetime == pytest.approx(100)


def test_naive_datetime_rejected() -> None:
    """expires_at must be timezone-aware."""
    with pytest.raises(TokenError):
        Token("x", expires_at=datetime(2030, 1, 1))  # noqa: DTZ001


def test_expires_at_parameter() -> None:
    """An absolute expires_at gives the expiry and a lifetime from now."""
    at = datetime.fromtimestamp(START, tz=timezone.utc) + timedelta(seconds=120)
    tok = Token.from_value("x", kind="t", expires_at=at, now=START)
    assert tok.lifetime == pytest.approx(120)


@given(st.text(max_size=300))
def test_any_text_raises_only_token_error(text: str) -> None:
    """Fuzz: arbitrary text either parses or raises TokenError."""
    try:
        tok = Token.from_value(text, kind="t")
    except TokenError:
        return
    assert tok.value == text.strip()


@given(
    st.one_of(
        st.dictionaries(
            st.sampled_from(["exp", "iat", "iss", "sub", "aud"]),
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(),
                st.floats(),
                st.text(max_size=10),
                st.lists(st.integers(), max_size=3),
            ),
        ),
        st.dictionaries(st.text(max_size=5), st.integers()),
    ),
    st.sampled_from(["", "x", "a.b"]),
)
def test_any_claims_raise_only_token_error(claims: dict[str, object], sig: str) -> None:
    """Fuzz: JWT-shaped values with random claims parse or raise TokenError."""
    value = f"{b64({'alg': 'none'})}.{b64(claims) if claims else 'e30'}.{sig or 's'}"
    try:
        tok = Token.from_value(value, kind="t")
    except TokenError:
        return
    assert tok.value == value


@pytest.mark.parametrize(
    "value",
    [
        "a.b.c",
        "....",
        "x.!!!.y",
        f"{b64(b'not json')}.{b64(b'{}')}.s",
        f"{b64({'alg': 1})}.{b64(b'[1]')}.s",
    ],
)
def test_malformed_segments_are_opaque(value: str) -> None:
    """Malformed JWT segments make an opaque token rather than an error."""
    assert Token.from_value(value, kind="t").expires_at is None

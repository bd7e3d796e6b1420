"""The harness's JwtValidator against the real ``oidc`` authenticator, token by token.

The fast suites use :class:`tests.harness.jwt_validation.JwtValidator` where a
Collector would be too slow to start; these cases pin it to what gateway.yaml,
run by the real Collector, decides (and, for refusals, which check refuses).
Where the two knowingly differ, the validator's module documentation says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.gateway.conftest import AUDIENCE, Gateway, Issuers
from tests.gateway.test_rejections import post_http
from tests.harness.jwt_validation import JwtValidator, TokenRejected

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    """A token, and the check that refuses it (``None``: accepted)."""

    mint: Callable[[Issuers], str]
    refused_by: str | None
    scheme: str = "Bearer"


#: Refusal categories: (words in the harness's reason, words in the Collector's log).
CATEGORIES = {
    "signature": ("signature", "failed to verify signature"),
    "audience": ("audience", "expected audience"),
    "expiry": ("expired", "token is expired"),
    "not-before": ("not valid yet", "before the nbf"),
    # exp: null. The harness calls it expired; go-oidc cannot parse the claims.
    "refused": ("", "failed to unmarshal claims"),
}

CASES: dict[str, Case] = {
    "valid": Case(lambda i: i.ona.mint(aud=AUDIENCE), None),
    "aud list containing the audience": Case(lambda i: i.ona.mint(aud=["other", AUDIENCE]), None),
    "any scheme word": Case(lambda i: i.ona.mint(aud=AUDIENCE), None, scheme="Token"),
    "nbf 2 minutes ahead (5 min leeway)": Case(
        lambda i: i.ona.mint(aud=AUDIENCE, lifetime=600, now=time.time() + 120), None
    ),
    "nbf 10 minutes ahead": Case(
        lambda i: i.ona.mint(aud=AUDIENCE, lifetime=1200, now=time.time() + 600), "not-before"
    ),
    "wrong audience": Case(lambda i: i.ona.mint(aud="another-service"), "audience"),
    "expired": Case(lambda i: i.ona.mint(aud=AUDIENCE, lifetime=-5), "expiry"),
    "exp null": Case(lambda i: i.ona.mint(aud=AUDIENCE, extra_claims={"exp": None}), "refused"),
    "foreign key and expired: signature first": Case(
        lambda i: i.actions.mint(aud=AUDIENCE, lifetime=-5, issuer=i.ona.issuer), "signature"
    ),
    "foreign key and wrong audience: signature first": Case(
        lambda i: i.actions.mint(aud="another-service", issuer=i.ona.issuer), "signature"
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_validator_decides_as_the_collector(name: str, gateway: Gateway, issuers: Issuers) -> None:
    """Same verdict, and for a refusal the same failing check, on both."""
    case = CASES[name]
    token = case.mint(issuers)
    header = f"{case.scheme} {token}"
    validator = JwtValidator(issuers.ona, audience=AUDIENCE)
    try:
        validator.validate_header(header)
        harness: str | None = None
    except TokenRejected as rejected:
        harness = str(rejected)
    import requests

    answer = requests.post(
        f"{gateway.http_endpoint}/v1/traces",
        data=b"",
        headers={"Content-Type": "application/x-protobuf", "Authorization": header},
        verify=str(gateway.ca_file),
        timeout=10,
    )
    if case.refused_by is None:
        assert harness is None
        assert answer.status_code == 200
        return
    harness_words, collector_words = CATEGORIES[case.refused_by]
    assert harness is not None
    assert harness_words in harness
    assert answer.status_code == 401
    gateway.process.wait_for_log(collector_words)
    assert post_http(gateway, issuers.ona.mint(aud=AUDIENCE)) == 200

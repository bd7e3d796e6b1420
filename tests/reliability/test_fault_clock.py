"""Fault 7 of RELIABILITY.md (in process): the wall clock jumps 5 minutes forward and back.

The cache gets a fake clock whose wall time is the true time plus a skew that
jumps; tokens are real signed JWTs minted at the true time and validated at
the true time with zero leeway (the Collector's ``oidc`` rule). Ten minutes of
simulated time are driven step by step; every second the export path asks for
a token, which is then validated.
"""

from __future__ import annotations

import time

import pytest

from tests.harness.jwt_validation import JwtValidator, TokenRejected
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock, Figures, LeakScanner, MintingSource
from workspace_otel.credentials import RefreshingTokenCache

LIFETIME = 60.0
DURATION = 600.0
TICK = 0.5
JUMPS = {100.0: +300.0, 250.0: -300.0, 400.0: -300.0, 520.0: +300.0}


@pytest.mark.parametrize("expires_in", [True, False], ids=["expires_in", "jwt_exp_only"])
def test_wall_clock_jumps_cause_no_refresh_loop_and_no_expired_token(
    expires_in: bool, token_server: TokenServer, leak_scanner: LeakScanner, figures: Figures
) -> None:
    """±5 min jumps: at most 2 fetches per token lifetime plus 1 per jump; 0 expired sends."""
    true_start = time.time()
    fake = FakeClock(wall=true_start)
    skew = 0.0

    def true_now() -> float:
        return fake.wall_now - skew

    validator = JwtValidator(token_server, clock=true_now)
    source = MintingSource(
        token_server.mint, true_now, LIFETIME, lambda: fake.wall_now, expires_in=expires_in
    )
    cache = RefreshingTokenCache(source, clock=fake.clock, background=False)
    start = fake.mono_now
    checks = rejected = 0
    while fake.mono_now - start < DURATION:
        t = fake.mono_now - start
        if t in JUMPS:
            skew += JUMPS[t]
            fake.jump_wall(JUMPS[t])
        cache.poll()
        if t.is_integer():
            token = cache.token(timeout=0)
            checks += 1
            try:
                validator.validate(token.value)
            except TokenRejected:
                rejected += 1
        fake.advance(TICK)
    cache.close()
    per_lifetime = 2 * DURATION / LIFETIME
    assert rejected == 0
    assert source.fetches <= per_lifetime + len(JUMPS) + 1, source.fetches
    leak_scanner.secret(*source.issued)
    leak_scanner.add_reprs("clock", [cache])
    leak_scanner.scan(f"fault 7: clock jumps ({'expires_in' if expires_in else 'exp only'})")
    figures.record(
        f"fault7_clock_jumps_{'expires_in' if expires_in else 'jwt_exp'}",
        simulated_s=DURATION,
        jumps_s=[f"{k:g}: {v:+g}" for k, v in JUMPS.items()],
        token_lifetime_s=LIFETIME,
        token_fetches=source.fetches,
        allowed_fetches=per_lifetime + len(JUMPS) + 1,
        tokens_checked=checks,
        expired_or_invalid_sent=rejected,
    )

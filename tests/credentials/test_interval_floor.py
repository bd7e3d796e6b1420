"""One floor under every interval: no setting, source or token makes the refresher spin.

Clocks are injected and frozen: a spinning refresher shows as fetches that
grow with the number of polls while no time passes.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from tests.credentials.helpers import FakeClock, ScriptedSource
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    FileTokenSource,
    RefreshingTokenCache,
    Token,
)
from workspace_otel.credentials._cache_timing import MIN_INTERVAL
from workspace_otel.errors import ConfigurationError


@pytest.mark.parametrize("value", [0, 0.0, -1, 0.001, math.nan, "5", None, True])
@pytest.mark.parametrize(
    ("factory", "where"),
    [
        (lambda v, p: FileTokenSource(p, revalidate_interval=v), "FileTokenSource"),
        (lambda v, p: EnvTokenSource("TOKEN", revalidate_interval=v), "EnvTokenSource"),
        (
            lambda v, p: CommandTokenSource(["true"], revalidate_interval=v),
            "CommandTokenSource",
        ),
    ],
)
def test_a_spinning_revalidate_interval_is_refused(
    factory: object, where: str, value: object, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError) as info:
        factory(value, tmp_path / "token")  # type: ignore[operator]
    assert f"{where}(revalidate_interval=...)" in str(info.value)
    assert "at least 0.1" in str(info.value)


def test_negative_force_reread_is_refused_and_never_and_zero_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="force_reread_interval"):
        FileTokenSource(tmp_path / "t", force_reread_interval=-1)
    FileTokenSource(tmp_path / "t", force_reread_interval=0, revalidate_interval=math.inf)


def _polls(cache: RefreshingTokenCache, count: int) -> int:
    for _ in range(count):
        cache.poll()
    return cache.fetch_count


def test_a_source_reporting_interval_zero_is_fetched_once_while_no_time_passes() -> None:
    """A third-party source may say 0: the cache clamps it to the floor."""
    clock = FakeClock()
    source = ScriptedSource([Token("static-token-value")])
    source.revalidate_interval = 0.0
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    assert _polls(cache, 1000) == 1
    clock.advance(MIN_INTERVAL)
    assert _polls(cache, 1000) == 2


def test_a_token_too_short_to_use_is_not_fetched_in_a_loop() -> None:
    """A service minting 10 ms tokens: over 10 simulated seconds, at most one fetch per floor."""
    clock = FakeClock()
    minted = iter(range(1_000_000))

    def short() -> Token:
        expires = dt.datetime.fromtimestamp(clock.wall_now + 0.01, tz=dt.timezone.utc)
        return Token(f"short-lived-token-{next(minted)}", expires_at=expires)

    source = ScriptedSource(short)
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    for _ in range(1000):
        cache.poll()
        clock.advance(0.01)
    assert 1 <= cache.fetch_count <= 10 / MIN_INTERVAL

"""Which sources share one token: only those whose token cannot differ.

The registry's one rule: a source's own ``cache_key`` (everything that changes
the token) plus how the cache treats it (``revalidate_interval``, the type).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Hashable

from tests.credentials.helpers import CANARY, FakeClock, ScriptedSource, token
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    RefreshingTokenCache,
    shared_cache,
)

PRINT_T = [sys.executable, "-c", "import os; print(os.environ['T'])"]


def test_commands_differing_only_in_environment_get_their_own_token() -> None:
    """The same command line with two environments prints two tokens; each caller gets its own."""
    a = shared_cache(CommandTokenSource(PRINT_T, environ={"T": "token-a"}))
    b = shared_cache(CommandTokenSource(PRINT_T, environ={"T": "token-b"}))
    assert a.token().value == "token-a"
    assert b.token().value == "token-b"
    again = shared_cache(CommandTokenSource(PRINT_T, environ=dict({"T": "token-a"})))
    assert again is a


def test_commands_differing_only_in_timeout_do_not_share() -> None:
    """A longer timeout can turn a failure into a token: not the same configuration."""
    short = CommandTokenSource(PRINT_T, timeout=1.0)
    long = CommandTokenSource(PRINT_T, timeout=30.0)
    assert shared_cache(short) is not shared_cache(long)


def test_env_sources_differing_in_revalidation_do_not_share() -> None:
    """How often a token is re-read is part of the cache's behaviour, so of the key."""
    fast = shared_cache(EnvTokenSource("SOME_TOKEN", revalidate_interval=1.0))
    slow = shared_cache(EnvTokenSource("SOME_TOKEN", revalidate_interval=300.0))
    assert fast is not slow
    assert getattr(fast.source, "revalidate_interval", None) == 1.0
    assert getattr(slow.source, "revalidate_interval", None) == 300.0


class _FixedKeySource(ScriptedSource):
    """A source whose own key leaves out its revalidation interval."""

    @property
    def cache_key(self) -> Hashable:
        return ("fixed",)


def test_the_rule_holds_for_any_source_type() -> None:
    """A source that forgets revalidate_interval in its key still gets separate caches."""
    one = _FixedKeySource([token("x")])
    other = _FixedKeySource([token("x")])
    assert shared_cache(one) is shared_cache(other)  # equal in every respect: shared
    other.revalidate_interval = one.revalidate_interval + 1
    assert shared_cache(one) is not shared_cache(other)


def test_keys_never_hold_the_secret() -> None:
    """Arguments and environment values appear only hashed in the key."""
    source = CommandTokenSource([*PRINT_T, CANARY], environ={"T": CANARY})
    assert CANARY not in repr(source.cache_key)


def test_invalidate_while_a_fetch_runs_is_not_lost(clock: FakeClock) -> None:
    """A 401 that lands during a refresh forces one more fetch after it.

    The refresh in flight may return the token the server just rejected; it
    must not swallow the forced refresh.
    """
    values = iter(["old", "old", "new"])
    source = ScriptedSource(lambda: token(next(values), lifetime=600, now=clock.wall_now))
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    rejected = cache.token()
    assert rejected.value == "old"
    clock.advance(400)  # past the refresh point: poll() fetches
    source.gate = threading.Event()
    source.entered.clear()
    refresher = threading.Thread(target=cache.poll)
    refresher.start()
    assert source.entered.wait(5)
    assert cache.invalidate(rejected)  # the server said 401 while the fetch runs
    source.gate.set()
    refresher.join(5)
    assert not refresher.is_alive()
    assert cache.poll() >= 0  # the forced refresh is still pending: it runs now
    assert cache.token().value == "new"
    assert source.fetches == 3

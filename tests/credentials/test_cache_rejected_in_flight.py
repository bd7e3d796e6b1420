"""A value the server rejected is never served again, even by a fetch already in flight.

A secret-store source re-reads on a timer; if a re-read started just before
the collector rejected the old key (rotation), it can bring that old key
back after the rejection. The cache drops it and fetches once more.
"""

from __future__ import annotations

import threading

from tests.credentials.helpers import FakeClock, ScriptedSource, token
from workspace_otel.credentials import RefreshingTokenCache


def test_a_fetch_in_flight_cannot_bring_back_the_rejected_value(clock: FakeClock) -> None:
    """Rejected while a re-read was in flight: that read's old value is dropped."""
    old = token("old-key-0123456789", lifetime=None)
    new = token("new-key-0123456789", lifetime=None)
    source = ScriptedSource([old, old, new])
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    assert cache.token().value == old.value
    clock.advance(source.revalidate_interval)  # a re-read is due
    source.gate = threading.Event()
    source.entered.clear()
    poller = threading.Thread(target=cache.poll)
    poller.start()
    assert source.entered.wait(5)  # the re-read is in flight, not yet answered
    assert cache.invalidate(old)  # the collector rejects the old key meanwhile
    source.gate.set()  # the in-flight re-read answers with the old key
    poller.join(5)
    source.gate = None
    assert cache.token().value == new.value
    assert source.fetches == 3


def test_without_a_fetch_in_flight_nothing_changes(clock: FakeClock) -> None:
    """A rejection with no fetch in flight: the next fetch's value is served whatever it is."""
    old = token("old-key-0123456789", lifetime=None)
    source = ScriptedSource([old, old])
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    assert cache.token().value == old.value
    assert cache.invalidate(old)
    assert cache.token().value == old.value  # a static key: the source has nothing else
    assert source.fetches == 2

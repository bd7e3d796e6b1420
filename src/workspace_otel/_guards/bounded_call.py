"""Run a call on a daemon thread and wait for it at most a given time.

The one home of this pattern: the git detector bounds a repository read with
it, and ``doctor`` bounds every network step and token fetch. A call that
overruns keeps running, detached, on its daemon thread; the caller goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["CallTimedOut", "call_within"]

_T = TypeVar("_T")


class CallTimedOut(TimeoutError):
    """The call did not finish in time (told apart from a ``TimeoutError`` it raised itself)."""


def call_within(fn: Callable[[], _T], seconds: float, *, name: str = "workspace-otel") -> _T:
    """Return ``fn()`` if it finishes within ``seconds``.

    Args:
        fn: the call.
        seconds: how long to wait for it.
        name: the worker thread's name (seen in thread dumps).

    Raises:
        CallTimedOut: ``fn`` did not finish in time (it keeps running, detached).
        BaseException: whatever ``fn`` raised, re-raised in the caller's thread.
    """
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive() or not outcome:
        raise CallTimedOut(f"no result within {seconds:g} s")
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]

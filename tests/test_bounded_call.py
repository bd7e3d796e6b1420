"""The one bounded call: the result, the call's own error, or CallTimedOut when it overruns."""

from __future__ import annotations

import threading

import pytest

from workspace_otel._guards.bounded_call import CallTimedOut, call_within


def test_the_result_comes_back() -> None:
    assert call_within(lambda: 42, 5.0) == 42


def test_the_call_s_own_error_is_raised_in_the_caller_s_thread() -> None:
    def fail() -> None:
        raise TimeoutError("the call's own timeout")

    with pytest.raises(TimeoutError, match="the call's own timeout") as caught:
        call_within(fail, 5.0)
    assert not isinstance(caught.value, CallTimedOut)


def test_an_overrunning_call_is_left_behind() -> None:
    release = threading.Event()
    try:
        with pytest.raises(CallTimedOut):
            call_within(release.wait, 0.05, name="bounded-call-test")
        assert any(t.name == "bounded-call-test" for t in threading.enumerate())
    finally:
        release.set()


def test_the_git_reading_keeps_its_none_on_overrun() -> None:
    from workspace_otel.resources._git import _bounded
    from workspace_otel.resources._gitrepo import Reading

    release = threading.Event()

    def slow_read() -> Reading:
        release.wait()
        return Reading()

    try:
        assert _bounded(slow_read, 0.05) is None
    finally:
        release.set()

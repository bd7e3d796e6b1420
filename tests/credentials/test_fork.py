"""After fork() the child has its own cache state and refresher, keeps its token, no deadlock."""

from __future__ import annotations

import json
import os
import select
import sys
import time
import warnings
from collections.abc import Callable

import pytest

from tests.credentials.helpers import ScriptedSource, token
from workspace_otel.credentials import shared_cache

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _fork(child: Callable[[], dict[str, object]]) -> dict[str, object]:
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process may deadlock:
        # that is exactly what this test proves does not happen here.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            os.close(read_fd)
            os.write(write_fd, json.dumps(child()).encode())
        except BaseException as exc:
            os.write(write_fd, json.dumps({"error": repr(exc)}).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        assert ready, "child did not answer within 20 s (deadlock?)"
        data = b""
        while chunk := os.read(read_fd, 65536):
            data += chunk
    finally:
        os.close(read_fd)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("child did not exit")
    return json.loads(data)  # type: ignore[no-any-return]


def test_child_gets_its_own_thread_and_keeps_the_token() -> None:
    """The child reuses the still-valid token without fetching and starts its own refresher."""
    source = ScriptedSource(
        lambda: token(f"t{source.fetches}-{os.getpid()}", lifetime=600, now=time.time())
    )
    cache = shared_cache(source)
    parent_token = cache.token()
    parent_thread = cache.refresher_thread
    assert parent_thread is not None
    # Hold the cache lock in the parent while forking: the child must not inherit it locked.
    with cache._lock:
        result = _fork(
            lambda: {
                "same_cache": shared_cache(source) is cache,
                "token": cache.token(timeout=2).value,
                "fetches": source.fetches,
                "thread_before": cache.refresher_thread is None,
                "forced": cache.invalidate(cache.token()),
                "new_token": cache.token(timeout=5).value,
                "thread_after": cache.refresher_thread is not None
                and cache.refresher_thread.is_alive(),
                "pid": os.getpid(),
            }
        )
    assert "error" not in result, result
    assert result["same_cache"] is True
    assert result["token"] == parent_token.value
    assert result["fetches"] == 1  # no re-fetch in the child
    assert result["thread_before"] is True  # the parent's thread did not survive
    assert result["forced"] is True
    assert str(result["new_token"]).endswith(f"-{result['pid']}")  # fetched in the child
    assert result["thread_after"] is True
    # The parent is unaffected.
    assert cache.token() is parent_token
    assert cache.refresher_thread is parent_thread
    assert sys.platform != "win32"


def test_redaction_registry_works_in_a_child_forked_while_its_lock_was_held() -> None:
    """The registry's lock is new in the child: registering there never deadlocks."""
    import threading

    from workspace_otel._guards import redaction

    redaction.register_secret("parent-secret-value")
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with redaction._lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:

        def child() -> dict[str, object]:
            redaction.register_secret("child-secret-value")
            return {"text": redaction.scrub_known("parent-secret-value child-secret-value")}

        result = _fork(child)
    finally:
        release.set()
        holder.join(5)
    assert "error" not in result
    assert "secret-value" not in str(result["text"])

"""Fork safety of configure(): one at-fork hook, and no lock a vanished thread still holds."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

import pytest

import workspace_otel
from tests.harness.process import reset_otel_globals
from workspace_otel._setup import _configure
from workspace_otel.credentials import _headers

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def test_reconfiguring_adds_no_fork_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Configuring again and again registers no workspace_otel hook with os.register_at_fork.

    (The SDK's providers register their own; those are not ours to count.)
    """
    registered: list[str] = []
    real = os.register_at_fork

    def counting(**kwargs: Callable[[], object]) -> None:
        modules = [getattr(f, "__module__", None) or "" for f in kwargs.values()]
        registered.extend(m for m in modules if m.startswith("workspace_otel"))
        real(**kwargs)

    monkeypatch.setattr(os, "register_at_fork", counting)
    for _ in range(3):
        workspace_otel.configure(backend="console", metrics=False)
        _configure._reset_for_tests()
        reset_otel_globals()
    assert registered == []


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_child_can_take_the_locks_a_parent_thread_held_at_fork() -> None:
    """A thread holding the configure and header locks at fork does not deadlock the child."""
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with _configure._LOCK, _headers._warned_lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        ok = _configure._LOCK.acquire(timeout=2) and _headers._warned_lock.acquire(timeout=2)
        os._exit(0 if ok else 1)
    release.set()
    holder.join(5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.slow
def test_fork_after_the_app_imports_the_thread_pool_late_does_not_hang() -> None:
    """configure(), a late `import concurrent.futures.thread`, fork: the child runs.

    The SDK's TracerProvider uses a thread pool in its at-fork child hook; if
    the pool module's lock-freeing hook is registered after it, every fork
    deadlocks in the child.
    """
    import subprocess

    from tests.configure.conftest import APPS
    from tests.harness.process import PYTHON, subprocess_env

    result = subprocess.run(
        [PYTHON, str(APPS / "fork_after_late_import.py")],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert "PRECONDITION" not in result.stdout
    assert "CHILD OK" in result.stdout, (result.stdout, result.stderr)

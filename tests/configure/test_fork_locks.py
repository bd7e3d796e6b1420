"""Every lock the library owns is new in a forked child, and the reset hooks do not pile up.

Each test holds a lock in another thread of the parent, forks, and has the
child take that lock with a short timeout. Without the reset the child waits
for a thread that does not exist in it; the parent bounds its wait for the
child, so a deadlock shows as a failure, not as a hung test run.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import workspace_otel
from tests.harness.process import reset_otel_globals
from tests.harness.receivers import HttpOtlpReceiver
from workspace_otel._guards import fork
from workspace_otel._setup import _configure
from workspace_otel.credentials import EnvTokenSource, _headers, _rejections
from workspace_otel.credentials._http import BearerAuth
from workspace_otel.resources import _gitpython, _workspace

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork"
)

_CHILD_BOUND = 20.0  # seconds the parent waits for the child before killing it


@contextmanager
def _held_by_another_thread(get_lock: Callable[[], Any]) -> Iterator[None]:
    """Hold the lock ``get_lock()`` returns in a second thread for the duration."""
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with get_lock():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5), "the holder thread never took the lock"
    try:
        yield
    finally:
        release.set()
        holder.join(5)


def _child_exit_code(in_child: Callable[[], bool]) -> int:
    """Fork; the child exits 0 when ``in_child()`` is true. Return the child's exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            code = 0 if in_child() else 1
        except BaseException:
            code = 2
        os._exit(code)
    deadline = time.monotonic() + _CHILD_BOUND
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL
        time.sleep(0.02)


LOCKS: dict[str, Callable[[], Any]] = {
    "configure": lambda: _configure._LOCK,
    "git import": lambda: _gitpython._IMPORT_LOCK,
    "token header warnings": lambda: _headers._warned_lock,
    "platform detectors": lambda: _workspace._made_lock,
    "rejection notes": lambda: _rejections._lock,
}


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_the_child_takes_a_module_lock_a_parent_thread_held_at_fork(name: str) -> None:
    """The child gets a fresh lock; it does not wait for the parent's vanished thread."""
    get_lock = LOCKS[name]
    with _held_by_another_thread(get_lock):
        code = _child_exit_code(lambda: bool(get_lock().acquire(timeout=2)))
    assert code == 0, f"the child could not take the {name} lock (exit {code})"


def test_the_collector_watch_lock_is_new_in_the_child() -> None:
    """An export thread of the parent holding the outage watch's lock does not block the child."""
    with HttpOtlpReceiver() as receiver:
        telemetry = workspace_otel.configure(
            environ={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "WORKSPACE_OTEL_GIT": "off"},
            metrics=False,
            logs=False,
        )
        try:
            watch = telemetry._watch
            assert watch is not None
            with _held_by_another_thread(lambda: watch._lock):
                code = _child_exit_code(lambda: bool(watch._lock.acquire(timeout=2)))
        finally:
            telemetry.shutdown()
    assert code == 0


def test_reconfiguring_keeps_one_reset_per_module() -> None:
    """configure / shutdown / configure ... leaves the number of at-fork resets unchanged."""
    counts = []
    for _ in range(4):
        telemetry = workspace_otel.configure(backend="console", metrics=False)
        counts.append(len(fork._resets))
        telemetry.shutdown()
        _configure._reset_for_tests()
        reset_otel_globals()
    assert len(set(counts)) == 1, counts


def test_the_token_auth_lock_of_an_http_session_is_new_in_the_child() -> None:
    """The OTLP/HTTP session's token auth: a parent thread logging a refusal at fork."""
    with HttpOtlpReceiver() as receiver:
        telemetry = workspace_otel.configure(
            endpoint=receiver.endpoint,
            credentials=EnvTokenSource("WORKSPACE_OTEL_TEST_TOKEN"),
            metrics=False,
            logs=False,
        )
        try:
            auths = [
                p.span_exporter._client._transport._session.auth
                for p in telemetry.span_processors
                if hasattr(p, "span_exporter")
            ]
            auth = next(a for a in auths if isinstance(a, BearerAuth))
            with _held_by_another_thread(lambda: auth._refusals_lock):
                code = _child_exit_code(lambda: bool(auth._refusals_lock.acquire(timeout=2)))
        finally:
            telemetry.shutdown()
    assert code == 0


def _module_level_locks() -> dict[str, Any]:
    """Every lock held in a module-level variable anywhere in the package."""
    import importlib
    import pkgutil

    lock_types = (type(threading.Lock()), type(threading.RLock()))
    found: dict[str, Any] = {}
    for info in pkgutil.walk_packages(workspace_otel.__path__, "workspace_otel."):
        if info.name.endswith(".__main__"):  # runs the command line when imported
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for attribute, value in vars(module).items():
            if isinstance(value, lock_types):
                found[f"{info.name}.{attribute}"] = value
    return found


def test_every_module_level_lock_is_renewed_by_the_one_fork_hook() -> None:
    """A new module-level lock without a reset fails here, whichever module adds it."""
    before = _module_level_locks()
    assert before, "the scan found no lock at all: it no longer sees the package"
    fork._run_resets()
    after = _module_level_locks()
    kept = sorted(name for name, lock in before.items() if after.get(name) is lock)
    assert kept == [], f"locks not renewed after fork: {kept}"


def test_every_after_fork_reset_has_its_own_key() -> None:
    # A second registration under a key replaces the first: two in one module
    # (after a merge of two modules) once left the token cache's lock unreset.
    import ast
    from pathlib import Path

    package = Path(workspace_otel.__file__).parent
    keys: list[str] = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "on_fork_in_child"
                and node.args
            ):
                keys.append(ast.unparse(node.args[0]).replace("__name__", module))
    assert len(keys) > 10  # the scan sees the registrations
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_a_reset_that_fails_where_even_its_log_line_fails_stops_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workspace_otel._guards import lazy_logging

    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("reset broke")

    def cannot_log(*args: Any, **kwargs: Any) -> None:
        raise OSError("log handler gone")

    monkeypatch.setattr(fork, "_resets", {"a-broken": broken, "b-fine": lambda: ran.append("b")})
    monkeypatch.setattr(lazy_logging, "log", cannot_log)
    fork._run_resets()
    assert ran == ["b"]

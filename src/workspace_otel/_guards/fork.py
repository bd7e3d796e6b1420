"""Fork safety: one ``os.register_at_fork`` hook for the whole library.

Modules that own a lock, a cache or a thread call :func:`on_fork_in_child`
once at import with a function that puts their state back to new in the
child. The hook itself is registered once, however often ``configure()`` runs,
so hooks never pile up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

__all__ = ["on_fork_in_child"]
_resets: dict[str, Callable[[], None]] = {}
_installed = False
_install_lock = threading.Lock()


def _run_resets() -> None:
    global _install_lock
    _install_lock = threading.Lock()  # a parent thread may have been registering at fork
    for name, reset in list(_resets.items()):
        try:
            reset()
        except Exception:  # noqa: BLE001 - one broken reset must not stop the others
            try:
                from workspace_otel._guards import lazy_logging as _lazy_logging

                _lazy_logging.log(
                    "workspace_otel",
                    _lazy_logging.DEBUG,
                    "workspace_otel: resetting %s after fork failed",
                    name,
                    exc_info=True,
                )
            except Exception:  # noqa: BLE001, S110 - nor may its log line
                pass


def on_fork_in_child(name: str, reset: Callable[[], None]) -> None:
    """Run ``reset`` in every child process right after ``fork()``.

    Args:
        name: a unique key (usually the module's name); registering the same
            key again replaces the earlier function instead of adding one.
        reset: puts the caller's locks, caches and thread handles back to new.
    """
    global _installed
    _resets[name] = reset
    if _installed or not hasattr(os, "register_at_fork"):
        return
    with _install_lock:
        if not _installed:
            os.register_at_fork(after_in_child=_run_resets)
            _installed = True

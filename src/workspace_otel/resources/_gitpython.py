"""Import GitPython without letting its import run (or hang on) ``git``."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from workspace_otel._guards.fork import on_fork_in_child

__all__ = ["import_gitpython"]

_MISSING_GIT = os.path.join(os.sep, "nonexistent", "workspace-otel", "git")
_IMPORT_LOCK = threading.Lock()


def _new_import_lock_after_fork() -> None:
    # A thread of the parent may have been importing GitPython at fork.
    global _IMPORT_LOCK
    _IMPORT_LOCK = threading.Lock()


on_fork_in_child(__name__, _new_import_lock_after_fork)


def import_gitpython() -> Any:
    """Import GitPython, also on a machine without the ``git`` executable.

    GitPython runs ``git version`` at import, without a timeout (a hanging
    ``git`` on ``PATH`` would hang the start), and raises :class:`ImportError`
    when that fails unless ``GIT_PYTHON_REFRESH=quiet``. The import is
    therefore made quiet and pointed at an executable that does not exist,
    so it runs nothing; the executable is then set back to what GitPython
    would use (``GIT_PYTHON_GIT_EXECUTABLE``, else ``git`` on ``PATH``), and
    every command this module runs carries a timeout. The variables are
    restored at once.

    Raises:
        ImportError: GitPython is not installed.
    """
    module = sys.modules.get("git")
    if module is not None:
        return module
    with _IMPORT_LOCK:
        saved = {
            name: os.environ.get(name)
            for name in ("GIT_PYTHON_REFRESH", "GIT_PYTHON_GIT_EXECUTABLE")
        }
        os.environ["GIT_PYTHON_REFRESH"] = "quiet"
        os.environ["GIT_PYTHON_GIT_EXECUTABLE"] = _MISSING_GIT
        try:
            import git
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        if git.Git.GIT_PYTHON_GIT_EXECUTABLE in (None, _MISSING_GIT):
            git.Git.GIT_PYTHON_GIT_EXECUTABLE = (
                saved["GIT_PYTHON_GIT_EXECUTABLE"] or git.Git.git_exec_name
            )
    return git

"""Log records without importing ``logging`` where nothing could show them.

The token path of ``workspace-otel headers`` (budget P12) logs only on
failures and at DEBUG / INFO, yet ``logging`` and what it imports cost half
an empty interpreter start. Two rules make it optional, both exact:

* :func:`log`: a record below WARNING, in a process that never imported
  ``logging``, is dropped unread. Nothing can have configured logging there,
  so the root logger is at its default level, WARNING, and would drop the
  record too. Any other record is logged as usual (importing ``logging``).
* :func:`quiet`: gives a logger a ``NullHandler`` (keeping Python's
  last-resort handler from printing its records on stderr) now when
  ``logging`` is loaded, or else the moment anything imports it.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

__all__ = ["DEBUG", "ERROR", "INFO", "WARNING", "Deferred", "log", "quiet"]

# The values of logging.DEBUG ... logging.ERROR, fixed by the logging module's documentation.
DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40


def log(name: str, level: int, message: str, *args: object, exc_info: bool = False) -> None:
    """Log ``message % args`` at ``level`` on logger ``name``, as ``Logger.log`` does.

    Below WARNING and with ``logging`` never imported, the record is dropped
    without importing it (nothing could have lowered the root logger's level).
    """
    if level < WARNING and "logging" not in sys.modules:
        return
    import logging

    logging.getLogger(name).log(level, message, *args, exc_info=exc_info)


class Deferred:
    """An argument formatted only if its record is: ``str()`` calls ``make()``."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make

    def __str__(self) -> str:
        return self._make()


def _add_null_handler(name: str) -> None:
    import logging

    logger = logging.getLogger(name)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def quiet(name: str) -> None:
    """Give logger ``name`` a ``NullHandler`` unless it has a handler already.

    Records still propagate to handlers an application configured. When
    ``logging`` is not loaded yet, this happens right after it is first
    imported, by whatever imports it, before any record can be logged.
    """
    if "logging" in sys.modules:
        _add_null_handler(name)
        return
    for finder in sys.meta_path:
        if isinstance(finder, _OnLoggingImport):
            finder.names.append(name)
            return
    sys.meta_path.insert(0, _OnLoggingImport(name))


class _OnLoggingImport:
    """A meta path finder that finds nothing itself: it wraps the loader of ``logging``."""

    def __init__(self, name: str) -> None:
        self.names = [name]

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """Return the spec of ``logging`` that the other finders give, its loader wrapped."""
        if fullname != "logging":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec: ModuleSpec | None = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _ThenQuiet(spec.loader, self.names)  # type: ignore[assignment]
        return spec


class _ThenQuiet:
    """Loads ``logging`` with the real loader, then gives the pending loggers a ``NullHandler``."""

    def __init__(self, loader: Any, names: list[str]) -> None:
        self._loader = loader
        self._names = names

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """Let the real loader create the module (or not)."""
        create = getattr(self._loader, "create_module", None)
        return None if create is None else create(spec)

    def exec_module(self, module: ModuleType) -> None:
        """Run ``logging`` with the real loader, then quiet the pending loggers."""
        self._loader.exec_module(module)
        module.__loader__ = self._loader  # what introspection expects to find
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        for name in self._names:
            _add_null_handler(name)

    def __getattr__(self, name: str) -> object:
        return getattr(self._loader, name)

"""Public names imported on first use (PEP 562), shared by the packages.

``import workspace_otel`` must stay cheap (no SDK pieces, GitPython,
requests or grpc), so each package maps its public names to the private
module that defines them and imports that module only when a name is used.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from typing import Any


def lazy_names(
    package: str, modules: Mapping[str, str], extra_hint: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of a package with lazy public names.

    Args:
        package: the package's ``__name__``.
        modules: public name -> module defining it; a name starting with ``.``
            is relative to ``package``.
        extra_hint: module -> what to install when importing it fails (an
            optional dependency); the ImportError then names it.
    """
    hints = extra_hint or {}

    def getattr_(name: str) -> Any:
        target = modules.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name = package + target if target.startswith(".") else target
        try:
            # __import__ rather than importlib.import_module: importing importlib
            # (and warnings with it) costs a shell start's `workspace-otel env` 1 ms.
            __import__(module_name)
            module = sys.modules[module_name]
        except ImportError as exc:
            hint = hints.get(target)
            if hint is None:
                raise
            raise ImportError(f"{package}.{name} needs {hint}") from exc
        value = getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(modules))

    return getattr_, dir_

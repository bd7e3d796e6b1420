"""What every detector shares: the detection context and the error boundary.

Helpers below the boundary raise and never log; :meth:`_Detector.detect` is
the one place that honours ``raise_on_error`` and writes the one log line.
Log lines carry a detector name and an exception *type* only, never a message
or a traceback: a message can quote a value read from the environment.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from opentelemetry.sdk.resources import Resource, ResourceDetector

from workspace_otel._guards import safe_read
from workspace_otel._settings import _env
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import _attributes as a

_logger = logging.getLogger("workspace_otel.resources")

_MAX_FILE_BYTES = 1 << 20
_MAX_VALUE_CHARS = 4096


class Context:
    """One detection run's view of the environment, the filesystem and settings.

    Args:
        environ: variables to read; ``os.environ`` when ``None``.
        root: filesystem root for platform files; ``WORKSPACE_OTEL_PLATFORM_ROOT``
            or ``/`` when ``None``.
        cwd: directory the git repository is searched from; the process's
            current directory when ``None``.
    """

    __slots__ = ("_identity", "_json_cache", "cwd", "environ", "root")

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        root: str | os.PathLike[str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        if root is None:
            root = _env.get("WORKSPACE_OTEL_PLATFORM_ROOT", self.environ) or "/"
        if not os.fspath(root).isprintable():
            root = "/"
        self.root = Path(root)
        self.cwd = None if cwd is None else Path(cwd)
        self._identity: str | None = None
        self._json_cache: dict[str, dict[str, str] | None] = {}

    def __repr__(self) -> str:
        return f"Context(root={str(self.root)!r}, cwd={str(self.cwd) if self.cwd else None!r})"

    def get(self, name: str) -> str:
        """Return a variable's stripped value, ``""`` when unset or unusable."""
        value = self.environ.get(name)
        if not isinstance(value, str):
            return ""
        value = value.strip()
        if len(value) > _MAX_VALUE_CHARS or not value.isprintable():
            return ""
        return value

    def is_true(self, name: str) -> bool:
        """Return whether a variable is exactly ``true`` (any case)."""
        return self.get(name).lower() == "true"

    @property
    def identity(self) -> str:
        """``WORKSPACE_OTEL_IDENTITY``: ``login`` (default), ``full``, ``hash`` or ``off``.

        Raises:
            ConfigurationError: the variable holds another value.
        """
        if self._identity is None:
            self._identity = _env.get_choice(
                "WORKSPACE_OTEL_IDENTITY", a.IDENTITY_MODES, self.environ
            )
        return self._identity

    def platform_path(self, relative: str) -> Path:
        """Return a platform file's path under :attr:`root`."""
        return self.root / relative

    def read_json_object(self, relative: str, keys: frozenset[str]) -> dict[str, str] | None:
        """Read a JSON object file under :attr:`root`, keeping only ``keys`` with string values.

        Returns ``None`` when the file is absent, too large or not a JSON
        object. Values of other keys are never kept, copied or logged.
        """
        if relative in self._json_cache:
            return self._json_cache[relative]
        result = _read_json_object(self.platform_path(relative), keys)
        self._json_cache[relative] = result
        return result


def _read_json_object(path: Path, keys: frozenset[str]) -> dict[str, str] | None:
    try:
        raw = safe_read.read_bytes(path, limit=_MAX_FILE_BYTES)
    except OSError:  # missing, unreadable, not a regular file, or too large
        return None
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    kept: dict[str, str] = {}
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and len(value) <= _MAX_VALUE_CHARS and value.isprintable():
            value = value.strip()
            if value:
                kept[key] = value
    return kept


def copy_table(
    ctx: Context, table: tuple[tuple[str, str], ...], attrs: dict[str, a.AttrValue]
) -> None:
    """Copy each allow-listed variable that is set into its attribute."""
    for attribute, variable in table:
        value = ctx.get(variable)
        if value:
            attrs[attribute] = value


class _Detector(ResourceDetector):
    """Base of every workspace_otel detector.

    Args:
        raise_on_error: re-raise unexpected errors instead of logging one line
            and returning an empty resource.
        environ: variables to read (``os.environ`` when ``None``), for tests
            and for embedding.
        root: filesystem root for platform files (``WORKSPACE_OTEL_PLATFORM_ROOT``
            or ``/`` when ``None``).
        cwd: directory the git repository is searched from (the current
            directory when ``None``).
        **options: ``WORKSPACE_OTEL_*`` settings by their short name
            (``identity="hash"`` is ``WORKSPACE_OTEL_IDENTITY=hash``), as a
            declarative configuration file (``OTEL_CONFIG_FILE``) passes them.

    A :class:`~workspace_otel.errors.ConfigurationError` (an invalid
    ``WORKSPACE_OTEL_*`` value) always propagates: it names the variable and
    the fix, and the SDK logs it when it loads detectors by entry point.
    """

    name: ClassVar[str] = "workspace"

    def __init__(
        self,
        raise_on_error: bool = False,
        *,
        environ: Mapping[str, str] | None = None,
        root: str | os.PathLike[str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        **options: object,
    ) -> None:
        super().__init__(raise_on_error)
        if options:  # a configuration file's entry: the usual start gives none
            from workspace_otel.resources._options import environ_with_options

            environ = environ_with_options(type(self).__name__, environ, options)
        self._environ = environ
        self._root = root
        self._cwd = cwd

    def __repr__(self) -> str:
        return f"{type(self).__name__}(raise_on_error={self.raise_on_error})"

    def context(self) -> Context:
        """Return a fresh detection context for this detector's settings."""
        return Context(self._environ, self._root, self._cwd)

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the attributes this detector finds in ``ctx`` (may raise)."""
        raise NotImplementedError

    def collect_safely(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Run :meth:`collect` behind the detector boundary (style rule 3)."""
        try:
            return a.clean_attributes(self.collect(ctx))
        except ConfigurationError:
            raise
        except Exception as exc:  # detector boundary
            if self.raise_on_error:
                raise
            _logger.warning(
                "%s failed (%s); its attributes are left out",
                type(self).__name__,
                type(exc).__name__,
            )
            return {}

    def detect(self) -> Resource:
        """Return the detected attributes as a :class:`Resource` (empty off-platform)."""
        attrs = self.collect_safely(self.context())
        return Resource(attrs) if attrs else Resource.get_empty()


Marker = tuple[str, bool]
"""A marker's description (for ``doctor``) and whether it is present."""


class _PlatformDetector(_Detector):
    """A detector for one platform: markers decide, then an allow-list is copied.

    Subclasses give :meth:`marker_sets` (the platform is detected when every
    marker of one set is present) and :meth:`attributes`.
    """

    is_workspace: ClassVar[bool] = True
    """``False`` for CI systems (they produce ``cicd.*``, never ``workspace.*``)."""

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the platform's alternative marker sets, each marker with its presence."""
        raise NotImplementedError

    def matches(self, ctx: Context) -> bool:
        """Return whether every marker of at least one set is present."""
        return any(all(present for _, present in markers) for markers in self.marker_sets(ctx))

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the platform's attributes (called only when :meth:`matches`)."""
        raise NotImplementedError

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the platform's attributes, or ``{}`` when its markers are absent."""
        if not self.matches(ctx):
            return {}
        return self.attributes(ctx)

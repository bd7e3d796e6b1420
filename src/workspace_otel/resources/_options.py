"""Detector options given as keyword arguments (declarative configuration files).

The SDK's file configuration (``OTEL_CONFIG_FILE``, package
``opentelemetry-configuration``) instantiates an entry-point detector with the
mapping under its name, e.g. ``- workspace: {identity: hash, git: off}`` gives
``WorkspaceResourceDetector(identity="hash", git=False)``. Each option is the
``WORKSPACE_OTEL_*`` variable of the same name (``identity`` ->
``WORKSPACE_OTEL_IDENTITY``) and is read exactly as that variable would be,
taking precedence over the process environment for this detector only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from workspace_otel._settings import _env
from workspace_otel.errors import ConfigurationError

__all__ = ["environ_with_options"]


def _as_text(value: object) -> str:
    # YAML 1.1 reads on/off/yes/no as booleans.
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(type(value).__name__)


def environ_with_options(
    detector: str, environ: Mapping[str, str] | None, options: Mapping[str, object]
) -> Mapping[str, str] | None:
    """Return ``environ`` (``os.environ`` when ``None``) with ``options`` laid over it.

    Args:
        detector: the detector's name, for messages.
        environ: the variables the detector would read.
        options: keyword arguments given to the detector.

    Returns:
        ``environ`` unchanged when there are no options, else a new mapping.

    Raises:
        ConfigurationError: an option that names no ``WORKSPACE_OTEL_*``
            variable, or a value that is not a string, number or boolean.
    """
    if not options:
        return environ
    known = {var.name for var in _env.VARIABLES}
    merged = dict(os.environ if environ is None else environ)
    for key, value in options.items():
        variable = f"{_env.PREFIX}{key.upper()}"
        if variable not in known:
            accepted = ", ".join(
                sorted(
                    name[len(_env.PREFIX) :].lower()
                    for name in known
                    if name.startswith(_env.PREFIX)
                )
            )
            raise ConfigurationError(
                f"resource detector {detector}: unknown option {key!r} (in the configuration "
                f"file's detector entry): use one of {accepted}"
            )
        try:
            merged[variable] = _as_text(value)
        except TypeError:
            raise ConfigurationError(
                f"resource detector {detector}: option {key!r} ({variable}) must be a string, "
                "number or boolean"
            ) from None
    return merged

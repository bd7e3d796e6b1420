"""Read one option from the table: argument, then its variables in order, then its default.

Also where ``configure()`` learns whether a declarative configuration file
(``OTEL_CONFIG_FILE``) replaces the table: it asks before importing the
module that applies the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workspace_otel._settings._option_table import OPTION
from workspace_otel._settings._options._provenance import ARGUMENT, DEFAULT, Setting, from_variable

__all__ = ["CONFIG_FILE_VARIABLE", "config_file", "look_up", "raw"]

CONFIG_FILE_VARIABLE = "OTEL_CONFIG_FILE"


def raw(environ: Mapping[str, str], name: str) -> str | None:
    """Return a variable's stripped value; ``None`` when unset or blank."""
    value = environ.get(name, "").strip()
    return value or None


def config_file(environ: Mapping[str, str]) -> str | None:
    """Return the ``OTEL_CONFIG_FILE`` path, or ``None`` when unset or blank."""
    return raw(environ, CONFIG_FILE_VARIABLE)


def look_up(
    key: str, arg: Any, environ: Mapping[str, str], *, signal: str | None = None
) -> Setting[Any]:
    """Resolve the option ``key``: argument > first variable set > default, parsed.

    Args:
        key: the option's key in the table.
        arg: the configure() argument (``None``: not given).
        environ: the environment to read.
        signal: the signal, for per-signal options.

    Raises:
        ConfigurationError: the value does not parse (the parser names the
            argument or variable and the fix).
    """
    option = OPTION[key]
    parse = option.parse
    if arg is not None:
        where = f"configure({option.argument})"
        return Setting(parse(arg, where) if parse else arg, ARGUMENT)
    for name in option.variables_for(signal):
        value = raw(environ, name)
        if value is not None:
            return Setting(parse(value, name) if parse else value, from_variable(name))
    default = option.default
    if default is not None and parse is not None:
        return Setting(parse(default, "default"), DEFAULT)
    return Setting(default, DEFAULT)

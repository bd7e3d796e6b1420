"""The ``WORKSPACE_OTEL_*`` environment variables, and typed readers.

:data:`VARIABLES` lists every variable the library reads under its own
prefix; it is derived from the option table (``workspace_otel._settings._options``),
which is the one home of each variable's default, doc and secret flag.
Unknown (probably misspelt) variables are named by :func:`likely_typos`.
Readers raise :class:`~workspace_otel.errors.ConfigurationError` naming the
variable, the bad value (never for secret variables) and the accepted values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from workspace_otel._settings import _option_parsers as _parsers
from workspace_otel._settings._option_table import DEFAULTS, OPTIONS, unknown_variables
from workspace_otel._settings._option_table import PREFIX as PREFIX

TYPE_CHECKING = False  # typing is not imported at run time (the lean shell-start path)


class EnvVar:
    """One documented ``WORKSPACE_OTEL_*`` variable, as the option table describes it.

    A plain class: this module is on the lean shell-start path (no ``typing``,
    no ``dataclasses``).

    Attributes:
        name: the full variable name.
        default: the value used when it is unset (``None``: no default).
        help: one line for the documentation and ``doctor``.
        secret: ``True`` when its value must never be shown.
        names_token_source: its value is a token-source spec (``env:NAME``).
    """

    __slots__ = ("default", "help", "name", "names_token_source", "secret")

    def __init__(
        self,
        name: str,
        default: str | None,
        help: str,
        secret: bool = False,
        names_token_source: bool = False,
    ) -> None:
        self.name = name
        self.default = default
        self.help = help
        self.secret = secret
        self.names_token_source = names_token_source

    def __repr__(self) -> str:
        return f"EnvVar({self.name!r}, default={self.default!r}, secret={self.secret})"


# Derived from the option table, the one home of each variable's facts; made on
# first use (PEP 562): a start that only reads values needs the defaults alone.
if TYPE_CHECKING:
    VARIABLES: tuple[EnvVar, ...]
    BY_NAME: Mapping[str, EnvVar]


def _variables() -> tuple[EnvVar, ...]:
    made: tuple[EnvVar, ...] | None = globals().get("VARIABLES")
    if made is None:
        made = tuple(
            EnvVar(var, option.default, option.doc, option.secret, option.names_token_source)
            for option in OPTIONS
            for var in option.variables
            if var.startswith(PREFIX)
        )
        globals().update(VARIABLES=made, BY_NAME={v.name: v for v in made})
    return made


def __getattr__(name: str) -> object:
    if name not in ("VARIABLES", "BY_NAME"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _variables()
    return globals()[name]


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def get(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Return a variable's stripped value, its default when unset or blank.

    Args:
        name: a name from :data:`VARIABLES` (or any other variable).
        environ: the mapping to read; ``os.environ`` when ``None``.
    """
    raw = _environ(environ).get(name, "").strip()
    if raw:
        return raw
    return DEFAULTS.get(name) if name.startswith(PREFIX) else None


def get_choice(
    name: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    """Return a variable that must be one of ``choices`` (case-insensitive).

    Raises:
        ConfigurationError: the value is not one of ``choices``.
    """
    value = (get(name, environ) or choices[0]).lower()
    return _parsers.choice(*choices)(value, name)


def get_bool(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Return an on/off variable.

    Raises:
        ConfigurationError: the value is not one of on/off/true/false/1/0/yes/no.
    """
    return _parsers.on_off(get(name, environ) or "off", name)


def unknown(environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the ``WORKSPACE_OTEL_*`` variables set but not known (likely typos)."""
    return unknown_variables(_environ(environ))


def likely_typos(environ: Mapping[str, str] | None = None) -> list[tuple[str, str | None]]:
    """Return ``(unknown variable, closest known name or None)`` for likely typos.

    A name given as a token's home (``WORKSPACE_OTEL_TOKEN_SOURCE=env:NAME``) is
    not a typo.
    """
    env = _environ(environ)
    names = unknown(env)
    if not names:  # the usual start: no difflib import
        return []
    import difflib

    homes = set()
    variables = _variables()
    for var in variables:
        if not var.names_token_source:
            continue
        spec = env.get(var.name, "").strip()
        if spec.lower().startswith("env:"):
            homes.add(spec[4:].strip())
    known = [v.name for v in variables]
    found: list[tuple[str, str | None]] = []
    for name in names:
        if name in homes:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        found.append((name, close[0] if close else None))
    return found

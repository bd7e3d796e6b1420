"""configure()'s options: one table, resolved with provenance (argument > variable > default).

Layers, each depending only on those above it:

- ``workspace_otel._settings._option_table``: the one declarative table of every option
  (argument, variables, parser, default, secret flag, doc), and
  ``workspace_otel._settings._option_parsers``, the parsers it names. Both sit outside this
  package and import neither ``typing`` nor ``dataclasses``: ``_env`` reads the
  table on the lean start path of ``workspace-otel env`` and ``headers``.
- ``_provenance``: ``Setting`` (value + ``Source``: kind, variable, display text) and
  ``look_up``, which reads one option from the table (argument > variables > default).
- ``_settings``: ``Settings`` / ``SignalSettings`` / ``Arguments``; ``describe()``
  walks the table.
- ``_rules``, ``_lightstep``: the options with rules of their
  own (token path, per-signal exporters / protocol / endpoint, the backend preset).
- ``_resolve``: ``resolve()``, which assembles ``Settings``.

The same table gives ``_env.VARIABLES`` (known ``WORKSPACE_OTEL_*`` names, typo
warnings) and the documentation's configuration tables.

Adding an option:

1. an ``Option`` row in ``_option_table.OPTIONS`` (key, doc, variables, argument,
   default, parser, ``secret``). A variable read outside configure() needs
   nothing more: read it with ``_env.get`` where it is used.
2. a configure() option (``setting=True``) also needs its field on
   ``Settings`` (and on ``Arguments`` when it has an argument); ``resolve()``
   reads it from the table and ``describe()`` shows it with no further code,
   unless it needs a rule of its own (``_resolve._OWN_RULES``) or a display
   rule (``_settings._SHOWN``).
3. the code that uses the value. Docs tables, ``_env.VARIABLES`` and the
   typo warnings follow the table.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # the root stays lean: _env imports the table through it at start
if TYPE_CHECKING:
    from workspace_otel._settings._option_parsers import PROTOCOLS
    from workspace_otel._settings._option_table import BACKENDS, OPTION, OPTIONS, REGIONS, Option
    from workspace_otel._settings._options._lightstep import HEADER as LIGHTSTEP_HEADER
    from workspace_otel._settings._options._provenance import (
        ARGUMENT,
        DEFAULT,
        Origin,
        Setting,
        Source,
    )
    from workspace_otel._settings._options._resolve import (
        SAMPLERS,
        _resource_env,
        disabled_settings,
        is_disabled,
        resolve,
        resource_attributes_from_env,
        sdk_pipeline,
    )
    from workspace_otel._settings._options._rules import (
        BUILTIN_EXPORTERS,
        check_endpoint,
        resolve_backend,
        resolve_env_credentials,
        resolve_token_header,
    )
    from workspace_otel._settings._options._settings import (
        SIGNALS,
        Arguments,
        Settings,
        Signal,
        SignalSettings,
        endpoint_display,
    )

# Public name -> (module, name there). Importing the package imports none of them;
# the first use of a name imports its module.
_HOMES = {
    "ARGUMENT": ("_provenance", "ARGUMENT"),
    "BACKENDS": ("workspace_otel._settings._option_table", "BACKENDS"),
    "BUILTIN_EXPORTERS": ("_rules", "BUILTIN_EXPORTERS"),
    "DEFAULT": ("_provenance", "DEFAULT"),
    "LIGHTSTEP_HEADER": ("_lightstep", "HEADER"),
    "OPTION": ("workspace_otel._settings._option_table", "OPTION"),
    "OPTIONS": ("workspace_otel._settings._option_table", "OPTIONS"),
    "PROTOCOLS": ("workspace_otel._settings._option_parsers", "PROTOCOLS"),
    "REGIONS": ("workspace_otel._settings._option_table", "REGIONS"),
    "SAMPLERS": ("_resolve", "SAMPLERS"),
    "SIGNALS": ("_settings", "SIGNALS"),
    "Arguments": ("_settings", "Arguments"),
    "Option": ("workspace_otel._settings._option_table", "Option"),
    "Origin": ("_provenance", "Origin"),
    "Setting": ("_provenance", "Setting"),
    "Settings": ("_settings", "Settings"),
    "Signal": ("_settings", "Signal"),
    "SignalSettings": ("_settings", "SignalSettings"),
    "Source": ("_provenance", "Source"),
    "_resource_env": ("_resolve", "_resource_env"),
    "check_endpoint": ("_rules", "check_endpoint"),
    "disabled_settings": ("_resolve", "disabled_settings"),
    "endpoint_display": ("_settings", "endpoint_display"),
    "is_disabled": ("_resolve", "is_disabled"),
    "resolve": ("_resolve", "resolve"),
    "resolve_backend": ("_rules", "resolve_backend"),
    "resolve_env_credentials": ("_rules", "resolve_env_credentials"),
    "resolve_token_header": ("_rules", "resolve_token_header"),
    "resource_attributes_from_env": ("_resolve", "resource_attributes_from_env"),
    "sdk_pipeline": ("_resolve", "sdk_pipeline"),
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = home[0] if "." in home[0] else f"{__name__}.{home[0]}"
    value = getattr(importlib.import_module(module), home[1])
    globals()[name] = value
    return value


__all__ = [
    "ARGUMENT",
    "BACKENDS",
    "BUILTIN_EXPORTERS",
    "DEFAULT",
    "LIGHTSTEP_HEADER",
    "OPTION",
    "OPTIONS",
    "PROTOCOLS",
    "REGIONS",
    "SAMPLERS",
    "SIGNALS",
    "Arguments",
    "Option",
    "Origin",
    "Setting",
    "Settings",
    "Signal",
    "SignalSettings",
    "Source",
    "_resource_env",
    "check_endpoint",
    "disabled_settings",
    "endpoint_display",
    "is_disabled",
    "resolve",
    "resolve_backend",
    "resolve_env_credentials",
    "resolve_token_header",
    "resource_attributes_from_env",
    "sdk_pipeline",
]

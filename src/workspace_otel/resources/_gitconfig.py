"""Read a repository's remote URL and the user's identity from git's configuration, as git does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workspace_otel.resources._gitread import ConfigValues
from workspace_otel.resources._gitread import remote_url as read_remote_url

__all__ = ["config_identity", "remote_url"]

_SUBSECTION = r'^([A-Za-z0-9.\-]+)\s+"((?:[^"\\]|\\.)*)"$'

ConfigKey = tuple[str, str | None]


def _config_sections(config: Any) -> dict[ConfigKey, str]:
    """Map ``(section lowercased, subsection)`` to GitPython's section names."""
    found: dict[ConfigKey, str] = {}
    for section in config.sections():
        match = re.match(_SUBSECTION, section.strip())
        if match:
            name, sub = match.group(1), re.sub(r"\\(.)", r"\1", match.group(2))
            found.setdefault((name.lower(), sub), section)
        elif "." in section:  # the deprecated [section.subsection] syntax
            name, _, sub = section.partition(".")
            found.setdefault((name.lower(), sub.lower()), section)
        else:
            found.setdefault((section.lower(), None), section)
    return found


def _values(config: Any, section: str | None, option: str) -> list[str]:
    if section is None:
        return []
    import configparser  # only on a cache miss, like GitPython itself

    try:
        values = config.get_values(section, option)
    except (configparser.Error, KeyError, ValueError):
        return []
    return [str(v) for v in values if str(v)]


# The options the remote URL depends on, per section (``_gitread.remote_url`` reads them).
_REMOTE_OPTIONS = {"branch": ("remote",), "remote": ("url",), "url": ("insteadof",)}


def remote_url(config: Any, branch: str | None) -> str | None:
    """Return the URL of the branch's remote, else ``origin``, else the first remote.

    ``url.<base>.insteadOf`` (longest match) is applied as git would. GitPython's
    values are put in the file reader's shape, so the choice itself has one home:
    :func:`workspace_otel.resources._gitread.remote_url`.
    """
    values: ConfigValues = {}
    for (name, sub), section in _config_sections(config).items():
        for option in _REMOTE_OPTIONS.get(name, ()):
            found = _values(config, section, option)
            if found:
                values[(name, sub, option)] = found
    return read_remote_url(values, branch)


def config_identity(config: Any, environ: Mapping[str, str]) -> tuple[str, str]:
    """Return (full name, e-mail) as git would: ``GIT_AUTHOR_*``, then the config."""
    sections = _config_sections(config)
    user = sections.get(("user", None))
    name = environ.get("GIT_AUTHOR_NAME", "").strip()
    email = environ.get("GIT_AUTHOR_EMAIL", "").strip()
    name = name or (_values(config, user, "name") or [""])[-1].strip()
    email = email or (_values(config, user, "email") or [""])[-1].strip()
    return name, email

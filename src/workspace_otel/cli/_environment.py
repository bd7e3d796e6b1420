"""``workspace-otel env``: the workspace resource as variables for programs in other languages.

Prints ``OTEL_RESOURCE_ATTRIBUTES`` (and ``OTEL_SERVICE_NAME`` when the user
set none) so that a Node, Go, Java or any other OpenTelemetry SDK started from
the same shell reports the same workspace, repository, branch and identity as
a Python process using ``configure()``::

    eval "$(workspace-otel env)"

What goes in: the attributes the library's workspace detector produces (the
same function ``configure()`` and ``workspace-otel detect`` use), minus what
belongs to one process (``service.instance.id``, ``process.*``,
``telemetry.*``, and the ``workspace.actor.*`` attributes, which say who
started *that* process). The user's own ``OTEL_RESOURCE_ATTRIBUTES`` entries
are kept verbatim and come last, so they win in every SDK. Nothing here
imports the SDK's exporters, ``requests`` or GitPython, and when nothing the
detector read has changed since the last run, not even the detectors
(:mod:`._env_cache`).

Output safety: every value we add is percent-encoded down to the unreserved
characters, every value is cleaned of control characters, and ``sh`` output
single-quotes each value, so ``eval`` runs nothing but ``export``/``unset``
whatever a branch name or a user value contains.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from workspace_otel._settings import _env_export as ex

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from typing import TextIO

FORMATS = ("sh", "dotenv", "json")

_PER_PROCESS_PREFIXES = ("process.", "telemetry.", "workspace.actor.", "service.instance.")
_DOTENV_PLAIN = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%=,:/@+"
)


def is_per_process(key: str) -> bool:
    """Whether an attribute describes one process rather than the workspace."""
    return key.startswith(_PER_PROCESS_PREFIXES)


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None  # OTEL_RESOURCE_ATTRIBUTES holds strings only


def exported_variables(environ: Mapping[str, str]) -> dict[str, str | None]:
    """Return the variables to set (``None``: to unset), in output order.

    Raises:
        ConfigurationError: a ``WORKSPACE_OTEL_*`` variable is invalid.
    """
    from workspace_otel.cli._env_cache import detected_attributes

    users = [ex.clean_text(item) for item in ex.user_items(environ)]
    user_keys = {ex.item_key(item) for item in users}
    own_service = ex.service_name_is_ours(environ)
    user_service = (
        bool(environ.get(ex.SERVICE_NAME_VARIABLE, "").strip()) and not own_service
    ) or ex.SERVICE_NAME in user_keys

    detected = detected_attributes(environ)
    added: list[str] = []
    service_name: str | None = None
    for key in sorted(detected):
        text = _text(detected[key])
        if text is None or is_per_process(key) or key in user_keys or not ex.valid_key(key):
            continue
        if key == ex.SERVICE_NAME:
            service_name = ex.clean_text(text) or None
            continue
        if ex.fits(ex.clean_text(text)):
            added.append(ex.encode_item(key, text))

    result: dict[str, str | None] = {}
    had_resource = bool(environ.get(ex.RESOURCE_VARIABLE, "").strip())
    combined = ",".join(added + users)
    if combined:
        result[ex.RESOURCE_VARIABLE] = combined
    elif had_resource:
        result[ex.RESOURCE_VARIABLE] = None
    marker = list(added)
    if not user_service and service_name:
        result[ex.SERVICE_NAME_VARIABLE] = service_name
        marker.append(ex.encode_item(ex.SERVICE_NAME, service_name))
    elif own_service:
        result[ex.SERVICE_NAME_VARIABLE] = None  # ours from an earlier run, no longer true
    if marker:
        result[ex.ADDED_VARIABLE] = ",".join(marker)
    elif environ.get(ex.ADDED_VARIABLE):
        result[ex.ADDED_VARIABLE] = None
    return result


def sh_quote(value: str) -> str:
    """Return ``value`` single-quoted for POSIX ``sh`` (nothing inside is interpreted)."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _dotenv_value(value: str) -> str:
    if value and all(c in _DOTENV_PLAIN for c in value):
        return value
    if "'" not in value and "\\" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + escaped.replace("`", "\\`") + '"'


def render(variables: Mapping[str, str | None], fmt: str) -> str:
    """Return the variables in one of :data:`FORMATS`.

    ``sh`` emits ``export``/``unset`` lines; ``dotenv`` emits ``KEY=value``
    lines (variables to unset are left out); ``json`` one object, ``null``
    for a variable to unset.
    """
    if fmt == "json":
        import json

        return json.dumps(dict(variables), sort_keys=False) + "\n"
    lines = []
    for name, value in variables.items():
        if fmt == "sh":
            lines.append(f"unset {name}" if value is None else f"export {name}={sh_quote(value)}")
        elif value is not None:
            lines.append(f"{name}={_dotenv_value(value)}")
    return "".join(line + "\n" for line in lines)


def run_env(*, fmt: str, out: TextIO, environ: Mapping[str, str] | None = None) -> int:
    """Print the variables; return the exit status.

    Returns:
        0; 2 when a ``WORKSPACE_OTEL_*`` variable is invalid (one line on
        stderr naming it, nothing on stdout, so ``eval`` changes nothing).
    """
    import os

    from workspace_otel.errors import ConfigurationError

    env = os.environ if environ is None else environ
    try:
        text = render(exported_variables(env), fmt)
    except ConfigurationError as exc:
        from workspace_otel.cli._credentials import one_line_reason

        print(one_line_reason("env", exc), file=sys.stderr)
        return 2
    out.write(text)
    out.flush()
    return 0

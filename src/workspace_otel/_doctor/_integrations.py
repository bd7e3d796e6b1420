"""Thin, tolerant adapters over the rest of the library.

The doctor must keep working (and report clearly) even when a part of the
library is broken or missing, so it reaches the resources, credentials and
options modules only through these functions: each returns ``None`` (or an
empty result) when the part is not available, and never lets an
``ImportError`` escape. Import cost stays in the doctor.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "detect",
    "grpc_credentials",
    "http_session",
    "near_misses",
    "resolve_options",
    "token_source_from_env",
]


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def detect(
    environ: Mapping[str, str], root: Path, cwd: Path
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """Return ``(attributes, producer of each attribute)``, or ``None`` if unavailable."""
    resources = _module("workspace_otel.resources")
    function = getattr(resources, "detect_with_sources", None)
    if function is None:
        return None
    attributes, sources = function(environ=dict(environ), root=root, cwd=cwd)
    return dict(attributes), {str(k): str(v) for k, v in dict(sources).items()}


def near_misses(
    environ: Mapping[str, str], root: Path
) -> list[tuple[str, list[str], list[str]]] | None:
    """Return ``(platform, present markers, missing markers)`` triples, or ``None``."""
    resources = _module("workspace_otel.resources")
    function = None
    for name in ("near_misses", "platform_near_misses", "detect_near_misses"):
        function = getattr(resources, name, None)
        if function is not None:
            break
    if function is None:
        return None
    try:
        raw = function(environ=dict(environ), root=root)
    except TypeError:
        raw = function(environ=dict(environ))
    result: list[tuple[str, list[str], list[str]]] = []
    for item in raw:
        if isinstance(item, Sequence) and len(item) >= 3:
            platform, present, missing = item[0], item[1], item[2]
        else:
            platform = getattr(item, "platform", "?")
            present = getattr(item, "present", ())
            missing = getattr(item, "missing", ())
        result.append(
            (
                str(platform),
                [present] if isinstance(present, str) else [str(p) for p in present],
                [missing] if isinstance(missing, str) else [str(m) for m in missing],
            )
        )
    return result


def credentials_module() -> Any:
    """Return ``workspace_otel.credentials`` or ``None``."""
    return _module("workspace_otel.credentials")


def token_source_from_env(environ: Mapping[str, str]) -> Any:
    """Return the configured token source (or ``None``).

    Raises:
        ConfigurationError: The token-source variables are invalid.
        RuntimeError: The credentials package is not available.
    """
    credentials = credentials_module()
    function = getattr(credentials, "token_source_from_env", None)
    if function is None:
        raise RuntimeError("workspace_otel.credentials.token_source_from_env is not available")
    return function(environ=dict(environ))


def resolve_options(environ: Mapping[str, str]) -> Any:
    """Return configure()'s resolved settings for this environment, or ``None``.

    Raises:
        ConfigurationError: A setting is invalid (the message names it and the fix).
    """
    options = _module("workspace_otel._options")
    resolve = getattr(options, "resolve", None)
    arguments = getattr(options, "Arguments", None)
    if resolve is None or arguments is None:
        return None
    credentials = credentials_module()
    factory = getattr(credentials, "token_source_from_env", None)

    def from_env(env: Mapping[str, str]) -> Any:
        if factory is None:
            return None
        return factory(environ=dict(env))

    return resolve(arguments(), dict(environ), credentials_from_env=from_env)


def http_session(source: Any, header: str) -> Any:
    """Return the library's authenticated ``requests.Session`` for ``source``, or ``None``."""
    credentials = credentials_module()
    function = getattr(credentials, "http_session", None)
    if function is None:
        return None
    return function(source, header=header)


def grpc_credentials(source: Any, header: str) -> Any:
    """Return the library's gRPC channel credentials for ``source``, or ``None``."""
    credentials = credentials_module()
    function = getattr(credentials, "grpc_credentials", None)
    if function is None:
        return None
    return function(source, header=header)


def matched_markers(environ: Mapping[str, str], root: Path, platform: str) -> list[str]:
    """Return the names of the markers that identified ``platform`` (empty if unknown)."""
    try:
        from workspace_otel.resources._base import Context
        from workspace_otel.resources._platform import PLATFORMS

        ctx = Context(dict(environ), root)
        for detector in PLATFORMS:
            if detector.name != platform:
                continue
            for markers in detector.marker_sets(ctx):
                if all(present for _, present in markers):
                    return [str(name) for name, _ in markers]
    except Exception:  # noqa: BLE001 - evidence only; never fail the check for it
        return []
    return []


def actor(environ: Mapping[str, str]) -> str:
    """Return which agent started the process and from which variables, ``""`` for none."""
    try:
        from workspace_otel.resources._actor import explain
        from workspace_otel.resources._base import Context

        return explain(Context(dict(environ)))
    except Exception:  # noqa: BLE001 - evidence only; the platform check reports errors
        return ""

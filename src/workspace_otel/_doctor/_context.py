"""State shared by the doctor's checks, and small helpers they all use."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from workspace_otel._doctor._export_plan import ExportPlan
from workspace_otel._guards import safe_read
from workspace_otel._guards.redaction import register_secret, register_url
from workspace_otel._settings import _env
from workspace_otel.credentials import Token, TokenSource
from workspace_otel.errors import ConfigurationError

__all__ = [
    "PLATFORM_SECRET_VARIABLES",
    "Diagnosis",
    "container_hints",
    "iso",
    "seed_secrets",
]

# Credentials that workspace platforms and CI systems put in the environment.
PLATFORM_SECRET_VARIABLES = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_CODESPACE_TOKEN",
    "GITHUB_CODESPACES_TOKEN",
    "THEIA_SUPERVISOR_TOKENS",
    "GITPOD_TOKEN",
    "GITPOD_TOKENS",
    "GITPOD_CLI_APITOKEN",
    "GITPOD_API_KEY",
    "GITPOD_IMAGE_AUTH",
    "SUPERVISOR_ENVVAR_OTS",
    "CODER_AGENT_TOKEN",
    "CODER_SESSION_TOKEN",
    "CODER_WORKSPACE_OWNER_SESSION_TOKEN",
    "CODER_WORKSPACE_OWNER_OIDC_ACCESS_TOKEN",
    "DAYTONA_SERVER_API_KEY",
    "DAYTONA_API_KEY",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "CI_JOB_TOKEN",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V2",
)
_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|AUTH(?!OR)|SESSION|JWT|_KEY$|_OTS$)",
    re.IGNORECASE,
)
_NOT_SECRET = frozenset(
    {
        "WORKSPACE_OTEL_TOKEN_SOURCE",
        "WORKSPACE_OTEL_TOKEN_AUDIENCE",
        "WORKSPACE_OTEL_TOKEN_HEADER",
        "WORKSPACE_OTEL_OAUTH2_TOKEN_URL",
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE",
        "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE",
        "OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER",
        "OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER",
        "OTEL_PYTHON_EXPORTER_OTLP_HTTP_TRACES_CREDENTIAL_PROVIDER",
        "OTEL_PYTHON_EXPORTER_OTLP_GRPC_TRACES_CREDENTIAL_PROVIDER",
        "SSH_AUTH_SOCK",
        "XAUTHORITY",
    }
)
_MAX_SECRET_FILE = 64 * 1024


@dataclass
class Diagnosis:
    """Inputs of a doctor run and what earlier checks learnt.

    Attributes:
        environ: The environment examined.
        cwd: Where git is looked for.
        timeout: Seconds allowed per network step.
        endpoint_override: ``--endpoint``.
        now: Wall clock (seconds since the epoch).
        root: Filesystem root for platform and container markers.
        container: Callable returning the hints that this runs in a container.
        plan: configure()'s resolved settings (``None`` when they are invalid).
        plan_error: Why they could not be resolved (a ConfigurationError's message).
        token_source: The token source configure() attaches, or the environment's
            when the settings are invalid.
    """

    environ: Mapping[str, str]
    cwd: Path
    timeout: float
    endpoint_override: str | None
    now: Callable[[], float]
    root: Path
    container: Callable[[Diagnosis], list[str]]
    plan: ExportPlan | None = None
    plan_error: ConfigurationError | None = None
    platform: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    attribute_sources: dict[str, str] = field(default_factory=dict)
    token_source: TokenSource | None = None
    token_source_error: str | None = None
    token: Token | None = None
    token_claims: dict[str, Any] = field(default_factory=dict)
    token_header: dict[str, Any] = field(default_factory=dict)
    token_failed: bool = False
    clock_skew: float | None = None
    endpoint_accepted: bool = False
    endpoint_outcome: str = ""


def iso(seconds: float | None) -> str | None:
    """Return an ISO-8601 UTC timestamp (or ``None``)."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def seed_secrets(environ: Mapping[str, str]) -> None:
    """Register every secret the environment holds or points at.

    Covers secret-looking variables, the credentials workspace platforms and
    CI systems set, header values, URL user-info and the contents of ``file:``
    token sources and client-secret files.
    """
    for name, value in environ.items():
        upper = name.upper()
        if upper in _NOT_SECRET:
            continue
        known = _env.BY_NAME.get(upper)
        certain = upper in PLATFORM_SECRET_VARIABLES or (known is not None and known.secret)
        likely = known is None and bool(_SECRET_NAME.search(upper)) and _may_be_secret(value)
        if certain or likely:
            register_secret(value)
        if upper.endswith("_HEADERS") and upper.startswith("OTEL_"):
            # Every entry's value, well-formed or not (no parser that logs what it skips).
            for item in value.split(","):
                header_value = item.partition("=")[2].strip()
                register_secret(header_value)
                register_secret(unquote(header_value))
        if "://" in value and ("@" in value or "?" in value):
            register_url(value)
    for name in ("WORKSPACE_OTEL_TOKEN_SOURCE", "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE"):
        spec = environ.get(name, "").strip()
        if spec.startswith("file:"):
            _add_file(spec[len("file:") :])
        elif spec.startswith("command:"):
            # describe() shows only the program: its arguments may hold a credential.
            for argument in spec[len("command:") :].split()[1:]:
                register_secret(argument)
                register_secret(argument.partition("=")[2])
    secret_file = environ.get("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE", "").strip()
    if secret_file:
        _add_file(secret_file)


_SETTING_WORDS = frozenset(
    {"auto", "none", "gitpod", "oauth2", "github-actions", "gce-metadata", "true", "false"}
)


def _may_be_secret(value: str) -> bool:
    """Whether a variable whose name merely sounds secret holds something secret-like.

    Plain setting words (a misspelt ``WORKSPACE_OTEL_TOKEN_SORCE=gitpod``) and
    token-source specifications are not hidden, so the report stays readable.
    """
    text = value.strip()
    if text.lower() in _SETTING_WORDS or text.startswith(("env:", "file:", "command:")):
        return False
    return len(text) >= 8


def _add_file(path: str) -> None:
    try:
        data = safe_read.read_bytes(path, limit=_MAX_SECRET_FILE)
    except OSError:
        return
    text = data.decode("utf-8", "replace")
    register_secret(text)
    for line in text.splitlines():
        register_secret(line)


_CGROUP_HINTS = ("docker", "kubepods", "containerd", "libpod", "podman", "lxc", "crio")


def container_hints(ctx: Diagnosis) -> list[str]:
    """Return why this process looks like it runs in a container (empty: it does not)."""
    hints: list[str] = []
    root = ctx.root
    for marker in (".dockerenv", "run/.containerenv"):
        if (root / marker).exists():
            hints.append(f"/{marker}")
    try:
        cgroup = safe_read.read_text(root / "proc/1/cgroup")[:65536]
    except OSError:
        cgroup = ""
    for word in _CGROUP_HINTS:
        if word in cgroup:
            hints.append(f"/proc/1/cgroup mentions {word}")
            break
    if ctx.environ.get("KUBERNETES_SERVICE_HOST"):
        hints.append("KUBERNETES_SERVICE_HOST is set")
    if ctx.environ.get("container"):
        hints.append("the container variable is set")
    if ctx.platform:
        hints.append(f"workspace platform {ctx.platform}")
    return hints


def wall_clock() -> float:
    """Return the current wall-clock time (the default ``now``)."""
    return time.time()

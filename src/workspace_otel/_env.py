"""The one table of ``WORKSPACE_OTEL_*`` environment variables, and typed readers.

Every variable the library reads under its own prefix is listed in
:data:`VARIABLES`; ``workspace-otel doctor`` uses the table to name unknown
(probably misspelt) variables, and the README's configuration table mirrors it.
Readers raise :class:`~workspace_otel.errors.ConfigurationError` naming the
variable, the bad value (never for secret variables) and the accepted values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from workspace_otel.errors import ConfigurationError

PREFIX = "WORKSPACE_OTEL_"


class EnvVar:
    """One documented environment variable.

    A plain class rather than a dataclass: the table is built at every start,
    and generating dataclass methods costs more than the whole table.

    Attributes:
        name: the full variable name.
        default: the value used when it is unset (``None``: no default).
        help: one line for the README and ``doctor``.
        secret: ``True`` when its value must never be shown.
    """

    __slots__ = ("default", "help", "name", "secret")

    def __init__(self, name: str, default: str | None, help: str, secret: bool = False) -> None:
        self.name = name
        self.default = default
        self.help = help
        self.secret = secret

    def __repr__(self) -> str:
        return f"EnvVar({self.name!r}, default={self.default!r}, secret={self.secret})"


VARIABLES: tuple[EnvVar, ...] = (
    EnvVar(
        "WORKSPACE_OTEL_TOKEN_SOURCE",
        "auto",
        "auto, none, env:NAME, file:PATH, command:CMDLINE, gitpod, github-actions, oauth2,"
        " gce-metadata, vault, aws-secretsmanager",
    ),
    EnvVar("WORKSPACE_OTEL_TOKEN", None, "static token used by the auto source", secret=True),
    EnvVar(
        "WORKSPACE_OTEL_TOKEN_AUDIENCE", None, "audience of workspace / CI OIDC identity tokens"
    ),
    EnvVar(
        "WORKSPACE_OTEL_TOKEN_HEADER",
        "authorization",
        "header carrying the token; authorization sends 'Bearer <token>', others the raw token",
    ),
    EnvVar("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", None, "OAuth2 token endpoint (https)"),
    EnvVar("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", None, "OAuth2 client id"),
    EnvVar("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", None, "OAuth2 client secret", secret=True),
    EnvVar(
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE",
        None,
        "file holding the OAuth2 client secret (re-read at each fetch)",
    ),
    EnvVar("WORKSPACE_OTEL_OAUTH2_SCOPES", None, "space- or comma-separated OAuth2 scopes"),
    EnvVar("WORKSPACE_OTEL_OAUTH2_AUDIENCE", None, "audience / resource asked of the token server"),
    EnvVar(
        "WORKSPACE_OTEL_OAUTH2_TIMEOUT",
        "10",
        "seconds allowed for one request to the OAuth2 token endpoint",
    ),
    EnvVar(
        "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE",
        None,
        "token source whose token is exchanged (RFC 8693) by the oauth2 source",
    ),
    EnvVar(
        "WORKSPACE_OTEL_VAULT_SECRET",
        None,
        "vault source: MOUNT/PATH#FIELD of a KV v2 secret, e.g. secret/otel/lightstep#access_token",
    ),
    EnvVar(
        "WORKSPACE_OTEL_VAULT_ROLE",
        None,
        "vault source: JWT auth role to log in with (else VAULT_TOKEN / ~/.vault-token)",
    ),
    EnvVar("WORKSPACE_OTEL_VAULT_AUTH_MOUNT", "jwt", "vault source: mount of the JWT auth method"),
    EnvVar(
        "WORKSPACE_OTEL_VAULT_JWT_SOURCE",
        None,
        "vault source: token source of the login JWT (default: the workspace identity token)",
    ),
    EnvVar("WORKSPACE_OTEL_AWS_SECRET_ID", None, "aws-secretsmanager source: secret name or ARN"),
    EnvVar(
        "WORKSPACE_OTEL_AWS_SECRET_FIELD",
        None,
        "aws-secretsmanager source: JSON key to read (default: the whole secret string)",
    ),
    EnvVar(
        "WORKSPACE_OTEL_AWS_ROLE_ARN",
        None,
        "aws-secretsmanager source: role assumed with the identity token (else the AWS chain)",
    ),
    EnvVar(
        "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE",
        None,
        "aws-secretsmanager source: token source of the web identity token (default: the"
        " workspace identity token)",
    ),
    EnvVar("WORKSPACE_OTEL_BACKEND", "otlp", "otlp, lightstep or console"),
    EnvVar("WORKSPACE_OTEL_LIGHTSTEP_REGION", "us", "us or eu: which Lightstep ingest to use"),
    EnvVar("WORKSPACE_OTEL_IDENTITY", "login", "login, full, hash or off"),
    EnvVar("WORKSPACE_OTEL_GIT", "on", "on or off: read the local git repository"),
    EnvVar(
        "WORKSPACE_OTEL_GIT_DIRTY", "off", "on or off: add workspace.git.dirty (runs git status)"
    ),
    EnvVar(
        "WORKSPACE_OTEL_GIT_CACHE",
        "on",
        "on or off: cache the git attributes between starts (owner-only file under XDG_CACHE_HOME)",
    ),
    EnvVar(
        "WORKSPACE_OTEL_ACTOR",
        "on",
        "on or off: add workspace.actor.* when an AI coding agent started the process",
    ),
    EnvVar(
        "WORKSPACE_OTEL_BAGGAGE",
        None,
        "comma list of resource attribute names sent as W3C baggage on outgoing requests",
    ),
    EnvVar(
        "WORKSPACE_OTEL_BAGGAGE_TO_SPANS",
        None,
        "comma list of baggage keys or prefix* patterns copied from incoming baggage to spans",
    ),
    EnvVar(
        "WORKSPACE_OTEL_FLUSH_TIMEOUT",
        "5",
        "seconds allowed to flush telemetry at exit and on SIGTERM",
    ),
    EnvVar(
        "WORKSPACE_OTEL_TRACE_URL",
        None,
        "link template with {trace_id}, printed for each root span by the console exporter",
    ),
    EnvVar(
        "WORKSPACE_OTEL_PLATFORM_ROOT",
        "/",
        "directory under which platform files such as /workspaces/.codespaces are looked up",
    ),
    EnvVar(
        "WORKSPACE_OTEL_ENV_ADDED",
        None,
        "set by `workspace-otel env`: the OTEL_RESOURCE_ATTRIBUTES entries it added (not yours)",
    ),
)

BY_NAME: Mapping[str, EnvVar] = {v.name: v for v in VARIABLES}

_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no"})


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
    known = BY_NAME.get(name)
    return known.default if known else None


def get_choice(
    name: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    """Return a variable that must be one of ``choices`` (case-insensitive).

    Raises:
        ConfigurationError: the value is not one of ``choices``.
    """
    value = (get(name, environ) or choices[0]).lower()
    if value not in choices:
        raise ConfigurationError(
            f"{name}={value!r} is not valid: set it to one of {', '.join(choices)}"
        )
    return value


def get_bool(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Return an on/off variable.

    Raises:
        ConfigurationError: the value is not one of on/off/true/false/1/0/yes/no.
    """
    value = (get(name, environ) or "off").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={value!r} is not valid: set it to on or off")


def unknown(environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the ``WORKSPACE_OTEL_*`` variables set but not known (likely typos)."""
    return sorted(k for k in _environ(environ) if k.startswith(PREFIX) and k not in BY_NAME)


def likely_typos(environ: Mapping[str, str] | None = None) -> list[tuple[str, str | None]]:
    """Return ``(unknown variable, closest known name or None)`` for likely typos.

    A name given as a token's home (``WORKSPACE_OTEL_TOKEN_SOURCE=env:NAME``) is
    not a typo.
    """
    import difflib

    env = _environ(environ)
    homes = set()
    for spec_name in ("WORKSPACE_OTEL_TOKEN_SOURCE", "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE"):
        spec = env.get(spec_name, "").strip()
        if spec.lower().startswith("env:"):
            homes.add(spec[4:].strip())
    known = list(BY_NAME)
    found: list[tuple[str, str | None]] = []
    for name in unknown(env):
        if name in homes:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        found.append((name, close[0] if close else None))
    return found

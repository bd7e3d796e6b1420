"""Build the token source that ``WORKSPACE_OTEL_TOKEN_SOURCE`` describes.

The usual one, a token read from a variable (:class:`EnvTokenSource`), lives
here; every other source's module is imported only when that source is chosen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Mapping

from workspace_otel._settings._option_parsers import check_interval
from workspace_otel.errors import ConfigurationError, TokenError

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__

if TYPE_CHECKING:
    from workspace_otel.credentials._aws_source import AwsSecretsManagerSource
    from workspace_otel.credentials._oauth2_source import OAuth2ClientCredentialsSource
    from workspace_otel.credentials._source import TokenSource
    from workspace_otel.credentials._token import Token
    from workspace_otel.credentials._vault_source import VaultSecretSource

# Each other source's module is imported only when that source is chosen: a process
# configured with a static token never loads the OAuth2, command or cloud ones.
# The GitHub Actions variable names, as in _github_actions_source.
REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name

__all__ = ["EnvTokenSource", "token_source_from_env"]

SOURCE_VARIABLE = "WORKSPACE_OTEL_TOKEN_SOURCE"
SUBJECT_VARIABLE = "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE"
_ACCEPTED = (
    "auto, none, env:NAME, file:PATH, command:CMDLINE, gitpod, github-actions, oauth2, "
    "gce-metadata, vault, aws-secretsmanager"
)
_NOT_NESTED = frozenset({"auto", "none", "oauth2", "vault", "aws-secretsmanager"})


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _audience(environ: Mapping[str, str], kind: str, variable: str) -> str:
    audience = _get(environ, "WORKSPACE_OTEL_TOKEN_AUDIENCE")
    if audience is None:
        raise ConfigurationError(
            f"{variable}={kind} needs WORKSPACE_OTEL_TOKEN_AUDIENCE: set it to the audience "
            "your collector's oidc authenticator expects (e.g. its `audience:` setting)"
        )
    return audience


def _timeout(environ: Mapping[str, str]) -> float:
    raw = _get(environ, "WORKSPACE_OTEL_OAUTH2_TIMEOUT")
    if raw is None:
        return 10.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(
            f"WORKSPACE_OTEL_OAUTH2_TIMEOUT={raw!r} is not valid: set it to a positive "
            "number of seconds"
        )
    return value


def _oauth2(
    environ: Mapping[str, str], variable: str, given: Mapping[str, str] | None
) -> OAuth2ClientCredentialsSource:
    url = _get(environ, "WORKSPACE_OTEL_OAUTH2_TOKEN_URL")
    if url is None:
        raise ConfigurationError(
            f"{variable}=oauth2 needs WORKSPACE_OTEL_OAUTH2_TOKEN_URL (the token endpoint)"
        )
    subject_value = _get(environ, SUBJECT_VARIABLE)
    subject = None
    if subject_value is not None:
        subject = _parse(subject_value, environ, given, SUBJECT_VARIABLE, nested=True)
    from workspace_otel.credentials._oauth2_source import OAuth2ClientCredentialsSource

    return OAuth2ClientCredentialsSource(
        url,
        _get(environ, "WORKSPACE_OTEL_OAUTH2_CLIENT_ID"),
        _get(environ, "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET"),
        client_secret_file=_get(environ, "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE"),
        scopes=_get(environ, "WORKSPACE_OTEL_OAUTH2_SCOPES"),
        audience=_get(environ, "WORKSPACE_OTEL_OAUTH2_AUDIENCE"),
        subject_source=subject,
        timeout=_timeout(environ),
    )


def _platform_identity(
    environ: Mapping[str, str], given: Mapping[str, str] | None
) -> TokenSource | None:
    """The workspace's OIDC identity token source, as ``auto`` finds it, or ``None``."""
    audience = _get(environ, "WORKSPACE_OTEL_TOKEN_AUDIENCE")
    if audience is None:
        return None
    if _get(environ, "GITPOD_ENVIRONMENT_ID") or _get(environ, "GITPOD_WORKSPACE_ID"):
        from workspace_otel.credentials._gitpod_source import GitpodTokenSource

        return GitpodTokenSource(audience, environ=given)
    if _get(environ, REQUEST_URL) and _get(environ, REQUEST_TOKEN):
        from workspace_otel.credentials._github_actions_source import GitHubActionsTokenSource

        return GitHubActionsTokenSource(audience, environ=given)
    return None


def _auto(environ: Mapping[str, str], given: Mapping[str, str] | None) -> TokenSource | None:
    if _get(environ, "WORKSPACE_OTEL_TOKEN"):
        return EnvTokenSource("WORKSPACE_OTEL_TOKEN", environ=given)
    identity = _platform_identity(environ, given)
    if identity is not None:
        return identity
    if _get(environ, "WORKSPACE_OTEL_OAUTH2_TOKEN_URL"):
        return _oauth2(environ, SOURCE_VARIABLE, given)
    return None


def _identity_for(
    environ: Mapping[str, str], given: Mapping[str, str] | None, variable: str, needed_by: str
) -> TokenSource:
    """The identity token source named by ``variable``, else the workspace's own."""
    value = _get(environ, variable)
    if value is not None:
        source = _parse(value, environ, given, variable, nested=True)
        assert source is not None
        return source
    identity = _platform_identity(environ, given)
    if identity is None:
        raise ConfigurationError(
            f"{needed_by} needs an identity token and none was found: set {variable} (e.g. "
            "gitpod, github-actions, file:PATH), or WORKSPACE_OTEL_TOKEN_AUDIENCE inside a "
            "Gitpod / Ona workspace or a GitHub Actions job"
        )
    return identity


def _vault(
    environ: Mapping[str, str], given: Mapping[str, str] | None, variable: str
) -> VaultSecretSource:
    secret = _get(environ, "WORKSPACE_OTEL_VAULT_SECRET")
    if secret is None:
        raise ConfigurationError(
            f"{variable}=vault needs WORKSPACE_OTEL_VAULT_SECRET: set it to MOUNT/PATH#FIELD "
            "of a KV v2 secret, e.g. secret/otel/lightstep#access_token"
        )
    role = _get(environ, "WORKSPACE_OTEL_VAULT_ROLE")
    jwt_source = None
    if role is not None:
        jwt_source = _identity_for(
            environ, given, "WORKSPACE_OTEL_VAULT_JWT_SOURCE", "WORKSPACE_OTEL_VAULT_ROLE"
        )
    from workspace_otel.credentials._vault_source import VaultSecretSource

    return VaultSecretSource(
        secret,
        role=role,
        auth_mount=_get(environ, "WORKSPACE_OTEL_VAULT_AUTH_MOUNT") or "jwt",
        jwt_source=jwt_source,
        address=_get(environ, "VAULT_ADDR"),
        namespace=_get(environ, "VAULT_NAMESPACE"),
        ca_cert=_get(environ, "VAULT_CACERT"),
        environ=given,
    )


def _aws(
    environ: Mapping[str, str], given: Mapping[str, str] | None, variable: str
) -> AwsSecretsManagerSource:
    secret_id = _get(environ, "WORKSPACE_OTEL_AWS_SECRET_ID")
    if secret_id is None:
        raise ConfigurationError(
            f"{variable}=aws-secretsmanager needs WORKSPACE_OTEL_AWS_SECRET_ID: set it to the "
            "secret's name or ARN"
        )
    role_arn = _get(environ, "WORKSPACE_OTEL_AWS_ROLE_ARN")
    identity = None
    if role_arn is not None:
        identity = _identity_for(
            environ, given, "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE", "WORKSPACE_OTEL_AWS_ROLE_ARN"
        )
    from workspace_otel.credentials._aws_source import AwsSecretsManagerSource

    return AwsSecretsManagerSource(
        secret_id,
        field=_get(environ, "WORKSPACE_OTEL_AWS_SECRET_FIELD"),
        role_arn=role_arn,
        web_identity_source=identity,
        environ=environ,
    )


def _parse(
    value: str,
    environ: Mapping[str, str],
    given: Mapping[str, str] | None,
    variable: str,
    *,
    nested: bool,
) -> TokenSource | None:
    kind, sep, rest = value.partition(":")
    kind = kind.strip().lower()
    rest = rest.strip()
    if sep:
        if kind == "env":
            if not rest:
                raise ConfigurationError(
                    f"{variable}=env: needs a variable name, e.g. env:MY_TOKEN"
                )
            return EnvTokenSource(rest, environ=given)
        if kind == "file":
            if not rest:
                raise ConfigurationError(f"{variable}=file: needs a path, e.g. file:/run/token")
            from workspace_otel.credentials._file_source import FileTokenSource

            return FileTokenSource(rest)
        if kind == "command":
            if not rest:
                raise ConfigurationError(
                    f"{variable}=command: needs a command line, "
                    "e.g. command:vault read -field=token secret/otel"
                )
            try:
                from workspace_otel.credentials._command_source import CommandTokenSource

                return CommandTokenSource(rest)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{variable}: {exc}") from None
    elif nested and kind in _NOT_NESTED:
        raise ConfigurationError(
            f"{variable} cannot be {kind}: set it to the source of the identity token, "
            "e.g. gitpod, github-actions, env:NAME, file:PATH or command:CMDLINE"
        )
    elif kind == "auto":
        return _auto(environ, given)
    elif kind == "none":
        return None
    elif kind == "gitpod":
        from workspace_otel.credentials._gitpod_source import GitpodTokenSource

        return GitpodTokenSource(_audience(environ, kind, variable), environ=given)
    elif kind == "github-actions":
        from workspace_otel.credentials._github_actions_source import GitHubActionsTokenSource

        return GitHubActionsTokenSource(_audience(environ, kind, variable), environ=given)
    elif kind == "gce-metadata":
        from workspace_otel.credentials._gce_metadata_source import GceMetadataTokenSource

        return GceMetadataTokenSource(_audience(environ, kind, variable), environ=given)
    elif kind == "oauth2":
        return _oauth2(environ, variable, given)
    elif kind == "vault":
        return _vault(environ, given, variable)
    elif kind == "aws-secretsmanager":
        return _aws(environ, given, variable)
    # The value itself is not echoed: a token pasted here by mistake must not leak.
    raise ConfigurationError(f"{variable} has an unrecognised value: set it to one of {_ACCEPTED}")


def token_source_from_env(environ: Mapping[str, str] | None = None) -> TokenSource | None:
    """Return the token source configured by ``WORKSPACE_OTEL_TOKEN_SOURCE``.

    ``auto`` (the default) picks, in order: ``WORKSPACE_OTEL_TOKEN`` when set;
    with ``WORKSPACE_OTEL_TOKEN_AUDIENCE`` set, the Gitpod / Ona identity token
    inside a Gitpod or Ona workspace, or the GitHub Actions OIDC token when the
    job may request one; OAuth2 when ``WORKSPACE_OTEL_OAUTH2_TOKEN_URL`` is set;
    otherwise ``None`` (no authentication). ``gce-metadata``, ``vault`` and
    ``aws-secretsmanager`` are never chosen by ``auto``: they are named.
    Building a source does no I/O and imports no client library (hvac and
    botocore load at the first fetch).

    Args:
        environ: the variables to read; ``os.environ`` when ``None``. Sources
            built from ``os.environ`` keep reading it live at each fetch.

    Raises:
        ConfigurationError: an unknown value, a missing required companion
            variable (audience, token URL), or an invalid nested subject source;
            the message names the variable and the fix, never a secret.
    """
    env = os.environ if environ is None else environ
    value = _get(env, SOURCE_VARIABLE) or "auto"
    return _parse(value, env, environ, SOURCE_VARIABLE, nested=False)


class EnvTokenSource:
    """Reads the token from an environment variable (``env:NAME``).

    The variable is read again at every fetch, so a value changed in-process
    (``os.environ[...] = ...``) is picked up at the next revalidation (every
    :attr:`revalidate_interval` seconds, or at once after a 401). A JWT's
    ``exp`` claim, when present, gives the expiry; otherwise the token has none.

    Under ``WORKSPACE_OTEL_TOKEN_SOURCE=auto`` this source reads
    ``WORKSPACE_OTEL_TOKEN``. GitLab CI ``id_tokens`` are used the same way:
    ``WORKSPACE_OTEL_TOKEN_SOURCE=env:MY_ID_TOKEN``.

    Args:
        name: the variable to read (default ``WORKSPACE_OTEL_TOKEN``).
        environ: the mapping to read; ``os.environ`` (live) when ``None``.
        revalidate_interval: seconds between re-reads of a token without expiry.
    """

    kind = "env"
    mints_fresh_tokens = False

    def __init__(
        self,
        name: str = "WORKSPACE_OTEL_TOKEN",
        *,
        environ: Mapping[str, str] | None = None,
        revalidate_interval: float = 5.0,
    ) -> None:
        if not name or "=" in name or "\0" in name:
            raise ConfigurationError(
                "EnvTokenSource needs an environment variable name, e.g. env:MY_TOKEN"
            )
        self.name = name
        # os.environ itself counts as "live environment": same cache as the zero-arg path.
        self._environ = None if environ is os.environ else environ
        self.revalidate_interval = check_interval(
            revalidate_interval, "EnvTokenSource(revalidate_interval=...)"
        )

    @property
    def cache_key(self) -> Hashable:
        """``("env", name, mapping identity or None)``.

        The revalidation interval is added by the shared-cache registry, as
        for every source.
        """
        return ("env", self.name, None if self._environ is None else id(self._environ))

    def fetch(self) -> Token:
        """Return the variable's current value as a token.

        Raises:
            TokenError: unset or empty (``needs_user``), or not a valid token.
        """
        environ = os.environ if self._environ is None else self._environ
        raw = environ.get(self.name, "")
        if not raw.strip():
            raise TokenError(
                f"the environment variable {self.name} is unset or empty: "
                "set it to the token, or choose another WORKSPACE_OTEL_TOKEN_SOURCE",
                needs_user=True,
            )
        # The token module is loaded by the first fetch, not by every start.
        from workspace_otel.credentials._token import Token

        try:
            return Token.from_value(raw, kind=self.kind)
        except TokenError as exc:
            raise TokenError(f"{self.name}: {exc}", needs_user=True) from None

    def describe(self) -> str:
        """Return ``env:NAME``."""
        return f"env:{self.name}"

    def __repr__(self) -> str:
        return f"EnvTokenSource(name={self.name!r})"

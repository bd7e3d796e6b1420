"""The ``aws-secretsmanager`` source: a secret (or one JSON field of it) from AWS Secrets Manager.

The client is botocore (``pip install 'workspace-otel[aws]'``), imported on
the first fetch. Each fetch runs on the cache's background thread:

1. credentials: with a role ARN, STS ``AssumeRoleWithWebIdentity`` with the
   workspace identity token (the call is unsigned; the temporary credentials
   are kept and assumed again once half their lifetime has gone); without
   one, botocore's standard chain (environment, shared files, SSO, web
   identity file, container and instance metadata), refreshed by botocore;
2. ``GetSecretValue`` of the ``AWSCURRENT`` stage; the whole secret string,
   or one field when ``WORKSPACE_OTEL_AWS_SECRET_FIELD`` names a key of the
   JSON object it holds.

A rotation is picked up within ``revalidate_interval`` (default 60 s), and at
once after the collector answers 401 (the cache's invalidate path forces a
fetch). Errors that need the user (no such secret, access denied, a role
that does not trust the identity token, no credentials, no region) are
raised as ``TokenError(needs_user=True)`` with the fix; throttling, timeouts
and an unreachable endpoint are retried with backoff by the cache.

``AWS_REGION`` and ``AWS_DEFAULT_REGION`` are both honoured (in that order);
``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` and
``AWS_ENDPOINT_URL_STS`` are honoured by botocore itself, and checked here
against the egress rule (the session token travels in a header).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime, timezone
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from workspace_otel._guards import egress, redaction
from workspace_otel.credentials import _jwt
from workspace_otel.credentials._aws_answers import STALE_CREDENTIAL_CODES, client_error, error_code
from workspace_otel.credentials._secret_store_source import (
    SecretStoreSource,
    check_endpoint,
    store_message,
    string_field,
    token_of,
)
from workspace_otel.credentials._secret_store_support import SecretStatus
from workspace_otel.credentials._source import TokenSource
from workspace_otel.credentials._token import Token
from workspace_otel.errors import ConfigurationError, TokenError

__all__ = ["AwsSecretsManagerSource"]

SESSION_NAME = "workspace-otel"
_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL",
)


def _proxied(url: str, environ: Mapping[str, str]) -> bool:
    """Return whether botocore would send a request to ``url`` through a proxy."""
    proxies = {
        name[: -len("_proxy")].lower(): value
        for name, value in environ.items()
        if name.lower().endswith("_proxy") and value
    }
    parts = urlsplit(url)
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    import urllib.request  # here: it costs a start that configures no proxy

    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    return not bypass(parts.hostname or "", proxies)


class AwsSecretsManagerSource(SecretStoreSource):
    """Reads a secret from AWS Secrets Manager (``aws-secretsmanager``).

    Args:
        secret_id: the secret's name or ARN (``WORKSPACE_OTEL_AWS_SECRET_ID``).
        field: the key to read when the secret string is a JSON object
            (``WORKSPACE_OTEL_AWS_SECRET_FIELD``); ``None`` reads the whole string.
        role_arn: the role to assume with the identity token
            (``WORKSPACE_OTEL_AWS_ROLE_ARN``); ``None`` uses the standard chain.
        web_identity_source: where the identity token comes from
            (``WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE``; default: the
            workspace's OIDC identity token). Required with ``role_arn``.
        region: the region (``AWS_REGION``, else ``AWS_DEFAULT_REGION``; else
            botocore's own configuration).
        revalidate_interval: seconds between reads of the secret (a rotation
            is picked up within it); default 60.
        timeout: connect and read timeout of each AWS call; default 10.
        environ: the variables checked for endpoints and proxies;
            ``os.environ`` when ``None``.
        monotonic: clock for credential lifetimes (tests inject one).

    Raises:
        ConfigurationError: an empty secret id, a role without an identity
            source, or an endpoint variable that breaks the egress rule.
    """

    kind = "aws-secretsmanager"
    client_module = "botocore.session"
    extra = "aws"

    def __init__(
        self,
        secret_id: str,
        *,
        field: str | None = None,
        role_arn: str | None = None,
        web_identity_source: TokenSource | None = None,
        region: str | None = None,
        revalidate_interval: float = 60.0,
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret_id or not secret_id.strip():
            raise ConfigurationError(
                "WORKSPACE_OTEL_TOKEN_SOURCE=aws-secretsmanager needs "
                "WORKSPACE_OTEL_AWS_SECRET_ID (the secret's name or ARN)"
            )
        self.secret_id = secret_id.strip()
        self.field = field.strip() if field and field.strip() else None
        self.role_arn = role_arn.strip() if role_arn and role_arn.strip() else None
        if self.role_arn is not None and web_identity_source is None:
            raise ConfigurationError(
                "WORKSPACE_OTEL_AWS_ROLE_ARN needs an identity token: set "
                "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE (e.g. gitpod, github-actions, file:PATH)"
            )
        self.web_identity_source = web_identity_source if self.role_arn else None
        super().__init__(
            revalidate_interval=revalidate_interval,
            timeout=timeout,
            environ=environ,
            monotonic=monotonic,
        )
        env = self.environ
        self.region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
        for name in _ENDPOINT_VARIABLES:
            url = env.get(name, "").strip()
            if url:
                check_endpoint(name, url, "AWS credentials", proxied=_proxied(url, env))
        self._session: Any = None
        self.assumptions = 0

    def _forget_connections(self) -> None:
        # Fresh session and connections in the child; credentials are
        # obtained again on its first fetch.
        self._session = None
        self._client = None
        self._lease.clear()

    # -- what the cache reads ---------------------------------------------

    @property
    def cache_key(self) -> Hashable:
        """Secret, field, region, role: equal configurations share one cache."""
        return (
            "aws-secretsmanager",
            self.secret_id,
            self.field,
            self.region,
            self.role_arn,
            None if self.web_identity_source is None else self.web_identity_source.cache_key,
            None if self._environ is None else id(self._environ),
        )

    def describe(self) -> str:
        """Return e.g. ``aws-secretsmanager otel/lightstep#token in eu-west-1 (role ARN)``."""
        how = f"role {self.role_arn}" if self.role_arn else "AWS credential chain"
        field = f"#{self.field}" if self.field else ""
        return f"aws-secretsmanager {self.secret_id}{field} in {self.region or '?'} ({how})"

    def __repr__(self) -> str:
        return (
            f"AwsSecretsManagerSource(secret_id={self.secret_id!r}, field={self.field!r}, "
            f"region={self.region!r}, role_arn={self.role_arn!r})"
        )

    # -- fetching -----------------------------------------------------------

    def _fetch_with(self, botocore_session: ModuleType) -> Token:
        """Get credentials when due, then the ``AWSCURRENT`` value of the secret."""
        import botocore.exceptions as errors

        try:
            try:
                answer = self._client_now().get_secret_value(
                    SecretId=self.secret_id, VersionStage="AWSCURRENT"
                )
            except errors.ClientError as exc:
                if self.role_arn is None or error_code(exc) not in STALE_CREDENTIAL_CODES:
                    raise
                self._client = None  # the assumed credentials went stale: assume again
                answer = self._client_now().get_secret_value(
                    SecretId=self.secret_id, VersionStage="AWSCURRENT"
                )
        except errors.ClientError as exc:
            raise client_error(
                exc, "GetSecretValue", secret_id=self.secret_id, role_arn=self.role_arn
            ) from None
        except errors.NoRegionError:
            raise TokenError(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) to the secret's region",
                needs_user=True,
            ) from None
        except (errors.NoCredentialsError, errors.PartialCredentialsError):
            raise TokenError(
                "no AWS credentials: set WORKSPACE_OTEL_AWS_ROLE_ARN to assume a role with the "
                "workspace identity token, or configure the standard AWS credential chain",
                needs_user=True,
            ) from None
        except errors.BotoCoreError as exc:
            raise TokenError(
                f"AWS Secrets Manager call failed ({type(exc).__name__}: {store_message(str(exc))})"
            ) from None
        return self._token_from(answer)

    def _unreadable(self, exc: Exception) -> str:
        # An answer botocore could not parse (a captive portal, a proxy's error page).
        return (
            f"AWS answered something botocore could not read ({type(exc).__name__}); "
            "check AWS_REGION / AWS_ENDPOINT_URL"
        )

    def _client_now(self) -> Any:
        if self._client is not None and self._lease.renewal_due(self._monotonic()):
            self._client = None
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _config(self, **extra: Any) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            retries={"max_attempts": 2, "mode": "standard"},
            user_agent_extra="workspace-otel",
            **extra,
        )

    def _egress_checked(self, client: Any) -> Any:
        """Return ``client`` if the egress rule lets credentials go to its endpoint.

        The endpoint variables are checked up front; this also covers an
        endpoint botocore found elsewhere (``endpoint_url`` in the AWS config
        file), before any request carries a key, a session token or a JWT.
        """
        url = str(client.meta.endpoint_url)
        verdict = egress.check(url, proxied=_proxied(url, self.environ))
        if not verdict:
            raise TokenError(
                egress.refusal_message(url, verdict.reason, what="AWS credentials"),
                needs_user=True,
            )
        return client

    def _new_client(self) -> Any:
        import botocore.session

        if self._session is None:
            self._session = botocore.session.Session()
        session = self._session
        if self.role_arn is None:
            client = self._egress_checked(
                session.create_client(
                    "secretsmanager", region_name=self.region, config=self._config()
                )
            )
            self._identity = self._caller_identity(session)
            return client
        keys = self._assume_role(session)
        return self._egress_checked(
            session.create_client(
                "secretsmanager",
                region_name=self.region,
                config=self._config(),
                aws_access_key_id=keys["AccessKeyId"],
                aws_secret_access_key=keys["SecretAccessKey"],
                aws_session_token=keys["SessionToken"],
            )
        )

    def _caller_identity(self, session: Any) -> str:
        import botocore.exceptions as errors

        try:
            sts = self._egress_checked(
                session.create_client("sts", region_name=self.region, config=self._config())
            )
            arn = sts.get_caller_identity().get("Arn")
        except (errors.BotoCoreError, errors.ClientError):
            return "AWS credential chain (caller identity unknown)"
        return f"{arn} (AWS credential chain)"

    def _assume_role(self, session: Any) -> Mapping[str, Any]:
        import botocore
        import botocore.exceptions as errors

        assert self.web_identity_source is not None
        jwt = self.web_identity_source.fetch().value
        redaction.register_secret(jwt)
        sts = self._egress_checked(
            session.create_client(
                "sts",
                region_name=self.region,
                config=self._config(signature_version=botocore.UNSIGNED),
            )
        )
        try:
            answer = sts.assume_role_with_web_identity(
                RoleArn=self.role_arn, RoleSessionName=SESSION_NAME, WebIdentityToken=jwt
            )
        except errors.ClientError as exc:
            raise client_error(
                exc,
                "AssumeRoleWithWebIdentity",
                secret_id=self.secret_id,
                role_arn=self.role_arn,
            ) from None
        keys = answer.get("Credentials") or {}
        for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            value = keys.get(name)
            if not isinstance(value, str) or not value:
                raise TokenError(f"STS AssumeRoleWithWebIdentity returned no {name}")
            redaction.register_secret(value)
        expiration = keys.get("Expiration")
        lifetime = None
        if isinstance(expiration, datetime):
            lifetime = expiration.timestamp() - time.time()
        self._lease.start(lifetime, self._monotonic())
        self.assumptions += 1
        claims = _jwt.decode_claims(jwt) or {}
        user = (answer.get("AssumedRoleUser") or {}).get("Arn") or self.role_arn
        self._identity = f"{user} (web identity sub={_jwt.string_claim(claims, 'sub') or '?'})"
        return keys

    def _token_from(self, answer: Mapping[str, Any]) -> Token:
        text = answer.get("SecretString")
        if text is None and isinstance(answer.get("SecretBinary"), (bytes, bytearray)):
            try:
                text = bytes(answer["SecretBinary"]).decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if not isinstance(text, str):
            raise TokenError(f"the secret {self.secret_id} has no text value", needs_user=True)
        redaction.register_secret(text)
        value = text
        if self.field is not None:
            try:
                document = json.loads(text)
            except ValueError:
                document = None
            if not isinstance(document, dict):
                raise TokenError(
                    f"the secret {self.secret_id} is not a JSON object, so it has no field "
                    f"{self.field!r}: unset WORKSPACE_OTEL_AWS_SECRET_FIELD to use the whole "
                    "string",
                    needs_user=True,
                )
            value = string_field(
                document,
                self.field,
                f"the secret {self.secret_id}",
                "fix WORKSPACE_OTEL_AWS_SECRET_FIELD",
            )
        token = token_of(value, self.kind, f"the secret {self.secret_id}")
        created = answer.get("CreatedDate")
        self.status = SecretStatus(
            store=self.kind,
            identity=self._identity,
            login=f"assumed role {self.role_arn}" if self.role_arn else "AWS credential chain",
            location=(
                f"{self.secret_id}{'#' + self.field if self.field else ''} in "
                f"{self.region or '?'} (AWSCURRENT)"
            ),
            version=str(answer.get("VersionId") or "?"),
            created=created.astimezone(timezone.utc) if isinstance(created, datetime) else None,
        )
        return token

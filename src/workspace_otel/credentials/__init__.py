"""Short-lived tokens for OTLP export, refreshed in the background and shared.

A *token source* fetches a token (:class:`EnvTokenSource`,
:class:`FileTokenSource`, :class:`CommandTokenSource`,
:class:`GitpodTokenSource`, :class:`GitHubActionsTokenSource`,
:class:`OAuth2ClientCredentialsSource`, :class:`GceMetadataTokenSource`, and the
secret stores :class:`VaultSecretSource` and :class:`AwsSecretsManagerSource`);
:func:`shared_cache` gives the one :class:`RefreshingTokenCache` per source
configuration per process, which refreshes ahead of expiry and which every
exporter and thread shares; :class:`BearerAuth` / :func:`http_session` and
:class:`TokenMetadataPlugin` / :func:`grpc_credentials` attach the token to
OTLP/HTTP and OTLP/gRPC requests. :func:`token_source_from_env` reads
``WORKSPACE_OTEL_TOKEN_SOURCE`` (``auto`` by default).

With no code change::

    OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER=workspace_otel_http
    OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER=workspace_otel_grpc

Exporter behaviour to know about (opentelemetry-exporter-otlp 1.37+):

* **Insecure gRPC endpoints skip credential providers.** The gRPC exporter
  calls the provider only for a secure channel: an ``http://`` endpoint or
  ``OTEL_EXPORTER_OTLP_INSECURE=true`` sends no token at all. Use
  ``https://`` (the provider also applies ``OTEL_EXPORTER_OTLP_CERTIFICATE``,
  which the exporter stops applying once a provider is set).
* **The per-signal gRPC variable needs a per-signal certificate.**
  ``OTEL_PYTHON_EXPORTER_OTLP_GRPC_TRACES_CREDENTIAL_PROVIDER`` is read only
  when ``OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`` is set; prefer the generic
  ``OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER``.
* **Over HTTP the generic variable wins over the signal one.**
  ``OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER`` beats
  ``OTEL_PYTHON_EXPORTER_OTLP_HTTP_TRACES_CREDENTIAL_PROVIDER`` (the reverse
  of the usual OTel precedence).
* **A static header in ``OTEL_EXPORTER_OTLP_HEADERS`` collides with the
  token.** Over HTTP our ``requests`` auth replaces it; over gRPC both values
  are sent, the static one first, and the Collector's ``oidc`` authenticator
  reads the first. A warning is logged once when this is configured; remove
  the static header.
* **401 and UNAUTHENTICATED are not retried by the exporters.** Over HTTP a
  401 for the current token triggers one refresh and one re-send inside the
  same export. gRPC cannot observe the status from call credentials, so only
  proactive refresh applies there.
* **No usable token means "try later".** HTTP raises
  :class:`TokenUnavailableError` (a ``requests`` ``ConnectionError``) and
  gRPC fails the metadata callback (``UNAVAILABLE``): both exporters retry
  with backoff instead of sending a token that would be refused.

The secret stores need ``pip install 'workspace-otel[vault]'`` (hvac) or
``pip install 'workspace-otel[aws]'`` (botocore), imported at the first fetch.

Importing this package imports neither ``requests`` nor ``grpc``; they load
when the HTTP or gRPC names are first used. The gRPC pieces need
``pip install 'workspace-otel[grpc]'``.

Secrets never appear in ``repr()``, ``str()``, log lines or exception
messages: tokens are shown as issuer / subject / expiry or as a
``sha256:xxxxxxxx`` fingerprint.
"""

from __future__ import annotations

from workspace_otel import _lazy_names

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__

if TYPE_CHECKING:
    from workspace_otel.credentials._aws_source import AwsSecretsManagerSource
    from workspace_otel.credentials._cache import RefreshingTokenCache, shared_cache
    from workspace_otel.credentials._command_source import CommandTokenSource
    from workspace_otel.credentials._file_source import FileTokenSource
    from workspace_otel.credentials._from_env import EnvTokenSource, token_source_from_env
    from workspace_otel.credentials._gce_metadata_source import GceMetadataTokenSource
    from workspace_otel.credentials._github_actions_source import GitHubActionsTokenSource
    from workspace_otel.credentials._gitpod_source import GitpodTokenSource
    from workspace_otel.credentials._grpc import TokenMetadataPlugin, grpc_credentials
    from workspace_otel.credentials._http import BearerAuth, TokenUnavailableError, http_session
    from workspace_otel.credentials._oauth2_source import OAuth2ClientCredentialsSource
    from workspace_otel.credentials._source import TokenSource
    from workspace_otel.credentials._token import Token
    from workspace_otel.credentials._vault_source import VaultSecretSource

__all__ = [
    "AwsSecretsManagerSource",
    "BearerAuth",
    "CommandTokenSource",
    "EnvTokenSource",
    "FileTokenSource",
    "GceMetadataTokenSource",
    "GitHubActionsTokenSource",
    "GitpodTokenSource",
    "OAuth2ClientCredentialsSource",
    "RefreshingTokenCache",
    "Token",
    "TokenMetadataPlugin",
    "TokenSource",
    "TokenUnavailableError",
    "VaultSecretSource",
    "grpc_credentials",
    "http_session",
    "shared_cache",
    "token_source_from_env",
]

# Every name is imported on first use, so a process that only needs one token
# source (configure() with a static token) loads that source's module alone.
_LAZY = {
    "AwsSecretsManagerSource": "workspace_otel.credentials._aws_source",
    "BearerAuth": "workspace_otel.credentials._http",
    "CommandTokenSource": "workspace_otel.credentials._command_source",
    "EnvTokenSource": "workspace_otel.credentials._from_env",
    "FileTokenSource": "workspace_otel.credentials._file_source",
    "GceMetadataTokenSource": "workspace_otel.credentials._gce_metadata_source",
    "GitHubActionsTokenSource": "workspace_otel.credentials._github_actions_source",
    "GitpodTokenSource": "workspace_otel.credentials._gitpod_source",
    "OAuth2ClientCredentialsSource": "workspace_otel.credentials._oauth2_source",
    "RefreshingTokenCache": "workspace_otel.credentials._cache",
    "Token": "workspace_otel.credentials._token",
    "TokenMetadataPlugin": "workspace_otel.credentials._grpc",
    "TokenSource": "workspace_otel.credentials._source",
    "TokenUnavailableError": "workspace_otel.credentials._http",
    "VaultSecretSource": "workspace_otel.credentials._vault_source",
    "grpc_credentials": "workspace_otel.credentials._grpc",
    "http_session": "workspace_otel.credentials._http",
    "shared_cache": "workspace_otel.credentials._cache",
    "token_source_from_env": "workspace_otel.credentials._from_env",
}
_EXTRA_HINT = {
    "workspace_otel.credentials._http": "requests (pip install workspace-otel)",
    "workspace_otel.credentials._grpc": "grpcio: pip install 'workspace-otel[grpc]'",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, _EXTRA_HINT)

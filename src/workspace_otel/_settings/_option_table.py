"""The one table of every option: argument, variables, parser, default, secret, doc.

Each :class:`Option` row is the single home of its facts. From this table come
option resolution (:func:`workspace_otel._settings._options.resolve`), the provenance
and labels of ``Settings.describe()``, the known ``WORKSPACE_OTEL_*`` names
(``_env.VARIABLES``, unknown-variable warnings) and the documentation's
configuration tables. Rows marked ``setting`` are attributes of ``Settings``;
the others are read by the module that uses them (detectors, token sources).

This module and its parsers import neither ``typing`` nor ``dataclasses``:
``_env`` reads the table on the shell-start path of ``workspace-otel env``,
which must stay that lean, so :class:`Option` is a plain class. The module's
length is the table itself, one row per option: splitting it would give the
options two homes.
"""

from __future__ import annotations

from collections.abc import Mapping

from workspace_otel._settings import _option_parsers as p
from workspace_otel._settings import _token_config

TYPE_CHECKING = False  # typing is not imported at run time (see the module docstring)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BACKENDS", "OPTION", "OPTIONS", "PREFIX", "REGIONS", "Option"]

PREFIX = "WORKSPACE_OTEL_"
BACKENDS = _token_config.BACKENDS  # the token path's rules own the backend names
REGIONS = ("us", "eu")
_SIGNAL_WORD = "{SIGNAL}"
_SOURCE_SPECS = (
    "auto, none, env:NAME, file:PATH, command:CMDLINE, gitpod, github-actions, oauth2,"
    " gce-metadata, vault, aws-secretsmanager"
)


class Option:
    """One option: where it is read from, how it is parsed, what it defaults to.

    Attributes:
        key: the ``Settings`` attribute (``setting`` rows) or a short name.
        doc: one line for the documentation and ``doctor``.
        variables: the environment variables, first one wins; ``{SIGNAL}``
            stands for ``TRACES``, ``METRICS`` or ``LOGS`` in per-signal rows.
        argument: the configure() keyword argument, if any (``{signal}`` in
            per-signal rows).
        default: the value used when nothing is set, as it would be written
            in the variable (``None``: no default).
        default_doc: how the documentation states the default when it is not
            a plain value.
        secret: the value is never shown.
        parse: ``(value, where) -> typed value``; ``None`` keeps the text.
        setting: an attribute of ``Settings``, resolved by ``resolve()``.
        names_token_source: the value is a token-source spec (``env:NAME``
            names another variable, which is then not a typo).
        label: the name ``Settings.describe()`` shows, when not ``key``.
    """

    __slots__ = (
        "argument",
        "default",
        "default_doc",
        "doc",
        "key",
        "label",
        "names_token_source",
        "parse",
        "secret",
        "setting",
        "variables",
    )

    def __init__(
        self,
        key: str,
        doc: str,
        variables: tuple[str, ...] = (),
        *,
        argument: str | None = None,
        default: str | None = None,
        default_doc: str | None = None,
        secret: bool = False,
        parse: p.Parser | None = None,
        setting: bool = False,
        names_token_source: bool = False,
        label: str | None = None,
    ) -> None:
        self.key = key
        self.doc = doc
        self.variables = variables
        self.argument = argument
        self.default = default
        self.default_doc = default_doc
        self.secret = secret
        self.parse = parse
        self.setting = setting
        self.names_token_source = names_token_source
        self.label = label

    def __repr__(self) -> str:
        return f"Option({self.key!r}, variables={self.variables!r}, argument={self.argument!r})"

    @property
    def per_signal(self) -> bool:
        """Whether the row stands for one option per signal."""
        return any(_SIGNAL_WORD in v for v in self.variables)

    def variables_for(self, signal: str | None = None) -> tuple[str, ...]:
        """Return the variables, with ``{SIGNAL}`` filled in for ``signal``."""
        if signal is None:
            return self.variables
        return tuple(v.replace(_SIGNAL_WORD, signal.upper()) for v in self.variables)


def _o(key: str, doc: str, *variables: str, **fields: Any) -> Option:
    return Option(key, doc, variables, **fields)


OPTIONS: tuple[Option, ...] = (
    # --- configure() options (attributes of Settings), in describe() order ---
    _o(
        "disabled",
        "true turns configure() into a no-op",
        "OTEL_SDK_DISABLED",
        default="false",
        parse=p.true_false,
        setting=True,
        label="sdk_disabled",
    ),
    _o(
        "backend",
        "otlp, lightstep or console",
        "WORKSPACE_OTEL_BACKEND",
        argument="backend",
        default="otlp",
        parse=p.choice(*BACKENDS),
        setting=True,
    ),
    _o(
        "lightstep_region",
        "us or eu: which Lightstep ingest to use",
        "WORKSPACE_OTEL_LIGHTSTEP_REGION",
        default="us",
        parse=p.choice(*REGIONS),
        setting=True,
    ),
    _o(
        "service_name",
        "service.name of every signal",
        "OTEL_SERVICE_NAME",
        argument="service_name",
        default_doc="repository name, else program name (never unknown_service)",
        setting=True,
    ),
    _o(
        "resource_attributes",
        "attributes added to the detected resource (they win over it)",
        argument="resource_attributes",
        default_doc="none",
        setting=True,
    ),
    _o(
        "env_resource_attributes",
        "the user's key=value,... attributes, between detectors and resource_attributes",
        "OTEL_RESOURCE_ATTRIBUTES",
        default_doc="none",
        setting=True,
        label="OTEL_RESOURCE_ATTRIBUTES",
    ),
    _o(
        "detectors",
        "resource detectors (objects or entry-point names); OTEL_EXPERIMENTAL_RESOURCE_DETECTORS"
        " adds to workspace",
        argument="detectors",
        default_doc="workspace",
        setting=True,
    ),
    _o(
        "credentials",
        _SOURCE_SPECS,
        "WORKSPACE_OTEL_TOKEN_SOURCE",
        argument="credentials",
        default="auto",
        setting=True,
        names_token_source=True,
    ),
    _o(
        "token_header",
        "header carrying the token; authorization sends 'Bearer <token>', others the raw token",
        "WORKSPACE_OTEL_TOKEN_HEADER",
        argument="token_header",
        default="authorization",
        default_doc="authorization (lightstep-access-token with the Lightstep backend)",
        parse=p.header_name,
        setting=True,
    ),
    _o(
        "exporters",
        "exporters of the signal (otlp, console, none or an installed exporter)",
        "OTEL_{SIGNAL}_EXPORTER",
        argument="{signal}",
        default_doc="otlp for traces and metrics, off for logs",
        setting=True,
    ),
    _o(
        "protocol",
        "OTLP protocol: http/protobuf or grpc (grpc needs the grpc extra)",
        "OTEL_EXPORTER_OTLP_{SIGNAL}_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        argument="protocol",
        default="http/protobuf",
        parse=p.protocol,
        setting=True,
    ),
    _o(
        "endpoint",
        "OTLP endpoint; the generic one gets /v1/<signal> appended over HTTP",
        "OTEL_EXPORTER_OTLP_{SIGNAL}_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        argument="endpoint",
        default_doc="backend preset, else console output and one hint line",
        setting=True,
    ),
    _o(
        "sampler",
        "trace sampler (OTEL_TRACES_SAMPLER_ARG gives the ratio)",
        "OTEL_TRACES_SAMPLER",
        argument="sampler",
        default="parentbased_always_on",
        setting=True,
    ),
    _o(
        "propagators",
        "context propagators (applied by the API when it is imported)",
        "OTEL_PROPAGATORS",
        argument="propagators",
        default="tracecontext,baggage",
        setting=True,
    ),
    _o(
        "set_global",
        "install the providers globally (one someone else installed is never replaced)",
        argument="set_global",
        default="true",
        parse=p.on_off,
        setting=True,
    ),
    _o(
        "trace_url",
        "link template with {trace_id}, printed for each root span by the console exporter",
        "WORKSPACE_OTEL_TRACE_URL",
        setting=True,
    ),
    _o(
        "flush_timeout",
        "seconds allowed to flush telemetry at exit and on SIGTERM",
        "WORKSPACE_OTEL_FLUSH_TIMEOUT",
        argument="flush_timeout",
        default="5",
        parse=p.seconds,
        setting=True,
    ),
    # --- token sources (read by workspace_otel.credentials) ---
    _o("token", "static token used by the auto source", "WORKSPACE_OTEL_TOKEN", secret=True),
    _o(
        "token_audience",
        "audience of workspace / CI OIDC identity tokens",
        "WORKSPACE_OTEL_TOKEN_AUDIENCE",
    ),
    _o("oauth2_token_url", "OAuth2 token endpoint (https)", "WORKSPACE_OTEL_OAUTH2_TOKEN_URL"),
    _o("oauth2_client_id", "OAuth2 client id", "WORKSPACE_OTEL_OAUTH2_CLIENT_ID"),
    _o(
        "oauth2_client_secret",
        "OAuth2 client secret",
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET",
        secret=True,
    ),
    _o(
        "oauth2_client_secret_file",
        "file holding the OAuth2 client secret (re-read at each fetch)",
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE",
    ),
    _o(
        "oauth2_scopes",
        "space- or comma-separated OAuth2 scopes",
        "WORKSPACE_OTEL_OAUTH2_SCOPES",
    ),
    _o(
        "oauth2_audience",
        "audience / resource asked of the token server",
        "WORKSPACE_OTEL_OAUTH2_AUDIENCE",
    ),
    _o(
        "oauth2_timeout",
        "seconds allowed for one request to the OAuth2 token endpoint",
        "WORKSPACE_OTEL_OAUTH2_TIMEOUT",
        default="10",
    ),
    _o(
        "oauth2_subject_token_source",
        "token source whose token is exchanged (RFC 8693) by the oauth2 source",
        "WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE",
        names_token_source=True,
    ),
    _o(
        "vault_secret",
        "vault source: MOUNT/PATH#FIELD of a KV v2 secret, e.g. secret/otel/lightstep#access_token",
        "WORKSPACE_OTEL_VAULT_SECRET",
    ),
    _o(
        "vault_role",
        "vault source: JWT auth role to log in with (else VAULT_TOKEN / ~/.vault-token)",
        "WORKSPACE_OTEL_VAULT_ROLE",
    ),
    _o(
        "vault_auth_mount",
        "vault source: mount of the JWT auth method",
        "WORKSPACE_OTEL_VAULT_AUTH_MOUNT",
        default="jwt",
    ),
    _o(
        "vault_jwt_source",
        "vault source: token source of the login JWT (default: the workspace identity token)",
        "WORKSPACE_OTEL_VAULT_JWT_SOURCE",
        names_token_source=True,
    ),
    _o(
        "aws_secret_id",
        "aws-secretsmanager source: secret name or ARN",
        "WORKSPACE_OTEL_AWS_SECRET_ID",
    ),
    _o(
        "aws_secret_field",
        "aws-secretsmanager source: JSON key to read (default: the whole secret string)",
        "WORKSPACE_OTEL_AWS_SECRET_FIELD",
    ),
    _o(
        "aws_role_arn",
        "aws-secretsmanager source: role assumed with the identity token (else the AWS chain)",
        "WORKSPACE_OTEL_AWS_ROLE_ARN",
    ),
    _o(
        "aws_web_identity_source",
        "aws-secretsmanager source: token source of the web identity token (default: the"
        " workspace identity token)",
        "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE",
        names_token_source=True,
    ),
    # --- resource detection (read by workspace_otel.resources) ---
    _o(
        "identity",
        "login, full, hash or off",
        "WORKSPACE_OTEL_IDENTITY",
        default="login",
        parse=p.choice("login", "full", "hash", "off"),
    ),
    _o(
        "git",
        "on or off: read the local git repository",
        "WORKSPACE_OTEL_GIT",
        default="on",
        parse=p.on_off,
    ),
    _o(
        "git_dirty",
        "on or off: add workspace.git.dirty (runs git status)",
        "WORKSPACE_OTEL_GIT_DIRTY",
        default="off",
        parse=p.on_off,
    ),
    _o(
        "git_cache",
        "on or off: cache the git attributes between starts (owner-only file under XDG_CACHE_HOME)",
        "WORKSPACE_OTEL_GIT_CACHE",
        default="on",
        parse=p.on_off,
    ),
    _o(
        "actor",
        "on or off: add workspace.actor.* when an AI coding agent started the process",
        "WORKSPACE_OTEL_ACTOR",
        default="on",
        parse=p.on_off,
    ),
    _o(
        "platform_root",
        "directory under which platform files such as /workspaces/.codespaces are looked up",
        "WORKSPACE_OTEL_PLATFORM_ROOT",
        default="/",
    ),
    _o(
        "env_added",
        "set by `workspace-otel env`: the OTEL_RESOURCE_ATTRIBUTES entries it added (not yours)",
        "WORKSPACE_OTEL_ENV_ADDED",
    ),
    # --- context propagation (read by workspace_otel's baggage support) ---
    _o(
        "baggage",
        "comma list of resource attribute names sent as W3C baggage on outgoing requests",
        "WORKSPACE_OTEL_BAGGAGE",
    ),
    _o(
        "baggage_to_spans",
        "comma list of baggage keys or prefix* patterns copied from incoming baggage to spans",
        "WORKSPACE_OTEL_BAGGAGE_TO_SPANS",
    ),
)

OPTION: Mapping[str, Option] = {o.key: o for o in OPTIONS}

DEFAULTS: Mapping[str, str | None] = {
    name: option.default for option in OPTIONS for name in option.variables
}
"""Every variable the table names (``WORKSPACE_OTEL_*`` and ``OTEL_*``), with its default."""


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """Return the ``WORKSPACE_OTEL_*`` variables set but not read (likely typos), sorted."""
    return sorted(k for k in environ if k.startswith(PREFIX) and k not in DEFAULTS)

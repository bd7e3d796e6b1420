"""What to do when the endpoint refuses the credentials: one fix, from the facts at hand.

The advice reads the resolved settings (the export plan), the token check's
decoded claims (:mod:`workspace_otel.credentials._jwt`, unverified) and what
the server said; it never fetches anything, least of all a URL named by an
unverified ``iss`` claim.
"""

from __future__ import annotations

import re

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._export_plan import ExportPlan
from workspace_otel._guards.redaction import fingerprint
from workspace_otel.credentials._jwt import audiences as jwt_audiences
from workspace_otel.credentials._jwt import string_claim

__all__ = ["header_value", "rejection_fix", "sent_description", "shown", "source_suggestion"]

# The token source that fits each platform (sources that work anywhere come last).
_PLATFORM_SOURCES = {
    "gitpod": "the workspace identity token (WORKSPACE_OTEL_TOKEN_SOURCE=gitpod with "
    "WORKSPACE_OTEL_TOKEN_AUDIENCE)",
    "ona": "the workspace identity token (WORKSPACE_OTEL_TOKEN_SOURCE=gitpod with "
    "WORKSPACE_OTEL_TOKEN_AUDIENCE)",
    "github_actions": "the job's OIDC token (WORKSPACE_OTEL_TOKEN_SOURCE=github-actions with "
    "WORKSPACE_OTEL_TOKEN_AUDIENCE and `permissions: id-token: write`)",
}
_ANYWHERE = (
    "OAuth2 client credentials (WORKSPACE_OTEL_TOKEN_SOURCE=oauth2), or a backend key from a "
    "secret file (file:PATH) or a Codespaces / workspace secret (env:NAME)"
)


def source_suggestion(platform: str | None) -> str:
    """The telemetry-only token sources that work on ``platform`` (a detected platform name)."""
    fitting = _PLATFORM_SOURCES.get(platform or "")
    return f"{fitting}, {_ANYWHERE}" if fitting else _ANYWHERE


def header_value(header: str, token: str) -> str:
    """The header value the library sends for ``token`` (``Bearer`` only in ``authorization``)."""
    return f"Bearer {token}" if header == "authorization" else token


def shown(header: str, value: str) -> str:
    """A header value as the report shows it: the scheme, then a fingerprint."""
    scheme, _, rest = value.partition(" ")
    if header == "authorization" and rest:
        return f"{scheme} <{fingerprint(rest)}>"
    return f"<{fingerprint(value)}>"


def sent_description(ctx: Diagnosis, plan: ExportPlan, token_sent: bool) -> str:
    """Say which credential the probe carried (fingerprints only)."""
    header = plan.token_header
    if token_sent and ctx.token is not None:
        value = header_value(header, str(ctx.token.value))
        return f"sent header {header}: {shown(header, value)}"
    static = plan.headers.get(header)
    if static:
        return f"sent static header {header} from {plan.headers_source}"
    return f"no {header} header was sent"


def _source_name(ctx: Diagnosis) -> str:
    return ctx.environ.get("WORKSPACE_OTEL_TOKEN_SOURCE", "").strip() or "auto"


def _oidc_reason_fix(ctx: Diagnosis, server_said: str) -> str | None:
    """The fix for a refusal the Collector's ``oidc`` authenticator explained, if it did."""
    claims = ctx.token_claims or {}
    issuer = str(claims.get("iss") or "-")
    expected = re.search(r'expected audience \\?"([^"\\]+)\\?"', server_said)
    if expected:
        return (
            f"The gateway expects the audience {expected.group(1)}: set "
            f"WORKSPACE_OTEL_TOKEN_AUDIENCE={expected.group(1)}."
        )
    if "no OIDC provider configured for the issuer" in server_said or (
        "issued by a different provider" in server_said
    ):
        return (
            f"The gateway does not trust the issuer {issuer}: add it to the oidc "
            "authenticator's providers on the gateway, or use a token source whose issuer "
            "it lists (WORKSPACE_OTEL_TOKEN_SOURCE)."
        )
    if "signature" in server_said.lower() or "signing key" in server_said.lower():
        return (
            "The gateway could not verify the token's signature (the issuer's signing key "
            "may have been rotated): get a fresh token: restart the application, or replace "
            f"the stored token behind {_source_name(ctx)}."
        )
    if "token is expired" in server_said:
        return (
            "The token had expired when the gateway checked it (the gateway allows no clock "
            "leeway): sync this machine's clock with NTP, and use a refreshing token source."
        )
    return None


def rejection_fix(
    ctx: Diagnosis,
    plan: ExportPlan,
    token_sent: bool,
    *,
    grpc_insecure: bool,
    server_said: str = "",
) -> str:
    """The one fix for refused credentials, from the settings, the claims and the answer."""
    header = plan.token_header
    if grpc_insecure and ctx.token is not None:
        return (
            "Use an https:// (TLS) endpoint for gRPC so the token is sent, or set "
            f"{plan.protocol_switch('http/protobuf')}."
        )
    if ctx.token_source is None:
        static = plan.headers.get(header)
        if static:
            return (
                f"The static {header} in {plan.headers_source} is not accepted: replace "
                "it with a valid credential, or better, configure a token source "
                "(WORKSPACE_OTEL_TOKEN_SOURCE)."
            )
        return (
            "The endpoint requires credentials: configure a token source: "
            f"{source_suggestion(ctx.platform)}."
        )
    if not grpc_insecure and plan.protocol == "grpc" and header in plan.headers:
        return (
            f"Remove {header} from {plan.headers_source}: over gRPC that static value "
            "is sent first and the server judged it, not the token."
        )
    explained = _oidc_reason_fix(ctx, server_said) if token_sent else None
    if explained is not None:
        return explained
    claims = ctx.token_claims
    if not claims:
        if header == "authorization" and (
            plan.backend == "lightstep" or "lightstep" in (plan.traces_url or "")
        ):
            return (
                "Lightstep expects its key in lightstep-access-token: set "
                "WORKSPACE_OTEL_TOKEN_HEADER=lightstep-access-token."
            )
        return (
            f"The endpoint does not accept this token: put a valid key for it behind "
            f"WORKSPACE_OTEL_TOKEN_SOURCE, and check the header ({header}; set "
            "WORKSPACE_OTEL_TOKEN_HEADER if the backend expects another one)."
        )
    if ctx.clock_skew is not None and abs(ctx.clock_skew) > 300:
        return (
            "The clocks disagree (see check 4): sync this machine's clock with NTP "
            "(sudo timedatectl set-ntp true) so tokens are valid when they arrive."
        )
    # The token's claims are unverified: they name no URL the doctor would fetch.
    issuer = string_claim(claims, "iss") or ""
    audiences = ", ".join(jwt_audiences(claims))
    return (
        f"The collector does not accept this token's audience or issuer (aud={audiences or '-'}, "
        f"iss={issuer or '-'}): set WORKSPACE_OTEL_TOKEN_AUDIENCE to the audience the "
        "collector's oidc authenticator expects, and make sure it trusts this issuer."
    )

"""Check 4: the configured token source yields a usable token (shown, never the token)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from workspace_otel._doctor._context import PLATFORM_SECRET_VARIABLES, Diagnosis, iso
from workspace_otel._doctor._export_plan import explain_error
from workspace_otel._doctor._probes import call_with_timeout
from workspace_otel._doctor._rejection_advice import source_suggestion
from workspace_otel._doctor._report import Check, Finding, Verdict
from workspace_otel._guards.redaction import fingerprint, register_secret
from workspace_otel.credentials import _jwt
from workspace_otel.errors import ConfigurationError, TokenError

if TYPE_CHECKING:
    from workspace_otel.credentials import Token, TokenSource

__all__ = ["CODE_HOST_PREFIXES", "check_token"]

CODE_HOST_PREFIXES = ("ghp_", "ghu_", "gho_", "ghs_", "ghr_", "github_pat_", "glpat-")
_SKEW_WARN = 60.0
_SKEW_FAIL = 300.0  # the Collector's oidc authenticator allows 5 minutes on nbf
_CLOCK_FIX = (
    "Sync this machine's clock with NTP (sudo timedatectl set-ntp true, or restart a "
    "workspace that was suspended); if this clock is right, the token issuer's is wrong."
)


def _spec(ctx: Diagnosis) -> str:
    """``WORKSPACE_OTEL_TOKEN_SOURCE`` as shown: a command without its arguments.

    A ``command:`` source's arguments may carry a credential; like the source's
    ``describe()``, only the program's name is shown.
    """
    spec = ctx.environ.get("WORKSPACE_OTEL_TOKEN_SOURCE", "").strip() or "auto"
    if spec.lower().startswith("command:"):
        words = spec[len("command:") :].split()
        return f"command:{os.path.basename(words[0])}" if words else "command:"
    return spec


def _token_home(ctx: Diagnosis) -> str:
    """Where a static token lives, in the user's words."""
    spec = _spec(ctx)
    if spec.lower() == "auto" and ctx.environ.get("WORKSPACE_OTEL_TOKEN", "").strip():
        return "WORKSPACE_OTEL_TOKEN"
    if spec.lower().startswith("env:"):
        return spec[4:].strip()
    if spec.lower().startswith("file:"):
        return f"the file {spec[5:].strip()}"
    return f"WORKSPACE_OTEL_TOKEN_SOURCE={spec}"


def _gitlab_fix(ctx: Diagnosis) -> str:
    audience = ctx.environ.get("WORKSPACE_OTEL_TOKEN_AUDIENCE", "").strip() or "<audience>"
    return (
        "In GitLab CI declare an ID token in .gitlab-ci.yml (id_tokens: TELEMETRY_ID_TOKEN: "
        f"aud: {audience}) and set WORKSPACE_OTEL_TOKEN_SOURCE=env:TELEMETRY_ID_TOKEN."
    )


def _in_gitlab(ctx: Diagnosis) -> bool:
    return ctx.environ.get("GITLAB_CI", "").strip().lower() == "true"


def _precheck(ctx: Diagnosis, check: Check) -> bool:
    """Catch configuration mistakes before fetching; return False to stop."""
    from workspace_otel.credentials._gitpod_source import GitpodTokenSource

    source = ctx.token_source
    kind = source.kind if source is not None else None
    if isinstance(source, GitpodTokenSource) and source.audience:
        names = " / ".join(source.candidates())
        try:
            source.command()  # the source's own lookup of its CLI on PATH
        except TokenError:
            check.add(
                Finding(
                    "fail",
                    f"the gitpod token source needs the platform CLI ({names}) but none is on PATH",
                    f"Run inside a Gitpod / Ona workspace terminal where {names} is on PATH, or "
                    f"choose another token source: {source_suggestion(ctx.platform)}.",
                )
            )
            return False
    if kind == "github-actions" and not ctx.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
        check.add(
            Finding(
                "fail",
                "the github-actions source needs ACTIONS_ID_TOKEN_REQUEST_URL, which GitHub sets "
                "only for jobs allowed to request an OIDC token",
                "Add `permissions: id-token: write` to the workflow job.",
            )
        )
        return False
    return True


def _fix_for_error(ctx: Diagnosis, message: str, needs_user: bool) -> str | None:
    """The fix for a failed fetch; ``None`` when the message itself says what to do."""
    kind = ctx.token_source.kind if ctx.token_source is not None else ""
    lower = message.lower()
    client_refused = "invalid_client" in lower or "unauthorized_client" in lower
    if kind == "oauth2" and needs_user and ("client_id" in lower or "client secret" in lower):
        client_refused = True
    if client_refused:
        return (
            "The token server rejected the client: check WORKSPACE_OTEL_OAUTH2_CLIENT_ID and "
            "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET (or _CLIENT_SECRET_FILE) against the client "
            "registered at the token server."
        )
    if "audience" in lower and needs_user:
        return (
            "Set WORKSPACE_OTEL_TOKEN_AUDIENCE to the audience your collector's oidc "
            "authenticator expects (its `audience:` setting)."
        )
    if _in_gitlab(ctx) and not kind.startswith("env"):
        return _gitlab_fix(ctx)
    if kind == "command":
        return (
            f"Run the command of {_spec(ctx)} yourself; it must exit 0 and print a token "
            "(or JSON with token / access_token / value) within 10 s."
        )
    if kind == "gitpod":
        audience = ctx.environ.get("WORKSPACE_OTEL_TOKEN_AUDIENCE", "<audience>")
        return f"Run `gp idp token --audience {audience}` in the workspace and fix what it reports."
    if kind == "file":
        return f"Make the file of {_spec(ctx)} exist, be readable and hold one token."
    if kind in ("vault", "aws-secretsmanager") and not needs_user:
        where = "VAULT_ADDR" if kind == "vault" else "AWS_REGION / AWS_ENDPOINT_URL"
        return f"The secret store did not answer: check that {where} is reachable from here."
    if not needs_user:
        return (
            "The token service did not give a token: check that it is reachable from here "
            "(WORKSPACE_OTEL_OAUTH2_TOKEN_URL or the platform's identity service), then retry."
        )
    return None


def _platform_credential(ctx: Diagnosis, value: str) -> str | None:
    spec = _spec(ctx)
    if spec.lower().startswith("env:"):
        name = spec[4:].strip()
        if name.upper() in PLATFORM_SECRET_VARIABLES:
            return f"WORKSPACE_OTEL_TOKEN_SOURCE=env:{name} reads a platform credential"
    for name in PLATFORM_SECRET_VARIABLES:
        other = ctx.environ.get(name, "").strip()
        if other and other == value:
            return f"the telemetry token has the same value as {name}"
    if value.startswith(CODE_HOST_PREFIXES):
        return "the telemetry token looks like a GitHub / GitLab token (by its prefix)"
    return None


def _mints_fresh_tokens(ctx: Diagnosis) -> bool:
    """The source's own word: every fetch returns a newly issued token."""
    return bool(getattr(ctx.token_source, "mints_fresh_tokens", False))


def _resolved_source(ctx: Diagnosis) -> str:
    """The credentials row of check 3, in the same words: ``none (from <what decided it>)``."""
    if ctx.plan is None:
        return f"none (WORKSPACE_OTEL_TOKEN_SOURCE={_spec(ctx)} configures no source here)"
    return f"none (from {ctx.plan.options.credentials.source})"


def check_token(ctx: Diagnosis, check: Check) -> None:
    """Obtain a token from the configured source and judge it."""
    if ctx.token_source_error:
        ctx.token_failed = True
        problem, fix = explain_error(ctx.token_source_error)
        check.add(Finding("fail", problem, fix))
        return
    source = ctx.token_source
    if source is None:
        if _in_gitlab(ctx):
            check.add(
                Finding(
                    "warn",
                    "no token source configured in GitLab CI: exports carry no credential",
                    _gitlab_fix(ctx),
                )
            )
            return
        check.verdict = "skipped"
        check.evidence["token source"] = _resolved_source(ctx)
        check.summary = (
            f"no token source ({check.evidence['token source']}): exports carry no credential"
        )
        return
    kind = source.kind
    check.evidence["source"] = _describe(source)
    if ctx.plan is not None and ctx.plan.token_source is None:
        check.evidence["used by configure()"] = (
            f"not now: {ctx.plan.options.credentials.source}; checked for when an endpoint is set"
        )
    if not _precheck(ctx, check):
        ctx.token_failed = True
        return
    limit = max(ctx.timeout, 1.0)
    try:
        token = call_with_timeout(source.fetch, limit)
    except TimeoutError:
        ctx.token_failed = True
        check.add(
            Finding(
                "fail",
                f"the {kind} source gave no token within {limit:g} s",
                "Check that the token source answers (run it by hand), or allow more time "
                "with --timeout.",
            )
        )
        return
    except (TokenError, ConfigurationError) as exc:
        ctx.token_failed = True
        needs_user = bool(getattr(exc, "needs_user", isinstance(exc, ConfigurationError)))
        message = str(exc)
        check.evidence["needs user"] = needs_user
        advice = _fix_for_error(ctx, message, needs_user)
        if advice is None:
            message, advice = explain_error(message)
        check.add(Finding("fail", message, advice))
        return
    value = token.value
    register_secret(value)
    ctx.token = token
    _describe_token(ctx, check, token, value, kind)
    _describe_secret_store(ctx, check, source)


def _describe_secret_store(ctx: Diagnosis, check: Check, source: TokenSource) -> None:
    """Who read which secret, and its version and age (the vault / aws sources); never the value."""
    from workspace_otel.credentials._secret_store_support import SecretStatus

    status = getattr(source, "status", None)
    if not isinstance(status, SecretStatus):
        return
    check.evidence["identity"] = status.identity
    check.evidence["login"] = status.login
    check.evidence["secret"] = status.location
    check.evidence["secret version"] = status.version
    if status.created is not None:
        age = max(ctx.now() - status.created.timestamp(), 0.0)
        check.evidence["secret written"] = (
            f"{status.created.isoformat(timespec='seconds')} ({age / 86400:.1f} days ago)"
        )
    check.summary = (
        f"{status.store} secret {status.location}, version {status.version}, read as "
        f"{status.identity} ({fingerprint(ctx.token.value if ctx.token else '')})"
    )


def _describe(source: TokenSource) -> str:
    try:
        return source.describe()
    except Exception:  # noqa: BLE001 - evidence only
        return source.kind


def _describe_token(ctx: Diagnosis, check: Check, token: Token, value: str, kind: str) -> None:
    now = ctx.now()
    check.evidence["fingerprint"] = fingerprint(value)
    decoded = _jwt.decode(value)
    audience_setting = ctx.environ.get("WORKSPACE_OTEL_TOKEN_AUDIENCE", "").strip()
    if kind == "oauth2":
        audience_setting = ctx.environ.get("WORKSPACE_OTEL_OAUTH2_AUDIENCE", "").strip()
    reason = _platform_credential(ctx, value)
    if reason:
        check.add(
            Finding(
                "warn",
                f"{reason}: it would hand a code-hosting / workspace credential to a telemetry "
                "backend",
                f"Use a telemetry-only credential instead: {source_suggestion(ctx.platform)}.",
            )
        )
    if decoded is None:
        check.evidence["format"] = "opaque (not a JWT): issuer and expiry unknown"
        expires = token.expires_at
        if expires is not None:
            check.evidence["expires at"] = expires.isoformat(timespec="seconds")
        if not check.summary:
            check.summary = f"opaque token from the {kind} source ({fingerprint(value)})"
        return
    header, claims = decoded
    ctx.token_claims, ctx.token_header = claims, header
    audiences = list(_jwt.audiences(claims))
    iat, nbf, exp = (_jwt.numeric_date(claims, k, strict=False) for k in ("iat", "nbf", "exp"))
    check.evidence.update(
        {
            "format": "JWT",
            "issuer": _jwt.string_claim(claims, "iss"),
            "subject": _jwt.string_claim(claims, "sub"),
            "audience": audiences or None,
            "issued at": iso(iat),
            "not before": iso(nbf),
            "expires at": iso(exp),
            "time left": None if exp is None else f"{exp - now:.0f} s",
            "signing key id": header.get("kid"),
        }
    )
    if iat is not None:
        skew = iat - now
        if skew > _SKEW_WARN or (_mints_fresh_tokens(ctx) and -skew > _SKEW_FAIL):
            ctx.clock_skew = skew
            check.evidence["clock skew"] = f"{skew:+.0f} s (token iat minus local time)"
            direction = "behind" if skew > 0 else "ahead of"
            verdict: Verdict = "fail" if abs(skew) > _SKEW_FAIL else "warn"
            check.add(
                Finding(
                    verdict,
                    f"clock skew: this machine's clock is about {abs(skew):.0f} s {direction} the "
                    "token issuer's (judged from the token's iat)",
                    _CLOCK_FIX,
                )
            )
    if exp is not None and exp <= now:
        fresh = _mints_fresh_tokens(ctx) or kind == "command"
        check.add(
            Finding(
                "fail",
                f"the token expired at {iso(exp)} ({now - exp:.0f} s ago)",
                _CLOCK_FIX
                if fresh
                else f"Replace the token in {_token_home(ctx)} with a fresh one, or use a "
                f"refreshing source: {source_suggestion(ctx.platform)}.",
            )
        )
    if nbf is not None and nbf > now + _SKEW_FAIL:
        check.add(
            Finding(
                "fail",
                f"the token is not valid before {iso(nbf)} (in {nbf - now:.0f} s)",
                _CLOCK_FIX,
            )
        )
    if audience_setting and audiences and audience_setting not in audiences:
        check.add(
            Finding(
                "fail",
                f"the token's audience {audiences} does not include the configured "
                f"{audience_setting!r}",
                "Ask the token source for that audience, or set WORKSPACE_OTEL_TOKEN_AUDIENCE "
                "to the audience the collector expects.",
            )
        )
    elif not audiences:
        check.add(
            Finding(
                "warn",
                "the token has no audience (aud): a Collector oidc authenticator rejects it",
                "Request a token for an audience: set WORKSPACE_OTEL_TOKEN_AUDIENCE (or "
                "WORKSPACE_OTEL_OAUTH2_AUDIENCE for oauth2).",
            )
        )
    if check.verdict == "ok":
        left = "unknown expiry" if exp is None else f"{(exp - now) / 60:.0f} min left"
        check.summary = (
            f"{kind} token from {claims.get('iss', '?')} for {', '.join(audiences) or '?'} ({left})"
        )

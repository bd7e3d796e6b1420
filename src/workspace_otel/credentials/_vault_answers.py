"""How the ``vault`` source reads Vault's answers and names what went wrong.

Every refusal says whether only the user can fix it (``needs_user=True``,
reported once by the cache) and, if so, how: the role, the bound claims, the
auth mount, the path's policy, a KV version 1 mount. Anything else (a sealed
or failing server) is retryable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workspace_otel.credentials._secret_store_source import store_message
from workspace_otel.errors import TokenError

__all__ = ["document_of", "login_error", "mount_version", "read_error", "vault_message"]

SECRET_VARIABLE = "WORKSPACE_OTEL_VAULT_SECRET"  # noqa: S105 - a variable name


def document_of(answer: object, what: str) -> Mapping[str, Any]:
    """Return Vault's JSON answer, or raise: hvac hands back the raw response otherwise.

    Raises:
        TokenError: the answer is not a JSON object (an HTML error page from a
            proxy, an empty body, or a redirect, which is never followed).
    """
    if isinstance(answer, Mapping):
        return answer
    status = getattr(answer, "status_code", None)
    detail = f"HTTP {status}" if isinstance(status, int) else type(answer).__name__
    if isinstance(status, int) and 300 <= status < 400:
        detail += ", a redirect (not followed: the Vault token stays with VAULT_ADDR)"
    raise TokenError(f"Vault's answer to {what} is not a JSON object ({detail})")


def vault_message(exc: Exception) -> str:
    """Return Vault's error text, scrubbed and bounded."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:
        text = "; ".join(str(e) for e in errors)
    else:
        text = str(exc.args[0]) if exc.args else type(exc).__name__
    return store_message(text)


def login_error(hvac: Any, exc: Exception, role: str | None, auth_mount: str) -> TokenError:
    """Classify a refused JWT login; ``needs_user`` when only the user can fix it."""
    message = vault_message(exc)
    where = f"Vault's JWT login (role {role} at auth/{auth_mount})"
    lowered = message.lower()
    if isinstance(exc, hvac.exceptions.InvalidRequest):
        if "expired" in lowered:
            return TokenError(f"{where} refused an expired identity token: {message}")
        if "role" in lowered and "not" in lowered and "found" in lowered:
            fix = "create the role or fix WORKSPACE_OTEL_VAULT_ROLE"
        elif "claim" in lowered or "audience" in lowered:
            fix = (
                "the identity token's claims do not match the role's bound_claims / "
                "bound_audiences: fix the role, or WORKSPACE_OTEL_TOKEN_AUDIENCE"
            )
        else:
            fix = (
                "check the role, and that the auth method trusts the token's issuer "
                "(jwks_url / oidc_discovery_url)"
            )
        return TokenError(f"{where} was refused: {message}: {fix}", needs_user=True)
    if isinstance(exc, (hvac.exceptions.Forbidden, hvac.exceptions.InvalidPath)):
        return TokenError(
            f"{where} was refused: {message}: is the JWT auth method mounted at "
            f"auth/{auth_mount}? set WORKSPACE_OTEL_VAULT_AUTH_MOUNT",
            needs_user=True,
        )
    return TokenError(f"{where} failed: {message}")


def read_error(
    hvac: Any, exc: Exception, *, mount: str, path: str, role: str | None, client: Any
) -> TokenError:
    """Classify a failed read of ``mount/data/path``; ``needs_user`` when only the user can."""
    message = vault_message(exc)
    where = f"{mount}/data/{path}"
    denied = isinstance(exc, (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized))
    if denied or isinstance(exc, hvac.exceptions.InvalidPath):
        # A KV v1 mount answers 404 (or 403 to a v1-style policy) on the v2 data path.
        version = mount_version(client, mount)
        if version is not None and version != "2":
            return TokenError(
                f"the mount {mount}/ is a KV version 1 store; this source reads KV "
                f"version 2: run `vault kv enable-versioning {mount}/` or point "
                f"{SECRET_VARIABLE} at a KV v2 mount",
                needs_user=True,
            )
    if denied:
        holder = f"role {role}" if role else "the Vault token"
        return TokenError(
            f"Vault denied reading {where} ({message}): the policy of {holder} must grant "
            f'path "{where}" {{ capabilities = ["read"] }}',
            needs_user=True,
        )
    if isinstance(exc, hvac.exceptions.InvalidPath):
        return TokenError(
            f"no secret at {mount}/{path} (or its current version is deleted): "
            f"fix {SECRET_VARIABLE} or write the secret",
            needs_user=True,
        )
    if isinstance(exc, hvac.exceptions.VaultDown):
        return TokenError(f"Vault is sealed or unavailable ({message})")
    return TokenError(f"Vault failed to read {where}: {message}")


def mount_version(client: Any, mount: str) -> str | None:
    """Return the KV version of ``mount`` (``"1"``, ``"2"``), or ``None`` when unknown."""
    try:
        answer = client.adapter.get(f"/v1/sys/internal/ui/mounts/{mount}")
    except Exception:  # noqa: BLE001 - only a hint for the message
        return None
    data = answer.get("data") if isinstance(answer, Mapping) else None
    if not isinstance(data, Mapping) or data.get("type") not in ("kv", "generic"):
        return None
    options = data.get("options") or {}
    version = options.get("version") if isinstance(options, Mapping) else None
    return str(version) if version else "1"

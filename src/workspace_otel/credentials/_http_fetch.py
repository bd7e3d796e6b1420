"""One small, bounded HTTP request for token endpoints (requests imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from workspace_otel._guards import egress
from workspace_otel.errors import TokenError

__all__ = ["HttpReply", "credential_refusal", "host_of", "request"]

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HttpReply:
    """Status, body (at most 1 MiB) and headers of a token-endpoint answer."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def host_of(url: str) -> str:
    """Return ``host[:port]`` of ``url`` (no credentials, path or query) for messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "?"


def credential_refusal(url: str, *, kind: str, use_proxies: bool = True) -> str:
    """Return why a credential may not be sent to ``url`` (the egress rule), or ``""``.

    Args:
        url: the token endpoint.
        kind: source kind, for the message.
        use_proxies: whether the request would honour the proxy variables.
    """
    verdict = egress.check_route(url, trust_env=use_proxies)
    if verdict:
        return ""
    return egress.refusal_message(url, verdict.reason, what=f"the {kind} source's credentials")


def request(
    method: str,
    url: str,
    *,
    kind: str,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    bearer: str | None = None,
    use_proxies: bool = True,
) -> HttpReply:
    """Send one request with a private session, no redirects, a bounded body.

    A request that carries a credential (``auth``, ``bearer`` or a form) asks
    the egress rule first: over TLS, or plain http only to loopback without a
    proxy. Redirects are never followed, so no credential reaches another
    origin.

    Args:
        method: ``GET`` or ``POST``.
        url: the endpoint.
        kind: source kind, for messages.
        timeout: connect and read timeout in seconds.
        headers: extra request headers.
        data: form fields (POST).
        auth: HTTP Basic credentials.
        bearer: a bearer token for the ``Authorization`` header.
        use_proxies: honour proxy variables (off for the metadata server).

    Raises:
        TokenError: connection failure, timeout, an oversized body, or a
            credential the egress rule refuses (``needs_user``); the message
            names the host only.
    """
    import requests  # here, not at the top: keep `import workspace_otel` light

    if auth is not None or bearer is not None or data is not None:
        refusal = credential_refusal(url, kind=kind, use_proxies=use_proxies)
        if refusal:
            raise TokenError(refusal, needs_user=True)
    host = host_of(url)
    session = requests.Session()
    # trust_env also brings .netrc credentials, which only apply when no auth
    # is given: every authenticated call below passes ``auth``.
    session.trust_env = use_proxies
    try:
        kwargs: dict[str, Any] = {
            "headers": dict(headers or {}),
            "timeout": timeout,
            "allow_redirects": False,
            "stream": True,
        }
        if data is not None:
            kwargs["data"] = dict(data)
        if auth is not None:
            kwargs["auth"] = auth
        elif bearer is not None:
            value = f"Bearer {bearer}"

            def _bearer(prepared: Any) -> Any:
                prepared.headers["Authorization"] = value
                return prepared

            kwargs["auth"] = _bearer
        try:
            with session.request(method, url, **kwargs) as response:
                body = bytearray()
                for chunk in response.iter_content(65536):
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise TokenError(
                            f"the {kind} token endpoint at {host} sent more than "
                            f"{MAX_BODY_BYTES} bytes"
                        )
                return HttpReply(response.status_code, bytes(body), dict(response.headers))
        except requests.exceptions.Timeout:
            raise TokenError(
                f"the {kind} token endpoint at {host} did not answer within {timeout:g} s"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise TokenError(
                f"cannot reach the {kind} token endpoint at {host} ({type(exc).__name__})"
            ) from None
    finally:
        session.close()

"""One small, bounded HTTP request for token endpoints (requests imported lazily)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from workspace_otel.errors import TokenError

__all__ = ["HttpReply", "host_of", "is_loopback_host", "request", "secure_or_loopback"]

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HttpReply:
    """Status, body (at most 1 MiB) and headers of a token-endpoint answer."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def is_loopback_host(host: str | None) -> bool:
    """Return whether ``host`` is ``localhost`` or a loopback IP address."""
    if not host:
        return False
    if host.lower() in {"localhost", "localhost."} or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """Return ``host[:port]`` of ``url`` (no credentials, path or query) for messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "?"


def secure_or_loopback(url: str) -> bool:
    """Return whether ``url`` is ``https`` or plain ``http`` to a loopback host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and is_loopback_host(parts.hostname)


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
        TokenError: connection failure, timeout or an oversized body; the
            message names the host only.
    """
    import requests  # here, not at the top: keep `import workspace_otel` light

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

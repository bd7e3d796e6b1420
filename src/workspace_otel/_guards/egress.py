"""The egress rule: where a credential may be sent.

A credential goes only to the configured endpoint's origin (scheme, host,
port): over TLS, or in plain HTTP only to a loopback address reached without
a proxy. Never on a redirect to another origin, whatever the header's name;
never in plain text through a proxy. HTTP, gRPC, ``doctor`` and every token
source's own requests ask :func:`check` and nothing else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = [
    "Verdict",
    "check",
    "check_route",
    "is_loopback_host",
    "origin_of",
    "proxies_in",
    "proxy_for",
    "refusal_message",
    "route_refusal",
]


def is_loopback_host(host: str | None) -> bool:
    """Return whether ``host`` is ``localhost`` (or ``*.localhost``) or a loopback IP.

    ``0.0.0.0`` and names such as ``127.example.com`` are not loopback.
    """
    if not host:
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> tuple[str, str, int] | None:
    """Return ``(scheme, host, port)`` of ``url`` with the default port filled in.

    ``None`` when the URL has no http(s) origin, and also when its authority
    holds a backslash: ``urlsplit`` then reads the host after the last ``@``
    while ``requests`` (urllib3) ends the authority at the backslash and
    connects to the host before it.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if "\\" in parts.netloc:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if port is None:
        port = 443 if scheme == "https" else 80
    return scheme, parts.hostname.lower(), port


class Verdict:
    """Whether a credential may be sent to a URL, and why not.

    Attributes:
        allowed: ``True`` when the credential may go.
        reason: empty when allowed; otherwise one sentence for a person.
    """

    __slots__ = ("allowed", "reason")

    def __init__(self, allowed: bool, reason: str = "") -> None:
        self.allowed = allowed
        self.reason = reason

    def __bool__(self) -> bool:
        return self.allowed

    def __repr__(self) -> str:
        return f"Verdict(allowed={self.allowed}, reason={self.reason!r})"


def check(url: str, *, origin: str | None = None, proxied: bool = False) -> Verdict:
    """Decide whether a credential may be sent with a request to ``url``.

    Args:
        url: where the request goes.
        origin: the configured endpoint the credential belongs to; when given,
            ``url`` must have the same scheme, host and port (a redirect to
            another origin loses the credential).
        proxied: the request would go through a proxy.

    Returns:
        The verdict; its reason names the fix when the credential may not go.
    """
    target = origin_of(url)
    if target is None:
        return Verdict(False, "the URL is not an http(s) URL with a host")
    if origin is not None and origin_of(origin) != target:
        return Verdict(False, "the request goes to another origin than the configured endpoint")
    scheme, host, _ = target
    if scheme == "https":
        return Verdict(True)
    if not is_loopback_host(host):
        return Verdict(
            False,
            "plain http to a non-loopback host: use an https:// endpoint"
            " (plain http is allowed only to loopback)",
        )
    if proxied:
        return Verdict(
            False,
            "plain http to loopback would go through a proxy: add the host to NO_PROXY",
        )
    return Verdict(True)


def proxy_for(
    url: str, proxies: Mapping[str, str] | None = None, *, trust_env: bool = True
) -> bool:
    """Return whether ``requests`` would send a request for ``url`` through a proxy.

    Decided exactly as ``requests`` decides it (its own helpers, imported
    here lazily): the explicit ``proxies`` first, then, when ``trust_env``, the
    ``http_proxy`` / ``https_proxy`` / ``all_proxy`` variables (either case)
    unless ``no_proxy`` / ``NO_PROXY`` (host suffixes, ``host:port``, IP
    networks, ``*``) excludes the host.

    Args:
        url: the request URL.
        proxies: explicit proxies (a session's or a request's), by scheme or
            ``scheme://host``.
        trust_env: whether the environment's proxy variables count.

    Returns:
        ``True`` when a proxy would carry the request, and also when the
        proxy settings cannot be read (a plain-text credential is then not sent).
    """
    from requests.utils import get_environ_proxies, select_proxy

    try:
        merged: dict[str, str] = dict(proxies or {})
        if trust_env:
            found = get_environ_proxies(url, no_proxy=merged.get("no_proxy"))
            for key, value in found.items():
                merged.setdefault(key, value)
        return bool(select_proxy(url, merged))
    except Exception:  # noqa: BLE001 - undecidable: assume a proxy, so no plain-text credential
        return True


def proxies_in(environ: Mapping[str, str], url: str) -> dict[str, str]:
    """Return the proxies ``requests`` would use for ``url`` if ``environ`` were the environment.

    For a mapping other than ``os.environ`` (``configure(environ=...)``):
    the ``<scheme>_proxy`` / ``all_proxy`` variables (lower case wins over
    upper case, as ``urllib`` reads them), or none when the mapping's
    ``no_proxy`` / ``NO_PROXY`` excludes the host (host suffixes,
    ``host:port``, IP networks, ``*``). The result is meant for a session
    with ``trust_env = False``, so the process's own variables play no part.

    Args:
        environ: the mapping to read.
        url: the request URL.

    Returns:
        ``{scheme: proxy URL}`` (``requests``' ``proxies`` form), possibly empty.
    """
    from requests.utils import address_in_network, is_ipv4_address, is_valid_cidr

    found: dict[str, str] = {}
    for lower_case in (False, True):
        for name, value in environ.items():
            if value and name.lower().endswith("_proxy") and name.islower() == lower_case:
                found[name[:-6].lower()] = value
    exclusions = found.pop("no", "")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if exclusions and host:
        entries = [e.strip() for e in exclusions.replace(" ", "").split(",") if e.strip()]
        with_port = f"{host}:{parts.port}" if parts.port else host
        for entry in entries:
            if entry == "*":
                return {}
            if is_ipv4_address(host):
                if (is_valid_cidr(entry) and address_in_network(host, entry)) or host == entry:
                    return {}
            elif host.endswith(entry) or with_port.endswith(entry):
                return {}
    return {key: value for key, value in found.items() if key in (parts.scheme, "all")}


def check_route(
    url: str,
    *,
    origin: str | None = None,
    proxies: Mapping[str, str] | None = None,
    trust_env: bool = True,
) -> Verdict:
    """:func:`check` ``url``, with the proxy decided by :func:`proxy_for`.

    The proxy only matters for plain http, so the (costlier) proxy lookup runs
    only then; the scheme is the parsed one (``requests`` strips leading
    whitespace, so ``" http://..."`` is plain http too).
    """
    verdict = check(url, origin=origin)
    target = origin_of(url)
    if not verdict or target is None or target[0] != "http":
        return verdict
    return check(url, origin=origin, proxied=proxy_for(url, proxies, trust_env=trust_env))


def refusal_message(url: str, reason: str, *, what: str = "the token") -> str:
    """Return the one sentence every caller shows when a credential is not sent.

    ``configure()``'s warning, :class:`~workspace_otel.credentials.BearerAuth`,
    the gRPC plugin and ``doctor`` all word it this way, from the verdict's
    reason; the URL is shown without user-info or query string.
    """
    from workspace_otel._guards.redaction import display_url

    return f"not sending {what} to {display_url(url)}: {reason}"


def route_refusal(url: str) -> str:
    """Return the refusal sentence when :func:`check_route` refuses ``url``, else ``""``."""
    verdict = check_route(url)
    return "" if verdict else refusal_message(url, verdict.reason)

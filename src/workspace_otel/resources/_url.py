"""Turn git remotes and platform URLs into credential-free web URLs.

Every function here is total: malformed input gives ``None``, never an
exception (an exception message could quote the secret-bearing input).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from workspace_otel.resources import _attributes as a

_SCP = r"^(?:[^@/\s]+@)?(?P<host>[A-Za-z0-9.\-]+):(?P<path>[^\s]*)$"
# Checked with set operations rather than patterns: every start checks a host
# or two, and compiling a pattern costs more than the check.
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_SEGMENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~%-+")
_WEB_SCHEMES = frozenset({"http", "https"})
_GIT_SCHEMES = frozenset({"http", "https", "ssh", "git", "git+ssh", "ssh+git", "git+https"})
_ENV_PREFIX = r"^(?:[A-Za-z_][A-Za-z0-9_]*=[^/]*/)+(?=https?://)"

_PROVIDERS = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "bitbucket.org": "bitbucket",
    "gitea.com": "gitea",
    "codeberg.org": "gitea",
}


def is_dns_label(label: str) -> bool:
    """Whether ``label`` is one lower-case DNS label: ``[a-z0-9-]``, no ``-`` at either end."""
    return bool(label) and label[0] != "-" and label[-1] != "-" and _LABEL_CHARS.issuperset(label)


def is_dns_name(host: str) -> bool:
    """Whether ``host`` is dot-separated lower-case DNS labels (``github.com``)."""
    return all(is_dns_label(label) for label in host.split("."))


def _clean_host(netloc: str, *, keep_port: bool) -> str | None:
    """Return ``host[:port]`` of a netloc without its user-info, or ``None``."""
    hostport = netloc.rpartition("@")[2].lower()
    host, sep, port = hostport.partition(":")
    if not host or len(host) > 253 or not is_dns_name(host):
        return None
    if keep_port and sep and port.isdigit() and port not in ("80", "443"):
        return f"{host}:{port}"
    return host


def _clean_path(path: str) -> str | None:
    segments = [s for s in path.split("/") if s]
    if not segments or any(s in (".", "..") or not _SEGMENT_CHARS.issuperset(s) for s in segments):
        return None
    if segments[-1].endswith(".git"):
        segments[-1] = segments[-1][: -len(".git")]
        if not segments[-1]:
            return None
    return "/".join(segments)


def normalize_remote(remote: str) -> str | None:
    """Return the https web URL of a git remote, or ``None`` for local/unknown ones.

    ``git@host:owner/repo.git`` and ``ssh://git@host/owner/repo.git`` become
    ``https://host/owner/repo`` (an ``http://`` remote stays ``http``);
    user-info (tokens), query, fragment, ssh ports and the ``.git`` suffix
    are dropped.
    """
    remote = remote.strip()
    if not remote or len(remote) > 2048 or any(c.isspace() for c in remote):
        return None
    if "://" not in remote:
        scp = re.match(_SCP, remote)
        if scp is None:
            return None
        host = _clean_host(scp.group("host"), keep_port=False)
        path = _clean_path(scp.group("path"))
        return _azure_ssh(host, path) or (f"https://{host}/{path}" if host and path else None)
    try:
        parts = urlsplit(remote)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _GIT_SCHEMES:
        return None
    web = scheme in _WEB_SCHEMES or scheme == "git+https"
    host = _clean_host(parts.netloc, keep_port=web)
    path = _clean_path(parts.path)
    if not host or not path:
        return None
    web_scheme = "http" if scheme == "http" else "https"
    return _azure_ssh(host, path) or f"{web_scheme}://{host}/{path}"


def _azure_ssh(host: str | None, path: str | None) -> str | None:
    """Map Azure DevOps ssh remotes (``v3/org/project/repo``) to their web URL."""
    if host != "ssh.dev.azure.com" or not path:
        return None
    parts = path.split("/")
    if len(parts) != 4 or parts[0] != "v3":
        return None
    return f"https://dev.azure.com/{parts[1]}/{parts[2]}/_git/{parts[3]}"


def clean_web_url(url: str) -> str | None:
    """Return an http(s) URL as ``scheme://host[:port]/path``, or ``None``.

    User-info, query string and fragment are dropped (any of them can carry a
    token), and so is a leading Gitpod ``NAME=value/`` context prefix.
    """
    url = url.strip()
    if "=" in url.partition("://")[0]:  # only a Gitpod context URL has a NAME= prefix
        url = re.sub(_ENV_PREFIX, "", url)
    if not url or len(url) > 2048 or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _WEB_SCHEMES:
        return None
    host = _clean_host(parts.netloc, keep_port=True)
    if not host:
        return None
    path = parts.path.rstrip("/")
    if "@" in path or any(not c.isprintable() for c in path):
        return None
    return f"{scheme}://{host}{path}"


def host_of(url: str) -> str | None:
    """Return the lowercase host of an http(s) URL (no port, no user-info), or ``None``."""
    clean = clean_web_url(url)
    if clean is None:
        return None
    return clean.split("/", 3)[2].partition(":")[0]


def provider_for_host(host: str) -> str | None:
    """Return ``github``/``gitlab``/``bitbucket``/``gitea`` for well-known hosts."""
    host = host.lower().partition(":")[0]
    known = _PROVIDERS.get(host)
    if known:
        return known
    first = host.split(".", 1)[0]
    if first in ("github", "gitlab", "bitbucket", "gitea"):
        return first
    if host.endswith(".ghe.com"):
        return "github"
    return None


def repository_attributes(web_url: str | None) -> dict[str, a.AttrValue]:
    """Return the ``vcs.repository.*`` / owner / provider attributes of a web URL."""
    if not web_url:
        return {}
    rest = web_url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    segments = [s for s in path.split("/") if s]
    attrs: dict[str, a.AttrValue] = {a.VCS_REPOSITORY_URL_FULL: web_url}
    if host == "dev.azure.com" and len(segments) == 4 and segments[2] == "_git":
        segments = [segments[0], segments[1], segments[3]]
    if segments:
        attrs[a.VCS_REPOSITORY_NAME] = segments[-1]
    if len(segments) > 1:
        attrs[a.VCS_OWNER_NAME] = "/".join(segments[:-1])
    provider = provider_for_host(host)
    if provider:
        attrs[a.VCS_PROVIDER_NAME] = provider
    return attrs

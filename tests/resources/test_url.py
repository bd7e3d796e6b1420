"""Remote and web URL normalisation: credentials never survive."""

from __future__ import annotations

import pytest

from workspace_otel.resources._url import (
    clean_web_url,
    normalize_remote,
    provider_for_host,
    repository_attributes,
)


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/o/r.git", "https://github.com/o/r"),
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("https://github.com/o/r/", "https://github.com/o/r"),
        ("https://user:ghp_SECRETx@github.com/o/r.git", "https://github.com/o/r"),
        (
            "https://oauth2:glpat-SECRET@gitlab.example.com:8443/g/s/p.git",
            "https://gitlab.example.com:8443/g/s/p",
        ),
        ("http://GitHub.COM/o/r.git?token=SECRET#frag", "http://github.com/o/r"),
        ("git@github.com:o/r.git", "https://github.com/o/r"),
        ("git@gitlab.com:group/sub/proj.git", "https://gitlab.com/group/sub/proj"),
        ("user:SECRET@github.com:o/r.git", "https://github.com/o/r"),
        ("github.com:o/r", "https://github.com/o/r"),
        ("ssh://git@github.com/o/r.git", "https://github.com/o/r"),
        ("ssh://git@bitbucket.org:22/team/repo.git", "https://bitbucket.org/team/repo"),
        ("git+ssh://git@github.com/o/r.git", "https://github.com/o/r"),
        ("git://github.com/o/r.git", "https://github.com/o/r"),
        ("git@ssh.dev.azure.com:v3/org/proj/repo", "https://dev.azure.com/org/proj/_git/repo"),
        ("file:///srv/git/r.git", None),
        ("/srv/git/r.git", None),
        ("../sibling", None),
        ("", None),
        ("https://", None),
        ("https://github.com/", None),
        ("https://github.com/o/.git", None),
        ("https://github.com/o/../r", None),
        ("https://exa mple.com/o/r", None),
        ("ftp://example.com/o/r", None),
        ("https://[::1/o/r", None),
    ],
)
def test_normalize_remote(remote: str, expected: str | None) -> None:
    """Remotes become credential-free https web URLs, or None."""
    result = normalize_remote(remote)
    assert result == expected
    assert "SECRET" not in (result or "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ws-eu54.gitpod.io", "https://ws-eu54.gitpod.io"),
        ("https://a:b@host.example/p/?q=1#f", "https://host.example/p"),
        ("FOO=bar/https://github.com/o/r", "https://github.com/o/r"),
        ("A=1,B=2/https://github.com/o/r", "https://github.com/o/r"),
        ("http://localhost:8080/x", "http://localhost:8080/x"),
        ("https://host:443/x", "https://host/x"),
        ("mailto:someone@example.com", None),
        ("not a url", None),
    ],
)
def test_clean_web_url(url: str, expected: str | None) -> None:
    """Web URLs keep scheme, host, port and path only."""
    assert clean_web_url(url) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("github.com", "github"),
        ("gitlab.com", "gitlab"),
        ("gitlab.example.com", "gitlab"),
        ("bitbucket.org", "bitbucket"),
        ("codeberg.org", "gitea"),
        ("gitea.example.com", "gitea"),
        ("acme.ghe.com", "github"),
        ("git.example.com", None),
    ],
)
def test_provider_for_host(host: str, expected: str | None) -> None:
    """Well-known hosts map to semantic-convention provider names."""
    assert provider_for_host(host) == expected


def test_repository_attributes_split_owner_and_name() -> None:
    """Nested groups become the owner; the last segment is the name."""
    assert repository_attributes("https://gitlab.com/a/b/c") == {
        "vcs.repository.url.full": "https://gitlab.com/a/b/c",
        "vcs.repository.name": "c",
        "vcs.owner.name": "a/b",
        "vcs.provider.name": "gitlab",
    }
    assert repository_attributes(None) == {}

"""GitHub Codespaces.

Detected when ``CODESPACE_NAME`` is set and either ``CODESPACES=true`` or the
platform's ``/workspaces/.codespaces/shared/environment-variables.json``
provides it. Processes started outside VS Code terminals (services, SSH
sessions) often miss the variables: the allow-listed keys of that file fill
the gaps, every other key of the file is ignored.
"""

from __future__ import annotations

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import (
    clean_web_url,
    host_of,
    is_dns_label,
    repository_attributes,
)

_REPOSITORY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _is_repository(repository: str) -> bool:
    """Whether ``repository`` is ``owner/name`` as GitHub spells them (``[A-Za-z0-9_.-]``)."""
    owner, _, name = repository.partition("/")
    return (
        bool(owner)
        and bool(name)
        and _REPOSITORY_CHARS.issuperset(owner)
        and _REPOSITORY_CHARS.issuperset(name)
    )


def _values(ctx: Context) -> tuple[dict[str, str], bool]:
    """Return allow-listed values (variables over file) and whether the file named the codespace."""
    from_file = ctx.read_json_object(a.CODESPACES_FILE, a.CODESPACES_FILE_KEYS) or {}
    merged = dict(from_file)
    for key in a.CODESPACES_FILE_KEYS:
        value = ctx.get(key)
        if value:
            merged[key] = value
    return merged, bool(from_file.get("CODESPACE_NAME"))


def github_repository_attributes(server_url: str, repository: str) -> dict[str, a.AttrValue]:
    """Return ``vcs.*`` repository attributes for ``GITHUB_SERVER_URL`` + ``GITHUB_REPOSITORY``."""
    if not _is_repository(repository):
        return {}
    server = clean_web_url(server_url or "https://github.com")
    if server is None:
        return {}
    attrs = repository_attributes(f"{server}/{repository}")
    attrs[a.VCS_PROVIDER_NAME] = "github"
    return attrs


class CodespacesResourceDetector(_PlatformDetector):
    """GitHub Codespaces: ``workspace.*``, ``user.name`` and repository ``vcs.*``.

    Attributes: ``workspace.provider=codespaces``, ``workspace.id``
    (``CODESPACE_NAME``), ``workspace.url`` (``https://<name>.github.dev``),
    ``workspace.cluster`` (host of ``INTERNAL_VSCS_TARGET_URL``, a region
    hint), ``workspace.prebuild`` (``CLOUDENV_ENVIRONMENT_ID=null`` inside a
    prebuild), ``user.name`` (``GITHUB_USER``; e-mail and full name from
    ``GIT_COMMITTER_*`` with identity ``full``), and ``vcs.repository.*``
    from ``GITHUB_SERVER_URL`` / ``GITHUB_REPOSITORY``.
    """

    name = a.CODESPACES

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Codespaces markers."""
        values, file_has_name = _values(ctx)
        return [
            [
                (
                    "CODESPACE_NAME (variable or environment-variables.json)",
                    bool(values.get("CODESPACE_NAME")),
                ),
                (
                    "CODESPACES=true or /workspaces/.codespaces/shared/environment-variables.json",
                    values.get("CODESPACES", "").lower() == "true" or file_has_name,
                ),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Codespaces attributes."""
        values, _ = _values(ctx)
        name = values["CODESPACE_NAME"]
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.CODESPACES, a.WORKSPACE_ID: name}
        if len(name) <= 100 and is_dns_label(name):  # a codespace name is one DNS label
            attrs[a.WORKSPACE_URL] = f"https://{name}.github.dev"
        cluster = host_of(values.get("INTERNAL_VSCS_TARGET_URL", ""))
        if cluster:
            attrs[a.WORKSPACE_CLUSTER] = cluster
        if values.get("CLOUDENV_ENVIRONMENT_ID", "").lower() == "null":
            attrs[a.WORKSPACE_PREBUILD] = True
        attrs.update(
            identity_attributes(
                ctx.identity,
                login=values.get("GITHUB_USER", ""),
                email=ctx.get("GIT_COMMITTER_EMAIL"),
                full_name=ctx.get("GIT_COMMITTER_NAME"),
            )
        )
        attrs.update(
            github_repository_attributes(
                values.get("GITHUB_SERVER_URL", ""), values.get("GITHUB_REPOSITORY", "")
            )
        )
        return attrs

"""Platform + git in one resource, with the precedence rules of docs/attributes.md."""

from __future__ import annotations

import os
from collections.abc import Mapping

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._actor import collect_actor
from workspace_otel.resources._base import Context, _Detector
from workspace_otel.resources._git import GitResourceDetector
from workspace_otel.resources._platform import first_match
from workspace_otel.resources._platform import near_misses as _near_misses


def collect_with_sources(
    ctx: Context, *, platform: bool = True, git: bool = True, raise_on_error: bool = False
) -> tuple[dict[str, a.AttrValue], dict[str, str]]:
    """Return (attributes, attribute -> producing detector) for one context.

    ``vcs.*`` comes from git when git found it, else from the platform
    (platform context such as ``GITPOD_WORKSPACE_CONTEXT``, or CI variables).
    The repository group (URL, name, owner, provider) and the ref group
    (name, type, revision) are each taken whole from one source, so a
    repository without a remote still gets the platform's repository URL.
    ``user.*`` from the platform wins over git's identity. Inside a workspace
    (not CI) ``deployment.environment.name`` is ``development``; whenever a
    repository name is known it becomes ``service.name``. With the platforms
    come the ``workspace.actor.*`` attributes when an AI coding agent started
    the process (``WORKSPACE_OTEL_ACTOR``).
    """
    attrs: dict[str, a.AttrValue] = {}
    sources: dict[str, str] = {}
    found = first_match(ctx, raise_on_error) if platform else None
    git_attrs = GitResourceDetector(raise_on_error).collect_safely(ctx) if git else {}
    shadowed = {
        key
        for group in (a.VCS_REPOSITORY_GROUP, a.VCS_REF_GROUP)
        if group.intersection(git_attrs)
        for key in group
    }
    if found is not None:
        detector, platform_attrs = found
        for key, value in platform_attrs.items():
            if key in shadowed:
                continue
            attrs[key] = value
            sources[key] = detector.name
    for key, value in git_attrs.items():
        if key in a.USER_ATTRIBUTES and key in attrs:
            continue
        attrs[key] = value
        sources[key] = a.GIT
    if platform:
        for key, value in collect_actor(ctx, raise_on_error).items():
            attrs[key] = value
            sources[key] = a.ACTOR
    if found is not None and found[0].is_workspace:
        attrs[a.DEPLOYMENT_ENVIRONMENT_NAME] = a.DEVELOPMENT
        sources[a.DEPLOYMENT_ENVIRONMENT_NAME] = a.WORKSPACE
    repo_name = attrs.get(a.VCS_REPOSITORY_NAME)
    if isinstance(repo_name, str) and repo_name:
        attrs[a.SERVICE_NAME] = repo_name
        sources[a.SERVICE_NAME] = a.WORKSPACE
    return a.clean_attributes(attrs), sources


def detect_with_sources(
    environ: Mapping[str, str] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    platform: bool = True,
    git: bool = True,
    raise_on_error: bool = False,
) -> tuple[dict[str, a.AttrValue], dict[str, str]]:
    """Detect the workspace attributes and say which detector produced each.

    Args:
        environ: variables to read; ``os.environ`` when ``None``.
        root: filesystem root for platform files; ``WORKSPACE_OTEL_PLATFORM_ROOT``
            or ``/`` when ``None``.
        cwd: where the git repository is searched from; the current directory
            when ``None``.
        platform: include the platform detectors.
        git: include the git repository (``WORKSPACE_OTEL_GIT=off`` also turns it off).
        raise_on_error: re-raise unexpected errors instead of leaving the
            failing part out.

    Returns:
        ``(attributes, sources)``: attribute name -> value, and attribute
        name -> producer (``"codespaces"``, ``"git"``, ``"github_actions"``,
        ``"workspace"`` for derived values, ...).

    Raises:
        ConfigurationError: a ``WORKSPACE_OTEL_*`` variable holds an invalid value.
    """
    ctx = Context(environ, root, cwd)
    return collect_with_sources(ctx, platform=platform, git=git, raise_on_error=raise_on_error)


def near_misses(
    environ: Mapping[str, str] | None = None, root: str | os.PathLike[str] | None = None
) -> list[tuple[str, list[str], list[str]]]:
    """Return platforms with some but not all markers: ``(platform, present, missing)``.

    Used by ``workspace-otel doctor`` to explain why a workspace was not
    detected (for example ``CODESPACE_NAME`` set by hand on a laptop, or a
    service that lost ``CODESPACES``). Empty when a platform is detected.
    """
    return _near_misses(Context(environ, root))


class WorkspaceResourceDetector(_Detector):
    """Every platform plus the local git repository (entry point ``workspace``).

    Adds ``deployment.environment.name=development`` inside a workspace and
    ``service.name`` = the repository name; ``OTEL_RESOURCE_ATTRIBUTES`` and
    ``OTEL_SERVICE_NAME`` still win, as the SDK merges them last.
    """

    name = a.WORKSPACE

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the platform and git attributes with the derived ones."""
        return collect_with_sources(ctx, raise_on_error=self.raise_on_error)[0]

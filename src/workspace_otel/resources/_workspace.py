"""Which platform, then platform + git in one resource (the precedence rules of docs/attributes.md).

The platforms are tried in one order: CI first, then cloud workspaces, the
generic dev container last; :class:`PlatformResourceDetector` is all of them
in one detector, :class:`WorkspaceResourceDetector` adds git and the actor.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _Detector, _PlatformDetector
from workspace_otel.resources._git import GitResourceDetector

_logger = logging.getLogger("workspace_otel.resources")

_TABLE: tuple[tuple[str, str, str | None], ...] = (
    ("_ci", "GitHubActionsResourceDetector", "GITHUB_ACTIONS"),
    ("_ci", "GitLabCIResourceDetector", "GITLAB_CI"),
    ("_codespaces", "CodespacesResourceDetector", None),
    ("_gitpod", "GitpodResourceDetector", None),
    ("_gitpod", "OnaResourceDetector", None),
    ("_coder", "CoderResourceDetector", None),
    ("_devpod", "DevPodResourceDetector", None),
    ("_daytona", "DaytonaResourceDetector", None),
    ("_google", "FirebaseStudioResourceDetector", None),
    ("_google", "CloudWorkstationsResourceDetector", None),
    ("_devcontainer", "DevContainerResourceDetector", None),
)
"""Every platform as (module, class, gate), in the order they are tried (platforms.md section 0).

Each platform's module is imported the first time the search reaches it, so a
start in a Codespace (third in the order) never imports the detectors of the
platforms after it. A *gate* is a variable every marker set of the platform
requires (tests hold the detectors to it): while it is unset, the search
passes the platform without importing its module.
"""

AGENT_VARIABLES = frozenset(
    {
        "AGENT",
        "AGENT_SESSION_ID",
        "AI_AGENT",
        "AMP_CURRENT_THREAD_ID",
        "AUGMENT_AGENT",
        "CLAUDECODE",
        "CLAUDE_CODE_ENTRYPOINT",
        "CLAUDE_CODE_SESSION_ID",
        "CLINE_ACTIVE",
        "CODEX_SANDBOX",
        "CODEX_SANDBOX_NETWORK_DISABLED",
        "CODEX_THREAD_ID",
        "COPILOT_AGENT",
        "COPILOT_AGENT_SESSION_ID",
        "COPILOT_CLI",
        "CRUSH",
        "CURSOR_AGENT",
        "GEMINI_CLI",
        "GOOSE_TERMINAL",
        "OPENCODE",
        "OPENCODE_PID",
        "QWEN_CODE",
    }
)
"""The actor's gate: every variable whose presence can reveal an AI agent.

It is the agent table's ``ALL_VARIABLES`` spelled out (a test holds the two
equal): while none of these and no ``WORKSPACE_OTEL_ACTOR`` is set, no agent
can be found and the actor's modules are not imported.
"""

PLATFORMS: tuple[_PlatformDetector, ...]
"""Every platform detector, in order (module attribute made on access: imports every module)."""

_made: dict[int, _PlatformDetector] = {}
_made_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    # A thread of the parent may have been importing a platform's module at fork.
    global _made_lock
    _made_lock = threading.Lock()


on_fork_in_child(__name__, _new_lock_after_fork)


def _platform(index: int) -> _PlatformDetector:
    """Return the detector of ``_TABLE[index]``, importing its module the first time."""
    made = _made.get(index)
    if made is None:
        with _made_lock:
            made = _made.get(index)
            if made is None:
                module, name, _ = _TABLE[index]
                cls = getattr(importlib.import_module(f"{__package__}.{module}"), name)
                made = _made[index] = cls()
    return made


def iter_platforms() -> Iterator[_PlatformDetector]:
    """Yield one detector per platform, in order, importing each module when first reached."""
    for index in range(len(_TABLE)):
        yield _platform(index)


def __getattr__(name: str) -> Any:
    """Make ``PLATFORMS`` on access (PEP 562)."""
    if name == "PLATFORMS":
        return tuple(iter_platforms())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def collect_actor(ctx: Context, raise_on_error: bool = False) -> dict[str, a.AttrValue]:
    """The ``workspace.actor.*`` attributes, behind the actor's gate (:data:`AGENT_VARIABLES`).

    Raises:
        ConfigurationError: ``WORKSPACE_OTEL_ACTOR`` holds neither on nor off.
    """
    if "WORKSPACE_OTEL_ACTOR" not in ctx.environ and AGENT_VARIABLES.isdisjoint(ctx.environ):
        return {}
    from workspace_otel.resources import _actor

    return _actor.collect_actor(ctx, raise_on_error)


def first_match(
    ctx: Context, raise_on_error: bool = False
) -> tuple[_PlatformDetector, dict[str, a.AttrValue]] | None:
    """Return the first platform whose markers are present, with its attributes."""
    for index, (_, name, gate) in enumerate(_TABLE):
        if gate is not None and not ctx.get(gate):
            continue  # it cannot match: its module is not imported
        try:
            platform = _platform(index)
            if platform.matches(ctx):
                return platform, platform.attributes(ctx)
        except ConfigurationError:
            raise
        except Exception as exc:  # one platform's failure must not hide others
            if raise_on_error:
                raise
            _logger.warning(
                "%s failed (%s); trying the next platform",
                name,
                type(exc).__name__,
            )
    return None


def near_misses_in(ctx: Context) -> list[tuple[str, list[str], list[str]]]:
    """Return (platform, markers present, markers missing) for half-detected platforms.

    Empty when a platform is detected: a workspace carries other platforms'
    look-alike markers (DevPod sets ``REMOTE_CONTAINERS``, Firebase Studio is a
    Cloud Workstation).
    """
    if first_match(ctx) is not None:
        return []
    misses: list[tuple[str, list[str], list[str]]] = []
    for platform in iter_platforms():
        best: list[Marker] | None = None
        for markers in platform.marker_sets(ctx):
            count = sum(present for _, present in markers)
            if 0 < count < len(markers) and (
                best is None or count > sum(present for _, present in best)
            ):
                best = markers
        if best is not None:
            misses.append(
                (
                    platform.name,
                    [name for name, present in best if present],
                    [name for name, present in best if not present],
                )
            )
    return misses


class PlatformResourceDetector(_Detector):
    """Every platform, no git: the first platform whose markers are present wins.

    Order: GitHub Actions, GitLab CI, Codespaces, Gitpod Classic, Ona, Coder,
    DevPod, Daytona, Firebase Studio, Cloud Workstations, Dev Containers.
    Outside every platform the resource is empty and nothing is logged above
    DEBUG. The ``workspace.actor.*`` attributes (an AI coding agent started the
    process; ``WORKSPACE_OTEL_ACTOR``) come with the platforms, as they are
    read from the environment alone: ``workspace_platform`` plus
    ``workspace_git`` export what ``workspace`` exports.
    """

    name = "platform"

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the attributes of the first matching platform, and the actor's."""
        found = first_match(ctx, self.raise_on_error)
        actor = collect_actor(ctx, self.raise_on_error)
        if found is None:
            _logger.debug("no workspace or CI platform detected")
            return actor
        return {**found[1], **actor}


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
    return near_misses_in(Context(environ, root))


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

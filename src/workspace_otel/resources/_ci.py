"""CI systems: GitHub Actions and GitLab CI produce ``cicd.*`` and ``vcs.*``, never ``workspace.*``.

They are checked before every workspace platform: a Codespaces prebuild or a
dev-container build runs in CI and carries some workspace markers too.
"""

from __future__ import annotations

import re

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector, copy_table
from workspace_otel.resources._codespaces import github_repository_attributes
from workspace_otel.resources._gitfiles import is_object_name
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import clean_web_url, repository_attributes

_DIGITS = r"^[0-9]{1,20}$"  # compiled by ``re`` on first use (CI runs only)


def _ref_attributes(name: str, ref_type: str, sha: str) -> dict[str, a.AttrValue]:
    attrs: dict[str, a.AttrValue] = {}
    if name:
        attrs[a.VCS_REF_HEAD_NAME] = name
        if ref_type in ("branch", "tag"):
            attrs[a.VCS_REF_HEAD_TYPE] = ref_type
    if is_object_name(sha.lower()):
        attrs[a.VCS_REF_HEAD_REVISION] = sha.lower()
    return attrs


class GitHubActionsResourceDetector(_PlatformDetector):
    """GitHub Actions: ``GITHUB_ACTIONS=true`` together with ``GITHUB_RUN_ID``.

    Attributes: ``cicd.pipeline.name`` (``GITHUB_WORKFLOW``),
    ``cicd.pipeline.run.id``, ``cicd.pipeline.run.url.full``,
    ``cicd.pipeline.task.name`` (``GITHUB_JOB``), ``cicd.worker.name``
    (``RUNNER_NAME``), ``vcs.*`` (``GITHUB_REPOSITORY``, ``GITHUB_REF_NAME``,
    ``GITHUB_REF_TYPE``, ``GITHUB_SHA``) and ``user.name`` / ``user.id``
    (``GITHUB_ACTOR`` / ``GITHUB_ACTOR_ID``) per identity mode.
    """

    name = a.GITHUB_ACTIONS
    is_workspace = False

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the GitHub Actions markers."""
        return [
            [
                ("GITHUB_ACTIONS=true", ctx.is_true("GITHUB_ACTIONS")),
                ("GITHUB_RUN_ID", bool(ctx.get("GITHUB_RUN_ID"))),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the GitHub Actions attributes."""
        attrs: dict[str, a.AttrValue] = {}
        copy_table(ctx, a.GITHUB_ACTIONS_TABLE, attrs)
        repo = github_repository_attributes(
            ctx.get("GITHUB_SERVER_URL"), ctx.get("GITHUB_REPOSITORY")
        )
        run_id = ctx.get("GITHUB_RUN_ID")
        if repo and re.match(_DIGITS, run_id):
            attrs[a.CICD_PIPELINE_RUN_URL_FULL] = (
                f"{repo[a.VCS_REPOSITORY_URL_FULL]}/actions/runs/{run_id}"
            )
        attrs.update(repo)
        attrs.update(
            _ref_attributes(
                ctx.get("GITHUB_REF_NAME"), ctx.get("GITHUB_REF_TYPE"), ctx.get("GITHUB_SHA")
            )
        )
        actor_id = ctx.get("GITHUB_ACTOR_ID")
        attrs.update(
            identity_attributes(
                ctx.identity,
                login=ctx.get("GITHUB_ACTOR"),
                user_id=actor_id if re.match(_DIGITS, actor_id) else "",
            )
        )
        return attrs


class GitLabCIResourceDetector(_PlatformDetector):
    """GitLab CI: ``GITLAB_CI=true`` together with ``CI_JOB_ID``.

    Attributes: ``cicd.pipeline.name`` (``CI_PIPELINE_NAME``),
    ``cicd.pipeline.run.id`` (``CI_PIPELINE_ID``), ``cicd.pipeline.run.url.full``
    (``CI_PIPELINE_URL``), ``cicd.pipeline.task.name`` / ``.run.id``
    (``CI_JOB_NAME`` / ``CI_JOB_ID``), ``cicd.worker.name`` / ``.id``
    (``CI_RUNNER_DESCRIPTION`` / ``CI_RUNNER_ID``), ``vcs.*`` (``CI_PROJECT_URL``,
    ``CI_COMMIT_REF_NAME``, ``CI_COMMIT_TAG`` / ``CI_COMMIT_BRANCH``,
    ``CI_COMMIT_SHA``) and ``user.*`` (``GITLAB_USER_LOGIN``, ``GITLAB_USER_ID``;
    ``GITLAB_USER_EMAIL`` / ``GITLAB_USER_NAME`` with identity ``full``).
    """

    name = a.GITLAB_CI
    is_workspace = False

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the GitLab CI markers."""
        return [
            [
                ("GITLAB_CI=true", ctx.is_true("GITLAB_CI")),
                ("CI_JOB_ID", bool(ctx.get("CI_JOB_ID"))),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the GitLab CI attributes."""
        attrs: dict[str, a.AttrValue] = {}
        copy_table(ctx, a.GITLAB_CI_TABLE, attrs)
        run_url = clean_web_url(ctx.get("CI_PIPELINE_URL"))
        if run_url:
            attrs[a.CICD_PIPELINE_RUN_URL_FULL] = run_url
        repo = repository_attributes(clean_web_url(ctx.get("CI_PROJECT_URL")))
        if repo:
            repo[a.VCS_PROVIDER_NAME] = "gitlab"
        attrs.update(repo)
        ref_type = "tag" if ctx.get("CI_COMMIT_TAG") else ""
        if not ref_type and ctx.get("CI_COMMIT_BRANCH"):
            ref_type = "branch"
        attrs.update(
            _ref_attributes(ctx.get("CI_COMMIT_REF_NAME"), ref_type, ctx.get("CI_COMMIT_SHA"))
        )
        user_id = ctx.get("GITLAB_USER_ID")
        attrs.update(
            identity_attributes(
                ctx.identity,
                login=ctx.get("GITLAB_USER_LOGIN"),
                user_id=user_id if re.match(_DIGITS, user_id) else "",
                email=ctx.get("GITLAB_USER_EMAIL"),
                full_name=ctx.get("GITLAB_USER_NAME"),
            )
        )
        return attrs

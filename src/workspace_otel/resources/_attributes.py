"""Attribute names, provider values and the (attribute <- variable) allow-lists.

Semantic-convention names are spelled out here instead of being imported from
``opentelemetry.semconv._incubating`` (a private module whose names move).
Everything a detector may copy from the environment is listed in this module:
a variable that is not named here never becomes an attribute.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from typing import Final, TypeAlias

AttrValue: TypeAlias = str | bool | int | float
"""The attribute value types the detectors produce (never sequences)."""

REPLACEMENT: Final = "\ufffd"
# C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates that
# reorder what a terminal or a UI shows.
# Compiled by ``re`` on first use: printable ASCII, nearly every value, never needs it.
_CONTROL: Final = "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def clean_value(value: object) -> object:
    """Return ``value`` with control characters replaced by U+FFFD (strings only).

    Git allows terminal escapes in branch names, and platform variables are
    not ours: no attribute carries a control character, whatever its source.
    """
    if isinstance(value, str):
        if value.isascii() and value.isprintable():
            return value  # no C0 control or DEL, and the rest is outside ASCII
        return re.sub(_CONTROL, REPLACEMENT, value)
    if isinstance(value, (list, tuple)):
        return type(value)(clean_value(item) for item in value)
    return value


def clean_attributes(attrs: dict[str, AttrValue]) -> dict[str, AttrValue]:
    """Return ``attrs`` with :func:`clean_value` applied to every value."""
    return {key: clean_value(value) for key, value in attrs.items()}  # type: ignore[misc]


# -- workspace.* (no semantic convention exists for development workspaces) --
WORKSPACE_PROVIDER: Final = "workspace.provider"
WORKSPACE_ID: Final = "workspace.id"
WORKSPACE_INSTANCE_ID: Final = "workspace.instance.id"
WORKSPACE_URL: Final = "workspace.url"
WORKSPACE_CLASS: Final = "workspace.class"
WORKSPACE_CLUSTER: Final = "workspace.cluster"
WORKSPACE_CONTEXT_URL: Final = "workspace.context.url"
WORKSPACE_PREBUILD: Final = "workspace.prebuild"
WORKSPACE_AGENT_NAME: Final = "workspace.agent.name"
WORKSPACE_GIT_DIRTY: Final = "workspace.git.dirty"

# -- workspace.actor.* (self-reported by AI coding agents; advisory) --
WORKSPACE_ACTOR_TYPE: Final = "workspace.actor.type"
WORKSPACE_ACTOR_AGENT_NAME: Final = "workspace.actor.agent.name"
WORKSPACE_ACTOR_AGENT_VERSION: Final = "workspace.actor.agent.version"
WORKSPACE_ACTOR_AGENT_SESSION_ID: Final = "workspace.actor.agent.session.id"
ACTOR_AGENT: Final = "agent"
ACTOR: Final = "actor"
"""The producer name ``detect`` shows for the actor attributes."""

# -- user.* --
USER_NAME: Final = "user.name"
USER_ID: Final = "user.id"
USER_EMAIL: Final = "user.email"
USER_FULL_NAME: Final = "user.full_name"
USER_HASH: Final = "user.hash"
USER_ATTRIBUTES: Final = (USER_NAME, USER_ID, USER_EMAIL, USER_FULL_NAME, USER_HASH)

# -- vcs.* --
VCS_REPOSITORY_URL_FULL: Final = "vcs.repository.url.full"
VCS_REPOSITORY_NAME: Final = "vcs.repository.name"
VCS_OWNER_NAME: Final = "vcs.owner.name"
VCS_PROVIDER_NAME: Final = "vcs.provider.name"
VCS_REF_HEAD_NAME: Final = "vcs.ref.head.name"
VCS_REF_HEAD_TYPE: Final = "vcs.ref.head.type"
VCS_REF_HEAD_REVISION: Final = "vcs.ref.head.revision"
VCS_REPOSITORY_GROUP: Final = frozenset(
    {VCS_REPOSITORY_URL_FULL, VCS_REPOSITORY_NAME, VCS_OWNER_NAME, VCS_PROVIDER_NAME}
)
VCS_REF_GROUP: Final = frozenset({VCS_REF_HEAD_NAME, VCS_REF_HEAD_TYPE, VCS_REF_HEAD_REVISION})

# -- cicd.* --
CICD_PIPELINE_NAME: Final = "cicd.pipeline.name"
CICD_PIPELINE_RUN_ID: Final = "cicd.pipeline.run.id"
CICD_PIPELINE_RUN_URL_FULL: Final = "cicd.pipeline.run.url.full"
CICD_PIPELINE_TASK_NAME: Final = "cicd.pipeline.task.name"
CICD_PIPELINE_TASK_RUN_ID: Final = "cicd.pipeline.task.run.id"
CICD_WORKER_NAME: Final = "cicd.worker.name"
CICD_WORKER_ID: Final = "cicd.worker.id"

# -- resource-wide --
SERVICE_NAME: Final = "service.name"
DEPLOYMENT_ENVIRONMENT_NAME: Final = "deployment.environment.name"
DEVELOPMENT: Final = "development"

# -- workspace.provider values (also the detector names shown as sources) --
CODESPACES: Final = "codespaces"
GITPOD: Final = "gitpod"
ONA: Final = "ona"
CODER: Final = "coder"
DEVPOD: Final = "devpod"
CLOUD_WORKSTATIONS: Final = "cloud_workstations"
FIREBASE_STUDIO: Final = "firebase_studio"
DAYTONA: Final = "daytona"
DEVCONTAINER: Final = "devcontainer"
GITHUB_ACTIONS: Final = "github_actions"
GITLAB_CI: Final = "gitlab_ci"
GIT: Final = "git"
WORKSPACE: Final = "workspace"

# -- (attribute <- variable) tables, copied verbatim when the variable is set --
GITPOD_TABLE: Final = (
    (WORKSPACE_ID, "GITPOD_WORKSPACE_ID"),
    (WORKSPACE_INSTANCE_ID, "GITPOD_INSTANCE_ID"),
    (WORKSPACE_CLASS, "GITPOD_WORKSPACE_CLASS"),
    (WORKSPACE_CLUSTER, "GITPOD_WORKSPACE_CLUSTER_HOST"),
)
CODER_TABLE: Final = (
    (WORKSPACE_ID, "CODER_WORKSPACE_NAME"),
    (WORKSPACE_AGENT_NAME, "CODER_WORKSPACE_AGENT_NAME"),
)
DEVPOD_TABLE: Final = (
    (WORKSPACE_ID, "DEVPOD_WORKSPACE_ID"),
    (WORKSPACE_INSTANCE_ID, "DEVPOD_WORKSPACE_UID"),
)
DAYTONA_SANDBOX_TABLE: Final = (
    (WORKSPACE_ID, "DAYTONA_SANDBOX_ID"),
    (WORKSPACE_CLUSTER, "DAYTONA_REGION_ID"),
)
DAYTONA_LEGACY_TABLE: Final = ((WORKSPACE_ID, "DAYTONA_WS_ID"),)
GITHUB_ACTIONS_TABLE: Final = (
    (CICD_PIPELINE_NAME, "GITHUB_WORKFLOW"),
    (CICD_PIPELINE_RUN_ID, "GITHUB_RUN_ID"),
    (CICD_PIPELINE_TASK_NAME, "GITHUB_JOB"),
    (CICD_WORKER_NAME, "RUNNER_NAME"),
)
GITLAB_CI_TABLE: Final = (
    (CICD_PIPELINE_NAME, "CI_PIPELINE_NAME"),
    (CICD_PIPELINE_RUN_ID, "CI_PIPELINE_ID"),
    (CICD_PIPELINE_TASK_NAME, "CI_JOB_NAME"),
    (CICD_PIPELINE_TASK_RUN_ID, "CI_JOB_ID"),
    (CICD_WORKER_NAME, "CI_RUNNER_DESCRIPTION"),
    (CICD_WORKER_ID, "CI_RUNNER_ID"),
)

# Keys of /workspaces/.codespaces/shared/environment-variables.json that may be
# read. The file can hold other values (treat it as secret-bearing).
CODESPACES_FILE_KEYS: Final = frozenset(
    {
        "CODESPACES",
        "CODESPACE_NAME",
        "GITHUB_USER",
        "GITHUB_REPOSITORY",
        "GITHUB_SERVER_URL",
        "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN",
        "CLOUDENV_ENVIRONMENT_ID",
        "INTERNAL_VSCS_TARGET_URL",
    }
)
CODESPACES_FILE: Final = "workspaces/.codespaces/shared/environment-variables.json"
ONA_SPEC_FILE: Final = "usr/local/gitpod/config/initial-spec.json"
"""Only its existence is checked: the file holds the environment token."""

IDENTITY_MODES: Final = ("login", "full", "hash", "off")

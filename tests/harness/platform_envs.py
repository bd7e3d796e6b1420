"""Realistic environments of every platform, with planted secrets, for any test.

Each :class:`PlatformEnv` holds the variables a process sees on one platform
(built from ``platforms.md``; values follow the public examples there), the
platform files it has (paths relative to the platform root), the canary
values planted in secret-bearing variables and files, and the attributes the
platform detectors must produce with the default identity mode (``login``).

Usage::

    from tests.harness.platform_envs import ENVIRONMENTS, SECRET_CANARIES, by_name

    env = by_name("codespaces")
    environ = env.materialize(tmp_path)         # writes files, sets the platform root
    attrs, _ = detect_with_sources(environ, cwd=tmp_path)
    assert_no_canary(repr(attrs))

Canaries are distinct and never a substring of a legitimate value, so finding
one anywhere (attributes, logs, CLI output, files) is a leak.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

AttrValue: TypeAlias = str | bool | int | float

_CANARY_PREFIX = "CANARY"
_CANARY_SUFFIX = "x9Qz"


def canary(tag: str) -> str:
    """Return the planted secret value for ``tag`` (unique per tag)."""
    return f"{_CANARY_PREFIX}{tag}{_CANARY_SUFFIX}"


def _collect_secrets(texts: Iterable[str]) -> tuple[str, ...]:
    found: set[str] = set()
    for text in texts:
        start = text.find(_CANARY_PREFIX)
        while start != -1:
            end = text.find(_CANARY_SUFFIX, start)
            if end == -1:
                break
            found.add(text[start : end + len(_CANARY_SUFFIX)])
            start = text.find(_CANARY_PREFIX, end)
    return tuple(sorted(found))


@dataclass(frozen=True)
class PlatformEnv:
    """One platform's environment.

    Attributes:
        name: short identifier (``codespaces``, ``gitpod``, ...).
        environ: the process environment, secrets included.
        expected: attributes the platform detectors produce (identity ``login``).
        files: platform files, path relative to the platform root -> content.
        is_workspace: ``False`` for CI and for a non-workspace laptop.
        source: the producer name ``detect_with_sources`` reports (``None``: none).
    """

    name: str
    environ: Mapping[str, str]
    expected: Mapping[str, AttrValue]
    files: Mapping[str, str] = field(default_factory=dict)
    is_workspace: bool = True
    source: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The canary values planted in this environment's variables and files."""
        return _collect_secrets([*self.environ.values(), *self.files.values()])

    def materialize(self, root: Path) -> dict[str, str]:
        """Write the platform files under ``root``; return the environ pointing at it."""
        for relative, content in self.files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        environ = dict(self.environ)
        environ["WORKSPACE_OTEL_PLATFORM_ROOT"] = str(root)
        return environ

    def expected_workspace(self) -> dict[str, AttrValue]:
        """Attributes of the ``workspace`` detector when no git repository is found."""
        attrs = dict(self.expected)
        if self.is_workspace and attrs:
            attrs["deployment.environment.name"] = "development"
        name = attrs.get("vcs.repository.name")
        if isinstance(name, str):
            attrs["service.name"] = name
        return attrs


_LAPTOP = {
    "HOME": "/home/dev",
    "USER": "dev",
    "LANG": "C.UTF-8",
    "SHELL": "/bin/bash",
    "TERM": "xterm-256color",
}

# -- GitHub Codespaces (platforms.md 1) ------------------------------------------------
_CODESPACE_NAME = "fluffy-giggle-vw699r4p6p9cxx94"
_CODESPACES_COMMON = {
    "HOME": "/home/codespace",
    "USER": "codespace",
    "HOSTNAME": "codespaces-a73d6b",
    "ContainerVersion": "13",
    "ORYX_ENV_TYPE": "vsonline-present",
    "GITHUB_API_URL": "https://api.github.com",
    "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
    "RAILS_DEVELOPMENT_HOSTS": ".githubpreview.dev,.preview.app.github.dev,.app.github.dev",
    "VSCDC_FIXED_SECRETS": "true",
    "GITHUB_TOKEN": "ghu_" + canary("CodespacesGithubToken"),
    "GITHUB_CODESPACE_TOKEN": canary("GithubCodespaceToken"),
    "GITHUB_CODESPACES_TOKEN": canary("GithubCodespacesToken"),
    "GH_TOKEN": canary("CodespacesGhToken"),
    "MY_DATABASE_PASSWORD": canary("CodespacesUserSecret"),
}
_CODESPACES_VARS = {
    "CODESPACES": "true",
    "CODESPACE_NAME": _CODESPACE_NAME,
    "GITHUB_USER": "YuriVdSantos",
    "GITHUB_REPOSITORY": "YuriVdSantos/novo_reset",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev",
    "CLOUDENV_ENVIRONMENT_ID": "d706a6db-8822-40d5-8b01-efd2b944615a",
    "CODESPACE_VSCODE_FOLDER": "/workspaces/novo_reset",
    "INTERNAL_VSCS_TARGET_URL": "https://eastus2.online.visualstudio.com",
    "GIT_COMMITTER_NAME": "Yuri Santos",
    "GIT_COMMITTER_EMAIL": "YuriVdSantos@users.noreply.github.com",
}
_CODESPACES_EXPECTED: dict[str, AttrValue] = {
    "workspace.provider": "codespaces",
    "workspace.id": _CODESPACE_NAME,
    "workspace.url": f"https://{_CODESPACE_NAME}.github.dev",
    "workspace.cluster": "eastus2.online.visualstudio.com",
    "user.name": "YuriVdSantos",
    "vcs.repository.url.full": "https://github.com/YuriVdSantos/novo_reset",
    "vcs.repository.name": "novo_reset",
    "vcs.owner.name": "YuriVdSantos",
    "vcs.provider.name": "github",
}
_CODESPACES_SECRET_FILES = {
    "workspaces/.codespaces/shared/.env": (
        f"GITHUB_TOKEN=ghu_{canary('CodespacesDotEnv')}\nCODESPACE_NAME={_CODESPACE_NAME}\n"
    ),
    "workspaces/.codespaces/shared/.env-secrets": (
        f"MY_DATABASE_PASSWORD={canary('CodespacesEnvSecrets')}\n"
    ),
}

CODESPACES = PlatformEnv(
    name="codespaces",
    environ={**_CODESPACES_COMMON, **_CODESPACES_VARS},
    expected=_CODESPACES_EXPECTED,
    files=_CODESPACES_SECRET_FILES,
    source="codespaces",
)

CODESPACES_FROM_FILE = PlatformEnv(
    name="codespaces_file",
    # An SSH session / service: the platform variables are missing from the process.
    environ={**_CODESPACES_COMMON, "CODESPACE_VSCODE_FOLDER": "/workspaces/novo_reset"},
    expected={k: v for k, v in _CODESPACES_EXPECTED.items() if k != "workspace.cluster"},
    files={
        **_CODESPACES_SECRET_FILES,
        "workspaces/.codespaces/shared/environment-variables.json": json.dumps(
            {
                "CODESPACE_NAME": _CODESPACE_NAME,
                "GITHUB_USER": "YuriVdSantos",
                "GITHUB_REPOSITORY": "YuriVdSantos/novo_reset",
                "GITHUB_SERVER_URL": "https://github.com",
                "ACTION_NAME": "createFromPrebuild",
                "GITHUB_TOKEN": "ghu_" + canary("CodespacesJsonToken"),
                "GITHUB_CODESPACE_TOKEN": canary("CodespacesJsonCodespaceToken"),
            }
        ),
    },
    source="codespaces",
)

CODESPACES_PREBUILD = PlatformEnv(
    name="codespaces_prebuild",
    environ={**_CODESPACES_COMMON, **_CODESPACES_VARS, "CLOUDENV_ENVIRONMENT_ID": "null"},
    expected={**_CODESPACES_EXPECTED, "workspace.prebuild": True},
    source="codespaces",
)

# -- Gitpod Classic (platforms.md 2) ---------------------------------------------------
_GITPOD_WS = "miroadamypr-toolsofthet-yj0hmgx11u1"
_GITPOD_CONTEXT = {
    "isFile": False,
    "path": "",
    "title": "miroadamy-practice/tools-of-the-trade - main",
    "ref": "main",
    "refType": "branch",
    "revision": "a7b330d5c5b0b6e7f1d1f4c0d4b8e6a2f0c9d3e1",
    "repository": {
        "cloneUrl": "https://github.com/miroadamy-practice/tools-of-the-trade.git",
        "host": "github.com",
        "name": "tools-of-the-trade",
        "owner": "miroadamy-practice",
        "private": False,
    },
    "normalizedContextURL": "https://github.com/miroadamy-practice/tools-of-the-trade",
    "checkoutLocation": "tools-of-the-trade",
    "wasPrebuilt": True,
    "envvars": [{"name": "WEBHOOK_JWT", "value": canary("GitpodContextEnvvar")}],
}
_GITPOD_VARS = {
    "HOME": "/home/gitpod",
    "USER": "gitpod",
    "GITPOD_WORKSPACE_ID": _GITPOD_WS,
    "GITPOD_INSTANCE_ID": "014e3bf2-2a8d-4918-99f1-5122cf85adbb",
    "GITPOD_WORKSPACE_URL": f"https://{_GITPOD_WS}.ws-eu54.gitpod.io",
    "GITPOD_WORKSPACE_CLUSTER_HOST": "ws-eu54.gitpod.io",
    "GITPOD_WORKSPACE_CLASS": "g1-standard",
    "GITPOD_WORKSPACE_CLASS_INFO": '{"id":"g1-standard","displayName":"Standard"}',
    "GITPOD_OWNER_ID": "0c655b71-ab9f-472d-a4a0-94d9187d7bd8",
    "GITPOD_HOST": "https://gitpod.io",
    "GITPOD_REPO_ROOT": "/workspace/tools-of-the-trade",
    "GITPOD_REPO_ROOTS": "/workspace/tools-of-the-trade",
    "THEIA_WORKSPACE_ROOT": "/workspace/tools-of-the-trade",
    "GITPOD_WORKSPACE_CONTEXT_URL": "https://github.com/miroadamy-practice/tools-of-the-trade",
    "GITPOD_WORKSPACE_CONTEXT": json.dumps(_GITPOD_CONTEXT),
    "GITPOD_GIT_USER_NAME": "Miro Adamy",
    "GITPOD_GIT_USER_EMAIL": "miro.adamy@example.com",
    "GITPOD_MEMORY": "3435",
    "GITPOD_CPU_COUNT": "4",
    "GITPOD_THEIA_PORT": "23000",
    "GITPOD_INTERVAL": "30000",
    "GITPOD_IDE_ALIAS": "code",
    "GITPOD_PREVENT_METADATA_ACCESS": "true",
    "SUPERVISOR_ADDR": "localhost:22999",
    "GITPOD_TASKS": json.dumps(
        [{"name": "db", "command": f"psql postgres://app:{canary('GitpodTasks')}@db/app"}]
    ),
    "THEIA_SUPERVISOR_TOKENS": json.dumps(
        [{"token": canary("TheiaSupervisorTokens"), "kind": "gitpod", "host": "gitpod.io"}]
    ),
    "GITPOD_TOKENS": canary("GitpodTokens"),
    "GITPOD_IMAGE_AUTH": "registry.example.com:" + canary("GitpodImageAuth"),
    "GITPOD_CLI_APITOKEN": canary("GitpodCliApitoken"),
    "GITPOD_ANALYTICS_SEGMENT_KEY": canary("GitpodSegmentKey"),
    "SUPERVISOR_ENVVAR_OTS": "https://gitpod.io/api/ots/get/" + canary("SupervisorOts"),
    "NPM_TOKEN": canary("GitpodUserEnvvar"),
}
_GITPOD_EXPECTED: dict[str, AttrValue] = {
    "workspace.provider": "gitpod",
    "workspace.id": _GITPOD_WS,
    "workspace.instance.id": "014e3bf2-2a8d-4918-99f1-5122cf85adbb",
    "workspace.url": f"https://{_GITPOD_WS}.ws-eu54.gitpod.io",
    "workspace.cluster": "ws-eu54.gitpod.io",
    "workspace.class": "g1-standard",
    "workspace.context.url": "https://github.com/miroadamy-practice/tools-of-the-trade",
    "user.id": "0c655b71-ab9f-472d-a4a0-94d9187d7bd8",
    "vcs.repository.url.full": "https://github.com/miroadamy-practice/tools-of-the-trade",
    "vcs.repository.name": "tools-of-the-trade",
    "vcs.owner.name": "miroadamy-practice",
    "vcs.provider.name": "github",
    "vcs.ref.head.name": "main",
    "vcs.ref.head.type": "branch",
    "vcs.ref.head.revision": "a7b330d5c5b0b6e7f1d1f4c0d4b8e6a2f0c9d3e1",
}
GITPOD = PlatformEnv("gitpod", _GITPOD_VARS, _GITPOD_EXPECTED, source="gitpod")
GITPOD_PREBUILD = PlatformEnv(
    "gitpod_prebuild",
    {**_GITPOD_VARS, "GITPOD_HEADLESS": "true"},
    {**_GITPOD_EXPECTED, "workspace.prebuild": True},
    source="gitpod",
)

# -- Ona (platforms.md 3) ----------------------------------------------------------------
_ONA_ID = "019a6760-cbe9-7def-a10a-434ff94ffcaf"
ONA = PlatformEnv(
    name="ona",
    environ={
        "HOME": "/home/vscode",
        "USER": "vscode",
        "GITPOD_ENVIRONMENT_ID": _ONA_ID,
        "GITPOD_API_KEY": canary("OnaApiKey"),
        "GITPOD_TOKEN": canary("OnaToken"),
    },
    expected={"workspace.provider": "ona", "workspace.id": _ONA_ID},
    files={
        "usr/local/gitpod/config/initial-spec.json": json.dumps(
            {
                "controlPlaneApiEndpoint": "https://app.gitpod.io/api",
                "environmentToken": canary("OnaEnvironmentToken"),
            }
        ),
        "usr/local/gitpod/shared/git-secrets/4f2a": (
            f"username=oauth2\npassword=gho_{canary('OnaGitSecret')}\n"
        ),
    },
    source="ona",
)

# -- Coder (platforms.md 4) --------------------------------------------------------------
CODER = PlatformEnv(
    name="coder",
    environ={
        **_LAPTOP,
        "CODER": "true",
        "CODER_WORKSPACE_NAME": "demo",
        "CODER_WORKSPACE_AGENT_NAME": "main",
        "CODER_AGENT_URL": "https://coder.example.com/",
        "CODER_AGENT_AUTH": "token",
        "CODER_AGENT_TOKEN": canary("CoderAgentToken"),
        "CODER_SESSION_TOKEN": canary("CoderSessionToken"),
        "CODER_WORKSPACE_OWNER_OIDC_ACCESS_TOKEN": canary("CoderOwnerOidc"),
        "CODER_WORKSPACE_OWNER_SESSION_TOKEN": canary("CoderOwnerSession"),
        "OIDC_TOKEN": canary("CoderTemplateOidc"),
        "GIT_SSH_COMMAND": "/tmp/coder.abc/coder gitssh --",
        "GIT_ASKPASS": "/usr/bin/coder",
        "VSCODE_PROXY_URI": "https://{{port}}--main--demo--jimmy.apps.example.com/",
        "CS_DISABLE_GETTING_STARTED_OVERRIDE": "true",
    },
    expected={
        "workspace.provider": "coder",
        "workspace.id": "demo",
        "workspace.agent.name": "main",
        "workspace.cluster": "coder.example.com",
        "workspace.url": "https://coder.example.com/@jimmy/demo",
        "user.name": "jimmy",
    },
    source="coder",
)

# -- DevPod (platforms.md 5) -------------------------------------------------------------
DEVPOD = PlatformEnv(
    name="devpod",
    environ={
        **_LAPTOP,
        "DEVPOD": "true",
        "REMOTE_CONTAINERS": "true",
        "DEVPOD_WORKSPACE_ID": "my-repo",
        "DEVPOD_WORKSPACE_UID": "default-my-re-3c7a2",
        "DEVPOD_GIT_HELPER_PORT": "12049",
        "DEVPOD_CREDENTIALS_SERVER_PORT": "12050",
        "DEVPOD_AGENT_URL": "https://github.com/loft-sh/devpod/releases/download/v0.6.15",
        "GH_TOKEN": canary("DevpodGhToken"),
    },
    expected={
        "workspace.provider": "devpod",
        "workspace.id": "my-repo",
        "workspace.instance.id": "default-my-re-3c7a2",
    },
    source="devpod",
)

# -- Google Cloud Workstations and Firebase Studio (platforms.md 6) -------------------------
CLOUD_WORKSTATIONS = PlatformEnv(
    name="cloud_workstations",
    environ={
        **_LAPTOP,
        "GOOGLE_CLOUD_WORKSTATIONS": "true",
        "WEB_HOST": "my-workstation.cluster-abc123xyz.cloudworkstations.dev",
        "CLOUDSDK_AUTH_ACCESS_TOKEN": canary("GcloudAccessToken"),
    },
    expected={
        "workspace.provider": "cloud_workstations",
        "workspace.id": "my-workstation",
        "workspace.url": "https://my-workstation.cluster-abc123xyz.cloudworkstations.dev",
        "workspace.cluster": "cluster-abc123xyz.cloudworkstations.dev",
    },
    source="cloud_workstations",
)
_FIREBASE_HOST = "6000-firebase-studio-1753843934284.cluster-q3pz7.cloudworkstations.dev"
FIREBASE_STUDIO = PlatformEnv(
    name="firebase_studio",
    environ={
        **_LAPTOP,
        "GOOGLE_CLOUD_WORKSTATIONS": "true",
        "WEB_HOST": _FIREBASE_HOST,
        "MONOSPACE_ENV": "prod",
        "IDX_CHANNEL": "stable",
        "WORKSPACE_SLUG": "studio-1753843934284",
        "WORKSPACE_SERVICE_ACCOUNT_EMAIL": "ws-sa@monospace-prod.iam.gserviceaccount.com",
        "MONOSPACE_COMMIT_SHA": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "IDX_TOKEN_SOCK": "/tmp/idx-" + canary("IdxTokenSock") + ".sock",
        "FIREBASE_DEPLOY_AGENT": "firebase-studio",
    },
    expected={
        "workspace.provider": "firebase_studio",
        "workspace.id": "studio-1753843934284",
        "workspace.url": f"https://{_FIREBASE_HOST}",
        "workspace.cluster": "cluster-q3pz7.cloudworkstations.dev",
    },
    source="firebase_studio",
)

# -- Daytona (platforms.md 7) ------------------------------------------------------------
DAYTONA = PlatformEnv(
    name="daytona",
    environ={
        "HOME": "/home/daytona",
        "DAYTONA_SANDBOX_ID": "3f1d6c2e-7b1a-4c55-9a0e-5d2b8f7e9c10",
        "DAYTONA_SANDBOX_SNAPSHOT": "daytonaio/sandbox:0.4.3",
        "DAYTONA_SANDBOX_USER": "daytona",
        "DAYTONA_ORGANIZATION_ID": "b0c1d2e3-f405-4677-8899-aabbccddeeff",
        "DAYTONA_REGION_ID": "us",
        "DAYTONA_OTEL_ENDPOINT": "https://otel.app.daytona.io",
        "DAYTONA_API_KEY": canary("DaytonaApiKey"),
    },
    expected={
        "workspace.provider": "daytona",
        "workspace.id": "3f1d6c2e-7b1a-4c55-9a0e-5d2b8f7e9c10",
        "workspace.cluster": "us",
    },
    source="daytona",
)
DAYTONA_LEGACY = PlatformEnv(
    name="daytona_legacy",
    environ={
        "HOME": "/home/daytona",
        "DAYTONA_WS_ID": "b6f3a1c9e2d4",
        "DAYTONA_WS_PROJECT_NAME": "sample",
        "DAYTONA_WS_PROJECT_REPOSITORY_URL": (
            f"https://x-token:{canary('DaytonaRepoUrl')}@github.com/daytonaio/sample-python.git"
        ),
        "DAYTONA_SERVER_URL": "https://api.daytona.example.com",
        "DAYTONA_SERVER_API_URL": "https://api.daytona.example.com",
        "DAYTONA_SERVER_VERSION": "0.50.0",
        "DAYTONA_CLIENT_ID": "d2c3e4f5-0a1b-4c2d-8e3f-405162738495",
        "DAYTONA_SERVER_API_KEY": canary("DaytonaServerApiKey"),
        "DAYTONA_TELEMETRY_ENABLED": "true",
    },
    expected={
        "workspace.provider": "daytona",
        "workspace.id": "b6f3a1c9e2d4",
        "vcs.repository.url.full": "https://github.com/daytonaio/sample-python",
        "vcs.repository.name": "sample-python",
        "vcs.owner.name": "daytonaio",
        "vcs.provider.name": "github",
    },
    source="daytona",
)

# -- VS Code Dev Containers (platforms.md 8) ------------------------------------------------
DEVCONTAINER = PlatformEnv(
    name="devcontainer",
    environ={
        **_LAPTOP,
        "REMOTE_CONTAINERS": "true",
        "REMOTE_CONTAINERS_IPC": (
            "/tmp/vscode-remote-containers-ipc-0e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c.sock"
        ),
        "REMOTE_CONTAINERS_SOCKETS": (
            '["/tmp/vscode-ssh-auth-0e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c.sock"]'
        ),
        "VSCODE_REMOTE_CONTAINERS_SESSION": "0e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c1700000000000",
        "GH_TOKEN": canary("DevcontainerGhToken"),
    },
    expected={"workspace.provider": "devcontainer"},
    source="devcontainer",
)

# -- CI (platforms.md 9) ---------------------------------------------------------------
_ACTIONS_VARS = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_RUN_ID": "1658821493",
    "GITHUB_RUN_NUMBER": "42",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_WORKFLOW_REF": "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
    "GITHUB_JOB": "test",
    "GITHUB_REPOSITORY": "octo-org/octo-repo",
    "GITHUB_REPOSITORY_OWNER": "octo-org",
    "GITHUB_SHA": "ffac537e6cbbf934b08745a378932722df287a53",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_REF_TYPE": "branch",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_ACTOR_ID": "583231",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_API_URL": "https://api.github.com",
    "RUNNER_NAME": "GitHub Actions 12",
    "RUNNER_OS": "Linux",
    "RUNNER_ARCH": "X64",
    "RUNNER_ENVIRONMENT": "github-hosted",
    "ACTIONS_ID_TOKEN_REQUEST_URL": (
        "https://pipelines.actions.githubusercontent.com/"
        + canary("ActionsRequestUrl")
        + "/idtoken/x?api-version=2.0"
    ),
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": canary("ActionsRequestToken"),
    "ACTIONS_RUNTIME_TOKEN": canary("ActionsRuntimeToken"),
    "GITHUB_TOKEN": "ghs_" + canary("ActionsGithubToken"),
}
_ACTIONS_EXPECTED: dict[str, AttrValue] = {
    "cicd.pipeline.name": "CI",
    "cicd.pipeline.run.id": "1658821493",
    "cicd.pipeline.run.url.full": "https://github.com/octo-org/octo-repo/actions/runs/1658821493",
    "cicd.pipeline.task.name": "test",
    "cicd.worker.name": "GitHub Actions 12",
    "vcs.repository.url.full": "https://github.com/octo-org/octo-repo",
    "vcs.repository.name": "octo-repo",
    "vcs.owner.name": "octo-org",
    "vcs.provider.name": "github",
    "vcs.ref.head.name": "main",
    "vcs.ref.head.type": "branch",
    "vcs.ref.head.revision": "ffac537e6cbbf934b08745a378932722df287a53",
    "user.name": "octocat",
    "user.id": "583231",
}
GITHUB_ACTIONS = PlatformEnv(
    "github_actions",
    {"HOME": "/home/runner", **_ACTIONS_VARS},
    _ACTIONS_EXPECTED,
    is_workspace=False,
    source="github_actions",
)
GITLAB_CI = PlatformEnv(
    name="gitlab_ci",
    environ={
        "HOME": "/root",
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER_URL": "https://gitlab.com",
        "CI_PIPELINE_ID": "1234567890",
        "CI_PIPELINE_NAME": "nightly",
        "CI_PIPELINE_URL": "https://gitlab.com/acme/platform/api/-/pipelines/1234567890",
        "CI_JOB_ID": "9876543210",
        "CI_JOB_NAME": "unit-tests",
        "CI_JOB_URL": "https://gitlab.com/acme/platform/api/-/jobs/9876543210",
        "CI_PROJECT_PATH": "acme/platform/api",
        "CI_PROJECT_NAME": "api",
        "CI_PROJECT_NAMESPACE": "acme/platform",
        "CI_PROJECT_URL": "https://gitlab.com/acme/platform/api",
        "CI_COMMIT_SHA": "1f2e3d4c5b6a79880716253443526170819a0b1c",
        "CI_COMMIT_REF_NAME": "feature/login",
        "CI_COMMIT_BRANCH": "feature/login",
        "CI_RUNNER_ID": "12270837",
        "CI_RUNNER_DESCRIPTION": "3-blue.saas-linux-small-amd64",
        "GITLAB_USER_LOGIN": "jdoe",
        "GITLAB_USER_ID": "4242",
        "GITLAB_USER_EMAIL": "jdoe@example.com",
        "GITLAB_USER_NAME": "Jane Doe",
        "CI_JOB_TOKEN": canary("GitlabJobToken"),
        "CI_JOB_JWT_V2": canary("GitlabJobJwt"),
        "OTEL_ID_TOKEN": canary("GitlabIdToken"),
        "CI_REGISTRY_PASSWORD": canary("GitlabRegistryPassword"),
        "CI_REPOSITORY_URL": (
            f"https://gitlab-ci-token:{canary('GitlabRepositoryUrl')}@gitlab.com/acme/platform/api.git"
        ),
    },
    expected={
        "cicd.pipeline.name": "nightly",
        "cicd.pipeline.run.id": "1234567890",
        "cicd.pipeline.run.url.full": "https://gitlab.com/acme/platform/api/-/pipelines/1234567890",
        "cicd.pipeline.task.name": "unit-tests",
        "cicd.pipeline.task.run.id": "9876543210",
        "cicd.worker.name": "3-blue.saas-linux-small-amd64",
        "cicd.worker.id": "12270837",
        "vcs.repository.url.full": "https://gitlab.com/acme/platform/api",
        "vcs.repository.name": "api",
        "vcs.owner.name": "acme/platform",
        "vcs.provider.name": "gitlab",
        "vcs.ref.head.name": "feature/login",
        "vcs.ref.head.type": "branch",
        "vcs.ref.head.revision": "1f2e3d4c5b6a79880716253443526170819a0b1c",
        "user.name": "jdoe",
        "user.id": "4242",
    },
    is_workspace=False,
    source="gitlab_ci",
)

# A Codespaces prebuild runs as a GitHub Actions workflow: it is CI.
CODESPACES_PREBUILD_IN_ACTIONS = PlatformEnv(
    name="codespaces_prebuild_in_actions",
    environ={
        **_CODESPACES_COMMON,
        **_ACTIONS_VARS,
        "CODESPACES": "true",
        "CODESPACE_NAME": _CODESPACE_NAME,
        "CLOUDENV_ENVIRONMENT_ID": "null",
    },
    expected=_ACTIONS_EXPECTED,
    is_workspace=False,
    source="github_actions",
)

# A dev-container build (devcontainers/ci) running in Actions: CI as well.
DEVCONTAINER_BUILD_IN_ACTIONS = PlatformEnv(
    name="devcontainer_build_in_actions",
    environ={
        "HOME": "/home/runner",
        **_ACTIONS_VARS,
        "REMOTE_CONTAINERS": "true",
        "REMOTE_CONTAINERS_IPC": "/tmp/vscode-remote-containers-ipc-1.sock",
    },
    expected=_ACTIONS_EXPECTED,
    is_workspace=False,
    source="github_actions",
)

# A developer's laptop that exports stray markers: not a workspace.
STRAY_LAPTOP = PlatformEnv(
    name="stray_laptop",
    environ={
        **_LAPTOP,
        "CODESPACE_NAME": "leftover-from-a-dotfile",
        "GITPOD_WORKSPACE_ID": "copied-from-a-blog-post",
        "GITPOD_ENVIRONMENT_ID": "not-a-uuid",
        "CODER": "true",
        "DEVPOD_WORKSPACE_ID": "my-repo",
        "REMOTE_CONTAINERS": "true",
        "GOOGLE_CLOUD_WORKSTATIONS": "true",
        "DAYTONA_WS_ID": "abc",
        "GITHUB_RUN_ID": "1",
        "GITHUB_TOKEN": "ghp_" + canary("LaptopGithubToken"),
    },
    expected={},
    is_workspace=False,
    source=None,
)

CLEAN = PlatformEnv("clean", dict(_LAPTOP), {}, is_workspace=False, source=None)

ENVIRONMENTS: tuple[PlatformEnv, ...] = (
    CODESPACES,
    CODESPACES_FROM_FILE,
    CODESPACES_PREBUILD,
    GITPOD,
    GITPOD_PREBUILD,
    ONA,
    CODER,
    DEVPOD,
    CLOUD_WORKSTATIONS,
    FIREBASE_STUDIO,
    DAYTONA,
    DAYTONA_LEGACY,
    DEVCONTAINER,
    GITHUB_ACTIONS,
    GITLAB_CI,
    CODESPACES_PREBUILD_IN_ACTIONS,
    DEVCONTAINER_BUILD_IN_ACTIONS,
    STRAY_LAPTOP,
    CLEAN,
)
"""Every environment, workspace platforms first, then CI, then non-workspaces."""


SECRET_CANARIES: tuple[str, ...] = tuple(sorted({s for e in ENVIRONMENTS for s in e.secrets}))
"""Every planted secret value, across all environments."""


def secret_canaries() -> tuple[str, ...]:
    """Return every planted secret value (same as :data:`SECRET_CANARIES`)."""
    return SECRET_CANARIES


def by_name(name: str) -> PlatformEnv:
    """Return the environment called ``name`` (with its ``secrets`` filled in)."""
    for env in ENVIRONMENTS:
        if env.name == name:
            return env
    raise KeyError(name)


def find_canaries(text: str) -> list[str]:
    """Return the planted secrets (or fragments of one) found in ``text``; empty: no leak."""
    found = [secret for secret in SECRET_CANARIES if secret in text]
    if not found and _CANARY_PREFIX in text:
        found.append(_CANARY_PREFIX)
    return found

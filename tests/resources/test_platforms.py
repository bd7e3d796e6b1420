"""Every platform, from realistic environments with planted secrets."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from tests.harness.platform_envs import (
    CLEAN,
    CLOUD_WORKSTATIONS,
    CODER,
    CODESPACES,
    DAYTONA,
    DAYTONA_LEGACY,
    DEVCONTAINER,
    DEVPOD,
    ENVIRONMENTS,
    FIREBASE_STUDIO,
    GITHUB_ACTIONS,
    GITLAB_CI,
    GITPOD,
    ONA,
    STRAY_LAPTOP,
    PlatformEnv,
    find_canaries,
)
from workspace_otel.resources import (
    CloudWorkstationsResourceDetector,
    CoderResourceDetector,
    CodespacesResourceDetector,
    DaytonaResourceDetector,
    DevContainerResourceDetector,
    DevPodResourceDetector,
    FirebaseStudioResourceDetector,
    GitHubActionsResourceDetector,
    GitLabCIResourceDetector,
    GitpodResourceDetector,
    OnaResourceDetector,
    PlatformResourceDetector,
    WorkspaceResourceDetector,
    detect_with_sources,
    near_misses,
)
from workspace_otel.resources._base import _Detector

IDS = [e.name for e in ENVIRONMENTS]

SPECIFIC: dict[str, type[_Detector]] = {
    "codespaces": CodespacesResourceDetector,
    "gitpod": GitpodResourceDetector,
    "ona": OnaResourceDetector,
    "coder": CoderResourceDetector,
    "devpod": DevPodResourceDetector,
    "cloud_workstations": CloudWorkstationsResourceDetector,
    "firebase_studio": FirebaseStudioResourceDetector,
    "daytona": DaytonaResourceDetector,
    "devcontainer": DevContainerResourceDetector,
    "github_actions": GitHubActionsResourceDetector,
    "gitlab_ci": GitLabCIResourceDetector,
}


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=IDS)
def test_platform_detector_gives_the_full_attribute_set(env: PlatformEnv, tmp_path: Path) -> None:
    """The platform detector yields exactly the expected attributes."""
    environ = env.materialize(tmp_path)
    resource = PlatformResourceDetector(environ=environ, cwd=tmp_path).detect()
    assert dict(resource.attributes) == dict(env.expected)


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=IDS)
def test_workspace_detector_adds_environment_and_service_name(
    env: PlatformEnv, tmp_path: Path
) -> None:
    """Without a repository the workspace detector adds only the derived attributes."""
    environ = env.materialize(tmp_path)
    resource = WorkspaceResourceDetector(environ=environ, cwd=tmp_path).detect()
    assert dict(resource.attributes) == env.expected_workspace()


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=IDS)
def test_sources_name_the_platform(env: PlatformEnv, tmp_path: Path) -> None:
    """Every platform attribute is attributed to the platform's detector."""
    attrs, sources = detect_with_sources(env.materialize(tmp_path), cwd=tmp_path)
    assert set(sources) == set(attrs)
    for key in env.expected:
        assert sources[key] == env.source
    for key in ("deployment.environment.name", "service.name"):
        if key in attrs:
            assert sources[key] == "workspace"


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=IDS)
@pytest.mark.parametrize("identity", ["login", "full", "hash", "off"])
def test_no_secret_anywhere(
    env: PlatformEnv, identity: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No planted secret reaches attributes, sources, reprs or logs (even DEBUG)."""
    environ = env.materialize(tmp_path)
    environ["WORKSPACE_OTEL_IDENTITY"] = identity
    caplog.set_level(logging.DEBUG)
    detector = WorkspaceResourceDetector(environ=environ, cwd=tmp_path)
    resource = detector.detect()
    attrs, sources = detect_with_sources(environ, cwd=tmp_path)
    text = " ".join(
        [
            repr(resource.attributes),
            resource.to_json(),
            repr(attrs),
            repr(sources),
            repr(detector),
            repr(detector.context()),
            caplog.text,
            repr(near_misses(environ)),
        ]
    )
    assert env.secrets or env.name == "clean"
    assert find_canaries(text) == []


@pytest.mark.parametrize("env", [e for e in ENVIRONMENTS if e.source in SPECIFIC], ids=str)
def test_each_platform_has_its_own_detector(env: PlatformEnv, tmp_path: Path) -> None:
    """The platform's own detector class yields the same attributes."""
    assert env.source is not None
    detector = SPECIFIC[env.source](environ=env.materialize(tmp_path))
    assert dict(detector.detect().attributes) == dict(env.expected)


@pytest.mark.parametrize(
    ("env", "other"),
    [
        (DEVPOD, DevContainerResourceDetector),
        (FIREBASE_STUDIO, CloudWorkstationsResourceDetector),
        (GITHUB_ACTIONS, CodespacesResourceDetector),
    ],
    ids=["devpod-vs-devcontainer", "firebase-vs-workstations", "actions-vs-codespaces"],
)
def test_confusable_pairs_resolve_to_the_specific_platform(
    env: PlatformEnv, other: type[_Detector], tmp_path: Path
) -> None:
    """The platform detector picks the specific platform of a confusable pair."""
    environ = env.materialize(tmp_path)
    attrs = dict(PlatformResourceDetector(environ=environ).detect().attributes)
    assert attrs == dict(env.expected)
    if other is DevContainerResourceDetector:
        assert dict(other(environ=environ).detect().attributes) == {}


def test_plain_workstation_is_not_firebase(tmp_path: Path) -> None:
    """A Cloud Workstation without Firebase markers is not Firebase Studio."""
    environ = CLOUD_WORKSTATIONS.materialize(tmp_path)
    assert dict(FirebaseStudioResourceDetector(environ=environ).detect().attributes) == {}


def test_clean_environment_is_empty_and_silent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside any workspace: empty resources and nothing logged above DEBUG."""
    caplog.set_level(logging.DEBUG)
    environ = CLEAN.materialize(tmp_path)
    types: list[type[_Detector]] = [PlatformResourceDetector, WorkspaceResourceDetector]
    for detector_type in [*types, *SPECIFIC.values()]:
        resource = detector_type(environ=environ, cwd=tmp_path).detect()
        assert dict(resource.attributes) == {}
    assert [r for r in caplog.records if r.levelno > logging.DEBUG] == []
    assert near_misses(environ, tmp_path) == []


def test_stray_markers_are_near_misses_not_workspaces(tmp_path: Path) -> None:
    """One marker without its partner is reported for the doctor, not detected."""
    environ = STRAY_LAPTOP.materialize(tmp_path)
    assert dict(PlatformResourceDetector(environ=environ).detect().attributes) == {}
    misses = {platform: (present, missing) for platform, present, missing in near_misses(environ)}
    assert set(misses) == {
        "github_actions",
        "codespaces",
        "gitpod",
        "ona",
        "coder",
        "devpod",
        "daytona",
        "firebase_studio",
        "cloud_workstations",
        "devcontainer",
    }
    assert misses["gitpod"] == (["GITPOD_WORKSPACE_ID"], ["GITPOD_INSTANCE_ID"])
    assert misses["coder"] == (["CODER=true"], ["CODER_WORKSPACE_NAME"])
    assert misses["devcontainer"] == (["REMOTE_CONTAINERS=true"], ["REMOTE_CONTAINERS_IPC"])


def test_no_near_miss_when_a_platform_is_detected(tmp_path: Path) -> None:
    """DevPod's REMOTE_CONTAINERS is not reported as a Dev Containers near miss."""
    assert near_misses(DEVPOD.materialize(tmp_path)) == []


# -- identity modes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "mode", "expected"),
    [
        (CODESPACES, "off", {}),
        (CODESPACES, "login", {"user.name": "YuriVdSantos"}),
        (
            CODESPACES,
            "full",
            {
                "user.name": "YuriVdSantos",
                "user.email": "YuriVdSantos@users.noreply.github.com",
                "user.full_name": "Yuri Santos",
            },
        ),
        (
            CODESPACES,
            "hash",
            {"user.hash": hashlib.sha256(b"YuriVdSantos").hexdigest()},
        ),
        (GITPOD, "login", {"user.id": "0c655b71-ab9f-472d-a4a0-94d9187d7bd8"}),
        (
            GITPOD,
            "full",
            {
                "user.id": "0c655b71-ab9f-472d-a4a0-94d9187d7bd8",
                "user.email": "miro.adamy@example.com",
                "user.full_name": "Miro Adamy",
            },
        ),
        (GITPOD, "hash", {}),
        (CODER, "off", {}),
        (GITLAB_CI, "login", {"user.name": "jdoe", "user.id": "4242"}),
        (
            GITLAB_CI,
            "full",
            {
                "user.name": "jdoe",
                "user.id": "4242",
                "user.email": "jdoe@example.com",
                "user.full_name": "Jane Doe",
            },
        ),
    ],
    ids=lambda v: v.name if isinstance(v, PlatformEnv) else None,
)
def test_identity_modes(
    env: PlatformEnv, mode: str, expected: dict[str, str], tmp_path: Path
) -> None:
    """WORKSPACE_OTEL_IDENTITY decides which user.* attributes leave."""
    environ = env.materialize(tmp_path)
    environ["WORKSPACE_OTEL_IDENTITY"] = mode
    attrs = dict(PlatformResourceDetector(environ=environ).detect().attributes)
    assert {k: v for k, v in attrs.items() if k.startswith("user.")} == expected


def test_coder_identity_hash_hides_the_owner_everywhere(tmp_path: Path) -> None:
    """With identity hash the Coder owner appears neither as user.name nor in workspace.url."""
    environ = CODER.materialize(tmp_path)
    environ["WORKSPACE_OTEL_IDENTITY"] = "hash"
    attrs = dict(CoderResourceDetector(environ=environ).detect().attributes)
    assert "jimmy" not in repr(attrs)
    assert "workspace.url" not in attrs
    assert len(str(attrs["user.hash"])) == 64


def test_login_never_lands_in_user_id(tmp_path: Path) -> None:
    """No platform puts a login into user.id."""
    for env in ENVIRONMENTS:
        attrs = dict(
            PlatformResourceDetector(environ=env.materialize(tmp_path)).detect().attributes
        )
        if "user.id" in attrs:
            assert attrs["user.id"] != attrs.get("user.name")
            assert str(attrs["user.id"]).replace("-", "").isalnum()


def test_invalid_identity_mode_raises_configuration_error(tmp_path: Path) -> None:
    """A misspelt identity mode is a ConfigurationError naming the variable."""
    from workspace_otel.errors import ConfigurationError

    environ = CODESPACES.materialize(tmp_path)
    environ["WORKSPACE_OTEL_IDENTITY"] = "everything"
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_IDENTITY"):
        detect_with_sources(environ, cwd=tmp_path)


# -- platform specifics -----------------------------------------------------------------


def test_codespaces_variables_win_over_the_file(tmp_path: Path) -> None:
    """Variables present in the process take precedence over environment-variables.json."""
    environ = CODESPACES.materialize(tmp_path)
    shared = tmp_path / "workspaces/.codespaces/shared"
    (shared / "environment-variables.json").write_text(
        '{"CODESPACE_NAME": "other-name", "GITHUB_USER": "someone-else"}'
    )
    attrs = dict(CodespacesResourceDetector(environ=environ).detect().attributes)
    assert attrs["workspace.id"] == CODESPACES.environ["CODESPACE_NAME"]
    assert attrs["user.name"] == "YuriVdSantos"


@pytest.mark.parametrize(
    "content", ["", "not json", "[1, 2]", '{"CODESPACE_NAME": 5}', '{"CODESPACE_NAME": ""}']
)
def test_codespaces_bad_file_is_ignored(content: str, tmp_path: Path) -> None:
    """A malformed environment-variables.json detects nothing and does not raise."""
    path = tmp_path / "workspaces/.codespaces/shared/environment-variables.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    environ = {"WORKSPACE_OTEL_PLATFORM_ROOT": str(tmp_path)}
    detector = CodespacesResourceDetector(raise_on_error=True, environ=environ)
    assert dict(detector.detect().attributes) == {}


def test_codespaces_name_alone_is_not_a_codespace(tmp_path: Path) -> None:
    """CODESPACE_NAME without CODESPACES=true or the platform file is a stray marker."""
    environ = {"CODESPACE_NAME": "x", "WORKSPACE_OTEL_PLATFORM_ROOT": str(tmp_path)}
    assert dict(CodespacesResourceDetector(environ=environ).detect().attributes) == {}


def test_ona_needs_a_uuid_or_its_spec_file(tmp_path: Path) -> None:
    """A non-UUID environment id is Ona only when the platform's spec file exists."""
    environ = {"GITPOD_ENVIRONMENT_ID": "env-123", "WORKSPACE_OTEL_PLATFORM_ROOT": str(tmp_path)}
    assert dict(OnaResourceDetector(environ=environ).detect().attributes) == {}
    ONA.materialize(tmp_path)
    attrs = dict(OnaResourceDetector(environ=environ).detect().attributes)
    assert attrs == {"workspace.provider": "ona", "workspace.id": "env-123"}


def test_ona_uppercase_uuid_is_normalised(tmp_path: Path) -> None:
    """The Ona id is reported lowercase."""
    environ = {"GITPOD_ENVIRONMENT_ID": "019A6760-CBE9-7DEF-A10A-434FF94FFCAF"}
    attrs = dict(OnaResourceDetector(environ=environ, root=tmp_path).detect().attributes)
    assert attrs["workspace.id"] == "019a6760-cbe9-7def-a10a-434ff94ffcaf"


def test_gitpod_classic_wins_over_ona() -> None:
    """An environment with Classic markers and an environment id is Gitpod Classic."""
    environ = {**GITPOD.environ, "GITPOD_ENVIRONMENT_ID": "019a6760-cbe9-7def-a10a-434ff94ffcaf"}
    attrs = dict(PlatformResourceDetector(environ=environ).detect().attributes)
    assert attrs["workspace.provider"] == "gitpod"


@pytest.mark.parametrize(
    ("context_url", "expected"),
    [
        (
            "FOO=bar,TOKEN=CANARYCtxPrefixx9Qz/https://github.com/o/r/tree/main",
            "https://github.com/o/r/tree/main",
        ),
        (
            "https://user:CANARYCtxUserx9Qz@gitlab.com/g/p?token=CANARYCtxQx9Qz#x",
            "https://gitlab.com/g/p",
        ),
        ("javascript:alert(1)", None),
    ],
)
def test_gitpod_context_url_is_cleaned(context_url: str, expected: str | None) -> None:
    """Context URLs lose env-var prefixes, credentials, query and fragment."""
    environ = {
        "GITPOD_WORKSPACE_ID": "a-b-c",
        "GITPOD_INSTANCE_ID": "1",
        "GITPOD_WORKSPACE_CONTEXT_URL": context_url,
    }
    attrs = dict(GitpodResourceDetector(environ=environ).detect().attributes)
    assert attrs.get("workspace.context.url") == expected
    assert find_canaries(repr(attrs)) == []


@pytest.mark.parametrize(
    "context", ["", "{", "[]", '{"repository": "x"}', '{"ref": 5, "revision": "nothex"}']
)
def test_gitpod_bad_context_still_detects_the_workspace(context: str) -> None:
    """A malformed GITPOD_WORKSPACE_CONTEXT gives no vcs.* but keeps the workspace."""
    environ = {
        "GITPOD_WORKSPACE_ID": "a-b-c",
        "GITPOD_INSTANCE_ID": "1",
        "GITPOD_WORKSPACE_CONTEXT": context,
    }
    attrs = dict(GitpodResourceDetector(raise_on_error=True, environ=environ).detect().attributes)
    assert attrs == {
        "workspace.provider": "gitpod",
        "workspace.id": "a-b-c",
        "workspace.instance.id": "1",
    }


def test_gitpod_tag_context() -> None:
    """A tag context gives vcs.ref.head.type=tag."""
    environ = {
        "GITPOD_WORKSPACE_ID": "a-b-c",
        "GITPOD_INSTANCE_ID": "1",
        "GITPOD_WORKSPACE_CONTEXT": (
            '{"ref": "v1.2.0", "refType": "tag", "repository": '
            '{"host": "gitlab.example.com", "owner": "g", "name": "p"}}'
        ),
    }
    attrs = dict(GitpodResourceDetector(environ=environ).detect().attributes)
    assert attrs["vcs.ref.head.name"] == "v1.2.0"
    assert attrs["vcs.ref.head.type"] == "tag"
    assert attrs["vcs.repository.url.full"] == "https://gitlab.example.com/g/p"
    assert attrs["vcs.provider.name"] == "gitlab"


def test_coder_owner_must_match_the_workspace() -> None:
    """A VSCODE_PROXY_URI for another workspace does not give an owner."""
    environ = {
        **CODER.environ,
        "VSCODE_PROXY_URI": "https://{{port}}--main--other--mallory.apps.example.com/",
    }
    attrs = dict(CoderResourceDetector(environ=environ).detect().attributes)
    assert "user.name" not in attrs
    assert "workspace.url" not in attrs


def test_coder_sub_agent_owner_variable() -> None:
    """Dev-container sub-agents name the owner in CODER_WORKSPACE_OWNER_NAME."""
    environ = {k: v for k, v in CODER.environ.items() if k != "VSCODE_PROXY_URI"}
    environ["CODER_WORKSPACE_OWNER_NAME"] = "jimmy"
    attrs = dict(CoderResourceDetector(environ=environ).detect().attributes)
    assert attrs["user.name"] == "jimmy"


def test_daytona_sandbox_and_legacy_are_both_daytona() -> None:
    """Both Daytona generations report workspace.provider=daytona."""
    for env in (DAYTONA, DAYTONA_LEGACY):
        attrs = dict(DaytonaResourceDetector(environ=env.environ).detect().attributes)
        assert attrs["workspace.provider"] == "daytona"


def test_devcontainer_needs_the_ipc_socket() -> None:
    """REMOTE_CONTAINERS=true alone (as DevPod sets it) is not a dev container."""
    environ = {k: v for k, v in DEVCONTAINER.environ.items() if k != "REMOTE_CONTAINERS_IPC"}
    assert dict(DevContainerResourceDetector(environ=environ).detect().attributes) == {}


def test_ci_never_produces_workspace_attributes(tmp_path: Path) -> None:
    """GitHub Actions and GitLab CI give cicd.* / vcs.* / user.* only."""
    for env in ENVIRONMENTS:
        if env.source in ("github_actions", "gitlab_ci"):
            attrs, _ = detect_with_sources(env.materialize(tmp_path), cwd=tmp_path)
            assert not [k for k in attrs if k.startswith(("workspace.", "deployment."))]
            assert "cicd.pipeline.run.id" in attrs


def test_gitlab_tag_pipeline() -> None:
    """A tag pipeline reports vcs.ref.head.type=tag."""
    environ = {**GITLAB_CI.environ, "CI_COMMIT_REF_NAME": "v2.0.0", "CI_COMMIT_TAG": "v2.0.0"}
    del environ["CI_COMMIT_BRANCH"]
    attrs = dict(GitLabCIResourceDetector(environ=environ).detect().attributes)
    assert (attrs["vcs.ref.head.name"], attrs["vcs.ref.head.type"]) == ("v2.0.0", "tag")


def test_unexpected_error_is_logged_once_without_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug below the boundary gives an empty resource and one line with no message text."""

    def boom(self: object, ctx: object) -> dict[str, str]:
        raise ValueError("CANARYBoomx9Qz")

    monkeypatch.setattr(CodespacesResourceDetector, "attributes", boom)
    caplog.set_level(logging.DEBUG)
    detector = CodespacesResourceDetector(environ=CODESPACES.environ)
    assert dict(detector.detect().attributes) == {}
    assert len(caplog.records) == 1
    assert "ValueError" in caplog.text
    assert find_canaries(caplog.text) == []
    with pytest.raises(ValueError, match="Boom"):
        CodespacesResourceDetector(raise_on_error=True, environ=CODESPACES.environ).detect()


def test_one_failing_platform_does_not_hide_the_next(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The platform detector moves on when one platform's check fails."""

    def boom(self: object, ctx: object) -> bool:
        raise RuntimeError("x")

    # Codespaces is tried before Gitpod (the CI platforms are passed over: no gate variable).
    monkeypatch.setattr(CodespacesResourceDetector, "matches", boom)
    attrs = dict(PlatformResourceDetector(environ=GITPOD.environ).detect().attributes)
    assert attrs["workspace.provider"] == "gitpod"
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_unusable_platform_root_falls_back_to_slash() -> None:
    """A platform root with control characters is ignored rather than crashing."""
    environ = {"WORKSPACE_OTEL_PLATFORM_ROOT": "/tmp/\x00bad", "GITPOD_ENVIRONMENT_ID": "x"}
    detector = OnaResourceDetector(raise_on_error=True, environ=environ)
    assert detector.context().root == Path("/")
    assert dict(detector.detect().attributes) == {}


def test_each_gate_is_a_variable_every_marker_set_of_its_platform_requires() -> None:
    from workspace_otel.resources import _workspace as _platform
    from workspace_otel.resources._base import Context

    gated = [(index, gate) for index, (_, _, gate) in enumerate(_platform._TABLE) if gate]
    assert gated  # the CI platforms, first in the order
    for index, gate in gated:
        detector = _platform._platform(index)
        sets = detector.marker_sets(Context({}))
        assert sets, detector.name
        for markers in sets:
            assert any(label.split("=")[0] == gate for label, _ in markers), (gate, markers)


@pytest.mark.parametrize("env", [GITHUB_ACTIONS, GITLAB_CI], ids=lambda e: e.name)
def test_a_ci_platform_without_its_gate_variable_is_not_detected(env: PlatformEnv) -> None:
    from workspace_otel.resources._base import Context
    from workspace_otel.resources._workspace import first_match

    found = first_match(Context(dict(env.environ)))
    assert found is not None
    assert found[0].name == env.name
    gate = {"github_actions": "GITHUB_ACTIONS", "gitlab_ci": "GITLAB_CI"}[env.name]
    without = {k: v for k, v in env.environ.items() if k != gate}
    found = first_match(Context(without))
    assert found is None or found[0].name != env.name


def test_a_codespace_start_does_not_import_the_ci_detectors(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys\n"
        "from workspace_otel.resources._base import Context\n"
        "from workspace_otel.resources._workspace import first_match\n"
        "found = first_match(Context())\n"
        "ci = 'workspace_otel.resources._ci' in sys.modules\n"
        "print(json.dumps([found and found[0].name, ci]))\n"
    )
    base = {k: v for k, v in CODESPACES.environ.items() if k != "WORKSPACE_OTEL_PLATFORM_ROOT"}
    for extra, expected in (({}, ["codespaces", False]), (dict(GITHUB_ACTIONS.environ), None)):
        env = {
            "PATH": "/usr/bin:/bin",
            **base,
            **extra,
            "WORKSPACE_OTEL_PLATFORM_ROOT": str(tmp_path),
        }
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        name, imported = json.loads(done.stdout)
        if expected is None:  # a workflow run in a Codespace-like environment: CI first
            assert (name, imported) == ("github_actions", True)
        else:
            assert [name, imported] == expected

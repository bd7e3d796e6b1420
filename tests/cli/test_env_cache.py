"""The detection cache behind ``workspace-otel env``: reused only while nothing it read changed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import MakeRepo, cli_env, git, run_cli
from tests.harness.process import unmeasured

CODESPACES = {"CODESPACES": "true", "CODESPACE_NAME": "first-space", "GITHUB_USER": "ada"}

_PROBE = (
    "import io, sys\n"
    "from workspace_otel.cli._environment import run_env\n"
    "out = io.StringIO()\n"
    "run_env(fmt='json', out=out)\n"
    "print(out.getvalue().strip())\n"
    "print('opentelemetry.sdk.resources' in sys.modules)\n"
)


def _cache_files() -> list[Path]:
    directory = Path(os.environ["XDG_CACHE_HOME"]) / "workspace-otel"
    return sorted(directory.glob("env-*.json")) if directory.is_dir() else []


def _exported(repo: Path, env: dict[str, str]) -> dict[str, str]:
    done = run_cli("env", "--format", "json", env=env, cwd=repo)
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout)
    return result


def _probe(repo: Path, env: dict[str, str]) -> tuple[dict[str, str], bool]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    output, imported = done.stdout.strip().splitlines()
    return json.loads(output), imported == "True"


def test_a_repeat_run_skips_the_detectors_and_prints_the_same(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = cli_env(**CODESPACES)
    first, imported_first = _probe(repo, env)
    second, imported_second = _probe(repo, env)
    assert imported_first
    assert not imported_second
    assert first == second
    assert "workspace.id=first-space" in first["OTEL_RESOURCE_ATTRIBUTES"]


def test_a_changed_variable_a_new_branch_or_commit_is_seen_at_once(make_repo: MakeRepo) -> None:
    repo = make_repo(branch="one")
    env = cli_env(**CODESPACES)
    assert "vcs.ref.head.name=one" in _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]
    renamed = _exported(repo, {**env, "CODESPACE_NAME": "second-space"})
    assert "workspace.id=second-space" in renamed["OTEL_RESOURCE_ATTRIBUTES"]
    git(repo, "checkout", "-q", "-b", "two")
    assert "vcs.ref.head.name=two" in _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    head = git(repo, "rev-parse", "HEAD")
    assert f"vcs.ref.head.revision={head}" in _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]
    gone = _exported(repo, {k: v for k, v in env.items() if k != "CODESPACES"})
    assert "workspace.id" not in gone["OTEL_RESOURCE_ATTRIBUTES"]


def test_a_platform_file_that_appears_is_seen(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    root = tmp_path / "root"
    shared = root / "workspaces" / ".codespaces" / "shared"
    shared.mkdir(parents=True)
    env = cli_env(CODESPACES="true", WORKSPACE_OTEL_PLATFORM_ROOT=str(root))
    before = _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]
    assert "workspace.id" not in before
    (shared / "environment-variables.json").write_text(
        json.dumps({"CODESPACE_NAME": "from-file-space", "CODESPACES": "true"})
    )
    after = _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]
    assert "workspace.id=from-file-space" in after


def test_the_cache_is_private_holds_no_secret_and_can_be_turned_off(make_repo: MakeRepo) -> None:
    secret = "ghp_s3cr3tT0kenValue1234567890"
    repo = make_repo(remote=f"https://x:{secret}@github.com/acme/widgets.git")
    _exported(repo, cli_env(**CODESPACES))
    [entry] = _cache_files()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    text = entry.read_text()
    assert secret not in text
    recorded = json.loads(text)["env"]
    assert recorded["CODESPACE_NAME"] != "first-space"
    assert all(v is None or len(v) == 64 for v in recorded.values())  # digests only
    entry.unlink()
    _exported(repo, cli_env(**CODESPACES, WORKSPACE_OTEL_GIT_CACHE="off"))
    assert _cache_files() == []


def test_a_tampered_or_shared_cache_file_is_ignored(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = cli_env(**CODESPACES)
    _exported(repo, env)
    [entry] = _cache_files()
    data = json.loads(entry.read_text())
    data["attributes"]["workspace.id"] = "forged"
    entry.write_text(json.dumps(data))
    entry.chmod(0o644)
    assert "workspace.id=first-space" in _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    entry.write_text("{not json")
    entry.chmod(0o600)
    assert "workspace.id=first-space" in _exported(repo, env)["OTEL_RESOURCE_ATTRIBUTES"]


def test_a_new_variable_name_is_seen_when_a_detector_lists_the_names(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = cli_env(**CODESPACES)
    _exported(repo, env)
    [entry] = _cache_files()
    assert json.loads(entry.read_text())["names"]  # the agent markers list the names
    _, imported = _probe(repo, {**env, "SOME_NEW_NAME": "1"})
    assert imported  # a different set of names: detected again


def test_the_shell_start_path_imports_no_parser_typing_or_sdk(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = unmeasured(cli_env(**CODESPACES))
    code = (
        "import sys\n"
        "from workspace_otel.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "heavy = [m for m in ('argparse', 'typing', 'logging', 'dataclasses', "
        "'opentelemetry.sdk.resources', 'git') if m in sys.modules]\n"
        "print(status, ','.join(heavy), file=sys.stderr)\n"
    )
    for args in (["env"], ["env"], ["env", "--format", "json"], ["env", "--format=dotenv"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=repo, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        status, _, heavy = done.stderr.strip().partition(" ")
        assert status == "0"
        assert done.stdout
    assert heavy == ""  # the last runs were cache hits
    bad = run_cli("env", "--format", "xml", env=env, cwd=repo)
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr
    assert bad.stdout == ""

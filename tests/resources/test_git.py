"""The git detector against real repositories built with the `git` executable."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.platform_envs import GITPOD, find_canaries
from workspace_otel.resources import GitResourceDetector, detect_with_sources

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")

SECRET_REMOTE = "https://user:ghp_CANARYGitRemotex9Qz@github.com/o/r.git"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}

Git = Callable[..., str]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


def _commit(repo: Path, name: str) -> str:
    (repo / name).write_text(name)
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", name)
    return _git(repo, "rev-parse", "HEAD")


def _attrs(cwd: Path, **extra: str) -> dict[str, object]:
    environ = {"HOME": str(cwd), **extra}
    return dict(GitResourceDetector(environ=environ, cwd=cwd).detect().attributes)


@pytest.fixture(scope="module", name="repos")
def _repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build every repository shape once for the module."""
    base = tmp_path_factory.mktemp("repos")
    made: dict[str, Path] = {}

    main = base / "main"
    main.mkdir()
    _git(main, "init", "-q")
    _git(main, "remote", "add", "origin", SECRET_REMOTE)
    _commit(main, "a")
    _git(main, "tag", "-a", "-m", "annotated", "v1.0.0")
    _commit(main, "b")
    (main / "sub" / "dir").mkdir(parents=True)
    made["main"] = main

    scp = base / "scp"
    scp.mkdir()
    _git(scp, "init", "-q")
    _git(scp, "remote", "add", "origin", "git@gitlab.com:group/sub/proj.git")
    _commit(scp, "x")
    made["scp"] = scp

    empty = base / "empty"
    empty.mkdir()
    _git(empty, "init", "-q")
    _git(empty, "remote", "add", "origin", "git@github.com:o/empty.git")
    made["empty"] = empty

    shallow = base / "shallow"
    _git(base, "clone", "-q", "--depth", "1", f"file://{main}", str(shallow))
    made["shallow"] = shallow

    worktree = base / "worktree"
    _git(main, "worktree", "add", "-q", "-b", "feature/wt", str(worktree))
    made["worktree"] = worktree

    parent = base / "parent"
    parent.mkdir()
    _git(parent, "init", "-q")
    _commit(parent, "p")
    _git(parent, "submodule", "add", "-q", str(scp), "modules/child")
    _git(parent, "commit", "-q", "-m", "add submodule")
    made["submodule"] = parent / "modules" / "child"

    packed = base / "packed"
    _git(base, "clone", "-q", str(main), str(packed))
    _git(packed, "remote", "set-url", "origin", "ssh://git@bitbucket.org:22/team/packed.git")
    _git(packed, "pack-refs", "--all")
    made["packed"] = packed
    return made


def test_branch_with_credentials_in_the_remote(repos: dict[str, Path]) -> None:
    """A branch checkout gives the full vcs.* set and the token never appears."""
    repo = repos["main"]
    attrs = _attrs(repo)
    assert attrs == {
        "vcs.repository.url.full": "https://github.com/o/r",
        "vcs.repository.name": "r",
        "vcs.owner.name": "o",
        "vcs.provider.name": "github",
        "vcs.ref.head.name": "main",
        "vcs.ref.head.type": "branch",
        "vcs.ref.head.revision": _git(repo, "rev-parse", "HEAD"),
    }
    assert find_canaries(repr(attrs)) == []


def test_repository_is_found_from_a_subdirectory(repos: dict[str, Path]) -> None:
    """The repository is searched from the current directory upwards."""
    attrs = _attrs(repos["main"] / "sub" / "dir")
    assert attrs["vcs.repository.name"] == "r"


def test_scp_style_remote_becomes_https(repos: dict[str, Path]) -> None:
    """git@host:group/sub/proj.git becomes https://host/group/sub/proj."""
    attrs = _attrs(repos["scp"])
    assert attrs["vcs.repository.url.full"] == "https://gitlab.com/group/sub/proj"
    assert attrs["vcs.owner.name"] == "group/sub"
    assert attrs["vcs.provider.name"] == "gitlab"


@pytest.mark.parametrize("tag", ["light", "v1.0.0"])
def test_detached_at_a_loose_tag(tmp_path: Path, tag: str) -> None:
    """HEAD detached at a loose lightweight or annotated tag reports the tag."""
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, "a")
    _git(tmp_path, "tag", "light")
    _commit(tmp_path, "b")
    _git(tmp_path, "tag", "-a", "-m", "annotated", "v1.0.0")
    _commit(tmp_path, "c")
    _git(tmp_path, "checkout", "-q", "--detach", tag)
    assert (tmp_path / ".git" / "refs" / "tags" / tag).exists()
    attrs = _attrs(tmp_path)
    assert attrs["vcs.ref.head.name"] == tag
    assert attrs["vcs.ref.head.type"] == "tag"
    assert attrs["vcs.ref.head.revision"] == _git(tmp_path, "rev-parse", "HEAD")


def test_detached_at_a_packed_annotated_tag(repos: dict[str, Path], tmp_path: Path) -> None:
    """Peeled entries of packed-refs resolve annotated tags."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repos["packed"]), str(clone))
    _git(clone, "pack-refs", "--all")
    _git(clone, "checkout", "-q", "--detach", "v1.0.0")
    attrs = _attrs(clone)
    assert (attrs["vcs.ref.head.name"], attrs["vcs.ref.head.type"]) == ("v1.0.0", "tag")


def test_detached_head_gives_the_sha_alone(repos: dict[str, Path], tmp_path: Path) -> None:
    """A detached HEAD that no tag names gives only the revision."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repos["main"]), str(clone))
    _git(clone, "checkout", "-q", "--detach", "HEAD")
    attrs = _attrs(clone)
    assert attrs["vcs.ref.head.revision"] == _git(clone, "rev-parse", "HEAD")
    assert "vcs.ref.head.name" not in attrs
    assert "vcs.ref.head.type" not in attrs


def test_no_commits_yet(repos: dict[str, Path]) -> None:
    """An unborn branch gives its name and no revision."""
    attrs = _attrs(repos["empty"])
    assert attrs == {
        "vcs.repository.url.full": "https://github.com/o/empty",
        "vcs.repository.name": "empty",
        "vcs.owner.name": "o",
        "vcs.provider.name": "github",
        "vcs.ref.head.name": "main",
        "vcs.ref.head.type": "branch",
    }


def test_shallow_clone(repos: dict[str, Path]) -> None:
    """A shallow clone reads like any other (a file:// remote has no web URL)."""
    repo = repos["shallow"]
    assert (repo / ".git" / "shallow").exists()
    attrs = _attrs(repo)
    assert attrs == {
        "vcs.ref.head.name": "main",
        "vcs.ref.head.type": "branch",
        "vcs.ref.head.revision": _git(repo, "rev-parse", "HEAD"),
    }


def test_worktree(repos: dict[str, Path]) -> None:
    """A linked worktree reads its own HEAD and the main repository's config."""
    repo = repos["worktree"]
    assert (repo / ".git").is_file()
    attrs = _attrs(repo)
    assert attrs["vcs.ref.head.name"] == "feature/wt"
    assert attrs["vcs.ref.head.revision"] == _git(repo, "rev-parse", "HEAD")
    assert attrs["vcs.repository.url.full"] == "https://github.com/o/r"


def test_submodule(repos: dict[str, Path]) -> None:
    """Inside a submodule the submodule's own repository is reported."""
    repo = repos["submodule"]
    assert (repo / ".git").is_file()
    attrs = _attrs(repo)
    assert attrs["vcs.ref.head.revision"] == _git(repo, "rev-parse", "HEAD")
    assert "vcs.repository.url.full" not in attrs


def test_packed_refs_branch_and_ssh_url_with_port(repos: dict[str, Path]) -> None:
    """A branch only in packed-refs resolves; an ssh:// remote drops user and port."""
    repo = repos["packed"]
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    attrs = _attrs(repo)
    assert attrs["vcs.ref.head.revision"] == _git(repo, "rev-parse", "HEAD")
    assert attrs["vcs.repository.url.full"] == "https://bitbucket.org/team/packed"
    assert attrs["vcs.provider.name"] == "bitbucket"


def test_insteadof_is_applied(tmp_path: Path) -> None:
    """url.<base>.insteadOf rewrites the remote as git would."""
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "origin", "gh:o/aliased")
    _git(tmp_path, "config", "url.https://github.com/.insteadOf", "gh:")
    assert _attrs(tmp_path)["vcs.repository.url.full"] == "https://github.com/o/aliased"


def test_platform_repo_root_is_searched(repos: dict[str, Path], tmp_path: Path) -> None:
    """GITPOD_REPO_ROOT / CODESPACE_VSCODE_FOLDER are tried when cwd is in no repository."""
    for variable in ("GITPOD_REPO_ROOT", "CODESPACE_VSCODE_FOLDER"):
        attrs = _attrs(tmp_path, **{variable: str(repos["main"])})
        assert attrs["vcs.repository.name"] == "r"


def test_git_off(repos: dict[str, Path]) -> None:
    """WORKSPACE_OTEL_GIT=off reads nothing."""
    assert _attrs(repos["main"], WORKSPACE_OTEL_GIT="off") == {}


def test_identity_full_adds_git_identity(repos: dict[str, Path], tmp_path: Path) -> None:
    """With identity full, git's user.name/user.email become user.full_name/user.email."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repos["main"]), str(clone))
    _git(clone, "config", "user.name", "Ada Lovelace")
    _git(clone, "config", "user.email", "ada@example.com")
    attrs = _attrs(clone, WORKSPACE_OTEL_IDENTITY="full")
    assert attrs["user.full_name"] == "Ada Lovelace"
    assert attrs["user.email"] == "ada@example.com"
    assert "user.email" not in _attrs(clone)


def test_dirty_state(repos: dict[str, Path], tmp_path: Path) -> None:
    """workspace.git.dirty appears only when asked, and follows the work tree."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repos["main"]), str(clone))
    assert "workspace.git.dirty" not in _attrs(clone)
    assert _attrs(clone, WORKSPACE_OTEL_GIT_DIRTY="on")["workspace.git.dirty"] is False
    (clone / "a").write_text("changed")
    assert _attrs(clone, WORKSPACE_OTEL_GIT_DIRTY="on")["workspace.git.dirty"] is True


def test_corrupt_head_logs_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A repository with a garbage HEAD gives what it can and one WARNING line."""
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "origin", "https://github.com/o/corrupt.git")
    (tmp_path / ".git" / "HEAD").write_text("garbage\n")
    caplog.set_level(logging.DEBUG)
    attrs = _attrs(tmp_path, WORKSPACE_OTEL_GIT_DIRTY="on")
    assert attrs["vcs.repository.name"] == "corrupt"
    assert "vcs.ref.head.revision" not in attrs
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


@pytest.mark.parametrize("content", ["gitdir: /nonexistent/path\n", "nonsense", ""])
def test_broken_dot_git_file_is_not_a_repository(tmp_path: Path, content: str) -> None:
    """A .git file pointing nowhere is skipped silently."""
    (tmp_path / ".git").write_text(content)
    assert _attrs(tmp_path) == {}


def test_git_wins_over_platform_context(repos: dict[str, Path], tmp_path: Path) -> None:
    """vcs.* comes from the local repository before GITPOD_WORKSPACE_CONTEXT."""
    attrs, sources = detect_with_sources(GITPOD.environ, root=tmp_path, cwd=repos["main"])
    assert attrs["vcs.repository.url.full"] == "https://github.com/o/r"
    assert attrs["vcs.ref.head.name"] == "main"
    assert attrs["service.name"] == "r"
    assert {sources[k] for k in attrs if k.startswith("vcs.")} == {"git"}
    assert sources["workspace.id"] == "gitpod"


def test_platform_repository_fills_a_repo_without_remote(tmp_path: Path) -> None:
    """A repository without a remote keeps the platform's repository, git's ref."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    sha = _commit(repo, "a")
    attrs, sources = detect_with_sources(GITPOD.environ, root=tmp_path, cwd=repo)
    assert attrs["vcs.repository.name"] == "tools-of-the-trade"
    assert sources["vcs.repository.name"] == "gitpod"
    assert attrs["vcs.ref.head.revision"] == sha
    assert sources["vcs.ref.head.revision"] == "git"


def test_without_git_executable(repos: dict[str, Path], tmp_path: Path) -> None:
    """With `git` off PATH, detection still reads the repository and never crashes."""
    script = (
        "import json, logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n"
        "from workspace_otel.resources import detect_with_sources\n"
        "attrs, _ = detect_with_sources(cwd=sys.argv[1])\n"
        "print(json.dumps(attrs))\n"
    )
    env = {
        "PATH": str(tmp_path),
        "HOME": str(tmp_path),
        "WORKSPACE_OTEL_GIT_DIRTY": "on",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    out = subprocess.run(
        [sys.executable, "-c", script, str(repos["main"])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    attrs = json.loads(out.stdout)
    assert attrs["vcs.repository.url.full"] == "https://github.com/o/r"
    assert "workspace.git.dirty" not in attrs
    warnings = [line for line in out.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1
    assert "Traceback" not in out.stderr
    assert find_canaries(out.stdout + out.stderr) == []


def test_removed_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deleted current directory is not an error: nothing is found."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    detector = GitResourceDetector(raise_on_error=True, environ={"HOME": str(tmp_path)})
    assert dict(detector.detect().attributes) == {}

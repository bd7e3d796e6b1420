"""The git attribute cache: hits, misses on every kind of change, safety of the file."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.platform_envs import find_canaries
from tests.resources.test_git import SECRET_REMOTE, _commit, _git
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import GitResourceDetector, _gitcache
from workspace_otel.resources import _gitrepo as reader_module

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")

SECRET = "ghp_CANARYGitRemotex9Qz"


class Reads:
    """Counts the GitPython reads (cache misses) made by the detector."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = reader_module.read_repository

        def counting(*args: object, **kwargs: object) -> reader_module.Reading:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(reader_module, "read_repository", counting)


@pytest.fixture(name="reads")
def _reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


@pytest.fixture(name="repo")
def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "origin", SECRET_REMOTE)
    _commit(repo, "a")
    return repo


def _cache_dir() -> Path:
    directory = _gitcache.cache_dir()
    assert directory is not None
    assert str(directory).startswith(os.environ["XDG_CACHE_HOME"])
    return directory


def _cache_file(repo: Path) -> Path:
    return _gitcache.cache_path(_cache_dir(), repo)


def _detect(cwd: Path, **extra: str) -> dict[str, object]:
    environ = {"HOME": str(cwd.parent), **extra}
    detector = GitResourceDetector(raise_on_error=True, environ=environ, cwd=cwd)
    return dict(detector.detect().attributes)


def test_second_detection_is_a_hit(repo: Path, reads: Reads) -> None:
    first = _detect(repo)
    assert reads.count == 1
    assert _cache_file(repo).is_file()
    assert _detect(repo) == first
    assert _detect(repo / ".") == first
    assert reads.count == 1
    assert first["vcs.ref.head.revision"] == _git(repo, "rev-parse", "HEAD")


def test_new_commit_is_a_miss(repo: Path, reads: Reads) -> None:
    _detect(repo)
    sha = _commit(repo, "b")
    assert _detect(repo)["vcs.ref.head.revision"] == sha
    assert reads.count == 2
    _detect(repo)
    assert reads.count == 2


def test_checkout_of_another_branch_is_a_miss(repo: Path, reads: Reads) -> None:
    _detect(repo)
    _git(repo, "branch", "feature/x")
    assert reads.count == 1
    assert _detect(repo)["vcs.ref.head.name"] == "main"
    _git(repo, "checkout", "-q", "feature/x")
    assert _detect(repo)["vcs.ref.head.name"] == "feature/x"
    assert reads.count == 2


@pytest.mark.parametrize("annotated", [False, True])
def test_new_tag_at_a_detached_head_is_a_miss(repo: Path, reads: Reads, annotated: bool) -> None:
    _git(repo, "checkout", "-q", "--detach")
    assert "vcs.ref.head.name" not in _detect(repo)
    _git(repo, "tag", *(["-a", "-m", "release"] if annotated else []), "v2.0.0")
    attrs = _detect(repo)
    assert (attrs["vcs.ref.head.name"], attrs["vcs.ref.head.type"]) == ("v2.0.0", "tag")
    assert reads.count == 2
    _git(repo, "tag", "release/nested")  # a tag in a new sub-directory of refs/tags
    _git(repo, "tag", "-d", "v2.0.0")
    assert _detect(repo)["vcs.ref.head.name"] == "release/nested"
    assert reads.count == 3


def test_remote_set_url_is_a_miss(repo: Path, reads: Reads) -> None:
    assert _detect(repo)["vcs.repository.url.full"] == "https://github.com/o/r"
    _git(repo, "remote", "set-url", "origin", "git@gitlab.com:team/moved.git")
    assert _detect(repo)["vcs.repository.url.full"] == "https://gitlab.com/team/moved"
    assert reads.count == 2


def test_pack_refs_is_a_miss_with_the_same_answer(repo: Path, reads: Reads) -> None:
    before = _detect(repo)
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert _detect(repo) == before
    assert reads.count == 2
    assert _detect(repo) == before
    assert reads.count == 2


def test_commit_in_a_linked_worktree_is_a_miss(repo: Path, reads: Reads, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    _git(repo, "worktree", "add", "-q", "-b", "feature/wt", str(worktree))
    assert _detect(worktree)["vcs.ref.head.name"] == "feature/wt"
    sha = _commit(worktree, "w")
    assert _detect(worktree)["vcs.ref.head.revision"] == sha
    assert _detect(worktree)["vcs.repository.url.full"] == "https://github.com/o/r"
    assert reads.count == 2


def test_identity_mode_is_part_of_the_key(repo: Path, reads: Reads) -> None:
    _git(repo, "config", "user.name", "Ada Lovelace")
    _git(repo, "config", "user.email", "ada@example.com")
    assert "user.email" not in _detect(repo)
    full = _detect(repo, WORKSPACE_OTEL_IDENTITY="full")
    assert full["user.email"] == "ada@example.com"
    assert _detect(repo, WORKSPACE_OTEL_IDENTITY="full") == full
    assert reads.count == 2
    override = _detect(repo, WORKSPACE_OTEL_IDENTITY="full", GIT_AUTHOR_EMAIL="other@example.com")
    assert override["user.email"] == "other@example.com"
    assert reads.count == 3


def test_cache_file_holds_no_secret_and_is_owner_only(repo: Path) -> None:
    _detect(repo)
    path = _cache_file(repo)
    text = path.read_text()
    assert SECRET not in text
    assert "ghp_" not in text
    assert find_canaries(text) == []
    assert str(repo) not in text  # named by a digest, keyed by a digest
    data = json.loads(text)
    assert data["attributes"]["vcs.repository.url.full"] == "https://github.com/o/r"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_loose_cache_directory_is_tightened(repo: Path) -> None:
    directory = _cache_dir()
    directory.mkdir(parents=True)
    directory.chmod(0o755)
    _detect(repo)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xffnot json",
        b"[1, 2, 3]",
        b'{"format": "someone-else", "version": 1}',
        b"stale-key",  # replaced below: a valid file for another key
        b"smuggled",  # replaced below: a valid-looking file with a non-git attribute
    ],
    ids=["garbage", "json-list", "foreign", "stale-key", "smuggled"],
)
def test_corrupt_or_foreign_cache_file_is_ignored_and_overwritten(
    repo: Path, reads: Reads, content: bytes
) -> None:
    expected = _detect(repo)
    path = _cache_file(repo)
    data = json.loads(path.read_text())
    if content == b"stale-key":
        data["attributes"]["vcs.ref.head.name"] = "stale"
        data["key"] = "0" * 64
        content = json.dumps(data).encode()
    elif content == b"smuggled":
        data["attributes"]["service.name"] = "evil"
        content = json.dumps(data).encode()
    path.write_bytes(content)
    assert _detect(repo) == expected
    assert reads.count == 2
    assert json.loads(path.read_text())["attributes"] == expected
    assert _detect(repo) == expected
    assert reads.count == 2


def test_symlinked_cache_file_is_not_followed(repo: Path, reads: Reads, tmp_path: Path) -> None:
    expected = _detect(repo)
    path = _cache_file(repo)
    planted = tmp_path / "planted.json"
    data = json.loads(path.read_text())
    data["attributes"]["vcs.ref.head.name"] = "planted"
    planted.write_text(json.dumps(data))
    path.unlink()
    path.symlink_to(planted)
    assert _detect(repo) == expected
    assert reads.count == 2
    assert not path.is_symlink()
    assert "planted" in planted.read_text()  # the link's target was not written through


def test_unusable_cache_location_still_detects(
    repo: Path, reads: Reads, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = repo.parent / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    caplog.set_level(logging.DEBUG)
    assert _detect(repo)["vcs.repository.name"] == "r"
    assert _detect(repo)["vcs.repository.name"] == "r"
    assert reads.count == 2
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_cache_off(repo: Path, reads: Reads) -> None:
    _detect(repo, WORKSPACE_OTEL_GIT_CACHE="off")
    _detect(repo, WORKSPACE_OTEL_GIT_CACHE="off")
    assert reads.count == 2
    assert not _cache_file(repo).exists()
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_GIT_CACHE"):
        _detect(repo, WORKSPACE_OTEL_GIT_CACHE="sometimes")


def test_dirty_on_is_never_cached(repo: Path, reads: Reads) -> None:
    assert _detect(repo, WORKSPACE_OTEL_GIT_DIRTY="on")["workspace.git.dirty"] is False
    assert not _cache_file(repo).exists()
    (repo / "a").write_text("edited")  # no keyed file changes
    assert _detect(repo, WORKSPACE_OTEL_GIT_DIRTY="on")["workspace.git.dirty"] is True
    assert reads.count == 2


def test_incomplete_reading_is_not_cached(repo: Path, caplog: pytest.LogCaptureFixture) -> None:
    (repo / ".git" / "HEAD").write_text("garbage\n")
    caplog.set_level(logging.DEBUG)
    detector = GitResourceDetector(environ={"HOME": str(repo.parent)}, cwd=repo)
    assert dict(detector.detect().attributes)["vcs.repository.name"] == "r"
    assert not _cache_file(repo).exists()
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


_CHILD = (
    "import json, sys\n"
    "from workspace_otel.resources import detect_with_sources\n"
    "attrs, _ = detect_with_sources(cwd=sys.argv[1])\n"
    "print(json.dumps({'attrs': attrs, 'gitpython': 'git' in sys.modules,\n"
    "    'reader': 'workspace_otel.resources._gitrepo' in sys.modules}))\n"
)


def _child(repo: Path, path: str, cache: Path) -> dict[str, object]:
    env = {
        "PATH": path,
        "HOME": str(repo.parent),
        "XDG_CACHE_HOME": str(cache),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(repo)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "Traceback" not in out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_no_start_of_a_plain_repository_imports_gitpython(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    miss = _child(repo, os.environ.get("PATH", ""), cache)
    assert miss["gitpython"] is False  # a plain repository is read from its files
    assert miss["reader"] is True
    hit = _child(repo, str(empty_bin), cache)  # git removed from PATH
    # A hit reads the cache only: not even the repository reader is imported.
    assert hit == {"attrs": miss["attrs"], "gitpython": False, "reader": False}
    _commit(repo, "b")
    after = _child(repo, str(empty_bin), cache)  # the first start after a commit: a miss
    assert after["gitpython"] is False
    attrs = after["attrs"]
    assert isinstance(attrs, dict)
    assert attrs["vcs.ref.head.revision"] == _git(repo, "rev-parse", "HEAD")
    assert attrs["vcs.repository.url.full"] == "https://github.com/o/r"

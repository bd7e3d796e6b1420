"""Git detection against slow or hostile repositories: it degrades, it never hangs.

Real repositories made with the ``git`` executable; the hostile parts are real
too (a FIFO in ``.git``, a ``git`` on ``PATH`` that never answers, thousands
of tags). Reads are counted with an audit hook, never timed.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.resources.test_git import _commit, _git
from workspace_otel.resources import GitResourceDetector

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")

_OPENS: list[str] = []
_COUNTING = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _COUNTING.is_set() and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENS.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture(name="count_opens")
def _count_opens() -> Iterator[list[str]]:
    """Record every file this process opens while the test runs."""
    _OPENS.clear()
    _COUNTING.set()
    try:
        yield _OPENS
    finally:
        _COUNTING.clear()


def _finishes(call: Callable[[], Any], within: float = 30.0) -> Any:
    """Run ``call`` on a thread; fail the test (instead of hanging it) when it does not return."""
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.setdefault("value", call()), daemon=True)
    worker.start()
    worker.join(within)
    assert not worker.is_alive(), "detection hung"
    return box.get("value")


def _release(fifo: Path) -> None:
    """Unblock a reader stuck opening ``fifo`` (only reached when the code under test hung)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def _detector(cwd: Path, **env: str) -> GitResourceDetector:
    return GitResourceDetector(environ={"HOME": str(cwd), **env}, cwd=cwd)


def _repo(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "origin", "https://github.com/o/r.git")
    return repo, _commit(repo, "a")


@pytest.mark.parametrize("name", ["refs/heads/main", "packed-refs", "config"])
def test_a_fifo_in_dot_git_leaves_gitpython_out(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    repo, _ = _repo(tmp_path)
    target = repo / ".git" / name
    if name == "refs/heads/main":
        _git(repo, "pack-refs", "--all")  # the branch now lives in packed-refs too
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    try:
        with caplog.at_level(logging.WARNING, logger="workspace_otel"):
            attrs = _finishes(lambda: dict(_detector(repo).detect().attributes))
    finally:
        _release(target)
    assert "vcs.ref.head.revision" not in attrs
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "FIFO" in warnings[0]


def test_a_device_as_packed_refs_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo, _ = _repo(tmp_path)
    (repo / ".git" / "packed-refs").symlink_to("/dev/zero")
    with caplog.at_level(logging.WARNING, logger="workspace_otel"):
        attrs = _finishes(lambda: dict(_detector(repo).detect().attributes))
    assert attrs == {}
    assert "device" in caplog.text


def test_a_fifo_behind_a_config_include_hits_the_deadline(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A read no check foresaw is bounded by the deadline: fewer attributes, one line."""
    repo, _ = _repo(tmp_path)
    fifo = tmp_path / "included"
    os.mkfifo(fifo)
    _git(repo, "config", "include.path", str(fifo))
    detector = _detector(repo, WORKSPACE_OTEL_GIT_CACHE="off")
    detector.timeout = 0.2
    try:
        with caplog.at_level(logging.WARNING, logger="workspace_otel"):
            attrs = _finishes(lambda: dict(detector.detect().attributes))
    finally:
        _release(fifo)
    assert attrs == {}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "took longer than 0.2s" in warnings[0]
    assert "WORKSPACE_OTEL_GIT=off" in warnings[0]


# GitPython 3.1.40 (the oldest supported) kills the process but leaves its Popen unreaped.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_hanging_git_is_killed_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    repo, sha = _repo(tmp_path)
    (repo / "untracked").write_text("x")
    bin_dir = tmp_path / "hanging-bin"
    bin_dir.mkdir()
    script = bin_dir / "git"
    script.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 600\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    detector = _detector(repo, WORKSPACE_OTEL_GIT_DIRTY="on")
    detector.timeout = 0.3
    with caplog.at_level(logging.WARNING, logger="workspace_otel"):
        attrs = _finishes(lambda: dict(detector.detect().attributes))
    # What the files give is kept; what needed the git process is left out, once, with why.
    assert attrs["vcs.ref.head.revision"] == sha
    assert attrs["vcs.ref.head.name"] == "main"
    assert "workspace.git.dirty" not in attrs
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "git status failed" in warnings[0]
    gc.collect()  # reap here, under this test's warning filter


def _many_tags(tmp_path: Path, count: int) -> tuple[Path, str]:
    repo, first = _repo(tmp_path)
    head = _commit(repo, "b")
    lines = sorted(f"{first} refs/tags/t{i:05d}" for i in range(count))
    packed = repo / ".git" / "packed-refs"
    existing = packed.read_text().splitlines()[1:] if packed.exists() else []
    body = "\n".join(sorted([*existing, *lines], key=lambda line: line.split(" ")[1]))
    packed.write_text("# pack-refs with: peeled fully-peeled sorted \n" + body + "\n")
    _git(repo, "tag", "v-head")  # a loose lightweight tag at HEAD
    _git(repo, "checkout", "-q", "--detach", head)
    return repo, head


def test_many_tags_read_packed_refs_once_and_are_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count_opens: list[str]
) -> None:
    """Thousands of tags at a detached HEAD, no git executable: one packed-refs read, cached."""
    repo, head = _many_tags(tmp_path, 2000)
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    packed = str(repo / ".git" / "packed-refs")

    count_opens.clear()  # the set-up above wrote and read it
    first = dict(_detector(repo).detect().attributes)
    assert first["vcs.ref.head.name"] == "v-head"
    assert first["vcs.ref.head.type"] == "tag"
    assert first["vcs.ref.head.revision"] == head
    assert count_opens.count(packed) == 1

    count_opens.clear()
    again = dict(_detector(repo).detect().attributes)
    assert again == first
    assert count_opens.count(packed) == 0  # the certain answer was cached


def test_files_and_git_agree_on_the_tag_at_head(tmp_path: Path) -> None:
    """Packed annotated, packed lightweight and loose tags: the files answer as git does."""
    repo, first = _repo(tmp_path)
    _git(repo, "tag", "-a", "-m", "release", "b-annotated")
    _git(repo, "tag", "c-light")
    _git(repo, "pack-refs", "--all")
    _git(repo, "tag", "-a", "-m", "loose", "d-loose-annotated")
    _git(repo, "checkout", "-q", "--detach", first)
    expected = min(_git(repo, "tag", "--points-at", "HEAD").split())
    attrs = dict(_detector(repo, WORKSPACE_OTEL_GIT_CACHE="off").detect().attributes)
    assert attrs["vcs.ref.head.name"] == expected == "b-annotated"


def test_a_fifo_as_the_attribute_cache_file_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO planted where the git attribute cache lives: ignored, then replaced by a real file."""
    from workspace_otel.resources import _gitcache

    repo, sha = _repo(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    directory = _gitcache.cache_dir()
    assert directory is not None
    directory.mkdir(parents=True, mode=0o700)
    cache_file = _gitcache.cache_path(directory, repo)
    os.mkfifo(cache_file, 0o600)
    try:
        attrs = _finishes(lambda: dict(_detector(repo).detect().attributes))
    finally:
        _release(cache_file)
    assert attrs["vcs.ref.head.revision"] == sha
    assert cache_file.is_file()  # the next start has a real cache again

"""The repository is found and fingerprinted on text paths, spelled exactly as pathlib spells them.

``workspace-otel env`` finds the repository at every shell start without
importing pathlib; the fingerprint keys both caches, so a path spelled
differently (``..`` collapsed, ``//`` lost) would silently miss or, worse,
name another directory than the one GitPython reads.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from workspace_otel.resources._gitcache import cache_dir, cache_directory
from workspace_otel.resources._gitfiles import RepoLocation, locate, posix_spelling

_PARTS = st.sampled_from(["", ".", "..", "a", "b c", "é", "x.git", "/", "//", "///"])


@given(st.lists(_PARTS, max_size=8))
def test_spelling_matches_pathlib_for_any_mix_of_slashes_and_dots(parts: list[str]) -> None:
    text = "/".join(parts)
    assert posix_spelling(text) == str(PurePosixPath(text))


def _repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_a_start_through_dotdot_climbs_lexically_like_pathlib(tmp_path: Path) -> None:
    # <tmp>/outer is a repository and so is <tmp>/outer/inner: from
    # inner/sub/.. pathlib's parents are inner/sub/.. (= inner's .git first),
    # never a resolved path, and the location keeps that spelling.
    outer = _repo(tmp_path / "outer")
    inner = _repo(outer / "inner")
    (inner / "sub").mkdir()
    start = f"{inner}/sub/../sub/./"
    location = locate([start])
    assert location is not None
    assert location.start == Path(start).absolute()
    assert location.work_tree == Path(f"{inner}/sub/..")
    assert location.git_dir == Path(f"{inner}/sub/../.git")
    assert locate([Path(start)]) == location


def test_a_relative_start_is_taken_from_the_current_directory(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "deep").mkdir()
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        for start in ("deep", "", ".", Path("deep")):
            location = locate([start])
            assert location is not None
            assert location.work_tree == repo
            assert location.start == Path(start).absolute()
    finally:
        os.chdir(cwd)


def test_a_gitdir_file_with_a_relative_target_and_a_double_slash_root(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "main")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".git").write_text("gitdir: ../main/.git\n")
    location = locate([f"/{linked}"])  # "//tmp/...": a root POSIX leaves alone
    assert location is not None
    assert str(location.work_tree) == f"/{linked}"
    assert location.git_dir == location.common_dir == Path(f"/{tmp_path}/main/.git")
    assert repr(location).startswith(f"RepoLocation(start='/{linked}'")
    assert (repo / ".git" / "HEAD").is_file()


def test_a_location_built_from_paths_equals_one_built_from_text(tmp_path: Path) -> None:
    parts = (tmp_path, tmp_path / "w", tmp_path / "w" / ".git", tmp_path / "w" / ".git")
    from_paths = RepoLocation(*parts)
    from_text = RepoLocation(*(f"{p}/./" for p in parts))
    assert from_paths == from_text
    assert hash(from_paths) == hash(from_text)
    assert isinstance(from_text.git_dir, Path)
    assert from_text.git_dir == parts[2]


def test_the_cache_directory_keeps_pathlibs_spelling(tmp_path: Path) -> None:
    base = f"{tmp_path}/a/../b//"
    assert cache_directory({"XDG_CACHE_HOME": base}) == str(Path(base) / "workspace-otel")
    assert cache_dir({"XDG_CACHE_HOME": base}) == Path(base) / "workspace-otel"


def test_an_entry_that_cannot_be_examined_stops_the_climb_from_that_start(tmp_path: Path) -> None:
    # stat() on a name longer than the file system allows fails with
    # ENAMETOOLONG, as an unreadable directory fails with EACCES (which root,
    # running these tests, never sees): pathlib raises for both and the climb
    # from that start stops there, so the repository above it is not taken
    # for this start's; the next start is still searched.
    repo = _repo(tmp_path / "repo")
    hostile = f"{repo}/{'n' * 300}/deeper"
    other = _repo(tmp_path / "other")
    assert locate([hostile]) is None
    location = locate([hostile, other])
    assert location is not None
    assert location.work_tree == other

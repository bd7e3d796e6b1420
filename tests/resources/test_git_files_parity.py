"""The files-only reader and GitPython give the same attributes on every repository shape.

The first start after a commit reads HEAD, refs, packed-refs and the remote
from the files, without importing GitPython; what the files cannot answer
(includes, identity ``full``, the dirty state) goes to GitPython. Both paths
run here on the same real repositories and must agree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.resources.test_git import _commit, _git, _repos  # noqa: F401 - the fixture
from workspace_otel.resources import _gitread
from workspace_otel.resources._gitfiles import locate
from workspace_otel.resources._gitrepo import read_repository

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")

SHAPES = ["main", "scp", "empty", "shallow", "worktree", "submodule", "packed"]


def _both(start: Path, identity: str = "login", dirty: bool = False) -> tuple[object, object]:
    location = locate([start])
    assert location is not None
    files = _gitread.read_from_files(location, identity=identity, dirty=dirty)
    gitpython = read_repository(
        location, identity=identity, environ={}, dirty=dirty, from_files=False
    )
    return files, gitpython.attrs


@pytest.fixture(autouse=True, name="home")
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both readers read the same global configuration: a fresh HOME."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_of_the_git_suite(repos: dict[str, Path], shape: str) -> None:
    files, gitpython = _both(repos[shape])
    assert files is not None, f"{shape}: the files should answer"
    assert files == gitpython


def _detached(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "upstream", "git@github.com:up/stream.git")
    first = _commit(repo, "a")
    _commit(repo, "b")
    return repo, first


@pytest.mark.parametrize(
    "tags",
    [
        ["tag z-light"],
        ["tag -a -m m b-annotated", "tag c-light"],
        ["tag -a -m m b-annotated", "pack-refs --all", "tag -a -m m a-loose"],
        ["tag c-light", "pack-refs --all"],
        [],
    ],
)
def test_detached_heads_and_tags(tmp_path: Path, tags: list[str]) -> None:
    repo, first = _detached(tmp_path)
    for command in tags:
        _git(repo, *command.split(), *(["HEAD~1"] if command.startswith("tag") else []))
    _git(repo, "checkout", "-q", "--detach", first)
    files, gitpython = _both(repo)
    assert files == gitpython
    assert isinstance(files, dict)
    assert files["vcs.ref.head.revision"] == first


def test_global_insteadof_branch_remote_and_old_section_syntax(tmp_path: Path, home: Path) -> None:
    repo, _ = _detached(tmp_path)
    _git(repo, "remote", "add", "origin", "https://example.invalid/x.git")
    _git(repo, "config", "branch.main.remote", "upstream")
    (home / ".gitconfig").write_text(
        '[url "https://github.com/"]\n\tinsteadOf = git@github.com:\n'
        "[Remote.Other]\n\turl = https://gitlab.com/g/other.git\n"
    )
    files, gitpython = _both(repo)
    assert files == gitpython
    assert isinstance(files, dict)
    assert files["vcs.repository.url.full"] == "https://github.com/up/stream"


@pytest.mark.parametrize(
    "config",
    [
        "[include]\n\tpath = other\n",
        '[remote "origin"]\n\turl = "https://github.com/q/uoted.git"\n',
        '[remote "origin"]\n\turl = https://github.com/o/r.git ; comment\n',
    ],
)
def test_what_only_gitpython_reads_goes_to_gitpython(tmp_path: Path, config: str) -> None:
    repo, _ = _detached(tmp_path)
    with (repo / ".git" / "config").open("a") as handle:
        handle.write(config)
    files, gitpython = _both(repo)
    assert files is None
    assert isinstance(gitpython, dict)
    assert "vcs.ref.head.name" in gitpython


@pytest.mark.parametrize(("identity", "dirty"), [("full", False), ("login", True)])
def test_identity_full_and_dirty_go_to_gitpython(
    repos: dict[str, Path], identity: str, dirty: bool
) -> None:
    location = locate([repos["main"]])
    assert location is not None
    assert _gitread.read_from_files(location, identity=identity, dirty=dirty) is None


_headers = st.sampled_from(
    [
        '[remote "origin"]',
        '[remote "up"]',
        '[Remote "origin"]',
        "[remote.origin]",
        '[branch "main"]',
        '[url "https://github.com/"]',
        '[url "ssh://git@gitlab.com/"]',
        "[core]",
        "[include]",
        '[includeIf "gitdir:/x/"]',
        '[remote "a b"]',
        "[remote]",
    ]
)
_keys = st.sampled_from(["url", "URL", "remote", "insteadOf", "insteadof", "pushurl", "bare"])
_values = st.one_of(
    st.sampled_from(
        [
            "git@github.com:o/r.git",
            "https://github.com/o/r.git",
            "git@gitlab.com:g/p.git",
            "up",
            "origin",
            "",
            "true",
            "https://user:pw@github.com/o/r",
            '"quoted"',
            "a ; b",
            "a # b",
            "back\\slash",
        ]
    ),
    st.text(alphabet="abc:/@.-_ ", max_size=12),
)
_lines = st.one_of(
    _headers,
    st.builds(
        lambda k, v, sep: f"\t{k}{sep}{v}", _keys, _values, st.sampled_from([" = ", "=", " "])
    ),
    st.sampled_from(["", "# comment", "; comment", "garbage line ["]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_lines, max_size=12))
def test_any_config_the_files_answer_agrees_with_gitpython(
    lines: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever the repository's config holds: the files reader abstains or agrees."""
    base = tmp_path_factory.mktemp("fuzz-config")
    repo = base / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _commit(repo, "a")
    config = repo / ".git" / "config"
    config.write_text(config.read_text() + "\n".join(lines) + "\n")
    location = locate([repo])
    assert location is not None
    files = _gitread.read_from_files(location, identity="login", dirty=False)
    try:
        gitpython = read_repository(
            location, identity="login", environ={}, dirty=False, from_files=False
        ).attrs
    except Exception:  # GitPython refusing the file: the files must abstain too
        assert files is None
        return
    assert files is None or files == gitpython, (lines, files, gitpython)


def test_a_maze_of_tag_directories_goes_to_git(tmp_path: Path) -> None:
    """Hundreds of nested, empty tag directories: the files reader gives up, git answers."""
    repo, first = _detached(tmp_path)
    _git(repo, "tag", "v1", first)
    deep = repo / ".git" / "refs" / "tags"
    for i in range(300):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    _git(repo, "checkout", "-q", "--detach", first)
    files, gitpython = _both(repo)
    assert files is None
    assert isinstance(gitpython, dict)
    assert gitpython["vcs.ref.head.name"] == "v1"

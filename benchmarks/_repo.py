"""The benchmark's git repository: about 1,500 files, a remote with a planted credential."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from benchmarks._common import WORK

FILES = 1500
PLANTED = "ghp_CANARYBenchRemotex9Qz"
REMOTE = f"https://bench:{PLANTED}@github.com/acme/bench-service.git"

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench Author",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench Author",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and no user configuration."""
    out = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.strip()


def make_repo(files: int = FILES) -> Path:
    """Create (or reuse) ``benchmarks/.work/repo`` with ``files`` tracked files and history."""
    repo = WORK / f"repo-{files}"
    marker = repo / ".bench-complete"
    if marker.exists():
        return repo
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "remote", "add", "origin", REMOTE)
    per_dir = 30
    for index in range(files):
        folder = repo / "src" / f"pkg{index // per_dir:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"def function_{index}_{line}(value: int) -> int:\n    return value * {line}\n\n"
            for line in range(20)
        )
        (folder / f"module_{index:04d}.py").write_text(f'"""Module {index}."""\n\n{body}')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial import")
    git(repo, "tag", "-a", "-m", "first release", "v1.0.0")
    for round_ in range(5):
        (repo / "CHANGES.txt").write_text(f"round {round_}\n")
        git(repo, "add", "CHANGES.txt")
        git(repo, "commit", "-q", "-m", f"round {round_}")
    git(repo, "gc", "-q")
    (repo / ".git" / "info" / "exclude").write_text(".bench-complete\n")
    marker.write_text("")
    return repo


def new_commit(repo: Path, counter: list[int]) -> None:
    """Make one more commit (the repository changed)."""
    counter[0] += 1
    (repo / "CHANGES.txt").write_text(f"change {counter[0]}\n")
    git(repo, "commit", "-q", "-a", "-m", f"change {counter[0]}")

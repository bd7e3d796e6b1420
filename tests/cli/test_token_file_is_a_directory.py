"""``token --file DIR`` (a common slip): a usage error with the fix, never errno text."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import cli_env, run_cli


def test_a_directory_as_the_token_file_is_a_usage_error_naming_a_file_path(tmp_path: Path) -> None:
    """Status 2 (configuration), the fix names a file inside it, nothing written, no secret."""
    target = tmp_path / "tokens"
    target.mkdir()
    for args in (("token", "--file", str(target)), ("token", "--file", str(target), "--watch")):
        done = run_cli(*args, env=cli_env(WORKSPACE_OTEL_TOKEN="dir-case-secret"), timeout=60)
        assert done.returncode == 2, done.stderr
        assert "is a directory" in done.stderr
        assert str(target / "token") in done.stderr
        assert "Errno" not in done.stderr
        assert "dir-case-secret" not in done.stderr + done.stdout
    assert list(target.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["tokens"]

"""``workspace-otel env``: what it exports, how safely, and what later runs and children see."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cli.conftest import (
    MakeRepo,
    cli_command,
    cli_env,
    detect_json,
    git,
    parse_like_python_sdk,
    run_cli,
)
from workspace_otel._settings import _env_export as ex
from workspace_otel._settings import _options

CODESPACES = {"CODESPACES": "true", "CODESPACE_NAME": "fluffy-space-7q9", "GITHUB_USER": "ada"}

# Names git accepts that carry every shell metacharacter and the OTel separators.
HOSTILE_BRANCHES = [
    "x$(touch${IFS}PWNED)",
    "x`touch${IFS}PWNED`",
    "it's;touch${IFS}PWNED;'",
    'q"$(touch${IFS}PWNED)"',
    "a,b=c%41%zz&|<>!#{}",
    "caf\u00e9/\u00fcber-\u65e5\u672c-\U0001f600",
]


def _eval_and_print(repo: Path, env: dict[str, str], *names: str) -> dict[str, str]:
    """Run ``eval "$(workspace-otel env)"`` in a real ``sh`` and return the named variables."""
    printer = "; ".join(f'printf "%s\\0" "${{{n}-<unset>}}"' for n in names)
    script = f'eval "$({cli_command()} env)" && {printer}'
    done = subprocess.run(
        ["sh", "-c", script], cwd=repo, env=env, capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    values = done.stdout.decode("utf-8").split("\0")[:-1]
    return dict(zip(names, values, strict=True))


@pytest.mark.parametrize("branch", HOSTILE_BRANCHES)
def test_eval_in_a_real_shell_runs_nothing_and_round_trips_the_branch(
    make_repo: MakeRepo, branch: str
) -> None:
    repo = make_repo(branch=branch)
    env = cli_env(**CODESPACES)
    values = _eval_and_print(repo, env, ex.RESOURCE_VARIABLE, ex.SERVICE_NAME_VARIABLE)
    assert not (repo / "PWNED").exists()
    assert not Path("PWNED").exists()
    parsed = parse_like_python_sdk(values[ex.RESOURCE_VARIABLE])
    assert parsed["vcs.ref.head.name"] == branch
    assert parsed["workspace.provider"] == "codespaces"
    assert parsed["workspace.id"] == "fluffy-space-7q9"
    assert values[ex.SERVICE_NAME_VARIABLE] == "widgets"


def test_hostile_user_entries_and_service_name_are_quoted_not_run(make_repo: MakeRepo) -> None:
    repo = make_repo()
    user = "team=$(touch PWNED),note='`touch PWNED`'"
    env = cli_env(OTEL_RESOURCE_ATTRIBUTES=user)
    values = _eval_and_print(repo, env, ex.RESOURCE_VARIABLE)
    assert not (repo / "PWNED").exists()
    assert values[ex.RESOURCE_VARIABLE].endswith("," + user)


def test_output_is_what_detect_shows_minus_per_process_attributes(make_repo: MakeRepo) -> None:
    repo = make_repo(branch="feature/login")
    env = cli_env(**CODESPACES)
    expected = {
        k: ("true" if v is True else str(v))
        for k, v in detect_json(env, repo).items()
        if not k.startswith(("telemetry.", "process.")) and k != "service.instance.id"
    }
    done = run_cli("env", "--format", "json", env=env, cwd=repo)
    assert done.returncode == 0, done.stderr
    exported = json.loads(done.stdout)
    got = parse_like_python_sdk(exported[ex.RESOURCE_VARIABLE])
    got["service.name"] = exported[ex.SERVICE_NAME_VARIABLE]
    assert got == expected
    assert "deployment.environment.name" in got


def test_credentials_in_the_remote_url_never_reach_the_output(make_repo: MakeRepo) -> None:
    secret = "ghp_s3cr3tT0kenValue1234567890"
    repo = make_repo(remote=f"https://x-access-token:{secret}@github.com/acme/widgets.git")
    for fmt in ("sh", "dotenv", "json"):
        done = run_cli("env", "--format", fmt, env=cli_env(), cwd=repo)
        assert done.returncode == 0
        assert secret not in done.stdout + done.stderr
        assert "x-access-token" not in done.stdout
        assert "github.com%2Facme%2Fwidgets" in done.stdout


def test_actor_attributes_and_process_ones_are_left_out(make_repo: MakeRepo) -> None:
    repo = make_repo()
    done = run_cli("env", "--format", "json", env=cli_env(CLAUDECODE="1"), cwd=repo)
    raw = json.loads(done.stdout)[ex.RESOURCE_VARIABLE]
    keys = {ex.item_key(item) for item in raw.split(",")}
    assert not any(k.startswith(("workspace.actor.", "process.", "telemetry.")) for k in keys)
    assert "service.instance.id" not in keys


def test_user_entries_are_kept_verbatim_last_and_win(make_repo: MakeRepo) -> None:
    repo = make_repo(branch="main")
    user = "vcs.ref.head.name=mine,team=a%2Cb"
    done = run_cli("env", "--format", "json", env=cli_env(OTEL_RESOURCE_ATTRIBUTES=user), cwd=repo)
    raw = json.loads(done.stdout)[ex.RESOURCE_VARIABLE]
    assert raw.endswith("," + user)
    assert "vcs.ref.head.name=main" not in raw.split(",")
    parsed = parse_like_python_sdk(raw)
    assert parsed["vcs.ref.head.name"] == "mine"
    assert parsed["team"] == "a,b"


@pytest.mark.parametrize(
    "user_env",
    [{"OTEL_SERVICE_NAME": "checkout"}, {"OTEL_RESOURCE_ATTRIBUTES": "service.name=checkout"}],
)
def test_no_service_name_when_the_user_set_one(
    make_repo: MakeRepo, user_env: dict[str, str]
) -> None:
    repo = make_repo()
    done = run_cli("env", "--format", "json", env=cli_env(**user_env), cwd=repo)
    exported = json.loads(done.stdout)
    assert ex.SERVICE_NAME_VARIABLE not in exported
    assert "service.name=widgets" not in exported[ex.RESOURCE_VARIABLE]


def test_a_nested_shell_after_a_branch_switch_replaces_the_old_entries(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo(branch="first")
    script = (
        f'eval "$({cli_command()} env)"; '
        "git checkout -q -b second; "
        'export OTEL_RESOURCE_ATTRIBUTES="$OTEL_RESOURCE_ATTRIBUTES,team=core"; '
        f'eval "$({cli_command()} env)"; '
        'printf "%s" "$OTEL_RESOURCE_ATTRIBUTES"'
    )
    env = {**cli_env(), "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["sh", "-c", script], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    parsed = parse_like_python_sdk(done.stdout)
    assert parsed["vcs.ref.head.name"] == "second"
    assert parsed["team"] == "core"
    assert done.stdout.count("vcs.ref.head.name=") == 1


def test_a_python_process_under_the_exported_variables_still_detects_itself(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo(branch="first")
    env = cli_env(OTEL_RESOURCE_ATTRIBUTES="team=core")
    exported = json.loads(run_cli("env", "--format", "json", env=env, cwd=repo).stdout)
    child = {**env, **{k: v for k, v in exported.items() if v is not None}}
    git(repo, "checkout", "-q", "-b", "second")
    attributes = detect_json(child, repo)
    assert attributes["vcs.ref.head.name"] == "second"
    assert attributes["team"] == "core"
    settings_attrs = _options._resource_env(child).value
    assert settings_attrs == {"team": "core"}


def test_an_over_long_value_is_left_out_rather_than_breaking_the_js_sdk(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo(branch="a" * 150 + "/" + "b" * 150)
    done = run_cli("env", "--format", "json", env=cli_env(), cwd=repo)
    raw = json.loads(done.stdout)[ex.RESOURCE_VARIABLE]
    keys = {ex.item_key(item) for item in raw.split(",")}
    assert "vcs.ref.head.name" not in keys
    assert "vcs.repository.name" in keys


def test_formats(make_repo: MakeRepo) -> None:
    repo = make_repo()
    env = cli_env(OTEL_RESOURCE_ATTRIBUTES="note=it's")
    dotenv = run_cli("env", "--format", "dotenv", env=env, cwd=repo).stdout.splitlines()
    assert dotenv[0].startswith('OTEL_RESOURCE_ATTRIBUTES="')
    assert "OTEL_SERVICE_NAME=widgets" in dotenv
    sh = run_cli("env", env=env, cwd=repo).stdout.splitlines()
    assert all(line.startswith("export ") for line in sh)


def test_an_invalid_setting_prints_nothing_to_eval_and_names_the_variable(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo()
    done = run_cli("env", env=cli_env(WORKSPACE_OTEL_IDENTITY="bogus"), cwd=repo)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "WORKSPACE_OTEL_IDENTITY" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_stale_own_service_name_is_unset_when_no_repository_is_found(tmp_path: Path) -> None:
    env = cli_env(
        OTEL_SERVICE_NAME="widgets",
        WORKSPACE_OTEL_ENV_ADDED="service.name=widgets",
    )
    done = run_cli("env", env=env, cwd=tmp_path)
    assert "unset OTEL_SERVICE_NAME" in done.stdout.splitlines()


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80))
def test_encoded_values_decode_back_in_python(value: str) -> None:
    key, _, encoded = ex.encode_item("k", value).partition("=")
    assert key == "k"
    assert all(c.isascii() and (c.isalnum() or c in "-._~%") for c in encoded)
    assert unquote(encoded) == ex.clean_text(value)
    assert "\n" not in unquote(encoded)


@given(st.text(max_size=40))
def test_the_encoder_matches_the_standard_library(value: str) -> None:
    assert ex.percent_encode(value) == quote(value, safe="-._~", errors="replace")


def test_undecodable_environment_bytes_become_a_question_mark() -> None:
    assert ex.encode_item("k", "a\udcffb") == "k=a%3Fb"

"""Fake gp / gitpod / ona CLIs print fresh, valid JWTs and fail realistically."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.harness.fake_clis import CLI_NAMES, FakeClis
from tests.harness.jwt_validation import JwtValidator, decode_unverified
from tests.harness.token_server import TokenServer


def _run(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 10
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("prog", CLI_NAMES)
def test_idp_token_prints_a_valid_jwt(
    fake_cli_bin: FakeClis, token_server: TokenServer, prog: str
) -> None:
    result = _run(prog, "idp", "token", "--audience", "collector.example")

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n")
    token = result.stdout.strip()
    assert "\n" not in token
    claims = JwtValidator(token_server, audience="collector.example").validate(token)
    assert claims["aud"] == ["collector.example"]
    assert shutil.which(prog) == str(fake_cli_bin.path(prog)), "fixture puts the CLIs on PATH"


def test_platform_specific_claims(fake_cli_bin: FakeClis) -> None:
    gp = decode_unverified(_run("gp", "idp", "token", "--audience=a", "--audience", "b").stdout)
    ona = decode_unverified(_run("ona", "idp", "token", "--audience", "a").stdout.strip())

    assert gp[1]["aud"] == ["a", "b"]
    assert gp[1]["azp"] == "a"
    assert gp[1]["sub"].startswith("https://github.com/")
    assert ona[1]["sub"].startswith("org:")
    assert "environment_id" in ona[1]


def test_each_call_is_fresh_with_the_current_lifetime(
    fake_cli_bin: FakeClis, token_server: TokenServer
) -> None:
    first = _run("gp", "idp", "token", "--audience", "a").stdout.strip()
    token_server.lifetime = 5
    second = _run("gp", "idp", "token", "--audience", "a").stdout.strip()

    assert first != second
    claims = decode_unverified(second)[1]
    assert 5 <= claims["exp"] - claims["iat"] <= 6
    assert token_server.mint_requests == 2
    assert fake_cli_bin.count("gp") == 2
    assert fake_cli_bin.invocations()[0].argv == ["idp", "token", "--audience", "a"]


def test_lifetime_override_from_the_environment(fake_cli_bin: FakeClis) -> None:
    token = _run("gitpod", "idp", "token", "--audience", "a", env={"FAKE_CLI_LIFETIME": "3"})

    claims = decode_unverified(token.stdout.strip())[1]
    assert 3 <= claims["exp"] - claims["iat"] <= 4


def test_decode_prints_header_and_payload(fake_cli_bin: FakeClis) -> None:
    result = _run("gp", "idp", "token", "--audience", "a", "--decode")

    document = json.loads(result.stdout)
    assert set(document) == {"Header", "Payload"}
    assert document["Header"]["alg"] == "RS256"
    assert document["Payload"]["aud"] == ["a"]


@pytest.mark.parametrize("prog", CLI_NAMES)
def test_missing_audience_is_a_cobra_style_error(fake_cli_bin: FakeClis, prog: str) -> None:
    result = _run(prog, "idp", "token")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith('Error: required flag(s) "audience" not set')


def test_usage_errors(fake_cli_bin: FakeClis) -> None:
    unknown_flag = _run("gp", "idp", "token", "--audience", "a", "--bogus")
    unknown_cmd = _run("ona", "idp", "frobnicate")
    no_value = _run("gitpod", "idp", "token", "--audience")

    assert (unknown_flag.returncode, unknown_cmd.returncode, no_value.returncode) == (1, 1, 1)
    assert unknown_flag.stderr.startswith("Error: unknown flag: --bogus")
    assert unknown_cmd.stderr.startswith('Error: unknown command "idp frobnicate" for "ona"')
    assert no_value.stderr.startswith("Error: flag needs an argument: --audience")


def test_fail_mode_via_file_and_env(fake_cli_bin: FakeClis) -> None:
    fake_cli_bin.set_mode("fail", prog="gp")
    gp = _run("gp", "idp", "token", "--audience", "a")
    ona = _run("ona", "idp", "token", "--audience", "a")
    env_fail = _run("ona", "idp", "token", "--audience", "a", env={"FAKE_CLI_MODE": "fail"})
    fake_cli_bin.set_mode(None, prog="gp")
    healed = _run("gp", "idp", "token", "--audience", "a")

    assert gp.returncode == 1
    assert "supervisor" in gp.stderr
    assert ona.returncode == 0
    assert env_fail.returncode == 1
    assert "not logged in" in env_fail.stderr
    assert healed.returncode == 0


@pytest.mark.parametrize(("mode", "stdout"), [("garbage", "<html>"), ("empty", "")])
def test_bad_output_modes(fake_cli_bin: FakeClis, mode: str, stdout: str) -> None:
    fake_cli_bin.set_mode(mode)  # type: ignore[arg-type]

    result = _run("gp", "idp", "token", "--audience", "a")

    assert result.returncode == 0
    assert result.stdout.startswith(stdout)
    assert result.stdout.count(".") < 2, "no JWT in the output"


def test_hang_mode_outlasts_a_caller_timeout(fake_cli_bin: FakeClis) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        _run(
            "gp", "idp", "token", "--audience", "a",
            env={"FAKE_CLI_MODE": "hang", "FAKE_CLI_HANG_SECONDS": "5"},
            timeout=0.5,
        )  # fmt: skip


def test_token_server_down_is_an_error(fake_cli_bin: FakeClis, token_server: TokenServer) -> None:
    token_server.suspend()

    result = _run("gp", "idp", "token", "--audience", "a")

    assert result.returncode == 1
    assert result.stderr.startswith("Error: failed to get ID token")

"""Run every example for real and check what it printed or exported (``nox -s examples``).

Each example runs in its own subprocess against the project's loopback
stand-ins from ``tests/harness`` (an Authlib token server, OTLP receivers that
validate tokens the way the Collector's ``oidc`` extension does, fake
``gp``/``gitpod``/``ona`` CLIs) or against the console. Nothing leaves
127.0.0.1. Exit status 0 when every check passed.

    python examples/run_all.py            # all
    python examples/run_all.py quickstart # only names containing "quickstart"
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from tests.harness.fake_clis import install_fake_clis  # noqa: E402
from tests.harness.jwt_validation import JwtValidator  # noqa: E402
from tests.harness.platform_envs import by_name  # noqa: E402
from tests.harness.receivers import HttpOtlpReceiver  # noqa: E402
from tests.harness.token_server import TokenServer  # noqa: E402

PYTHON = sys.executable
INSTRUMENT = str(Path(sys.executable).with_name("opentelemetry-instrument"))


def _env(**extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env["WORKSPACE_OTEL_GIT"] = "off"
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    if result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def quickstart_console() -> None:
    """quickstart.py with no endpoint: resource, spans and the metric on the console."""
    result = _run([PYTHON, str(EXAMPLES / "quickstart.py")], _env())
    assert "workspace_otel configured" in result.stdout, result.stdout
    assert "detected resource:" in result.stdout
    err = result.stderr
    assert err.count("no OTLP endpoint configured") == 1, err
    assert err.count("[workspace_otel] resource:") == 1, err
    for name in ("checkout", "reserve-stock", "charge-card"):
        assert f"[span]  {name}" in err, err
    assert "[metric]  quickstart.orders (sum) = 1" in err, err
    print(err)


def quickstart_oauth2_receiver() -> None:
    """quickstart.py exporting to a JWT-validating receiver with OAuth2 client credentials."""
    with TokenServer() as server, HttpOtlpReceiver(JwtValidator(server)) as receiver:
        env = _env(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
            WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
            WORKSPACE_OTEL_OAUTH2_CLIENT_ID="test-client",
            WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET="test-secret",
        )
        result = _run([PYTHON, str(EXAMPLES / "quickstart.py")], env)
        spans = receiver.wait_for_spans(3, timeout=10)
        metrics = receiver.wait_for_metrics(1, timeout=10)
        assert {s.name for s in spans} == {"checkout", "reserve-stock", "charge-card"}
        assert any(m.name == "quickstart.orders" for m in metrics)
        assert receiver.rejected == 0
        assert server.token_requests == 1
        assert "token=oauth2" in result.stdout, result.stdout
        assert "test-secret" not in result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def flask_app_gitpod() -> None:
    """flask_app under opentelemetry-instrument, Gitpod-shaped, with the `gp` identity token."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        TokenServer() as server,
        HttpOtlpReceiver(JwtValidator(server)) as receiver,
    ):
        install_fake_clis(Path(tmp) / "bin", server)
        platform = by_name("gitpod")
        port = _free_port()
        env = _env(
            **platform.materialize(Path(tmp) / "root"),
            PORT=str(port),
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            WORKSPACE_OTEL_TOKEN_SOURCE="gitpod",
            WORKSPACE_OTEL_TOKEN_AUDIENCE="workspace-otel-test",
        )
        env["PATH"] = f"{Path(tmp) / 'bin'}{os.pathsep}{env['PATH']}"
        with subprocess.Popen(
            [INSTRUMENT, PYTHON, str(EXAMPLES / "flask_app" / "app.py")],
            env=env,
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            deadline = time.monotonic() + 30
            while True:
                try:
                    answer = requests.get(f"http://127.0.0.1:{port}/chain", timeout=5)
                    break
                except requests.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        proc.kill()
                        raise AssertionError(proc.communicate()[1]) from None
                    time.sleep(0.1)
            assert answer.status_code == 200
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=20)
        assert proc.returncode == -signal.SIGTERM, err
        spans = receiver.wait_for_spans(3, timeout=10)
        names = sorted(s.name for s in spans)
        assert names == ["GET", "GET /chain", "GET /hello"], names
        resource = spans[0].resource
        for key, value in platform.expected_workspace().items():
            assert resource.get(key) == value, (key, resource)
        assert receiver.rejected == 0
        print(f"flask_app: spans {names} with {resource['workspace.provider']} attributes")


def lightstep_direct() -> None:
    """lightstep_direct.py: Lightstep header and paths, key from a file and from a command."""
    key = "lightstep-test-key-0123456789"
    paths: dict[str, Literal["traces", "metrics", "logs"]] = {
        "/traces/otlp/v0.9": "traces",
        "/metrics/otlp/v0.9": "metrics",
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        HttpOtlpReceiver(
            header="lightstep-access-token", static_token=key, extra_paths=paths
        ) as receiver,
    ):
        key_file = Path(tmp) / "lightstep-key"
        key_file.write_text(key + "\n", encoding="utf-8")
        # The preset's paths, served locally: the endpoint variables beat the preset.
        local = {
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint + "/traces/otlp/v0.9",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": receiver.endpoint + "/metrics/otlp/v0.9",
        }
        command = f"{PYTHON} -c \"print('{key}')\""
        for extra in (
            {"LIGHTSTEP_TOKEN_FILE": str(key_file)},
            {"LIGHTSTEP_TOKEN_COMMAND": command},
        ):
            receiver.reset()
            result = _run([PYTHON, str(EXAMPLES / "lightstep_direct.py")], _env(**local, **extra))
            assert "flushed" in result.stdout, result.stdout
            spans = receiver.wait_for_spans(1, timeout=10)
            receiver.wait_for_metrics(1, timeout=10)
            assert spans[0].name == "direct-export"
            assert receiver.rejected == 0
            assert "header=lightstep-access-token" in result.stdout
            assert key not in result.stdout + result.stderr


def _jsonc(path: Path) -> object:
    text = re.sub(r"^\s*//.*$", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return json.loads(text)


def platform_files() -> None:
    """The devcontainer, .gitpod.yml, automations.yaml and gateway files say what they must."""
    devcontainer = _jsonc(EXAMPLES / "codespaces" / ".devcontainer" / "devcontainer.json")
    assert isinstance(devcontainer, dict)
    assert "workspace-otel" in devcontainer["postCreateCommand"]
    assert "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET" in devcontainer["secrets"]
    assert "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET" not in devcontainer["containerEnv"]
    gitpod = (EXAMPLES / "gitpod" / ".gitpod.yml").read_text(encoding="utf-8")
    assert "WORKSPACE_OTEL_TOKEN_SOURCE=gitpod" in gitpod
    ona = (EXAMPLES / "ona" / ".gitpod" / "automations.yaml").read_text(encoding="utf-8")
    for needle in ("services:", "tasks:", "triggeredBy:", "postDevcontainerStart", "start:"):
        assert needle in ona, needle
    gateway = (EXAMPLES / "collector" / "gateway.yaml").read_text(encoding="utf-8")
    for needle in (
        "authenticator: oidc",
        "-https://app.gitpod.io}",
        "-https://token.actions.githubusercontent.com}",
        "from_context: auth.subject",
        "lightstep-access-token: ${env:LS_ACCESS_TOKEN}",
    ):
        assert needle in gateway, needle
    assert "\t" not in gateway


def _cli_path(env: dict[str, str]) -> dict[str, str]:
    """Put this interpreter's ``workspace-otel`` script (or a stand-in for it) first on PATH."""
    bin_dir = Path(tempfile.mkdtemp(prefix="workspace-otel-bin-"))
    script = bin_dir / "workspace-otel"
    script.write_text(f'#!/bin/sh\nexec "{PYTHON}" -m workspace_otel "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}


def _git_repo(where: Path, branch: str) -> Path:
    repo = where / "service"
    repo.mkdir()
    ident = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com"}
    ident |= {"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}
    for args in (
        ["init", "-q"],
        ["checkout", "-q", "-b", branch],
        ["commit", "-q", "--allow-empty", "-m", "first"],
        ["remote", "add", "origin", "https://github.com/acme/storefront.git"],
    ):
        subprocess.run(["git", *args], cwd=repo, env={**os.environ, **ident}, check=True)
    return repo


def env_in_shells() -> None:
    """The start hooks' `eval "$(workspace-otel env)"` line, in a real sh, on a Codespace."""
    devcontainer = _jsonc(EXAMPLES / "codespaces" / ".devcontainer" / "devcontainer.json")
    assert isinstance(devcontainer, dict)
    hook = devcontainer["postStartCommand"]
    gitpod = (EXAMPLES / "gitpod" / ".gitpod.yml").read_text(encoding="utf-8")
    ona = (EXAMPLES / "ona" / ".gitpod" / "automations.yaml").read_text(encoding="utf-8")
    for text in (hook, gitpod, ona):
        assert 'eval "$(workspace-otel env)"' in text, text
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        repo = _git_repo(Path(tmp), "feature/$(touch${IFS}PWNED)")
        platform = {"CODESPACES": "true", "CODESPACE_NAME": "demo-7q9", "GITHUB_USER": "ada"}
        env = _cli_path({**_env(**platform), "HOME": str(home)})
        env.pop("WORKSPACE_OTEL_GIT")
        for _ in range(2):  # the hook runs at every start: the line goes in once
            subprocess.run(["sh", "-c", hook], env=env, check=True)
        bashrc = (home / ".bashrc").read_text(encoding="utf-8")
        assert bashrc.count("workspace-otel env") == 1, bashrc
        shown = subprocess.run(
            [
                "sh",
                "-c",
                f'. "{home / ".bashrc"}"; printf "%s|%s" "$OTEL_RESOURCE_ATTRIBUTES" '
                '"$OTEL_SERVICE_NAME"',
            ],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert not (repo / "PWNED").exists()
        resource, service = shown.split("|")
        assert service == "storefront", shown
        assert "workspace.id=demo-7q9" in resource, resource
        assert "vcs.ref.head.name=feature%2F%24%28touch%24%7BIFS%7DPWNED%29" in resource, resource
        print(f"env: OTEL_SERVICE_NAME={service} OTEL_RESOURCE_ATTRIBUTES={resource[:90]}...")


def claude_code_headers_helper() -> None:
    """examples/claude-code: its otelHeadersHelper run as Claude Code runs it, then validated."""
    settings = json.loads(
        (EXAMPLES / "claude-code" / ".claude" / "settings.json").read_text(encoding="utf-8")
    )
    helper = settings["otelHeadersHelper"]
    assert "OTEL_RESOURCE_ATTRIBUTES" not in settings["env"]
    with TokenServer() as server:
        env = _cli_path(
            _env(
                WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
                WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
                WORKSPACE_OTEL_OAUTH2_CLIENT_ID="test-client",
                WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET="test-secret",
                **settings["env"],
            )
        )
        # Claude Code runs the helper through a shell and parses its stdout as one JSON object.
        done = subprocess.run(
            ["/bin/sh", "-c", helper], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        headers = json.loads(done.stdout)
        assert all(isinstance(v, str) for v in headers.values()), headers
        claims = JwtValidator(server).validate_header(headers["Authorization"])
        assert claims["sub"] == "test-client"
        assert "test-secret" not in done.stdout + done.stderr
        print(f"claude-code: helper printed {sorted(headers)}; the receiver accepted the token")


EXAMPLES_TO_RUN: dict[str, Callable[[], None]] = {
    "quickstart_console": quickstart_console,
    "quickstart_oauth2_receiver": quickstart_oauth2_receiver,
    "flask_app_gitpod": flask_app_gitpod,
    "lightstep_direct": lightstep_direct,
    "platform_files": platform_files,
    "env_in_shells": env_in_shells,
    "claude_code_headers_helper": claude_code_headers_helper,
}


def main(argv: list[str]) -> int:
    failed = 0
    for name, check in EXAMPLES_TO_RUN.items():
        if argv and not any(a in name for a in argv):
            continue
        started = time.monotonic()
        try:
            check()
        except Exception as exc:
            failed += 1
            print(f"FAIL {name}: {exc!r}", flush=True)
        else:
            print(f"ok   {name} ({time.monotonic() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

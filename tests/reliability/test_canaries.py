"""Secrets canary (issue 8): distinct canaries everywhere a secret can be, every captured
byte searched, zero hits.

Planted: every secret variable of platforms.md section 12 (the platform
environments' 44 canaries plus the ones added here), a git remote with a
password, the token file, a token command's output and stderr, the OAuth2
client secret, a static token, and every token the token server issued (each
issued JWT is a canary: whole or by its signature).

Searched: every log record at DEBUG (message and exception text), the test's
stdout / stderr at the file-descriptor level, ``workspace-otel detect`` and
``doctor`` (text and JSON) run as subprocesses with DEBUG logging, the OTLP
payloads as received (re-serialised protobuf of every span, metric and log
record, plus their decoded resource attributes), reprs and strs of every
public object, exception texts, and every file under ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

import logging
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from opentelemetry import metrics, trace

import workspace_otel
from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import ENVIRONMENTS, SECRET_CANARIES, by_name, canary
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from tests.reliability.helpers import APPS, Figures, LeakScanner
from tests.reliability.pipeline import CLIENT_ID, CLIENT_SECRET, make_token_server
from workspace_otel import resources
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    FileTokenSource,
    OAuth2ClientCredentialsSource,
    TokenSource,
    shared_cache,
)
from workspace_otel.credentials._grpc import TokenMetadataPlugin
from workspace_otel.credentials._http import BearerAuth
from workspace_otel.errors import TokenError

EXTRA_SECRETS = {
    "CI_JOB_JWT": canary("CiJobJwt"),
    "CI_JOB_JWT_V1": canary("CiJobJwtV1"),
    "LS_ACCESS_TOKEN": canary("LightstepAccessToken"),
    "GITPOD_TOKEN": canary("ExtraGitpodToken"),
    "WORKSPACE_OTEL_TOKEN": canary("WorkspaceOtelStaticToken"),
}
GIT_PASSWORD = canary("GitRemotePassword")
FILE_TOKEN = canary("TokenFileValue")
COMMAND_TOKEN = canary("CommandOutputToken")
COMMAND_STDERR = canary("CommandStderrSecret")


def _git_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "dev@example.com")
    git("config", "user.name", "Dev")
    (repo / "README").write_text("hi\n")
    git("add", "README")
    git("commit", "-q", "-m", "first")
    git("remote", "add", "origin", f"https://dev:{GIT_PASSWORD}@github.com/acme/shop.git")
    git("remote", "add", "mirror", f"https://{GIT_PASSWORD}@gitlab.com/acme/shop.git")
    return repo


def _run_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[str, str, str]:
    result = subprocess.run(
        [PYTHON, str(APPS / "cli_debug.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )
    return " ".join(args), result.stdout, result.stderr


def test_no_canary_anywhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Detection, configure() with all signals, export, refresh, failures and the CLI: 0 hits."""
    leak_scanner.secret(*SECRET_CANARIES, *EXTRA_SECRETS.values(), GIT_PASSWORD, CLIENT_SECRET)
    leak_scanner.secret(FILE_TOKEN, COMMAND_TOKEN, COMMAND_STDERR)
    repo = _git_repo(tmp_path)
    monkeypatch.chdir(repo)
    errors: list[str] = []

    # 1. Detection on every platform, git included, with every detector.
    for env in ENVIRONMENTS:
        root = tmp_path / "roots" / env.name
        root.mkdir(parents=True)
        environ = {**env.materialize(root), **EXTRA_SECRETS}
        attrs, sources = resources.detect_with_sources(environ, root=root, cwd=repo)
        leak_scanner.add(f"detect {env.name}", repr(attrs) + repr(sources))
        detectors = [
            getattr(resources, n)(environ=environ, root=root)
            for n in resources.__all__
            if n.endswith("ResourceDetector") and n != "GitResourceDetector"
        ]
        leak_scanner.add_reprs(f"detectors {env.name}", detectors)
        for detector in detectors:
            leak_scanner.add(
                f"{env.name} {type(detector).__name__}", repr(detector.detect().attributes)
            )

    # 2. Local sources: token file, command output, a failing command with a secret on stderr.
    token_file = tmp_path / "token"
    token_file.write_text(FILE_TOKEN + "\n")
    command_out = tmp_path / "command-out"
    command_out.write_text(COMMAND_TOKEN + "\n")
    local_sources: list[TokenSource] = [
        FileTokenSource(token_file),
        CommandTokenSource(["cat", str(command_out)]),
        EnvTokenSource("WORKSPACE_OTEL_TOKEN", environ=EXTRA_SECRETS),
    ]
    local_tokens = [s.fetch() for s in local_sources]
    failing = CommandTokenSource(
        ["sh", "-c", f"echo {COMMAND_STDERR} >&2; echo {COMMAND_STDERR}; exit 3"]
    )
    with pytest.raises(TokenError) as caught:
        failing.fetch()
    errors.append(str(caught.value))
    leak_scanner.add_reprs("local sources", [*local_sources, *local_tokens, failing])
    leak_scanner.add_reprs("local caches", [shared_cache(s) for s in local_sources])

    # 3. configure() with traces, metrics and logs, exporting through the token server.
    with make_token_server(60.0) as server, HttpOtlpReceiver(JwtValidator(server)) as receiver:
        gitpod = by_name("gitpod")
        environ = {
            **gitpod.materialize(tmp_path / "roots" / "gitpod"),
            **EXTRA_SECRETS,
            "WORKSPACE_OTEL_GIT": "on",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_METRIC_EXPORT_INTERVAL": "200",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
        }
        source = OAuth2ClientCredentialsSource(server.token_url, CLIENT_ID, CLIENT_SECRET)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        telemetry = workspace_otel.configure(
            service_name="canary-shop",
            endpoint=receiver.endpoint,
            credentials=source,
            traces=True,
            metrics=True,
            logs=True,
            environ=environ,
        )
        tracer = trace.get_tracer("canary")
        with tracer.start_as_current_span("checkout") as span:
            span.set_attribute("items", 3)
        metrics.get_meter("canary").create_counter("orders").add(1)
        logging.getLogger("canary.app").warning("order placed")
        telemetry.force_flush()
        receiver.wait_for_spans(1, timeout=10)
        server.rotate_key()  # the next export gets a 401 and refreshes inside the export
        with tracer.start_as_current_span("after-rotation"):
            pass
        telemetry.force_flush()
        receiver.wait_for_spans(2, timeout=10)
        receiver.wait_for_logs(1, timeout=10)
        receiver.wait_for_metrics(1, timeout=10)
        cache = shared_cache(source)
        leak_scanner.add_reprs(
            "configure",
            [
                telemetry,
                telemetry.settings,
                telemetry.resource,
                source,
                cache,
                cache.current,
                BearerAuth(cache),
                TokenMetadataPlugin(cache),
            ],
        )
        leak_scanner.add("settings rows", repr(telemetry.settings.describe()))
        telemetry.shutdown()
        payloads = [s.proto.SerializeToString() for s in receiver.spans]
        payloads += [m.proto.SerializeToString() for m in receiver.metrics]
        payloads += [r.proto.SerializeToString() for r in receiver.logs]
        leak_scanner.add("otlp payloads", b"".join(payloads))
        leak_scanner.add(
            "otlp resources",
            repr([s.resource for s in receiver.spans] + [r.resource for r in receiver.logs]),
        )
        issued = set(receiver.tokens_seen)
        leak_scanner.secret(*issued)
        assert receiver.rejected == 1  # the rotated-out token, then recovered

        # 4. The CLI as a user runs it, with logging at DEBUG.
        cli_env = subprocess_env(
            **environ,
            WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
            WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
            WORKSPACE_OTEL_OAUTH2_CLIENT_ID=CLIENT_ID,
            WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET=CLIENT_SECRET,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        )
        commands = [["detect"], ["detect", "--json"], ["doctor"], ["doctor", "--json"]]
        commands += [["env"], ["env", "--format", "json"]]  # and the env cache file, below
        with ThreadPoolExecutor(4) as pool:
            outputs = list(pool.map(lambda a: _run_cli(a, cli_env, repo), commands))
        for label, out, err in outputs:
            assert out, f"{label} printed nothing: {err[-2000:]}"
            leak_scanner.add(f"cli {label} stdout", out)
            leak_scanner.add(f"cli {label} stderr", err)
        leak_scanner.secret(*(t for t in receiver.tokens_seen if t not in issued))

    # 5. Files the library wrote (the git cache) and everything printed.
    written = [p for p in Path(os.environ["XDG_CACHE_HOME"]).rglob("*") if p.is_file()]
    assert written, "the git cache should have been written"
    assert any(p.name.startswith("env-") for p in written), "and the env command's cache"
    for path in written:
        leak_scanner.add(f"file {path.name}", path.read_bytes())
    captured = capfd.readouterr()
    leak_scanner.add("stdout", captured.out)
    leak_scanner.add("stderr", captured.err)
    leak_scanner.add("exceptions", "\n".join(errors))
    count, scanned = leak_scanner.scan("canary: detection, configure, exports, CLI")
    figures.record(
        "canaries",
        canaries=count,
        platform_canaries=len(SECRET_CANARIES),
        issued_tokens=len(set(receiver.tokens_seen)),
        bytes_searched=scanned,
        texts_searched=len(leak_scanner.captured),
        log_records=len(leak_scanner.handler.records),
        files_written_by_library=len(written),
        hits=0,
    )

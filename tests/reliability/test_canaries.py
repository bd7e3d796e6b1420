"""Secrets canary: distinct canaries everywhere a secret can be, every captured
byte searched, zero hits.

Planted: every secret variable of platforms.md section 12 (the platform
environments' 44 canaries plus the ones added here), a git remote with a
password, the token file, a token command's output and stderr, the OAuth2
client secret, a static token, and every token the token server issued (each
issued JWT is a canary: whole or by its signature).

A second test plants canaries on the paths by which secrets used to leave:
a token redirected (301/302/303/307/308) to another origin in a custom header
and in ``authorization``, a plain-http token with ``HTTP_PROXY`` set (a
recording proxy keeps every byte), query-string credentials in endpoints, an
OAuth2 client secret echoed back percent-encoded and base64'd, a failing
command's stderr echoing its token, a ``command:`` source's argument in
``doctor``, and a malformed ``OTEL_EXPORTER_OTLP_HEADERS`` value.

Searched: every log record at DEBUG (message and exception text), the test's
stdout / stderr at the file-descriptor level, ``workspace-otel detect`` and
``doctor`` (text and JSON) run as subprocesses with DEBUG logging, the OTLP
payloads as received (re-serialised protobuf of every span, metric and log
record, plus their decoded resource attributes), reprs and strs of every
public object, exception texts, and every file under ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from opentelemetry import metrics, propagate, trace

import workspace_otel
from tests.harness._serving import LoopbackServer
from tests.harness.agent_envs import AGENT_ENVIRONMENTS, CLAUDE_CODE, NOT_AGENTS
from tests.harness.egress_peers import RecordingProxy, RecordingServer, echo_token_endpoint
from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import ENVIRONMENTS, SECRET_CANARIES, by_name, canary
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from tests.reliability.helpers import APPS, Figures, LeakScanner
from tests.reliability.pipeline import CLIENT_ID, CLIENT_SECRET, make_token_server
from workspace_otel import resources
from workspace_otel.cli._doctor import run_doctor
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    FileTokenSource,
    OAuth2ClientCredentialsSource,
    TokenSource,
    shared_cache,
)
from workspace_otel.credentials._grpc import TokenMetadataPlugin
from workspace_otel.credentials._http import BearerAuth, OtlpSession
from workspace_otel.errors import ConfigurationError, TokenError

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


_SHELL_VARIABLES = ("HOME", "USER", "LANG", "SHELL", "PATH")


def _canaries_in(environ: dict[str, str]) -> list[str]:
    """The planted canaries in an environment's values (the agent sessions' API keys)."""
    return [value[value.index("CANARY") :] for value in environ.values() if "CANARY" in value]


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

    # 1b. Agent sessions (whose shells hold the user's API keys) and API-key-only profiles.
    agent_environs = [dict(e.environ) for e in AGENT_ENVIRONMENTS]
    agent_environs += [dict(environ) for environ in NOT_AGENTS.values()]
    leak_scanner.secret(*{s for e in agent_environs for s in _canaries_in(e)})
    for number, agent_environ in enumerate(agent_environs):
        attrs, sources = resources.detect_with_sources(
            {**agent_environ, **EXTRA_SECRETS}, root=tmp_path / "roots" / "clean", cwd=repo
        )
        leak_scanner.add(f"detect agent {number}", repr(attrs) + repr(sources))

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
            # an agent started the process; its session holds API keys; baggage both ways
            **{k: v for k, v in CLAUDE_CODE.environ.items() if k not in _SHELL_VARIABLES},
            "WORKSPACE_OTEL_BAGGAGE": "workspace.id,vcs.ref.head.revision,user.id",
            "WORKSPACE_OTEL_BAGGAGE_TO_SPANS": "workspace.*,vcs.*",
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
        outgoing: dict[str, str] = {}
        propagate.inject(outgoing)
        leak_scanner.add("outgoing baggage", repr(outgoing))
        assert "workspace.id=" in outgoing["baggage"]
        hostile = propagate.extract(
            {"baggage": f"api.token={FILE_TOKEN},user.email={COMMAND_TOKEN},workspace.id=ws"}
        )
        with tracer.start_as_current_span("checkout", context=hostile) as span:
            span.set_attribute("items", 3)
        metrics.get_meter("canary").create_counter("orders").add(1)
        logging.getLogger("canary.app").warning("order placed")
        telemetry.force_flush()
        receiver.wait_for_spans(1, timeout=10)
        server.rotate_key()  # the next export gets a 401 and refreshes inside the export
        with tracer.start_as_current_span("after-rotation"):
            pass
        telemetry.force_flush()
        spans = receiver.wait_for_spans(2, timeout=10)
        checkout = next(s for s in spans if s.name == "checkout")
        assert checkout.attributes.get("workspace.id") == "ws"
        assert checkout.resource["workspace.actor.agent.name"] == "claude-code"
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


# Canaries for the paths by which secrets used to leave the process (redirects,
# proxies, query strings, encodings, stderr echoes, doctor, headers variables).
REDIRECT_TOKEN = canary("RedirectToken")
PROXY_TOKEN = canary("ProxyToken")
QUERY_SECRET = canary("EndpointQueryKey")
QUERY_SECRET_BAD = canary("BadEndpointQueryKey")
ECHO_CLIENT_ID = "svc/egress+canary"
ECHO_CLIENT_SECRET = canary("EchoClientSecret") + "/+@ !"
STDERR_TOKEN = "lowercasecanarytokenonstdout"
DOCTOR_ARG = "lowercasecanarydoctorargument"
HEADERS_SECRET = canary("MalformedHeadersValue")


def _encoded_forms(user: str, secret: str) -> list[str]:
    pair = f"{quote(user, safe='')}:{quote(secret, safe='')}"
    return [
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(pair.encode()).decode(),
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
    ]


def test_no_canary_on_the_egress_and_echo_paths(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Redirect hosts, a proxy, query strings, encoded echoes, stderr, doctor, headers: 0 hits."""
    leak_scanner.secret(REDIRECT_TOKEN, PROXY_TOKEN, QUERY_SECRET, QUERY_SECRET_BAD)
    leak_scanner.secret(ECHO_CLIENT_SECRET, *_encoded_forms(ECHO_CLIENT_ID, ECHO_CLIENT_SECRET))
    leak_scanner.secret(STDERR_TOKEN, DOCTOR_ARG, HEADERS_SECRET, quote(HEADERS_SECRET))
    errors: list[str] = []

    # 1. A token in a custom header and in authorization, redirected (every 30x) elsewhere.
    origin, other = RecordingServer(), RecordingServer()
    try:
        for header in ("lightstep-access-token", "authorization"):
            session = OtlpSession()
            session.auth = BearerAuth(
                EnvTokenSource("T", environ={"T": REDIRECT_TOKEN}), header=header
            )
            for code in (301, 302, 303, 307, 308):
                target = quote(f"{other.base_url}/v1/traces", safe="")
                session.post(f"{origin.base_url}/redirect/{code}?to={target}", data=b"x")
            session.close()
        assert len(other.requests) == 10
        leak_scanner.add("redirect target headers", other.all_header_text())
    finally:
        origin.stop()
        other.stop()

    # 2. Plain http to loopback with HTTP_PROXY set: the proxy records every byte.
    proxy = RecordingProxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        session = OtlpSession()
        session.auth = BearerAuth(
            EnvTokenSource("T", environ={"T": PROXY_TOKEN}), header="x-api-key"
        )
        session.post("http://127.0.0.1:4318/v1/traces", data=b"payload")
        session.close()
        monkeypatch.delenv("HTTP_PROXY")
        assert "/v1/traces" in proxy.text
        leak_scanner.add("proxy received", proxy.text)
    finally:
        proxy.stop()

    # 3. An endpoint with ?api_key=: a configuration error, then a failing export.
    with pytest.raises(ConfigurationError) as config_error:
        workspace_otel.configure(endpoint=f"ftp://collector.example/?api_key={QUERY_SECRET_BAD}")
    errors.append(str(config_error.value))
    dead = RecordingServer()
    dead_url = dead.base_url
    dead.stop()
    telemetry = workspace_otel.configure(
        endpoint=f"{dead_url}/?api_key={QUERY_SECRET}", credentials=False, flush_timeout=2
    )
    with trace.get_tracer("canary").start_as_current_span("lost"):
        pass
    telemetry.force_flush(timeout=2)
    telemetry.shutdown(timeout=2)
    workspace_otel._setup._configure._reset_for_tests()

    # 4. An OAuth2 endpoint echoing the client secret as it was sent (Basic, percent-encoded).
    echo = LoopbackServer(echo_token_endpoint, name="echo-token")
    try:
        oauth2 = OAuth2ClientCredentialsSource(
            f"{echo.base_url}/basic", ECHO_CLIENT_ID, ECHO_CLIENT_SECRET
        )
        with pytest.raises(TokenError) as echoed:
            oauth2.fetch()
        errors.append(str(echoed.value))
    finally:
        echo.stop()

    # 5. A failing command that printed its token (newline-terminated) and echoes it on stderr.
    helper = tmp_path / "helper.sh"
    helper.write_text(f"#!/bin/sh\necho {STDERR_TOKEN}\necho oops {STDERR_TOKEN} >&2\nexit 3\n")
    helper.chmod(0o755)
    with pytest.raises(TokenError) as command_error:
        CommandTokenSource([str(helper)]).fetch()
    errors.append(str(command_error.value))

    # 6. doctor with a command source whose argument is a credential.
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", f"command:{helper} --key={DOCTOR_ARG}")
    for as_json in (True, False):
        out = io.StringIO()
        run_doctor(as_json=as_json, endpoint=None, timeout=2.0, out=out)
        leak_scanner.add(f"doctor json={as_json}", out.getvalue())
    monkeypatch.delenv("WORKSPACE_OTEL_TOKEN_SOURCE")

    # 7. A malformed OTEL_EXPORTER_OTLP_HEADERS (the SDK's parser would print it).
    for variable in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        monkeypatch.setenv(variable, f'authorization=Bearer "{HEADERS_SECRET}"')
        with pytest.raises(ConfigurationError) as headers_error:
            workspace_otel.configure(endpoint="http://127.0.0.1:9", credentials=False)
        assert variable in str(headers_error.value)
        errors.append(str(headers_error.value))
        monkeypatch.delenv(variable)

    captured = capfd.readouterr()
    leak_scanner.add("stdout", captured.out)
    leak_scanner.add("stderr", captured.err)
    leak_scanner.add("exceptions", "\n".join(errors))
    count, scanned = leak_scanner.scan("canary: redirects, proxy, query, encodings, doctor")
    figures.record(
        "egress_canaries",
        canaries=count,
        redirects_followed=len(other.requests),
        proxy_bytes_received=len(proxy.received),
        bytes_searched=scanned,
        texts_searched=len(leak_scanner.captured),
        log_records=len(leak_scanner.handler.records),
        hits=0,
    )


VAULT_SECRET_VALUE = canary("VaultKvLightstepKey")
VAULT_OWN_TOKEN = canary("VaultOwnToken")
AWS_SECRET_VALUE = canary("AwsSecretsManagerKey")
AWS_ROTATED_VALUE = canary("AwsRotatedKey")
AWS_CHAIN_KEY_ID = "AKIA" + canary("AwsChainKeyId")[-16:].upper()
AWS_CHAIN_SECRET = canary("AwsChainSecretAccessKey")


def test_no_secret_store_canary_anywhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Vault and Secrets Manager with botocore / hvac / urllib3 logging at DEBUG: 0 hits.

    Planted: the secret values, a Vault token, the Vault token a JWT login
    issues, AWS access keys, the STS session credentials, the identity JWT,
    and every value the library registered with the redaction boundary.
    """
    from tests.harness.jwt_validation import StaticTokenValidator
    from tests.harness.moto_server import REGION, ROLE_ARN, MotoServer
    from tests.harness.openbao import AUDIENCE, REPOSITORY, ROLE, OpenBao
    from workspace_otel._guards import redaction
    from workspace_otel.credentials import AwsSecretsManagerSource, VaultSecretSource

    leak_scanner.secret(VAULT_SECRET_VALUE, VAULT_OWN_TOKEN, AWS_SECRET_VALUE, AWS_ROTATED_VALUE)
    leak_scanner.secret(AWS_CHAIN_KEY_ID, AWS_CHAIN_SECRET)
    errors: list[str] = []
    header = "lightstep-access-token"
    with (
        make_token_server(600.0) as issuer,
        OpenBao(issuer.jwks_url, issuer.issuer, workdir=tmp_path) as bao,
        MotoServer(workdir=tmp_path) as moto,
        HttpOtlpReceiver(header=header, static_token=VAULT_SECRET_VALUE) as receiver,
    ):
        jwt = issuer.mint(
            sub="repo:acme/shop", aud=AUDIENCE, extra_claims={"repository": REPOSITORY}
        )
        leak_scanner.secret(jwt)
        jwt_file = tmp_path / "identity.jwt"
        jwt_file.write_text(jwt)
        # The harness's own admin calls (planting the secrets) are not the library's logging.
        logging.disable(logging.DEBUG)
        try:
            bao.put_secret(VAULT_SECRET_VALUE)
            bao.admin().auth.token.create(id=VAULT_OWN_TOKEN, policies=["otel-lightstep-read"])
            moto.create_secret("otel/lightstep", f'{{"access_token": "{AWS_SECRET_VALUE}"}}')
        finally:
            logging.disable(logging.NOTSET)
        environ = {
            "WORKSPACE_OTEL_TOKEN_SOURCE": "vault",
            "WORKSPACE_OTEL_TOKEN_HEADER": header,
            "WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/lightstep#access_token",
            "WORKSPACE_OTEL_VAULT_ROLE": ROLE,
            "WORKSPACE_OTEL_VAULT_JWT_SOURCE": f"file:{jwt_file}",
            "VAULT_ADDR": bao.address,
            "WORKSPACE_OTEL_GIT": "off",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
        aws_env = {
            "WORKSPACE_OTEL_AWS_SECRET_ID": "otel/lightstep",
            "WORKSPACE_OTEL_AWS_SECRET_FIELD": "access_token",
            "WORKSPACE_OTEL_AWS_ROLE_ARN": ROLE_ARN,
            "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE": f"file:{jwt_file}",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": moto.endpoint,
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name, value in {**environ, **aws_env}.items():
            monkeypatch.setenv(name, value)

        # 1. configure() with the vault source; the backend then accepts only the AWS key.
        telemetry = workspace_otel.configure(
            service_name="canary-shop", metrics=False, endpoint=receiver.endpoint
        )
        with trace.get_tracer("canary").start_as_current_span("vault-key"):
            pass
        telemetry.force_flush()
        receiver.wait_for_spans(1, timeout=10)
        from workspace_otel.credentials import token_source_from_env

        vault_source = token_source_from_env()
        assert isinstance(vault_source, VaultSecretSource)
        leak_scanner.add_reprs(
            "vault", [vault_source, shared_cache(vault_source), vault_source.status, telemetry]
        )
        telemetry.shutdown()

        # 2. Vault's own token, a denied path and a KV v1 mount (error texts).
        own = VaultSecretSource(
            "secret/otel/lightstep#access_token",
            address=bao.address,
            environ={"VAULT_TOKEN": VAULT_OWN_TOKEN},
        )
        own.fetch()
        for secret in ("secret/otel/other#access_token", "kv1/otel/lightstep#access_token"):
            try:
                VaultSecretSource(
                    secret, address=bao.address, environ={"VAULT_TOKEN": VAULT_OWN_TOKEN}
                ).fetch()
            except TokenError as exc:
                errors.append(str(exc))

        # 3. Secrets Manager: assumed role, the standard chain, rotation after a 401.
        aws = AwsSecretsManagerSource(
            "otel/lightstep",
            field="access_token",
            role_arn=ROLE_ARN,
            web_identity_source=FileTokenSource(jwt_file),
        )
        cache = shared_cache(aws)
        session = workspace_otel.credentials.http_session()
        auth = BearerAuth(cache, header=header)
        receiver.validator = StaticTokenValidator(AWS_SECRET_VALUE)
        assert cache.token().value == AWS_SECRET_VALUE
        logging.disable(logging.DEBUG)
        try:
            moto.put_value("otel/lightstep", f'{{"access_token": "{AWS_ROTATED_VALUE}"}}')
        finally:
            logging.disable(logging.NOTSET)
        receiver.validator = StaticTokenValidator(AWS_ROTATED_VALUE)
        answer = session.post(
            receiver.traces_url,
            data=b"",
            headers={"Content-Type": "application/x-protobuf"},
            auth=auth,
            timeout=10,
        )
        assert answer.status_code == 200
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_CHAIN_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_CHAIN_SECRET)
        chain = AwsSecretsManagerSource("otel/lightstep", field="access_token")
        chain.fetch()
        try:
            AwsSecretsManagerSource("otel/missing", field="access_token").fetch()
        except TokenError as exc:
            errors.append(str(exc))
        leak_scanner.add_reprs("aws", [aws, chain, cache, cache.current, aws.status, chain.status])

        # 4. doctor and headers-free CLI runs at DEBUG, for both stores.
        cli_runs = [
            _run_cli(["doctor"], subprocess_env(**environ), tmp_path),
            _run_cli(
                ["doctor", "--json"],
                subprocess_env(
                    **{**environ, **aws_env, "WORKSPACE_OTEL_TOKEN_SOURCE": "aws-secretsmanager"}
                ),
                tmp_path,
            ),
        ]
        for label, out, err in cli_runs:
            assert out, f"{label} printed nothing: {err[-2000:]}"
            leak_scanner.add(f"cli {label} stdout", out)
            leak_scanner.add(f"cli {label} stderr", err)
            assert "botocore" in err or "hvac" in err or "urllib3" in err  # DEBUG really ran

    # Everything the library knew was secret (Vault client tokens, STS keys) is a canary too.
    with redaction._lock:
        leak_scanner.secret(*redaction._secrets)
    captured = capfd.readouterr()
    leak_scanner.add("stdout", captured.out)
    leak_scanner.add("stderr", captured.err)
    leak_scanner.add("exceptions", "\n".join(errors))
    client_records = [
        r for r in leak_scanner.handler.records if r.name.split(".")[0] in ("botocore", "urllib3")
    ]
    assert client_records, "the clients' DEBUG logging did not run"
    count, scanned = leak_scanner.scan("canary: secret stores")
    figures.record(
        "canaries_secret_stores",
        canaries=count,
        client_debug_records=len(client_records),
        bytes_searched=scanned,
        hits=0,
    )

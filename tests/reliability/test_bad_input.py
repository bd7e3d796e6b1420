"""Bad input, with hypothesis: detection never raises, configuration errors are
ConfigurationError naming the input, token parsing raises nothing but TokenError, and
configure() under a hostile environment either refuses at configure time or works.

``nox -s fuzz`` runs these with ``WORKSPACE_OTEL_HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Request, Response

from tests.harness._serving import LoopbackServer
from tests.harness.agent_envs import AGENT_ENVIRONMENTS
from tests.harness.platform_envs import ENVIRONMENTS
from tests.harness.process import reset_otel_globals
from tests.reliability.conftest import examples
from workspace_otel import resources
from workspace_otel._guards import safe_read
from workspace_otel._settings import _env, _sdk_variables
from workspace_otel.credentials import (
    CommandTokenSource,
    FileTokenSource,
    OAuth2ClientCredentialsSource,
    RefreshingTokenCache,
    Token,
    _jwt,
)
from workspace_otel.errors import ConfigurationError, TokenError
from workspace_otel.resources._base import Context

_ATTR_TYPES = (str, bool, int, float)
DETECTORS = [
    getattr(resources, name)
    for name in resources.__all__
    if name.endswith("ResourceDetector") and name != "GitResourceDetector"
]


class _RecordingEnviron(dict[str, str]):
    """A dict that remembers every key looked up."""

    def __init__(self, data: Mapping[str, str], seen: set[str]) -> None:
        super().__init__(data)
        self.seen = seen

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.seen.add(key)
        return super().__contains__(key)


def _variables_read() -> list[str]:
    """Every variable the detectors look up, over every platform environment."""
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as root:
        for env in ENVIRONMENTS:
            environ = _RecordingEnviron(env.materialize(Path(root)), seen)
            resources.detect_with_sources(environ, root=root, cwd=root, git=False)
            for detector in DETECTORS:
                detector(environ=environ, root=root).detect()
        for agent in AGENT_ENVIRONMENTS:  # the actor's session and version variables
            resources.detect_with_sources(
                _RecordingEnviron(agent.environ, seen), root=root, cwd=root, git=False
            )
    seen |= {v.name for v in _env.VARIABLES}
    return sorted(seen)


PLATFORM_VARIABLES = _variables_read()

hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "true",
            "TRUE",
            "0",
            "-1",
            "nan",
            "1e309",
            "{}",
            "[]",
            "null",
            '{"a": [1, {"b": null}]}',
            "https://user:pa ss@github.com:99999/o/r.git",
            "git@github.com:owner/repo.git",
            "http://[::1",
            "../../../../etc/passwd",
            "\x00\x01\x7f",
            "a\nb\r\nc",
            "é" * 300,
            "x" * 5000,
            "019a6760-cbe9-7def-a10a-434ff94ffcaf",
            "claude-code/2.1.123/agent",
            "claude-code/../agent",
            "T-019c971d-d371-70ac-9805-5c739908e73b",
            "github_copilot_vscode_agent",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _check_attributes(attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        assert isinstance(key, str)
        assert isinstance(value, _ATTR_TYPES), (key, value)


@pytest.fixture(scope="module")
def platform_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as root:
        yield Path(root)


@examples(60)
@given(
    base=st.sampled_from(ENVIRONMENTS),
    overrides=st.dictionaries(st.sampled_from(PLATFORM_VARIABLES), hostile_text, max_size=8),
)
def test_bad_input_platform_variables_never_break_detection(
    base: Any, overrides: dict[str, str], platform_root: Path
) -> None:
    """Every variable the detectors read, set to hostile values on top of a real platform."""
    environ = {**base.materialize(platform_root), **overrides}
    environ["WORKSPACE_OTEL_PLATFORM_ROOT"] = str(platform_root)
    environ["WORKSPACE_OTEL_GIT"] = "off"
    try:
        attrs, sources = resources.detect_with_sources(
            environ, root=platform_root, cwd=platform_root
        )
    except ConfigurationError as exc:
        _names_a_setting(exc, overrides)
        return
    _check_attributes(attrs)
    assert set(sources) <= set(attrs)
    for detector in DETECTORS:
        _check_attributes(detector(environ=environ, root=platform_root).detect().attributes)


def _names_a_setting(exc: ConfigurationError, overrides: Mapping[str, str]) -> None:
    """Only the library's own settings may be refused, and the message names the one."""
    named = [n for n in overrides if n.startswith("WORKSPACE_OTEL_") and n in str(exc)]
    assert named, f"ConfigurationError not naming a WORKSPACE_OTEL_ setting: {exc}"


@examples(60)
@given(context=st.one_of(json_values.map(json.dumps), hostile_text))
def test_bad_input_gitpod_workspace_context(context: str, platform_root: Path) -> None:
    """GITPOD_WORKSPACE_CONTEXT of any shape: the Gitpod detector still answers."""
    base = next(e for e in ENVIRONMENTS if e.name == "gitpod")
    environ = {**base.environ, "GITPOD_WORKSPACE_CONTEXT": context}
    resource = resources.GitpodResourceDetector(environ=environ, root=platform_root).detect()
    _check_attributes(resource.attributes)
    assert resource.attributes.get("workspace.provider") == "gitpod"


@examples(60)
@given(
    content=st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300))
)
def test_bad_input_codespaces_json_file(content: bytes, platform_root: Path) -> None:
    """The Codespaces environment-variables.json holding anything: detection never raises."""
    base = next(e for e in ENVIRONMENTS if e.name == "codespaces_file")
    environ = base.materialize(platform_root)
    path = platform_root / "workspaces/.codespaces/shared/environment-variables.json"
    path.write_bytes(content)
    resource = resources.CodespacesResourceDetector(environ=environ, root=platform_root).detect()
    _check_attributes(resource.attributes)


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


claim_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)
jwt_payloads = st.dictionaries(
    st.sampled_from(["exp", "iat", "nbf", "iss", "sub", "aud", "email"]), claim_values, max_size=6
)
segments = st.one_of(
    jwt_payloads.map(lambda c: _b64(json.dumps(c, allow_nan=True).encode())),
    json_values.map(lambda v: _b64(json.dumps(v).encode())),
    st.binary(max_size=40).map(_b64),
    st.text(max_size=30),
)
jwts = st.one_of(
    st.tuples(st.just(_b64(b'{"alg":"RS256"}')), segments, segments).map(".".join),
    st.tuples(segments, segments, segments).map(".".join),
    st.lists(segments, min_size=1, max_size=5).map(".".join),
    hostile_text,
)


@examples(200)
@given(value=jwts, expires_in=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))
def test_bad_input_jwts_give_a_token_or_token_error(value: str, expires_in: float | None) -> None:
    """Malformed segments, wrong claim types, missing or absurd exp: Token or TokenError."""
    assert _jwt.decode_claims(value) is None or isinstance(_jwt.decode_claims(value), dict)
    try:
        token = Token.from_value(value, kind="fuzz", expires_in=expires_in)
    except TokenError:
        return
    assert token.value == value.strip()
    repr(token)
    token.describe()

    class _Once:
        kind = "fuzz"
        cache_key = ("fuzz", id(token))

        def fetch(self) -> Token:
            return token

        def describe(self) -> str:
            return "fuzz"

    cache = RefreshingTokenCache(_Once(), background=False)
    with contextlib.suppress(TokenError):
        assert cache.token(timeout=0.1).value == token.value
    repr(cache)


@pytest.fixture(scope="module")
def token_endpoint() -> Iterator[dict[str, Any]]:
    """A loopback token endpoint answering whatever the current example says."""
    answer: dict[str, Any] = {"status": 200, "body": b"{}", "type": "application/json"}

    def app(environ: Any, start_response: Any) -> Any:
        Request(environ).get_data()
        response = Response(answer["body"], status=answer["status"], mimetype=answer["type"])
        return response(environ, start_response)

    server = LoopbackServer(app, name="fuzz-token-endpoint")
    answer["url"] = server.base_url + "/token"
    try:
        yield answer
    finally:
        server.stop()


token_documents = st.one_of(
    st.dictionaries(
        st.sampled_from(
            ["access_token", "expires_in", "token_type", "error", "error_description", "scope"]
        ),
        claim_values | jwts,
        max_size=5,
    ).map(lambda d: json.dumps(d, allow_nan=True).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


@examples(80)
@given(
    status=st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 503]),
    body=token_documents,
    content_type=st.sampled_from(["application/json", "text/html", "text/plain"]),
)
def test_bad_input_token_server_answers(
    status: int, body: bytes, content_type: str, token_endpoint: dict[str, Any]
) -> None:
    """Any answer from the token endpoint: a Token or TokenError, never anything else."""
    token_endpoint.update(status=status, body=body, type=content_type)
    source = OAuth2ClientCredentialsSource(
        token_endpoint["url"], "fuzz-client", "fuzz-secret", timeout=5
    )
    try:
        token = source.fetch()
    except TokenError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "fuzz-secret" not in message
        return
    assert status == 200
    assert token.value


token_file_bytes = st.one_of(
    st.binary(max_size=200),
    jwts.map(lambda s: s.encode("utf-8", "surrogatepass") + b"\n"),
    token_documents,
)


@examples(60)
@given(content=token_file_bytes)
def test_bad_input_token_file(content: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A token file holding anything: Token or TokenError."""
    path = tmp_path_factory.mktemp("token-file") / "token"
    path.write_bytes(content)
    try:
        token = FileTokenSource(path).fetch()
    except TokenError:
        return
    assert token.value


@examples(25)
@given(content=token_file_bytes)
def test_bad_input_command_output(content: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A token command printing anything: Token or TokenError (the command here is ``cat``)."""
    path = tmp_path_factory.mktemp("command-output") / "out"
    path.write_bytes(content)
    try:
        token = CommandTokenSource(["cat", str(path)], timeout=5).fetch()
    except TokenError:
        return
    assert token.value


CONFIGURE_VARIABLES = [
    *(v.name for v in _env.VARIABLES if v.name != "WORKSPACE_OTEL_PLATFORM_ROOT"),
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_LOGS_EXPORTER",
    "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS",
    "OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER",
    *sorted({row.name for row in _sdk_variables.ROWS} - {"OTEL_TRACES_SAMPLER_ARG"}),
]
_CHOICES = {
    "WORKSPACE_OTEL_TOKEN_SOURCE": ["auto", "none", "env:NOPE", "file:/nonexistent", "oauth2",
                                    "gitpod", "github-actions", "bogus", "env:", "file:"],
    "WORKSPACE_OTEL_BACKEND": ["otlp", "console", "lightstep", "LIGHTSTEP", "datadog"],
    "WORKSPACE_OTEL_IDENTITY": ["login", "full", "hash", "off", "everyone"],
    "WORKSPACE_OTEL_ACTOR": ["on", "off", "OFF", "maybe"],
    "WORKSPACE_OTEL_BAGGAGE": ["workspace.id", "workspace.id,vcs.ref.head.revision",
                               "api.token", "workspace.*", "user.name", "bad name"],
    "WORKSPACE_OTEL_BAGGAGE_TO_SPANS": ["workspace.*", "*", "user.*", "a**", "user.name,vcs.*"],
    "OTEL_EXPORTER_OTLP_PROTOCOL": ["http/protobuf", "grpc", "http/json", "udp"],
    "OTEL_TRACES_SAMPLER": ["always_on", "traceidratio", "parentbased_traceidratio", "nope"],
    "OTEL_TRACES_SAMPLER_ARG": ["0.5", "2", "-1", "nan", "x"],
    "OTEL_METRIC_EXPORT_INTERVAL": ["1000", "0", "-5", "1e9", "soon"],
    "OTEL_EXPORTER_OTLP_ENDPOINT": ["http://127.0.0.1:1", "https://127.0.0.1:1/x", "ftp://h",
                                    "127.0.0.1:4318", "http://", "http://[::1", "not a url"],
    "OTEL_TRACES_EXPORTER": ["otlp", "console", "none", "zipkin", "otlp,console"],
    "OTEL_LOGS_EXPORTER": ["otlp", "console", "none", "bogus"],
    "OTEL_BSP_MAX_QUEUE_SIZE": ["16", "2048", "-1", "0", " 4096 ", "1_000", ""],
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": ["512", "4096", "0", "x"],
    "OTEL_BLRP_MAX_QUEUE_SIZE": ["16", "-1", "4096"],
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": ["", "0", "-1", "128", "1e3"],
    "OTEL_EXPORTER_OTLP_COMPRESSION": ["gzip", "GZIP", "none", "deflate", "zstd", ""],
    "OTEL_EXPORTER_OTLP_TIMEOUT": ["1", "0", "-1", "10s", "inf", ""],
    "OTEL_EXPORTER_OTLP_CERTIFICATE": ["/dev/zero", "/dev/null", "/nonexistent.pem", "/", ""],
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": ["/dev/zero", "/proc/self/fd/0", "/etc"],
}  # fmt: skip
configure_env = st.dictionaries(
    st.sampled_from(CONFIGURE_VARIABLES),
    st.one_of(hostile_text, st.sampled_from(sorted({c for v in _CHOICES.values() for c in v}))),
    max_size=6,
)


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host not in ("127.0.0.1", "localhost", "::1", None):
        raise socket.gaierror(socket.EAI_NONAME, "the reliability suite resolves loopback only")
    return _REAL_GETADDRINFO(host, *args, **kwargs)


_REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No name but loopback resolves: a hostile endpoint cannot reach the network."""
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only)


def _safe(environ: dict[str, str]) -> dict[str, str]:
    source = environ.get("WORKSPACE_OTEL_TOKEN_SOURCE", "")
    if source.strip().lower().startswith("command"):
        environ["WORKSPACE_OTEL_TOKEN_SOURCE"] = "none"  # never run a generated command line
    for name, value in list(environ.items()):
        if "\x00" in value:
            environ[name] = value.replace("\x00", "")
    return environ


@examples(30)
@given(overrides=configure_env)
def test_bad_input_configure_refuses_or_works(
    overrides: dict[str, str], loopback_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """configure() + spans under hostile variables: ConfigurationError naming one, or it works."""
    from opentelemetry import trace

    import workspace_otel
    from workspace_otel._setup import _configure

    environ = _safe(
        {
            "PATH": os.environ.get("PATH", ""),
            "WORKSPACE_OTEL_GIT": "off",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
            **overrides,
        }
    )
    for name in list(os.environ):
        if name.startswith(("OTEL_", "WORKSPACE_OTEL_")):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)  # the SDK's exporters read os.environ too
    try:
        try:
            telemetry = workspace_otel.configure(environ=environ, flush_timeout=1.0)
        except ConfigurationError as exc:
            message = str(exc)
            assert any(name in message for name in environ), message
            return
        with trace.get_tracer("fuzz").start_as_current_span("fuzz") as span:
            span.set_attribute("ok", True)
        telemetry.force_flush(timeout=1.0)
    finally:
        _configure._reset_for_tests()
        reset_otel_globals()


# -- the SDK's own verdict on its variables ------------------------------------

_INT_ROWS = [
    row
    for row in _sdk_variables.ROWS
    if row.name.startswith(("OTEL_BSP_", "OTEL_BLRP_")) or row.name.endswith("_LIMIT")
]
sdk_numbers = st.one_of(
    hostile_text,
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.sampled_from(["+5", " 7 ", "1_0", "0x10", "1.0", "1e3", "\t3\n", "-0", ""]),
)


def _sdk_reading(name: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """What the installed SDK makes of the variable (or the exception it raises)."""
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.trace import SpanLimits
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if name.endswith("_LIMIT"):
        return SpanLimits._from_env_if_absent(None, name, -12345)
    processor = BatchSpanProcessor if name.startswith("OTEL_BSP_") else BatchLogRecordProcessor
    reader: Callable[[], object] = {
        "SCHEDULE_DELAY": processor._default_schedule_delay_millis,
        "EXPORT_TIMEOUT": processor._default_export_timeout_millis,
        "MAX_QUEUE_SIZE": processor._default_max_queue_size,
        "MAX_EXPORT_BATCH_SIZE": processor._default_max_export_batch_size,
    }[name.split("_", 2)[2]]
    return reader()


@examples(150)
@given(row=st.sampled_from(_INT_ROWS), raw=sdk_numbers)
def test_bad_input_sdk_numbers_agree_with_the_sdk(
    row: _sdk_variables.Row, raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accepted values reach the SDK as we parsed them; refused ones the SDK fails on or ignores."""
    if "\x00" in raw:
        return  # not representable in a real environment
    monkeypatch.setenv(row.name, raw)
    logging.disable(logging.CRITICAL)  # the SDK logs a stack trace for what it ignores
    try:
        try:
            sdk: object = _sdk_reading(row.name, monkeypatch)
        except ValueError:
            sdk = ValueError
    finally:
        logging.disable(logging.NOTSET)
    blank = not raw.strip()
    try:
        ours = None if (blank and row.blank_ok) else row.parse(raw) if not blank else ValueError
    except ValueError:
        ours = ValueError
    if ours is ValueError:
        # Refused: the SDK raises, or silently uses something the user did not write.
        assert sdk is ValueError or not _same_number(raw, sdk) or _below_floor(row, sdk), (raw, sdk)
    elif ours is None:
        assert sdk is None  # an empty limit: unlimited, as the SDK reads it
    else:
        assert sdk == ours, (raw, sdk, ours)


def _same_number(raw: str, value: object) -> bool:
    try:
        return int(raw) == value
    except ValueError:
        return False


def _below_floor(row: _sdk_variables.Row, value: object) -> bool:
    return isinstance(value, int) and value <= 0


special_kinds = st.sampled_from(["fifo", "device", "directory", "socket", "huge", "empty"])
readers = st.sampled_from(["safe_read", "token file", "oauth2 secret", "platform json", "git"])


def _make_special(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))  # the node stays after close: nobody listens
    elif kind == "huge":
        with open(path, "wb") as handle:
            handle.truncate(3 * 1024 * 1024 * 1024)  # sparse
    else:
        path.write_bytes(b"")


@examples(40)
@given(kind=special_kinds, reader=readers)
def test_bad_input_special_files_never_hang_any_reader(kind: str, reader: str) -> None:
    """Every reader, every special file: an error (or fewer attributes) at once, never a hang."""
    import threading

    with tempfile.TemporaryDirectory(prefix="sp", dir="/tmp") as root_text:
        root = Path(root_text)
        outcome: dict[str, object] = {}

        def read() -> None:
            try:
                outcome["value"] = _read_with(reader, kind, root)
            except (TokenError, OSError) as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=read, daemon=True)
        worker.start()
        worker.join(20)
        fifo = root / "target"
        if worker.is_alive() and kind == "fifo":
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        assert not worker.is_alive(), f"{reader} hung on a {kind}"
        if reader == "safe_read" and kind == "empty":
            assert outcome == {"value": b""}  # the neighbour: an empty regular file is fine
        elif reader in ("safe_read", "token file", "oauth2 secret"):
            assert "error" in outcome, outcome
        elif kind != "empty":  # an empty regular file is a legitimate (if odd) input
            assert outcome.get("value") in ({}, None), outcome


def _read_with(reader: str, kind: str, root: Path) -> object:
    target = root / "target"
    if reader == "safe_read":
        _make_special(kind, target)
        return safe_read.read_bytes(target)
    if reader == "token file":
        _make_special(kind, target)
        return FileTokenSource(target).fetch()
    if reader == "oauth2 secret":
        _make_special(kind, target)
        return OAuth2ClientCredentialsSource(
            "https://127.0.0.1:9/token", "client", client_secret_file=target
        ).fetch()
    if reader == "platform json":
        relative = "workspaces/.codespaces/shared/environment-variables.json"
        (root / relative).parent.mkdir(parents=True)
        (root / relative).parent.joinpath("environment-variables.json").symlink_to(target)
        _make_special(kind, target)
        return Context(environ={}, root=root).read_json_object(relative, frozenset({"A"}))
    repo = root / "repo"
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "config").symlink_to(target)
    _make_special(kind, target)
    det = resources.GitResourceDetector(
        environ={"HOME": str(root), "WORKSPACE_OTEL_GIT_CACHE": "off"}, cwd=repo
    )
    det.timeout = 1.0
    return {k: v for k, v in det.detect().attributes.items() if k.startswith("vcs.")}

"""Property tests: arbitrary variables, context JSON and platform files never break detection."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workspace_otel.resources import PlatformResourceDetector, detect_with_sources
from workspace_otel.resources._url import clean_web_url, normalize_remote

SOURCES = Path(__file__).resolve().parents[2] / "src" / "workspace_otel" / "resources"

# Every variable name the detectors mention, read from their source.
VARIABLES = sorted(
    {
        name
        for path in SOURCES.glob("*.py")
        for name in re.findall(r'"([A-Z][A-Z0-9_]{2,})"', path.read_text())
        if not name.startswith("WORKSPACE_OTEL_")
    }
)

PROFILE = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

interesting = st.sampled_from(
    [
        "true",
        "TRUE",
        "null",
        "",
        " ",
        "019a6760-cbe9-7def-a10a-434ff94ffcaf",
        "https://{{port}}--main--demo--jimmy.apps.example.com/",
        "https://user:pw@github.com/o/r.git",
        "git@github.com:o/r.git",
        "x.cluster-1.cloudworkstations.dev",
        "o/r",
        "a" * 5000,
        "\x00\n\t",
        "ffac537e6cbbf934b08745a378932722df287a53",
        # the agents' marker values
        "1",
        "seatbelt",
        "crush",
        "goose",
        "claude-code/2.1.123/agent",
        "T-019c971d-d371-70ac-9805-5c739908e73b",
    ]
)
values = st.one_of(interesting, st.text(max_size=60))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "repository",
                    "ref",
                    "refType",
                    "revision",
                    "host",
                    "owner",
                    "name",
                    "cloneUrl",
                    "webUrl",
                    "envvars",
                    "normalizedContextURL",
                    "CODESPACE_NAME",
                    "CODESPACES",
                    "GITHUB_USER",
                    "GITHUB_REPOSITORY",
                    "GITHUB_SERVER_URL",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def _assert_plain(attrs: dict[str, Any], sources: dict[str, str] | None = None) -> None:
    for key, value in attrs.items():
        assert isinstance(key, str)
        assert type(value) in (str, bool, int, float)
    if sources is not None:
        assert set(sources) == set(attrs)


@PROFILE
@given(
    env=st.dictionaries(st.sampled_from(VARIABLES), values, max_size=25),
    identity=st.sampled_from(["login", "full", "hash", "off"]),
)
def test_arbitrary_variables_never_raise(
    env: dict[str, str], identity: str, tmp_path: Path
) -> None:
    """Any values in any detector variable: no exception, plain attribute values."""
    env = {**env, "WORKSPACE_OTEL_IDENTITY": identity, "HOME": str(tmp_path)}
    attrs, sources = detect_with_sources(env, root=tmp_path, cwd=tmp_path, raise_on_error=True)
    _assert_plain(attrs, sources)
    resource = PlatformResourceDetector(raise_on_error=True, environ=env, root=tmp_path).detect()
    _assert_plain(dict(resource.attributes))


@PROFILE
@given(context=json_values, raw=st.text(max_size=200))
def test_arbitrary_gitpod_context_never_raises(context: Any, raw: str) -> None:
    """Any JSON (or non-JSON) GITPOD_WORKSPACE_CONTEXT: no exception, plain values."""
    for value in (json.dumps(context), raw):
        env = {
            "GITPOD_WORKSPACE_ID": "a-b-c",
            "GITPOD_INSTANCE_ID": "1",
            "GITPOD_WORKSPACE_CONTEXT": value,
        }
        attrs = dict(PlatformResourceDetector(raise_on_error=True, environ=env).detect().attributes)
        _assert_plain(attrs)
        assert attrs["workspace.provider"] == "gitpod"


@PROFILE
@given(content=json_values, raw=st.binary(max_size=200))
def test_arbitrary_codespaces_file_never_raises(content: Any, raw: bytes, tmp_path: Path) -> None:
    """Any content in environment-variables.json: no exception, plain values."""
    path = tmp_path / "workspaces/.codespaces/shared/environment-variables.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    for data in (json.dumps(content).encode(), raw):
        path.write_bytes(data)
        env = {"CODESPACES": "true"}
        detector = PlatformResourceDetector(raise_on_error=True, environ=env, root=tmp_path)
        _assert_plain(dict(detector.detect().attributes))


@PROFILE
@given(url=st.one_of(st.text(max_size=120), interesting))
def test_url_helpers_are_total(url: str) -> None:
    """URL helpers return a clean URL or None for any input, never an exception."""
    for result in (normalize_remote(url), clean_web_url(url)):
        if result is not None:
            assert result.startswith(("https://", "http://"))
            assert "@" not in result.split("/", 3)[2]
            assert "?" not in result
            assert "#" not in result


def test_variable_list_is_not_empty() -> None:
    """The variable list really comes from the detectors' sources."""
    assert {"CODESPACE_NAME", "GITPOD_WORKSPACE_CONTEXT", "VSCODE_PROXY_URI"} <= set(VARIABLES)
    assert len(VARIABLES) > 60


def test_variable_list_covers_the_agent_markers() -> None:
    """Every variable the actor detection reads is fuzzed above."""
    from workspace_otel.resources._agent_markers import READ_VARIABLES

    assert set(READ_VARIABLES) <= set(VARIABLES)

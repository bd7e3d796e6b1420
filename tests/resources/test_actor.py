"""workspace.actor.*: an AI coding agent that started the process, from its own markers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.harness.agent_envs import AGENT_ENVIRONMENTS, CLAUDE_CODE, CODEX, NOT_AGENTS, AgentEnv
from tests.harness.platform_envs import ENVIRONMENTS, PlatformEnv, find_canaries
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import (
    PlatformResourceDetector,
    WorkspaceResourceDetector,
    detect_with_sources,
)
from workspace_otel.resources._actor import actor_attributes, explain
from workspace_otel.resources._agent_markers import AGENTS, ALL_VARIABLES, BY_NAME, READ_VARIABLES
from workspace_otel.resources._base import Context

_ACTOR_KEYS = {
    "workspace.actor.type",
    "workspace.actor.agent.name",
    "workspace.actor.agent.version",
    "workspace.actor.agent.session.id",
}


def _actor(environ: dict[str, str] | object) -> dict[str, object]:
    return dict(actor_attributes(Context(environ)))  # type: ignore[arg-type]


@pytest.mark.parametrize("env", AGENT_ENVIRONMENTS, ids=lambda e: e.name)
def test_agent_sessions_give_the_expected_actor(env: AgentEnv) -> None:
    """Each public dump of an agent session yields exactly the expected attributes."""
    assert _actor(dict(env.environ)) == dict(env.expected)


@pytest.mark.parametrize("env", AGENT_ENVIRONMENTS, ids=lambda e: e.name)
def test_agent_attributes_never_carry_the_sessions_secrets(env: AgentEnv) -> None:
    """The API keys an agent session inherits never reach an attribute."""
    assert find_canaries(repr(_actor(dict(env.environ)))) == []


@pytest.mark.parametrize("name", sorted(NOT_AGENTS))
def test_unrelated_environments_give_no_actor(name: str) -> None:
    """Plain shells, API keys in a profile and half markers are not an agent."""
    assert _actor(dict(NOT_AGENTS[name])) == {}


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_platform_and_ci_dumps_give_no_actor(env: PlatformEnv, tmp_path: Path) -> None:
    """No workspace or CI platform's own variables look like an agent."""
    attrs, _ = detect_with_sources(env.materialize(tmp_path), cwd=tmp_path, git=False)
    assert _ACTOR_KEYS.isdisjoint(attrs)


def test_workspace_detector_adds_the_actor_beside_the_platform(tmp_path: Path) -> None:
    """In a Codespace, Claude Code's markers add workspace.actor.* with source 'actor'."""
    from tests.harness.platform_envs import by_name

    environ = {**by_name("codespaces").materialize(tmp_path), **CLAUDE_CODE.environ}
    attrs, sources = detect_with_sources(environ, cwd=tmp_path, git=False)
    assert attrs["workspace.provider"] == "codespaces"
    assert {k: attrs[k] for k in _ACTOR_KEYS} == dict(CLAUDE_CODE.expected)
    assert {sources[k] for k in _ACTOR_KEYS} == {"actor"}
    resource = WorkspaceResourceDetector(environ=environ, cwd=tmp_path).detect()
    assert resource.attributes["workspace.actor.agent.name"] == "claude-code"


def test_copilot_cloud_agent_in_actions_is_both_ci_and_agent(tmp_path: Path) -> None:
    """The cloud agent's Actions job: cicd.* from the platform, workspace.actor.* beside it."""
    from tests.harness.agent_envs import COPILOT_CODING_AGENT
    from tests.harness.platform_envs import by_name

    actions = by_name("github_actions")
    environ = {**actions.materialize(tmp_path), **COPILOT_CODING_AGENT.environ}
    attrs, sources = detect_with_sources(environ, cwd=tmp_path, git=False)
    assert sources["cicd.pipeline.run.id"] == "github_actions"
    assert {k: attrs[k] for k in _ACTOR_KEYS if k in attrs} == dict(COPILOT_CODING_AGENT.expected)
    assert "deployment.environment.name" not in attrs


def test_platform_only_detector_carries_the_actor_too() -> None:
    """workspace_platform reads the environment only, so it carries the actor as well."""
    resource = PlatformResourceDetector(environ=dict(CODEX.environ)).detect()
    assert dict(resource.attributes) == dict(CODEX.expected)


def test_actor_off_removes_the_attributes() -> None:
    """WORKSPACE_OTEL_ACTOR=off: no workspace.actor.* at all."""
    environ = {**CLAUDE_CODE.environ, "WORKSPACE_OTEL_ACTOR": "off"}
    assert _actor(environ) == {}
    assert explain(Context(environ)).startswith("off")


def test_actor_with_a_bad_value_names_the_variable_and_the_fix() -> None:
    """Anything but on/off raises ConfigurationError naming WORKSPACE_OTEL_ACTOR."""
    with pytest.raises(ConfigurationError, match=r"WORKSPACE_OTEL_ACTOR.*on or off"):
        detect_with_sources({"WORKSPACE_OTEL_ACTOR": "maybe"}, git=False)


@pytest.mark.parametrize(
    ("value", "on"),
    [("false", False), ("0", False), ("no", False), ("true", True), ("1", True), ("", True)],
)
def test_actor_switch_takes_the_spellings_of_every_other_switch(value: str, on: bool) -> None:
    """WORKSPACE_OTEL_GIT=false works, so WORKSPACE_OTEL_ACTOR=false must not stop configure()."""
    environ = {**CLAUDE_CODE.environ, "WORKSPACE_OTEL_ACTOR": value}
    assert bool(_actor(environ)) is on


def test_ai_agent_beats_product_markers_of_another_agent() -> None:
    """The vendor-neutral declaration is read first: Claude Code inside Cursor is Claude Code."""
    environ = {"CURSOR_AGENT": "1", "GEMINI_CLI": "1", "AI_AGENT": "claude-code/2.1.140/agent"}
    assert _actor(environ)["workspace.actor.agent.name"] == "claude-code"


def test_agent_with_a_product_marker_beats_the_table_order() -> None:
    """AGENT=goose with GOOSE_TERMINAL wins over Claude Code's inherited product markers."""
    environ = {
        "CLAUDECODE": "1",
        "CLAUDE_CODE_ENTRYPOINT": "cli",
        "AGENT": "goose",
        "GOOSE_TERMINAL": "1",
    }
    assert _actor(environ)["workspace.actor.agent.name"] == "goose"


def test_product_markers_follow_the_documented_table_order() -> None:
    """Without a declaration, two agents' markers resolve by table order, every time."""
    environ = {"CURSOR_AGENT": "1", "CLINE_ACTIVE": "true", "QWEN_CODE": "1", "GEMINI_CLI": "1"}
    names = [spec.name for spec in AGENTS]
    assert names.index("gemini-cli") < names.index("qwen-code") < names.index("cursor")
    assert {_actor(environ)["workspace.actor.agent.name"] for _ in range(3)} == {"gemini-cli"}


@pytest.mark.parametrize(
    ("value", "name", "version"),
    [
        ("claude-code/2.1.122/agent", "claude-code", "2.1.122"),
        ("claude-code/2.1.123/harness", "claude-code", "2.1.123"),
        ("devin@1", "devin", "1"),
        ("custom-agent@2.0", "custom-agent", "2.0"),
        ("cursor-cli", "cursor", None),
        ("github-copilot", "copilot", None),
        ("github_copilot_vscode_agent", "copilot", None),
        ("gemini", "gemini-cli", None),
        ("auggie", "augment", None),
        ("ona", "ona", None),
        ("codex@not a version", "codex", None),
        ("qwen3-coder@0.1", "qwen3-coder", "0.1"),  # a digit in a short segment is a name
        ("kimi-k2", "kimi-k2", None),
        ("devin2", "devin2", None),
    ],
)
def test_ai_agent_values_are_normalised(value: str, name: str, version: str | None) -> None:
    """AI_AGENT's forms (name, name@version, Claude Code's triple) give a slug and a version."""
    attrs = _actor({"AI_AGENT": value})
    assert attrs["workspace.actor.agent.name"] == name
    assert attrs.get("workspace.actor.agent.version") == version


def test_ai_agent_without_a_name_is_an_unnamed_agent() -> None:
    """AI_AGENT=1 declares an agent; a product marker may still name it."""
    assert _actor({"AI_AGENT": "1"}) == {"workspace.actor.type": "agent"}
    assert _actor({"AI_AGENT": "true", "QWEN_CODE": "1"})["workspace.actor.agent.name"] == (
        "qwen-code"
    )


@pytest.mark.parametrize(
    "value",
    [
        "sk-ant-api03-AbCdEf0123456789AbCdEf0123",  # mixed case: a key, not a name
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "a" * 41,
        "abcdefghijklmnopqrstuvwxyz0123-agent",  # a segment longer than any name
        "agent name with spaces",
        "agent/../../etc",
        "agent\u202enoitacol",
    ],
)
def test_secret_or_garbage_in_ai_agent_is_not_exported(value: str) -> None:
    """A value that is not a short lower-case name never becomes an attribute."""
    attrs = _actor({"AI_AGENT": value})
    assert attrs == {}


@pytest.mark.parametrize(
    "value",
    [
        "3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b",  # a lower-case UUID: an API key in many services
        "a3f9b2c8e1d04f7a9b6c",  # lower-case hex
        "sk-proj-abcdefghij1234567890",
    ],
)
def test_lower_case_keys_in_ai_agent_are_not_names(value: str) -> None:
    """An unknown name's segments hold digits only when short (v0, gpt5): hex is never a name."""
    assert _actor({"AI_AGENT": value}) == {}
    assert _actor({"AI_AGENT": f"{value}@1.0"}) == {}


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        (
            {"GOOSE_TERMINAL": "1", "AGENT": "goose"},
            "AGENT_SESSION_ID",
        ),
        ({"CRUSH": "1", "AGENT": "crush"}, "CRUSH_SESSION_ID"),
    ],
)
@pytest.mark.parametrize(
    "secret",
    [
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
        "sk-ant-api03-AbCdEf0123456789AbCdEf0123456789AbCdEf0123456789",
    ],
)
def test_a_token_pasted_in_a_session_variable_is_not_exported(
    environ: dict[str, str], variable: str, secret: str
) -> None:
    """A session id variable holding a credential is left out; the agent is still reported."""
    attrs = _actor({**environ, variable: secret})
    assert attrs["workspace.actor.type"] == "agent"
    assert "workspace.actor.agent.session.id" not in attrs
    assert secret not in repr(attrs)


def test_a_token_pasted_in_a_version_is_not_exported() -> None:
    """A version whose build suffix is a key is left out (AI_AGENT and version variables)."""
    key = "AKIAIOSFODNN7EXAMPLEab12cd34"
    assert _actor({"AI_AGENT": f"crush@1.0.0-{key}"}) == {
        "workspace.actor.type": "agent",
        "workspace.actor.agent.name": "crush",
    }
    copilot = {
        "COPILOT_CLI": "1",
        "COPILOT_AGENT_SESSION_ID": "3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b",
        "COPILOT_CLI_BINARY_VERSION": f"1.0.63-{key}",
    }
    assert "workspace.actor.agent.version" not in _actor(copilot)


def test_a_registered_secret_is_never_a_session_id() -> None:
    """A value the library knows as a secret is left out even when it has the id format."""
    from workspace_otel._guards import redaction

    secret = "20251201_093000"
    redaction.register_secret(secret)
    try:
        attrs = _actor({"GOOSE_TERMINAL": "1", "AGENT": "goose", "AGENT_SESSION_ID": secret})
    finally:
        redaction.forget_all()
    assert attrs == {"workspace.actor.type": "agent", "workspace.actor.agent.name": "goose"}


def test_session_ids_of_the_wrong_shape_are_left_out() -> None:
    """A session variable that does not have the agent's id format is dropped."""
    environ = {**CLAUDE_CODE.environ, "CLAUDE_CODE_SESSION_ID": "not-a-uuid"}
    attrs = _actor(environ)
    assert attrs["workspace.actor.agent.name"] == "claude-code"
    assert "workspace.actor.agent.session.id" not in attrs


def test_explain_names_variables_never_values() -> None:
    """doctor's line names the deciding variables and never a value from the environment."""
    line = explain(Context(dict(CODEX.environ)))
    assert line == "codex (from CODEX_THREAD_ID=<uuid>)"
    assert "019f9006" not in line


def test_a_failing_detection_is_logged_once_and_left_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error leaves the actor out with one WARNING naming the error type."""
    from workspace_otel.resources import _actor

    def boom(ctx: Context) -> object:
        raise RuntimeError("value sk-ant-secret")

    monkeypatch.setattr(_actor, "_detect", boom)
    with caplog.at_level(logging.DEBUG, logger="workspace_otel"):
        attrs, _ = detect_with_sources(dict(CLAUDE_CODE.environ), git=False)
    assert _ACTOR_KEYS.isdisjoint(attrs)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "RuntimeError" in warnings[0].getMessage()
    assert "sk-ant" not in caplog.text
    with pytest.raises(RuntimeError):
        WorkspaceResourceDetector(True, environ=dict(CLAUDE_CODE.environ)).detect()


def test_every_agent_has_a_source_and_a_slug_that_is_its_own_alias() -> None:
    """The table is self-consistent: slugs resolve to themselves, every marker set is sourced."""
    for spec in AGENTS:
        assert BY_NAME[spec.name] is spec
        assert spec.grade in ("vendor", "observed")
        if spec.marker_sets:
            assert spec.sources


def test_the_actor_gate_is_every_variable_that_can_reveal_an_agent() -> None:
    """The gate spelled out beside the platform table is the agent table's own set."""
    from workspace_otel.resources._workspace import AGENT_VARIABLES

    assert AGENT_VARIABLES == ALL_VARIABLES


@pytest.mark.parametrize("variable", sorted(ALL_VARIABLES))
def test_any_one_gate_variable_lets_the_actor_detection_run(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each variable of the gate alone opens it (the detection then decides)."""
    from workspace_otel.resources import _actor, _workspace

    seen: list[str] = []

    def recording(ctx: Context) -> dict[str, object]:
        seen.append("ran")
        return {}

    monkeypatch.setattr(_actor, "actor_attributes", recording)
    _workspace.collect_actor(Context({variable: "1"}))
    _workspace.collect_actor(Context({"HOME": "/root"}))
    assert seen == ["ran"]


def test_conftest_strips_every_variable_actor_detection_reads() -> None:
    """The suite is hermetic even when it runs under an agent."""
    import os

    assert READ_VARIABLES.isdisjoint(os.environ)


_names = st.sampled_from([*sorted(READ_VARIABLES), "HOME", "ANTHROPIC_API_KEY"])
_values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["1", "true", "crush", "goose", "claude-code/2.1.1/agent", "seatbelt"]),
    st.uuids().map(str),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_names, _values, max_size=8))
def test_any_environment_gives_bounded_printable_attributes(environ: dict[str, str]) -> None:
    """Whatever the variables hold: no exception, only actor keys, short printable values."""
    attrs = _actor(environ)
    assert set(attrs) <= _ACTOR_KEYS
    if attrs:
        assert attrs["workspace.actor.type"] == "agent"
    for value in attrs.values():
        assert isinstance(value, str)
        assert value.isprintable()
        assert 0 < len(value) <= 130
    name = attrs.get("workspace.actor.agent.name")
    if isinstance(name, str):
        assert name == name.lower()
        assert len(name) <= 40


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1))
def test_api_keys_alone_never_make_an_agent(key: str) -> None:
    """Agent API keys in the environment, whatever their value, are not markers."""
    environ = {
        name: key
        for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "CURSOR_API_KEY")
    }
    assert _actor(environ) == {}

"""Environments of processes started by AI coding agents, as public dumps show them.

Each :class:`AgentEnv` is the part of a real ``env`` output that matters (the
agent's markers and what surrounds them), copied from the public source named
in ``source``; ids that a dump redacted are replaced by values of the same
shape. Secrets an agent's session can hold (the user's API keys, which an
agent inherits from the shell that started it) are planted as canaries:
finding one in an attribute is a leak, and their presence alone must never
make an agent.

Usage::

    from tests.harness.agent_envs import AGENT_ENVIRONMENTS, NOT_AGENTS
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tests.harness.platform_envs import canary

_SHELL = {
    "HOME": "/home/dev",
    "USER": "dev",
    "LANG": "C.UTF-8",
    "SHELL": "/bin/bash",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}
_USER_KEYS = {
    # What the user's profile exported before starting the agent.
    "ANTHROPIC_API_KEY": "sk-ant-api03-" + canary("AnthropicKey"),
    "OPENAI_API_KEY": "sk-proj-" + canary("OpenaiKey"),
    "GEMINI_API_KEY": canary("GeminiKey"),
}


@dataclass(frozen=True)
class AgentEnv:
    """One agent session's process environment.

    Attributes:
        name: short identifier.
        environ: the variables the process sees.
        expected: the ``workspace.actor.*`` attributes it must produce.
        source: where the dump (or the variables' values) comes from.
    """

    name: str
    environ: Mapping[str, str]
    expected: Mapping[str, str]
    source: str


def _agent(name: str, **extra: str) -> dict[str, str]:
    return {"workspace.actor.type": "agent", "workspace.actor.agent.name": name, **extra}


CLAUDE_CODE = AgentEnv(
    "claude_code",
    {
        **_SHELL,
        **_USER_KEYS,
        "AI_AGENT": "claude-code/2.1.123/agent",
        "CLAUDE_CODE_MAX_OUTPUT_TOKENS": "64000",
        "CLAUDECODE": "1",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        "CLAUDE_CODE_ENTRYPOINT": "cli",
        "CLAUDE_CODE_EXECPATH": "/home/dev/.local/share/claude/versions/2.1.123",
        "CLAUDE_CODE_SESSION_ID": "5b0c2a57-3f6e-4d41-9d2f-0c8a7f1e6b93",
    },
    _agent(
        "claude-code",
        **{
            "workspace.actor.agent.version": "2.1.123",
            "workspace.actor.agent.session.id": "5b0c2a57-3f6e-4d41-9d2f-0c8a7f1e6b93",
        },
    ),
    "env of a Claude Code 2.1.123 Bash tool (public notes collected with `env`); "
    "CLAUDE_CODE_SESSION_ID per anthropics/claude-code CHANGELOG 2.1.132",
)

CLAUDE_CODE_BEFORE_AI_AGENT = AgentEnv(
    "claude_code_2_0",
    {**_SHELL, "CLAUDECODE": "1", "CLAUDE_CODE_ENTRYPOINT": "cli"},
    _agent("claude-code"),
    "anthropics/claude-code#24838: CLAUDECODE=1 and CLAUDE_CODE_ENTRYPOINT=cli (before 2.1.120)",
)

CODEX = AgentEnv(
    "codex",
    {
        **_SHELL,
        **_USER_KEYS,
        "CODEX_CI": "1",
        "CODEX_MANAGED_BY_NPM": "1",
        "CODEX_SANDBOX": "seatbelt",
        "CODEX_SANDBOX_NETWORK_DISABLED": "1",
        "CODEX_THREAD_ID": "019f9006-aa79-74a2-9b21-25d760dfd452",
    },
    _agent("codex", **{"workspace.actor.agent.session.id": "019f9006-aa79-74a2-9b21-25d760dfd452"}),
    "`codex exec` running `env | grep -iE 'codex|session'` (public probe notes, 2026-07); "
    "openai/codex#10096 (CODEX_THREAD_ID), #879 (CODEX_SANDBOX_NETWORK_DISABLED)",
)

GEMINI_CLI = AgentEnv(
    "gemini_cli",
    # run_shell_command sanitises the environment (the API key is dropped) and
    # adds GEMINI_CLI=1, TERM, PAGER and GIT_PAGER.
    {**_SHELL, "GEMINI_CLI": "1", "TERM": "xterm-256color", "PAGER": "cat", "GIT_PAGER": "cat"},
    _agent("gemini-cli"),
    "google-gemini/gemini-cli packages/core/src/services/shellExecutionService.ts (baseEnv)",
)

COPILOT_CLI = AgentEnv(
    "copilot_cli",
    {
        **_SHELL,
        "COPILOT_CLI": "1",
        "COPILOT_AGENT_SESSION_ID": "d3c6f0a4-2b7e-4c1a-8f5d-6e9b0a1c2d3e",
        "COPILOT_CLI_BINARY_VERSION": "1.0.63",
        "COPILOT_GITHUB_TOKEN": "github_pat_" + canary("CopilotToken"),
    },
    _agent(
        "copilot",
        **{
            "workspace.actor.agent.version": "1.0.63",
            "workspace.actor.agent.session.id": "d3c6f0a4-2b7e-4c1a-8f5d-6e9b0a1c2d3e",
        },
    ),
    "dynatrace-oss/dtctl#288 (env inside a Copilot CLI 1.0.63 tool invocation)",
)

COPILOT_VSCODE = AgentEnv(
    "copilot_vscode",
    {
        **_SHELL,
        "TERM_PROGRAM": "vscode",
        "COPILOT_AGENT": "1",
        "AI_AGENT": "github_copilot_vscode_agent",
    },
    _agent("copilot"),
    "microsoft/vscode#316267 and #320129 (agent terminals)",
)

COPILOT_CODING_AGENT = AgentEnv(
    "copilot_coding_agent",
    # GitHub's cloud agent runs in an Actions job: CI variables come on top (see the test).
    {
        **_SHELL,
        "CI": "true",
        "COPILOT_AGENT_SESSION_ID": "5aacf7d0-b61e-47b6-b894-134d2c251297",
        "COPILOT_AGENT_JOB_ID": "8f3c2d1e",
        "COPILOT_AGENT_ACTION": "task",
        "COPILOT_AGENT_COMMIT_LOGIN": "copilot-swe-agent[bot]",
        "COPILOT_CLI": "1",
    },
    _agent(
        "copilot",
        **{"workspace.actor.agent.session.id": "5aacf7d0-b61e-47b6-b894-134d2c251297"},
    ),
    "watson/is-ci#28 (environment of the GitHub Copilot cloud agent)",
)

CRUSH = AgentEnv(
    "crush",
    {**_SHELL, **_USER_KEYS, "CRUSH": "1", "AGENT": "crush", "AI_AGENT": "crush"},
    _agent("crush"),
    "charmbracelet/crush internal/shell/shell.go CrushEnvMarkers",
)

GOOSE = AgentEnv(
    "goose",
    {
        **_SHELL,
        **_USER_KEYS,
        "GOOSE_TERMINAL": "1",
        "AGENT": "goose",
        "AGENT_SESSION_ID": "20260115_7",
    },
    _agent("goose", **{"workspace.actor.agent.session.id": "20260115_7"}),
    "aaif-goose/goose#3911, #7017 and the environment-variables guide (AGENT_SESSION_ID)",
)

OPENCODE = AgentEnv(
    "opencode",
    {**_SHELL, **_USER_KEYS, "OPENCODE": "1", "AGENT": "1", "OPENCODE_PID": "48213"},
    _agent("opencode"),
    "anomalyco/opencode#50006: a Bash subprocess sees OPENCODE=1, AGENT=1 and OPENCODE_PID",
)

AMP = AgentEnv(
    "amp",
    {
        **_SHELL,
        "AGENT": "amp",
        "AMP_CURRENT_THREAD_ID": "T-019c971d-d371-70ac-9805-5c739908e73b",
        "AGENT_THREAD_ID": "T-019c971d-d371-70ac-9805-5c739908e73b",
    },
    _agent("amp", **{"workspace.actor.agent.session.id": "T-019c971d-d371-70ac-9805-5c739908e73b"}),
    "public Amp notes: a shell-tool child carries AMP_CURRENT_THREAD_ID, AGENT_THREAD_ID and "
    "AGENT=amp; thread id from a published Amp thread file",
)

QWEN_CODE = AgentEnv(
    "qwen_code",
    {**_SHELL, "QWEN_CODE": "1"},
    _agent("qwen-code"),
    "QwenLM/qwen-code docs: commands run via ! get QWEN_CODE=1",
)

CLINE = AgentEnv(
    "cline",
    {**_SHELL, "TERM_PROGRAM": "vscode", "CLINE_ACTIVE": "true"},
    _agent("cline"),
    "cline/cline apps/vscode/src/hosts/vscode/terminal/VscodeTerminalRegistry.ts",
)

CURSOR = AgentEnv(
    "cursor",
    {**_SHELL, "CURSOR_AGENT": "1", "CURSOR_TRACE_ID": "a1b2c3d4e5f64789", "HOSTNAME": "cursor"},
    _agent("cursor"),
    "git-ai-project/git-ai#1289 (Cursor cloud agents: HOSTNAME=cursor, CURSOR_AGENT=1)",
)

AUGMENT = AgentEnv(
    "augment",
    {**_SHELL, "AUGMENT_AGENT": "1"},
    _agent("augment"),
    "vercel/vercel packages/detect-agent (AUGMENT_AGENT); Augment CLI environment reference",
)

# Claude Code started from a Cursor agent shell: the inner agent's AI_AGENT wins.
NESTED_CLAUDE_IN_CURSOR = AgentEnv(
    "nested_claude_in_cursor",
    {**CURSOR.environ, **CLAUDE_CODE.environ},
    CLAUDE_CODE.expected,
    "composition of the two dumps above",
)

# Gemini CLI started from an opencode shell: neither sets AI_AGENT; the table
# order (command-line agents, in the documented order) decides.
NESTED_GEMINI_IN_OPENCODE = AgentEnv(
    "nested_gemini_in_opencode",
    {**OPENCODE.environ, **GEMINI_CLI.environ},
    GEMINI_CLI.expected,
    "composition of the two dumps above",
)

AGENT_ENVIRONMENTS: tuple[AgentEnv, ...] = (
    CLAUDE_CODE,
    CLAUDE_CODE_BEFORE_AI_AGENT,
    CODEX,
    GEMINI_CLI,
    COPILOT_CLI,
    COPILOT_VSCODE,
    COPILOT_CODING_AGENT,
    CRUSH,
    GOOSE,
    OPENCODE,
    AMP,
    QWEN_CODE,
    CLINE,
    CURSOR,
    AUGMENT,
    NESTED_CLAUDE_IN_CURSOR,
    NESTED_GEMINI_IN_OPENCODE,
)
"""Every agent session environment."""

NOT_AGENTS: Mapping[str, Mapping[str, str]] = {
    "plain_shell": dict(_SHELL),
    "profile_with_api_keys": {
        **_SHELL,
        **_USER_KEYS,
        "CURSOR_API_KEY": canary("CursorKey"),
        "COPILOT_GITHUB_TOKEN": "github_pat_" + canary("CopilotPat"),
        "AMP_API_KEY": canary("AmpKey"),
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "GOOSE_PROVIDER": "anthropic",
        "CODEX_HOME": "/home/dev/.codex",
    },
    "cursor_human_terminal": {**_SHELL, "TERM_PROGRAM": "vscode", "CURSOR_TRACE_ID": "0f1e2d3c"},
    "vscode_terminal": {**_SHELL, "TERM_PROGRAM": "vscode", "VSCODE_PID": "4242"},
    # Generic words in the conventions' variables, or one half of a two-marker pair.
    "agent_as_a_setting": {**_SHELL, "AGENT": "cursor"},
    "bun_agent_flag": {**_SHELL, "AGENT": "1"},
    "ai_agent_false": {**_SHELL, "AI_AGENT": "0"},
    "claudecode_alone": {**_SHELL, "CLAUDECODE": "1"},
    "copilot_cli_flag_alone": {**_SHELL, "COPILOT_CLI": "1"},
    "goose_provider_setting": {**_SHELL, "GOOSE_TERMINAL": "0", "AGENT": "goose"},
    "secret_in_ai_agent": {**_SHELL, "AI_AGENT": "sk-ant-api03-" + canary("AiAgentKey")},
    "thread_id_not_a_uuid": {**_SHELL, "CODEX_THREAD_ID": "my-thread"},
}
"""Environments that must produce no actor at all."""

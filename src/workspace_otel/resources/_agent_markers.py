"""The AI coding agents' own markers: what each agent sets in the processes it starts.

Every marker below is something the agent sets itself in the environment of the
shell commands (and, for some, hooks and MCP servers) it runs. Each carries
its source. Two grades:

- ``vendor``: seen in the agent's own source, documentation or changelog;
- ``observed``: no vendor statement found, but shown in public environment
  dumps and relied on by several independent detectors.

Rules (the same as for platforms): where an agent sets two markers, both are
required (one *marker set*); a single marker is enough only where that is all
the agent sets, and then only with its exact value (``1``, ``true``) or a value
of an exact format (a UUID thread id). Variables that merely configure an agent
(``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ``GEMINI_API_KEY``,
``CURSOR_API_KEY``, ``COPILOT_GITHUB_TOKEN``, ``CLAUDE_CODE_*`` settings...) are
never markers: a shell profile that holds them is not an agent, and they are
never read at all.

Not included, because no marker could be confirmed: Ona's agent (no variable
of its own found in Ona's documentation or public dumps; it is reported when it
sets ``AI_AGENT``), ``CURSOR_TRACE_ID`` (set in every Cursor terminal, the
human's too), ``OPENCODE_CLIENT`` (value undocumented), ``VSCODE_AGENT``
(generic VS Code agent terminals, names no agent), ``AGENT`` for Gemini CLI
(its ``shellExecutionService.ts`` at commit ``5411f113`` sets only
``GEMINI_CLI=1``), ``CODEX_CI`` alone (also set by Codex's web runtime for its
own setup scripts), Copilot's ``COPILOT_MODEL`` / ``COPILOT_ALLOW_ALL`` (user
settings) and ``COPILOT_GITHUB_TOKEN`` (a credential, never read).

Sources (snapshots read 2026-12):

- [vercel] vercel/vercel ``packages/detect-agent/src/index.ts`` (commit
  ``17d9ebaf``): the ``AI_AGENT`` convention, ``name@version`` naming.
- [cc-changelog] anthropics/claude-code ``CHANGELOG.md`` (commit ``5cfc0a19``):
  2.1.120 "Set ``AI_AGENT`` environment variable for subprocesses"; 2.1.132
  "Added ``CLAUDE_CODE_SESSION_ID`` ... to the Bash tool subprocess
  environment"; 2.1.154 "Stdio MCP server subprocesses now receive
  ``CLAUDE_CODE_SESSION_ID`` and ``CLAUDECODE=1``".
- [cc-53071] https://github.com/anthropics/claude-code/issues/53071 (the
  undocumented ``AI_AGENT`` value ``claude-code/<version>/<kind>``); public
  ``env`` dumps of sessions show ``AI_AGENT=claude-code/2.1.123/agent``,
  ``CLAUDECODE=1``, ``CLAUDE_CODE_ENTRYPOINT=cli`` together.
- [codex-agents] openai/codex ``AGENTS.md``: "``CODEX_SANDBOX_NETWORK_DISABLED=1``
  will be set whenever you use the ``shell`` tool", "``CODEX_SANDBOX=seatbelt``
  is set for processes spawned under Seatbelt"; ``codex-rs`` ``exec_env.rs``
  / ``protocol/src/shell_environment.rs``: ``CODEX_THREAD_ID`` injected
  whenever a thread id is known (https://github.com/openai/codex/pull/10096;
  ``CODEX_SANDBOX_NETWORK_DISABLED``: https://github.com/openai/codex/pull/879).
- [gemini] google-gemini/gemini-cli (commit ``5411f113``)
  ``packages/core/src/services/shellExecutionService.ts`` (``GEMINI_CLI`` =
  ``'1'``) and ``docs/tools/shell.md`` "Environment variables".
- [copilot-changelog] github/copilot-cli ``changelog.md`` (commit ``9532bdac``):
  0.0.421 "detect Copilot CLI subprocesses via the ``COPILOT_CLI=1``
  environment variable"; 1.0.29 "Shell commands and MCP servers now receive
  ``COPILOT_AGENT_SESSION_ID``". ``COPILOT_CLI_BINARY_VERSION`` (observed):
  https://github.com/dynatrace-oss/dtctl/issues/288 (env of Copilot CLI 1.0.63).
- [vscode] https://github.com/microsoft/vscode/pull/316267 (``COPILOT_AGENT=1``
  in agent terminals) and https://github.com/microsoft/vscode/pull/320129
  (``AI_AGENT=github_copilot_vscode_agent`` beside it).
- [cursor] observed: ``CURSOR_AGENT=1`` in Cursor agent shells (vercel
  detect-agent; the table in microsoft/vscode#316267;
  https://github.com/git-ai-project/git-ai/pull/1289 "Cursor Sandboxes also set
  ``CURSOR_AGENT=1``"). No Cursor documentation names it.
- [crush] charmbracelet/crush (commit ``37f36e93``) ``internal/shell/shell.go``
  ``CrushEnvMarkers``: ``CRUSH=1``, ``AGENT=crush``, ``AI_AGENT=crush``;
  ``docs/hooks/README.md``.
- [goose] https://github.com/aaif-goose/goose/pull/3911 (``GOOSE_TERMINAL=1``),
  https://github.com/aaif-goose/goose/pull/7017 (``AGENT=goose`` beside it),
  documented in ``documentation/docs/guides/environment-variables.md``
  ("Variables Controlled by goose", pull requests 4205 and 7365, which also
  show ``AGENT_SESSION_ID``).
- [opencode] https://github.com/anomalyco/opencode/issues/32689 (``OPENCODE=1``
  and ``AGENT=1`` set in ``packages/opencode/src/index.ts``) and
  https://github.com/anomalyco/opencode/pull/50006 ("a Bash subprocess can only
  see ``OPENCODE=1``, ``AGENT=1``, and ``OPENCODE_PID``").
- [qwen] QwenLM/qwen-code ``docs/users/features/commands.md``: "Commands
  executed via ``!`` will set the ``QWEN_CODE=1`` environment variable" (that
  the model's own shell tool sets it too, as its Gemini CLI ancestor does for
  ``GEMINI_CLI``, is unconfirmed).
- [cline] cline/cline (commit ``21cb8d25``)
  ``apps/vscode/src/hosts/vscode/terminal/VscodeTerminalRegistry.ts`` and
  ``.../workspace/executeCommandInTerminal.ts``: ``CLINE_ACTIVE: "true"``.
- [augment] observed: ``AUGMENT_AGENT=1`` in Auggie's shell commands (vercel
  detect-agent; Augment CLI environment reference as cited by third-party
  research notes).
- [amp] observed: ``AGENT=amp`` (stated in aaif-goose/goose#7017 and
  anthropics/claude-code#24838), ``AMP_CURRENT_THREAD_ID`` holding the thread id
  ``T-<uuid>`` (used in public Amp prompts as
  ``https://ampcode.com/threads/$AMP_CURRENT_THREAD_ID``).
"""

from __future__ import annotations

from typing import Final

UUID: Final = "uuid"
"""Format name: a UUID (any version, any case)."""
AMP_THREAD: Final = "amp-thread"
"""Format name: an Amp thread id, ``T-`` followed by a UUID."""
CLAUDE_AI_AGENT: Final = "claude-ai-agent"
"""Format name: Claude Code's ``AI_AGENT`` value ``claude-code/<version>/<kind>``."""
SLUG: Final = "slug"
"""Format name: a short lower-case word (an entrypoint name such as ``cli``)."""
ID: Final = "id"
"""Format name: a bounded identifier (letters, digits, ``_ . : -``)."""
DIGITS: Final = "digits"
"""Format name: a process id."""


class Marker:
    """One variable an agent sets, with the value (or the value's format) it has.

    Attributes:
        variable: the environment variable.
        equals: the exact value, compared case-insensitively (``None``: see ``format``).
        format: the name of the value's format (one of this module's format names).
    """

    __slots__ = ("equals", "format", "variable")

    def __init__(self, variable: str, *, equals: str | None = None, format: str = "") -> None:
        self.variable = variable
        self.equals = equals
        self.format = format

    def __repr__(self) -> str:
        expected = self.equals if self.equals is not None else f"<{self.format}>"
        return f"{self.variable}={expected}"


class AgentSpec:
    """What one agent sets, and where its version and session id are found.

    Attributes:
        name: the normalised slug exported as ``workspace.actor.agent.name``.
        aliases: other names the agent goes by in ``AI_AGENT`` / ``AGENT``.
        marker_sets: the alternative sets; the agent is detected when every
            marker of one set is present.
        session: (variable, format) pairs holding its session / thread id, first wins.
        version: variables holding its version, first wins.
        grade: ``vendor`` or ``observed`` (see the module docstring).
        sources: the source keys of the module docstring.
    """

    __slots__ = ("aliases", "grade", "marker_sets", "name", "session", "sources", "version")

    def __init__(
        self,
        name: str,
        *,
        aliases: tuple[str, ...] = (),
        marker_sets: tuple[tuple[Marker, ...], ...],
        session: tuple[tuple[str, str], ...] = (),
        version: tuple[str, ...] = (),
        grade: str = "vendor",
        sources: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.aliases = aliases
        self.marker_sets = marker_sets
        self.session = session
        self.version = version
        self.grade = grade
        self.sources = sources

    def __repr__(self) -> str:
        return f"AgentSpec({self.name!r})"


def _m(variable: str, value: str | None = None, format: str = "") -> Marker:
    return Marker(variable, equals=value, format=format)


AGENTS: Final[tuple[AgentSpec, ...]] = (
    # Command-line agents first: they are often started from an editor's agent
    # terminal and inherit its markers, rarely the other way round.
    AgentSpec(
        "claude-code",
        aliases=("claude", "claudecode"),
        marker_sets=(
            (_m("AI_AGENT", format=CLAUDE_AI_AGENT),),
            (_m("CLAUDECODE", "1"), _m("CLAUDE_CODE_ENTRYPOINT", format=SLUG)),
            (_m("CLAUDECODE", "1"), _m("CLAUDE_CODE_SESSION_ID", format=UUID)),
        ),
        session=(("CLAUDE_CODE_SESSION_ID", UUID),),
        sources=("cc-changelog", "cc-53071"),
    ),
    AgentSpec(
        "codex",
        aliases=("codex-cli", "openai-codex"),
        marker_sets=(
            (_m("CODEX_THREAD_ID", format=UUID),),
            (_m("CODEX_SANDBOX", "seatbelt"), _m("CODEX_SANDBOX_NETWORK_DISABLED", "1")),
        ),
        session=(("CODEX_THREAD_ID", UUID),),
        sources=("codex-agents",),
    ),
    AgentSpec(
        "gemini-cli",
        aliases=("gemini",),
        marker_sets=((_m("GEMINI_CLI", "1"),),),
        sources=("gemini",),
    ),
    AgentSpec(
        "qwen-code",
        aliases=("qwen",),
        marker_sets=((_m("QWEN_CODE", "1"),),),
        sources=("qwen",),
    ),
    AgentSpec(
        "opencode",
        marker_sets=(
            (_m("OPENCODE", "1"), _m("AGENT", "1")),
            (_m("OPENCODE", "1"), _m("OPENCODE_PID", format=DIGITS)),
        ),
        sources=("opencode",),
    ),
    AgentSpec(
        "crush",
        marker_sets=((_m("CRUSH", "1"), _m("AGENT", "crush")),),
        session=(("CRUSH_SESSION_ID", ID),),
        sources=("crush",),
    ),
    AgentSpec(
        "goose",
        marker_sets=(
            (_m("GOOSE_TERMINAL", "1"), _m("AGENT", "goose")),
            (_m("GOOSE_TERMINAL", "1"), _m("AGENT_SESSION_ID", format=ID)),
        ),
        session=(("AGENT_SESSION_ID", ID),),
        sources=("goose",),
    ),
    AgentSpec(
        "amp",
        marker_sets=((_m("AMP_CURRENT_THREAD_ID", format=AMP_THREAD),),),
        session=(("AMP_CURRENT_THREAD_ID", AMP_THREAD),),
        grade="observed",
        sources=("amp",),
    ),
    AgentSpec(
        "augment",
        aliases=("augment-cli", "auggie"),
        marker_sets=((_m("AUGMENT_AGENT", "1"),),),
        grade="observed",
        sources=("augment",),
    ),
    AgentSpec(
        "copilot",
        aliases=(
            "github-copilot",
            "github-copilot-cli",
            "copilot-cli",
            "github-copilot-vscode-agent",
        ),
        marker_sets=(
            (_m("COPILOT_CLI", "1"), _m("COPILOT_AGENT_SESSION_ID", format=UUID)),
            (_m("COPILOT_AGENT", "1"), _m("AI_AGENT", "github_copilot_vscode_agent")),
        ),
        session=(("COPILOT_AGENT_SESSION_ID", UUID),),
        version=("COPILOT_CLI_BINARY_VERSION",),
        sources=("copilot-changelog", "vscode"),
    ),
    # Agents that live inside an editor.
    AgentSpec(
        "cursor",
        aliases=("cursor-cli", "cursor-agent"),
        marker_sets=((_m("CURSOR_AGENT", "1"),),),
        grade="observed",
        sources=("cursor",),
    ),
    AgentSpec(
        "cline",
        marker_sets=((_m("CLINE_ACTIVE", "true"),),),
        sources=("cline",),
    ),
    AgentSpec("ona", marker_sets=(), grade="observed"),
)
"""Every known agent, in the order product markers are tried."""

BY_NAME: Final = {alias: spec for spec in AGENTS for alias in (spec.name, *spec.aliases)}
"""Agent spec by slug or alias."""

CONVENTION_VARIABLES: Final = ("AI_AGENT", "AGENT")
"""The vendor-neutral variables, read before any product marker."""

ALL_VARIABLES: Final = frozenset(
    {
        *CONVENTION_VARIABLES,
        *(m.variable for spec in AGENTS for markers in spec.marker_sets for m in markers),
    }
)
"""Every variable whose presence can reveal an agent (a cheap first check)."""

READ_VARIABLES: Final = frozenset(
    {
        *ALL_VARIABLES,
        *(variable for spec in AGENTS for variable, _ in spec.session),
        *(variable for spec in AGENTS for variable in spec.version),
    }
)
"""Every variable the actor detection ever reads (tests strip these)."""

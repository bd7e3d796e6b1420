"""Who acts: an AI coding agent that started this process, from the agent's own markers.

``workspace.actor.type`` is ``agent`` when one is found, with
``workspace.actor.agent.name`` (a normalised slug such as ``claude-code``),
``.version`` and ``.session.id`` when the agent exposes them. Nothing is
exported otherwise: absence is not proof of a human.

Order, first match wins (documented in the README):

1. ``AI_AGENT``, the vendor-neutral declaration (proposed by Vercel's
   detect-agent, set by Claude Code, Crush and VS Code's agent terminals):
   ``name``, ``name@version`` or Claude Code's ``claude-code/<version>/<kind>``.
   A declaration stands on its own: that is the convention's purpose.
2. ``AGENT`` naming a known agent, together with one of that agent's product
   markers (``AGENT`` alone is too generic: Bun reads ``AGENT=1``, tools use
   it as a setting).
3. The product marker sets of :data:`~._agent_markers.AGENTS`, in table order
   (command-line agents before editor-hosted ones).

An agent nested in another inherits the outer one's markers; the convention
variables are tried first because an agent that sets them overwrites the
inherited value. These attributes are self-reported and advisory: any process
can set the variables. The accountable identity is the subject the collector
gateway verifies from the token, never ``workspace.actor.*``.

``WORKSPACE_OTEL_ACTOR`` = ``on`` (default) or ``off``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from workspace_otel._guards import redaction
from workspace_otel._settings import _env
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import _agent_markers as m
from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context

_logger = logging.getLogger("workspace_otel.resources")

ACTOR_MODES = ("on", "off")
_MAX_NAME = 40
_MAX_SEGMENT = 24
# Longest segment of an unknown name that may hold a digit (v0, qwen3, devin2):
# longer ones are hex or a key's body, never a product name.
_MAX_DIGIT_SEGMENT = 6
_GENERIC = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

_patterns: dict[str, re.Pattern[str]] = {}
_SOURCES = {
    m.UUID: r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    m.AMP_THREAD: r"T-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    m.CLAUDE_AI_AGENT: r"claude-code/v?[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}/[a-z][a-z0-9_-]{0,23}",
    m.SLUG: r"[a-z][a-z0-9_-]{0,31}",
    m.ID: r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}",
    m.DIGITS: r"[0-9]{1,10}",
    "name": r"[a-z0-9]+(?:[-.][a-z0-9]+)*",
    "version": r"v?[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}(?:[-+][0-9A-Za-z][0-9A-Za-z.-]{0,31})?",
}


def _pattern(name: str) -> re.Pattern[str]:
    """Compile a format on first use (most starts never see an agent)."""
    found = _patterns.get(name)
    if found is None:
        found = _patterns[name] = re.compile(_SOURCES[name])
    return found


def _fits(value: str, format: str) -> bool:
    return bool(value) and _pattern(format).fullmatch(value) is not None


def _exportable(value: str, format: str) -> bool:
    """Return whether a value read for export has its format and is no credential."""
    return _fits(value, format) and not redaction.looks_like_credential(value)


def _present(ctx: Context, marker: m.Marker) -> bool:
    value = ctx.get(marker.variable)
    if marker.equals is not None:
        return value.lower() == marker.equals.lower()
    return _fits(value, marker.format)


def _normalise(name: str) -> str:
    """Return a convention value's agent name as a slug, ``""`` when it is not a name.

    Known aliases map to their agent's slug. An unknown name is kept only when
    it looks like a name (lower case, short segments): never a secret that
    was put in the variable by mistake.
    """
    if not name.islower() and not name.isdigit():
        return ""
    slug = name.replace("_", "-")
    known = m.BY_NAME.get(slug)
    if known is not None:
        return known.name
    if len(slug) > _MAX_NAME or not _fits(slug, "name"):
        return ""
    for part in re.split(r"[-.]", slug):
        if len(part) > _MAX_SEGMENT:
            return ""
        if len(part) > _MAX_DIGIT_SEGMENT and any(c.isdigit() for c in part):
            return ""
    return slug


def _parse_declaration(raw: str) -> tuple[str, str] | None:
    """Parse an ``AI_AGENT`` value into (slug or ``""`` for "some agent", version).

    ``None`` when the value declares nothing (empty, ``0``/``false``) or is
    not a name.
    """
    lowered = raw.lower()
    if not raw or lowered in _FALSE:
        return None
    if lowered in _GENERIC:
        return "", ""
    if len(raw) > 2 * _MAX_NAME:
        return None
    if "/" in raw:
        # ``name/version[/kind]`` (Claude Code): all parts well formed, or nothing.
        name, version, *kind = raw.split("/")
        well_formed = _fits(version, "version") and all(_fits(k, m.SLUG) for k in kind)
        if len(kind) > 1 or not well_formed:
            return None
    else:
        name, _, version = raw.partition("@")
    slug = _normalise(name)
    if not slug:
        return None
    return slug, version if _exportable(version, "version") else ""


def _matched_set(ctx: Context, spec: m.AgentSpec) -> tuple[m.Marker, ...] | None:
    for markers in spec.marker_sets:
        if all(_present(ctx, marker) for marker in markers):
            return markers
    return None


def _has_product_marker(ctx: Context, spec: m.AgentSpec) -> bool:
    return any(
        marker.variable not in m.CONVENTION_VARIABLES and _present(ctx, marker)
        for markers in spec.marker_sets
        for marker in markers
    )


def _detect(ctx: Context) -> tuple[str, str, str] | None:
    """Return (slug, version, evidence) of the agent that started the process, or ``None``.

    ``slug`` is ``""`` when an agent is declared without a name. ``evidence``
    names the variables that decided, for ``doctor``.
    """
    declared = _parse_declaration(ctx.get("AI_AGENT"))
    if declared is not None and declared[0]:
        return declared[0], declared[1], "AI_AGENT"
    agent = _normalise(ctx.get("AGENT").lower())
    spec = m.BY_NAME.get(agent)
    if spec is not None and _has_product_marker(ctx, spec):
        return spec.name, "", "AGENT with a product marker"
    for spec in m.AGENTS:
        markers = _matched_set(ctx, spec)
        if markers is not None:
            return spec.name, "", ", ".join(repr(marker) for marker in markers)
    if declared is not None:
        return "", "", "AI_AGENT"
    return None


def _session(ctx: Context, spec: m.AgentSpec) -> Iterator[str]:
    for variable, format in spec.session:
        value = ctx.get(variable)
        if _exportable(value, format):
            yield value


def _version(ctx: Context, spec: m.AgentSpec) -> Iterator[str]:
    for variable in spec.version:
        value = ctx.get(variable)
        if _exportable(value, "version"):
            yield value


def enabled(ctx: Context) -> bool:
    """``WORKSPACE_OTEL_ACTOR``: ``on`` (default) or ``off``.

    Read like every other on/off switch (``true``/``false``, ``1``/``0``,
    ``yes``/``no`` too); unset or empty means on.

    Raises:
        ConfigurationError: the variable holds another value.
    """
    if not _env.get("WORKSPACE_OTEL_ACTOR", ctx.environ):
        return True
    return _env.get_bool("WORKSPACE_OTEL_ACTOR", ctx.environ)


def actor_attributes(ctx: Context) -> dict[str, a.AttrValue]:
    """Return the ``workspace.actor.*`` attributes, ``{}`` when no agent started the process.

    Raises:
        ConfigurationError: ``WORKSPACE_OTEL_ACTOR`` holds neither ``on`` nor ``off``.
    """
    if not enabled(ctx):
        return {}
    # One pass over the environment's keys: a lookup per marker on os.environ
    # costs an exception per absent name, four times slower on every start.
    if m.ALL_VARIABLES.isdisjoint(ctx.environ):
        return {}
    found = _detect(ctx)
    if found is None:
        return {}
    slug, version, _ = found
    attrs: dict[str, a.AttrValue] = {a.WORKSPACE_ACTOR_TYPE: a.ACTOR_AGENT}
    spec = m.BY_NAME.get(slug)
    if slug:
        attrs[a.WORKSPACE_ACTOR_AGENT_NAME] = slug
    if spec is not None:
        version = version or next(_version(ctx, spec), "")
        session = next(_session(ctx, spec), "")
        if session:
            attrs[a.WORKSPACE_ACTOR_AGENT_SESSION_ID] = session
    if version:
        attrs[a.WORKSPACE_ACTOR_AGENT_VERSION] = version
    return attrs


def collect_actor(ctx: Context, raise_on_error: bool = False) -> dict[str, a.AttrValue]:
    """Run :func:`actor_attributes` behind the detector boundary.

    An unexpected error leaves the actor out with one WARNING naming its type
    (never its message: it could quote a value); a ``ConfigurationError``
    always propagates.
    """
    try:
        return actor_attributes(ctx)
    except ConfigurationError:
        raise
    except Exception as exc:  # detector boundary
        if raise_on_error:
            raise
        _logger.warning("actor detection failed (%s); it is left out", type(exc).__name__)
        return {}


def explain(ctx: Context) -> str:
    """Return one line saying which variables decided the actor (for ``doctor``), or ``""``."""
    if not enabled(ctx):
        return "off (WORKSPACE_OTEL_ACTOR=off)"
    found = None if m.ALL_VARIABLES.isdisjoint(ctx.environ) else _detect(ctx)
    if found is None:
        return ""
    slug, _, evidence = found
    return f"{slug or 'unnamed agent'} (from {evidence})"

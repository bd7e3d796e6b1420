"""Coder v2: ``CODER=true`` together with ``CODER_WORKSPACE_NAME``."""

from __future__ import annotations

import re

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector, copy_table
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import clean_web_url

_LABEL = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
_OWNER = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$"


def owner_from_proxy_uri(uri: str, workspace: str, agent: str) -> str:
    """Return the owner encoded in ``VSCODE_PROXY_URI``, or ``""``.

    The template is ``https://{{port}}--<agent>--<workspace>--<owner>.<domain>/``;
    the owner is only trusted when agent and workspace match the variables.
    """
    _, sep, rest = uri.partition("://")
    if not sep:
        return ""
    label = rest.split("/", 1)[0].split(".", 1)[0].rpartition("@")[2]
    parts = label.split("--")
    if len(parts) != 4 or (parts[0] not in ("{{port}}", "{{ port }}") and not parts[0].isdigit()):
        return ""
    _, proxy_agent, proxy_workspace, owner = parts
    if workspace and proxy_workspace.lower() != workspace.lower():
        return ""
    if agent and proxy_agent.lower() != agent.lower():
        return ""
    return owner if re.match(_OWNER, owner) else ""


class CoderResourceDetector(_PlatformDetector):
    """Coder v2 workspaces.

    Attributes: ``workspace.provider=coder``, ``workspace.id``
    (``CODER_WORKSPACE_NAME``), ``workspace.agent.name``,
    ``workspace.cluster`` (host of ``CODER_AGENT_URL``), and with identity
    ``login``/``full`` ``user.name`` (owner from ``VSCODE_PROXY_URI``, else
    ``CODER_WORKSPACE_OWNER_NAME`` set for dev-container sub-agents) and
    ``workspace.url`` (``<access URL>/@<owner>/<workspace>``); identity ``hash``
    gives ``user.hash`` of the owner instead.
    """

    name = a.CODER

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Coder markers."""
        return [
            [
                ("CODER=true", ctx.is_true("CODER")),
                ("CODER_WORKSPACE_NAME", bool(ctx.get("CODER_WORKSPACE_NAME"))),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Coder attributes."""
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.CODER}
        copy_table(ctx, a.CODER_TABLE, attrs)
        workspace = ctx.get("CODER_WORKSPACE_NAME")
        access_url = clean_web_url(ctx.get("CODER_AGENT_URL"))
        if access_url:
            attrs[a.WORKSPACE_CLUSTER] = access_url.split("/", 3)[2]
        owner = owner_from_proxy_uri(
            ctx.get("VSCODE_PROXY_URI"), workspace, ctx.get("CODER_WORKSPACE_AGENT_NAME")
        )
        if not owner:
            candidate = ctx.get("CODER_WORKSPACE_OWNER_NAME")
            owner = candidate if re.match(_OWNER, candidate) else ""
        mode = ctx.identity
        if (
            owner
            and access_url
            and mode in ("login", "full")
            and re.match(_LABEL, workspace.lower())
        ):
            attrs[a.WORKSPACE_URL] = f"{access_url}/@{owner}/{workspace}"
        attrs.update(identity_attributes(mode, login=owner))
        return attrs

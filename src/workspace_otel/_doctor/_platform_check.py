"""Check 1: which workspace platform this is, and the markers that decided it.

Detection is the library's own (:func:`workspace_otel.resources.detect_with_sources`,
the workspace detector ``configure()`` runs); the markers shown are those of
the platform that matched, read from its detector, and near misses come from
:func:`workspace_otel.resources.near_misses`.
"""

from __future__ import annotations

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._report import Check, Finding
from workspace_otel.resources._actor import explain
from workspace_otel.resources._base import Context as DetectionContext
from workspace_otel.resources._workspace import detect_with_sources, first_match, near_misses_in

__all__ = ["check_platform"]

_PLATFORM_PREFIXES = ("workspace.", "cicd.", "user.", "deployment.", "service.")


def _matched(detection: DetectionContext) -> tuple[str, list[str]] | None:
    """Return the platform that matched and the markers of its first complete marker set."""
    found = first_match(detection)
    if found is None:
        return None
    platform = found[0]
    for markers in platform.marker_sets(detection):
        if markers and all(present for _, present in markers):
            return platform.name, [name for name, _ in markers]
    return platform.name, []


def check_platform(ctx: Diagnosis, check: Check) -> None:
    """Which workspace platform this is, from which markers; near misses as warnings."""
    attributes, sources = detect_with_sources(ctx.environ, root=ctx.root, cwd=ctx.cwd)
    ctx.attributes, ctx.attribute_sources = dict(attributes), dict(sources)
    detection = DetectionContext(ctx.environ, ctx.root, ctx.cwd)
    matched = _matched(detection)
    if matched is None:
        ctx.platform = None
        check.summary = "no cloud workspace or CI platform detected (plain machine or container)"
        check.evidence["platform"] = None
    else:
        ctx.platform, markers = matched
        # A CI system's detector describes a pipeline (cicd.*), a workspace's does not.
        ci = any(key.startswith("cicd.") for key in ctx.attributes)
        kind = "CI system" if ci else "workspace"
        check.evidence["platform"] = ctx.platform
        if markers:
            check.evidence["markers"] = markers
            check.summary = f"{ctx.platform} {kind} (matched: {', '.join(markers)})"
        else:
            check.summary = f"{ctx.platform} {kind}"
    actor = explain(detection)
    if actor:
        advisory = "" if actor.startswith("off") else "; self-reported and advisory"
        check.evidence["actor"] = f"{actor}{advisory}"
    shown = {k: v for k, v in ctx.attributes.items() if k.startswith(_PLATFORM_PREFIXES)}
    if shown:
        check.evidence["attributes"] = {
            key: f"{value} (from {sources.get(key, '?')})" for key, value in sorted(shown.items())
        }
    misses = near_misses_in(detection)
    for platform, present, missing in misses:
        check.add(
            Finding(
                "warn",
                f"near miss: {', '.join(present)} set but {', '.join(missing)} missing, "
                f"so this is not treated as a {platform} workspace",
                f"If this is a {platform} workspace, run from a shell that inherits the "
                f"platform's variables ({', '.join(missing)}); otherwise unset "
                f"{', '.join(present)}.",
            )
        )
    if misses:
        check.evidence["near misses"] = {
            platform: {"present": present, "missing": missing}
            for platform, present, missing in misses
        }

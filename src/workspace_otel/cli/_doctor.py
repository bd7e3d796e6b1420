"""``workspace-otel doctor``: say why traces do not show up, and what to do about it.

Six checks run in order (platform, git, configuration, token, endpoint, end
to end), each with a verdict (ok / warn / fail / skipped), its evidence and,
for problems, one fix. The exit status is 0 only when no check failed.
``--json`` prints the same report as a versioned document, described in
:mod:`workspace_otel._doctor._report`. No token, client secret, header
value or credential-bearing URL is ever printed: only fingerprints
(``sha256:`` + 8 hex digits) and URLs stripped of user-info.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

__all__ = ["run_doctor"]


def _colour(out: TextIO, environ: Mapping[str, str]) -> bool:
    if "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def run_doctor(
    *,
    as_json: bool,
    endpoint: str | None,
    timeout: float,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    now: Callable[[], float] | None = None,
    container: Callable[..., list[str]] | None = None,
) -> int:
    """Run the diagnosis, write the report to ``out`` and return the exit status.

    Args:
        as_json: Write the JSON document instead of the human report.
        endpoint: ``--endpoint``: a base URL (``/v1/traces`` is appended for
            OTLP/HTTP) or a full traces URL when it has a path; overrides the
            configured endpoint.
        timeout: Seconds allowed for each network step.
        out: Where the report goes.
        environ: The environment to diagnose (``os.environ`` when ``None``).
        cwd: Where to look for the git repository (the current directory by default).
        now: Wall clock, for tests.
        container: Returns the reasons to believe this runs in a container
            (tests inject it; by default ``/.dockerenv``, ``/run/.containerenv``,
            cgroups and a detected workspace platform, under
            ``WORKSPACE_OTEL_PLATFORM_ROOT``).

    Returns:
        0 when no check failed (warnings allowed), else 1.
    """
    from workspace_otel._doctor._report import Check, Report, render_json, render_text
    from workspace_otel._guards.redaction import scrub_known

    env = os.environ if environ is None else environ
    try:
        from workspace_otel._doctor._runner import build_context, run_checks

        ctx = build_context(
            environ=env, endpoint=endpoint, timeout=timeout, cwd=cwd, now=now, container=container
        )
        report = run_checks(ctx)
    except Exception as exc:  # noqa: BLE001 - the doctor never shows a traceback
        report = Report(
            [
                Check(
                    "doctor",
                    "Doctor",
                    "fail",
                    f"the doctor could not start ({type(exc).__name__})",
                    {"error": type(exc).__name__},
                    "This is a bug in workspace-otel doctor: please report it.",
                )
            ]
        )
    buffer = io.StringIO()
    if as_json:
        render_json(report, buffer, scrub_known)
    else:
        render_text(report, buffer, scrub_known, colour=_colour(out, env))
    text = buffer.getvalue()
    try:
        try:
            out.write(text)
        except UnicodeEncodeError:
            # A terminal that cannot show some character still gets the whole report.
            out.write(text.encode("ascii", "backslashreplace").decode("ascii"))
        out.flush()
    except (OSError, ValueError):
        pass
    return 0 if report.ok else 1

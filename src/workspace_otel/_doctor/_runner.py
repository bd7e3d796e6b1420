"""Run the six checks in order, each guarded so no error escapes as a traceback."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from workspace_otel._doctor._configuration_check import check_configuration
from workspace_otel._doctor._context import (
    Diagnosis,
    container_hints,
    seed_secrets,
    wall_clock,
)
from workspace_otel._doctor._end_to_end_check import check_end_to_end
from workspace_otel._doctor._endpoint_check import check_endpoint
from workspace_otel._doctor._export_plan import plan_exports
from workspace_otel._doctor._git_check import check_git
from workspace_otel._doctor._log_capture import LogCapture
from workspace_otel._doctor._platform_check import check_platform
from workspace_otel._doctor._report import Check, Report
from workspace_otel._doctor._token_check import check_token
from workspace_otel._guards.redaction import register_url, scrub
from workspace_otel.errors import ConfigurationError

__all__ = ["CHECKS", "build_context", "run_checks"]

CheckFunction = Callable[[Diagnosis, Check], None]
CHECKS: tuple[tuple[str, str, CheckFunction], ...] = (
    ("platform", "Platform", check_platform),
    ("git", "Git", check_git),
    ("configuration", "Configuration", check_configuration),
    ("token", "Token", check_token),
    ("endpoint", "Endpoint", check_endpoint),
    ("end_to_end", "End to end", check_end_to_end),
)
_BUG_FIX = (
    "This is a bug in workspace-otel doctor: please report it with the output of "
    "`workspace-otel doctor --json`."
)


def build_context(
    *,
    environ: Mapping[str, str] | None,
    endpoint: str | None,
    timeout: float,
    cwd: Path | None = None,
    now: Callable[[], float] | None = None,
    container: Callable[[Diagnosis], list[str]] | None = None,
) -> Diagnosis:
    """Gather the inputs every check shares (no network, no token fetch)."""
    env: Mapping[str, str] = dict(os.environ if environ is None else environ)
    seed_secrets(env)
    if endpoint:
        register_url(endpoint)
    root = Path(env.get("WORKSPACE_OTEL_PLATFORM_ROOT", "").strip() or "/")
    ctx = Diagnosis(
        environ=env,
        cwd=Path.cwd() if cwd is None else cwd,
        timeout=timeout if timeout > 0 else 5.0,
        endpoint_override=endpoint,
        now=now or wall_clock,
        root=root,
        container=container or container_hints,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ctx.plan = plan_exports(env, endpoint)
            ctx.token_source = ctx.plan.token_source
            if ctx.token_source is None and ctx.plan.options.credentials.source.startswith(
                "not needed"
            ):
                # configure() fetches no token now; check 4 still tries the configured one.
                _token_source_alone(ctx)
        except ConfigurationError as exc:
            ctx.plan_error = exc
            _token_source_alone(ctx)
    return ctx


def _token_source_alone(ctx: Diagnosis) -> None:
    """The environment's token source, for check 4 when the other settings are invalid."""
    from workspace_otel.credentials import token_source_from_env

    try:
        ctx.token_source = token_source_from_env(ctx.environ)
    except ConfigurationError as exc:
        ctx.token_source_error = str(exc)
    except Exception as exc:  # noqa: BLE001 - reported by the token check
        ctx.token_source_error = f"cannot build the token source ({type(exc).__name__})"


def _guarded(ctx: Diagnosis, check: Check, function: CheckFunction) -> None:
    logger = logging.getLogger("workspace_otel")
    capture = LogCapture()
    saved = logger.propagate
    logger.addHandler(capture)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            function(ctx, check)
        notes = [scrub(str(w.message), limit=200) for w in caught]
        if notes:
            check.evidence.setdefault("warnings", notes)
    except Exception as exc:  # noqa: BLE001 - any error becomes a verdict, never a traceback
        check.verdict = "fail"
        check.summary = f"the check itself failed ({type(exc).__name__})"
        check.evidence["error"] = type(exc).__name__
        check.fix = _BUG_FIX
    finally:
        logger.removeHandler(capture)
        logger.propagate = saved
    if capture.messages:
        check.evidence.setdefault("library log", capture.messages[:5])


def run_checks(ctx: Diagnosis) -> Report:
    """Run every check in order and return the report."""
    report = Report()
    for check_id, title, function in CHECKS:
        check = Check(check_id, title)
        report.checks.append(check)
        _guarded(ctx, check, function)
    return report

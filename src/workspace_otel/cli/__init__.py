"""The ``workspace-otel`` command: ``detect`` and ``doctor``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from workspace_otel._version import __version__

    parser = argparse.ArgumentParser(
        prog="workspace-otel",
        description="Inspect what workspace_otel detects and check that telemetry gets through.",
    )
    parser.add_argument("--version", action="version", version=f"workspace-otel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    detect = commands.add_parser(
        "detect", help="print the resource attributes this process would export"
    )
    detect.add_argument("--json", action="store_true", help="print one JSON object")
    doctor = commands.add_parser(
        "doctor", help="check platform, git, configuration, token and endpoint, with fixes"
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--endpoint", help="OTLP endpoint to check instead of the configured one")
    doctor.add_argument(
        "--timeout", type=float, default=5.0, help="seconds allowed per network check (default 5)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    All output passes one gate (:class:`~workspace_otel.cli._output.SafeText`:
    control characters are shown as escapes, never interpreted); a reader
    that goes away (``workspace-otel detect | head -1``) ends the command
    quietly with status 141, as for any Unix tool killed by SIGPIPE.
    """
    from workspace_otel.cli._output import (
        SafeText,
        closed_pipe_status,
        silence_stdout,
    )

    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeText(real_out), SafeText(real_err)
    try:
        status = _run(_parser().parse_args(argv))
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        silence_stdout()
        return closed_pipe_status()
    finally:
        sys.stdout, sys.stderr = real_out, real_err


def _run(args: argparse.Namespace) -> int:
    if args.command == "detect":
        from workspace_otel.cli._detect import run_detect

        return run_detect(as_json=args.json, out=sys.stdout)
    from workspace_otel.cli._doctor import run_doctor

    return run_doctor(
        as_json=args.json, endpoint=args.endpoint, timeout=args.timeout, out=sys.stdout
    )

"""The ``workspace-otel`` command: ``detect`` and ``doctor``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workspace-otel",
        description="Inspect what workspace_otel detects and check that telemetry gets through.",
    )
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
    """Run the command line and return its exit status."""
    args = _parser().parse_args(argv)
    if args.command == "detect":
        from workspace_otel.cli._detect import run_detect

        return run_detect(as_json=args.json, out=sys.stdout)
    from workspace_otel.cli._doctor import run_doctor

    return run_doctor(
        as_json=args.json, endpoint=args.endpoint, timeout=args.timeout, out=sys.stdout
    )

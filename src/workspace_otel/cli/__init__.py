"""The ``workspace-otel`` command: ``detect``, ``doctor``, ``env``, ``headers`` and ``token``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    import argparse
    from typing import Any

__all__ = ["main"]

_ENV_FORMATS = ("sh", "dotenv", "json")
_TOKEN_TIMEOUT = 15.0  # seconds; the default of headers and token --timeout


def _parser() -> argparse.ArgumentParser:
    import argparse

    from workspace_otel import __version__

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
    _add_other_language_commands(commands)
    return parser


def _add_other_language_commands(commands: argparse._SubParsersAction[Any]) -> None:
    env = commands.add_parser(
        "env", help="print OTEL_RESOURCE_ATTRIBUTES for programs in other languages"
    )
    env.add_argument("--format", choices=_ENV_FORMATS, default="sh")
    headers = commands.add_parser(
        "headers", help="print the OTLP headers needed now as JSON (a headers helper)"
    )
    token = commands.add_parser("token", help="print the current token, or keep it in a file")
    token.add_argument("--file", help="write the token to this file (mode 0600, atomic)")
    token.add_argument(
        "--watch", action="store_true", help="with --file: rewrite it before each expiry"
    )
    for sub in (headers, token):
        sub.add_argument(
            "--timeout",
            type=float,
            default=_TOKEN_TIMEOUT,
            help=f"seconds to wait for a token (default {_TOKEN_TIMEOUT:g})",
        )


def _exit_on_sigterm() -> None:
    """While waiting for a token, SIGTERM ends the command through a normal exit.

    The default disposition would end the interpreter at once and leave a
    stalled token command running; exiting normally (status 143, as a shell
    reports SIGTERM) lets the exit hooks end it.
    """
    import signal

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _stop)


def _run_other_language_command(args: argparse.Namespace) -> int | None:
    if args.command == "env":
        from workspace_otel.cli._environment import run_env

        return run_env(fmt=args.format, out=sys.stdout)
    if args.command == "headers":
        from workspace_otel.cli._headers import run_headers

        _exit_on_sigterm()
        return run_headers(out=sys.stdout, timeout=args.timeout)
    if args.command == "token":
        from workspace_otel.cli._token import run_token

        _exit_on_sigterm()  # --watch installs its own handlers over this one

        return run_token(out=sys.stdout, file=args.file, watch=args.watch, timeout=args.timeout)
    return None


def _shell_start_path(argv: list[str]) -> int | None:
    """Run ``env`` / ``headers`` as shells and headers helpers spell them, without the parser.

    They run at every shell start and at every helper call, where ``argparse``
    and its imports cost about as much as an empty interpreter start. Any
    other spelling (``--help``, a bad value) goes through the parser.
    """
    if argv == ["headers"]:
        from workspace_otel.cli._headers import run_headers

        _exit_on_sigterm()
        return run_headers(out=sys.stdout, timeout=_TOKEN_TIMEOUT)
    if not argv or argv[0] != "env":
        return None
    rest = argv[1:]
    if not rest:
        fmt = "sh"
    elif len(rest) == 2 and rest[0] == "--format":
        fmt = rest[1]
    elif len(rest) == 1 and rest[0].startswith("--format="):
        fmt = rest[0][len("--format=") :]
    else:
        return None
    if fmt not in _ENV_FORMATS:
        return None
    from workspace_otel.cli._environment import run_env

    return run_env(fmt=fmt, out=sys.stdout)


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

    arguments = sys.argv[1:] if argv is None else list(argv)
    real_out, real_err = sys.stdout, sys.stderr
    # No stderr at all (`2>&-`): messages have nowhere to go, the status still says it.
    err = real_err if real_err is not None else open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    sys.stdout, sys.stderr = SafeText(real_out), SafeText(err)
    try:
        status = _shell_start_path(arguments)
        if status is None:
            args = _parser().parse_args(arguments)
            status = _run_other_language_command(args)
            if status is None:
                status = _run(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        silence_stdout()
        return closed_pipe_status()
    except KeyboardInterrupt:  # Ctrl-C while waiting (a stalled token service): no traceback
        return 130  # 128 + SIGINT, as a shell reports an interrupted command
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

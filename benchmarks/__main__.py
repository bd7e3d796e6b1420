"""``python -m benchmarks [--quick] [--src DIR] [--only P2,P3] [--strict]``: print the table."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks._common import WORK, Options, Row, print_table


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions; check that everything runs (CI)"
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=None,
        help="import workspace_otel from this src folder (to measure another revision)",
    )
    parser.add_argument("--only", default="", help="comma-separated ids to run, e.g. P2,P3")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument(
        "--pairs",
        type=int,
        default=None,
        help="pairs of runs in every start-up comparison (default: 100-200 each, 3 with --quick)",
    )
    parser.add_argument(
        "--no-instructions",
        action="store_true",
        help="do not count instructions under valgrind beside the timed runs",
    )
    return parser.parse_args(argv)


def _compile_sources(options: Options) -> None:
    """Byte-compile the measured ``workspace_otel`` sources, as an installation does.

    ``pip install`` writes ``.pyc`` files for the package, and the SDK measured
    on the other side is imported from its compiled files. A checkout edited
    since its last import (or run with ``PYTHONDONTWRITEBYTECODE`` set, as the
    children inherit) would otherwise recompile changed modules from source in
    every timed start, which charges the compiler to our side only.
    """
    import compileall

    root = options.src if options.src is not None else Path(__file__).resolve().parent.parent
    source = root / "workspace_otel" if (root / "workspace_otel").is_dir() else root / "src"
    compileall.compile_dir(str(source), quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurements and print one table; return the exit status."""
    args = _parse(argv)
    options = Options(
        quick=args.quick,
        src=args.src.resolve() if args.src else None,
        pairs=args.pairs,
        instructions=not (args.quick or args.no_instructions),
    )
    if options.src is not None:
        sys.path.insert(0, str(options.src))
    only = {item.strip().upper() for item in args.only.split(",") if item.strip()}

    def wanted(*ids: str) -> bool:
        return not only or bool(only.intersection(ids))

    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = str(WORK / "cache")  # never the user's own cache

    from tests.harness.receivers import HttpOtlpReceiver

    from benchmarks import _inprocess, _startup, _tokens
    from benchmarks._repo import make_repo

    began = time.monotonic()
    rows: list[Row] = []
    machine = _startup.describe_machine()
    print(
        f"# workspace_otel benchmarks ({'quick' if options.quick else 'full'}): "
        f"{machine['nproc']} CPU(s), {machine['cpu']}, "
        f"{machine['implementation']} {machine['python']}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
        + (f", src={options.src}" if options.src else ""),
        flush=True,
    )
    _compile_sources(options)
    repo = make_repo()
    with HttpOtlpReceiver() as receiver:
        if wanted("P1"):
            rows += _startup.p1(options)
        setup = None
        if wanted("P2", "P3", "MEM", "P4", "P9", "P12"):
            setup = _startup.startup_setup(options, repo, receiver.endpoint)
        if setup is not None and wanted("P2", "P3", "MEM"):
            rows += _startup.p2_p3(options, setup)
            if not options.quick and options.src is None:
                cache_off = _startup.cache_off_env(setup)
                pairs = options.pairs if options.pairs is not None else 40
                rows += _startup.p2_p3(
                    options, cache_off, label="(git cache off)", pairs=pairs, judged=False
                )[:2]
        if setup is not None and wanted("P9"):
            from benchmarks import _launcher

            rows += _launcher.p9(options, setup)
        if setup is not None and wanted("P4"):
            environ = {k: v for k, v in setup.env.items() if k != "PYTHONPATH"}
            rows += _inprocess.p4(
                options, environ, repo, Path(environ["WORKSPACE_OTEL_PLATFORM_ROOT"])
            )
        if setup is not None and wanted("P12"):
            from benchmarks import _cli

            rows += _cli.p12(options, setup)
        if wanted("P5", "P6"):
            from tests.harness.token_server import TokenServer

            from workspace_otel.credentials import OAuth2ClientCredentialsSource, shared_cache

            client_id, client_secret = "test-client", "test-secret"  # the server's own client
            with TokenServer(lifetime=3600) as server:
                source = OAuth2ClientCredentialsSource(server.token_url, client_id, client_secret)
                cache = shared_cache(source)
                token = cache.token().value
                if wanted("P5"):
                    rows += _inprocess.p5(options, cache, receiver.traces_url)
                if wanted("P6"):
                    service = {
                        "P6_TOKEN_URL": server.token_url,
                        "P6_CLIENT_ID": client_id,
                        "P6_CLIENT_SECRET": client_secret,
                    }
                    rows += _inprocess.p6(options, source, token, receiver, service)
        if wanted("P7", "P8"):
            rows += _tokens.p7_p8(options, receiver)
        if wanted("P10"):
            from benchmarks import _secret_stores

            rows += _secret_stores.p10(options, receiver.endpoint)
    print()
    print_table(rows, judged=not options.quick)
    print(f"\n({time.monotonic() - began:.0f} s)")
    missed = [row for row in rows if row.ok is False]
    return 1 if args.strict and missed and not options.quick else 0


if __name__ == "__main__":
    sys.exit(main())

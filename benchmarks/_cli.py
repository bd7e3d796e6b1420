"""P12: ``workspace-otel env`` and ``workspace-otel headers`` against ``python -c pass``.

Both run at every shell start or every headers-helper call, so they are timed
as whole processes, side by side (ABAB) with an interpreter that does nothing,
in the Codespace-shaped environment of P2 with the git cache warm. ``headers``
reads a still-valid token from a file (``WORKSPACE_OTEL_TOKEN_SOURCE=file:``,
what ``workspace-otel token --file PATH --watch`` keeps current): the cached
case, with no network in the timed path.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import WORK, Options, Row, alternate, median, python, run_child
from benchmarks._repo import PLANTED
from benchmarks._startup import StartupSetup

BUDGET = 3.0


def _command() -> list[str]:
    """The installed console script when there is one (what a shell runs), else ``-m``."""
    script = Path(sys.executable).with_name("workspace-otel")
    return [str(script)] if script.exists() else [python(), "-m", "workspace_otel"]


def _jwt_file() -> Path:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    token = ".".join(
        [
            part({"alg": "RS256", "typ": "JWT"}),
            part({"iss": "https://bench.example", "sub": "bench", "iat": now, "exp": now + 3600}),
            "c2lnbmF0dXJlLW5vdC1jaGVja2Vk",
        ]
    )
    path = WORK / "bench-token"
    path.write_text(token)
    path.chmod(0o600)
    return path


def p12(options: Options, setup: StartupSetup) -> list[Row]:
    """Wall time of ``env`` and ``headers`` relative to ``python -c pass``."""
    env = {k: v for k, v in setup.env.items() if k != "WORKSPACE_OTEL_TOKEN"}
    env["WORKSPACE_OTEL_TOKEN_SOURCE"] = f"file:{_jwt_file()}"
    runs = 5 if options.quick else 30
    command = _command()

    def timed(args: list[str], cpu: list[float]) -> Callable[[], float]:
        def run() -> float:
            child = run_child(args, env=env, cwd=setup.repo)
            if PLANTED in child.stdout + child.stderr:
                raise RuntimeError("the planted remote credential reached the CLI output")
            cpu.append(child.cpu)
            return child.wall

        return run

    timed([*command, "env"], [])()  # warm: pyc files and the git cache
    rows = []
    for name in ("env", "headers"):
        cpu_ours: list[float] = []
        cpu_bare: list[float] = []
        ours, bare = alternate(
            runs,
            timed([*command, name], cpu_ours),
            timed([python(), "-c", "pass"], cpu_bare),
        )
        ratio = median(ours) / median(bare)
        # CPU time (user + sys) is disturbed less than wall time by other load.
        cpu_ratio = median(cpu_ours) / median(cpu_bare)
        rows.append(
            Row(
                "P12",
                f"`workspace-otel {name}` vs `python -c pass` (warm git cache, cached token)",
                f"{ratio:.2f}x",
                f"<= {BUDGET:g}x",
                ratio <= BUDGET,
                f"medians {median(ours) * 1e3:.1f} / {median(bare) * 1e3:.1f} ms of {runs}, ABAB; "
                f"CPU {cpu_ratio:.2f}x ({median(cpu_ours) * 1e3:.1f} / "
                f"{median(cpu_bare) * 1e3:.1f} ms)",
            )
        )
    return rows

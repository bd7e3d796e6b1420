"""Shared pieces: the result row, statistics, timed child processes, the table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work"


@dataclass
class Row:
    """One line of the table.

    Attributes:
        budget_id: P1..P8, or ``mem`` / ``info`` for unbudgeted figures.
        what: what was measured.
        figure: the measured value, formatted.
        budget: the budget, formatted (``-`` when there is none).
        ok: ``True`` pass, ``False`` miss, ``None`` not judged.
        note: how it was obtained (sample sizes, raw medians).
    """

    budget_id: str
    what: str
    figure: str
    budget: str
    ok: bool | None
    note: str = ""


@dataclass
class Options:
    """Run settings.

    Attributes:
        quick: few repetitions; values are printed but not judged.
        src: import ``workspace_otel`` in child processes from this ``src`` folder.
        pairs: pairs of every start-up comparison (``--pairs``), instead of each
            comparison's own default.
        instructions: count instructions under valgrind beside the timed runs
            (off with ``--quick`` or ``--no-instructions``, or without valgrind).
    """

    quick: bool = False
    src: Path | None = None
    pairs: int | None = None
    instructions: bool = True

    def pairs_for(self, default: int) -> int:
        """Pairs of a start-up comparison: ``--pairs``, else 3 when quick, else ``default``."""
        if self.pairs is not None:
            return self.pairs
        return 3 if self.quick else default


def median(values: Sequence[float]) -> float:
    """Return the median of a non-empty sequence."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q`` (0..100) percentile by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class ChildRun:
    """A finished child process: wall seconds, peak RSS (KiB), output, CPU seconds."""

    wall: float
    max_rss_kib: int
    stdout: str
    stderr: str
    returncode: int
    cpu: float = 0.0  # user + sys of the child itself (wait4): less disturbed by load than wall


def run_child(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 60.0,
) -> ChildRun:
    """Run a process; return its wall time and its own peak RSS (``wait4``).

    Raises:
        RuntimeError: the process failed or timed out.
    """
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(args),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            # wait4 (not Popen.wait) reaps the child and gives its own rusage.
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        finally:
            killer.cancel()
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        rss = int(usage.ru_maxrss)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    cpu = usage.ru_utime + usage.ru_stime
    result = ChildRun(wall, rss, out.decode(), err.decode(), code, cpu)
    if code != 0:
        raise RuntimeError(f"child {args[:3]} failed ({code}): {result.stderr[-2000:]}")
    return result


def python_env(
    options: Options,
    extra: Mapping[str, str] | None = None,
    *,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return a child environment without OTel / workspace / platform variables.

    ``--src`` (when given) comes first on ``PYTHONPATH``, then the project root.
    """
    source = os.environ if base is None else base
    drop = ("OTEL_", "WORKSPACE_OTEL_", "GITPOD_", "CODESPACE", "GITHUB_", "CODER", "DEVPOD")
    env = {k: v for k, v in source.items() if not k.startswith(drop)}
    paths = [str(ROOT)]
    if options.src is not None:
        paths.insert(0, str(options.src))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra or {})
    return env


def alternate(
    runs: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Run ``first`` and ``second`` alternately (ABAB) ``runs`` times each; return both samples."""
    a: list[float] = []
    b: list[float] = []
    for index in range(runs):
        # Swap the order every other pair so neither side always runs first.
        if index % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
    return a, b


def print_table(rows: Sequence[Row], *, judged: bool, out: Callable[[str], None] = print) -> None:
    """Print the rows as one Markdown table."""
    header = ("id", "what", "figure", "budget", "result", "how")
    lines = [header]
    for row in rows:
        if not judged or row.ok is None:
            verdict = "-" if row.ok is None else "(not judged)"
        else:
            verdict = "pass" if row.ok else "MISS"
        lines.append((row.budget_id, row.what, row.figure, row.budget, verdict, row.note))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        out("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if index == 0:
            out("| " + " | ".join("-" * w for w in widths) + " |")


def python() -> str:
    """The interpreter running the benchmarks (children use the same one)."""
    return sys.executable

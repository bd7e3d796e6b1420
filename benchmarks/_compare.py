"""Two commands side by side: paired runs, one ratio with its interval, instruction counts.

Every start-up budget (P2, P3, P9, P10) compares two processes the same way:

- **Pairs.** Each pair runs the two sides back to back, the order swapped from
  one pair to the next (AB, BA, AB, ...), so a slow moment of the machine
  falls on both sides of a pair.
- **Ratio.** The timed figure is the geometric mean of the pairs' wall-time
  ratios, with a within-run 95 % interval (mean of the log ratios +- 1.96
  standard errors, a normal approximation meant for 30 pairs or more). The
  interval describes the pairs of this run only: on a shared virtual machine
  the figure moved by more than it from one run to the next.
- **Instructions.** Where valgrind is installed, each side also runs once
  under cachegrind and the instructions it executed are counted (the
  process and what it execs, with a fixed hash seed). The count does not
  move with the machine's load.
- **Verdict.** The budgets are wall-time ratios. When the instructions were
  counted, a budget holds when the instruction ratio is within it *and* the
  timed interval does not lie wholly above it: the count cannot be moved by
  the machine's load, and the timed interval still catches what the count
  leaves out (time in the kernel, waiting on files). Without a count, the
  timed ratio alone decides. On a shared virtual machine the timed ratio of
  the same two programs moved by more than its own interval between runs
  (the two secret-store rows, whose code differs by 0.3 % in instructions,
  measured 0.93x and 1.07x in one run), so it alone cannot decide a 3-10 %
  budget there.
"""

from __future__ import annotations

import math
import re
import shutil
import statistics
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._common import ChildRun, median

_Z95 = 1.96


@dataclass
class Comparison:
    """The runs of both sides of one comparison, pair by pair.

    Attributes:
        ours: the runs of the measured side, in pair order.
        theirs: the runs of the reference side, in the same order.
        instructions: instructions executed by (ours, theirs), when counted.
    """

    ours: list[ChildRun] = field(default_factory=list)
    theirs: list[ChildRun] = field(default_factory=list)
    instructions: tuple[int, int] | None = None

    @property
    def pairs(self) -> int:
        """How many complete pairs were run."""
        return min(len(self.ours), len(self.theirs))

    def _logs(self) -> list[float]:
        return [
            math.log(a.wall / b.wall)
            for a, b in zip(self.ours, self.theirs, strict=False)
            if a.wall > 0 and b.wall > 0
        ]

    @property
    def ratio(self) -> float:
        """Geometric mean of the paired wall-time ratios (ours / theirs)."""
        logs = self._logs()
        return math.exp(statistics.fmean(logs)) if logs else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        """The 95 % interval of :attr:`ratio` (normal approximation on the log ratios)."""
        logs = self._logs()
        if len(logs) < 2:
            return (float("nan"), float("nan"))
        mean = statistics.fmean(logs)
        half = _Z95 * statistics.stdev(logs) / math.sqrt(len(logs))
        return (math.exp(mean - half), math.exp(mean + half))

    @property
    def instruction_ratio(self) -> float | None:
        """Instructions of ours over theirs, when both were counted."""
        if self.instructions is None or not self.instructions[1]:
            return None
        return self.instructions[0] / self.instructions[1]

    @property
    def judged(self) -> float:
        """The figure shown first: the instruction ratio when counted, else the timed ratio."""
        counted = self.instruction_ratio
        return self.ratio if counted is None else counted

    def holds(self, budget: float) -> bool:
        """Whether the budget holds (see the module's "Verdict")."""
        counted = self.instruction_ratio
        if counted is None:
            return self.ratio <= budget
        return counted <= budget and self.interval[0] <= budget

    @property
    def figure(self) -> str:
        """The judged figure with what it measures, for the table."""
        basis = "wall" if self.instruction_ratio is None else "instructions"
        return f"{self.judged:.3f}x {basis}"

    def describe(self) -> str:
        """The "how" of a table row: medians, pairs, interval, instruction counts."""
        low, high = self.interval
        ours_ms = median([r.wall for r in self.ours]) * 1e3
        theirs_ms = median([r.wall for r in self.theirs]) * 1e3
        text = (
            f"wall {self.ratio:.3f}x (95 % interval {low:.3f}-{high:.3f}x; geometric mean of "
            f"{self.pairs} AB/BA pairs; medians {ours_ms:.0f} / {theirs_ms:.0f} ms)"
        )
        if self.instructions is not None:
            text += (
                f"; instructions {self.instructions[0] / 1e6:.0f}M / "
                f"{self.instructions[1] / 1e6:.0f}M"
            )
        return text


def paired(
    pairs: int,
    ours: Callable[[], ChildRun],
    theirs: Callable[[], ChildRun],
) -> Comparison:
    """Run ``pairs`` pairs, swapping which side goes first from one pair to the next."""
    result = Comparison()
    for index in range(pairs):
        if index % 2 == 0:
            result.ours.append(ours())
            result.theirs.append(theirs())
        else:
            result.theirs.append(theirs())
            result.ours.append(ours())
    return result


def valgrind() -> str | None:
    """The valgrind executable, or ``None`` when it is not installed."""
    return shutil.which("valgrind")


def count_instructions(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 600.0,
) -> int | None:
    """Instructions executed by ``args`` and the programs it execs, or ``None`` without valgrind.

    Raises:
        RuntimeError: the process failed under valgrind.
    """
    tool = valgrind()
    if tool is None:
        return None
    completed = subprocess.run(
        [
            tool,
            "--tool=cachegrind",
            "--cache-sim=no",
            "--trace-children=yes",
            "--cachegrind-out-file=/dev/null",
            *args,
        ],
        env={**env, "PYTHONHASHSEED": "0"},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    counts = re.findall(r"I\s+refs:\s+([\d,]+)", completed.stderr)
    if completed.returncode != 0 or not counts:
        raise RuntimeError(
            f"{args[:2]} failed under valgrind ({completed.returncode}): {completed.stderr[-2000:]}"
        )
    # valgrind's own lines start with == or --; anything else the program printed.
    program = [line for line in completed.stderr.splitlines() if line[:2] not in ("==", "--")]
    if any("WARNING" in line or "Traceback" in line for line in program):
        # Slowed many times over, a start may hit a deadline (git) and take a
        # shorter path: such a count would flatter it, so none is given.
        raise RuntimeError(f"{args[:2]} warned under valgrind: {' | '.join(program)[-2000:]}")
    return sum(int(count.replace(",", "")) for count in counts)


def count_both(
    ours: Callable[[], int | None], theirs: Callable[[], int | None]
) -> tuple[int, int] | None:
    """Count both sides (ours first), or ``None`` when either could not be counted."""
    first = ours()
    if first is None:
        return None
    second = theirs()
    return None if second is None else (first, second)

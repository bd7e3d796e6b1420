"""The start-up comparison's arithmetic and its instruction counter."""

from __future__ import annotations

import math
import os
import sys

import pytest
from benchmarks._common import ChildRun
from benchmarks._compare import Comparison, count_instructions, paired, valgrind


def _run(wall: float) -> ChildRun:
    return ChildRun(wall=wall, max_rss_kib=0, stdout="", stderr="", returncode=0)


def test_ratio_is_the_geometric_mean_of_the_pairs() -> None:
    comparison = Comparison(
        ours=[_run(2.0), _run(1.0), _run(3.0)], theirs=[_run(1.0), _run(1.0), _run(1.5)]
    )
    assert comparison.ratio == pytest.approx((2.0 * 1.0 * 2.0) ** (1 / 3))
    low, high = comparison.interval
    assert low < comparison.ratio < high
    assert comparison.figure.endswith("x wall")  # nothing counted: judged on time


def test_a_budget_needs_the_count_and_the_timed_interval() -> None:
    walls = [1.00, 1.04, 0.98, 1.02, 1.01, 0.99]
    within = Comparison(
        ours=[_run(w) for w in walls], theirs=[_run(1.0)] * 6, instructions=(103, 100)
    )
    assert within.figure == "1.030x instructions"
    assert within.holds(1.05)
    assert not within.holds(1.02)  # the count is over
    slow = Comparison(
        ours=[_run(1.2 + w / 100) for w in walls], theirs=[_run(1.0)] * 6, instructions=(103, 100)
    )
    assert slow.interval[0] > 1.05
    assert not slow.holds(1.05)  # the timed interval lies wholly above the budget
    assert "wall 1.2" in slow.describe()
    untimed = Comparison(ours=[_run(w) for w in walls], theirs=[_run(1.0)] * 6)
    assert untimed.holds(1.05) == (untimed.ratio <= 1.05)


def test_pairs_alternate_which_side_starts() -> None:
    order: list[str] = []

    def side(name: str) -> ChildRun:
        order.append(name)
        return _run(1.0)

    result = paired(3, lambda: side("ours"), lambda: side("theirs"))
    assert order == ["ours", "theirs", "theirs", "ours", "ours", "theirs"]
    assert result.pairs == 3
    assert math.isclose(result.ratio, 1.0)


@pytest.mark.skipif(valgrind() is None, reason="valgrind is not installed")
def test_instruction_counts_follow_the_work_done() -> None:
    env = dict(os.environ)
    idle = count_instructions([sys.executable, "-S", "-c", "pass"], env=env)
    busy = count_instructions([sys.executable, "-S", "-c", "sum(range(200000))"], env=env)
    assert idle is not None
    assert busy is not None
    assert busy > idle > 1_000_000
    again = count_instructions([sys.executable, "-S", "-c", "pass"], env=env)
    assert again is not None
    assert abs(again - idle) / idle < 0.01  # the count does not move with the machine's load

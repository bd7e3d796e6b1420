"""The performance budgets of docs/budgets.md, measured side by side in one run.

Run ``python -m benchmarks`` (``nox -s bench``) for the full run, or
``python -m benchmarks --quick`` in CI to check that every measurement runs
(values are printed but not judged). See ``BENCHMARKS.md`` for the method and
the last recorded results.
"""

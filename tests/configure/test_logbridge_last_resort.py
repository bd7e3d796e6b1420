"""The logging bridge prints through ``logging.lastResort`` exactly when plain logging would.

Each case is run twice on the same logger tree: once as plain logging (no
bridge) and once with the bridge on the root logger; what reaches stderr
must be the same.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from opentelemetry.sdk._logs import LoggerProvider

from workspace_otel._setup._logbridge import OtelLogHandler

Setup = Callable[[logging.Logger, logging.Logger], None]


@pytest.fixture
def loggers() -> Iterator[tuple[logging.Logger, logging.Logger]]:
    """(root, an application logger), their handlers and levels restored afterwards."""
    root = logging.getLogger()
    app = logging.getLogger("app.last_resort_case")
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in (root, app)]
    root.handlers = []
    app.handlers = []
    app.propagate = True
    yield root, app
    for lg, handlers, level, propagate in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


def _stderr_of(
    monkeypatch: pytest.MonkeyPatch, app: logging.Logger, level: int, message: str
) -> str:
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    app.log(level, message)
    return out.getvalue()


def _quiet_handler(level: int) -> logging.Handler:
    handler = logging.StreamHandler(io.StringIO())
    handler.setLevel(level)
    return handler


def _isolated_app(root: logging.Logger, app: logging.Logger) -> None:
    app.addHandler(_quiet_handler(logging.ERROR))
    app.propagate = False


CASES: dict[str, tuple[Setup, int]] = {
    "no handler, WARNING": (lambda root, app: None, logging.WARNING),
    "no handler, INFO": (lambda root, app: None, logging.INFO),
    "ERROR-level handler on root, WARNING": (
        lambda root, app: root.addHandler(_quiet_handler(logging.ERROR)),
        logging.WARNING,
    ),
    "CRITICAL-level handler on the app logger, ERROR": (
        lambda root, app: app.addHandler(_quiet_handler(logging.CRITICAL)),
        logging.ERROR,
    ),
    "handler below a non-propagating logger, WARNING": (_isolated_app, logging.WARNING),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_bridge_prints_what_plain_logging_prints(
    case: str, loggers: tuple[logging.Logger, logging.Logger], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, app = loggers
    root.handlers = []  # pytest's capture handlers, added for the call phase
    setup, level = CASES[case]
    setup(root, app)
    message = f"case: {case}"
    plain = _stderr_of(monkeypatch, app, level, message)

    provider = LoggerProvider()
    bridge = OtelLogHandler(provider)
    root.addHandler(bridge)
    try:
        bridged = _stderr_of(monkeypatch, app, level, message)
    finally:
        root.removeHandler(bridge)
        provider.shutdown()
    assert bridged == plain
    if case == "no handler, WARNING":
        assert message in plain  # the comparison is not between two empty strings only

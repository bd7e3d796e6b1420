"""P6's instruction count: the cost of one export, start-up and token fetch cancelled out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from benchmarks import _export_count
from benchmarks._common import Options, python_env
from benchmarks._compare import valgrind
from benchmarks._export_count import per_export

from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer


def test_the_difference_of_two_runs_is_divided_by_the_extra_exports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A start of 800M (900M with the provider's imports) plus a fixed cost per export.
    start = {"provider": 900_000_000, "header": 800_000_000}
    each = {"provider": 5_100_000, "header": 5_000_000}
    seen: list[tuple[str, int]] = []

    def fake(args: Sequence[str], *, env: Mapping[str, str], **_: Any) -> int:
        mode, exports = args[-2], int(args[-1])
        seen.append((mode, exports))
        return start[mode] + each[mode] * exports

    monkeypatch.setattr(_export_count, "count_instructions", fake)
    assert per_export({}, few=3, many=13) == (5_100_000, 5_000_000)
    assert sorted(seen) == [("header", 3), ("header", 13), ("provider", 3), ("provider", 13)]


def test_no_valgrind_gives_no_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_export_count, "count_instructions", lambda *a, **k: None)
    assert per_export({}) is None


@pytest.mark.slow
@pytest.mark.skipif(valgrind() is None, reason="valgrind is not installed")
def test_both_children_export_for_real_and_the_provider_costs_little_more() -> None:
    with HttpOtlpReceiver() as receiver, TokenServer(lifetime=3600) as server:
        import requests

        token = requests.post(
            server.token_url,
            data={"grant_type": "client_credentials"},
            auth=("test-client", "test-secret"),
            timeout=10,
        ).json()["access_token"]
        # As the benchmark builds it: none of the caller's OTEL_* settings reach the children.
        env = python_env(
            Options(),
            {
                "P6_TRACES_URL": receiver.traces_url,
                "P6_TOKEN_URL": server.token_url,
                "P6_CLIENT_ID": "test-client",
                "P6_CLIENT_SECRET": "test-secret",
                "P6_TOKEN": token,
            },
        )
        env = {k: v for k, v in env.items() if not k.startswith("COVERAGE_PROCESS_")}
        counted = per_export(env, few=1, many=3)
        # 2 x (1 + 3) exports of 64 spans each reached the receiver, each with a token.
        assert len(receiver.wait_for_spans(2 * 4 * 64)) == 2 * 4 * 64
        assert len(receiver.requests) == 8
        assert all(r.status == 200 and r.token for r in receiver.requests)
    assert counted is not None
    provider, header = counted
    assert header > 100_000  # an export is real work, not a constant
    # Within a few per cent with the exporter's requests transport (1.45.1 on). The
    # exporter 1.45.0 (the lowest allowed) sends through urllib3 directly when it is given
    # no session, and through requests when given one (any credential provider's way):
    # about 13 % more per export, which the lower bound allows. A provider doing another
    # request's worth of work per export (0.5x) fails either way.
    assert 0.8 < header / provider < 1.1

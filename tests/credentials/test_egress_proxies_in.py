"""egress.proxies_in: the proxies requests would pick for a URL, read from a given mapping."""

from __future__ import annotations

import pytest

from workspace_otel._guards.egress import proxies_in

PROXY = "http://proxy.internal:3128"


@pytest.mark.parametrize(
    ("environ", "url", "expected"),
    [
        ({"http_proxy": PROXY}, "http://collector:4318", {"http": PROXY}),
        ({"HTTPS_PROXY": PROXY}, "https://collector:4318", {"https": PROXY}),
        ({"HTTPS_PROXY": "http://upper:1", "https_proxy": PROXY}, "https://c", {"https": PROXY}),
        ({"all_proxy": PROXY}, "https://collector", {"all": PROXY}),
        ({"https_proxy": PROXY}, "http://collector", {}),
        ({"http_proxy": PROXY, "no_proxy": "*"}, "http://collector", {}),
        ({"http_proxy": PROXY, "NO_PROXY": ".internal"}, "http://c.internal", {}),
        ({"http_proxy": PROXY, "no_proxy": "c:4318"}, "http://c:4318/v1/traces", {}),
        ({"http_proxy": PROXY, "no_proxy": "c:4318"}, "http://c:4317", {"http": PROXY}),
        ({"http_proxy": PROXY, "no_proxy": "10.0.0.0/8"}, "http://10.1.2.3", {}),
        ({"http_proxy": PROXY, "no_proxy": "10.0.0.0/8"}, "http://11.1.2.3", {"http": PROXY}),
        ({"http_proxy": PROXY, "no_proxy": "0.0.1"}, "http://127.0.0.1", {"http": PROXY}),
        ({"http_proxy": ""}, "http://collector", {}),
    ],
)
def test_proxies_come_from_the_mapping_as_requests_reads_them(
    environ: dict[str, str], url: str, expected: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process's own variables play no part (a conflicting one is set here)."""
    monkeypatch.setenv("http_proxy", "http://process-proxy:1")
    monkeypatch.setenv("https_proxy", "http://process-proxy:1")
    assert proxies_in(environ, url) == expected

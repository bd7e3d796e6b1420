"""P6 counted: instructions per OTLP/HTTP export, credential provider against a static header.

Both exporters send requests of the same shape and size (the same spans,
an ``authorization: Bearer <token>`` header with a token of the same
service) to the same receiver, so the kernel and the network do the same
work for both; what differs is the work in the exporting process, which an
instruction count measures without the machine's noise. Each side runs in
its own child under cachegrind twice, with a few exports and with many; the
difference divided by the extra exports is the cost of one export, start-up
and token fetch cancelled out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from benchmarks._common import python
from benchmarks._compare import count_instructions

FEW = 5
MANY = 45

# Run as `python -c CHILD <provider|header> <exports>`; the receiver's URL and the token
# service come from the environment (never the command line: the secret stays out of ps).
CHILD = """\
import os, sys
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from benchmarks._inprocess import BATCH_SIZE, span_batch

spans = span_batch(BATCH_SIZE)
mode, exports = sys.argv[1], int(sys.argv[2])
url = os.environ["P6_TRACES_URL"]
if mode == "provider":
    from workspace_otel.credentials import OAuth2ClientCredentialsSource, http_session

    source = OAuth2ClientCredentialsSource(
        os.environ["P6_TOKEN_URL"], os.environ["P6_CLIENT_ID"], os.environ["P6_CLIENT_SECRET"]
    )
    exporter = OTLPSpanExporter(endpoint=url, session=http_session(source))
else:
    token = os.environ["P6_TOKEN"]
    exporter = OTLPSpanExporter(endpoint=url, headers={"authorization": f"Bearer {token}"})
for _ in range(exports):
    if exporter.export(spans) is not SpanExportResult.SUCCESS:
        raise SystemExit("an export failed")
exporter.shutdown()
"""


def per_export(
    env: Mapping[str, str], *, few: int = FEW, many: int = MANY
) -> tuple[float, float] | None:
    """Instructions per export: (credential provider, static header); ``None`` without valgrind.

    Args:
        env: the children's environment, with ``P6_TRACES_URL``, ``P6_TOKEN_URL``,
            ``P6_CLIENT_ID``, ``P6_CLIENT_SECRET`` and ``P6_TOKEN``.

    Raises:
        RuntimeError: a child failed or warned under valgrind.
    """
    runs = [(mode, exports) for mode in ("provider", "header") for exports in (few, many)]

    def count(run: tuple[str, int]) -> int | None:
        mode, exports = run
        return count_instructions(
            [python(), "-c", CHILD, mode, str(exports)], env=env, timeout=900.0
        )

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        counts = list(pool.map(count, runs))
    if any(c is None for c in counts):
        return None
    provider_few, provider_many, header_few, header_many = (int(c or 0) for c in counts)
    extra = many - few
    return (provider_many - provider_few) / extra, (header_many - header_few) / extra

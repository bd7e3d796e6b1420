"""P10: process start with a ``vault`` / ``aws-secretsmanager`` source configured vs ``env:``.

Both children run ``import workspace_otel; workspace_otel.configure()`` with the
same OTLP endpoint and the same (empty) workspace; only the token source
differs. Building a secret-store source does no I/O and imports no client:
hvac and botocore load on the first fetch, which a start without telemetry
never makes. Each child reports whether any of them was imported (one that
was fails the row whatever the timing). The two starts are compared as every
start-up budget is (``_compare``: AB/BA pairs, the geometric mean of the
paired ratios with its interval, instruction counts where valgrind is).
"""

from __future__ import annotations

import json
from functools import partial

from benchmarks._common import ChildRun, Options, Row, python, python_env, run_child
from benchmarks._compare import count_both, count_instructions, paired

CLIENTS = ("hvac", "botocore", "boto3")
TOKEN = "bench-env-token-0123456789abcdef"

_START = (
    "import json, sys\n"
    "import workspace_otel\n"
    "workspace_otel.configure()\n"
    f"clients = sorted(m for m in sys.modules if m.split('.')[0] in {CLIENTS!r})\n"
    "print(json.dumps({'clients': clients}))\n"
)

_STORES = {
    "vault": {
        "WORKSPACE_OTEL_TOKEN_SOURCE": "vault",
        "WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/lightstep#access_token",
        "WORKSPACE_OTEL_VAULT_ROLE": "otel-reader",
        "WORKSPACE_OTEL_VAULT_JWT_SOURCE": "env:BENCH_IDENTITY_TOKEN",
        "BENCH_IDENTITY_TOKEN": TOKEN,
        "VAULT_ADDR": "http://127.0.0.1:8200",
    },
    "aws-secretsmanager": {
        "WORKSPACE_OTEL_TOKEN_SOURCE": "aws-secretsmanager",
        "WORKSPACE_OTEL_AWS_SECRET_ID": "otel/lightstep",
        "WORKSPACE_OTEL_AWS_SECRET_FIELD": "access_token",
        "WORKSPACE_OTEL_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/otel-lightstep-reader",
        "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE": "env:BENCH_IDENTITY_TOKEN",
        "BENCH_IDENTITY_TOKEN": TOKEN,
        "AWS_REGION": "eu-west-1",
    },
}


def p10(options: Options, endpoint: str) -> list[Row]:
    """One row per store: its start against the ``env:`` source's, side by side."""
    common = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "WORKSPACE_OTEL_GIT": "off",
        "OTEL_SERVICE_NAME": "bench",
    }
    env_source = python_env(
        options,
        {**common, "WORKSPACE_OTEL_TOKEN_SOURCE": "env:BENCH_TOKEN", "BENCH_TOKEN": TOKEN},
    )
    rows = []
    for store, variables in _STORES.items():
        store_env = python_env(options, {**common, **variables})
        imported: set[str] = set()

        def ours(env: dict[str, str] = store_env, seen: set[str] = imported) -> ChildRun:
            run = run_child([python(), "-c", _START], env=env)
            seen.update(json.loads(run.stdout.strip().splitlines()[-1])["clients"])
            return run

        def base(env: dict[str, str] = env_source) -> ChildRun:
            return run_child([python(), "-c", _START], env=env)

        ours()
        base()  # warm the pyc files and the page cache for both sides
        comparison = paired(options.pairs_for(100), ours, base)
        if options.instructions:
            comparison.instructions = count_both(
                partial(count_instructions, [python(), "-c", _START], env=store_env),
                partial(count_instructions, [python(), "-c", _START], env=env_source),
            )
        clean = not imported
        rows.append(
            Row(
                "P10",
                f"start with the {store} source vs env:",
                comparison.figure,
                "<= 1.03x, no client imported",
                comparison.holds(1.03) and clean,
                f"{comparison.describe()}; "
                + (f"imported {sorted(imported)}" if imported else "hvac / botocore not imported"),
            )
        )
    return rows

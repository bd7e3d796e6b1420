"""P10: process start with a ``vault`` / ``aws-secretsmanager`` source configured vs ``env:``.

Both children run ``import workspace_otel; workspace_otel.configure()`` with the
same OTLP endpoint and the same (empty) workspace; only the token source
differs. Building a secret-store source does no I/O and imports no client:
hvac and botocore load on the first fetch, which a start without telemetry
never makes. Each child reports whether any of them was imported (one that
was fails the row whatever the timing) and its own CPU time
(``time.process_time()``), which a machine shared with other work disturbs
far less than wall time: the note gives that ratio beside the judged wall one.
"""

from __future__ import annotations

import json

from benchmarks._common import Options, Row, alternate, median, python, python_env, run_child

CLIENTS = ("hvac", "botocore", "boto3")
TOKEN = "bench-env-token-0123456789abcdef"

_START = (
    "import json, sys, time\n"
    "import workspace_otel\n"
    "workspace_otel.configure()\n"
    f"clients = sorted(m for m in sys.modules if m.split('.')[0] in {CLIENTS!r})\n"
    "print(json.dumps({'clients': clients, 'cpu': time.process_time()}))\n"
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
    """One row per store: median start ratio against the ``env:`` source, ABAB."""
    runs = 3 if options.quick else 20
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
        cpu_a: list[float] = []
        cpu_b: list[float] = []

        def ours(
            env: dict[str, str] = store_env, seen: set[str] = imported, cpu: list[float] = cpu_a
        ) -> float:
            run = run_child([python(), "-c", _START], env=env)
            report = json.loads(run.stdout.strip().splitlines()[-1])
            seen.update(report["clients"])
            cpu.append(report["cpu"])
            return run.wall

        def base(env: dict[str, str] = env_source, cpu: list[float] = cpu_b) -> float:
            run = run_child([python(), "-c", _START], env=env)
            cpu.append(json.loads(run.stdout.strip().splitlines()[-1])["cpu"])
            return run.wall

        ours()
        base()  # warm the pyc files and the page cache for both sides
        cpu_a.clear()
        cpu_b.clear()
        a, b = alternate(runs, ours, base)
        cpu_ratio = median(cpu_a) / median(cpu_b)
        ratio = median(a) / median(b)
        clean = not imported
        rows.append(
            Row(
                "P10",
                f"start with the {store} source vs env:",
                f"{ratio:.3f}x",
                "<= 1.03x, no client imported",
                ratio <= 1.03 and clean,
                f"{median(a) * 1e3:.0f} ms vs {median(b) * 1e3:.0f} ms; CPU of the process "
                f"{cpu_ratio:.3f}x; medians of {runs}, ABAB; "
                + (f"imported {sorted(imported)}" if imported else "hvac / botocore not imported"),
            )
        )
    return rows

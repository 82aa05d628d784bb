"""``python -m bench.cold_start [--runs N] [--root DIR]``: the Lambda handlers' cold start.

Each run is a fresh interpreter (as a new Lambda container is) that measures the CPU time
of the process (``time.process_time``: on a shared machine, wall-clock time mostly measures
the neighbours):

- ``import``: ``import gateway.lambda_http`` (the module Lambda loads in its init phase);
- ``init``: ``build_handler()`` (settings, adapters, schema, FastAPI app; no network I/O);
- ``first invoke``: one API Gateway HTTP API event for ``GET /healthz`` through Mangum;
- the same import for ``gateway.lambda_appsync``;
- ``floor``: importing only the web stack every request needs (FastAPI, strawberry,
  graphql-core, Mangum), which no laziness in Vitrine can remove.

It prints medians of ``--runs`` runs and the modules each import loaded, and writes
``docs/cold-start.md``. ``--root`` measures another checkout (``/work/main`` for a before/after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 400.0

_HTTP_PROBE = """
import json, sys, time
t0 = time.process_time()
import gateway.lambda_http as h
t1 = time.process_time()
modules = len(sys.modules)
handler = h.build_handler(configure_logs=False)
t2 = time.process_time()
event = {
    "version": "2.0", "routeKey": "GET /healthz", "rawPath": "/healthz", "rawQueryString": "",
    "headers": {"host": "example.execute-api.eu-west-1.amazonaws.com"},
    "requestContext": {"http": {"method": "GET", "path": "/healthz", "protocol": "HTTP/1.1",
                        "sourceIp": "203.0.113.7"}, "requestId": "bench", "stage": "$default"},
    "isBase64Encoded": False,
}
class Ctx:
    aws_request_id = "bench"
    function_name = "bench"
    memory_limit_in_mb = 1024
answer = handler(event, Ctx())
t3 = time.process_time()
assert answer["statusCode"] == 200, answer
print(json.dumps({"import": t1 - t0, "init": t2 - t1, "invoke": t3 - t2, "modules": modules}))
"""

_APPSYNC_PROBE = """
import json, sys, time
t0 = time.process_time()
import gateway.lambda_appsync
t1 = time.process_time()
print(json.dumps({"import": t1 - t0, "modules": len(sys.modules)}))
"""

_FLOOR_PROBE = """
import json, sys, time
t0 = time.process_time()
import fastapi, strawberry, strawberry.fastapi, graphql, mangum
t1 = time.process_time()
print(json.dumps({"import": t1 - t0, "modules": len(sys.modules)}))
"""


@dataclass(frozen=True)
class Row:
    """One measured phase: the median and the spread of its runs, in milliseconds."""

    name: str
    median_ms: float
    min_ms: float
    max_ms: float
    modules: int | None = None


def _probe(code: str, root: Path) -> dict[str, float]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VITRINE_", "AWS_")) and k not in {"REDIS_URL", "DATABASE_URL"}
    }
    env |= {"PYTHONPATH": str(root), "AWS_DEFAULT_REGION": "eu-west-1"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env=env,
        timeout=120,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(name: str, samples: list[dict[str, float]], key: str) -> Row:
    values = [s[key] * 1000 for s in samples]
    modules = samples[0].get("modules")
    return Row(
        name,
        statistics.median(values),
        min(values),
        max(values),
        None if modules is None else int(modules),
    )


def measure(root: Path, runs: int) -> list[Row]:
    """Median timings of ``runs`` fresh interpreters per probe (probes interleaved)."""
    http: list[dict[str, float]] = []
    appsync: list[dict[str, float]] = []
    floor: list[dict[str, float]] = []
    for _ in range(runs):
        http.append(_probe(_HTTP_PROBE, root))
        appsync.append(_probe(_APPSYNC_PROBE, root))
        floor.append(_probe(_FLOOR_PROBE, root))
    for sample in http:
        sample["total"] = sample["import"] + sample["init"] + sample["invoke"]
    return [
        _row("import gateway.lambda_http", http, "import"),
        Row("build_handler() (init)", *_spread(http, "init")),
        Row("first invoke (GET /healthz)", *_spread(http, "invoke")),
        Row("import + init + first invoke", *_spread(http, "total")),
        _row("import gateway.lambda_appsync", appsync, "import"),
        _row("floor: import fastapi, strawberry, graphql, mangum", floor, "import"),
    ]


def _spread(samples: list[dict[str, float]], key: str) -> tuple[float, float, float]:
    values = [s[key] * 1000 for s in samples]
    return statistics.median(values), min(values), max(values)


def render(rows: list[Row], runs: int, root: Path) -> str:
    """The markdown report."""
    load = os.getloadavg()[0]
    lines = [
        "# Cold start of the Lambda handlers",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.cold_start` "
        f"on {os.cpu_count()} CPUs (load average {load:.2f} at the end), checkout `{root}`; "
        f"process CPU time, median of {runs} fresh interpreters, min and max beside it. Target for the import: "
        f"{TARGET_MS:.0f} ms.",
        "",
        "| phase | median ms | min ms | max ms | modules loaded |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        modules = "" if row.modules is None else str(row.modules)
        lines.append(
            f"| {row.name} | {row.median_ms:.0f} | {row.min_ms:.0f} | {row.max_ms:.0f} "
            f"| {modules} |"
        )
    lines += [
        "",
        "The floor row is the web stack alone: what any request needs before Vitrine's own",
        "code. Optional services load only when configured or first used (PostgreSQL and",
        "SQLAlchemy with DATABASE_URL, redis-py with REDIS_URL, aioboto3/aiohttp on the first",
        "upload or queue call, PyJWT/cryptography and httpx on the first bearer token);",
        "`tests/unit/gateway/test_lambda_http.py` fails if the import loads any of them.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure, print and write ``docs/cold-start.md`` (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    report = render(measure(args.root, args.runs), args.runs, args.root)
    print(report)
    if not args.no_write:
        (ROOT / "docs" / "cold-start.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()

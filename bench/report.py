"""Renders ``docs/benchmarks.md`` from a finished run."""

from __future__ import annotations

import math
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from bench import profiling
from bench.checkout import render_checkout
from bench.notes import notes
from bench.render import render_render

if TYPE_CHECKING:
    from bench.measure import Cell, ProfileResult
    from bench.run import BenchRun
    from bench.scenarios import Scenario

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pynamodb",
    "botocore",
    "moto",
    "httpx",
)
HANDWRITTEN_TARGET = 0.70
NAIVE_TARGET = 3.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_line() -> str:
    """CPU model, cores, memory and OS of this machine, on one line."""
    return (
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores; memory {_memory_gib()}; "
        f"OS: {platform.platform()}; Python {platform.python_version()}"
    )


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _cell(cells: list[Cell], scenario: str, server: str) -> Cell:
    return next(c for c in cells if c.scenario.key == scenario and c.server.key == server)


def _machine(run: BenchRun) -> list[str]:
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    return [
        "## Machine and command",
        "",
        f"- Date: {run.started:%Y-%m-%d %H:%M} UTC (whole run {run.elapsed_seconds:.0f} s)",
        f"- Command: `make bench` (`python -m bench.run {' '.join(run.argv)}`)".replace(
            " `)", "`)"
        ),
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; memory {_memory_gib()}; "
        f"1-minute load average at start {run.load_average:.2f}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        "",
    ]


def _setup(run: BenchRun) -> list[str]:
    plan, catalog = run.plan, run.catalog
    return [
        "## What runs",
        "",
        "- **Data source**: moto server (DynamoDB and S3) as a child process on loopback, one table "
        "and one bucket, the demo catalog seeded once "
        f"({catalog.products} products: the 30 demo products plus showroom copies so that "
        f"`{catalog.listing_category}` holds {catalog.listing_total}; load took "
        f"{catalog.seed_seconds:.0f} s). Asset URLs are presigned S3 URLs (the `AssetUrls` adapter).",
        "- **Servers**, each its own uvicorn process (one worker, uvloop, httptools, no access "
        "log), started one at a time so they never compete for the cores:",
        "  - **A**: the gateway as built by `create_app` (profile `test`, DataLoaders and resolver cache on);",
        "  - **B**: `bench/handwritten.py`, plain FastAPI endpoints calling the same "
        "`DynamoDBCatalog` methods by hand, batched by hand, `ORJSONResponse`;",
        "  - **C**: the gateway with `VITRINE_DATALOADERS=false VITRINE_RESOLVER_CACHE=false` "
        "(one data-source call per key).",
        f"- **Load**: a closed loop of {plan.concurrency} concurrent keep-alive httpx clients in the "
        f"driver process; per cell {plan.warmup_seconds:.0f} s warm-up, then "
        f"{plan.seconds:.0f} s measured (at most {plan.max_requests} requests).",
        *(
            [
                "- **Rate limit off** (`VITRINE_RATE_LIMIT=false`): one driver sends everything "
                "with one API key, so the per-client quota would measure itself; query cost "
                "analysis still runs on every request."
            ]
            if getattr(run.settings, "rate_limit", None) is False
            else []
        ),
        "- **Other processes**: before each measurement the driver waits until processes "
        "outside the benchmark use under 10% of the CPU, and measures a disturbed cell again "
        "(waits and re-measurements share a budget; see *others busy* and the notes).",
        "- **Checks before measuring**: no errors, the listings return 24 products, and B's JSON "
        "and C's `data` equal A's `data` (URL query strings, which carry presigning dates, "
        "excepted). All passed in this run.",
        "",
        "Scenarios:",
        "",
        *[f"- **{s.key}**: {s.title}, `{s.operation}`" for s in _scenarios(run)],
        "",
    ]


def _scenarios(run: BenchRun) -> list[Scenario]:
    seen: dict[str, Scenario] = {}
    for cell in run.cells:
        seen.setdefault(cell.scenario.key, cell.scenario)
    return list(seen.values())


def _results(run: BenchRun) -> list[str]:
    lines = [
        "## Results",
        "",
        "| scenario | server | req/s | p50 ms | p99 ms | errors / requests | round trips / req "
        "| server CPU ms / req | moto CPU ms / req | bench busy | others busy |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    cores = os.cpu_count() or 1
    for cell in run.cells:
        load, cpu = cell.load, cell.cpu
        lines.append(
            f"| {cell.scenario.key} | {cell.server.label} | {load.requests_per_second:.1f} "
            f"| {_ms(load.percentile_ms(50))} | {_ms(load.percentile_ms(99))} "
            f"| {load.errors} / {load.requests} | {cell.trips.mean:.1f} "
            f"| {cell.per_request_ms(cpu.server):.1f} | {cell.per_request_ms(cpu.moto):.1f} "
            f"| {cell.bench_busy:.0%} | {cell.others_busy:.0%} |"
        )
    lines += [
        "",
        "Server CPU is the uvicorn process (all threads); moto CPU is the data source's own "
        "work for those requests. *bench busy* is server, moto and load driver together, "
        f"*others busy* every other process on the machine, each as a share of {cores} cores x "
        "the measured window (from /proc; anything well above 0% in *others busy* means the "
        "figures in that row were disturbed).",
        "",
    ]
    return lines


def _verdict(value: float, target: float) -> str:
    return "**met**" if value >= target else "**not met**"


def _ratios(run: BenchRun) -> list[str]:
    lines = [
        "## Ratios against the targets",
        "",
        "Measured ratios are of requests per second. The CPU columns divide the servers' CPU per "
        "request the other way round: what the ratio would be if each server's own CPU were "
        "the bottleneck and the data source cost nothing (an estimate, not a measurement).",
        "",
        "| scenario | GraphQL / hand-written | target >= 0.70 | GraphQL / naive | target >= 3x "
        "| CPU estimate vs hand-written | CPU estimate vs naive |",
        "|---|--:|---|--:|---|--:|--:|",
    ]
    for scenario in _scenarios(run):
        graphql = _cell(run.cells, scenario.key, "graphql")
        hand = _cell(run.cells, scenario.key, "handwritten")
        naive = _cell(run.cells, scenario.key, "naive")
        vs_hand = _ratio(graphql.load.requests_per_second, hand.load.requests_per_second)
        vs_naive = _ratio(graphql.load.requests_per_second, naive.load.requests_per_second)
        cpu_hand = _ratio(_server_ms(hand), _server_ms(graphql))
        cpu_naive = _ratio(_server_ms(naive), _server_ms(graphql))
        naive_verdict = _verdict(vs_naive, NAIVE_TARGET) if scenario.listing else "(no target)"
        lines.append(
            f"| {scenario.key} | {vs_hand:.2f} | {_verdict(vs_hand, HANDWRITTEN_TARGET)} "
            f"| {vs_naive:.2f}x | {naive_verdict} | {cpu_hand:.2f} | {cpu_naive:.2f}x |"
        )
    lines.append("")
    return lines


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def _server_ms(cell: Cell) -> float:
    return cell.per_request_ms(cell.cpu.server)


def _moto_ms(cell: Cell) -> float:
    return cell.per_request_ms(cell.cpu.moto)


def _trips(run: BenchRun) -> list[str]:
    lines = [
        "## Data-source round trips per request",
        "",
        "GraphQL servers report them in `extensions.dataSources` (test profile); the hand-written "
        "endpoints count them with the same `datasources.instrumentation.call_log` and return "
        "them in the `x-datasource-calls` header. Means over one pass of each scenario's requests.",
        "",
        "| scenario | server | total | by operation |",
        "|---|---|--:|---|",
    ]
    for cell in run.cells:
        calls = ", ".join(
            f"{name} {count:g}" for name, count in cell.trips.per_request_calls().items()
        )
        lines.append(
            f"| {cell.scenario.key} | {cell.server.label} | {cell.trips.mean:.1f} | {calls} |"
        )
    lines.append("")
    return lines


def _rollup(buckets: dict[str, float], worker_ms: float) -> list[tuple[str, float]]:
    graphql = buckets.get(profiling.GRAPHQL, 0) + buckets.get(profiling.JSON_ENCODING, 0)
    sources = buckets.get(profiling.ADAPTERS, 0) + buckets.get(profiling.URLS, 0) + worker_ms
    http = buckets.get(profiling.HTTP, 0)
    rest = buckets.get(profiling.LOOP, 0) + buckets.get(profiling.OTHER, 0)
    return [
        ("GraphQL execution and serialisation", graphql),
        ("data sources (adapters on the loop, URL presigning, PynamoDB/botocore threads)", sources),
        ("HTTP framework", http),
        ("event loop, thread hand-off, other", rest),
    ]


def _profile_section(result: ProfileResult) -> list[str]:
    buckets = result.bucket_ms()
    total = result.main_cpu_ms + result.worker_cpu_ms
    lines = [
        f"### {result.scenario.key}: {result.scenario.title}",
        "",
        f"One request at a time, {result.requests} requests: mean latency "
        f"{result.latency_ms:.1f} ms, of which {result.datasource_wall_ms:.1f} ms wall time inside "
        f"data-source calls (`extensions.dataSources.seconds`, round trips overlap). Gateway CPU "
        f"{total:.1f} ms per request ({result.main_cpu_ms:.1f} ms on the event-loop thread, "
        f"{result.worker_cpu_ms:.1f} ms in PynamoDB worker threads); moto used "
        f"{result.moto_cpu_ms:.1f} ms CPU per request.",
        "",
        "| where the gateway's CPU goes | ms / request | share |",
        "|---|--:|--:|",
    ]
    for name, value in _rollup(buckets, result.worker_cpu_ms):
        lines.append(f"| {name} | {value:.1f} | {value / total:.0%} |")
    lines += ["", "Event-loop thread, finer:", "", "| bucket | ms / request |", "|---|--:|"]
    for name, value in buckets.items():
        lines.append(f"| {name} | {value:.2f} |")
    runs, mean_ms = result.gc_full()
    lines += [
        f"| PynamoDB/botocore worker threads (from /proc) | {result.worker_cpu_ms:.2f} |",
        "",
        f"Garbage collector (plain run): {result.gc_ms():.1f} ms per request on average, "
        f"{runs} full collections of ~{mean_ms:.0f} ms each in {result.requests} requests. "
        "cProfile charges these pauses to whatever function was allocating, so they hide "
        "inside the buckets above.",
        "",
    ]
    return lines


def _top_functions(result: ProfileResult) -> list[str]:
    per_request = 1000 / result.requests
    lines = [
        f"Costliest functions on the event-loop thread ({result.scenario.key}, own CPU time "
        "under cProfile, which inflates many small calls):",
        "",
        "| function | bucket | calls / req | own ms / req | cumulative ms / req |",
        "|---|---|--:|--:|--:|",
    ]
    for row in result.top:
        lines.append(
            f"| `{row['function']}` | {row['bucket'].split(' (')[0]} "
            f"| {row['calls'] / result.requests:.0f} | {row['own_seconds'] * per_request:.2f} "
            f"| {row['cumulative_seconds'] * per_request:.2f} |"
        )
    lines.append("")
    return lines


def _profiles(run: BenchRun) -> list[str]:
    size = run.settings.query_cache_size
    lines = [
        "## Profile of the GraphQL path (A)",
        "",
        "A separate (A) server, one request at a time: first plain, for CPU per thread from "
        "`/proc` (the event-loop thread, and the worker threads where PynamoDB runs) and for "
        "garbage-collector time, then again under cProfile on the event-loop thread to split its "
        "CPU by layer (builtins and stdlib helpers count for the layer that called them). The "
        "split is applied to the plain measurement: cProfile's per-call overhead inflated "
        "event-loop time by "
        + ", ".join(
            f"{p.profiled_main_cpu_ms / p.main_cpu_ms:.1f}x ({p.scenario.key})"
            for p in run.profiles
            if p.main_cpu_ms
        )
        + ").",
        "",
        f"Parser and validation caches: strawberry `ParserCache` and `ValidationCache`, each "
        f"bounded to `query_cache_size` = {size} entries (`VITRINE_QUERY_CACHE_SIZE`), so "
        "repeated operations skip parsing and validation after the warm-up.",
        "",
    ]
    for result in run.profiles:
        lines += _profile_section(result)
    listing = [p for p in run.profiles if p.scenario.listing]
    if listing:
        lines += _top_functions(listing[-1])
    return lines


def render(run: BenchRun) -> str:
    """The whole Markdown report."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand, run it again.",
        "",
        *_machine(run),
        *_setup(run),
        *_results(run),
        *_ratios(run),
        *_trips(run),
        *_profiles(run),
        *(render_checkout(run.checkout) if run.checkout is not None else []),
        *(render_render(run.rendering) if run.rendering is not None else []),
        "## Notes",
        "",
        *notes(run),
    ]
    return "\n".join(lines).rstrip() + "\n"

"""``python -m bench.run``: the whole benchmark in one run; writes ``docs/benchmarks.md``.

1. moto server as a child process; table and bucket provisioned; demo catalog seeded once.
2. Three uvicorn servers, one at a time: (A) the gateway, (B) hand-written endpoints,
   (C) the gateway with DataLoaders and the resolver cache off.
3. The same load on each: checks first, warm-up, then fixed concurrency for a fixed time.
4. A CPU profile of (A), one request at a time.
5. Checkout (``bench.checkout``): the oversell check repeated with random seeds on real
   PostgreSQL, and checkoutComplete over HTTP next to a flow without idempotency and
   reservations. ``--only checkout`` runs just this part (``--only api`` skips it).
6. Rendering (``bench.render``): poster and turntable times and triangles/s on the GL
   device EGL finds (Mesa on CPU, NVIDIA on a GPU host). ``--only render`` runs just this.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import uvloop

from bench.catalog import BenchCatalog, load_catalog
from bench.checkout import CheckoutBench, render_checkout, run_checkout_bench
from bench.checks import check_server
from bench.measure import (
    Cell,
    LoadPlan,
    ProfileResult,
    QuietGate,
    ServerSpec,
    measure_cell,
    profile_scenario,
)
from bench.processes import ROOT, Child, app_server, free_port, moto_server, wait_until_idle
from bench.render import RenderBench, render_render, run_render_bench
from bench.report import render
from bench.scenarios import Scenario, build_scenarios
from gateway.bootstrap import build_services
from gateway.settings import Settings

SERVERS = (
    ServerSpec("graphql", "A: GraphQL gateway (DataLoaders, resolver cache)", "graphql"),
    ServerSpec("handwritten", "B: hand-written FastAPI JSON", "handwritten"),
    ServerSpec(
        "naive",
        "C: GraphQL, DataLoaders and resolver cache off",
        "graphql",
        {"VITRINE_DATALOADERS": "false", "VITRINE_RESOLVER_CACHE": "false"},
    ),
)


@dataclass
class BenchRun:
    """Everything the report needs."""

    started: datetime
    load_average: float
    argv: list[str]
    plan: LoadPlan
    catalog: BenchCatalog
    settings: Settings
    cells: list[Cell]
    profiles: list[ProfileResult]
    gate: QuietGate
    elapsed_seconds: float = 0.0
    checkout: CheckoutBench | None = None
    rendering: RenderBench | None = None


def bench_environment(moto_port: int) -> dict[str, str]:
    """Child-process environment: moto for AWS, fresh table and bucket names, no quotas."""
    suffix = uuid.uuid4().hex[:8]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VITRINE_", "AWS_")) and k not in {"REDIS_URL", "DATABASE_URL"}
    }
    env.update(
        {
            "VITRINE_PROFILE": "test",
            "VITRINE_LOG_LEVEL": "WARNING",
            # One driver sends every request with one API key: measure capacity, not quota.
            "VITRINE_RATE_LIMIT": "false",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "VITRINE_CATALOG_TABLE": f"bench-catalog-{suffix}",
            "VITRINE_ASSET_BUCKET": f"bench-assets-{suffix}",
        }
    )
    return env


def say(message: str) -> None:
    """Print a progress line of the benchmark."""
    print(f"[bench] {message}", flush=True)


async def _run_server(
    spec: ServerSpec,
    env: dict[str, str],
    scenarios: list[Scenario],
    plan: LoadPlan,
    moto: Child,
    log_dir: Path,
    reference: dict[str, object],
    gate: QuietGate,
) -> list[Cell]:
    port = free_port()
    server = app_server(spec.kind, port, {**env, **spec.env}, log_dir, spec.key)
    server.start()
    base_url = f"http://127.0.0.1:{port}"
    cells: list[Cell] = []
    try:
        for scenario in scenarios:
            trips = await check_server(
                base_url, scenario, graphql=spec.graphql, reference=reference
            )
            pids = (server.pid, moto.pid)
            attempt = partial(measure_cell, base_url, scenario, spec, trips, plan, pids)
            cell = await gate.measure(pids, attempt, say)
            load = cell.load
            say(
                f"{spec.key:<11} {scenario.key:<12} {load.requests_per_second:7.1f} req/s  "
                f"p50 {load.percentile_ms(50):7.1f} ms  p99 {load.percentile_ms(99):7.1f} ms  "
                f"errors {load.errors}/{load.requests}  round trips {trips.mean:.1f}"
            )
            if load.first_error:
                say(f"first error: {load.first_error}")
            cells.append(cell)
    finally:
        server.stop()
        wait_until_idle(moto.pid)
    return cells


async def _profile(
    env: dict[str, str],
    scenarios: list[Scenario],
    count: int,
    moto: Child,
    log_dir: Path,
    gate: QuietGate,
) -> list[ProfileResult]:
    port = free_port()
    server = app_server("graphql", port, env, log_dir, "graphql-profile", profile=True)
    server.start()
    try:
        results = []
        for scenario in scenarios:
            pids = (server.pid, moto.pid)
            url = f"http://127.0.0.1:{port}"
            attempt = partial(profile_scenario, url, scenario, count, pids)
            result = await gate.measure(pids, attempt, say)
            say(
                f"profile {scenario.key:<12} {result.latency_ms:6.1f} ms/request, "
                f"loop CPU {result.main_cpu_ms:.1f} ms, worker CPU {result.worker_cpu_ms:.1f} ms"
            )
            results.append(result)
        return results
    finally:
        server.stop()


async def _checkout(args: argparse.Namespace, env: dict[str, str], log_dir: Path) -> CheckoutBench:
    return await run_checkout_bench(
        env,
        log_dir,
        database_url=args.database_url,
        oversell_seconds=args.oversell_seconds,
        oversell_shoppers=args.oversell_shoppers,
        concurrency=args.checkout_concurrency,
        warmup_seconds=args.checkout_warmup,
        seconds=args.checkout_duration,
    )


async def run_checkout_only(args: argparse.Namespace) -> CheckoutBench:
    """Only the checkout part (moto for the catalog, PostgreSQL for the rest)."""
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        log_dir = Path(tmp)
        moto_port = free_port()
        env = bench_environment(moto_port)
        moto = moto_server(moto_port, env, log_dir)
        moto.start()
        try:
            return await _checkout(args, env, log_dir)
        finally:
            moto.stop()


async def run(args: argparse.Namespace) -> BenchRun:
    """Start the stack, seed, measure every server, profile (A)."""
    started = datetime.now(UTC)
    load_average = os.getloadavg()[0]
    if load_average > 0.5:
        say(f"warning: load average {load_average:.2f}; other processes will disturb the figures")
    plan = LoadPlan(args.concurrency, args.warmup, args.duration, args.max_requests)
    gate = QuietGate(args.max_wait, args.retries)
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        log_dir = Path(tmp)
        moto_port = free_port()
        env = bench_environment(moto_port)
        moto = moto_server(moto_port, env, log_dir)
        moto.start()
        try:
            ours = {k: v for k, v in env.items() if k.startswith(("VITRINE_", "AWS_"))}
            settings = Settings(**ours)  # type: ignore[arg-type]
            say("seeding the demo catalog (builds 30 procedural 3D models) ...")
            services = build_services(settings)
            try:
                catalog = await load_catalog(services)
            finally:
                await services.blobs.close()
            say(
                f"catalog: {catalog.products} products, {catalog.listing_total} under "
                f"{catalog.listing_category!r}, loaded in {catalog.seed_seconds:.0f} s"
            )
            scenarios = build_scenarios(catalog)
            reference: dict[str, object] = {}
            cells: list[Cell] = []
            for spec in SERVERS:
                cells += await _run_server(
                    spec, env, scenarios, plan, moto, log_dir, reference, gate
                )
            profiles = await _profile(env, scenarios, args.profile_requests, moto, log_dir, gate)
            checkout = await _checkout(args, env, log_dir) if args.only == "all" else None
        finally:
            moto.stop()
    result = BenchRun(
        started, load_average, args.argv, plan, catalog, settings, cells, profiles, gate
    )
    result.checkout = checkout
    if args.only == "all":
        result.rendering = run_render_bench(say)
    result.elapsed_seconds = (datetime.now(UTC) - started).total_seconds()
    return result


def _write_section(output: Path | None, lines: list[str]) -> None:
    section = "\n".join(lines).rstrip() + "\n"
    if output is None:
        print(section)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(section)
        say(f"wrote {output}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per cell")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per cell")
    parser.add_argument("--profile-requests", type=int, default=25, help="per scenario")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=180.0,
        help="seconds in all to wait for other processes to leave the CPU",
    )
    parser.add_argument(
        "--retries", type=int, default=1, help="re-measurements of a disturbed cell"
    )
    parser.add_argument(
        "--only",
        choices=("all", "api", "checkout", "render"),
        default="all",
        help="api: skip the checkout and render parts; checkout or render: only that part "
        "(report to --output if given)",
    )
    parser.add_argument(
        "--oversell-seconds", type=float, default=60.0, help="budget of the oversell runs"
    )
    parser.add_argument("--oversell-shoppers", type=int, default=200, help="per oversell run")
    parser.add_argument("--checkout-concurrency", type=int, default=50)
    parser.add_argument("--checkout-warmup", type=float, default=3.0, help="seconds per flow")
    parser.add_argument("--checkout-duration", type=float, default=15.0, help="seconds per flow")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL server for the checkout part (default: DATABASE_URL, else "
        "127.0.0.1:5432, else a private temporary cluster); a fresh database is made on it",
    )
    parser.add_argument("--output", type=Path, default=None, help="default docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    if args.only == "render":
        rendering = run_render_bench(say)
        _write_section(args.output, render_render(rendering))
        say(f"render part took {rendering.elapsed_seconds:.0f} s")
        return
    if args.only == "checkout":
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            checkout = runner.run(run_checkout_only(args))
        section = "\n".join(render_checkout(checkout)).rstrip() + "\n"
        if args.output is None:
            print(section)
        else:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(section)
            say(f"wrote {args.output}")
        say(f"checkout part took {checkout.elapsed_seconds:.0f} s")
        return
    args.output = args.output or ROOT / "docs" / "benchmarks.md"
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(run(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(result))
    say(f"wrote {args.output} ({result.elapsed_seconds:.0f} s in all)")


if __name__ == "__main__":
    main()

"""Subscription fan-out: ``python -m bench.subscriptions`` writes
``docs/benchmarks-subscriptions.md`` (part of ``make bench``).

1. moto (catalog) and a fresh PostgreSQL database (stock), the checkout bench's products.
2. Baseline: a bare Starlette broadcast server (``bench.broadcast_server``) with the same
   number of sockets, pushing the same ``next`` message; no GraphQL, bus or auth.
3. One gateway (uvicorn child, the in-process bus): N subscribers of
   ``onInventoryChanged(sku)`` over graphql-transport-ws, each its own Cognito user; a merchant
   admin's ``inventoryAdjust`` over HTTP is the broadcast, repeated.
4. Two gateways sharing Redis pub/sub, N subscribers on each, the mutation through the first.

Subscribers live in several driver processes (``bench.subscribers``); every delivery is
stamped with the machine's monotonic clock, the clock the mutation's send time is read on.
Gateway memory per idle connection is the RSS growth from opening the N subscriptions,
divided by N. Each subscriber must get each broadcast exactly once; a miss or a duplicate is
reported as an error and the command exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import uvloop

from bench.baseline import TOKEN_PREFIX
from bench.checkout import stock_catalog
from bench.fanout import Broadcast, FanoutTally, tally
from bench.measure import QuietGate
from bench.processes import (
    ROOT,
    Child,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    moto_server,
    rss_bytes,
    wait_until_idle,
)
from bench.run import bench_environment, say
from bench.subscribers import SubscriberPool, Subscription
from gateway.local_stack.scratch_databases import postgres_server, reachable, scratch_database
from gateway.settings import Settings
from resolvers.global_ids import to_global_id

ON_INVENTORY = (
    "subscription OnInventory($sku: String!) { onInventoryChanged(sku: $sku) { sku available } }"
)
INVENTORY_ADJUST = """mutation Adjust($productId: ID!, $sku: String!) {
  inventoryAdjust(productId: $productId, sku: $sku, delta: 1, reason: RECEIVED) {
    __typename
    ... on InventoryAdjustSuccess { stock { available } }
    ... on InventoryAdjustError { code message }
  }
}"""
MERCHANT = {"authorization": f"Bearer {TOKEN_PREFIX}bench-merchant:admin"}
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks-subscriptions.md"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
WARMUP_SUBSCRIBERS = 20


@dataclass(frozen=True)
class Plan:
    """How many subscribers, drivers and broadcasts."""

    subscribers: int
    drivers: int
    broadcasts: int
    pause_seconds: float
    delivery_timeout: float


@dataclass(frozen=True)
class Server:
    """A server under test: its process and where it listens."""

    child: Child
    port: int

    @property
    def http_url(self) -> str:
        """Base URL for HTTP."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The subscription endpoint."""
        return f"ws://127.0.0.1:{self.port}/graphql"


@dataclass
class Window:
    """CPU seconds over the broadcasts: servers, drivers, and the whole machine."""

    servers: float = 0.0
    drivers: float = 0.0
    bench: float = 0.0
    """servers, drivers, moto and this process."""
    machine: float = 0.0
    wall: float = 0.0

    @property
    def others_busy(self) -> float:
        """Share of the machine used by anything else (PostgreSQL, Redis, other users)."""
        capacity = self.wall * (os.cpu_count() or 1)
        return max(self.machine - self.bench, 0.0) / capacity if capacity else 0.0


@dataclass(frozen=True)
class Memory:
    """RSS of a server before and after opening ``connections`` idle subscriptions."""

    before: int
    after: int
    connections: int

    @property
    def per_connection(self) -> float:
        """Bytes per idle connection."""
        return (self.after - self.before) / self.connections if self.connections else 0.0


@dataclass
class Phase:
    """One fan-out scenario's results."""

    key: str
    title: str
    servers: int
    subscribers: int
    drivers: int
    open_seconds: float
    tally: FanoutTally
    memory: list[Memory]
    window: Window
    other_frames: list[str] = field(default_factory=list)

    @property
    def driver_ms_per_message(self) -> float:
        """Driver CPU per delivered message."""
        delivered = sum(b.delivered for b in self.tally.broadcasts)
        return self.window.drivers * 1000 / delivered if delivered else float("nan")

    @property
    def server_ms_per_message(self) -> float:
        """Server CPU (all servers) per delivered message, the mutation included."""
        delivered = sum(b.delivered for b in self.tally.broadcasts)
        return self.window.servers * 1000 / delivered if delivered else float("nan")


@dataclass
class SubscriptionBench:
    """Everything the report prints."""

    started: datetime
    argv: list[str]
    plan: Plan
    load_average: float
    load_average_end: float = 0.0
    phases: list[Phase] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    quiet_waited_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every phase delivered every broadcast exactly once."""
        return all(p.tally.exactly_once and not p.other_frames for p in self.phases)


Trigger = Callable[[], Awaitable[Broadcast]]


@dataclass(frozen=True)
class Setup:
    """What every phase shares: the plan, the SKU subscribed to, moto, the quiet gate."""

    plan: Plan
    sku: str
    data_pid: int
    """The data source (moto): its CPU counts as the bench's, and the quiet gate watches it."""
    gate: QuietGate
    log_dir: Path


def gateway_trigger(client: httpx.AsyncClient, product_id: str, sku: str) -> Trigger:
    """``inventoryAdjust`` (+1 unit) as a merchant admin; the marker is the units available
    after it, which the event carries."""
    body = orjson.dumps(
        {
            "query": INVENTORY_ADJUST,
            "variables": {"productId": to_global_id("Product", product_id), "sku": sku},
        }
    )

    async def trigger() -> Broadcast:
        sent = time.monotonic()
        response = await client.post(
            "/graphql", content=body, headers={**MERCHANT, "content-type": "application/json"}
        )
        answered = time.monotonic()
        result = response.json()
        adjusted = (result.get("data") or {}).get("inventoryAdjust") or {}
        if result.get("errors") or adjusted.get("__typename") != "InventoryAdjustSuccess":
            raise RuntimeError(f"inventoryAdjust failed: {response.text[:400]}")
        return Broadcast(int(adjusted["stock"]["available"]), sent, answered)

    return trigger


def baseline_trigger(client: httpx.AsyncClient, sku: str) -> Trigger:
    """``POST /broadcast`` on the bare server, with markers counting up from 1."""
    counter = iter(range(1, sys.maxsize))

    async def trigger() -> Broadcast:
        marker = next(counter)
        sent = time.monotonic()
        response = await client.post("/broadcast", json={"sku": sku, "available": marker})
        answered = time.monotonic()
        response.raise_for_status()
        return Broadcast(marker, sent, answered)

    return trigger


async def _subscribers_on(server: Server) -> int:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as client:
        response = await client.get("/_bench/subscribers")
        response.raise_for_status()
        return int(response.json()["inventory"])


async def _await_subscribers(servers: Sequence[Server], expected: Sequence[int]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = [await _subscribers_on(s) for s in servers]
        if all(c >= e for c, e in zip(counts, expected, strict=True)):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"subscriptions not registered: {counts} of {list(expected)}")


def _inits(server_number: int, count: int) -> list[dict[str, str]]:
    """One Cognito user per subscriber (the per-identity connection limit stays as shipped)."""
    return [
        {"Authorization": f"Bearer {TOKEN_PREFIX}subscriber-{server_number}-{n}"}
        for n in range(count)
    ]


def _cpu(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def run_phase(
    key: str,
    title: str,
    servers: Sequence[Server],
    trigger: Trigger,
    setup: Setup,
    *,
    subscribers: int,
    broadcasts: int,
    gate: QuietGate | None,
) -> Phase:
    """Open ``subscribers`` on each server, broadcast (one warm-up, then ``broadcasts``),
    collect and tally; RSS of each server before and after opening."""
    plan, sku = setup.plan, setup.sku
    subscription_for = [Subscription(s.ws_url, ON_INVENTORY, {"sku": sku}) for s in servers]
    drivers_each = max(1, plan.drivers // len(servers))
    pools = [
        SubscriberPool(subscription_for[n], _inits(n, subscribers), drivers_each)
        for n in range(len(servers))
    ]
    before_counts = [await _subscribers_on(s) for s in servers]
    before_rss = [rss_bytes(s.child.pid) for s in servers]
    started = time.perf_counter()
    try:
        for pool in pools:
            await pool.open(setup.log_dir)
        await _await_subscribers(servers, [c + subscribers for c in before_counts])
        open_seconds = time.perf_counter() - started
        for server in servers:
            await asyncio.to_thread(wait_until_idle, server.child.pid)
        memory = [
            Memory(before, rss_bytes(s.child.pid), subscribers)
            for s, before in zip(servers, before_rss, strict=True)
        ]
        server_pids = [s.child.pid for s in servers]
        driver_pids = [pid for pool in pools for pid in pool.pids]
        bench_pids = [*server_pids, *driver_pids, setup.data_pid, os.getpid()]
        window = Window()
        sent: list[Broadcast] = []
        for number in range(broadcasts + 1):
            if gate is not None:
                await gate.wait((server_pids[0], setup.data_pid))
            marks = (_cpu(server_pids), _cpu(driver_pids), _cpu(bench_pids))
            machine, wall = machine_busy_seconds(), time.perf_counter()
            broadcast = await trigger()
            sent.append(
                Broadcast(broadcast.marker, broadcast.sent_at, broadcast.answered_at, number == 0)
            )
            received = await asyncio.gather(
                *(pool.wait(number + 1, plan.delivery_timeout) for pool in pools)
            )
            if number > 0:
                window.servers += _cpu(server_pids) - marks[0]
                window.drivers += _cpu(driver_pids) - marks[1]
                window.bench += _cpu(bench_pids) - marks[2]
                window.machine += machine_busy_seconds() - machine
                window.wall += time.perf_counter() - wall
            say(
                f"{key}: broadcast {number}: {sum(received)} messages in all, "
                f"{time.monotonic() - broadcast.sent_at:.2f} s after the send"
            )
            await asyncio.sleep(plan.pause_seconds)
        deliveries: list[list[tuple[float, int]]] = []
        other: list[str] = []
        for pool in pools:
            got, frames = await pool.collect()
            deliveries += got
            other += frames
    finally:
        for pool in pools:
            await pool.close()
    result = tally(sent, deliveries)
    phase = Phase(
        key=key,
        title=title,
        servers=len(servers),
        subscribers=subscribers * len(servers),
        drivers=drivers_each * len(servers),
        open_seconds=open_seconds,
        tally=result,
        memory=memory,
        window=window,
        other_frames=other,
    )
    measured = result.latencies_ms
    say(
        f"{key}: {len(measured)} deliveries, missed {result.missed}, duplicated "
        f"{result.duplicated}, unexpected {result.unexpected}; "
        f"{', '.join(f'{m.per_connection / 1024:.1f} KiB/conn' for m in memory)}"
    )
    return phase


def start_server(kind: str, env: dict[str, str], log_dir: Path, name: str) -> Server:
    """A ``baseline`` broadcast server, or a ``graphql`` gateway (bench static tokens, the
    subscriber counter), started as a child process."""
    """A ``baseline`` broadcast server or a ``graphql`` gateway (bench static tokens, the
    subscriber counter) as a child process, started."""
    port = free_port()
    if kind == "baseline":
        argv = [sys.executable, "-m", "bench.broadcast_server", "--port", str(port)]
    else:
        argv = [sys.executable, "-m", "bench.serve", "graphql", "--port", str(port)]
        argv += ["--static-tokens", "--subscriber-count"]
    child = Child(name, argv, f"http://127.0.0.1:{port}/healthz", env, log_dir)
    child.start(timeout=120)
    return Server(child, port)


async def _measured(
    key: str,
    title: str,
    servers: list[Server],
    make_trigger: Callable[[httpx.AsyncClient], Trigger],
    setup: Setup,
) -> Phase:
    """A small warm-up round on ``servers`` (imports, caches, the first connections), then the
    measured phase; the servers are stopped afterwards."""
    plan = setup.plan
    try:
        async with httpx.AsyncClient(base_url=servers[0].http_url, timeout=60) as client:
            trigger = make_trigger(client)
            warmup = await run_phase(
                f"{key}-warmup",
                title,
                servers,
                trigger,
                setup,
                subscribers=WARMUP_SUBSCRIBERS,
                broadcasts=1,
                gate=None,
            )
            if not warmup.tally.exactly_once:
                raise RuntimeError(f"{key}: the warm-up round did not deliver exactly once")
            return await run_phase(
                key,
                title,
                servers,
                trigger,
                setup,
                subscribers=plan.subscribers,
                broadcasts=plan.broadcasts,
                gate=setup.gate,
            )
    finally:
        for server in servers:
            server.child.stop()


async def run_bench(
    plan: Plan, bench: SubscriptionBench, redis_url: str, database_url: str | None, log_dir: Path
) -> None:
    """Every phase, into ``bench``."""
    started = time.perf_counter()
    moto_port = free_port()
    env = bench_environment(moto_port)
    moto = moto_server(moto_port, env, log_dir)
    moto.start()
    try:
        with postgres_server(database_url) as (admin_url, _):
            async with scratch_database(admin_url, "vitrine_bench_subs") as url:
                env["DATABASE_URL"] = url
                values = {k: v for k, v in env.items() if k.startswith(("VITRINE_", "AWS_"))}
                settings = Settings(**{**values, "DATABASE_URL": url})  # type: ignore[arg-type]
                product_id, sku = (await stock_catalog(settings))[0]
                setup = Setup(plan, sku, moto.pid, QuietGate(180, retries=0), log_dir)
                await _phases(bench, setup, env, product_id, redis_url)
                bench.quiet_waited_seconds = setup.gate.waited_seconds
    finally:
        moto.stop()
    bench.elapsed_seconds = time.perf_counter() - started
    bench.load_average_end = os.getloadavg()[0]


def _gateway_env(env: dict[str, str], log_dir: Path, name: str, **extra: str) -> dict[str, str]:
    """The gateway's environment with a search index of its own (two processes cannot share
    one tantivy index directory)."""
    return {**env, "VITRINE_SEARCH_INDEX_DIR": str(log_dir / f"index-{name}"), **extra}


async def _phases(
    bench: SubscriptionBench, setup: Setup, env: dict[str, str], product_id: str, redis_url: str
) -> None:
    log_dir, sku = setup.log_dir, setup.sku
    n = setup.plan.subscribers

    def adjust(client: httpx.AsyncClient) -> Trigger:
        return gateway_trigger(client, product_id, sku)

    bench.phases.append(
        await _measured(
            "baseline",
            f"Baseline: bare Starlette broadcast, 1 process, {n:,} sockets",
            [start_server("baseline", env, log_dir, "broadcast")],
            lambda client: baseline_trigger(client, sku),
            setup,
        )
    )
    gateway_env = _gateway_env(env, log_dir, "single")
    bench.phases.append(
        await _measured(
            "gateway",
            f"Gateway: 1 process, in-process bus, {n:,} subscribers",
            [start_server("graphql", gateway_env, log_dir, "gateway")],
            adjust,
            setup,
        )
    )
    if not reachable(redis_url):
        bench.skipped.append(f"two gateways over Redis: no Redis answers at {redis_url}")
        say(bench.skipped[-1])
        return
    redis = {
        "REDIS_URL": redis_url,
        "VITRINE_EVENT_CHANNEL_PREFIX": f"vitrine-bench-{uuid.uuid4().hex[:8]}:events:",
    }
    servers = [
        start_server(
            "graphql", _gateway_env(env, log_dir, f"redis-{k}", **redis), log_dir, f"redis-{k}"
        )
        for k in (1, 2)
    ]
    bench.phases.append(
        await _measured(
            "redis",
            f"Gateway: 2 processes over Redis pub/sub, {n:,} subscribers each",
            servers,
            adjust,
            setup,
        )
    )


def main(argv: list[str] | None = None) -> None:
    """Run the fan-out benchmark, write its report; exit 1 if a delivery was missed or
    duplicated."""
    from bench.subscriptions_report import render_subscriptions

    parser = argparse.ArgumentParser(prog="python -m bench.subscriptions", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=2000, help="per gateway process")
    parser.add_argument("--drivers", type=int, default=4, help="subscriber driver processes")
    parser.add_argument("--broadcasts", type=int, default=10, help="measured, per phase")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between broadcasts")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per broadcast")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    plan = Plan(args.subscribers, args.drivers, args.broadcasts, args.pause, args.timeout)
    bench = SubscriptionBench(
        started=datetime.now(UTC),
        argv=sys.argv[1:] if argv is None else list(argv),
        plan=plan,
        load_average=os.getloadavg()[0],
    )
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-subs-") as tmp:
        uvloop.run(run_bench(plan, bench, args.redis_url, args.database_url, Path(tmp)))
    args.output.write_text(render_subscriptions(bench))
    say(f"wrote {args.output} (load average {bench.load_average_end:.2f})")
    if not bench.ok:
        say("ERROR: a subscriber missed or got twice a broadcast (see the report)")
        raise SystemExit(1)


if __name__ == "__main__":
    main()

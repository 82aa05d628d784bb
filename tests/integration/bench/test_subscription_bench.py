"""The subscription fan-out benchmark at small scale: 20 real sockets in two driver
processes against the bare broadcast server, counted as the full run counts them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bench.fanout import Broadcast
from bench.measure import QuietGate
from bench.subscriptions import (
    Phase,
    Plan,
    Server,
    Setup,
    Trigger,
    baseline_trigger,
    run_phase,
    start_server,
)

pytestmark = pytest.mark.integration

SUBSCRIBERS = 20
SKU = "SKU-SMOKE"


@pytest.fixture(scope="module")
def broadcast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server("baseline", dict(os.environ), tmp_path_factory.mktemp("logs"), "smoke")
    yield server
    server.child.stop()


async def _phase(
    server: Server,
    make_trigger: Callable[[httpx.AsyncClient], Trigger],
    logs: Path,
    broadcasts: int,
) -> Phase:
    """A warm-up and ``broadcasts`` measured broadcasts to SUBSCRIBERS in two drivers."""
    plan = Plan(
        SUBSCRIBERS, drivers=2, broadcasts=broadcasts, pause_seconds=0.0, delivery_timeout=1.0
    )
    setup = Setup(plan, SKU, os.getpid(), QuietGate(0, retries=0), logs)
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        return await run_phase(
            "smoke",
            "smoke",
            [server],
            make_trigger(client),
            setup,
            subscribers=SUBSCRIBERS,
            broadcasts=broadcasts,
            gate=None,
        )


async def test_every_subscriber_gets_every_broadcast_once(
    broadcast_server: Server, tmp_path: Path
) -> None:
    # given 20 subscribers of the bare broadcast server in two driver processes
    # when it broadcasts a warm-up and three measured messages
    phase = await _phase(
        broadcast_server, lambda client: baseline_trigger(client, SKU), tmp_path, broadcasts=3
    )
    # then each subscriber got each broadcast exactly once, with one latency per delivery
    assert phase.tally.exactly_once
    assert phase.other_frames == []
    assert (phase.subscribers, phase.drivers) == (SUBSCRIBERS, 2)
    assert [b.delivered for b in phase.tally.broadcasts] == [SUBSCRIBERS] * 4
    assert len(phase.tally.latencies_ms) == 3 * SUBSCRIBERS
    assert all(ms > 0 for ms in phase.tally.latencies_ms)
    assert phase.memory[0].connections == SUBSCRIBERS


def _twice(client: httpx.AsyncClient) -> Trigger:
    """Pushes each marker twice: every subscriber gets a duplicate."""
    pushes = baseline_trigger(client, SKU)

    async def trigger() -> Broadcast:
        first = await pushes()
        await client.post("/broadcast", json={"sku": SKU, "available": first.marker})
        return first

    return trigger


def _never(client: httpx.AsyncClient) -> Trigger:
    """Claims broadcasts that are never pushed: every subscriber misses them."""
    del client
    markers = iter(range(1000, 2000))

    async def trigger() -> Broadcast:
        now = time.monotonic()
        return Broadcast(next(markers), now, now)

    return trigger


@pytest.mark.parametrize(("make_trigger", "duplicated", "missed"), [(_twice, 2, 0), (_never, 0, 2)])
async def test_duplicates_and_misses_are_counted_per_subscriber(
    broadcast_server: Server,
    tmp_path: Path,
    make_trigger: Callable[[httpx.AsyncClient], Trigger],
    duplicated: int,
    missed: int,
) -> None:
    # given 20 subscribers, and a trigger that sends each broadcast twice, or not at all
    # when a warm-up and one measured broadcast go out
    phase = await _phase(broadcast_server, make_trigger, tmp_path, broadcasts=1)
    # then every subscriber x broadcast pair is one duplicate, or one miss
    assert not phase.tally.exactly_once
    assert phase.tally.duplicated == duplicated * SUBSCRIBERS
    assert phase.tally.missed == missed * SUBSCRIBERS

"""The Redis pub/sub event bus on the real Redis: two buses stand for two gateway processes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from datasources.errors import DataSourceUnavailable
from datasources.events import DomainEvent, EventStreamInterrupted, Topic
from datasources.events.in_process import EventStream
from datasources.events.redis_bus import RedisEventBus

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
GUARD_SECONDS = 10  # only keeps a broken test from hanging; nothing asserts on time


@pytest.fixture
def prefix() -> str:
    return f"test-events-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield client
    await client.aclose()


@pytest.fixture
async def buses(redis: Redis, prefix: str) -> AsyncIterator[tuple[RedisEventBus, RedisEventBus]]:
    first, second = RedisEventBus(REDIS_URL, prefix), RedisEventBus(REDIS_URL, prefix)
    async with asyncio.timeout(GUARD_SECONDS):
        await asyncio.gather(first.start(), second.start())
    yield first, second
    await first.close()
    await second.close()


async def _read(stream: EventStream, count: int) -> list[str]:
    async with asyncio.timeout(GUARD_SECONDS):
        return [(await anext(stream)).key for _ in range(count)]


def _order(key: str) -> DomainEvent:
    return DomainEvent(Topic.ORDER_STATUS_CHANGED, key, {"status": "PAID"})


async def test_every_event_reaches_every_matching_subscriber_of_both_processes_once(
    buses: tuple[RedisEventBus, RedisEventBus],
) -> None:
    # given two subscribers to orders in process A, one in B, and one to stock in B
    a, b = buses
    async with (
        a.subscribe([Topic.ORDER_STATUS_CHANGED]) as a1,
        a.subscribe([Topic.ORDER_STATUS_CHANGED]) as a2,
        b.subscribe([Topic.ORDER_STATUS_CHANGED]) as b1,
        b.subscribe([Topic.INVENTORY_CHANGED]) as stock,
    ):
        # when each process publishes order events and B one stock event, then A a marker
        for key in ("o1", "o2", "o3"):
            await a.publish(_order(key))
        await b.publish(DomainEvent(Topic.INVENTORY_CHANGED, "SKU-1", {"available": 2}))
        for key in ("o4", "o5"):
            await b.publish(_order(key))
        await a.publish(_order("marker"))
        await b.publish(DomainEvent(Topic.INVENTORY_CHANGED, "marker", {"available": 0}))

        # then every order subscriber got each order event once, in publish order per
        # publisher, with nothing between the last event and the marker (no duplicates)
        seen = [sorted(await _read(s, 6)) for s in (a1, a2, b1)]
        stock_seen = await _read(stock, 2)
        left = [s.pending for s in (a1, a2, b1, stock)]

    expected = sorted(["o1", "o2", "o3", "o4", "o5", "marker"])
    assert seen == [expected, expected, expected]
    assert stock_seen == ["SKU-1", "marker"]
    assert left == [0, 0, 0, 0]
    assert (a.published, b.published) == (4, 4)
    # every process hears every event, also on topics nobody there subscribes to; nothing
    # above waited for A to hear B's stock marker (A has no stock subscriber), so wait for it
    for _ in range(500):
        if a.received >= 8 and b.received >= 8:
            break
        await asyncio.sleep(0.01)
    assert (a.received, b.received) == (8, 8)
    assert (a.subscriber_count, b.subscriber_count) == (0, 0)


async def test_redis_lost_interrupts_subscribers_then_the_bus_recovers(
    buses: tuple[RedisEventBus, RedisEventBus], redis: Redis
) -> None:
    # given a subscriber in process B
    a, b = buses
    stream = b.subscribe([Topic.CART_CHANGED])

    # when B's pub/sub connection is killed (Redis lost), and B reconnects
    killed = 0
    for client in await redis.client_list(_type="pubsub"):
        if client.get("name") == b.client_name:
            killed += await redis.client_kill_filter(_id=client["id"])
    with pytest.raises(EventStreamInterrupted, match="lost its connection to Redis") as ended:
        await _read(stream, 1)
    async with asyncio.timeout(GUARD_SECONDS):
        await b.start()
    async with b.subscribe([Topic.CART_CHANGED]) as again:
        await a.publish(DomainEvent(Topic.CART_CHANGED, "cart-1", {"version": 3}))
        after = await _read(again, 1)

    # then the old subscriber ended with a typed interruption and was dropped, and a new
    # one receives events again
    assert killed == 1
    assert "subscribe again" in str(ended.value)
    assert b.interruptions == 1
    assert after == ["cart-1"]
    assert b.subscriber_count == 0


async def test_a_foreign_message_on_the_channel_is_ignored(
    buses: tuple[RedisEventBus, RedisEventBus], redis: Redis
) -> None:
    # given a subscriber in A
    a, b = buses
    async with a.subscribe([Topic.PRICE_CHANGED]) as stream:
        # when something that is not a domain event is published on the channel, then an event
        await redis.publish(a.channel(Topic.PRICE_CHANGED), b"not json")
        await b.publish(DomainEvent(Topic.PRICE_CHANGED, "prod-1", {"variants": []}))
        keys = await _read(stream, 1)

    # then the junk was skipped and the event delivered
    assert keys == ["prod-1"]
    assert a.received == 1


async def test_publishing_without_redis_is_a_typed_error(prefix: str) -> None:
    # given a bus pointed at a port where nothing listens
    bus = RedisEventBus("redis://127.0.0.1:1/0", prefix, timeout_seconds=0.5)

    # when publishing
    with pytest.raises(DataSourceUnavailable) as refused:
        await bus.publish(_order("o1"))
    await bus.close()

    # then it says which Redis could not be reached, and nothing was counted
    assert "127.0.0.1:1" in str(refused.value)
    assert bus.published == 0

from __future__ import annotations

import asyncio

import pytest

from datasources.events import DomainEvent, EventStreamInterrupted, SubscriberFellBehind, Topic
from datasources.events.in_process import InProcessEventBus


async def test_subscriber_receives_only_its_topics_in_order() -> None:
    bus = InProcessEventBus()
    async with bus.subscribe([Topic.ORDER_STATUS_CHANGED]) as stream:
        await bus.publish(DomainEvent(Topic.PRICE_CHANGED, "p1"))
        await bus.publish(DomainEvent(Topic.ORDER_STATUS_CHANGED, "o1", {"status": "PAID"}))
        await bus.publish(DomainEvent(Topic.ORDER_STATUS_CHANGED, "o2", {"status": "SHIPPED"}))
        first = await anext(stream)
        second = await anext(stream)
    assert [(first.key, first.payload), (second.key, second.payload)] == [
        ("o1", {"status": "PAID"}),
        ("o2", {"status": "SHIPPED"}),
    ]
    assert bus.subscriber_count == 0


async def test_slow_subscriber_is_dropped_not_buffered_without_bound() -> None:
    bus = InProcessEventBus(max_pending=3)
    async with (
        bus.subscribe([Topic.INVENTORY_CHANGED]) as slow,
        bus.subscribe([Topic.INVENTORY_CHANGED], max_pending=100) as fast,
    ):
        for index in range(10):
            await bus.publish(DomainEvent(Topic.INVENTORY_CHANGED, f"SKU-{index}"))
        fast_keys = [(await anext(fast)).key for _ in range(10)]
        with pytest.raises(SubscriberFellBehind, match="more than"):
            async for _ in slow:
                pass
    assert fast_keys == [f"SKU-{index}" for index in range(10)]


async def test_waiting_reader_wakes_on_publish() -> None:
    bus = InProcessEventBus()
    async with bus.subscribe([Topic.CART_CHANGED]) as stream:
        reader = asyncio.create_task(anext(stream))
        await asyncio.sleep(0)
        await bus.publish(DomainEvent(Topic.CART_CHANGED, "cart-1"))
        event = await asyncio.wait_for(reader, timeout=5)
    assert event.key == "cart-1"


def test_event_round_trips_through_json() -> None:
    event = DomainEvent(Topic.RENDER_JOB_PROGRESS, "job-1", {"percent": 40, "stage": "LODS"})
    assert DomainEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize(
    "raw", [b"not json", b"{}", b'{"topic": "nope", "key": "k", "payload": {}}', b"[]"]
)
def test_malformed_event_json_is_a_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError, match="not a domain event"):
        DomainEvent.from_json(raw)


async def test_interrupt_all_wakes_a_waiting_reader_with_a_typed_error() -> None:
    # given a subscriber waiting for its next event
    bus = InProcessEventBus()
    stream = bus.subscribe([Topic.CART_CHANGED])
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)

    # when the bus interrupts every subscriber, then an event is published
    ended = bus.interrupt_all("connection lost")
    await bus.publish(DomainEvent(Topic.CART_CHANGED, "cart-1"))

    # then the reader gets the typed interruption, and the stream is no longer subscribed
    with pytest.raises(EventStreamInterrupted, match="connection lost"):
        await waiting
    assert ended == 1
    assert bus.subscriber_count == 0


async def test_subscribers_are_counted_per_topic() -> None:
    # given subscribers to orders, to stock, and to both
    bus = InProcessEventBus()
    async with (
        bus.subscribe([Topic.ORDER_STATUS_CHANGED]),
        bus.subscribe([Topic.INVENTORY_CHANGED]),
        bus.subscribe([Topic.ORDER_STATUS_CHANGED, Topic.INVENTORY_CHANGED]),
    ):
        # when they are counted per topic
        counts = [bus.subscribers_of(t) for t in (Topic.ORDER_STATUS_CHANGED, Topic.CART_CHANGED)]
    # then each counts the streams that listen to it, and none once they are gone
    assert counts == [2, 0]
    assert bus.subscribers_of(Topic.ORDER_STATUS_CHANGED) == 0

"""Coalescing a stream of domain events into batches."""

from __future__ import annotations

import asyncio

import pytest

from datasources.events import DomainEvent, SubscriberFellBehind, Topic
from datasources.events.batching import event_batches
from datasources.events.in_process import InProcessEventBus


def _stock(sku: str) -> DomainEvent:
    return DomainEvent(Topic.INVENTORY_CHANGED, sku)


async def test_events_waiting_together_come_as_one_batch_in_order() -> None:
    # given five events already waiting on a subscription
    bus = InProcessEventBus()
    async with bus.subscribe([Topic.INVENTORY_CHANGED]) as stream:
        for n in range(5):
            await bus.publish(_stock(f"SKU-{n}"))
        # when batches are read with room for ten
        batches = event_batches(stream, window_seconds=0.05, max_events=10)
        first = await anext(batches)
        await batches.aclose()
    # then all five come in one batch, in publication order
    assert [e.key for e in first] == [f"SKU-{n}" for n in range(5)]


async def test_a_batch_holds_at_most_max_events_and_loses_none() -> None:
    # given seven waiting events and batches of at most three
    bus = InProcessEventBus()
    async with bus.subscribe([Topic.INVENTORY_CHANGED]) as stream:
        for n in range(7):
            await bus.publish(_stock(f"SKU-{n}"))
        batches = event_batches(stream, window_seconds=0.05, max_events=3)
        # when three batches are read
        sizes = [len(await anext(batches)) for _ in range(3)]
        # then they split the events 3, 3, 1 and a later event starts a new batch
        await bus.publish(_stock("SKU-late"))
        late = await anext(batches)
        await batches.aclose()
    assert sizes == [3, 3, 1]
    assert [e.key for e in late] == ["SKU-late"]


async def test_events_after_the_window_start_the_next_batch() -> None:
    # given a batch reader with a short window
    bus = InProcessEventBus()
    async with bus.subscribe([Topic.INVENTORY_CHANGED]) as stream:
        batches = event_batches(stream, window_seconds=0.02, max_events=10)
        reading = asyncio.ensure_future(anext(batches))
        # when one event comes, then another well after the window has closed
        await bus.publish(_stock("A"))
        first = await reading
        await asyncio.sleep(0.05)
        await bus.publish(_stock("B"))
        second = await anext(batches)
        await batches.aclose()
    # then each is its own batch
    assert ([e.key for e in first], [e.key for e in second]) == (["A"], ["B"])


async def test_an_overflowed_subscription_raises_to_the_consumer() -> None:
    # given a subscriber that overflowed after two events were queued
    bus = InProcessEventBus(max_pending=2)
    async with bus.subscribe([Topic.INVENTORY_CHANGED]) as stream:
        for n in range(3):
            await bus.publish(_stock(f"SKU-{n}"))
        batches = event_batches(stream, window_seconds=0.05, max_events=10)
        # when batches are read, then the overflow is raised to the consumer
        with pytest.raises(SubscriberFellBehind):
            async for _ in batches:
                pass

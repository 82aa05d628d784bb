"""The catalog's availability counters (moto DynamoDB) follow the inventory (PostgreSQL)
through INVENTORY_CHANGED events, whatever numbers or order the events carry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from datasources.events import DomainEvent, Topic
from datasources.events.in_process import InProcessEventBus
from datasources.postgres.shopping import ShoppingStores
from datasources.projections.availability import AvailabilityProjection, resync_all
from datasources.records import Availability, StockRecord
from gateway.bootstrap import Services
from tests import factories
from tests.integration.shopping.support import stocked

pytestmark = pytest.mark.integration


async def _counters(services: Services, skus: list[str]) -> list[tuple[int, int] | None]:
    found = await services.catalog.stock_by_skus(skus)
    return [None if c is None else (c.quantity_available, c.low_stock_threshold) for c in found]


async def _until(projection: AvailabilityProjection, written: int) -> None:
    async def wait() -> None:
        while projection.written < written:  # noqa: ASYNC110 (the count is the signal)
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), timeout=20)


@pytest.fixture
async def running(
    services: Services, stores: ShoppingStores
) -> AsyncIterator[tuple[InProcessEventBus, AvailabilityProjection]]:
    bus = InProcessEventBus()
    projection = AvailabilityProjection(services.catalog, stores.inventory, bus)
    ready = asyncio.Event()
    task = asyncio.create_task(projection.run(ready))
    await asyncio.wait_for(ready.wait(), timeout=5)
    yield bus, projection
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_stale_and_reordered_events_still_leave_the_true_numbers(
    services: Services,
    stores: ShoppingStores,
    running: tuple[InProcessEventBus, AvailabilityProjection],
) -> None:
    # given two SKUs in the inventory, with stale counters in the catalog
    bus, projection = running
    skus = await stocked(stores, A=5, B=3)
    await services.catalog.put_stock(StockRecord(skus["A"], 99, low_stock_threshold=2))

    # when events arrive with wrong numbers, B before A, and A twice
    async with bus.subscribe([Topic.AVAILABILITY_CHANGED]) as announced:
        for sku in (skus["B"], skus["A"], skus["A"]):
            payload = {"available": 42, "productId": f"product-of-{sku}"}
            await bus.publish(DomainEvent(Topic.INVENTORY_CHANGED, sku, payload))
        await _until(projection, 2)
        # (each announcement is read back while the counter already holds its number)
        seen = []
        for _ in range(2):
            event = await asyncio.wait_for(anext(announced), timeout=5)
            [stored] = await _counters(services, [event.key])
            seen.append((event.key, dict(event.payload), stored))

    # then the counters hold the inventory's numbers, keeping A's own threshold
    assert await _counters(services, [skus["A"], skus["B"]]) == [(5, 2), (3, 5)]
    assert projection.written == 2  # the repeated event for A found nothing to change
    # and each rewrite was announced after it was stored, naming the product
    assert seen == [
        (skus["B"], {"available": 3, "productId": f"product-of-{skus['B']}"}, (3, 5)),
        (skus["A"], {"available": 5, "productId": f"product-of-{skus['A']}"}, (5, 2)),
    ]


async def test_a_stock_change_moves_the_counter_to_low_stock(
    services: Services,
    stores: ShoppingStores,
    running: tuple[InProcessEventBus, AvailabilityProjection],
) -> None:
    # given a projected SKU
    bus, projection = running
    skus = await stocked(stores, A=20)
    await bus.publish(DomainEvent(Topic.INVENTORY_CHANGED, skus["A"]))
    await _until(projection, 1)

    # when a stock count lowers it and the change is announced
    await stores.inventory.put_stock(skus["A"], 1)
    await bus.publish(DomainEvent(Topic.INVENTORY_CHANGED, skus["A"]))
    await _until(projection, 2)

    # then catalog reads say LOW_STOCK
    [counter] = await services.catalog.stock_by_skus([skus["A"]])
    assert counter is not None
    assert (counter.quantity_available, counter.availability) == (1, Availability.LOW_STOCK)


async def test_resync_copies_every_catalog_sku_from_the_inventory(
    services: Services, stores: ShoppingStores
) -> None:
    # given catalog products whose SKUs have other numbers in the inventory
    products = [factories.product(index) for index in range(3)]
    for product in products:
        await services.catalog.create_product(product)
    skus = [v.sku for p in products for v in p.variants]
    for position, sku in enumerate(skus):
        await stores.inventory.put_stock(sku, 100 + position)

    # when the projection resynchronises (as after falling behind)
    written = await resync_all(services.catalog, stores.inventory)

    # then every counter holds its SKU's units available
    assert written == len(skus)
    assert [c[0] if c else None for c in await _counters(services, skus)] == [
        100 + position for position in range(len(skus))
    ]

"""The catalog's fast availability counters (DynamoDB), kept in step with the inventory
(PostgreSQL) by INVENTORY_CHANGED events; each counter rewritten is announced as
AVAILABILITY_CHANGED, after the write, for the readers of the counters.

An event only says *which* SKU changed: the projection re-reads the units available from the
inventory when it applies it, so events that arrive late or out of order can never leave a
stale number behind, and a counter that already holds the right number is not written again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import structlog

from datasources.events.batching import event_batches
from datasources.events.records import DomainEvent, SubscriberFellBehind, Topic
from datasources.ports import Catalog, EventBus, Inventory
from datasources.records import (
    ProductFilter,
    ProductPageRequest,
    ProductSort,
    ProductStatus,
    StockRecord,
)

log = structlog.get_logger("vitrine.projections.availability")
RESYNC_PAGE = 100
EVERY_PRODUCT = ProductFilter(statuses=tuple(ProductStatus))


async def project_skus(
    catalog: Catalog, inventory: Inventory, skus: Sequence[str]
) -> dict[str, int]:
    """Copy the inventory's units available of ``skus`` onto the catalog counters, keeping
    each counter's low-stock threshold; the units of the counters that changed, by SKU, in
    the order of ``skus``."""
    wanted = list(dict.fromkeys(skus))
    if not wanted:
        return {}
    available = await inventory.available(wanted)
    counters = await catalog.stock_by_skus(wanted)
    written: dict[str, int] = {}
    for sku, counter in zip(wanted, counters, strict=True):
        units = max(available.get(sku, 0), 0)
        if counter is not None and counter.quantity_available == units:
            continue
        threshold = StockRecord(sku, units).low_stock_threshold
        if counter is not None:
            threshold = counter.low_stock_threshold
        await catalog.put_stock(StockRecord(sku, units, threshold))
        written[sku] = units
    return written


async def announce(
    events: EventBus, written: Mapping[str, int], product_of: Mapping[str, str | None]
) -> None:
    """AVAILABILITY_CHANGED for each rewritten counter, once it is stored."""
    for sku, units in written.items():
        payload = {"available": units, "productId": product_of.get(sku)}
        await events.publish(DomainEvent(Topic.AVAILABILITY_CHANGED, sku, payload))


async def resync_all(catalog: Catalog, inventory: Inventory, events: EventBus | None = None) -> int:
    """Project every SKU of the catalog (after a subscriber fell behind); counters written."""
    written = 0
    after: str | None = None
    while True:
        page = await catalog.list_products(
            ProductPageRequest(EVERY_PRODUCT, ProductSort.NAME_ASC, RESYNC_PAGE, after)
        )
        product_of: dict[str, str | None] = {v.sku: p.id for p in page.items for v in p.variants}
        changed = await project_skus(catalog, inventory, list(product_of))
        if events is not None:
            await announce(events, changed, product_of)
        written += len(changed)
        if not page.has_next_page or not page.cursors:
            return written
        after = page.cursors[-1]


class AvailabilityProjection:
    """Subscribes to INVENTORY_CHANGED and refreshes the catalog counters of those SKUs."""

    def __init__(self, catalog: Catalog, inventory: Inventory, events: EventBus) -> None:
        self._catalog = catalog
        self._inventory = inventory
        self._events = events
        self.written = 0
        """Counters written so far (read by tests and metrics)."""

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Apply events until cancelled; ``ready`` is set once subscribed. A subscriber that
        fell behind resynchronises every SKU and carries on."""
        while True:
            try:
                async with self._events.subscribe([Topic.INVENTORY_CHANGED]) as stream:
                    if ready is not None:
                        ready.set()
                    async for batch in event_batches(stream):
                        await self._apply(batch)
            except SubscriberFellBehind:
                log.warning("availability_projection_fell_behind")
                self.written += await resync_all(self._catalog, self._inventory, self._events)

    async def _apply(self, batch: Sequence[DomainEvent]) -> None:
        """Project every SKU the batch names at once (one inventory read, one counter read)."""
        skus = [event.key for event in batch]
        product_of: dict[str, str | None] = {}
        for event in batch:
            product = event.payload.get("productId")
            product_of[event.key] = product if isinstance(product, str) and product else None
        try:
            changed = await project_skus(self._catalog, self._inventory, skus)
            await announce(self._events, changed, product_of)
            self.written += len(changed)
        except Exception:  # a dead dependency must not end the projection; the next event heals
            log.exception("availability_projection_failed", skus=sorted(set(skus)))

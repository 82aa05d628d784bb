"""Publishing after a committed change: order moves with their stock, carts, jobs.

The change is already stored when these run, so a bus that cannot publish (Redis down) is
logged and does not turn a committed mutation into an error.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import replace

from datasources.events.changes import cart_changed, inventory_changed, order_status_changed
from datasources.events.records import DomainEvent
from datasources.ports import EventBus, Inventory
from datasources.shopping_records import CartRecord, OrderRecord, OrderStatus

log = logging.getLogger("vitrine.events")

STOCK_RELEASING = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
"""Moves that give an order's allocated units back to the stock."""


async def publish_all(events: EventBus, batch: Iterable[DomainEvent]) -> int:
    """Publish each event in order; how many were published (failures are logged)."""
    published = 0
    for event in batch:
        try:
            await events.publish(event)
        except Exception as error:  # the change is committed: never fail the caller
            log.warning("could not publish %s %s: %s", event.topic.value, event.key, error)
            continue
        published += 1
    return published


async def publish_order_moves(
    events: EventBus,
    inventory: Inventory,
    order: OrderRecord,
    previous: Iterable[OrderStatus | None],
) -> int:
    """ORDER_STATUS_CHANGED for each move ``previous[i] -> previous[i+1] -> order.status``
    that changed something, then INVENTORY_CHANGED for the order's SKUs when a move placed
    the order (allocation) or released its stock."""
    path: list[OrderStatus | None] = [*previous, order.status]
    moves = [(a, b) for a, b in itertools.pairwise(path) if a != b and b is not None]
    batch = [order_status_changed(_in_status(order, to), before) for before, to in moves]
    if any(before is None or to in STOCK_RELEASING for before, to in moves):
        products = {line.sku: line.product_id for line in order.lines}
        batch.extend(inventory_changed(await inventory.available(sorted(products)), products))
    return await publish_all(events, batch)


def _in_status(order: OrderRecord, status: OrderStatus) -> OrderRecord:
    if order.status is status:
        return order
    return replace(order, status=status)


async def publish_cart(events: EventBus, cart: CartRecord) -> int:
    """CART_CHANGED for ``cart`` as stored now."""
    return await publish_all(events, [cart_changed(cart)])

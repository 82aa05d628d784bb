"""The domain events that shopping and job code publish, built from their records.

Payload keys are camelCase JSON values so that subscriptions, Redis and other consumers read
them without the records' Python types.
"""

from __future__ import annotations

from collections.abc import Mapping

from datasources.events.records import DomainEvent, Topic
from datasources.job_records import IngestJobRecord
from datasources.records import AssetRecord
from datasources.shopping_records import CartRecord, OrderRecord, OrderStatus


def order_status_changed(order: OrderRecord, previous: OrderStatus | None) -> DomainEvent:
    """ORDER_STATUS_CHANGED: ``order`` is now in its status (``previous`` None: just placed)."""
    return DomainEvent(
        Topic.ORDER_STATUS_CHANGED,
        order.id,
        {
            "status": order.status.value,
            "previousStatus": None if previous is None else previous.value,
            "ownerSub": order.owner_sub,
            "orderNumber": order.number,
        },
    )


def inventory_changed(
    available: Mapping[str, int], product_ids: Mapping[str, str]
) -> list[DomainEvent]:
    """INVENTORY_CHANGED per SKU with the units available now and the SKU's product (so
    consumers such as the search indexer need no SKU lookup), in SKU order."""
    return [
        DomainEvent(
            Topic.INVENTORY_CHANGED,
            sku,
            {"available": max(available[sku], 0), "productId": product_ids.get(sku)},
        )
        for sku in sorted(available)
    ]


def cart_changed(cart: CartRecord) -> DomainEvent:
    """CART_CHANGED: ``cart`` as stored now (its version identifies the change)."""
    return DomainEvent(
        Topic.CART_CHANGED,
        cart.id,
        {"ownerSub": cart.owner_sub, "version": cart.version, "status": cart.status.value},
    )


def render_job_progress(
    job: IngestJobRecord, stage: str, percent: int, owner_sub: str | None = None
) -> DomainEvent:
    """RENDER_JOB_PROGRESS: ``job`` reached ``stage`` (percent 0..100)."""
    return DomainEvent(
        Topic.RENDER_JOB_PROGRESS,
        job.id,
        {
            "status": job.status.value,
            "stage": stage,
            "percent": max(0, min(percent, 100)),
            "ownerSub": owner_sub,
            "productId": job.product_id,
            "kind": job.kind.value,
        },
    )


def asset_rendered(asset: AssetRecord) -> DomainEvent:
    """PRODUCT_CHANGED for the product of ``asset``, whose renders (and perhaps poster) were
    just recorded: cached answers showing the product are stale."""
    return DomainEvent(
        Topic.PRODUCT_CHANGED,
        asset.product_id or "",
        {"source": "render", "assetId": asset.id, "posterKey": asset.poster_key},
    )

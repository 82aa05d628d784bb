"""The event objects that subscriptions yield (backed by ``resolvers.subscriptions`` views)."""

from __future__ import annotations

import strawberry

from resolvers import subscriptions
from resolvers.global_ids import to_global_id
from schema.assets.types import IngestJob
from schema.catalog.types import Money, Product
from schema.scalars import AWSDateTime
from schema.shopping.enums import OrderStatus
from schema.shopping.types import Cart, Order


@strawberry.type(description="An order moved to another status.")
class OrderStatusEvent:
    order: Order = strawberry.field(description="The order as stored now.")
    status: OrderStatus
    previous_status: OrderStatus | None = strawberry.field(
        description="Null when the event is the order being placed."
    )
    at: AWSDateTime


@strawberry.type(description="Units available of a SKU changed.")
class InventoryEvent:
    sku: str
    available: int = strawberry.field(description="Units that can be bought now.")
    at: AWSDateTime


@strawberry.type(description="One variant's price move.")
class PriceChange:
    sku: str
    old_price: Money | None = strawberry.field(description="Null for a variant just added.")
    price: Money


def _product_id(root: subscriptions.PriceEventView) -> strawberry.ID:
    return strawberry.ID(to_global_id("Product", root.product_id))


@strawberry.type(description="Variant prices of a product changed.")
class PriceChangeEvent:
    product_id: strawberry.ID = strawberry.field(resolver=_product_id)
    product: Product | None = strawberry.field(description="The product as it is now.")
    changes: list[PriceChange] = strawberry.field(description="The variants whose price moved.")
    at: AWSDateTime


@strawberry.type(description="A cart changed (lines, discount, owner or status).")
class CartEvent:
    cart: Cart = strawberry.field(description="The cart as stored now.")
    at: AWSDateTime


@strawberry.type(description="An ingest job moved on.")
class RenderJobEvent:
    job_id: strawberry.ID
    job: IngestJob | None = strawberry.field(description="The job record now.")
    stage: str = strawberry.field(
        description="queued, claimed, ingesting, succeeded, rejected or failed."
    )
    percent: int
    at: AWSDateTime

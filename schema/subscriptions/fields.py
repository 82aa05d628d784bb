"""The root Subscription fields (AppSync ``@aws_subscribe``, with enhanced filters)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import subscriptions
from resolvers.global_ids import expect_global_id
from resolvers.kit import Pipeline
from resolvers.subscriptions import EntitySubscription
from schema.directives import AwsSubscribe
from schema.permissions import (
    ADMIN_DIRECTIVES,
    PUBLIC_READ_DIRECTIVES,
    SHOPPER_DIRECTIVES,
    STOREFRONT_DIRECTIVES,
    merchant_admin,
    public_read,
    signed_in,
    storefront,
)
from schema.scalars import AWSJSON
from schema.subscriptions.types import (
    CartEvent,
    InventoryEvent,
    OrderStatusEvent,
    PriceChangeEvent,
    RenderJobEvent,
)

FILTER_HELP = (
    "AppSync-style enhanced filter on the event's fields, e.g. "
    '{"status": {"in": ["PAID", "REFUNDED"]}}: eq, ne, in, notIn, between, beginsWith, '
    "gt, ge, lt, le; every condition must hold."
)
ORDER_MUTATIONS = ["checkoutComplete", "orderFulfill", "orderCancel", "orderRefund"]
CART_MUTATIONS = [
    "cartLinesAdd",
    "cartLineUpdate",
    "cartLineRemove",
    "cartDiscountCodeApply",
    "cartDiscountCodeRemove",
    "cartMerge",
    "checkoutComplete",
]


@strawberry.type
class Subscription:
    """Real-time events (graphql-transport-ws, graphql-ws)."""

    @strawberry.subscription(
        graphql_type=OrderStatusEvent,
        description="Status moves of one of the shopper's orders (admins: any order). "
        "Filter fields: status, previousStatus, orderNumber.",
        directives=[*SHOPPER_DIRECTIVES, AwsSubscribe(mutations=ORDER_MUTATIONS)],
        extensions=[Pipeline(subscriptions.on_order_status_changed), signed_in()],
    )
    def on_order_status_changed(
        self,
        order_id: strawberry.ID,
        filter: Annotated[AWSJSON | None, strawberry.argument(description=FILTER_HELP)] = None,
    ) -> EntitySubscription:
        return EntitySubscription(expect_global_id(order_id, "Order"), filter)

    @strawberry.subscription(
        graphql_type=CartEvent,
        description="Changes of a cart the caller may see (their own, or the x-cart-token's): "
        "cart sync across a shopper's devices. Filter fields: status, version.",
        directives=[*STOREFRONT_DIRECTIVES, AwsSubscribe(mutations=CART_MUTATIONS)],
        extensions=[Pipeline(subscriptions.on_cart_changed), storefront()],
    )
    def on_cart_changed(
        self,
        cart_id: strawberry.ID,
        filter: Annotated[AWSJSON | None, strawberry.argument(description=FILTER_HELP)] = None,
    ) -> EntitySubscription:
        return EntitySubscription(expect_global_id(cart_id, "Cart"), filter)

    @strawberry.subscription(
        graphql_type=InventoryEvent,
        description="Units available of a SKU (checkout, cancel, refund, payment failure, "
        "stock adjustment). "
        "Filter fields: available.",
        directives=[
            *PUBLIC_READ_DIRECTIVES,
            AwsSubscribe(
                mutations=["checkoutComplete", "orderCancel", "orderRefund", "inventoryAdjust"]
            ),
        ],
        extensions=[Pipeline(subscriptions.on_inventory_changed), public_read()],
    )
    def on_inventory_changed(
        self,
        sku: str,
        filter: Annotated[AWSJSON | None, strawberry.argument(description=FILTER_HELP)] = None,
    ) -> EntitySubscription:
        return EntitySubscription(sku, filter)

    @strawberry.subscription(
        graphql_type=PriceChangeEvent,
        description="Variant price changes of a product. The filter applies to each variant's "
        "move (sku, amount, oldAmount, currency); an event keeps the moves that match.",
        directives=[
            *PUBLIC_READ_DIRECTIVES,
            AwsSubscribe(mutations=["updateProductVariant", "updateProduct"]),
        ],
        extensions=[Pipeline(subscriptions.on_price_changed), public_read()],
    )
    def on_price_changed(
        self,
        product_id: strawberry.ID,
        filter: Annotated[AWSJSON | None, strawberry.argument(description=FILTER_HELP)] = None,
    ) -> EntitySubscription:
        return EntitySubscription(expect_global_id(product_id, "Product"), filter)

    @strawberry.subscription(
        graphql_type=RenderJobEvent,
        description="Stages of an ingest job, from the API and from the ingest worker "
        "(merchant admins). Filter fields: status, stage, percent.",
        directives=[*ADMIN_DIRECTIVES, AwsSubscribe(mutations=["finalizeAssetUpload"])],
        extensions=[Pipeline(subscriptions.on_render_job_progress), merchant_admin()],
    )
    def on_render_job_progress(
        self,
        job_id: strawberry.ID,
        filter: Annotated[AWSJSON | None, strawberry.argument(description=FILTER_HELP)] = None,
    ) -> EntitySubscription:
        return EntitySubscription(str(job_id), filter)

"""Cart and order object types (backed by ``datasources.shopping_records`` and cart views)."""

from __future__ import annotations

from typing import Any

import strawberry

from datasources.shopping_records import CartRecord, OrderRecord
from datasources.shopping_records import StockLevel as StockLevelRecord
from resolvers import cart_holds, carts, inventory, orders
from resolvers.inventory import HistoryRequest
from resolvers.kit import Pipeline
from schema.backing import backed_by
from schema.catalog.types import Money, PageInfo, Product, ProductVariant
from schema.node import Node, global_id_resolver
from schema.scalars import AWSURL, AWSDateTime
from schema.shopping.enums import (
    CartLineProblem,
    CartStatus,
    DiscountRejection,
    OrderStatus,
    PaymentStatus,
    StockAdjustmentReason,
)


@strawberry.type(
    description="Amounts of a cart or order; total = subtotal - discount + tax + shipping."
)
class Totals:
    subtotal: Money = strawberry.field(description="Sum of the priced lines.")
    discount: Money = strawberry.field(description="Taken off by the discount code.")
    tax: Money = strawberry.field(description="Tax on the discounted subtotal.")
    shipping: Money
    total: Money = strawberry.field(description="What the shopper pays.")


@strawberry.type(description="A SKU in a cart, priced from the catalog now.")
class CartLine:
    sku: str
    quantity: int
    unit_price: Money | None = strawberry.field(
        description="The current catalog price; null when the line cannot be bought (problem)."
    )
    total: Money | None = strawberry.field(description="unitPrice times quantity.")
    problem: CartLineProblem | None = strawberry.field(
        description="Why the line has no price (left out of the totals); null when it has one."
    )
    added_at: AWSDateTime
    product: Product | None = strawberry.field(extensions=[Pipeline(carts.line_product)])
    variant: ProductVariant | None = strawberry.field(extensions=[Pipeline(carts.line_variant)])


@strawberry.type(description="The cart's discount code and what it takes off now.")
class CartDiscount:
    code: str
    amount: Money
    rejection: DiscountRejection | None = strawberry.field(
        description="Why the code takes nothing off now (expired, used up...); null if it applies."
    )


@strawberry.type(description="A cart: anonymous (addressed with its token) or a shopper's.")
class Cart(Node):
    is_type_of = backed_by(CartRecord)

    id: strawberry.ID = strawberry.field(resolver=global_id_resolver("Cart"))
    status: CartStatus
    currency: str = strawberry.field(description="ISO 4217; every amount of the cart is in it.")
    version: int = strawberry.field(description="Pass as expectedVersion to change the cart.")
    is_anonymous: bool = strawberry.field(description="Owned by a cart token, not a shopper.")
    item_count: int = strawberry.field(description="Units in the cart.")
    created_at: AWSDateTime
    updated_at: AWSDateTime
    lines: list[CartLine] = strawberry.field(extensions=[Pipeline(carts.cart_lines)])
    discount: CartDiscount | None = strawberry.field(extensions=[Pipeline(carts.cart_discount)])
    totals: Totals = strawberry.field(
        description="Priced from the catalog now, with the checkout's tax and shipping.",
        extensions=[Pipeline(carts.cart_totals)],
    )
    reserved_until: AWSDateTime | None = strawberry.field(
        description=(
            "When the units this cart holds go back on sale unless it checks out; null when "
            "it holds none (cart holds are off, or the hold lapsed)."
        ),
        extensions=[Pipeline(cart_holds.reserved_until)],
    )


@strawberry.type(description="A line of an order, priced when the order was placed.")
class OrderLine:
    sku: str
    quantity: int
    unit_price: Money
    total: Money
    product: Product | None = strawberry.field(
        description="The product as it is in the catalog now.",
        extensions=[Pipeline(carts.line_product)],
    )
    variant: ProductVariant | None = strawberry.field(extensions=[Pipeline(carts.line_variant)])


@strawberry.type(description="One step of an order's audit trail.")
class OrderEvent:
    from_status: OrderStatus | None = strawberry.field(description="Null for the order's creation.")
    to_status: OrderStatus
    actor: str = strawberry.field(description="shopper:<sub>, admin:<sub> or system:<job>.")
    at: AWSDateTime
    note: str | None


@strawberry.type(description="A payment attempt of an order.")
class Payment:
    provider: str
    provider_ref: str = strawberry.field(description="The provider's reference of the payment.")
    status: PaymentStatus
    amount: Money
    failure_code: str | None
    next_action_url: AWSURL | None = strawberry.field(
        description="Where the shopper confirms the payment (3-D Secure), while it waits."
    )
    created_at: AWSDateTime
    updated_at: AWSDateTime


def _customer_id(root: Any) -> str:
    owner: str = root.owner_sub
    return owner


@strawberry.type(description="An order placed at checkout.")
class Order(Node):
    is_type_of = backed_by(OrderRecord)

    id: strawberry.ID = strawberry.field(resolver=global_id_resolver("Order"))
    number: int = strawberry.field(description="Human-friendly order number.")
    status: OrderStatus
    currency: str
    customer_id: str = strawberry.field(
        resolver=_customer_id, description="The shopper's Cognito sub."
    )
    lines: list[OrderLine]
    item_count: int
    discount_code: str | None
    created_at: AWSDateTime
    updated_at: AWSDateTime
    totals: Totals = strawberry.field(extensions=[Pipeline(orders.order_totals)])
    events: list[OrderEvent] = strawberry.field(
        description="The audit trail, oldest first.", extensions=[Pipeline(orders.order_events)]
    )
    payments: list[Payment] = strawberry.field(
        description="Payment attempts, oldest first.", extensions=[Pipeline(orders.order_payments)]
    )


@strawberry.type(description="An order and its cursor.")
class OrderEdge:
    node: Order
    cursor: str


@strawberry.type(description="A page of orders, newest first (at most 100).")
class OrderConnection:
    edges: list[OrderEdge]
    nodes: list[Order]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches across all pages.")


@strawberry.type(description="One audited change of a SKU's units on hand.")
class StockAdjustment:
    id: int
    sku: str
    delta: int = strawberry.field(description="Units added (positive) or taken off (negative).")
    on_hand_before: int
    on_hand_after: int
    reason: StockAdjustmentReason
    note: str | None
    actor: str = strawberry.field(description="Who made it (admin:<Cognito sub>).")
    created_at: AWSDateTime


@strawberry.type(
    description=(
        "Stock of a SKU: available = onHand - allocated - reserved (live cart reservations)."
    )
)
class StockLevel:
    is_type_of = backed_by(StockLevelRecord)

    sku: str
    on_hand: int = strawberry.field(description="Units in the warehouse.")
    allocated: int = strawberry.field(description="Units promised to orders not yet shipped.")
    reserved: int = strawberry.field(description="Units held by carts until their hold expires.")
    available: int = strawberry.field(description="Units a new order may still take.")
    version: int

    @strawberry.field(
        graphql_type=list[StockAdjustment],
        description="The newest adjustments of this SKU, newest first (at most 100).",
        extensions=[Pipeline(inventory.stock_adjustments)],
    )
    def adjustments(self, first: int = 20) -> HistoryRequest:
        return HistoryRequest(first=first)

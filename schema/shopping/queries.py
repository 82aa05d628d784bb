"""Shopping queries: a cart, the shopper's orders, and every order for merchants."""

from __future__ import annotations

import strawberry

from datasources.shopping_records import OrderFilter
from resolvers import carts, inventory, orders
from resolvers.connections import DEFAULT_PAGE_SIZE, page_size
from resolvers.global_ids import expect_global_id
from resolvers.kit import Pipeline
from resolvers.orders import OrderListRequest, OrderPageRequest
from schema.permissions import (
    ADMIN_DIRECTIVES,
    SHOPPER_DIRECTIVES,
    STOREFRONT_DIRECTIVES,
    merchant_admin,
    signed_in,
    storefront,
)
from schema.shopping.inputs import OrderFilterInput
from schema.shopping.types import Cart, Order, OrderConnection, StockLevel


@strawberry.type
class ShoppingQuery:
    """Carts (API key with the cart token, or Cognito) and orders (Cognito)."""

    @strawberry.field(
        graphql_type=Cart | None,
        description=(
            "A cart by global ID: the signed-in shopper's own, or an anonymous cart whose "
            "token is sent in the x-cart-token header. Anyone else's cart is null."
        ),
        directives=STOREFRONT_DIRECTIVES,
        extensions=[Pipeline(carts.cart), storefront()],
    )
    def cart(self, id: strawberry.ID) -> str:
        return expect_global_id(id, "Cart")

    @strawberry.field(
        graphql_type=Order | None,
        description="One of the signed-in shopper's orders; anyone else's order is null.",
        directives=SHOPPER_DIRECTIVES,
        extensions=[Pipeline(orders.order), signed_in()],
    )
    def order(self, id: strawberry.ID) -> str:
        return expect_global_id(id, "Order")

    @strawberry.field(
        graphql_type=OrderConnection,
        description="The signed-in shopper's order history, newest first, at most 100 a page.",
        directives=SHOPPER_DIRECTIVES,
        extensions=[Pipeline(orders.my_orders), signed_in()],
    )
    def my_orders(
        self, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> OrderPageRequest:
        return OrderPageRequest(first=page_size(first), after=after)

    @strawberry.field(
        graphql_type=OrderConnection,
        description="Every order matching the filter, newest first (merchant admins).",
        directives=ADMIN_DIRECTIVES,
        extensions=[Pipeline(orders.all_orders), merchant_admin()],
    )
    def orders(
        self,
        filter: OrderFilterInput | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> OrderListRequest:
        return OrderListRequest(
            filter=OrderFilter() if filter is None else filter.to_record(),
            first=page_size(first),
            after=after,
        )

    @strawberry.field(
        graphql_type=StockLevel | None,
        description="A SKU's units on hand, allocated, reserved and available, with its "
        "adjustment history; null for a SKU without stock (merchant admins).",
        directives=ADMIN_DIRECTIVES,
        extensions=[Pipeline(inventory.stock_level), merchant_admin()],
    )
    def stock_level(self, sku: str) -> str:
        return sku

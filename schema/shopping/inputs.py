"""Shopping inputs and their mapping to resolver arguments."""

from __future__ import annotations

import strawberry

from datasources.shopping_records import OrderFilter
from resolvers.carts import LineToAdd
from resolvers.global_ids import expect_global_id
from schema.shopping.enums import OrderStatus


@strawberry.input(description="A SKU of a product to put in a cart.")
class CartLineInput:
    product_id: strawberry.ID = strawberry.field(description="The product's global ID.")
    sku: str = strawberry.field(description="One of the product's variant SKUs.")
    quantity: int = strawberry.field(description="Units to add: 1 to 99 per line in all.")

    def to_line(self) -> LineToAdd:
        """The resolver's line."""
        return LineToAdd(
            product_id=expect_global_id(self.product_id, "Product"),
            sku=self.sku,
            quantity=self.quantity,
        )


@strawberry.input(description="Filters of the merchants' order listing; all given must match.")
class OrderFilterInput:
    statuses: list[OrderStatus] | None = strawberry.field(
        default=None, description="Any of these states."
    )
    customer_id: str | None = strawberry.field(
        default=None, description="Orders of this shopper (Cognito sub)."
    )

    def to_record(self) -> OrderFilter:
        """The data-source filter."""
        return OrderFilter(statuses=tuple(self.statuses or ()), owner_sub=self.customer_id)

"""Catalog inputs and their mapping to resolver arguments (AppSync request mapping)."""

from __future__ import annotations

import strawberry

from datasources import records
from resolvers.connections import page_size
from resolvers.global_ids import expect_global_id


@strawberry.input(description="Filters of a product list; every given field must match.")
class ProductFilterInput:
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="Category global ID; includes its descendants."
    )
    brand: str | None = None
    tags: list[str] | None = strawberry.field(default=None, description="All must be present.")
    min_price: int | None = strawberry.field(default=None, description="Minor units.")
    max_price: int | None = strawberry.field(default=None, description="Minor units.")

    def to_record(self) -> records.ProductFilter:
        """The data-source filter (global IDs decoded)."""
        return records.ProductFilter(
            category_id=(
                None if self.category_id is None else expect_global_id(self.category_id, "Category")
            ),
            brand=self.brand,
            tags=tuple(self.tags or ()),
            min_price=self.min_price,
            max_price=self.max_price,
        )


def product_page_request(
    first: int | None,
    after: str | None,
    filter: ProductFilterInput | None,
    sort: records.ProductSort,
) -> records.ProductPageRequest:
    """Checked page request of a product listing."""
    return records.ProductPageRequest(
        filter=records.ProductFilter() if filter is None else filter.to_record(),
        sort=sort,
        first=page_size(first),
        after=after,
    )


@strawberry.input(description="An amount in minor units and its currency.")
class MoneyInput:
    amount: int
    currency: str

    def to_record(self) -> records.Money:
        """The money record."""
        return records.Money(amount=self.amount, currency=self.currency.upper())


@strawberry.input(description="Real-world size in metres.")
class DimensionsInput:
    width: float
    depth: float
    height: float

    def to_record(self) -> records.Dimensions:
        """The dimensions record."""
        return records.Dimensions(width=self.width, depth=self.depth, height=self.height)


@strawberry.input(description="A variant option such as colour = Green.")
class VariantOptionInput:
    name: str
    value: str

"""Search inputs and their mapping to the engine's request (AppSync request mapping)."""

from __future__ import annotations

import strawberry

from datasources.search.records import SearchFilters, SearchRequest, SearchSort
from resolvers.connections import page_size
from resolvers.global_ids import expect_global_id
from schema.catalog.inputs import DimensionsInput

strawberry.enum(SearchSort, name="ProductSearchSort", description="Orderings of search results.")


@strawberry.input(description="A price range in minor units; either end may be left open.")
class PriceRangeInput:
    min: int | None = None
    max: int | None = None


@strawberry.input(description="Search filters; every given field must match, any listed value.")
class ProductSearchFilters:
    category: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Category global IDs; each includes its descendants."
    )
    brand: list[str] | None = None
    colour: list[str] | None = None
    material: list[str] | None = None
    price_range: PriceRangeInput | None = strawberry.field(
        default=None, description="On the cheapest variant's price."
    )
    dimensions: DimensionsInput | None = strawberry.field(
        default=None, description="Products that fit within this width x depth x height."
    )
    has_3d: bool | None = strawberry.field(
        default=None, name="has3D", description="Only products with (or without) a 3D model."
    )
    in_stock: bool | None = None

    def to_record(self) -> SearchFilters:
        """The engine's filters (global IDs decoded)."""
        prices = self.price_range or PriceRangeInput()
        return SearchFilters(
            category_ids=tuple(expect_global_id(c, "Category") for c in self.category or ()),
            brands=tuple(self.brand or ()),
            colours=tuple(self.colour or ()),
            materials=tuple(self.material or ()),
            min_price=prices.min,
            max_price=prices.max,
            fits_within=None if self.dimensions is None else self.dimensions.to_record(),
            has_3d=self.has_3d,
            in_stock=self.in_stock,
        )


def search_request(
    query: str,
    filters: ProductSearchFilters | None,
    sort: SearchSort,
    first: int | None,
    after: str | None,
) -> SearchRequest:
    """The engine's request; ``first`` checked here, the rest by the engine."""
    return SearchRequest(
        query=query,
        filters=SearchFilters() if filters is None else filters.to_record(),
        sort=sort,
        first=page_size(first),
        after=after,
    )

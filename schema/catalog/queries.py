"""Catalog queries."""

from __future__ import annotations

import strawberry

from datasources import records
from resolvers import asset_details, catalog
from resolvers.catalog import CategoryLookup, ProductLookup
from resolvers.connections import DEFAULT_PAGE_SIZE
from resolvers.global_ids import expect_global_id
from resolvers.kit import CachePolicy, Pipeline
from schema.catalog.inputs import ProductFilterInput, product_page_request
from schema.catalog.types import Asset3D, Category, Product, ProductConnection
from schema.node import Node
from schema.permissions import PUBLIC_READ_DIRECTIVES, public_read

CATEGORY_TREE_TTL_SECONDS = 60.0


def _decode_categories(raw: list[dict[str, object]]) -> list[records.CategoryRecord]:
    return [records.CategoryRecord(**item) for item in raw]  # type: ignore[arg-type]


@strawberry.type
class CatalogQuery:
    """Public catalog reads (API key or Cognito)."""

    @strawberry.field(
        graphql_type=Product | None,
        description="A product by global ID or URL slug.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(catalog.product), public_read()],
    )
    def product(self, id: strawberry.ID | None = None, slug: str | None = None) -> ProductLookup:
        return ProductLookup(
            product_id=None if id is None else expect_global_id(id, "Product"), slug=slug
        )

    @strawberry.field(
        graphql_type=ProductConnection,
        description="Products, filtered and sorted, at most 100 per page.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(catalog.products), public_read()],
    )
    def products(
        self,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort: records.ProductSort = records.ProductSort.NAME_ASC,
    ) -> records.ProductPageRequest:
        return product_page_request(first, after, filter, sort)

    @strawberry.field(
        graphql_type=Category | None,
        description="A category by global ID or slug.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(catalog.category), public_read()],
    )
    def category(self, id: strawberry.ID | None = None, slug: str | None = None) -> CategoryLookup:
        return CategoryLookup(
            category_id=None if id is None else expect_global_id(id, "Category"), slug=slug
        )

    categories: list[Category] = strawberry.field(
        description="The roots of the category tree.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[
            Pipeline(
                catalog.all_categories,
                catalog.root_categories,
                cache=CachePolicy(
                    ttl_seconds=CATEGORY_TREE_TTL_SECONDS,
                    decode=_decode_categories,
                    keys=lambda run: (),
                ),
            ),
            public_read(),
        ],
    )

    @strawberry.field(
        graphql_type=Asset3D | None,
        description="A 3D asset by global ID: its files per format and level of detail, "
        "renders and budgets.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(asset_details.asset), public_read()],
    )
    def asset(self, id: strawberry.ID) -> str:
        return expect_global_id(id, "Asset3D")

    @strawberry.field(
        graphql_type=Node | None,
        description="Any object by its global ID.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(catalog.node), public_read()],
    )
    def node(self, id: strawberry.ID) -> str:
        return str(id)

"""Search result types (backed by ``resolvers.search`` and ``datasources.search.records``)."""

from __future__ import annotations

import strawberry

from datasources.search.records import Suggestion, SuggestionKind
from resolvers.global_ids import to_global_id
from schema.catalog.types import PageInfo, Product

strawberry.enum(SuggestionKind, name="SearchSuggestionKind", description="What it completes to.")


@strawberry.type(description="A highlighted fragment: matched words in <em>, text HTML-escaped.")
class SearchHighlight:
    field: str
    snippet: str


@strawberry.type(description="A matching product with its cursor, score and highlights.")
class ProductSearchEdge:
    cursor: str
    node: Product
    score: float = strawberry.field(description="Relevance; comparable within one query only.")
    highlights: list[SearchHighlight]


@strawberry.type(description="How many matching products have this value.")
class FacetValue:
    value: str
    count: int


@strawberry.type(description="Matching products whose cheapest price is in [min, max).")
class PriceHistogramBucket:
    min: int = strawberry.field(description="Minor units, inclusive.")
    max: int = strawberry.field(description="Minor units, exclusive.")
    count: int


@strawberry.type(description="Counts over every product matching the query and filters.")
class ProductSearchFacets:
    brands: list[FacetValue]
    colours: list[FacetValue]
    materials: list[FacetValue]
    categories: list[FacetValue] = strawberry.field(
        description="Values are Category global IDs (a category counts its descendants)."
    )
    price_histogram: list[PriceHistogramBucket]


@strawberry.type(description="A page of search results (at most 100).")
class ProductSearchConnection:
    edges: list[ProductSearchEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches across all pages.")
    facets: ProductSearchFacets
    corrected_query: str | None = strawberry.field(
        description="The query that ran when misspelt words were replaced; null otherwise."
    )


@strawberry.type(description="A completion for the search box.")
class SearchSuggestion:
    text: str
    kind: SuggestionKind

    @strawberry.field(description="The product's global ID (PRODUCT suggestions).")
    def product_id(self, root: strawberry.Parent[Suggestion]) -> strawberry.ID | None:
        return (
            None
            if root.product_id is None
            else strawberry.ID(to_global_id("Product", root.product_id))
        )

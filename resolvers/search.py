"""Search resolvers: the engine finds product ids, the per-request loader batches the products."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datasources.ports import ProductSearch
from datasources.records import ProductRecord
from datasources.search.records import (
    FacetValue,
    PriceBucket,
    SearchFacets,
    SearchPage,
    SearchRequest,
    Suggestion,
)
from resolvers.connections import PageInfo
from resolvers.errors import BadUserInput, ServiceNotConfigured
from resolvers.global_ids import to_global_id
from resolvers.kit import DataSource, Run, uses

MAX_SUGGESTIONS = 20


@dataclass(frozen=True)
class HighlightSnippet:
    """One highlighted fragment of a field (``<em>`` around matches, text HTML-escaped)."""

    field: str
    snippet: str


@dataclass(frozen=True)
class SearchEdge:
    """A matching product, its cursor, score and highlights."""

    node: ProductRecord
    cursor: str
    score: float
    highlights: tuple[HighlightSnippet, ...]


@dataclass(frozen=True)
class SearchFacetCounts:
    """Facet counts over every match; category values are Category global IDs."""

    brands: tuple[FacetValue, ...]
    colours: tuple[FacetValue, ...]
    materials: tuple[FacetValue, ...]
    categories: tuple[FacetValue, ...]
    price_histogram: tuple[PriceBucket, ...]

    @classmethod
    def of(cls, facets: SearchFacets) -> SearchFacetCounts:
        """The GraphQL view of the engine's facets."""
        return cls(
            brands=facets.brand,
            colours=facets.colour,
            materials=facets.material,
            categories=tuple(
                FacetValue(value=to_global_id("Category", f.value), count=f.count)
                for f in facets.category
            ),
            price_histogram=facets.price_histogram,
        )


@dataclass(frozen=True)
class SearchResults:
    """A page of search results as a connection, with facets and the corrected query."""

    edges: tuple[SearchEdge, ...]
    page_info: PageInfo
    total_count: int
    facets: SearchFacetCounts
    corrected_query: str | None


@dataclass(frozen=True)
class SuggestionsRequest:
    """What the search box has typed and how many completions it shows."""

    prefix: str
    first: int


def search_of(run: Run[Any, Any]) -> ProductSearch:
    """The search engine, or ServiceUnavailable where none is configured."""
    search = run.ctx.sources.search
    if search is None:
        raise ServiceNotConfigured(
            "Product search is not configured in this deployment (VITRINE_SEARCH_ENGINE)"
        )
    return search


@uses(DataSource.PRODUCT_SEARCH, DataSource.CATALOG)
async def search(run: Run[None, SearchRequest]) -> SearchResults:
    """``Query.search``: ids from the engine, products through ProductByIdLoader (one batch)."""
    page: SearchPage = await search_of(run).search(run.arguments)
    products = await run.ctx.loaders.product_by_id.load_many([h.product_id for h in page.hits])
    # A product deleted since it was indexed is left out until the indexer removes it.
    edges = tuple(
        SearchEdge(
            node=product,
            cursor=hit.cursor,
            score=hit.score,
            highlights=tuple(
                HighlightSnippet(field=h.field, snippet=fragment)
                for h in hit.highlights
                for fragment in h.fragments
            ),
        )
        for hit, product in zip(page.hits, products, strict=True)
        if product is not None
    )
    return SearchResults(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.next_cursor is not None,
            has_previous_page=page.has_previous_page,
            start_cursor=page.hits[0].cursor if page.hits else None,
            end_cursor=page.hits[-1].cursor if page.hits else None,
        ),
        total_count=page.total,
        facets=SearchFacetCounts.of(page.facets),
        corrected_query=page.corrected_query,
    )


@uses(DataSource.PRODUCT_SEARCH)
async def suggestions(run: Run[None, SuggestionsRequest]) -> list[Suggestion]:
    """``Query.searchSuggestions``: brands and product names completing the prefix."""
    request = run.arguments
    if request.first < 1 or request.first > MAX_SUGGESTIONS:
        raise BadUserInput(f"first must be between 1 and {MAX_SUGGESTIONS}, got {request.first}")
    if not request.prefix.strip():
        return []
    return list(await search_of(run).suggest(request.prefix, request.first))

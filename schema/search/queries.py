"""Search queries."""

from __future__ import annotations

import strawberry

from datasources.search.records import SearchRequest, SearchSort
from resolvers import search as search_resolvers
from resolvers.connections import DEFAULT_PAGE_SIZE
from resolvers.kit import Pipeline
from resolvers.search import SuggestionsRequest
from schema.permissions import PUBLIC_READ_DIRECTIVES, public_read
from schema.search.inputs import ProductSearchFilters, search_request
from schema.search.types import ProductSearchConnection, SearchSuggestion

DEFAULT_SUGGESTIONS = 8


@strawberry.type
class SearchQuery:
    """Public product search (API key or Cognito)."""

    @strawberry.field(
        graphql_type=ProductSearchConnection,
        description=(
            "Products matching the words of `query` (every word; typos corrected when nothing "
            "matches), filtered, with facets. An empty query browses with the filters."
        ),
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(search_resolvers.search), public_read()],
    )
    def search(
        self,
        query: str,
        filters: ProductSearchFilters | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> SearchRequest:
        return search_request(query, filters, sort, first, after)

    @strawberry.field(
        graphql_type=list[SearchSuggestion],
        description="Brands, then product names, completing what the search box has typed.",
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(search_resolvers.suggestions), public_read()],
    )
    def search_suggestions(
        self, prefix: str, first: int = DEFAULT_SUGGESTIONS
    ) -> SuggestionsRequest:
        return SuggestionsRequest(prefix=prefix, first=first)

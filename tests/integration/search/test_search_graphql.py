"""``search`` and ``searchSuggestions`` through the real schema: tantivy over the demo
catalog (in memory), products from the fake catalog through the per-request loader."""

from __future__ import annotations

from typing import Any

import pytest

from datasources.search.records import SearchFilters, SearchRequest
from datasources.search.tantivy_engine import TantivySearch
from resolvers.global_ids import to_global_id
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.graphql_client import SchemaClient
from tests.integration.search.demo_documents import demo_documents
from tests.integration.search.test_indexer import _catalog

SEARCH = """
query Search($query: String!, $filters: ProductSearchFilters, $sort: ProductSearchSort! = RELEVANCE,
             $first: Int = 24, $after: String) {
  search(query: $query, filters: $filters, sort: $sort, first: $first, after: $after) {
    totalCount
    correctedQuery
    edges { cursor score highlights { field snippet } node { id slug name brand } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    facets {
      brands { value count }
      categories { value count }
      priceHistogram { min max count }
    }
  }
}
"""
SUGGEST = """
query Suggest($prefix: String!, $first: Int! = 8) {
  searchSuggestions(prefix: $prefix, first: $first) { text kind productId }
}
"""


async def _client() -> tuple[SchemaClient, FakeCatalog]:
    catalog = await _catalog()
    search = TantivySearch()
    await search.create_index("products-test")
    await search.bulk_load("products-test", demo_documents())
    await search.switch_alias("products-test")
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), search=search), catalog


def _ids(data: dict[str, Any]) -> list[str]:
    return [e["node"]["slug"] for e in data["search"]["edges"]]


async def test_search_returns_products_with_highlights_and_facets() -> None:
    client, _ = await _client()
    # when searching for a sofa
    data, errors = await client.execute(SEARCH, {"query": "velvet sofa"})
    # then the sofa comes back as a Product with its highlights and facets
    assert errors == []
    assert data is not None
    result = data["search"]
    assert result["totalCount"] == 1
    assert result["correctedQuery"] is None
    [edge] = result["edges"]
    assert edge["node"] == {
        "id": to_global_id("Product", "demo-harbor-sofa"),
        "slug": "harbor-sofa",
        "name": "Harbor Three-Seat Sofa",
        "brand": "Nordhem",
    }
    assert edge["score"] > 0
    assert any("<em>Sofa</em>" in h["snippet"] for h in edge["highlights"] if h["field"] == "name")
    assert result["facets"]["brands"] == [{"value": edge["node"]["brand"], "count": 1}]
    assert {c["value"] for c in result["facets"]["categories"]} >= {
        to_global_id("Category", "furniture")
    }
    assert sum(b["count"] for b in result["facets"]["priceHistogram"]) == 1
    assert result["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "endCursor": edge["cursor"],
    }


async def test_products_of_a_page_load_in_one_catalog_call() -> None:
    # given the whole demo catalog indexed
    client, _ = await _client()
    # when browsing 24 products, then 5
    big, big_errors = await client.execute(SEARCH, {"query": "", "first": 24})
    big_calls = dict(client.last_calls.calls)
    small, small_errors = await client.execute(SEARCH, {"query": "", "first": 5})
    small_calls = dict(client.last_calls.calls)
    # then each page costs one batched catalog read, whatever its size
    assert (big_errors, small_errors) == ([], [])
    assert big is not None
    assert small is not None
    assert len(big["search"]["edges"]) == 24
    assert len(small["search"]["edges"]) == 5
    assert big_calls == {"fake.products_by_ids": 1}
    assert small_calls == {"fake.products_by_ids": 1}


async def test_pages_follow_the_cursor_without_repeats() -> None:
    client, _ = await _client()
    first, errors = await client.execute(SEARCH, {"query": "lamp", "first": 2})
    assert errors == []
    assert first is not None
    after = first["search"]["pageInfo"]["endCursor"]
    second, errors = await client.execute(SEARCH, {"query": "lamp", "first": 2, "after": after})
    assert errors == []
    assert second is not None
    assert first["search"]["pageInfo"]["hasNextPage"] is True
    assert second["search"]["pageInfo"]["hasPreviousPage"] is True
    # the three lamps: two, then the last one
    assert first["search"]["totalCount"] == 3
    assert len(_ids(first)) == 2
    assert len(_ids(second)) == 1
    assert not set(_ids(first)) & set(_ids(second))
    assert second["search"]["pageInfo"]["hasNextPage"] is False


async def test_typo_is_corrected_and_reported() -> None:
    client, _ = await _client()
    data, errors = await client.execute(SEARCH, {"query": "leathr armchair", "first": 1})
    assert errors == []
    assert data is not None
    assert data["search"]["correctedQuery"] == "leather armchair"
    assert _ids(data) == ["lounge-armchair"]


async def test_filters_use_category_global_ids_and_price_ranges() -> None:
    client, _ = await _client()
    filters = {
        "category": [to_global_id("Category", "lighting")],
        "priceRange": {"max": 20_000},
    }
    data, errors = await client.execute(SEARCH, {"query": "lamp", "filters": filters})
    assert errors == []
    assert data is not None
    assert sorted(_ids(data)) == ["bedside-lamp", "ginger-jar-lamp"]
    # the engine agrees
    engine_page = await client.sources.search.search(  # type: ignore[union-attr]
        SearchRequest(
            query="lamp", filters=SearchFilters(category_ids=("lighting",), max_price=20_000)
        )
    )
    assert engine_page.total == data["search"]["totalCount"] == 2


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"query": "x" * 201}, "more than 200"),
        ({"query": "lamp", "filters": {"priceRange": {"min": 500, "max": 100}}}, "above"),
        ({"query": "lamp", "first": 101}, "first must be between 1 and 100"),
        ({"query": "lamp", "first": 0}, "first must be between 1 and 100"),
        ({"query": "lamp", "after": "bm90LW91cnM"}, "cursor is not valid"),
        ({"query": "lamp", "filters": {"category": ["not-a-global-id"]}}, "ID"),
        (
            {"query": "lamp", "filters": {"dimensions": {"width": 0, "depth": 1, "height": 1}}},
            "dimensions must be positive",
        ),
    ],
)
async def test_bad_input_is_a_bad_user_input_error(variables: dict[str, Any], message: str) -> None:
    client, _ = await _client()
    data, errors = await client.execute(SEARCH, variables)
    assert data is None
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in errors[0]["message"]
    assert errors[0]["path"] == ["search"]


async def test_a_cursor_of_another_query_is_refused() -> None:
    client, _ = await _client()
    first, errors = await client.execute(SEARCH, {"query": "lamp", "first": 1})
    assert errors == []
    assert first is not None
    cursor = first["search"]["pageInfo"]["endCursor"]
    data, errors = await client.execute(SEARCH, {"query": "sofa", "after": cursor})
    assert data is None
    assert [(e["extensions"]["code"], e["message"]) for e in errors] == [
        ("BAD_USER_INPUT", "The search cursor belongs to another query, filter or sort")
    ]


async def test_suggestions_complete_brands_and_product_names() -> None:
    client, _ = await _client()
    brands, errors = await client.execute(SUGGEST, {"prefix": "lu", "first": 5})
    assert errors == []
    assert brands == {"searchSuggestions": [{"text": "Lumio", "kind": "BRAND", "productId": None}]}
    products, errors = await client.execute(SUGGEST, {"prefix": "floor la"})
    assert errors == []
    assert products is not None
    assert products["searchSuggestions"][0]["productId"] == to_global_id(
        "Product", "demo-arc-floor-lamp"
    )
    assert products["searchSuggestions"][0]["kind"] == "PRODUCT"
    # blank input completes to nothing, without asking the engine
    blank, errors = await client.execute(SUGGEST, {"prefix": "  "})
    assert (blank, errors) == ({"searchSuggestions": []}, [])


async def test_too_many_suggestions_is_bad_user_input() -> None:
    client, _ = await _client()
    data, errors = await client.execute(SUGGEST, {"prefix": "lu", "first": 21})
    assert data is None
    assert [(e["extensions"]["code"], e["message"]) for e in errors] == [
        ("BAD_USER_INPUT", "first must be between 1 and 20, got 21")
    ]


async def test_without_a_search_engine_search_is_service_unavailable() -> None:
    client = SchemaClient(FakeCatalog(), FakeBlobStore(), FakeAssetUrls())
    data, errors = await client.execute(SEARCH, {"query": "sofa"})
    assert data is None
    assert [(e["extensions"]["code"], e["extensions"]["errorType"]) for e in errors] == [
        ("SERVICE_UNAVAILABLE", "ServiceUnavailable")
    ]
    assert "VITRINE_SEARCH_ENGINE" in errors[0]["message"]

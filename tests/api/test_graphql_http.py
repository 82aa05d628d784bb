"""The GraphQL endpoint over HTTP, on moto: happy paths, bad input and call counts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.conftest import API_KEY

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).parents[2] / "client_examples" / "operations"

LISTING = """
query Listing($first: Int!) {
  products(first: $first) {
    totalCount
    nodes {
      name
      category { name }
      variants { sku availability quantityAvailable }
      assets { triangleCount sources { url } posterUrl }
    }
  }
}
"""


async def post(
    http: httpx.AsyncClient, query: str, variables: dict[str, object] | None = None
) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=API_KEY
    )


async def test_listing_costs_the_same_round_trips_for_6_or_24_products(
    http: httpx.AsyncClient,
) -> None:
    # when listing 6 and then 24 products with variants, availability, assets and categories
    small = (await post(http, LISTING, {"first": 6})).json()
    large = (await post(http, LISTING, {"first": 24})).json()
    # then both answer fully and cost the same four round trips: one query, three batch reads
    assert "errors" not in small
    assert "errors" not in large
    assert len(large["data"]["products"]["nodes"]) == 24
    assert large["data"]["products"]["nodes"][0]["assets"][0]["triangleCount"] == 1200
    expected = {"dynamodb.BatchGetItem": 3, "dynamodb.Query": 1}
    assert small["extensions"]["dataSources"]["calls"] == expected
    assert large["extensions"]["dataSources"]["calls"] == expected


async def test_storefront_product_page_operation(http: httpx.AsyncClient) -> None:
    query = (OPERATIONS / "ProductPage.graphql").read_text()
    body = (await post(http, query, {"slug": "product-004"})).json()
    assert "errors" not in body
    product = body["data"]["product"]
    assert product["name"] == "Product 004"
    assert [v["sku"] for v in product["variants"]] == ["SKU-004-G", "SKU-004-B"]
    assert product["assets"][0]["sources"][0]["url"].startswith("http://127.0.0.1:")


async def test_malformed_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        content=b'{"query": "{ products',
        headers={**API_KEY, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "JSON" in response.text


async def test_invalid_graphql_is_a_typed_error(http: httpx.AsyncClient) -> None:
    response = await post(http, "{ products { nodes { name }")
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert body["errors"][0]["extensions"]["errorType"] == "ValidationError"


async def test_unknown_field_is_a_validation_error(http: httpx.AsyncClient) -> None:
    body = (await post(http, "{ products { nodes { price } } }")).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Cannot query field 'price' on type 'Product'."
    assert body["errors"][0]["extensions"] == {
        "errorType": "ValidationError",
        "code": "GRAPHQL_VALIDATION_FAILED",
    }


async def test_wrong_api_key_is_refused_whole(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ categories { name } }"}, headers={"x-api-key": "da2-wrong"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["errorType"] == "UnauthorizedException"


async def test_request_id_is_echoed_and_generated(http: httpx.AsyncClient) -> None:
    given = await http.post(
        "/graphql",
        json={"query": "{ categories { name } }"},
        headers={**API_KEY, "x-request-id": "abc-123"},
    )
    generated = await post(http, "{ categories { name } }")
    assert given.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32


async def test_graphiql_renders_from_local_assets(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    script = await http.get("/graphiql-assets/graphiql/graphiql.min.js")
    assert page.status_code == 200
    assert '<script src="/graphiql-assets/graphiql/graphiql.min.js">' in page.text
    assert "https://" not in page.text
    assert script.status_code == 200
    assert len(script.content) > 100_000


async def test_queries_over_get_and_mutations_refused_over_get(http: httpx.AsyncClient) -> None:
    ok = await http.get("/graphql", params={"query": "{ categories { name } }"}, headers=API_KEY)
    mutation = await http.get(
        "/graphql",
        params={"query": 'mutation { archiveProduct(id: "x", expectedVersion: 1) { __typename } }'},
        headers=API_KEY,
    )
    assert ok.status_code == 200
    assert ok.json()["data"]["categories"][0]["name"] == "Furniture"
    assert mutation.status_code == 405  # GraphQL over HTTP: Method Not Allowed
    assert mutation.text == "mutations are not allowed when using GET"
